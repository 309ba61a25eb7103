"""A loan as the API shows it: the engine's state read into the response shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.loans.table import EarlyRepaymentRow, LoanPaymentRow, LoanRow, PaymentHolidayRow
from app.servicing import LoanState, ReceiptSplit
from app.servicing import Payoff as PayoffState
from schemas.loans import (
    Allocation,
    EarlyRepaymentView,
    HolidayView,
    InstalmentView,
    Loan,
    LoanStatus,
    PaymentView,
    Payoff,
    RevisionView,
)

_PSK = Decimal("0.001")


def allocation(split: ReceiptSplit) -> Allocation:
    return Allocation(
        overdue_interest=split.overdue_interest,
        overdue_principal=split.overdue_principal,
        interest=split.interest,
        principal=split.principal,
        penalty=split.penalty,
        fees=split.fees,
        early_interest=split.early_interest,
        early_principal=split.early_principal,
        advance=split.advance,
    )


def payment(row: LoanPaymentRow, state: LoanState) -> PaymentView:
    split = next(s for s in state.receipts if s.ref == row.id)
    assert row.id is not None
    return PaymentView(
        id=row.id, paid_on=row.paid_on, amount=row.amount, received_at=row.received_at, allocation=allocation(split)
    )


def payoff(p: PayoffState) -> Payoff:
    return Payoff(
        on=p.on, principal=p.principal, interest=p.interest, penalty=p.penalty, fees=p.fees, total=p.total,
        advance=p.advance, to_pay=p.to_pay,
    )


def early_repayment(row: EarlyRepaymentRow, state: LoanState, *, today: date | None = None) -> EarlyRepaymentView:
    """The application as of ``state.as_of``; with ``today`` before its date it is pending and
    the figures are the projection of its date (``state`` is then the state on that date)."""
    outcome = next((o for o in state.early_repayments if o.ref == row.id), None)
    assert row.id is not None
    zero = Decimal("0.00")
    pending = row.on > (today or state.as_of)
    if outcome is None or not outcome.executed:
        return EarlyRepaymentView(
            id=row.id, applied_on=row.applied_on, on=row.on, requested=row.amount, mode=row.mode,
            status="pending" if pending else "not_executed", note=None if outcome is None else outcome.note,
            interest=zero, principal=zero, closed=False, revision=None,
        )
    return EarlyRepaymentView(
        id=row.id, applied_on=row.applied_on, on=row.on, requested=row.amount, mode=row.mode,
        status="pending" if pending else "executed", note=outcome.note,
        interest=outcome.interest, principal=outcome.principal, closed=outcome.closed, revision=outcome.revision,
    )


def loan(
    row: LoanRow,
    state: LoanState,
    *,
    early: list[EarlyRepaymentRow] | None = None,
    holidays: list[PaymentHolidayRow] | None = None,
) -> Loan:
    assert row.id is not None
    return Loan(
        id=row.id,
        application_id=row.application_id,
        product_code=row.product_code,
        manager_id=row.manager_id,
        channel=row.channel,
        branch_id=row.branch_id,
        partner_id=row.partner_id,
        amount=row.amount,
        annual_rate=row.annual_rate,
        term_months=row.term_months,
        issue_date=row.issue_date,
        psk_percent=format(row.psk_percent.quantize(_PSK), "f"),
        pd_at_issue=row.pd_at_issue,
        grade_at_issue=row.grade_at_issue,
        day_count=row.day_count,
        as_of=state.as_of,
        status=LoanStatus(state.status),
        closed_on=state.closed_on,
        days_past_due=state.days_past_due,
        bucket=state.bucket,
        paid_total=state.paid_total,
        paid_principal=state.paid_principal,
        paid_interest=state.paid_interest,
        paid_fee=state.paid_fee,
        paid_penalty=state.paid_penalty,
        received_total=state.received_total,
        advance=state.advance,
        outstanding_principal=state.principal_outstanding,
        overdue_principal=state.overdue_principal,
        overdue_interest=state.overdue_interest,
        overdue_total=state.overdue_total,
        accrued_interest=state.accrued_interest,
        penalty_outstanding=state.penalty_outstanding,
        penalty_rate=row.penalty_rate,
        penalty_basis=row.penalty_basis,
        next_due_date=state.next_due_date,
        next_due_amount=state.next_due_amount,
        first_payment_default=state.first_payment_default,
        schedule=[
            InstalmentView(
                number=i.number,
                due_date=i.due_date,
                principal=i.principal,
                interest=i.interest,
                fee=i.fee,
                payment=i.payment,
                paid=i.paid,
                status=i.status,
            )
            for i in state.instalments
        ],
        revisions=[
            RevisionView(
                number=r.number,
                on=r.on,
                reason=r.reason,
                balance=r.balance,
                psk_percent=None if r.psk_percent is None else format(r.psk_percent.quantize(_PSK), "f"),
            )
            for r in state.revisions
        ],
        early_repayments=[early_repayment(e, state) for e in early or []],
        holidays=[
            HolidayView(id=h.id or 0, start=h.start, months=h.months, applied_on=h.applied_on) for h in holidays or []
        ],
    )
