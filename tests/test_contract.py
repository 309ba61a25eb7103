"""``openapi.yaml`` is the served contract, and every operation documents its errors."""

from __future__ import annotations

from pathlib import Path

import yaml
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]


def test_committed_contract_equals_the_served_one(client: TestClient) -> None:
    committed = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    served = client.get("/openapi.json").json()
    assert committed == served, (
        "openapi.yaml drifted from the app; regenerate it with `loans openapi --out openapi.yaml`"
    )


def test_every_v1_operation_documents_auth_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        if not path.startswith("/v1"):
            continue
        for method, op in item.items():
            codes = set(op["responses"])
            assert {"401", "429", "503"} <= codes, f"{method.upper()} {path} lacks {codes}"
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (method, path, code)
            assert op.get("security"), f"{method.upper()} {path} declares no security"
