"""``/v1/loans`` and ``/v1/reminders``; disbursement lives on the application."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.applications.router import Filer, IdPath, Reader
from app.business_date import Today
from app.errors import problem_responses
from app.loans import service
from app.request_context import request_context
from app.sessions import ReadSession, WriteSession
from schemas.loans import Bucket, Loan, LoanPage, LoanStatus, PaymentIn, Reminder

router = APIRouter(prefix="/v1", tags=["loans"])
_READ = problem_responses(401, 404, 422, 429, 503)
_WRITE = problem_responses(401, 403, 404, 409, 413, 422, 429, 503)


@router.post(
    "/applications/{application_id}/disburse",
    status_code=201,
    summary="Disburse a signed application; creates and returns the loan",
    responses=_WRITE,
)
def disburse(request: Request, application_id: IdPath, principal: Filer, session: WriteSession) -> Loan:
    return service.disburse(session=session, application_id=application_id, ctx=request_context(request, principal))


@router.get("/loans/{loan_id}", summary="A loan's schedule, payments and delinquency as of a date", responses=_READ)
def get_loan(
    loan_id: IdPath,
    principal: Reader,
    session: ReadSession,
    day: Today,
    as_of: Annotated[date | None, Query(description="Defaults to today")] = None,
) -> Loan:
    return service.get(session=session, loan_id=loan_id, principal=principal, as_of=as_of or day)


@router.post(
    "/loans/{loan_id}/payments",
    status_code=201,
    summary="Record a repayment; overpayment repays early (reduce term)",
    responses=_WRITE,
)
def pay(request: Request, loan_id: IdPath, body: PaymentIn, principal: Filer, session: WriteSession) -> Loan:
    return service.pay(
        session=session,
        loan_id=loan_id,
        amount=body.amount,
        paid_on=body.paid_on,
        ctx=request_context(request, principal),
    )


@router.get("/loans", summary="Loans visible to the caller", responses=_READ)
def list_loans(
    request: Request,
    principal: Reader,
    session: ReadSession,
    day: Today,
    manager_id: Annotated[str | None, Query(max_length=64)] = None,
    status: LoanStatus | None = None,
    bucket: Bucket | None = None,
    as_of: date | None = None,
    after: Annotated[int | None, Query(description="Last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> LoanPage:
    limit = min(limit, request.app.state.settings.max_page_size)
    items = service.summaries(
        session=session,
        principal=principal,
        limit=limit,
        after_id=after,
        manager_id=manager_id,
        status=status.value if status else None,
        bucket=bucket.value if bucket else None,
        as_of=as_of or day,
    )
    return LoanPage(items=items, next_cursor=str(items[-1].id) if len(items) == limit else None)


@router.get("/reminders", summary="Loans with a payment due in the next N days (contact centre)", responses=_READ)
def reminders(
    principal: Reader, session: ReadSession, day: Today, within_days: Annotated[int, Query(ge=0, le=90)] = 7
) -> list[Reminder]:
    return service.reminders(session=session, principal=principal, within_days=within_days, today=day)
