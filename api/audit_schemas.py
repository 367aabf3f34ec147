"""Marshmallow schemas of the audit endpoints: history verification, replay, export, timeline and reports.

Kept apart from ``api.schemas`` (another team's file); the OpenAPI builder finds them by class name through
marshmallow's class registry, so every name here is unique across the project.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import Id, QuerySchema, Text
from engine.audit.divergence import DIVERGENCE_KINDS
from engine.audit.reports import OUTCOMES
from engine.audit.verify import PROBLEM_KINDS


# ------------------------------------------------------------------------------------------------ queries
class ReplayQuery(QuerySchema):
    to = Id(strict=False, load_default=None, metadata={"description": "replay up to this event's seq (default: all)"})


class HistoryExportQuery(QuerySchema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class DeadlineQuery(QuerySchema):
    business_key = Text(load_default=None, validate=validate.Length(1, 200))
    outcome = fields.String(load_default=None, validate=validate.OneOf(OUTCOMES))


# ---------------------------------------------------------------------------------------------- responses
class ChainProblemSchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "the first event that no longer fits"})
    kind = fields.String(required=True, validate=validate.OneOf(PROBLEM_KINDS))
    message = fields.String(required=True)
    expected = fields.String(allow_none=True)
    found = fields.String(allow_none=True)


class ChainReportSchema(Schema):
    instance_id = fields.Integer(required=True)
    intact = fields.Boolean(required=True)
    events = fields.Integer(required=True, metadata={"description": "history rows found"})
    head_seq = fields.Integer(required=True, metadata={"description": "last seq according to the instance row"})
    head = fields.String(required=True)
    problem = fields.Nested(ChainProblemSchema, allow_none=True)


class DivergenceSchema(Schema):
    seq = fields.Integer(required=True, metadata={"description": "the first event where replay and history part"})
    kind = fields.String(required=True, validate=validate.OneOf(DIVERGENCE_KINDS))
    message = fields.String(required=True)
    recorded = fields.Raw(allow_none=True)
    replayed = fields.Raw(allow_none=True)


class ReplayTaskSchema(Schema):
    id = fields.String(required=True)
    element_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    lane_name = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)


class LinkedInstanceSchema(Schema):
    instance_id = fields.Integer(required=True)
    definition_key = fields.String(required=True)
    link_kind = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    seq = fields.Integer(required=True)


class ReplayStateSchema(Schema):
    instance_id = fields.Integer(required=True)
    definition_key = fields.String(required=True)
    definition_version = fields.Integer(required=True)
    business_key = fields.String(required=True)
    seq = fields.Integer(
        required=True,
        metadata={
            "description": "last event of the command the asked event is in (a command's events commit together)"
        },
    )
    at = fields.DateTime(required=True)
    status = fields.String(required=True)
    data = fields.Dict(required=True)
    ready_tasks = fields.List(fields.Nested(ReplayTaskSchema), required=True)
    escalation = fields.Dict(allow_none=True)
    escalation_pending = fields.Dict(allow_none=True)
    linked_instances = fields.List(fields.Nested(LinkedInstanceSchema), required=True)


class ReplayResultSchema(Schema):
    instance_id = fields.Integer(required=True)
    to = fields.Integer(required=True)
    last_seq = fields.Integer(required=True)
    commands = fields.Integer(required=True, metadata={"description": "commands re-executed"})
    consistent = fields.Boolean(required=True)
    checked_end = fields.Boolean(
        required=True,
        metadata={
            "description": "the stored snapshot, status, data, task and timer rows were compared too (to = last seq "
            "and no divergence before)"
        },
    )
    decisions = fields.String(required=True, validate=validate.OneOf(("recorded", "re-evaluated")))
    divergence = fields.Nested(DivergenceSchema, allow_none=True)
    state = fields.Nested(ReplayStateSchema, required=True)


class ExportedEventSchema(Schema):
    instance_id = fields.Integer(required=True)
    definition_key = fields.String(required=True)
    definition_version = fields.Integer(required=True)
    parent_id = fields.Integer(allow_none=True)
    link_kind = fields.String(allow_none=True)
    seq = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(allow_none=True)
    kind = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    payload = fields.Dict(required=True)
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class DeadlineSchema(Schema):
    instance_id = fields.Integer(required=True)
    definition_key = fields.String(required=True)
    definition_version = fields.Integer(required=True)
    timer_element_id = fields.String(required=True)
    timer_name = fields.String(allow_none=True)
    timer_kind = fields.String(required=True, validate=validate.OneOf(("boundary", "race", "wait")))
    guards = fields.String(allow_none=True, metadata={"description": "element the timer is attached to"})
    guards_name = fields.String(allow_none=True)
    due_at = fields.DateTime(required=True)
    done_at = fields.DateTime(allow_none=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    late_seconds = fields.Float(allow_none=True)
    fired_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


class IncidentDeadlinesSchema(Schema):
    business_key = fields.String(required=True)
    deadlines = fields.List(fields.Nested(DeadlineSchema), required=True)
    summary = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class OpenInvestigationSchema(Schema):
    instance_id = fields.Integer(required=True)
    business_key = fields.String(required=True)
    status = fields.String(required=True)
    parent_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    conditions = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    failing = fields.List(fields.String(), required=True)
