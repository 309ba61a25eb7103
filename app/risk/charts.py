"""Geometry of a manager page's charts: vintage curves, buckets over month ends, plan against issued.

Only coordinates, colours and labels; ``app/templates/chart_*.svg`` draw them, so the page
needs no JavaScript and no charting library, and every value reaches the page escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.risk.snapshots import PlanMonth, VintagePoint
from app.servicing.delinquency import BUCKETS

W, H, PAD = 620, 300, 48
#: One colour per bucket, current (green) to 90+ (dark red); a colour-blind-safe ramp.
BUCKET_COLOURS = dict(zip(BUCKETS, ("#4c9a5f", "#e9c46a", "#f4a261", "#e76f51", "#9b2226"), strict=True))
SERIES = ("#0b57d0", "#b42318", "#2a9d8f", "#8338ec", "#e76f51", "#3a86ff", "#6a994e", "#bc4749",
          "#277da1", "#f8961e", "#577590", "#90be6d")


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True, slots=True)
class Line:
    points: str
    colour: str
    name: str
    end_x: float
    end_y: float
    marks: tuple[tuple[float, float, str], ...]


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    colour: str
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    pad: int
    title: str
    x_label: str
    y_label: str
    lines: tuple[Line, ...]
    rects: tuple[Rect, ...]
    x_ticks: tuple[Label, ...]
    y_ticks: tuple[Label, ...]
    legend: tuple[tuple[str, str], ...]


def _sx(i: float, n: float) -> float:
    return PAD + (i / max(n, 1.0)) * (W - 2 * PAD)


def _sy(v: float, top: float) -> float:
    return H - PAD - (v / top if top else 0.0) * (H - 2 * PAD)


def _y_ticks(top: float, fmt: str) -> tuple[Label, ...]:
    return tuple(Label(PAD - 6, round(_sy(top * k / 4, top), 1) + 4, fmt.format(top * k / 4)) for k in range(5))


def vintage_chart(points: list[VintagePoint], *, max_series: int = 12) -> Chart | None:
    """Problem share by months on book, one line per issue month (the newest ``max_series``)."""
    months = sorted({p.issue_month for p in points})[-max_series:]
    chosen = [p for p in points if p.issue_month in months]
    if not chosen:
        return None
    span = max(max(p.months_on_book for p in chosen), 1)
    top = max(0.05, max(p.share for p in chosen) * 1.15)
    lines = []
    for k, month in enumerate(months):
        series = sorted((p for p in chosen if p.issue_month == month), key=lambda p: p.months_on_book)
        xy = [(round(_sx(p.months_on_book, span), 1), round(_sy(p.share, top), 1)) for p in series]
        marks = tuple(
            (x, y, f"{month}: {p.problem} of {p.loans} problem ({p.share:.1%}) at {p.months_on_book} months on book")
            for (x, y), p in zip(xy, series, strict=True)
        )
        lines.append(Line(" ".join(f"{x},{y}" for x, y in xy), SERIES[k % len(SERIES)], month,
                          xy[-1][0], xy[-1][1], marks))
    step = 1 if span <= 12 else 3
    return Chart(
        W, H, PAD, "Vintage curves: problem share (90+) by months on book", "months on book",
        "problem share", tuple(lines), (),
        tuple(Label(round(_sx(m, span), 1), H - PAD + 16, str(m)) for m in range(0, span + 1, step)),
        _y_ticks(top, "{:.0%}"), tuple((ln.name, ln.colour) for ln in lines),
    )


def bucket_chart(history: dict[date, dict[str, int]]) -> Chart | None:
    """Open loans by bucket at each month end, stacked shares (100 % bars)."""
    ends = sorted(history)
    if not ends or not any(sum(v.values()) for v in history.values()):
        return None
    n = len(ends)
    slot = (W - 2 * PAD) / n
    rects = []
    for i, e in enumerate(ends):
        total = sum(history[e].values())
        y = float(H - PAD)
        for b in BUCKETS:
            count = history[e][b]
            if not total or not count:
                continue
            h = count / total * (H - 2 * PAD)
            y -= h
            rects.append(Rect(round(PAD + i * slot + slot * 0.15, 1), round(y, 1), round(slot * 0.7, 1), round(h, 1),
                              BUCKET_COLOURS[b], f"{e}: {b} {count} of {total} ({count / total:.1%})"))
    return Chart(
        W, H, PAD, "Open loans by bucket at each month end", "month end", "share of open loans", (), tuple(rects),
        tuple(Label(round(PAD + (i + 0.5) * slot, 1), H - PAD + 16, e.strftime("%y-%m")) for i, e in enumerate(ends)),
        _y_ticks(1.0, "{:.0%}"), tuple((b, BUCKET_COLOURS[b]) for b in BUCKETS),
    )


def plan_chart(months: list[PlanMonth]) -> Chart | None:
    """Plan against issued volume by month: paired bars (plan grey, issued blue)."""
    shown = months[-12:]
    if not shown:
        return None
    top_value = max(max((m.plan or Decimal(0)) for m in shown), max(m.issued for m in shown))
    top = float(top_value) * 1.1 or 1.0
    slot = (W - 2 * PAD) / len(shown)
    rects = []
    for i, m in enumerate(shown):
        x = PAD + i * slot
        if m.plan is not None:
            h = float(m.plan) / top * (H - 2 * PAD)
            rects.append(Rect(round(x + slot * 0.1, 1), round(H - PAD - h, 1), round(slot * 0.38, 1), round(h, 1),
                              "#8c959f", f"{m.period}: plan {m.plan}"))
        h = float(m.issued) / top * (H - 2 * PAD)
        ful = f" ({m.fulfilment:.0%} of plan)" if m.fulfilment is not None else ""
        rects.append(Rect(round(x + slot * 0.52, 1), round(H - PAD - h, 1), round(slot * 0.38, 1), round(h, 1),
                          "#0b57d0", f"{m.period}: issued {m.issued}{ful}"))
    return Chart(
        W, H, PAD, "Plan against issued volume by month (thousand RUB)", "month", "thousand RUB", (), tuple(rects),
        tuple(Label(round(PAD + (i + 0.5) * slot, 1), H - PAD + 16, m.period[2:]) for i, m in enumerate(shown)),
        tuple(Label(t.x, t.y, f"{float(t.text) / 1000:,.0f}") for t in _y_ticks(top, "{:.0f}")),
        (("plan", "#8c959f"), ("issued", "#0b57d0")),
    )
