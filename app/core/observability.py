"""JSON logs, request ids, Prometheus metrics and the request-body cap, in one ASGI layer.

A plain ASGI middleware (not ``BaseHTTPMiddleware``) keeps the per-request overhead to a
few microseconds. Logs carry the route template, never the query string or bodies, so
no personal data or key reaches them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from typing import Any

from fastapi import HTTPException
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import internal_error_body, log_unexpected, problem_body

access_log = logging.getLogger("app.access")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "color_message",
}
# One encoder for every line: json.dumps with options builds a new JSONEncoder per call.
_ENCODE = json.JSONEncoder(default=str, ensure_ascii=False).encode


class JsonFormatter(logging.Formatter):
    _second = -1
    _stamp = ""

    def _time(self, record: logging.LogRecord) -> str:
        # one strftime per second, not per line (every request writes a line)
        second = int(record.created)
        if second != self._second:
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created))
            self._second = second
        return f"{self._stamp}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self._time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return _ENCODE(out)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    # The JSON lines carry none of the caller's file/line, thread or process fields, so the
    # logging module need not collect them for every record (its documented optimisations).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # uvicorn's own access log would repeat ours, with the query string.
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "http_requests_total", "HTTP requests by route and status",
            ["method", "route", "status"], registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency by route",
            ["method", "route"], registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        # labels() takes a lock and builds a key on every call; routes x statuses are few
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            if len(self._children) < 10_000:  # unmatched methods are client-chosen: stay bounded
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = dict(scope.get("headers") or ())
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = False
        rid_header = (b"x-request-id", request_id.encode())

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send, rid_header)
            self._observe(scope, 413, start, request_id)
            return

        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # FastAPI re-raises HTTPException from body parsing, so the error
                    # handlers render this as a 413 problem.
                    raise HTTPException(
                        413, f"The request body exceeds {self.max_body_bytes} bytes."
                    )
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        try:
            await self.app(scope, capped_receive, send_wrapper)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            status = 413
            await self._too_large(send, rid_header)
        except Exception as exc:  # noqa: BLE001 - every error becomes a logged 500, never a dropped connection
            log_unexpected(exc, request_id)
            if not started:
                status = 500
                await self._send_problem(send, rid_header, 500, internal_error_body(request_id, scope.get("path")))
        finally:
            self._observe(scope, status, start, request_id)

    async def _too_large(self, send: Send, rid_header: tuple[bytes, bytes]) -> None:
        await self._send_problem(send, rid_header, 413, problem_body(
            413, f"The request body exceeds {self.max_body_bytes} bytes.",
            title="Request body too large", slug="payload-too-large",
        ))

    async def _send_problem(
        self, send: Send, rid_header: tuple[bytes, bytes], status: int, problem: dict[str, Any]
    ) -> None:
        body = json.dumps(problem).encode()
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()), rid_header],
        })
        await send({"type": "http.response.body", "body": body})

    def _observe(self, scope: Scope, status: int, start: float, request_id: str) -> None:
        elapsed = time.perf_counter() - start
        route = scope.get("route")
        template = getattr(route, "path", None) or "<unmatched>"
        method = scope.get("method", "")
        self.metrics.observe(method, template, status, elapsed)
        access_log.info(
            "%s %s %s", method, template, status,
            extra={"request_id": request_id, "method": method, "route": template,
                   "status": status, "duration_ms": round(elapsed * 1000, 2)},
        )

