"""HTML and SVG through Jinja2 templates with autoescape on: Python computes data, templates draw.

Every page of the service (the dashboard, a manager's portfolio, the sign-in form, the
contract) is a template under ``app/templates``; nothing builds markup in Python strings,
so no value from the database can reach a page unescaped.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

ENV = Environment(
    loader=PackageLoader("app", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "svg", "xml"), default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(name: str, **context: Any) -> str:
    return ENV.get_template(name).render(**context)
