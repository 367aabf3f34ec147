from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.auth import public
from api.context import services
from api.schemas import HealthSchema

bp = Blueprint("health", __name__)


@bp.get("/health")
@public
def health() -> Any:
    """Liveness and database reachability.
    ---
    get:
      tags: [health]
      security: []
      responses:
        200: {content: {application/json: {schema: HealthSchema}}}
    """
    return HealthSchema().dump({"status": "ok", "database": services().db.ping()})
