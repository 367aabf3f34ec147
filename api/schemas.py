"""Marshmallow schemas for every request body, query string and response (they also feed the OpenAPI document)."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from engine.actors import ROLES
from engine.instances import STATUSES, TASK_STATES


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class QuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE


# ------------------------------------------------------------------------------------------------ requests
class StartInstanceSchema(StrictSchema):
    definition_key = fields.String(required=True, validate=validate.Length(1, 200))
    business_key = fields.String(required=True, validate=validate.Length(1, 200))
    data = fields.Dict(keys=fields.String(), load_default=dict)
    version = fields.Integer(load_default=None, validate=validate.Range(min=1))


class CompleteTaskSchema(StrictSchema):
    data = fields.Dict(keys=fields.String(), load_default=dict)


class MessageSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    payload = fields.Raw(load_default=None, allow_none=True)


class ReasonSchema(StrictSchema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DefinitionQuery(QuerySchema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1))
    all_versions = fields.Boolean(load_default=False)


class InstanceQuery(QuerySchema):
    definition_key = fields.String(load_default=None, validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    business_key = fields.String(load_default=None, validate=validate.Length(max=200))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class TaskQuery(QuerySchema):
    lane = fields.String(load_default=None, validate=validate.Length(max=200))
    instance_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    state = fields.String(load_default="READY", validate=validate.OneOf((*TASK_STATES, "ALL")))
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


# ----------------------------------------------------------------------------------------------- responses
class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Raw(allow_none=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class ProblemSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)


class ValidationResultSchema(Schema):
    valid = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(ProblemSchema), required=True)


class DefinitionSchema(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    sha256 = fields.String(required=True)
    documentation = fields.String(allow_none=True)
    deployed_at = fields.DateTime(required=True)
    deployed_by = fields.String(allow_none=True)


class FormFieldSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    type = fields.String(required=True)
    required = fields.Boolean(required=True)
    readonly = fields.Boolean()
    enum = fields.List(fields.Dict(keys=fields.String(), values=fields.String()))
    default = fields.Raw(allow_none=True)
    constraints = fields.Dict(keys=fields.String(), values=fields.String())


class TaskSchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.Integer(required=True)
    element_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    lane_name = fields.String(allow_none=True)
    state = fields.String(required=True)
    form = fields.List(fields.Nested(FormFieldSchema))
    assignee = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    ended_by = fields.String(allow_none=True)


class InstanceSchema(Schema):
    id = fields.Integer(required=True)
    definition_key = fields.String(required=True)
    definition_version = fields.Integer(required=True)
    business_key = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    data = fields.Dict(required=True)
    parent_id = fields.Integer(allow_none=True)
    link_kind = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    ended_at = fields.DateTime(allow_none=True)
    ready_tasks = fields.List(fields.Nested(TaskSchema))


class HistoryEventSchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.String(required=True)
    actor = fields.String(allow_none=True)
    kind = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    payload = fields.Dict(required=True)
    hash = fields.String(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)


class UserSchema(Schema):
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    lanes = fields.List(fields.String())
