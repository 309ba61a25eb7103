"""Quotes and offers: translate API shapes to the loan-maths core and back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

import numpy as np
from sqlmodel import Session

from app import loanmath
from app.core.errors import Unprocessable
from app.pricing import repository as psk_tables
from app.products import repository as products
from app.products import service as product_service
from app.products.eligibility import Applicant, ineligibility_reasons
from schemas.identity import Role
from schemas.quotes import (
    EarlyRepaymentRequest,
    MaxAmount,
    MaxAmountRequest,
    Offer,
    OfferRequest,
    Quote,
    QuoteRequest,
    ScheduleRow,
)


def terms_from(req: QuoteRequest, today: date) -> loanmath.LoanTerms:
    return loanmath.LoanTerms(
        amount=req.amount,
        annual_rate=req.annual_rate,
        term_months=req.term_months,
        issue_date=req.issue_date or today,
        method=loanmath.Method(req.method.value),
        day_count=loanmath.DayCount(req.day_count.value),
        upfront_fee=req.upfront_fee,
        monthly_fee=req.monthly_fee,
        grace_months=req.grace_months,
    )


def to_quote(schedule: loanmath.Schedule) -> Quote:
    return Quote.model_construct(
        regular_payment=schedule.regular_payment,
        payments=[
            ScheduleRow.model_construct(
                number=p.number,
                date=p.date,
                principal=p.principal,
                interest=p.interest,
                fee=p.fee,
                payment=p.payment,
                balance=p.balance,
            )
            for p in schedule.payments
        ],
        total_interest=schedule.total_interest,
        total_payments=schedule.total_payments,
        psk_percent=format(schedule.psk_percent, "f"),
        psk_amount=schedule.psk_amount,
    )


_CENT = Decimal("0.01")
_ROW = (
    '{"number":%d,"date":"%s","principal":"%s","interest":"%s","fee":"%s",'
    '"payment":"%s","balance":"%s"}'
)


def _money(v: Decimal) -> str:
    # exactly schemas.money's serializer: quantize to kopecks, plain notation
    return format(v.quantize(_CENT), "f")


def quote_json(schedule: loanmath.Schedule) -> bytes:
    """``to_quote(schedule).model_dump_json()``, byte for byte, without building models.

    A 360-month quote is 360 rows x 5 money fields: model_construct per row and pydantic's
    per-field Python serializer cost ~3x the schedule maths itself (profiled; see
    docs/benchmarks.md). The rows are written with ``%s``: the engine guarantees that every
    money value in a schedule row has exactly two decimal places (a property test holds it
    to that), and ``str()`` of such a Decimal, like ``str()`` of a date, is exactly what the
    schema writes; that skips a quantize and a format call per value (1,800 of them in a
    360-month quote). A property test holds the bytes equal to the models' JSON.
    """
    m = _money
    rows = ",".join(
        [_ROW % (p.number, p.date, p.principal, p.interest, p.fee, p.payment, p.balance) for p in schedule.payments]
    )
    regular = "null" if schedule.regular_payment is None else f'"{m(schedule.regular_payment)}"'
    return (
        f'{{"regular_payment":{regular},"payments":[{rows}],'
        f'"total_interest":"{m(schedule.total_interest)}","total_payments":"{m(schedule.total_payments)}",'
        f'"psk_percent":"{format(schedule.psk_percent, "f")}","psk_amount":"{m(schedule.psk_amount)}"}}'
    ).encode()


def _kopecks(v: int) -> str:
    # how schemas.money writes a Decimal with two places: plain notation, "-" when negative
    whole, cents = divmod(abs(v), 100)
    return f"{'-' if v < 0 else ''}{whole}.{cents:02d}"


@lru_cache(maxsize=64)
def _rows_template(dates: tuple[str, ...], fee: str) -> str:
    # The rows with number, date and fee written in and one "%d.%02d" per other money field:
    # a quote is then one % operation over integers (a 360-month quote: 1,440 money values).
    # Keyed by the dates tuple (itself cached per issue date and term) and the fee.
    return ",".join(
        f'{{"number":{k},"date":"{when}","principal":"%d.%02d","interest":"%d.%02d","fee":"{fee}",'
        f'"payment":"%d.%02d","balance":"%d.%02d"}}'
        for k, when in enumerate(dates, 1)
    )


def _row_values(s: loanmath.KopeckSchedule) -> list[int]:
    """Every row's principal, interest, payment and balance as whole roubles and kopecks."""
    columns = np.array((s.principal, s.interest, s.payment, s.balance), dtype=np.int64)
    whole, cents = np.divmod(columns, 100)  # row values are never negative
    out: list[int] = np.stack((whole, cents), axis=-1).transpose(1, 0, 2).ravel().tolist()
    return out


def kopeck_quote_json(s: loanmath.KopeckSchedule) -> bytes:
    """``quote_json`` of the same schedule computed in kopecks, byte for byte (tests hold it)."""
    rows = _rows_template(s.dates, _kopecks(s.fee)) % tuple(_row_values(s))
    regular = "null" if s.regular_payment is None else f'"{_kopecks(s.regular_payment)}"'
    return (
        f'{{"regular_payment":{regular},"payments":[{rows}],'
        f'"total_interest":"{_kopecks(s.total_interest)}","total_payments":"{_kopecks(s.total_payments)}",'
        f'"psk_percent":"{format(s.psk_percent, "f")}","psk_amount":"{_kopecks(s.psk_amount)}"}}'
    ).encode()


def quote_bytes(req: QuoteRequest, *, today: date) -> bytes:
    return kopeck_quote_json(loanmath.kopeck_schedule(terms_from(req, today)))


def early_repayment_bytes(req: EarlyRepaymentRequest, *, today: date) -> bytes:
    return quote_json(_early_schedule(req, today=today))


def max_amount(*, session: Session, req: MaxAmountRequest) -> MaxAmount:
    rate, limit = req.annual_rate, req.pdn_limit
    low: Decimal | None = None
    high: Decimal | None = None
    if req.product_code is not None:
        product = product_service.get(session=session, code=req.product_code)
        if not product.min_term_months <= req.term_months <= product.max_term_months:
            raise Unprocessable(
                f"term_months must be between {product.min_term_months} and "
                f"{product.max_term_months} for {product.code}"
            )
        rate = product.annual_rate
        limit = min(limit, product.pdn_limit) if limit is not None else product.pdn_limit
        low, high = product.min_amount, product.max_amount
    assert rate is not None and limit is not None
    result = loanmath.max_affordable_amount(
        monthly_income=req.monthly_income,
        monthly_debt_payments=req.monthly_debt_payments,
        annual_rate=rate,
        term_months=req.term_months,
        pdn_limit=limit,
        min_amount=low,
        max_amount=high,
    )
    return MaxAmount(
        max_amount=result.max_amount, regular_payment=result.regular_payment, pdn=result.pdn, annual_rate=rate
    )


def _early_schedule(req: EarlyRepaymentRequest, *, today: date) -> loanmath.Schedule:
    return loanmath.early_repayment(
        terms_from(req.terms, today),
        on=req.date,
        amount=req.amount,
        mode=loanmath.EarlyRepaymentMode(req.mode.value),
    )


def channel_for(role: Role, requested: str | None) -> str:
    if role is Role.PARTNER:
        return "pos"
    if role is Role.BRANCH:
        return "branch"
    return requested or "branch"


_MAX_SHOWN_PDN = Decimal(100)


def offers(*, session: Session, req: OfferRequest, role: Role, today: date) -> list[Offer]:
    """Every programme for this borrower, eligible ones first, each group by PSK."""
    channel = channel_for(role, req.channel.value if req.channel else None)
    applicant = Applicant(
        birth_date=req.borrower.birth_date,
        monthly_income=req.borrower.monthly_income,
        monthly_debt_payments=req.borrower.monthly_debt_payments,
    )
    out: list[Offer] = []
    for product in products.list_products(session):
        amount, term = req.wish.amount, req.wish.term_months
        rate = product.annual_rate
        payment = psk = ratio = None
        try:
            schedule = loanmath.build_schedule(
                loanmath.LoanTerms(
                    amount=amount,
                    annual_rate=rate,
                    term_months=term,
                    issue_date=today,
                )
            )
            payment = schedule.regular_payment
            psk = format(schedule.psk_percent, "f")
            assert payment is not None
            ratio = loanmath.pdn(applicant.monthly_income, applicant.monthly_debt_payments, payment)
        except loanmath.LoanMathError:
            pass
        reasons = ineligibility_reasons(
            product,
            applicant,
            amount=amount,
            term_months=term,
            channel=channel,
            on=today,
            pdn=ratio,
        )
        limit = None
        if psk is not None:  # 353-FZ art. 6 part 11: no contract above the PSK limit
            quarter, limit, _ = psk_tables.limit_on(
                session, product_code=product.code, amount=amount, on=today, last_due=schedule.payments[-1].date
            )
            if limit is not None and schedule.psk_percent > limit.limit_percent:
                reasons.append(
                    f"psk_limit: the PSK of {schedule.psk_percent} % is above the limit of {limit.limit_percent} % "
                    f"for category {limit.category} in {quarter}"
                )
        out.append(
            Offer(
                product_code=product.code,
                name=product.name,
                eligible=not reasons,
                reasons=reasons,
                amount=amount,
                term_months=term,
                annual_rate=rate,
                regular_payment=payment,
                psk_percent=psk,
                psk_limit_percent=None if limit is None else format(limit.limit_percent, "f"),
                # A PDN above the contract's ceiling (100, i.e. 10 000 %) cannot be shown;
                # the reasons already say the payment is unaffordable.
                pdn=ratio if ratio is None or ratio <= _MAX_SHOWN_PDN else None,
            )
        )
    out.sort(key=lambda o: (not o.eligible, Decimal(o.psk_percent or "1e9"), o.product_code))
    return out
