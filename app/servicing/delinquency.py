"""The delinquency rule, written once: days past due, buckets, problem loans, first-payment default.

Every reader of the loan book (a loan, a portfolio, the flags, reminders, the dashboard,
the close of business) takes its thresholds from here, in Python or in SQL.
"""

from __future__ import annotations

from typing import Literal

Bucket = Literal["current", "1-30", "31-60", "61-90", "90+"]

#: Buckets in order; a bucket's upper bound in days past due (``None``: open-ended).
BUCKETS: tuple[Bucket, ...] = ("current", "1-30", "31-60", "61-90", "90+")
BUCKET_UPPER_DPD: tuple[int | None, ...] = (0, 30, 60, 90, None)
#: "Problem" loans: MORE than this many days past due (the "90+" bucket; 90 itself is 61-90).
PROBLEM_DPD = 90
#: First-payment default: the first instalment still unpaid this many days after its due date.
FPD_DAYS = 30


def dpd_bucket(days_past_due: int) -> Bucket:
    """The bucket of a number of days past due (Russian practice: "90+" is more than 90)."""
    for bucket, upper in zip(BUCKETS, BUCKET_UPPER_DPD, strict=True):
        if upper is None or days_past_due <= upper:
            return bucket
    raise AssertionError("unreachable")  # pragma: no cover


def bucket_index(days_past_due: int) -> int:
    return BUCKETS.index(dpd_bucket(days_past_due))
