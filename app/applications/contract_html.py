"""The credit agreement as printable HTML: the contract's data through the Jinja2 template."""

from __future__ import annotations

from app.applications.individual_terms import percent, rubles
from app.core.templates import render as render_template
from schemas.contracts import Contract


def render(contract: Contract) -> str:
    return render_template(
        "contract.html",
        c=contract,
        psk_percent=percent(contract.psk_percent),
        psk_amount=rubles(format(contract.psk_amount, "f")),
        rubles=lambda v: rubles(format(v, "f")),
    )
