"""The OpenAPI 3 document, generated from the views' docstrings, the marshmallow schemas and the routes.

Each operation also states who may call it (``x-roles``, from the ``requires`` decorator; ``[]`` with
``security: []`` means no token is needed), so the document and the role tests read the same declaration.
Path parameters come from the route's converter (``api.converters``), and the statuses that every operation of
a kind can answer (401/403 for a protected one, 404 for one with a path id, 422 for a query, 400/413/422 for a
body) are added here, so the document lists every status the server returns — schemathesis holds it to that —
without each docstring repeating them.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.routing import Rule

from api import schemas
from api.auth import public

bp = Blueprint("openapi", __name__)
_CONVERTER = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-zA-Z_]+)>")
_JSON = "application/json"


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="emflow API",
        version="1",
        openapi_version="3.0.3",
        info={
            "description": "Environmental emergency workflow and rules engine (环境应急流程与规则引擎). "
            "Send `Authorization: Bearer <token>`; `x-roles` on each operation names the roles "
            'that may call it (none: public). Errors are `{"error": {code, message, details}}`.'
        },
        plugins=[MarshmallowPlugin()],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name in dir(schemas):
        obj = getattr(schemas, name)
        if isinstance(obj, type) and issubclass(obj, schemas.Schema) and obj.__module__ == schemas.__name__:
            component = name.removesuffix("Schema")
            if obj not in (schemas.StrictSchema, schemas.QuerySchema) and component not in spec.components.schemas:
                spec.components.schema(component, schema=obj)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        if not rule.rule.startswith("/api/") or not view.__doc__:
            continue
        operations = load_operations_from_docstring(view.__doc__)
        if not operations:
            continue  # a route without an operation in its docstring (e.g. the docs page's assets)
        roles = list(getattr(view, "allowed_roles", ()))
        for operation in operations.values():
            operation.setdefault("summary", view.__doc__.strip().splitlines()[0].replace("``", "`"))
            operation["operationId"] = rule.endpoint
            operation["x-roles"] = roles
            _complete(operation, rule, app, roles)
        spec.path(path=_CONVERTER.sub(r"{\2}", rule.rule), operations=operations)
    document = spec.to_dict()
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    _not_null(parameter)
    return document


def _complete(operation: dict[str, Any], rule: Rule, app: Flask, roles: list[str]) -> None:
    """Add what follows from the route and the roles: path parameters, security, the statuses of its kind."""
    responses: dict[int | str, Any] = operation.setdefault("responses", {})
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    declared = {p.get("name") for p in parameters if p.get("in") == "path"}
    path_args = _CONVERTER.findall(rule.rule)
    for converter, name in path_args:
        if name not in declared:
            schema = getattr(app.url_map.converters[converter or "default"], "openapi", {"type": "string"})
            parameters.append({"in": "path", "name": name, "required": True, "schema": dict(schema)})
    if not parameters:
        del operation["parameters"]

    def add(status: int, description: str) -> None:
        responses.setdefault(status, {"description": description, "content": {_JSON: {"schema": "ErrorSchema"}}})

    if roles:
        operation.setdefault("security", [{"bearer": []}])
        add(401, "missing, unknown or revoked token")
        add(403, f"only {', '.join(roles)} (the refusal is audited)")
    else:
        operation.setdefault("security", [])
    if path_args:
        add(
            404,
            "no such "
            + " or ".join(name.removesuffix("_id").replace("_", " ") for _, name in path_args)
            + " (or an id that cannot exist)",
        )
    if any(p.get("in") == "query" for p in parameters):
        add(422, "invalid query parameter; `details` names it")
    body = operation.get("requestBody")
    if body is not None:
        if _JSON in body.get("content", {}):
            add(
                400,
                "malformed body: not JSON (or not Content-Type: application/json), not a JSON object, or "
                "nested too deeply",
            )
            add(422, "invalid field(s); `details` names each one")
        else:
            add(400, "malformed body; for a diagram, `details` lists every problem with its element id and line")
        add(413, f"body larger than {app.config['MAX_CONTENT_LENGTH']:,} bytes")
    for status, response in responses.items():
        response.setdefault("description", HTTPStatus(int(status)).phrase)


def _not_null(parameter: dict[str, Any]) -> None:
    """A query string cannot carry null: a parameter whose default is None is simply optional.

    (apispec marks such fields nullable with an enum containing null; clients and fuzzers then send
    ``?status=null``, which is the text "null", not an absent filter.)
    """
    schema = parameter.get("schema", {})
    schema.pop("nullable", None)
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    if "enum" in schema:
        schema["enum"] = [v for v in schema["enum"] if v is not None]


@bp.get("/openapi.json")
@public
def openapi_json() -> Any:
    """This document.
    ---
    get:
      tags: [meta]
      responses:
        200: {description: the OpenAPI 3 document, content: {application/json: {schema: {type: object}}}}
    """
    cached = current_app.extensions.get("emflow.openapi")
    if cached is None:
        cached = current_app.extensions["emflow.openapi"] = build_spec(current_app)
    return jsonify(cached)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/api/v1")
