"""The cooling-off period before a consumer loan's money may be paid out.

353-FZ art. 7 part 9.3 (added by Federal Law 9-FZ of 13.02.2025, in force from
1 September 2025): after the individual terms are signed the lender may not pay out a
loan of 50,000 to 200,000 roubles before 4 hours have passed, nor one above 200,000 before
48 hours; the borrower may refuse the loan in that time. Loans under 50,000 are not
covered, nor mortgages, education loans, car loans paid to the seller, loans taken in a
shop in the borrower's presence (our POS channel), refinancing, and loans with
co-borrowers or guarantors; a product states whether the rule applies (``cooling_off``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

LOWER = Decimal(50_000)
UPPER = Decimal(200_000)
SHORT = timedelta(hours=4)
LONG = timedelta(hours=48)
#: channels where the borrower signs in person in the seller's shop (exempt)
IN_STORE_CHANNELS = frozenset({"pos"})


def waiting_time(*, amount: Decimal, product_applies: bool, channel: str) -> timedelta:
    """How long after signing the money must wait (zero when the rule does not apply)."""
    if not product_applies or channel in IN_STORE_CHANNELS or amount < LOWER:
        return timedelta(0)
    return SHORT if amount <= UPPER else LONG


def not_before(*, signed_at: datetime, amount: Decimal, product_applies: bool, channel: str) -> datetime:
    """The first moment the loan may be paid out."""
    return signed_at + waiting_time(amount=amount, product_applies=product_applies, channel=channel)
