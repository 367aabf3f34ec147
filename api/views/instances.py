from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.audit_schemas import HistoryExportQuery
from api.auth import ADMIN, AUDITOR, EVERYONE, RESPONDER, requires
from api.context import actor, json_body, query, services
from api.schemas import (
    HistoryEventSchema,
    InstanceQuery,
    InstanceSchema,
    MessageSchema,
    ReasonSchema,
    StartInstanceSchema,
)

bp = Blueprint("instances", __name__)


@bp.post("/instances")
@requires(ADMIN, RESPONDER)
def start_instance() -> Any:
    """Start an instance of the latest (or given) version of a definition and run it until it waits.
    ---
    post:
      tags: [instances]
      requestBody: {required: true, content: {application/json: {schema: StartInstanceSchema}}}
      responses:
        201: {content: {application/json: {schema: InstanceSchema}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
        422: {content: {application/json: {schema: ErrorSchema}}}
    """
    body = json_body(StartInstanceSchema())
    instances = services().instances
    result = instances.start(
        body["definition_key"], body["business_key"], body["data"], actor(), version=body["version"]
    )
    return InstanceSchema().dump(instances.get(result.instance_id)), 201


@bp.get("/instances")
@requires(*EVERYONE)
def list_instances() -> Any:
    """Instances, filtered by definition key, status or business key.
    ---
    get:
      tags: [instances]
      parameters: [{in: query, schema: InstanceQuery}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: InstanceSchema}}}}
    """
    return InstanceSchema(many=True).dump(services().instances.list(**query(InstanceQuery())))


@bp.get("/instances/<id:instance_id>")
@requires(*EVERYONE)
def get_instance(instance_id: int) -> Any:
    """One instance: status, data and ready tasks.
    ---
    get:
      tags: [instances]
      responses:
        200: {content: {application/json: {schema: InstanceSchema}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
    """
    return InstanceSchema().dump(services().instances.get(instance_id))


@bp.post("/instances/<id:instance_id>/messages")
@requires(ADMIN, RESPONDER)
def send_message(instance_id: int) -> Any:
    """Deliver a named message to an element waiting for it; its payload is stored under the message name.
    ---
    post:
      tags: [instances]
      requestBody: {required: true, content: {application/json: {schema: MessageSchema}}}
      responses:
        200: {content: {application/json: {schema: InstanceSchema}}}
        409: {description: nothing waits for this message, content: {application/json: {schema: ErrorSchema}}}
    """
    body = json_body(MessageSchema())
    instances = services().instances
    instances.send_message(instance_id, body["name"], body["payload"], actor())
    return InstanceSchema().dump(instances.get(instance_id))


def _lifecycle(name: str, summary: str) -> None:
    def view(instance_id: int) -> Any:
        body = json_body(ReasonSchema()) if _has_body() else {"reason": None}
        instances = services().instances
        getattr(instances, name)(instance_id, actor(), body["reason"])
        return InstanceSchema().dump(instances.get(instance_id))

    view.__name__ = f"{name}_instance"
    view.__doc__ = f"""{summary}
    ---
    post:
      tags: [instances]
      requestBody: {{required: false, content: {{application/json: {{schema: ReasonSchema}}}}}}
      responses:
        200: {{content: {{application/json: {{schema: InstanceSchema}}}}}}
        409: {{content: {{application/json: {{schema: ErrorSchema}}}}}}
    """
    bp.post(f"/instances/<id:instance_id>/{name}")(requires(ADMIN)(view))


def _has_body() -> bool:
    from flask import request

    return bool(request.get_data(cache=True))


_lifecycle("suspend", "Suspend a running instance: its tasks cannot be completed until it is resumed.")
_lifecycle("resume", "Resume a suspended instance.")
_lifecycle("cancel", "Cancel an instance; its open tasks are cancelled.")


@bp.get("/instances/<id:instance_id>/history")
@requires(ADMIN, AUDITOR)
def instance_history(instance_id: int) -> Any:
    """The ordered, hash-chained history of an instance (`format=csv` for a spreadsheet download).
    ---
    get:
      tags: [history]
      parameters: [{in: query, schema: HistoryExportQuery}]
      responses:
        200:
          content:
            application/json: {schema: {type: array, items: HistoryEventSchema}}
            text/csv: {schema: {type: string}}
        404: {content: {application/json: {schema: ErrorSchema}}}
    """
    if query(HistoryExportQuery())["format"] == "csv":
        from api.views.audit import history_csv_response

        return history_csv_response(instance_id)
    return HistoryEventSchema(many=True).dump(services().instances.history(instance_id))
