from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.loanmath import (
    LoanMathError,
    LoanTerms,
    Method,
    annuity_instalments_kop,
    annuity_payment,
    annuity_schedules_batch,
    build_schedule,
    differentiated_schedules_batch,
)
from app.loanmath.batch import MAX_BATCH_AMOUNT_KOP, MAX_BATCH_RATE_BP

D = Decimal

loans = st.lists(
    st.tuples(
        st.one_of(
            st.integers(100_000, 5_000_000_000),  # 1,000.00 .. 50,000,000.00
            st.integers(1, MAX_BATCH_AMOUNT_KOP),  # the batch's whole range: 0.01 .. 10^11
        ),
        st.one_of(st.integers(0, 9_999), st.integers(0, MAX_BATCH_RATE_BP)),  # 0 .. 99.99 %, .. 999.99 %
        st.one_of(st.integers(1, 360), st.integers(1, 600)),
    ),
    min_size=1,
    max_size=4,
)


def _assert_equal_to_decimal_path(loans: list[tuple[int, int, int]], method: Method) -> None:
    p, r, m = (np.array(x, dtype=np.int64) for x in zip(*loans, strict=True))
    batch = (
        annuity_schedules_batch(p, r, m)
        if method is Method.ANNUITY
        else differentiated_schedules_batch(p, r, m)
    )
    for i, (kop, bp, n) in enumerate(loans):
        t = LoanTerms(D(kop).scaleb(-2), D(bp).scaleb(-2), n, date(2024, 1, 31), method)
        s = build_schedule(t)
        cols = np.array(
            [[int(x.scaleb(2)) for x in (q.principal, q.interest, q.payment, q.balance)] for q in s.payments],
            dtype=np.int64,
        )
        assert (batch.principal[i, :n] == cols[:, 0]).all()
        assert (batch.interest[i, :n] == cols[:, 1]).all()
        assert (batch.payment[i, :n] == cols[:, 2]).all()
        assert (batch.balance[i, :n] == cols[:, 3]).all()
        assert not batch.principal[i, n:].any() and not batch.payment[i, n:].any()
        if method is Method.ANNUITY:
            assert s.regular_payment is not None
            assert batch.instalment[i] == int(s.regular_payment.scaleb(2))


@settings(max_examples=200)
@given(loans)
@example([(1, 99_999, 600), (MAX_BATCH_AMOUNT_KOP, 99_999, 1), (10, 1, 600)])  # the clamps, the int64 edge
def test_annuity_batch_equals_decimal_path(loans: list[tuple[int, int, int]]) -> None:
    _assert_equal_to_decimal_path(loans, Method.ANNUITY)


@settings(max_examples=200)
@given(loans)
@example([(1, 99_999, 600), (MAX_BATCH_AMOUNT_KOP, 99_999, 1), (599, 0, 600)])
def test_differentiated_batch_equals_decimal_path(loans: list[tuple[int, int, int]]) -> None:
    _assert_equal_to_decimal_path(loans, Method.DIFFERENTIATED)


def test_instalments_equal_decimal_on_many_random_loans() -> None:
    rng = np.random.default_rng(20240131)
    n = 20_000
    p = rng.integers(100_000, 5_000_000_001, n)
    r = rng.integers(0, 10_000, n)
    m = rng.integers(1, 361, n)
    got = annuity_instalments_kop(p, r, m)
    sample = rng.choice(n, 2_000, replace=False)
    for i in sample:
        exact = annuity_payment(D(int(p[i])).scaleb(-2), D(int(r[i])).scaleb(-2), int(m[i]))
        assert got[i] == int(exact.scaleb(2))


def test_near_tie_instalment_is_recomputed_exactly() -> None:
    # Search a loan whose float instalment sits close to a half kopeck and check it.
    rng = np.random.default_rng(7)
    p = rng.integers(100_000, 5_000_000_001, 200_000)
    r = rng.integers(1, 10_000, 200_000)
    m = rng.integers(1, 361, 200_000)
    rf = r / 120000.0
    a = p * rf / -np.expm1(-m * np.log1p(rf))
    idx = np.argsort(np.abs(a - np.floor(a) - 0.5))[:20]
    got = annuity_instalments_kop(p[idx], r[idx], m[idx])
    for j, i in enumerate(idx):
        exact = annuity_payment(D(int(p[i])).scaleb(-2), D(int(r[i])).scaleb(-2), int(m[i]))
        assert got[j] == int(exact.scaleb(2))


def test_batch_rejects_bad_input() -> None:
    one = np.array([100_000], dtype=np.int64)
    with pytest.raises(LoanMathError):
        annuity_schedules_batch(one, one, np.array([0]))
    with pytest.raises(LoanMathError):
        annuity_schedules_batch(one, np.array([-1]), one[:1] // 100_000)
    with pytest.raises(LoanMathError):
        annuity_schedules_batch(one, one, np.array([12, 12]))
    with pytest.raises(LoanMathError):
        annuity_schedules_batch(np.array([1.5]), one, np.array([12]))  # type: ignore[arg-type]
