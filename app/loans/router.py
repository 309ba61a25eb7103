"""``/v1/loans`` and ``/v1/reminders``; disbursement lives on the application."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.core.errors import problem_responses
from app.deps import (
    AsOf,
    Filer,
    Idempotency,
    IdPath,
    PageParams,
    Reader,
    ReadSession,
    RequestContext,
    ServiceRoute,
    Today,
    WriteSession,
)
from app.loans import service
from schemas.loans import Bucket, Loan, LoanPage, LoanStatus, PaymentIn, Reminder

router = APIRouter(prefix="/v1", tags=["loans"], route_class=ServiceRoute)
_READ = problem_responses(401, 404, 422, 429, 503)
_WRITE = problem_responses(401, 403, 404, 409, 413, 422, 429, 503)


@router.post(
    "/applications/{application_id}/disburse",
    status_code=201,
    summary="Disburse a signed application; creates and returns the loan",
    responses=_WRITE,
)
def disburse(
    application_id: IdPath, principal: Filer, ctx: RequestContext, session: WriteSession, _: Idempotency
) -> Loan:
    return service.disburse(session=session, application_id=application_id, ctx=ctx)


@router.get("/loans/{loan_id}", summary="A loan's schedule, payments and delinquency as of a date", responses=_READ)
def get_loan(
    loan_id: IdPath,
    principal: Reader,
    session: ReadSession,
    as_of: AsOf,
) -> Loan:
    return service.get(session=session, loan_id=loan_id, principal=principal, as_of=as_of)


@router.post(
    "/loans/{loan_id}/payments",
    status_code=201,
    summary="Record a repayment; overpayment repays early (reduce term)",
    responses=_WRITE,
)
def pay(
    loan_id: IdPath, body: PaymentIn, principal: Filer, ctx: RequestContext, session: WriteSession, _: Idempotency
) -> Loan:
    return service.pay(session=session, loan_id=loan_id, amount=body.amount, paid_on=body.paid_on, ctx=ctx)


@router.get("/loans", summary="Loans visible to the caller", responses=_READ)
def list_loans(
    principal: Reader,
    session: ReadSession,
    as_of: AsOf,
    page: PageParams,
    manager_id: Annotated[str | None, Query(max_length=64)] = None,
    status: LoanStatus | None = None,
    bucket: Bucket | None = None,
) -> LoanPage:
    items, next_cursor = service.summaries(
        session=session,
        principal=principal,
        page=page,
        manager_id=manager_id,
        status=status.value if status else None,
        bucket=bucket.value if bucket else None,
        as_of=as_of,
    )
    return LoanPage(items=items, next_cursor=next_cursor)


@router.get("/reminders", summary="Loans with a payment due in the next N days (contact centre)", responses=_READ)
def reminders(
    principal: Reader, session: ReadSession, day: Today, within_days: Annotated[int, Query(ge=0, le=90)] = 7
) -> list[Reminder]:
    return service.reminders(session=session, principal=principal, within_days=within_days, today=day)
