"""Marshmallow schemas of the rules endpoints: rulesets and escalation decisions (docs/ESCALATION.md)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import Id, QuerySchema, Text


class RulesetQuery(QuerySchema):
    ruleset = Text(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={"description": "baseline ruleset name (default cn-national-2015)"},
    )
    version = Id(strict=False, load_default=None)


class RulesetInfoSchema(Schema):
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("baseline", "overlay")))
    base = fields.String(allow_none=True)
    sha256 = fields.String(required=True)
    deployed_at = fields.DateTime(required=True)
    deployed_by = fields.String(allow_none=True)


class DecisionSchema(Schema):
    """The decision of docs/ESCALATION.md, §Decision; every field is part of the contract."""

    level = fields.String(required=True, validate=validate.OneOf(("I", "II", "III", "IV")))
    reasons = fields.List(fields.String(), required=True)
    reasons_zh = fields.List(fields.String(), required=True)
    art4_triggers = fields.List(fields.String(), required=True)
    treat_as_major_for_reporting = fields.Boolean(required=True)
    radiation_event = fields.Boolean(required=True)
    initial_report_deadline_minutes = fields.Integer(required=True, allow_none=True)
    deadline_rule = fields.Dict(allow_none=True)
    immediate_report = fields.Boolean(required=True)
    immediate_report_grace_minutes = fields.Integer(required=True, allow_none=True)
    report_to = fields.List(fields.String(), required=True)
    onward_reports = fields.List(fields.Dict(), required=True)
    notify_adjacent_regions = fields.Boolean(required=True)
    response_level = fields.String(required=True)
    response_lead = fields.String(required=True)
    investigation = fields.Dict(required=True)
    dispatch_city_work_group = fields.Boolean(required=True)
    leader_on_scene = fields.Boolean(required=True)
    first_targets_minutes = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    publication_deadline_minutes = fields.Integer(required=True, allow_none=True)
    press_conference_deadline_minutes = fields.Integer(required=True, allow_none=True)
    ruleset = fields.Dict(required=True)
