"""User-task forms from ``camunda:formData``: their description for clients and validation of submitted data.

Camunda 7 field types: string, long, boolean, date, enum (plus double, which SpiffWorkflow passes through).
Constraints honoured: required, min, max, minlength, maxlength, readonly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from engine.errors import DataInvalid

FIELD_TYPES = ("string", "long", "double", "boolean", "date", "enum")


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
        fields.append(
            FormField(
                id=f.id,
                label=f.label or f.id,
                type=f.type or "string",
                required=_flag(constraints, "required"),
                readonly=_flag(constraints, "readonly"),
                enum=[{"id": o.id, "name": o.name} for o in getattr(f, "options", [])],
                default=f.default_value,
                constraints=constraints,
            )
        )
    return fields


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


def _check_range(f: FormField, value: float) -> None:
    if "min" in f.constraints and value < float(f.constraints["min"]):
        raise ValueError(f"must be ≥ {f.constraints['min']}")
    if "max" in f.constraints and value > float(f.constraints["max"]):
        raise ValueError(f"must be ≤ {f.constraints['max']}")
