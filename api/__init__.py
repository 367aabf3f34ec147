"""The thin Flask API: routing, marshmallow schemas, authentication and error mapping — no business logic."""

from __future__ import annotations

from typing import Any

from flask import Flask

from engine.clock import Clock
from engine.services import Services, build_services

MAX_BODY_BYTES = 10 * 1024 * 1024


def create_app(
    config: dict[str, Any] | None = None, services: Services | None = None, clock: Clock | None = None
) -> Flask:
    """Build an app; ``config`` keys: DATABASE_URL, MAX_CONTENT_LENGTH, WORKFLOW_CACHE_SIZE."""
    from api import errors, openapi
    from api.converters import CONVERTERS
    from api.views import audit, definitions, docs, health, instances, pages, rules, tasks, ui

    app = Flask(__name__)
    app.url_map.converters.update(CONVERTERS)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_SORT_KEYS=False)
    app.config.update(config or {})
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # DefaultJSONProvider has it; the base does not
    app.extensions["emflow"] = services or build_services(
        app.config.get("DATABASE_URL"), clock=clock, cache_size=int(app.config.get("WORKFLOW_CACHE_SIZE", 2000))
    )
    errors.init_app(app)
    for module in (health, definitions, instances, tasks, rules, docs, audit, ui):
        app.register_blueprint(module.bp, url_prefix="/api/v1")
    app.register_blueprint(pages.bp)
    openapi.init_app(app)
    return app
