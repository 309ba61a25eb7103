"""Comparing two fitted cards: what must match exactly and what only to a tolerance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from scoring import Scorecard

#: Fitted statistics (WoE, IV, coefficients, intercept) are stored at 10 significant
#: digits (scoring.woe.stored: up to 5e-11 relative) and a refit's least squares or SIMD
#: logs may differ in the last binary place (about 1e-16) between machines; 1e-9 holds
#: both with room and still catches any real change of the fit.
FIT_RTOL = 1e-9


def assert_same_card(a: Scorecard, b: Scorecard, columns: Mapping[str, Any]) -> None:
    """Same structure exactly, same statistics within FIT_RTOL, same points and grades."""
    assert a.names == b.names
    assert (a.base_points, a.base_score, a.base_odds, a.pdo) == (b.base_points, b.base_score, b.base_odds, b.pdo)
    assert a.master_scale == b.master_scale and a.odds_direction == b.odds_direction
    np.testing.assert_allclose(a.intercept, b.intercept, rtol=FIT_RTOL, atol=0)
    for ca, cb in zip(a.characteristics, b.characteristics, strict=True):
        ba, bb = ca.binning, cb.binning
        # bins come from counts and midpoints of data values: exact on every machine
        assert (ba.kind, ba.cuts, ba.levels, ba.labels, ba.missing_bin, ba.trend) == (
            bb.kind, bb.cuts, bb.levels, bb.labels, bb.missing_bin, bb.trend
        ), ca.name
        assert (ba.counts, ba.bads) == (bb.counts, bb.bads), ca.name
        assert (ca.points, ca.unseen_bin) == (cb.points, cb.unseen_bin), ca.name
        np.testing.assert_allclose(ba.woe, bb.woe, rtol=FIT_RTOL, atol=0, err_msg=ca.name)
        np.testing.assert_allclose(ba.iv, bb.iv, rtol=FIT_RTOL, atol=0, err_msg=ca.name)
        np.testing.assert_allclose(ca.coef, cb.coef, rtol=FIT_RTOL, atol=0, err_msg=ca.name)
    # the points are what scoring reads: both cards score every row the same, exactly
    ra, rb = a.score(columns), b.score(columns)
    assert np.array_equal(ra.points, rb.points)
    assert np.array_equal(ra.grade, rb.grade)
    np.testing.assert_array_equal(ra.pd, rb.pd)  # same points, same scaling: same PD bits
