"""The credit agreement: issued from the approved terms within the PSK limit, signed, read back.

Issuing builds the schedule with the programme's day count, checks the PSK against the
limit of the contract date's quarter (353-FZ art. 6 part 11), fills the individual terms
of Ordinance 3240-U and, when the PDN is above 0.5, carries the written warning that the
borrower must acknowledge before signing (353-FZ art. 5.1).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from app import loanmath
from app.applications import individual_terms, repository
from app.applications.table import ApplicationRow
from app.applications.transitions import get_row, transition
from app.core.clock import utcnow
from app.core.context import Context
from app.core.errors import NotFound, Unprocessable
from app.core.security import Principal
from app.decisions.policy import load_policy
from app.pricing import pdn as pdn_rules
from app.pricing import repository as psk_tables
from app.pricing.limits import LimitInForce
from app.pricing.products import pricing_of
from schemas.applications import Application
from schemas.contracts import Contract

#: The lender as the agreement names it; the bank's legal name and licence go here.
LENDER = {"name": "Кредитная организация (кредитор)", "details": "Реквизиты кредитора по лицензии Банка России"}


def contract_terms(
    row: ApplicationRow, issue_date: date, day_count: loanmath.DayCount = loanmath.DayCount.ACTUAL_365
) -> loanmath.LoanTerms:
    assert row.annual_rate is not None
    return loanmath.LoanTerms(
        amount=row.amount, annual_rate=row.annual_rate, term_months=row.term_months, issue_date=issue_date,
        day_count=day_count,
    )


def psk_limit_check(
    session: Session, row: ApplicationRow, schedule: loanmath.Schedule, on: date, *, without_table: str
) -> LimitInForce | None:
    """The limit in force on ``on`` for the loan's category; 422 when the PSK exceeds it, or
    (policy ``refuse``) when no table covers the quarter or the category."""
    pricing = pricing_of(row.product_code)
    quarter, limit, loaded = psk_tables.limit_on(
        session, product_code=row.product_code, amount=row.amount, on=on, last_due=schedule.payments[-1].date
    )
    if limit is None:
        if without_table == "refuse":
            what = "no PSK limit table is loaded" if not loaded else (
                f"the {quarter} PSK limit table has no category for {pricing.purpose} loans "
                f"({'secured' if pricing.secured else 'unsecured'})"
            )
            raise Unprocessable(
                f"The contract cannot be issued: {what} for {quarter}. Load the Bank of Russia's table "
                f"for the quarter with 'loans psk-limits load FILE' (docs/pricing.md).",
                errors=[{"pointer": "#/psk_percent", "detail": f"no PSK limit for {quarter}"}],
                quarter=quarter,
            )
        return None
    if schedule.psk_percent > limit.limit_percent:
        raise Unprocessable(
            f"The PSK of {schedule.psk_percent} % exceeds the limit of {limit.limit_percent} % for "
            f"category {limit.category} ({limit.title}) in {quarter} (353-FZ art. 6 part 11).",
            errors=[{"pointer": "#/psk_percent",
                     "detail": f"above the limit of {limit.limit_percent} % (category {limit.category}, {quarter})"}],
            psk_percent=format(schedule.psk_percent, "f"),
            psk_limit_percent=format(limit.limit_percent, "f"),
            category=limit.category,
            quarter=quarter,
        )
    return limit


def issue_contract(*, session: Session, application_id: int, ctx: Context) -> Contract:
    row = get_row(session, application_id, ctx.principal, lock=True)
    transition(session, row, "issue_contract", ctx, None)
    pricing = pricing_of(row.product_code)
    schedule = loanmath.build_schedule(contract_terms(row, ctx.today, pricing.day_count))
    policy = load_policy(ctx.policy_path)
    limit = psk_limit_check(session, row, schedule, ctx.today, without_table=policy.psk_limit_without_table)
    warning = row.pdn is not None and row.pdn > pdn_rules.WARNING_PDN
    contract: dict[str, Any] = {
        "number": f"КД-{row.id:06d}",
        "issue_date": ctx.today.isoformat(),
        "amount": format(row.amount, "f"),
        "term_months": row.term_months,
        "purpose": row.purpose,
        "pricing_purpose": pricing.purpose,
        "annual_rate": format(row.annual_rate, "f"),
        "method": schedule_method(schedule),
        "day_count": pricing.day_count.value,
        "regular_payment": None if schedule.regular_payment is None else format(schedule.regular_payment, "f"),
        "psk_percent": format(schedule.psk_percent, "f"),
        "psk_amount": format(schedule.psk_amount, "f"),
        "psk_limit": None if limit is None else {
            "quarter": limit.quarter, "category": limit.category, "title": limit.title,
            "average_percent": format(limit.average_percent, "f"), "limit_percent": format(limit.limit_percent, "f"),
        },
        "pdn": None if row.pdn is None else format(row.pdn, "f"),
        "pdn_warning": pdn_rules.PDN_WARNING if warning else None,
        "total_payments": format(schedule.total_payments, "f"),
        "payments": [
            {
                "number": p.number,
                "date": p.date.isoformat(),
                "principal": format(p.principal, "f"),
                "interest": format(p.interest, "f"),
                "fee": format(p.fee, "f"),
                "payment": format(p.payment, "f"),
                "balance": format(p.balance, "f"),
            }
            for p in schedule.payments
        ],
        "issued_at": utcnow().isoformat(),
    }
    contract["individual_terms"] = individual_terms.fill(contract)
    row.contract = contract
    session.flush()
    return document(row)


def schedule_method(schedule: loanmath.Schedule) -> str:
    return "annuity" if schedule.regular_payment is not None else "differentiated"


def sign(
    *, session: Session, application_id: int, ctx: Context, pdn_warning_acknowledged: bool = False
) -> Application:
    row = get_row(session, application_id, ctx.principal, lock=True)
    transition(session, row, "sign", ctx, None)
    assert row.contract is not None
    if row.contract.get("pdn_warning") and not pdn_warning_acknowledged:
        raise Unprocessable(
            f"The borrower's PDN is {row.contract['pdn']}, above 0.5: the borrower must acknowledge the "
            "written warning in the contract before signing (353-FZ art. 5.1).",
            errors=[{"pointer": "#/pdn_warning_acknowledged", "detail": "must be true when the PDN is above 0.5"}],
        )
    row.contract = {
        **row.contract,
        "signed_at": utcnow().isoformat(),
        "pdn_warning_acknowledged": bool(row.contract.get("pdn_warning")) and pdn_warning_acknowledged,
    }
    session.flush()
    return repository.to_schema(session, row)


def get_contract_row(*, session: Session, application_id: int, principal: Principal) -> ApplicationRow:
    row = get_row(session, application_id, principal)
    if row.contract is None:
        raise NotFound(f"Application {application_id} has no contract yet.")
    return row


def document(row: ApplicationRow) -> Contract:
    """The agreement as data; a contract issued before the individual terms were stored gets
    them filled from its values, so every contract reads back with every row."""
    assert row.contract is not None and row.id is not None
    c = {
        "amount": format(row.amount, "f"), "term_months": row.term_months, "purpose": row.purpose,
        "pricing_purpose": pricing_of(row.product_code).purpose, **row.contract,
    }
    terms = c.get("individual_terms") or individual_terms.fill(c)
    passport = row.passport_number
    return Contract.model_validate({
        "application_id": row.id,
        "status": row.status,
        "number": c.get("number") or f"КД-{row.id:06d}",
        "date": c["issue_date"],
        "lender": LENDER,
        "borrower": {
            "name": row.full_name,
            "details": f"дата рождения {row.birth_date.isoformat()}, паспорт ****{passport[-4:]}",
        },
        "amount": c["amount"],
        "term_months": c["term_months"],
        "annual_rate": c["annual_rate"],
        "method": c["method"],
        "day_count": c["day_count"],
        "regular_payment": c.get("regular_payment"),
        "total_payments": c["total_payments"],
        "psk_percent": c["psk_percent"],
        "psk_amount": c["psk_amount"],
        "psk_limit": c.get("psk_limit"),
        "pdn": c.get("pdn") if "pdn" in c else (None if row.pdn is None else format(row.pdn, "f")),
        "pdn_warning": c.get("pdn_warning"),
        "individual_terms": terms,
        "payments": c["payments"],
        "issued_at": c["issued_at"],
        "signed_at": c.get("signed_at"),
        "pdn_warning_acknowledged": c.get("pdn_warning_acknowledged"),
    })

