"""Request helpers shared by the views: the engine services, the acting user, parsed input."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from marshmallow import Schema

from engine.actors import Actor
from engine.errors import EmflowError
from engine.services import Services


class BadRequest(EmflowError):
    code = "bad_request"


def services() -> Services:
    return current_app.extensions["emflow"]


def actor() -> Actor:
    return g.actor


def json_body(schema: Schema) -> dict[str, Any]:
    """The JSON body loaded through ``schema``; malformed JSON is a 400, schema errors a 422."""
    body = request.get_json(silent=True, force=False)
    if body is None:
        if request.mimetype != "application/json":
            raise BadRequest("the body must be JSON (Content-Type: application/json)")
        raise BadRequest("the body is not valid JSON")
    return schema.load(body)


def query(schema: Schema) -> dict[str, Any]:
    return schema.load(request.args)
