"""The risk dashboard as server-rendered HTML: a funnel plot in inline SVG and the flag table.

No template engine and no front-end build: a few escaped f-strings. Every value that
comes from the database passes through ``html.escape``.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

import numpy as np

from schemas.portfolio import ManagerFlags, Portfolio
from scoring import ManagerFlagReport, funnel_limits

WIDTH, HEIGHT, PAD = 760, 420, 56

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem auto;max-width:70rem;color:#1b1f24}
h1{font-size:1.4rem;margin:0 0 .3rem} .muted{color:#57606a;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin-top:1rem}
th,td{border-bottom:1px solid #d0d7de;padding:.35rem .5rem;text-align:right}
th:first-child,td:first-child,td.text{text-align:left} th{background:#f6f8fa}
.flag{color:#b42318;font-weight:600} svg{background:#fff;border:1px solid #d0d7de}
a{color:#0b57d0} form{margin:3rem auto;max-width:28rem}
input{width:100%;padding:.5rem;font-family:monospace} button{margin-top:.6rem;padding:.45rem 1rem}
"""


def page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style>'
        f"</head><body>{body}</body></html>"
    )


def login_page(message: str = "") -> str:
    note = f'<p class="flag">{escape(message)}</p>' if message else ""
    return page(
        "Risk dashboard: sign in",
        f"""
<form method="post" action="/dashboard/login">
<h1>Risk dashboard</h1><p class="muted">Paste a risk officer's or an admin's API key.</p>{note}
<label for="key">API key</label><input id="key" name="key" type="password" autocomplete="off" required>
<button type="submit">Sign in</button></form>""",
    )


def _x(e: float, lo: float, hi: float) -> float:
    return PAD + (math.log10(e) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (WIDTH - 2 * PAD)


def _y(r: float, top: float) -> float:
    return HEIGHT - PAD - (min(r, top) / top) * (HEIGHT - 2 * PAD)


def funnel_svg(report: ManagerFlagReport) -> str:
    """Observed/expected against expected volume, with the 95 % and 99.8 % limits."""
    tested = np.asarray(report.tested, dtype=bool)
    expected = np.asarray(report.expected, dtype=float)
    ratio = np.nan_to_num(np.asarray(report.ratio, dtype=float), nan=0.0)
    positive = expected[expected > 0]
    if positive.size == 0:
        return "<p class='muted'>No loans old enough to plot yet.</p>"
    lo, hi = max(0.1, float(positive.min()) / 1.5), float(positive.max()) * 1.5
    grid = np.geomspace(lo, hi, 80)
    tau2 = float(report.tau2) if np.isfinite(report.tau2) else 0.0
    limits = funnel_limits(grid, tau2=tau2, overdispersion=tau2 > 0)
    # Show every manager and the limits across the tested range (capped: tiny books explode).
    tested_e = expected[tested & (expected > 0)]
    at = float(tested_e.min()) if tested_e.size else hi
    upper_at = float(np.interp(math.log10(at), np.log10(grid), limits.upper_998))
    top = max(3.0, float(ratio.max()) * 1.1, min(upper_at * 1.05, 10.0))
    parts = [
        f'<svg role="img" aria-label="Funnel plot" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg" font-size="11">'
    ]
    for label, curve, dash in (
        ("99.8%", limits.upper_998, ""),
        ("95%", limits.upper_95, "5,4"),
        ("", limits.lower_95, "5,4"),
        ("", limits.lower_998, ""),
    ):
        pts = " ".join(
            f"{_x(e, lo, hi):.1f},{_y(max(v, 0.0), top):.1f}" for e, v in zip(grid, curve, strict=True)
        )
        parts.append(
            f'<polyline fill="none" stroke="#57606a" stroke-width="1.2" stroke-dasharray="{dash}" '
            f'points="{pts}"/>'
        )
        if label:
            parts.append(f'<text x="{WIDTH - PAD + 4}" y="{_y(float(curve[-1]), top):.1f}">{label}</text>')
    parts.append(
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{_y(1, top):.1f}" y2="{_y(1, top):.1f}" '
        'stroke="#0b57d0" stroke-width="1"/>'
    )
    # Axes and ticks.
    parts.append(
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#1b1f24"/>'
    )
    parts.append(f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#1b1f24"/>')
    for tick in (0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000):
        if lo <= tick <= hi:
            x = _x(tick, lo, hi)
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle">{tick:g}</text>')
    for tick in np.arange(0, top + 0.01, 1.0 if top <= 6 else 2.0):
        parts.append(
            f'<text x="{PAD - 8}" y="{_y(float(tick), top) + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    parts.append(
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" text-anchor="middle">expected problem loans '
        "(log scale)</text>"
    )
    parts.append(
        f'<text x="14" y="{HEIGHT / 2}" transform="rotate(-90 14 {HEIGHT / 2})" '
        'text-anchor="middle">observed / expected</text>'
    )
    for i, manager in enumerate(report.managers):
        if expected[i] <= 0:
            continue
        x, y = _x(float(expected[i]), lo, hi), _y(float(ratio[i]), top)
        name = escape(str(manager))
        if report.flagged[i]:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#b42318"><title>{name} (flagged)</title>'
                f'</circle><text x="{x + 8:.1f}" y="{y - 6:.1f}" class="flag" fill="#b42318">{name}</text>'
            )
        elif tested[i]:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#0b57d0" fill-opacity=".75">'
                f"<title>{name}</title></circle>"
            )
        else:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="none" stroke="#8c959f">'
                f"<title>{name} (insufficient data)</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _fmt(v: Any, spec: str = ".2f") -> str:
    return "–" if v is None else format(v, spec)


def dashboard_page(flags: ManagerFlags, report: ManagerFlagReport | None) -> str:
    rows = (
        "".join(
            f'<tr><td><a href="/dashboard/managers/{escape(f.manager_id)}?as_of={flags.as_of}">'
            f"{escape(f.manager_id)}</a>"
            f'</td><td class="text">{escape(f.name or "")}</td><td class="text">{escape(f.segment or "")}</td>'
            f"<td>{f.loans}</td><td>{f.observed}</td><td>{f.expected:.1f}</td><td>{_fmt(f.ratio)}</td>"
            f"<td>{_fmt(f.q_value, '.2g')}</td><td>{f.fpd_observed} / {f.fpd_expected:.1f}</td>"
            f"<td>{_fmt(None if f.plan_fulfilment is None else f.plan_fulfilment * 100, '.0f')}%</td>"
            f'<td class="text flag">{escape(f.summary)}</td></tr>'
            for f in flags.flagged
        )
        or '<tr><td colspan="11" class="text muted">No manager is flagged.</td></tr>'
    )
    plot = funnel_svg(report) if report is not None else "<p class='muted'>No loans yet.</p>"
    phi = "–" if flags.phi is None else f"{flags.phi:.2f}"
    return page(
        "Risk dashboard",
        f"""
<h1>Managers' problem loans against expectation</h1>
<p class="muted">As of {flags.as_of}. {flags.managers_tested} managers tested (enough expected volume);
false discovery rate {flags.fdr:g}; overdispersion &phi; = {phi}. Red: flagged. Hollow: insufficient data.</p>
{plot}
<table><thead><tr><th>Manager</th><th>Name</th><th>Segment</th><th>Loans</th><th>Problem</th><th>Expected</th>
<th>O/E</th><th>q</th><th>FPD obs / exp</th><th>Plan</th><th>Why</th></tr></thead><tbody>{rows}</tbody></table>""",
    )


def portfolio_page(p: Portfolio) -> str:
    buckets = "".join(f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in p.buckets.items())
    vintages = "".join(
        f"<tr><td>{escape(v.month)}</td><td>{v.count}</td><td>{v.volume}</td><td>{v.problem_count}</td>"
        f"<td>{v.fpd_count}</td></tr>"
        for v in p.vintages
    )
    plans = "".join(
        f"<tr><td>{escape(x.period)}</td><td>{x.volume}</td><td>{x.issued}</td>"
        f"<td>{escape(x.fulfilment or '–')}</td></tr>"
        for x in p.plans
    )
    return page(
        f"Portfolio {p.manager_id}",
        f"""
<p><a href="/dashboard?as_of={p.as_of}">&larr; dashboard</a></p>
<h1>Portfolio of {escape(p.manager_id)} as of {p.as_of}</h1>
<p>Issued {p.issued.count} loans, {p.issued.volume} RUB; active {p.active_loans}, closed {p.closed_loans};
problem (90+) {p.problem_loans.count} ({p.problem_loans.volume} RUB); expected {p.expected_problems:.1f};
O/E {_fmt(p.observed_to_expected)}; FPD rate {_fmt(None if p.fpd_rate is None else p.fpd_rate * 100, ".1f")}%.</p>
<table><thead><tr><th>Bucket</th><th>Loans</th></tr></thead><tbody>{buckets}</tbody></table>
<table><thead><tr><th>Vintage</th><th>Loans</th><th>Volume</th><th>Problem</th><th>FPD</th></tr></thead>
<tbody>{vintages}</tbody></table>
<table><thead><tr><th>Plan period</th><th>Plan</th><th>Issued</th><th>Fulfilment</th></tr></thead>
<tbody>{plans}</tbody></table>""",
    )
