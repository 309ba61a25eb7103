"""Liveness, readiness and metrics: unauthenticated, for the orchestrator and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.core.db import database_answers
from app.core.errors import Unavailable, problem_responses
from app.deps import EngineDep, MetricsRegistry, ServiceRoute, SettingsDep
from schemas.health import Health, Readiness

router = APIRouter(tags=["operations"], route_class=ServiceRoute)


@router.get("/healthz", summary="The process is alive (touches no database)")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="The database answers",
    responses=problem_responses(503),
)
async def readyz(engine: EngineDep, settings: SettingsDep) -> Readiness:
    if not await run_in_threadpool(database_answers, engine):
        retry = str(settings.retry_after_seconds)
        raise Unavailable("The database does not answer.", headers={"Retry-After": retry})
    return Readiness(status="ready", database="ok")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}},
)
async def metrics(registry: MetricsRegistry) -> Response:
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
