"""The OpenAPI 3 document, generated from the views' docstrings and the marshmallow schemas.

Each operation also states who may call it (``x-roles``, from the ``requires`` decorator), so the document and the
role tests read the same declaration.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.yaml_utils import load_operations_from_docstring
from flask import Blueprint, Flask, current_app, jsonify

from api import schemas
from api.auth import public

bp = Blueprint("openapi", __name__)
_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-zA-Z_]+)>")


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(
        title="emflow API",
        version="1",
        openapi_version="3.0.3",
        info={"description": "Environmental emergency workflow and rules engine (环境应急流程与规则引擎)."},
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
        roles = getattr(view, "allowed_roles", None)
        for operation in operations.values():
            operation.setdefault("summary", view.__doc__.strip().splitlines()[0])
            operation["operationId"] = rule.endpoint
            if roles:
                operation["x-roles"] = list(roles)
                operation.setdefault("security", [{"bearer": []}])
                responses = operation.setdefault("responses", {})
                responses.setdefault(401, {"description": "missing or unknown token",
                                           "content": {"application/json": {"schema": "ErrorSchema"}}})
                responses.setdefault(403, {"description": f"only {', '.join(roles)}",
                                           "content": {"application/json": {"schema": "ErrorSchema"}}})
        spec.path(path=_CONVERTER.sub(r"{\1}", rule.rule), operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
@public
def openapi_json() -> Any:
    """This document.
    ---
    get:
      tags: [meta]
      security: []
      responses:
        200: {description: the OpenAPI 3 document}
    """
    cached = current_app.extensions.get("emflow.openapi")
    if cached is None:
        cached = current_app.extensions["emflow.openapi"] = build_spec(current_app)
    return jsonify(cached)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/api/v1")
