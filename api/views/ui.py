"""JSON endpoints the pages need beyond the resources: who the caller is (name, role, lanes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.auth import EVERYONE, requires
from api.context import actor
from api.schemas import UserSchema

bp = Blueprint("ui", __name__)


@bp.get("/me")
@requires(*EVERYONE)
def me() -> Any:
    """The caller: name, role and (for responders) lanes — what the pages show and which pages they offer.
    ---
    get:
      tags: [users]
      responses:
        200: {content: {application/json: {schema: UserSchema}}}
    """
    who = actor()
    return UserSchema().dump({"name": who.name, "role": who.role, "lanes": list(who.lanes)})
