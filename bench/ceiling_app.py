"""The framework's ceiling for bench/http_bench.py: bare FastAPI endpoints, no logic.

Each endpoint validates the same pydantic request model as the service and answers with a
body of the same size (a real service response captured by the bench, passed in through
``CEILING_BODIES``, a JSON file) — no auth, no database, no middleware, no maths. The routes
are ``def`` or ``async def`` exactly as the service's, so both pay the same thread-pool
hops (``POST /v1/quotes`` is ``async def`` in both: it does no I/O).

Run: CEILING_BODIES=bodies.json uvicorn bench.ceiling_app:app --workers N
"""

from __future__ import annotations

import json
import os

from fastapi import FastAPI, Response

from schemas.applications import ApplicationCreate
from schemas.quotes import QuoteRequest

_BODIES: dict[str, str] = json.loads(open(os.environ["CEILING_BODIES"], encoding="utf-8").read())
_QUOTES = {int(k.split("_", 1)[1]): v.encode() for k, v in _BODIES.items() if k.startswith("quote_")}
_APPLICATION = _BODIES["application"].encode()

app = FastAPI(title="ceiling")


@app.post("/v1/quotes")
async def quote(body: QuoteRequest) -> Response:
    return Response(_QUOTES[body.term_months], media_type="application/json")


@app.post("/v1/applications", status_code=201)
def file_application(body: ApplicationCreate) -> Response:
    return Response(_APPLICATION, status_code=201, media_type="application/json")


@app.get("/v1/applications/{application_id}")
def get_application(application_id: int) -> Response:
    return Response(_APPLICATION, media_type="application/json")
