"""The OpenAPI contract as committed in ``openapi.yaml``: the served schema, as YAML."""

from __future__ import annotations

import yaml

from app.core.config import Settings


def render_openapi_yaml() -> str:
    from app.main import create_app

    # The schema does not depend on the database; an in-memory URL avoids touching one.
    app = create_app(Settings(database_url="sqlite://"))
    return yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True, width=100)
