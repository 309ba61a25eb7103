"""The funnel plot's geometry: where each limit, tick and manager goes on the SVG canvas.

Only numbers and labels; ``app/templates/funnel.svg`` draws them. Observed/expected is
plotted against the expected count on a log scale. The curves are the report's own
(``ManagerFlagReport.funnel``: the same shrunk score the decision used, so the solid red
"flag limit" is the decision's threshold, not a textbook 95 % funnel), and each tested
manager carries a tick at its own decision limit (``decision_limit``: exact for its PD mix
and book size). A manager is flagged exactly when its dot is on or above its tick, so the
plot and the table tell the same story.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

from scoring import ManagerFlagReport

WIDTH, HEIGHT, PAD = 760, 420, 56


@dataclass(frozen=True, slots=True)
class Curve:
    points: str
    dash: str
    label: str
    label_y: float
    colour: str


@dataclass(frozen=True, slots=True)
class Dot:
    x: float
    y: float
    name: str
    kind: str  # flagged, tested or untested
    title: str
    href: str
    tick_y: float | None  # the manager's own decision limit, if tested and on the canvas
    label: bool


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    text: str


@dataclass(frozen=True, slots=True)
class FunnelPlot:
    width: int
    height: int
    pad: int
    title: str
    curves: tuple[Curve, ...]
    dots: tuple[Dot, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    one_y: float


def _x(e: float, lo: float, hi: float) -> float:
    return PAD + (math.log10(e) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (WIDTH - 2 * PAD)


def _y(r: float, top: float) -> float:
    return HEIGHT - PAD - (min(max(r, 0.0), top) / top) * (HEIGHT - 2 * PAD)


def _polyline(grid: np.ndarray, curve: np.ndarray, lo: float, hi: float, top: float) -> str:
    return " ".join(
        f"{_x(float(e), lo, hi):.1f},{_y(float(v), top):.1f}" for e, v in zip(grid, curve, strict=True)
        if math.isfinite(float(v))
    )


def funnel_plot(
    report: ManagerFlagReport, *, as_of: str = "", label_all: int = 40, only: set[str] | None = None
) -> FunnelPlot | None:
    """The plot of ``report``; None when no manager has an expected count yet.

    Every manager is a link to its page with its figures on hover (``<title>``); with up to
    ``label_all`` managers every dot is labelled with its id, beyond that only flagged ones.
    ``only`` keeps the dots of the managers a filter shows; the limits stay the whole book's.
    """
    tested = np.asarray(report.tested, dtype=bool)
    expected = np.asarray(report.expected, dtype=float)
    ratio = np.nan_to_num(np.asarray(report.ratio, dtype=float), nan=0.0)
    positive = expected[expected > 0]
    if positive.size == 0:
        return None
    lo, hi = max(0.05, float(positive.min()) / 1.5), float(positive.max()) * 1.5
    grid = np.geomspace(lo, hi, 80)
    limits = report.funnel(grid)
    decision = limits.decision if limits.decision is not None else limits.upper_95
    own = np.asarray(report.decision_limit, dtype=float)
    finite_own = own[tested & np.isfinite(own)]
    tested_e = expected[tested & (expected > 0)]
    at = float(tested_e.min()) if tested_e.size else hi
    upper_at = float(np.interp(math.log10(at), np.log10(grid), np.nan_to_num(limits.upper_998, posinf=10.0)))
    top = max(3.0, float(ratio.max()) * 1.1, min(upper_at * 1.05, 10.0),
              min(float(finite_own.max()) * 1.05, 10.0) if finite_own.size else 0.0)
    curves = (
        Curve(_polyline(grid, decision, lo, hi, top), "", "flag limit", round(_y(float(decision[-1]), top), 1),
              "#b42318"),
        Curve(_polyline(grid, limits.upper_998, lo, hi, top), "2,3", "99.8%",
              round(_y(float(limits.upper_998[-1]), top), 1), "#57606a"),
        Curve(_polyline(grid, limits.upper_95, lo, hi, top), "5,4", "95%",
              round(_y(float(limits.upper_95[-1]), top), 1), "#57606a"),
        Curve(_polyline(grid, limits.lower_95, lo, hi, top), "5,4", "", 0.0, "#57606a"),
    )
    many = int((expected > 0).sum()) > label_all
    dots = []
    for i, m in enumerate(report.managers):
        if not expected[i] > 0 or (only is not None and str(m) not in only):
            continue
        kind = "flagged" if report.flagged[i] else ("tested" if tested[i] else "untested")
        limit = float(own[i])
        title = (f"{m}: {int(report.observed[i])} {report.outcome} vs {expected[i]:.1f} expected, "
                 f"ratio {ratio[i]:.2f}; flag limit {limit:.2f}" if math.isfinite(limit)
                 else f"{m}: {int(report.observed[i])} vs {expected[i]:.1f} expected; insufficient data")
        dots.append(Dot(
            x=round(_x(float(expected[i]), lo, hi), 1),
            y=round(_y(float(ratio[i]), top), 1),
            name=str(m),
            kind=kind,
            title=f"{title} ({kind})",
            href=f"/dashboard/managers/{quote(str(m), safe='')}" + (f"?as_of={as_of}" if as_of else ""),
            tick_y=round(_y(limit, top), 1) if tested[i] and math.isfinite(limit) and limit <= top else None,
            label=kind == "flagged" or not many,
        ))
    x_ticks = tuple(
        Tick(round(_x(t, lo, hi), 1), f"{t:g}")
        for t in (0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000) if lo <= t <= hi
    )
    y_ticks = tuple(
        Tick(round(_y(float(t), top), 1), f"{t:g}") for t in np.arange(0, top + 0.01, 1.0 if top <= 6 else 2.0)
    )
    title = f"Observed / expected {report.outcome} by manager"
    return FunnelPlot(WIDTH, HEIGHT, PAD, title, curves, tuple(dots), x_ticks, y_ticks, round(_y(1, top), 1))
