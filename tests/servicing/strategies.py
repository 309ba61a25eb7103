"""Random loans and histories for the servicing properties: any amounts on any dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from app import loanmath
from app.loanmath import DayCount, EarlyRepaymentMode
from app.loanmath.calendar import add_months
from app.servicing import EarlyRepaymentRequest, History, Holiday, Instalment, Receipt, Terms


def schedule_of(terms: Terms, months: int) -> tuple[Instalment, ...]:
    sched = loanmath.build_schedule(
        loanmath.LoanTerms(
            amount=terms.amount,
            annual_rate=terms.annual_rate,
            term_months=months,
            issue_date=terms.issue_date,
            day_count=DayCount(terms.day_count),
        )
    )
    return tuple(Instalment(p.number, p.date, p.principal, p.interest, p.fee) for p in sched.payments)


@st.composite
def loans(
    draw: st.DrawFn,
    *,
    day_counts: tuple[DayCount, ...] = (DayCount.ACTUAL_365,),
    holidays: bool = False,
    paying: bool = False,
) -> tuple[Terms, tuple[Instalment, ...], History]:
    """A loan and its history. ``holidays`` adds up to two credit holidays that never overlap;
    ``paying`` adds a borrower who mostly pays: about one receipt per instalment, near its due
    date, of half to one and a half instalments (so loans also close, early or on time)."""
    issue = draw(st.dates(date(2023, 1, 1), date(2026, 6, 30)))
    amount = Decimal(draw(st.integers(10_000, 2_000_000))).scaleb(0) + Decimal(draw(st.integers(0, 99))) / 100
    months = draw(st.integers(1, 24))
    rate = Decimal(draw(st.integers(0, 3500))) / 100
    penalty_basis = draw(st.sampled_from(["annual", "daily"]))
    penalty = Decimal(draw(st.integers(0, 2000))) / 100 if penalty_basis == "annual" else Decimal(draw(st.integers(0, 10))) / 100
    terms = Terms(
        amount=amount,
        annual_rate=rate,
        issue_date=issue,
        day_count=draw(st.sampled_from(day_counts)),
        penalty_rate=penalty,
        penalty_basis=penalty_basis,  # type: ignore[arg-type]
    )
    schedule = schedule_of(terms, months)
    horizon = (schedule[-1].due_date - issue).days + 120
    instalment = max(i.principal + i.interest for i in schedule)
    receipts = draw(
        st.lists(
            st.tuples(st.integers(0, horizon), st.integers(1, int(instalment * 300))),
            max_size=12,
        )
    )
    if paying:
        for inst in schedule:
            if draw(st.integers(0, 9)):
                due = inst.principal + inst.interest
                day = (inst.due_date - issue).days + draw(st.integers(-5, 10))
                receipts.append((max(0, day), max(1, int(due * draw(st.integers(50, 150))))))
    early = draw(
        st.lists(
            st.tuples(
                st.integers(1, horizon),
                st.one_of(st.none(), st.integers(100, int(amount * 100))),
                st.sampled_from(list(EarlyRepaymentMode)),
            ),
            max_size=2,
        )
    )
    breaks: list[Holiday] = []
    if holidays:
        start = issue
        for n in range(1, draw(st.integers(0, 2)) + 1):
            start = start + timedelta(days=draw(st.integers(0, horizon // 2)))
            months = draw(st.integers(1, 6))
            breaks.append(Holiday(start, months, ref=n))
            start = add_months(start, months)
    history = History(
        holidays=tuple(breaks),
        receipts=tuple(
            Receipt(issue + timedelta(days=d), Decimal(k).scaleb(-2), ref=n) for n, (d, k) in enumerate(receipts, 1)
        ),
        early_repayments=tuple(
            EarlyRepaymentRequest(issue + timedelta(days=d), None if k is None else Decimal(k).scaleb(-2), mode, ref=n)
            for n, (d, k, mode) in enumerate(early, 1)
        ),
    )
    return terms, schedule, history
