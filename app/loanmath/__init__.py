"""Exact-money loan mathematics: schedules, PSK (353-FZ), PDN, early repayment, batch.

Plain Python (``decimal``, ``datetime``, ``numpy``): no web, database or
validation framework imports, so every layer above can depend on it.
Conventions are in ``docs/loan-maths.md``.
"""

from .affordability import Affordability, max_affordable_amount, pdn
from .batch import (
    BatchSchedules,
    annuity_instalments_kop,
    annuity_schedules_batch,
    differentiated_schedules_batch,
)
from .calendar import (
    actual_day_fraction,
    add_months,
    days_30e_360,
    payment_dates,
    whole_months_between,
)
from .early_repayment import early_repayment
from .errors import LoanMathError
from .interest import accrued_interest
from .model import DayCount, EarlyRepaymentMode, KopeckSchedule, LoanTerms, Method, Payment, Schedule
from .money import CENT, to_money
from .psk import psk, psk_base_rate, psk_periods
from .schedule import annuity_payment, build_schedule, kopeck_schedule, validate_terms

__all__ = [
    "CENT",
    "Affordability",
    "BatchSchedules",
    "DayCount",
    "EarlyRepaymentMode",
    "KopeckSchedule",
    "LoanMathError",
    "LoanTerms",
    "Method",
    "Payment",
    "Schedule",
    "accrued_interest",
    "actual_day_fraction",
    "add_months",
    "annuity_instalments_kop",
    "annuity_payment",
    "annuity_schedules_batch",
    "build_schedule",
    "days_30e_360",
    "differentiated_schedules_batch",
    "early_repayment",
    "kopeck_schedule",
    "max_affordable_amount",
    "payment_dates",
    "pdn",
    "psk",
    "psk_base_rate",
    "psk_periods",
    "to_money",
    "validate_terms",
    "whole_months_between",
]
