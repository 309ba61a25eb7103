"""``/v1/quotes`` and ``/v1/offers``: what a credit manager shows the client first."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.core.errors import maths_fields, problem_responses
from app.deps import Caller, ReadSession, ServiceRoute, Today
from app.quotes import service
from schemas.quotes import (
    EarlyRepaymentRequest,
    MaxAmount,
    MaxAmountRequest,
    Offer,
    OfferRequest,
    Quote,
    QuoteRequest,
)

router = APIRouter(prefix="/v1", tags=["quotes"], route_class=ServiceRoute)
_ERRORS = problem_responses(401, 413, 422, 429, 503)


@router.post("/quotes", summary="A schedule with PSK for given terms", responses=_ERRORS, response_model=Quote)
async def create_quote(body: QuoteRequest, _: Caller, day: Today) -> Response:
    # async: pure CPU-bound maths with no I/O; under the GIL a thread-pool hop only adds
    # latency (a 12-month quote computes in ~0.1 ms, a 360-month one in ~2 ms).
    # Pre-serialised: the same bytes as Quote.model_dump_json(), without building 360 models
    # and running pydantic's per-field serializer (docs/benchmarks.md, profile).
    return Response(service.quote_bytes(body, today=day), media_type="application/json")


@router.post(
    "/quotes/max-amount",
    summary="The largest affordable amount within a PDN limit",
    responses=problem_responses(401, 404, 413, 422, 429, 503),
)
# the product's bounds are not in the request: a refusal over them points at the product
@maths_fields(names={"min_amount": "product_code", "max_amount": "product_code"})
def max_amount(body: MaxAmountRequest, _: Caller, session: ReadSession) -> MaxAmount:
    return service.max_amount(session=session, req=body)


@router.post(
    "/quotes/early-repayment",
    summary="The new schedule after an early repayment",
    responses=_ERRORS,
    response_model=Quote,
)
@maths_fields(terms_at="terms/", names={"on": "date"})
def early_repayment(body: EarlyRepaymentRequest, _: Caller, day: Today) -> Response:
    return Response(service.early_repayment_bytes(body, today=day), media_type="application/json")


@router.post(
    "/offers",
    summary="Every programme for a borrower, ranked by PSK",
    responses=_ERRORS,
)
def offers(body: OfferRequest, principal: Caller, session: ReadSession, day: Today) -> list[Offer]:
    return service.offers(session=session, req=body, role=principal.role, today=day)
