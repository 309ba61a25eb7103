"""Shared hypothesis strategies for the loan-maths tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

# No settings profile here: profiles are registered and loaded once in tests/conftest.py
# (loading one here changed the settings of every test collected after this package).

amounts = st.integers(min_value=100_000, max_value=5_000_000_000).map(
    lambda k: Decimal(k).scaleb(-2)
)  # 1,000.00 .. 50,000,000.00
rates = st.integers(min_value=0, max_value=9_999).map(lambda bp: Decimal(bp).scaleb(-2))
terms = st.integers(min_value=1, max_value=360)
issue_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
fees = st.integers(min_value=0, max_value=500_000).map(lambda k: Decimal(k).scaleb(-2))
