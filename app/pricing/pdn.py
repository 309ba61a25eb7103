"""PDN (debt-load ratio) by Bank of Russia Ordinance 6579-U (as amended by 6806-U), as values.

PDN = (sum of the borrower's average monthly payments) / (average monthly income). The
payments are the new loan's, this bank's own open loans' (it knows their schedules) and
the obligations the borrower declares elsewhere. A loan repaid in equal monthly payments
counts its payment; any other schedule counts the ordinance's average payment, an annuity
at the PSK over the remaining term. Above 0.5 the lender must warn the borrower in
writing (353-FZ art. 5.1) before the agreement is signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app import loanmath
from app.loanmath.money import CTX

_CENT = Decimal("0.01")
#: The PDN above which the borrower is warned in writing and must acknowledge it.
WARNING_PDN = Decimal("0.5")
PDN_WARNING = (
    "Показатель долговой нагрузки заемщика превышает 50 процентов: существует высокий риск "
    "неисполнения заемщиком обязательств по договору потребительского кредита и применения к нему "
    "штрафных санкций."
)


def average_payment_by_psk(debt: Decimal, psk_percent: Decimal, months: int) -> Decimal:
    """The ordinance's average monthly payment of a loan without equal payments: an annuity
    of ``debt`` at the PSK (percent a year, monthly rate PSK/1200) over ``months``."""
    if months <= 0 or debt <= 0:
        return Decimal(0)
    if psk_percent == 0:
        return CTX.divide(debt, Decimal(months)).quantize(_CENT, rounding=ROUND_HALF_UP)
    r = CTX.divide(psk_percent, Decimal(1200))
    factor = CTX.divide(r, CTX.subtract(Decimal(1), CTX.power(CTX.add(Decimal(1), r), -months)))
    return CTX.multiply(debt, factor).quantize(_CENT, rounding=ROUND_HALF_UP)


def own_loan_payment(remaining: Sequence[Decimal]) -> Decimal:
    """The average monthly payment of one of this bank's loans from its remaining schedule
    (for an annuity, its payment): the remaining instalments' total over their number."""
    if not remaining:
        return Decimal(0)
    return CTX.divide(sum(remaining, Decimal(0)), Decimal(len(remaining))).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class PdnResult:
    pdn: Decimal
    new_payment: Decimal
    own_loans_payments: Decimal
    own_loans: int
    declared_payments: Decimal
    income: Decimal
    income_source: str

    @property
    def warning(self) -> bool:
        return self.pdn > WARNING_PDN

    def details(self) -> dict[str, str | int]:
        return {
            "new_payment": format(self.new_payment, "f"),
            "own_loans_payments": format(self.own_loans_payments, "f"),
            "own_loans": self.own_loans,
            "declared_payments": format(self.declared_payments, "f"),
            "income": format(self.income, "f"),
            "income_source": self.income_source,
        }


def compute(
    *,
    income: Decimal,
    income_source: str,
    declared_payments: Decimal,
    own_loans: Iterable[Decimal],
    new_payment: Decimal,
) -> PdnResult:
    """PDN with its parts; ``own_loans`` are the monthly payments of this bank's open loans."""
    own = list(own_loans)
    own_total = sum(own, Decimal(0))
    ratio = loanmath.pdn(income, declared_payments + own_total, new_payment)
    return PdnResult(ratio, new_payment, own_total, len(own), declared_payments, income, income_source)
