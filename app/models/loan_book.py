"""The loan book: loans with their stored state, schedules, money received, the borrower's
applications (early repayment, credit holidays), bucket transitions and month-end snapshots."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.clock import utcnow
from app.core.columns import MONEY, RATE, UTCDateTime

ZERO = Decimal("0.00")


def _money(default: Decimal | None = ZERO, *, nullable: bool = False) -> Decimal:
    return Field(default=default, sa_column=Column(MONEY, nullable=nullable))  # type: ignore[no-any-return]


class LoanRow(SQLModel, table=True):
    __tablename__ = "loan"
    __table_args__ = (
        Index("ix_loan_open_events", "status", "next_event_date"),
        Index("ix_loan_manager_state", "manager_id", "status", "bucket"),
        Index("ix_loan_next_due", "next_due_date", "id"),
        Index("ix_loan_overdue_since", "overdue_since_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Unique: one application can never become two loans, whatever the concurrency.
    application_id: int = Field(foreign_key="application.id", unique=True)
    product_code: str = Field(foreign_key="product.code", max_length=40)
    manager_id: str = Field(foreign_key="manager.id", max_length=64, index=True)
    channel: str = Field(max_length=10)
    branch_id: str | None = Field(default=None, max_length=64, index=True)
    partner_id: str | None = Field(default=None, max_length=64, index=True)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    annual_rate: Decimal = Field(sa_column=Column(RATE, nullable=False))
    term_months: int
    method: str = Field(max_length=16)
    day_count: str = Field(max_length=12)
    issue_date: date = Field(index=True)
    pd_at_issue: float
    grade_at_issue: str = Field(max_length=8)
    psk_percent: Decimal = Field(sa_column=Column(RATE, nullable=False))
    penalty_rate: Decimal = Field(default=Decimal(0), sa_column=Column(RATE, nullable=False))
    penalty_basis: str = Field(default="annual", max_length=8)
    targeted: bool = False
    pdn: Decimal | None = Field(default=None, sa_column=Column(RATE, nullable=True))
    # First instalment's due date + 30 days: a plain column so SQL can test first-payment
    # default as of any date without dialect-specific date arithmetic.
    fpd_deadline: date = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    # -- the stored state (app.servicing.book.BookState), as of state_date ----------------
    state_date: date
    status: str = Field(default="active", max_length=10, index=True)
    closed_on: date | None = None
    principal_outstanding: Decimal = _money()
    overdue_principal: Decimal = _money()
    overdue_interest: Decimal = _money()
    overdue_fee: Decimal = _money()
    due_today_principal: Decimal = _money()
    due_today_interest: Decimal = _money()
    due_today_fee: Decimal = _money()
    oldest_unpaid_due: date | None = None
    # the same date as a day number, so SQL computes days past due on any database
    overdue_since_day: int | None = None
    days_past_due: int = 0
    bucket: str = Field(default="current", max_length=8, index=True)
    first_due_date: date
    fpd_applies: bool = True
    first_settled_on: date | None = None
    first_payment_default: bool = False
    next_due_date: date | None = None
    next_due_amount: Decimal | None = _money(None, nullable=True)
    upcoming_due_date: date | None = None
    upcoming_due_amount: Decimal | None = _money(None, nullable=True)
    next_event_date: date | None = None
    advance: Decimal = _money()
    received_total: Decimal = _money()
    paid_principal: Decimal = _money()
    paid_interest: Decimal = _money()
    paid_fee: Decimal = _money()
    paid_penalty: Decimal = _money()
    accrued_interest: Decimal = _money()
    penalty_accrued: Decimal = _money()
    period_start: date
    # exact accruals (1/DEN kopeck, app.servicing.accrual), beyond 64 bits: kept as text
    accrual_units: str = Field(default="0", sa_column=Column(String(60), nullable=False))
    carried_interest: Decimal = _money()
    interest_base: Decimal = _money()
    penalty_units: str = Field(default="0", sa_column=Column(String(60), nullable=False))
    penalty_base: Decimal = _money()


class LoanInstalmentRow(SQLModel, table=True):
    """The contractual schedule (revision 0); later revisions are replayed, never stored."""

    __tablename__ = "loan_instalment"
    __table_args__ = (UniqueConstraint("loan_id", "revision", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(foreign_key="loan.id", index=True)
    revision: int = Field(default=0, description="0 the contract")
    number: int
    due_date: date
    principal: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    interest: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    fee: Decimal = Field(sa_column=Column(MONEY, nullable=False))


class LoanPaymentRow(SQLModel, table=True):
    __tablename__ = "loan_payment"

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(foreign_key="loan.id", index=True)
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    paid_on: date
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class EarlyRepaymentRow(SQLModel, table=True):
    """A borrower's application for early repayment (353-FZ art. 11), run on its date."""

    __tablename__ = "loan_early_repayment"

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(foreign_key="loan.id", index=True)
    applied_on: date
    on: date
    amount: Decimal | None = _money(None, nullable=True)
    mode: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class PaymentHolidayRow(SQLModel, table=True):
    """Credit holidays on the borrower's demand (353-FZ art. 6.1-2)."""

    __tablename__ = "loan_payment_holiday"

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(foreign_key="loan.id", index=True)
    applied_on: date
    start: date
    months: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class BucketTransitionRow(SQLModel, table=True):
    """A loan moving between delinquency buckets on a date: the data of roll-rate matrices."""

    __tablename__ = "loan_bucket_transition"
    __table_args__ = (
        UniqueConstraint("loan_id", "on", "to_bucket"),
        Index("ix_bucket_transition_on", "on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(foreign_key="loan.id")
    on: date
    from_bucket: str = Field(max_length=8)
    to_bucket: str = Field(max_length=8)


class MonthEndRow(SQLModel, table=True):
    """Every loan at a month's end: the data of vintage curves and past-month reports."""

    __tablename__ = "loan_month_end"
    __table_args__ = (Index("ix_month_end_manager", "month_end", "manager_id"),)

    month_end: date = Field(primary_key=True)
    loan_id: int = Field(primary_key=True, foreign_key="loan.id")
    manager_id: str = Field(max_length=64)
    issue_month: str = Field(max_length=7)
    status: str = Field(max_length=10)
    bucket: str = Field(max_length=8)
    days_past_due: int
    principal_outstanding: Decimal = _money()
    overdue_total: Decimal = _money()
    penalty_outstanding: Decimal = _money()
    first_payment_default: bool = False
    fpd_observable: bool = False
    pd_at_issue: float


class BookCloseRow(SQLModel, table=True):
    """One chunk of one close of business: done chunks are skipped when a run is resumed."""

    __tablename__ = "book_close_chunk"

    business_date: date = Field(primary_key=True)
    chunk: int = Field(primary_key=True)
    first_id: int
    last_id: int
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    loans: int = 0


class BookDateRow(SQLModel, table=True):
    """The last business date the book was closed for (one row)."""

    __tablename__ = "book_date"

    id: int = Field(default=1, primary_key=True)
    closed_through: date
    closed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
