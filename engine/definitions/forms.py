"""User-task forms from ``camunda:formData``: their description for clients and validation of submitted data.

Camunda 7 field types: string, long, boolean, date, enum (plus double, which SpiffWorkflow passes through).
Constraints honoured: required, min, max, minlength, maxlength, readonly.

Two field properties (Camunda's own extension of a form field, ``<camunda:properties><camunda:property
id="multiline" value="true"/></camunda:properties>``) describe what the constraints cannot: ``multiline`` on a
string field asks for several lines of text (a narrative: 基本过程, 处置情况), and ``multiple`` on an enum field makes
it a multiple choice whose value is a JSON list of option ids (学校, 医院 ... ticked together). A property is set by
the value "true" only; deploy-time validation refuses other values and a property on the wrong type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from engine.errors import DataInvalid

FIELD_TYPES = ("string", "long", "double", "boolean", "date", "enum")
FIELD_PROPERTIES = {"multiline": "string", "multiple": "enum"}  # camunda:property id -> the field type it applies to


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    type: str
    required: bool = False
    enum: list[dict[str, str]] = field(default_factory=list)
    default: Any = None
    constraints: dict[str, str] = field(default_factory=dict)
    readonly: bool = False
    multiline: bool = False  # string: several lines of text
    multiple: bool = False  # enum: a list of distinct option ids

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def form_of(task_spec: Any) -> list[FormField]:
    """The form fields of a SpiffWorkflow Camunda user task (empty for other tasks)."""
    form = getattr(task_spec, "form", None)
    if form is None:
        return []
    fields = []
    for f in form.fields:
        constraints = {v.name: v.config for v in f.validation}
        field_type = f.type or "string"
        properties = {p.id: p.value for p in f.properties}
        fields.append(
            FormField(
                id=f.id,
                label=f.label or f.id,
                type=field_type,
                required=_flag(constraints, "required"),
                readonly=_flag(constraints, "readonly"),
                enum=[{"id": o.id, "name": o.name} for o in getattr(f, "options", [])],
                default=f.default_value,
                constraints=constraints,
                multiline=_property(properties, "multiline", field_type),
                multiple=_property(properties, "multiple", field_type),
            )
        )
    return fields


def _property(properties: dict[str, str | None], name: str, field_type: str) -> bool:
    """Whether property ``name`` is set ("true", any case) on a field of the type it applies to: a property on
    another type is refused at deploy time, and never changes what a form accepts."""
    return FIELD_PROPERTIES[name] == field_type and str(properties.get(name)).strip().lower() == "true"


def _flag(constraints: dict[str, str], name: str) -> bool:
    """Take flag constraint ``name`` out of ``constraints``: set if present without a config (Camunda's own form,
    ``<camunda:constraint name="required" />``) or with a true one ("true", "1", "yes")."""
    if name not in constraints:
        return False
    config = constraints.pop(name)
    return (config or "").strip().lower() in ("", "true", "1", "yes")


def validate(fields: list[FormField], data: Any) -> dict[str, Any]:
    """Check submitted data against a form; return the normalised values or raise DataInvalid naming fields.

    A task without a form accepts no data: anything a diagram reads must be declared where it is captured.
    """
    if not isinstance(data, dict):
        raise DataInvalid({"data": "must be a JSON object"})
    by_id = {f.id: f for f in fields}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key in data:
        if key not in by_id:
            errors[key] = "not a field of this task's form"
    for f in fields:
        value = data.get(f.id)
        if value is None or value == "":
            if f.required:
                errors[f.id] = f"required (「{f.label}」必填)"
            continue
        if f.readonly:
            errors[f.id] = "read-only field"
            continue
        try:
            clean[f.id] = _coerce(f, value)
        except ValueError as exc:
            errors[f.id] = str(exc)
    if errors:
        raise DataInvalid(errors)
    return clean


def _coerce(f: FormField, value: Any) -> Any:
    if f.type == "long":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be an integer")
        _check_range(f, value)
        return value
    if f.type == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("must be a number")
        _check_range(f, value)
        return value
    if f.type == "boolean":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if f.type == "enum":
        allowed = [o["id"] for o in f.enum]
        if f.multiple:
            return _choices(f, value, allowed)
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    if f.type == "date":
        if not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date or date-time string")
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("must be an ISO 8601 date or date-time string") from None
        return value
    if not isinstance(value, str):
        raise ValueError("must be a string")
    n = len(value)
    if "minlength" in f.constraints and n < float(f.constraints["minlength"]):
        raise ValueError(f"must be at least {f.constraints['minlength']} characters")
    if "maxlength" in f.constraints and n > float(f.constraints["maxlength"]):
        raise ValueError(f"must be at most {f.constraints['maxlength']} characters")
    return value


def _choices(f: FormField, value: Any, allowed: list[str]) -> list[str]:
    """A multiple choice: a JSON list of distinct option ids, returned as submitted. An empty list is an answer
    ("none of these") unless the field is required, which asks for at least one."""
    if not isinstance(value, list):
        raise ValueError(f"must be a list of option ids, each one of {', '.join(allowed)}")
    unknown = [str(v) for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)}; each must be one of {', '.join(allowed)}")
    twice = sorted({v for v in value if value.count(v) > 1})
    if twice:
        raise ValueError(f"option(s) chosen more than once: {', '.join(twice)}")
    if f.required and not value:
        raise ValueError(f"required: choose at least one (「{f.label}」至少选择一项)")
    return value


def _check_range(f: FormField, value: float) -> None:
    if "min" in f.constraints and value < float(f.constraints["min"]):
        raise ValueError(f"must be ≥ {f.constraints['min']}")
    if "max" in f.constraints and value > float(f.constraints["max"]):
        raise ValueError(f"must be ≤ {f.constraints['max']}")
