"""The funnel plot's geometry: where each limit, tick and manager goes on the SVG canvas.

Only numbers and labels; ``app/templates/funnel.svg`` draws them. Observed/expected is
plotted against the expected count on a log scale, with the limits the report computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scoring import ManagerFlagReport, funnel_limits

WIDTH, HEIGHT, PAD = 760, 420, 56


@dataclass(frozen=True, slots=True)
class Curve:
    points: str
    dash: str
    label: str
    label_y: float


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    name: str
    kind: str  # flagged, tested or untested


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    text: str


@dataclass(frozen=True, slots=True)
class FunnelPlot:
    width: int
    height: int
    pad: int
    curves: tuple[Curve, ...]
    dots: tuple[Dot, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    one_y: float


def _x(e: float, lo: float, hi: float) -> float:
    return PAD + (math.log10(e) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (WIDTH - 2 * PAD)


def _y(r: float, top: float) -> float:
    return HEIGHT - PAD - (min(r, top) / top) * (HEIGHT - 2 * PAD)


def funnel_plot(report: ManagerFlagReport) -> FunnelPlot | None:
    """The plot of ``report``; None when no manager has an expected count yet."""
    tested = np.asarray(report.tested, dtype=bool)
    expected = np.asarray(report.expected, dtype=float)
    ratio = np.nan_to_num(np.asarray(report.ratio, dtype=float), nan=0.0)
    positive = expected[expected > 0]
    if positive.size == 0:
        return None
    lo, hi = max(0.1, float(positive.min()) / 1.5), float(positive.max()) * 1.5
    grid = np.geomspace(lo, hi, 80)
    tau2 = float(report.tau2) if np.isfinite(report.tau2) else 0.0
    limits = funnel_limits(grid, tau2=tau2, overdispersion=tau2 > 0)
    tested_e = expected[tested & (expected > 0)]
    at = float(tested_e.min()) if tested_e.size else hi
    upper_at = float(np.interp(math.log10(at), np.log10(grid), limits.upper_998))
    top = max(3.0, float(ratio.max()) * 1.1, min(upper_at * 1.05, 10.0))
    curves = tuple(
        Curve(
            points=" ".join(
                f"{_x(e, lo, hi):.1f},{_y(max(v, 0.0), top):.1f}" for e, v in zip(grid, curve, strict=True)
            ),
            dash=dash,
            label=label,
            label_y=round(_y(float(curve[-1]), top), 1),
        )
        for label, curve, dash in (
            ("99.8%", limits.upper_998, ""),
            ("95%", limits.upper_95, "5,4"),
            ("", limits.lower_95, "5,4"),
            ("", limits.lower_998, ""),
        )
    )
    dots = tuple(
        Dot(
            x=round(_x(float(expected[i]), lo, hi), 1),
            y=round(_y(float(ratio[i]), top), 1),
            name=str(m),
            kind="flagged" if report.flagged[i] else ("tested" if tested[i] else "untested"),
        )
        for i, m in enumerate(report.managers)
        if expected[i] > 0
    )
    x_ticks = tuple(
        Tick(round(_x(t, lo, hi), 1), f"{t:g}") for t in (0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000) if lo <= t <= hi
    )
    y_ticks = tuple(
        Tick(round(_y(float(t), top), 1), f"{t:g}") for t in np.arange(0, top + 0.01, 1.0 if top <= 6 else 2.0)
    )
    return FunnelPlot(WIDTH, HEIGHT, PAD, curves, dots, x_ticks, y_ticks, round(_y(1, top), 1))
