"""``/v1/loans``, ``/v1/reminders`` and ``/v1/business-date``; disbursement lives on the application."""

from __future__ import annotations

from datetime import date
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
from app.loans import close_of_business, lists, service
from app.loans.lists import LoanFilters
from schemas.loans import (
    Bucket,
    BusinessDate,
    EarlyRepaymentIn,
    EarlyRepaymentOut,
    HolidayIn,
    Loan,
    LoanAfterPayment,
    LoanPage,
    LoanStatus,
    PaymentIn,
    PaymentList,
    Payoff,
    ReminderPage,
)

router = APIRouter(prefix="/v1", tags=["loans"], route_class=ServiceRoute)
_READ = problem_responses(401, 404, 422, 429, 503)
_WRITE = problem_responses(401, 403, 404, 409, 413, 422, 429, 503)
_Id = Annotated[str | None, Query(max_length=64)]


@router.post(
    "/applications/{application_id}/disburse",
    status_code=201,
    summary="Disburse a signed application; creates and returns the loan",
    description="The schedule runs from the day the money is paid out (a later payout re-dates it). "
    "Inside the cooling-off period (353-FZ art. 7 part 9.3) the answer is 409 with `not_before`.",
    responses=_WRITE,
)
def disburse(
    application_id: IdPath, principal: Filer, ctx: RequestContext, session: WriteSession, _: Idempotency
) -> Loan:
    return service.disburse(session=session, application_id=application_id, ctx=ctx)


@router.get("/loans/{loan_id}", summary="A loan's schedule, payments and delinquency as of a date", responses=_READ)
def get_loan(loan_id: IdPath, principal: Reader, session: ReadSession, as_of: AsOf) -> Loan:
    return service.get(session=session, loan_id=loan_id, principal=principal, as_of=as_of)


@router.post(
    "/loans/{loan_id}/payments",
    status_code=201,
    summary="Record money received; returns the loan and where every rouble went",
    description="The payment pays what is due in the legal order (353-FZ art. 5 part 20); cash beyond it "
    "stays on the loan as `advance` for the next due dates. More than the payoff is 422 naming it.",
    responses=_WRITE,
)
def pay(
    loan_id: IdPath, body: PaymentIn, principal: Filer, ctx: RequestContext, session: WriteSession, _: Idempotency
) -> LoanAfterPayment:
    return service.pay(session=session, loan_id=loan_id, amount=body.amount, paid_on=body.paid_on, ctx=ctx)


@router.get("/loans/{loan_id}/payments", summary="Every payment and its allocation", responses=_READ)
def list_payments(loan_id: IdPath, principal: Reader, session: ReadSession, as_of: AsOf) -> PaymentList:
    return service.payments(session=session, loan_id=loan_id, principal=principal, as_of=as_of)


@router.get("/loans/{loan_id}/payoff", summary="Exactly what closes the loan on a date", responses=_READ)
def get_payoff(
    loan_id: IdPath,
    principal: Reader,
    session: ReadSession,
    day: Today,
    on: Annotated[date | None, Query(description="On or after the business date (default: it)")] = None,
) -> Payoff:
    return service.get_payoff(session=session, loan_id=loan_id, principal=principal, on=on or day, today=day)


@router.post(
    "/loans/{loan_id}/early-repayments",
    status_code=201,
    summary="The borrower's application for early repayment (353-FZ art. 11)",
    responses=_WRITE,
)
def early_repayment(
    loan_id: IdPath,
    body: EarlyRepaymentIn,
    principal: Filer,
    ctx: RequestContext,
    session: WriteSession,
    _: Idempotency,
) -> EarlyRepaymentOut:
    return service.apply_early_repayment(session=session, loan_id=loan_id, body=body, ctx=ctx)


@router.post(
    "/loans/{loan_id}/payment-holidays",
    status_code=201,
    summary="Credit holidays on the borrower's demand (353-FZ art. 6.1-2)",
    responses=_WRITE,
)
def payment_holiday(
    loan_id: IdPath, body: HolidayIn, principal: Filer, ctx: RequestContext, session: WriteSession, _: Idempotency
) -> Loan:
    return service.grant_holiday(session=session, loan_id=loan_id, body=body, ctx=ctx)


@router.get("/loans", summary="Loans visible to the caller", responses=_READ)
def list_loans(
    principal: Reader,
    session: ReadSession,
    as_of: AsOf,
    day: Today,
    page: PageParams,
    manager_id: _Id = None,
    branch_id: _Id = None,
    partner_id: _Id = None,
    status: LoanStatus | None = None,
    bucket: Bucket | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    overdue: Annotated[bool | None, Query(description="true: the contact centre's overdue list")] = None,
) -> LoanPage:
    filters = LoanFilters(
        manager_id, branch_id, partner_id, status.value if status else None, bucket.value if bucket else None,
        due_from, due_to, overdue,
    )
    items, next_cursor = lists.loans(
        session=session, principal=principal, page=page, filters=filters, as_of=as_of, today=day
    )
    return LoanPage(items=items, next_cursor=next_cursor)


@router.get("/reminders", summary="Loans with a payment due in the next N days (contact centre)", responses=_READ)
def reminders(
    principal: Reader,
    session: ReadSession,
    day: Today,
    page: PageParams,
    within_days: Annotated[int, Query(ge=0, le=90)] = 7,
    manager_id: _Id = None,
    branch_id: _Id = None,
    partner_id: _Id = None,
) -> ReminderPage:
    filters = LoanFilters(manager_id, branch_id, partner_id)
    items, next_cursor = lists.reminders(
        session=session, principal=principal, page=page, filters=filters, within_days=within_days, today=day
    )
    return ReminderPage(items=items, next_cursor=next_cursor)


@router.get("/business-date", summary="The service's business date and the last closed day", responses=_READ)
def business_date(principal: Reader, session: ReadSession, day: Today) -> BusinessDate:
    return BusinessDate(business_date=day, closed_through=close_of_business.closed_through(session))
