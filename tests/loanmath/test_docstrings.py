"""The numpydoc examples of the loan-maths modules run (as numpy-financial's CI runs its own)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["amortisation", "schedule"]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(f"app.loanmath.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
