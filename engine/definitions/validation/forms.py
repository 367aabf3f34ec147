"""Camunda form fields of user tasks: ids, types, enum values, constraints and default values.

A field's id is a name the diagram sets, so conditions and scripts may read it without a warning.
"""

from __future__ import annotations

import ast
import re
import textwrap
from datetime import datetime
from typing import cast

from lxml import etree

from engine.definitions.forms import FIELD_PROPERTIES, FIELD_TYPES
from engine.definitions.validation.problems import WARNING
from engine.definitions.validation.state import ValidatorState
from engine.definitions.validation.vocabulary import _JUEL, CAMUNDA_NS, _q, _quote
from engine.sandbox import ForbiddenExpression, check_expression

_FORM_CONSTRAINTS = frozenset({"required", "readonly", "min", "max", "minlength", "maxlength"})
_NUMERIC_CONSTRAINTS = frozenset({"min", "max", "minlength", "maxlength"})


class FormChecks(ValidatorState):
    """``camunda:formData`` of every task."""

    def _check_forms(self, root: etree._Element) -> None:
        for form in root.iter(_q("formData", CAMUNDA_NS)):
            seen: dict[str, int | None] = {}
            owner_id = self._owner_id(form)
            for field in form.iter(_q("formField", CAMUNDA_NS)):
                self._check_form_field(field, owner_id, seen)

    def _check_form_field(self, field: etree._Element, owner_id: str | None, seen: dict[str, int | None]) -> None:
        field_id = field.get("id")
        if not field_id:
            self.add("form_field", "a form field has no id", field, owner_id)
            return
        self.defined.add(field_id)
        label = f"form field {_quote(field_id)}"
        if field_id in seen:
            self.add(
                "form_field",
                f"{label} is defined twice in the same form (first at line {seen[field_id]})",
                field,
                owner_id,
            )
        seen[field_id] = cast("int | None", field.sourceline)  # lxml-stubs 0.5.1 leaves sourceline untyped
        if not field_id.isidentifier() or field_id.startswith("_"):
            self.add(
                "form_field",
                f"{label}: the id is not a Python identifier (or starts with '_'), so "
                "conditions and scripts cannot read the value",
                field,
                owner_id,
                severity=WARNING,
            )
        field_type = field.get("type") or "string"
        if field_type not in FIELD_TYPES:
            self.add(
                "form_field",
                f"{label} has type {_quote(field_type)}; supported types: {', '.join(FIELD_TYPES)}",
                field,
                owner_id,
            )
            return
        options = [v.get("id") for v in field if isinstance(v.tag, str) and v.tag == _q("value", CAMUNDA_NS)]
        if field_type == "enum":
            if not options:
                self.add("form_field", f"{label} is an enum without values", field, owner_id)
            duplicates = sorted({o for o in options if options.count(o) > 1 and o})
            if duplicates:
                self.add("form_field", f"{label} lists enum value(s) {', '.join(duplicates)} twice", field, owner_id)
        for constraint in field.iter(_q("constraint", CAMUNDA_NS)):
            name, config = constraint.get("name"), constraint.get("config")
            if name not in _FORM_CONSTRAINTS:
                self.add(
                    "form_field",
                    f"{label}: constraint {_quote(name or '')} is not enforced by emflow "
                    f"(supported: {', '.join(sorted(_FORM_CONSTRAINTS))})",
                    constraint,
                    owner_id,
                    severity=WARNING,
                )
            elif name in _NUMERIC_CONSTRAINTS and not _is_number(config):
                self.add(
                    "form_field", f"{label}: constraint {name} needs a number, not {config!r}", constraint, owner_id
                )
        self._check_form_properties(field, owner_id, label, field_type)
        default = field.get("defaultValue")
        if default is not None:
            self._check_form_default(field, owner_id, label, field_type, default, options)

    def _check_form_properties(self, field: etree._Element, owner_id: str | None, label: str, field_type: str) -> None:
        """``camunda:property`` of a field: emflow reads ``multiline`` (string) and ``multiple`` (enum), set by
        "true"; one on another type, or another value, would be silently ignored by the form."""
        for prop in field.iter(_q("property", CAMUNDA_NS)):
            name, value = prop.get("id") or "", prop.get("value")
            applies_to = FIELD_PROPERTIES.get(name)
            if applies_to is None:
                self.add(
                    "form_field",
                    f"{label}: property {_quote(name)} is not read by emflow "
                    f"(read: {', '.join(f'{p} on {t} fields' for p, t in FIELD_PROPERTIES.items())})",
                    prop,
                    owner_id,
                    severity=WARNING,
                )
            elif (value or "").strip().lower() not in ("true", "false"):
                self.add("form_field", f"{label}: property {name} needs true or false, not {value!r}", prop, owner_id)
            elif applies_to != field_type:
                self.add(
                    "form_field",
                    f"{label}: property {name} applies to {applies_to} fields, not to type {_quote(field_type)}",
                    prop,
                    owner_id,
                )

    def _check_form_default(
        self,
        field: etree._Element,
        owner_id: str | None,
        label: str,
        field_type: str,
        default: str,
        options: list[str | None],
    ) -> None:
        """Defaults are literals for the form, but one that is Python code must still pass the sandbox.

        (a bare word such as ``_draft`` or ``待定`` is text; ``__import__('os')`` is code whatever the field).
        """
        if _JUEL.search(default):
            self.add(
                "form_field",
                f"{label}: default {default!r} is a Camunda expression, which emflow does "
                "not evaluate; use a literal value",
                field,
                owner_id,
            )
            return
        try:
            body = ast.parse(textwrap.dedent(default), mode="eval").body
        except (SyntaxError, RecursionError, MemoryError):
            body = None  # plain text
        if body is not None and not isinstance(body, (ast.Name, ast.Constant)):
            try:
                check_expression(default, "eval", functions=self.functions)
            except (SyntaxError, ForbiddenExpression) as exc:
                reason = exc.message if isinstance(exc, ForbiddenExpression) else exc.msg
                self.add(
                    "forbidden_expression",
                    f"{label}: default value is refused by the sandbox: {reason}",
                    field,
                    owner_id,
                )
                return
        value = default.strip()
        wrong = {
            "long": lambda: re.fullmatch(r"[-+]?\d+", value) is None,
            "double": lambda: not _is_number(value),
            "boolean": lambda: value.lower() not in ("true", "false"),
            "date": lambda: not _is_iso_date(value),
            "enum": lambda: value not in options,
        }.get(field_type, lambda: False)()
        if wrong:
            expected = {
                "long": "an integer",
                "double": "a number",
                "boolean": "true or false",
                "date": "an ISO 8601 date",
                "enum": f"one of {', '.join(o or '' for o in options)}",
            }
            self.add("form_field", f"{label}: default {default!r} is not {expected[field_type]}", field, owner_id)


def _is_number(text: str | None) -> bool:
    try:
        float(text or "")
    except ValueError:
        return False
    return True


def _is_iso_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
