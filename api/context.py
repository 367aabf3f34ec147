"""Request helpers shared by the views: the engine services, the acting user, parsed input."""

from __future__ import annotations

import math
import re
from typing import Any

from flask import current_app, g, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import BadRequest as WerkzeugBadRequest
from werkzeug.exceptions import RequestEntityTooLarge

from engine.actors import Actor
from engine.errors import EmflowError
from engine.services import Services


class BadRequest(EmflowError):
    code = "bad_request"


def services() -> Services:
    return current_app.extensions["emflow"]


def actor() -> Actor:
    return g.actor


MAX_JSON_DEPTH = 32
"""Deepest nesting accepted in a JSON body. Incident data is shallow; deep nesting only costs (recursion in the
parser, the serializer and the hash chain) and a document of 100,000 brackets crashes the stdlib parser."""

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def request_body() -> bytes:
    """The whole body, or 413 — also for a chunked body, which has no Content-Length to refuse up front.

    Werkzeug refuses a declared length over ``MAX_CONTENT_LENGTH`` before reading anything, but a streamed body
    it reads up to the limit and then *returns what it has*: a 50 MB upload would arrive cut at 10 MB. So a body
    that fills the limit is probed for one more byte (which raises 413 when the limit was the cap).
    """
    data = request.get_data(cache=True)
    limit = request.max_content_length
    if limit is not None and len(data) >= limit and request.stream.read(1):
        raise RequestEntityTooLarge()
    return data


def json_body(schema: Schema) -> dict[str, Any]:
    """The JSON body loaded through ``schema``: not JSON or not an object is a 400, bad content a 422."""
    return schema.load(json_object())


def json_object() -> dict[str, Any]:
    """The JSON body as a dict that can be stored as it is (``check_json``), for bodies without a fixed schema."""
    if not request.is_json:
        raise BadRequest("the body must be JSON (Content-Type: application/json)")
    request_body()
    try:
        body = request.get_json()
    except WerkzeugBadRequest:
        raise BadRequest("the body is not valid JSON") from None
    except RecursionError:
        raise BadRequest(f"the body is nested more than {MAX_JSON_DEPTH} levels deep") from None
    if not isinstance(body, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
        raise BadRequest(f"the body must be a JSON object, not {kind.get(type(body), 'null')}")
    check_json(body)
    return body


def check_json(value: Any) -> None:
    """Refuse what parses as JSON but cannot be stored and replayed exactly, naming where it is.

    NaN and ±Infinity (``1e999`` parses as inf) are not JSON once written back, NUL is refused by PostgreSQL,
    and a lone surrogate (``"\\ud800"``) cannot be encoded as UTF-8. The walk is iterative so depth cannot
    exhaust the stack here.
    """
    errors: dict[str, list[str]] = {}
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise BadRequest(f"the body is nested more than {MAX_JSON_DEPTH} levels deep (at {where})")
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, int):
                    path = f"{where}[{key}]"
                elif _UNSTORABLE.search(key):
                    path = f"{where}.{key!a}".lstrip(".")
                    errors[path] = ["NUL and lone surrogates are not allowed in keys"]
                else:
                    path = f"{where}.{key}".lstrip(".")
                stack.append((child, path, depth + 1))
        elif isinstance(item, str) and _UNSTORABLE.search(item):
            errors[where or "_schema"] = ["NUL and lone surrogates (\\u0000, \\ud800-\\udfff) are not allowed"]
        elif isinstance(item, float) and not math.isfinite(item):
            errors[where or "_schema"] = ["not a finite number (NaN, Infinity and numbers beyond 1e308 are refused)"]
    if errors:
        raise ValidationError(errors)


def query(schema: Schema) -> dict[str, Any]:
    return schema.load(request.args)
