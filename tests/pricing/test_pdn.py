"""PDN by Ordinance 6579-U, as values: the parts and the warning threshold, checked by hand."""

from __future__ import annotations

from decimal import Decimal

from app.pricing.pdn import WARNING_PDN, average_payment_by_psk, compute, own_loan_payment

D = Decimal


def test_the_average_payment_by_psk_is_an_annuity_at_the_psk() -> None:
    # 100,000 at 12 % over 12 months: r = 0.01, 100000 x 0.01 / (1 - 1.01^-12) = 8884.8788.. -> 8884.88
    assert average_payment_by_psk(D("100000"), D("12"), 12) == D("8884.88")
    # at a zero PSK: the debt over the months, 100000 / 12 = 8333.33
    assert average_payment_by_psk(D("100000"), D("0"), 12) == D("8333.33")
    assert average_payment_by_psk(D("0"), D("12"), 12) == 0


def test_an_own_loan_counts_its_remaining_schedule_average() -> None:
    # an annuity's remaining instalments: the payment (the last one differs by a rounding)
    assert own_loan_payment([D("16432.10"), D("16432.10"), D("16432.07")]) == D("16432.09")
    assert own_loan_payment([]) == 0


def test_pdn_adds_own_loans_and_declared_debts_to_the_new_payment() -> None:
    # (10,000 declared + 15,000 + 5,000 own + 20,000 new) / 100,000 = 0.5: at the threshold, no warning
    at = compute(income=D("100000"), income_source="declared", declared_payments=D("10000"),
                 own_loans=[D("15000"), D("5000")], new_payment=D("20000"))
    assert (at.pdn, at.own_loans, at.own_loans_payments, at.warning) == (D("0.5000"), 2, D("20000"), False)
    # 100 roubles more: 50,100 / 100,000 = 0.501 > 0.5: the borrower is warned
    above = compute(income=D("100000"), income_source="tax_data", declared_payments=D("10000"),
                    own_loans=[D("15000"), D("5000")], new_payment=D("20100"))
    assert above.pdn == D("0.5010") and above.pdn > WARNING_PDN and above.warning
    assert above.details()["income_source"] == "tax_data" and above.details()["own_loans_payments"] == "20000"
