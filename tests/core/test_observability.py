"""Request ids, metrics, the body-size cap and the access log (app/core/observability.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "abc-1"}).headers["x-request-id"] == "abc-1"
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    # A hostile id is not reflected.
    hostile = 'a"b<script>'
    assert client.get("/healthz", headers={"X-Request-ID": hostile}).headers["x-request-id"] != hostile


def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/v1/me")
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'http_requests_total{method="GET",route="/v1/me",status="401"}' in text
    assert "http_request_duration_seconds_bucket" in text


def test_body_over_the_cap_is_413(client: TestClient, admin) -> None:
    big = b'{"x": "' + b"a" * (1_048_576 + 10) + b'"}'
    r = client.post("/v1/me", headers={**admin, "Content-Type": "application/json"}, content=big)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")


def test_access_log_has_no_key_and_no_query(client: TestClient, admin, caplog) -> None:
    import logging

    caplog.set_level(logging.INFO)
    client.get("/v1/me?passport=4510123456", headers=admin)
    logged = "\n".join(r.getMessage() + str(vars(r)) for r in caplog.records)
    assert "/v1/me" in logged
    assert admin["Authorization"].split()[1] not in logged
    assert "4510123456" not in logged
