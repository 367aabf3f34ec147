"""Marshmallow schemas for every request body, query string and response (they also feed the OpenAPI document)."""

from __future__ import annotations

import dataclasses
import re
import typing
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from api.converters import MAX_ID
from engine.names import USER_ROLES as ROLES
from engine.names import InstanceStatus, TaskRowState
from engine.runtime.queries import ALL_STATES
from engine.runtime.views import TaskView

_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_UNSTORABLE_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


class Text(fields.String):
    """A string that can be stored, compared and logged on both databases.

    PostgreSQL refuses NUL in any text parameter and a lone surrogate cannot be encoded as UTF-8: either would
    be a 500 deep in the engine. Single-line text (keys, names, lanes) also refuses line breaks and tabs.
    """

    def __init__(self, *args: Any, multiline: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.unstorable = _UNSTORABLE if multiline else _UNSTORABLE_LINE

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        bad = self.unstorable.search(text)
        if bad:
            raise ValidationError(
                f"control character U+{ord(bad.group()):04X} is not allowed (at position {bad.start()})"
            )
        return text


class Id(fields.Integer):
    """A row id or version, 1 .. MAX_ID (PostgreSQL INTEGER; SQLite overflows beyond 2**63 with a 500).

    ``strict`` (JSON bodies) refuses ``"3"`` and ``3.5``; query strings are text and need ``strict=False``.
    """

    def __init__(self, *, strict: bool = True, **kwargs: Any):
        super().__init__(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class QuerySchema(Schema):
    """Query strings refuse unknown parameters too: a misspelt filter (``?stauts=running``) silently ignored would
    answer every row instead of the ones asked for."""

    class Meta:
        unknown = RAISE


# ------------------------------------------------------------------------------------------------ requests
class StartInstanceSchema(StrictSchema):
    definition_key = Text(required=True, validate=validate.Length(1, 200))
    business_key = Text(required=True, validate=validate.Length(1, 200))
    data = fields.Dict(keys=fields.String(), load_default=dict)
    version = Id(load_default=None)


class CompleteTaskSchema(StrictSchema):
    data = fields.Dict(keys=fields.String(), load_default=dict)


class MessageSchema(StrictSchema):
    name = Text(required=True, validate=validate.Length(1, 200))
    payload = fields.Raw(load_default=None, allow_none=True)


class ReasonSchema(StrictSchema):
    reason = Text(load_default=None, allow_none=True, multiline=True, validate=validate.Length(max=2000))


class DefinitionQuery(QuerySchema):
    version = Id(strict=False, load_default=None)
    all_versions = fields.Boolean(load_default=False)


class InstanceQuery(QuerySchema):
    definition_key = Text(load_default=None, validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf(tuple(InstanceStatus)))
    business_key = Text(load_default=None, validate=validate.Length(max=200))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, MAX_ID))


class TaskQuery(QuerySchema):
    lane = Text(load_default=None, validate=validate.Length(max=200))
    instance_id = Id(strict=False, load_default=None)
    state = fields.String(load_default=TaskRowState.READY.value, validate=validate.OneOf((*TaskRowState, ALL_STATES)))
    overdue = fields.Boolean(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, MAX_ID))


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
    message_zh = fields.String(metadata={"description": "what the problem is and where, in Chinese"})
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
    constraints = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    # camunda:property of the field; task rows stored before these existed read as false
    multiline = fields.Boolean(dump_default=False)  # string: several lines of text
    multiple = fields.Boolean(dump_default=False)  # enum: the value is a list of option ids


def schema_of(view: type, name: str, **overrides: fields.Field) -> type[Schema]:
    """A response schema with one field per field of the engine's view dataclass ``view``: the shape is declared
    once, in the engine, and a field added there appears in the API and its OpenAPI document. ``X | None`` fields
    may be null; the others are required. ``overrides`` give fields a plain type cannot describe."""
    hints = typing.get_type_hints(view)
    declared: dict[str, Any] = {}
    for field in dataclasses.fields(view):
        if field.name in overrides:
            declared[field.name] = overrides[field.name]
            continue
        hint = hints[field.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        base = args[0] if optional else hint
        kind = next(f for t, f in _FIELD_TYPES if isinstance(base, type) and issubclass(base, t))
        declared[field.name] = kind(allow_none=True) if optional else kind(required=True)
    return type(name, (Schema,), {**declared, "__module__": __name__, "__doc__": view.__doc__})


_FIELD_TYPES: tuple[tuple[type, type[fields.Field]], ...] = (
    (bool, fields.Boolean),  # before int: bool is an int
    (int, fields.Integer),
    (str, fields.String),  # StrEnums included
    (datetime, fields.DateTime),
    (dict, fields.Dict),
)

TaskSchema = schema_of(TaskView, "TaskSchema", form=fields.List(fields.Nested(FormFieldSchema)))


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
