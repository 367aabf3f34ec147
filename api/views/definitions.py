from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from api.auth import ADMIN, EVERYONE, requires
from api.context import BadRequest, actor, query, request_body, services
from api.schemas import DefinitionQuery, DefinitionSchema, ValidationResultSchema

bp = Blueprint("definitions", __name__)


def _uploaded_xml() -> bytes:
    """BPMN XML as the raw body or as a multipart ``file``."""
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("multipart upload must carry the BPMN document in the field 'file'")
        return upload.read()
    data = request_body()
    if not data:
        raise BadRequest("empty body: send the BPMN XML as the body or as a multipart field 'file'")
    return data


@bp.get("/definitions")
@requires(*EVERYONE)
def list_definitions() -> Any:
    """Latest version of every process definition (``all_versions=true`` for all).
    ---
    get:
      tags: [definitions]
      parameters: [{in: query, schema: DefinitionQuery}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: DefinitionSchema}}}}
    """
    args = query(DefinitionQuery())
    return DefinitionSchema(many=True).dump(services().definitions.list(all_versions=args["all_versions"]))


@bp.post("/definitions")
@requires(ADMIN)
def deploy() -> Any:
    """Validate and deploy a BPMN diagram as a new version (identical to the latest: no-op, 200).
    ---
    post:
      tags: [definitions]
      requestBody:
        content:
          application/xml: {schema: {type: string}}
          multipart/form-data: {schema: {type: object, properties: {file: {type: string, format: binary}}}}
      responses:
        201: {description: deployed, content: {application/json: {schema: DefinitionSchema}}}
        200: {description: identical to the latest version, content: {application/json: {schema: DefinitionSchema}}}
        400: {description: invalid BPMN, content: {application/json: {schema: ErrorSchema}}}
    """
    info, created = services().definitions.deploy(_uploaded_xml(), actor().name)
    return DefinitionSchema().dump(info), 201 if created else 200


@bp.post("/definitions/validate")
@requires(ADMIN)
def validate_definition() -> Any:
    """Check a BPMN diagram without deploying it; problems name the element and line.
    ---
    post:
      tags: [definitions]
      requestBody:
        content:
          application/xml: {schema: {type: string}}
          multipart/form-data: {schema: {type: object, properties: {file: {type: string, format: binary}}}}
      responses:
        200: {description: the problems found, content: {application/json: {schema: ValidationResultSchema}}}
    """
    problems = services().definitions.validate(_uploaded_xml())
    return ValidationResultSchema().dump({"valid": not problems, "problems": [p.to_dict() for p in problems]})


@bp.get("/definitions/<key:key>")
@requires(*EVERYONE)
def get_definition(key: str) -> Any:
    """One definition: the latest version, or ``?version=``.
    ---
    get:
      tags: [definitions]
      parameters: [{in: query, schema: DefinitionQuery}]
      responses:
        200: {content: {application/json: {schema: DefinitionSchema}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
    """
    args = query(DefinitionQuery())
    return DefinitionSchema().dump(services().definitions.get(key, args["version"]))


@bp.get("/definitions/<key:key>/xml")
@requires(*EVERYONE)
def get_definition_xml(key: str) -> Any:
    """The BPMN XML of a definition version.
    ---
    get:
      tags: [definitions]
      parameters: [{in: query, schema: DefinitionQuery}]
      responses:
        200: {content: {application/xml: {schema: {type: string}}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
    """
    args = query(DefinitionQuery())
    return Response(services().definitions.xml(key, args["version"]), mimetype="application/xml")
