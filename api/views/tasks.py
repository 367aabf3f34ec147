from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.auth import ADMIN, AUDITOR, EVERYONE, RESPONDER, requires
from api.context import actor, json_body, query, services
from api.schemas import CompleteTaskSchema, InstanceSchema, TaskQuery, TaskSchema

bp = Blueprint("tasks", __name__)


@bp.get("/tasks")
@requires(*EVERYONE)
def list_tasks() -> Any:
    """Tasks (default READY); responders see only the tasks of their lanes.

    Most urgent first: overdue tasks, then immediate ones (work "at the first moment" such as the five firsts:
    ``immediate`` with ``immediate_since``, the moment their elapsed time counts from), then by deadline.
    ---
    get:
      tags: [tasks]
      parameters: [{in: query, schema: TaskQuery}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: TaskSchema}}}}
        403: {description: another lane (audited), content: {application/json: {schema: ErrorSchema}}}
    """
    return TaskSchema(many=True).dump(services().instances.tasks_for(actor(), **query(TaskQuery())))


@bp.get("/tasks/<key:task_id>")
@requires(ADMIN, RESPONDER, AUDITOR)
def get_task(task_id: str) -> Any:
    """One task with its form.
    ---
    get:
      tags: [tasks]
      responses:
        200: {content: {application/json: {schema: TaskSchema}}}
        403: {description: a task of another lane (audited), content: {application/json: {schema: ErrorSchema}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
    """
    return TaskSchema().dump(services().instances.task_for(actor(), task_id))


@bp.post("/tasks/<key:task_id>/claim")
@requires(RESPONDER)
def claim_task(task_id: str) -> Any:
    """Assign a ready task of one of your lanes to yourself.
    ---
    post:
      tags: [tasks]
      responses:
        200: {content: {application/json: {schema: TaskSchema}}}
        403: {description: a task of another lane (audited), content: {application/json: {schema: ErrorSchema}}}
        409: {content: {application/json: {schema: ErrorSchema}}}
    """
    return TaskSchema().dump(services().instances.claim_task(task_id, actor()))


@bp.post("/tasks/<key:task_id>/complete")
@requires(RESPONDER)
def complete_task(task_id: str) -> Any:
    """Complete a ready task with data validated against its form; the instance runs until it waits again.
    ---
    post:
      tags: [tasks]
      requestBody: {required: true, content: {application/json: {schema: CompleteTaskSchema}}}
      responses:
        200: {content: {application/json: {schema: InstanceSchema}}}
        403: {description: a task of another lane (audited), content: {application/json: {schema: ErrorSchema}}}
        409: {content: {application/json: {schema: ErrorSchema}}}
        422: {content: {application/json: {schema: ErrorSchema}}}
    """
    body = json_body(CompleteTaskSchema())
    instances = services().instances
    result = instances.complete_task(task_id, body["data"], actor())
    return InstanceSchema().dump(instances.get(result.instance_id))
