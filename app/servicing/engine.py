"""The servicing engine: replay a loan's history, day by day, to its state on a date.

One rule for every reader, as Federal Law 353-FZ reads (docs/servicing-rules.md cites each):

* interest accrues to the day on the principal actually outstanding (art. 11: the
  borrower pays interest for the time the money was used); an instalment's interest is
  what accrued in its period, so a loan paid on time pays exactly its schedule;
* money received pays what is due in the legal order (art. 5 part 20, as amended by
  607-FZ from 1 July 2024): overdue interest, overdue principal, interest of the current
  period, principal of the current period, the penalty, other payments (fees); anything
  beyond is an advance held on the loan for the next due dates, never silently an early
  repayment;
* an early repayment happens on the borrower's application, on its date: interest to the
  day, then principal, and the rest of the schedule is recomputed (reduce term or
  payment) as a new revision with its own PSK, or the loan closes;
* the penalty accrues day by day on the overdue amount, within the caps of art. 5 part 21
  (terms above them are refused);
* credit holidays (art. 6.1-2) defer the instalments of their months, and the interest of
  those months, to after the end of the term; holidays never overlap;
* after maturity, interest still accruing on the debt is payable as it accrues.

Plain Python on integer kopecks (exact accrual in ``app.servicing.accrual`` units); no web,
database or validation framework. Invalid input raises :class:`~app.loanmath.LoanMathError`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from app.loanmath import DayCount, EarlyRepaymentMode, LoanMathError, Method, annuity_payment
from app.loanmath.calendar import add_months, days_30e_360
from app.loanmath.schedule import amortize, schedule_factors
from app.servicing import accrual, reporting
from app.servicing.model import (
    PENALTY_CAP,
    EarlyRepaymentOutcome,
    EarlyRepaymentRequest,
    History,
    Holiday,
    Instalment,
    LoanState,
    PenaltyBasis,
    Revision,
    Terms,
)
from app.servicing.rows import CENT, Row, Split, as_day, to_dec, to_kop


class Replay:
    """The loan being replayed; every amount is integer kopecks, accruals in exact units."""

    def __init__(self, terms: Terms, schedule: Sequence[Instalment]) -> None:
        self.amount = to_kop(terms.amount, "amount", positive=True)
        self.rate = accrual.rate_bp(Decimal(terms.annual_rate))
        try:
            self.day_count = DayCount(terms.day_count)
            self.method = Method(terms.method)
            self.penalty_basis = PenaltyBasis(terms.penalty_basis)
        except ValueError as exc:
            raise LoanMathError(str(exc)) from exc
        self.penalty_rate = accrual.rate_bp(Decimal(terms.penalty_rate), "penalty_rate")
        cap = PENALTY_CAP[self.penalty_basis]
        if Decimal(terms.penalty_rate) > cap:
            per = "a year while interest accrues" if self.penalty_basis is PenaltyBasis.ANNUAL else "a day"
            raise LoanMathError(
                f"penalty_rate {terms.penalty_rate} exceeds the cap of 353-FZ art. 5 part 21 for a "
                f"{self.penalty_basis.value} penalty: {cap} % {per}"
            )
        self.annual_rate = Decimal(terms.annual_rate)
        self.issue = as_day(terms.issue_date, "issue_date")
        self.rows = self._contract_rows(schedule)
        self.cursor = 0  # rows[:cursor] are due (processed); see _next_row
        self.first_due = self.rows[0].due
        self.first_row: Row | None = self.rows[0]  # None once a holiday deferred it
        self.principal = self.amount
        self.t = self.issue
        self.period_start = self.issue
        self.accrued = 0  # interest units accrued since period_start
        self.carried = 0  # kopecks of interest already due at the next due date (a short early repayment)
        self.penalty_units = 0
        self.penalty_paid = 0
        self.post_maturity_paid = 0  # interest paid after maturity (on no row)
        self.pool: deque[list[int]] = deque()  # advance cash: [split index, kopecks left], oldest first
        self.splits: list[Split] = []
        self.revisions: list[Revision] = []
        self.outcomes: list[EarlyRepaymentOutcome] = []
        self.closed_on: date | None = None
        self.holiday_ends: dict[date, list[int]] = {}  # holiday end -> the holidays (indices) ending then
        self.holidays_seen = 0
        self.revisions.append(reporting.revision(self, 0, self.issue, "contract", psk_percent=None))

    # -- setup ----------------------------------------------------------------------------

    def _contract_rows(self, schedule: Sequence[Instalment]) -> list[Row]:
        if not schedule:
            raise LoanMathError("the schedule has no instalments")
        rows: list[Row] = []
        prev = self.issue
        for k, inst in enumerate(schedule, start=1):
            if inst.number != k:
                raise LoanMathError(f"instalments must be numbered 1..n in order (got {inst.number} at {k})")
            due = as_day(inst.due_date, "due_date")
            if due <= prev:
                raise LoanMathError(f"instalment {k} is due {due}, not after {prev}")
            prev = due
            rows.append(
                Row(k, due, to_kop(inst.principal, "principal"), to_kop(inst.fee, "fee"),
                    to_kop(inst.interest, "interest"))
            )
        if sum(r.principal for r in rows) != self.amount:
            raise LoanMathError("the instalments' principal must sum to the loan amount")
        return rows

    # -- accrual ----------------------------------------------------------------------------

    def _due_rows(self) -> list[Row]:
        """Rows already due (they form a prefix of ``rows``: rows fall due in date order)."""
        self._next_row()
        return self.rows[: self.cursor]

    def _overdue_base(self) -> tuple[int, int]:
        """(overdue principal, overdue interest) of rows already due and not paid."""
        p = i = 0
        for r in self._due_rows():
            if not r.settled:
                p += r.principal - r.paid_p
                i += r.interest - r.paid_i
        return p, i

    def _accrue(self, until: date) -> None:
        """Accrue interest and penalty over ``[t, until)`` on the bases of the end of ``t``."""
        if until <= self.t or self.closed_on is not None:
            self.t = max(self.t, until)
            return
        over_p, over_i = self._overdue_base()
        self.accrued += self._interest_base(over_p) * self.rate * self._weight(self.t, until)
        overdue = over_p + over_i
        if overdue and self.penalty_rate:
            w = (
                accrual.actual_weight(self.t, until)
                if self.penalty_basis is PenaltyBasis.ANNUAL
                else accrual.daily_weight(self.t, until)
            )
            self.penalty_units += overdue * self.penalty_rate * w
        self.t = until

    def _interest_base(self, overdue_principal: int | None = None) -> int:
        """Principal that earns interest: all of it, or (a per-day penalty) none that is overdue."""
        if self.penalty_basis is PenaltyBasis.DAILY:
            if overdue_principal is None:
                overdue_principal = self._overdue_base()[0]
            return self.principal - overdue_principal
        return self.principal

    def _next_row(self) -> Row | None:
        """The first row not yet due. Rows due always form a prefix of ``rows`` (a holiday or a
        recomputation replaces only rows not yet due), so a cursor finds it."""
        rows = self.rows
        i = self.cursor if self.cursor <= len(rows) else 0
        while i < len(rows) and rows[i].processed:
            i += 1
        self.cursor = i
        return rows[i] if i < len(rows) else None

    def _weight(self, start: date, end: date) -> int:
        """Year weight of ``[start, end)``, a piece of the current period (``start >= period_start``)."""
        if end <= start:
            return 0
        if self.day_count is not DayCount.THIRTY_360:
            return accrual.actual_weight(start, end)
        return (self._days_30(end) - self._days_30(start)) * accrual.DAY_30

    def _days_30(self, day: date) -> int:
        """30/360 days from ``period_start`` to ``day``. A whole scheduled month is exactly 30
        days whatever its calendar length, however receipts split it: its 30E/360 count is
        capped at 30 before its due date and is 30 on it. A broken period counts 30E/360 days."""
        if day <= self.period_start:
            return 0
        days = days_30e_360(self.period_start, day)
        nxt = self._next_row()
        if nxt is not None and nxt.whole_period and day <= nxt.due:
            return 30 if day == nxt.due else min(days, 30)
        return days

    def _penalty_outstanding(self) -> int:
        return accrual.to_kopecks(self.penalty_units) - self.penalty_paid

    # -- one day ----------------------------------------------------------------------------

    def _fall_due(self, day: date) -> None:
        while (r := self._next_row()) is not None and r.due == day:
            r.interest = accrual.to_kopecks(self.accrued) + self.carried + r.deferred_interest
            self.accrued, self.carried, self.period_start = 0, 0, day
            r.processed = True
            if r.settled:  # nothing to pay (a zero row): settled on its date
                r.settled_on = day

    def _take(self, kind: str, want: int) -> int:
        """Take up to ``want`` kopecks from the pool (oldest money first), booked as ``kind``."""
        got = 0
        while want > got and self.pool:
            entry = self.pool[0]
            take = min(entry[1], want - got)
            entry[1] -= take
            got += take
            self.splits[entry[0]].parts[kind] += take
            if not entry[1]:
                self.pool.popleft()
        return got

    def _allocate(self, day: date) -> None:
        """Apply the pool to what is due, in the legal order (353-FZ art. 5 part 20)."""
        if not self.pool:
            return
        due = [r for r in self._due_rows() if not r.settled]
        overdue = [r for r in due if r.due < day]
        current = [r for r in due if r.due == day]
        for r in overdue:  # 1) overdue interest, oldest first
            r.paid_i += self._take("overdue_interest", r.interest - r.paid_i)
        for r in overdue:  # 2) overdue principal
            paid = self._take("overdue_principal", r.principal - r.paid_p)
            r.paid_p += paid
            self.principal -= paid
        for r in current:  # 3) interest of the current period
            r.paid_i += self._take("interest", r.interest - r.paid_i)
        if self.pool and self._next_row() is None:
            # after maturity the interest still accruing on the debt is payable as it accrues
            owed = accrual.to_kopecks(self.accrued) + self.carried
            paid = self._take("interest", owed)
            if paid:
                self.accrued, self.carried, self.period_start = 0, owed - paid, day
                self.post_maturity_paid += paid
        for r in current:  # 4) principal of the current period
            paid = self._take("principal", r.principal - r.paid_p)
            r.paid_p += paid
            self.principal -= paid
        owed = self._penalty_outstanding()  # 5) the penalty
        if owed > 0:
            self.penalty_paid += self._take("penalty", owed)
        for r in overdue + current:  # 6) other payments: fees
            r.paid_f += self._take("fees", r.fee - r.paid_f)
        for r in overdue + current:
            if r.settled and r.settled_on is None:
                r.settled_on = day

    def _deferred_total(self) -> int:
        """Holiday interest carried to rows not yet due."""
        return sum(r.deferred_interest for r in self.rows if not r.processed)

    def _maybe_close(self, day: date) -> None:
        if self.closed_on is not None or self.principal:
            return
        if (
            all(r.settled for r in self.rows if r.processed)
            and self._penalty_outstanding() <= 0
            and accrual.to_kopecks(self.accrued) + self.carried == 0
            and self._deferred_total() == 0
        ):
            # nothing is owed: rows not yet due carry no principal and no longer fall due
            if self.first_row is not None and not self.first_row.processed:
                self.first_row = None  # closed before the first due date: never a first-payment default
            self.rows = [r for r in self.rows if r.processed]
            self.closed_on = day

    # -- early repayment ----------------------------------------------------------------------

    def _early_repayment(self, req: EarlyRepaymentRequest) -> None:
        day = req.on
        cash = sum(e[1] for e in self.pool)
        current = accrual.to_kopecks(self.accrued) + self.carried
        deferred = self._deferred_total()
        due_interest = deferred + current  # interest to the day (art. 11), holiday interest included
        fees = sum(r.fee - r.paid_f for r in self.rows if r.processed)
        overdue_p, overdue_i = self._overdue_base()
        payoff = self.principal + due_interest + overdue_i + self._penalty_outstanding() + fees
        requested = None if req.amount is None else to_kop(req.amount, "early repayment amount", positive=True)
        budget = cash if requested is None else min(requested, cash)
        full = budget >= payoff
        note = (
            "the loan is closed" if self.closed_on is not None
            else "the money held did not clear the overdue debt" if overdue_p or overdue_i
            else "no money held on the loan" if budget <= 0
            else None
        )
        if note is not None:
            self.outcomes.append(
                EarlyRepaymentOutcome(req.ref, day, req.amount, req.mode, False, to_dec(0), to_dec(0),
                                      self.closed_on is not None, None, note)
            )
            return
        if full:
            budget = payoff
        interest = self._take("early_interest", min(budget, due_interest))
        # the oldest interest first: the holiday interest deferred to rows, then the current period's
        left = min(interest, deferred)
        for r in self.rows:
            if left and not r.processed and r.deferred_interest:
                cut = min(left, r.deferred_interest)
                r.deferred_interest -= cut
                left -= cut
        self.carried = current - (interest - min(interest, deferred))
        self.accrued, self.period_start = 0, day
        principal = self._take("early_principal", min(budget - interest, self.principal))
        self.principal -= principal
        if self.principal == 0 and self.carried == 0 and self._deferred_total() == 0:
            owed = self._penalty_outstanding()
            if owed > 0:
                self.penalty_paid += self._take("penalty", owed)
            for r in self.rows:
                if r.processed:
                    r.paid_f += self._take("fees", r.fee - r.paid_f)
        revision = None
        if self.principal:
            revision = len(self.revisions)
            self._recompute(day, req.mode)
            psk_now = reporting.psk_from(self, day)
            self.revisions.append(reporting.revision(self, revision, day, "early_repayment", psk_percent=psk_now))
        self._maybe_close(day)
        self.outcomes.append(
            EarlyRepaymentOutcome(req.ref, day, req.amount, req.mode, True, to_dec(interest), to_dec(principal),
                                  self.closed_on is not None, revision)
        )

    def _recompute(self, day: date, mode: EarlyRepaymentMode) -> None:
        """Rows not yet due, on the reduced principal, from ``day`` (the new accrual start)."""
        rest = [r for r in self.rows if not r.processed]
        if not rest:
            return
        keep = mode is EarlyRepaymentMode.REDUCE_TERM
        grace = 0
        while grace < len(rest) - 1 and not rest[grace].principal:
            grace += 1
        repaying = len(rest) - grace
        balance = to_dec(self.principal)
        body = rest[:-1]
        instalment: Decimal | None = None
        step: Decimal | None = None
        if self.method is Method.ANNUITY:
            kept = max((r.principal + r.planned_interest for r in body if r.principal), default=None)
            instalment = (
                to_dec(kept) if keep and kept is not None else annuity_payment(balance, self.annual_rate, repaying)
            )
        else:
            kept = max((r.principal for r in body if r.principal), default=None)
            step = to_dec(kept) if keep and kept is not None else (balance / repaying).quantize(CENT)
        dates = [r.due for r in rest]
        new = amortize(
            balance=balance,
            annual_rate=self.annual_rate,
            dates=dates,
            factors=schedule_factors(day, dates, self.day_count, first_whole=False),
            grace=grace,
            instalment=instalment,
            principal_step=step,
            fee=Decimal(0),
            first_number=rest[0].number,
            stop_when_paid=keep,
        )
        kept_rows = [r for r in self.rows if r.processed]
        fresh: list[Row] = []
        for j, p in enumerate(new):
            old = rest[j]
            fresh.append(
                Row(p.number, p.date, to_kop(p.principal, "principal"), old.fee, to_kop(p.interest, "interest"),
                     deferred_interest=old.deferred_interest, deferred=old.deferred,
                     whole_period=j > 0 and old.whole_period, holiday=old.holiday)
            )
        last = fresh[-1]
        for old in rest[len(fresh):]:
            # a shorter term ends earlier: the holiday interest the dropped rows carried moves to
            # the new last row, and a holiday still running sends its interest there
            last.deferred_interest += old.deferred_interest
            if old.holiday is not None and last.holiday is None:
                last.holiday = old.holiday
            last.deferred = last.deferred or old.deferred
        if self.first_row is not None and not self.first_row.processed:
            self.first_row = fresh[0]  # the first instalment of the schedule in force
        self.rows = kept_rows + fresh

    # -- holidays ----------------------------------------------------------------------------

    def _holiday(self, h: Holiday) -> None:
        """Defer the rows due in ``[start, start + months)`` to after the last row (and after the
        holiday's end), one a month; interest keeps accruing and goes with them."""
        start = h.start
        end = add_months(start, h.months)
        hid = self.holidays_seen
        self.holidays_seen += 1
        inside = [r for r in self.rows if not r.processed and start <= r.due < end]
        if not inside:
            return
        rest = [r for r in self.rows if all(r is not x for x in inside)]
        after = [r for r in rest if not r.processed]  # rows still due after the holiday
        last = max(rest[-1].due if rest else inside[-1].due, inside[-1].due)
        skip = 0  # never defer a row into the holiday itself
        while add_months(last, skip + 1) < end:
            skip += 1
        if self.first_row is not None and any(self.first_row is r for r in inside):
            self.first_row = None
        moved = []
        for k, r in enumerate(inside, start=1):
            moved.append(Row(0, add_months(last, skip + k), r.principal, r.fee, r.planned_interest, deferred=True,
                              holiday=hid))
        moved[0].whole_period = bool(after) and skip == 0
        if after:
            after[0].whole_period = False  # its period now runs from the holiday's end
        self.rows = rest + moved
        for n, r in enumerate(self.rows, start=1):
            r.number = n
        self.holiday_ends.setdefault(end, []).append(hid)
        self.revisions.append(reporting.revision(self, len(self.revisions), start, "holiday", psk_percent=None))

    def _end_holiday(self, day: date) -> None:
        """The interest of the holiday months goes with the deferred rows, after the term."""
        for hid in self.holiday_ends.pop(day, []):
            interest = accrual.to_kopecks(self.accrued) + self.carried
            rest = [r for r in self.rows if not r.processed]
            if not rest:
                continue  # nothing left to carry it: it stays payable as it accrued
            self.accrued, self.carried, self.period_start = 0, 0, day
            target = next((r for r in rest if r.holiday == hid), None) or rest[-1]
            target.deferred_interest += interest
            rest[0].whole_period = False



def replay(terms: Terms, schedule: Sequence[Instalment], history: History, *, as_of: date) -> LoanState:
    """The loan at the end of ``as_of``: every event dated up to it, in date order.

    On one date: instalments fall due, money received joins what the loan holds, the
    holdings pay what is due in the legal order, then applications for early repayment
    of that date run. Receipts and applications dated after ``as_of`` are not applied
    (applications are reported as pending).
    """
    as_of = as_day(as_of, "as_of")
    loan = Replay(terms, schedule)
    if as_of < loan.issue:
        raise LoanMathError(f"as_of {as_of} precedes the issue date {loan.issue}")
    receipts = sorted(history.receipts, key=lambda r: (as_day(r.paid_on, "paid_on"), r.ref))
    for rec in receipts:
        if rec.paid_on < loan.issue:
            raise LoanMathError(f"a receipt dated {rec.paid_on} precedes the issue date {loan.issue}")
    requests = sorted(history.early_repayments, key=lambda e: (as_day(e.on, "early repayment date"), e.ref))
    holidays = sorted(history.holidays, key=lambda h: (as_day(h.start, "holiday start"), h.ref))
    prev_end: date | None = None
    for h in holidays:
        if h.start < loan.issue:
            raise LoanMathError("a holiday cannot start before the issue date")
        if isinstance(h.months, bool) or not isinstance(h.months, int) or not 1 <= h.months <= 6:
            raise LoanMathError("credit holidays last 1 to 6 months (353-FZ art. 6.1-2)")
        if prev_end is not None and h.start < prev_end:
            raise LoanMathError(f"a holiday from {h.start} would overlap the one running until {prev_end}")
        prev_end = add_months(h.start, h.months)
    ri = ei = hi = 0
    while True:
        candidates = []
        if loan.closed_on is None:
            nxt = loan._next_row()
            if nxt is not None:
                candidates.append(nxt.due)
            candidates += loan.holiday_ends
        if ri < len(receipts):
            candidates.append(receipts[ri].paid_on)
        if ei < len(requests):
            candidates.append(requests[ei].on)
        if hi < len(holidays):
            candidates.append(holidays[hi].start)
        if not candidates or min(candidates) > as_of:
            break
        day = min(candidates)
        loan._accrue(day)
        while hi < len(holidays) and holidays[hi].start == day:
            if loan.closed_on is None:
                loan._holiday(holidays[hi])
            hi += 1
        if loan.closed_on is None:
            loan._end_holiday(day)
            loan._fall_due(day)
        while ri < len(receipts) and receipts[ri].paid_on == day:
            amount = to_kop(receipts[ri].amount, "receipt amount", positive=True)
            loan.splits.append(Split(receipts[ri].ref, day, amount))
            loan.pool.append([len(loan.splits) - 1, amount])
            ri += 1
        if loan.closed_on is None:
            loan._allocate(day)
        while ei < len(requests) and requests[ei].on == day:
            loan._early_repayment(requests[ei])
            ei += 1
        loan._maybe_close(day)
    loan._accrue(as_of)
    for req in requests[ei:]:
        loan.outcomes.append(
            EarlyRepaymentOutcome(req.ref, req.on, req.amount, req.mode, False, to_dec(0), to_dec(0), False, None)
        )
    pending = [req.on for req in requests[ei:]] + [h.start for h in holidays[hi:]]
    return reporting.state(loan, as_of, holidays, pending)
