"""The table and the funnel tell the same story: a flagged manager's dot lies on or above its
own flag-limit tick, every other tested manager's below it, and the plot's red curve is the
decision's threshold (the report's own funnel), not a textbook 95 % limit."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.templates import render
from app.risk.funnel_plot import funnel_plot
from scoring import flag_managers, synthetic_portfolio


@pytest.mark.parametrize("seed,spread", [(1, None), (2, 0.25), (3, 0.35)])
def test_flagged_dots_lie_outside_their_plotted_limit(seed: int, spread: float | None) -> None:
    p = synthetic_portfolio(seed, n_managers=120, honest_spread=spread)
    report = flag_managers(p.manager, p.pd, p.bad, peer_group=p.segment)
    plot = funnel_plot(report)
    assert plot is not None and report.tested.any()
    by_name = {d.name: d for d in plot.dots}
    for i, m in enumerate(report.managers):
        d = by_name.get(str(m))
        if d is None or not report.tested[i]:
            continue
        assert (d.kind == "flagged") == bool(report.flagged[i])
        assert bool(report.flagged[i]) == bool(report.ratio[i] >= report.decision_limit[i])
        if d.tick_y is not None and d.y > plot.pad:  # neither clipped at the top of the canvas
            # SVG y grows downwards: on or above the tick is y <= tick_y
            assert (d.y <= d.tick_y + 0.05) == bool(report.flagged[i]) or abs(d.y - d.tick_y) < 0.2, m
    svg = render("funnel.svg", plot=plot)
    assert svg.count("<a href=") == len(plot.dots) and "flag limit" in svg
    # the red curve is the report's decision curve at each expected count
    grid = np.geomspace(1, 100, 5)
    assert np.all(np.isfinite(report.funnel(grid).decision))  # type: ignore[arg-type]
