"""Forms: what ``form_of`` reads from ``camunda:formData`` and what ``validate`` accepts, refuses and returns.

Every constraint is tested at its exact bound on both sides, every type with values it must accept and values it
must refuse, and every refusal with the message the person filling in the form will read.
"""

from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from engine.definitions.forms import FIELD_TYPES, FormField, form_of, validate
from engine.errors import DataInvalid

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="http://emflow.example/bpmn">\n'
)


def parsed_form(fields: str, form_key: str = ' camunda:formKey="f"') -> list[FormField]:
    """The FormFields of user task T whose camunda:formData holds ``fields``, parsed by SpiffWorkflow."""
    xml = (
        f'{HEAD}<bpmn:process id="P" isExecutable="true">\n'
        '<bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        f'<bpmn:userTask id="T"{form_key}><bpmn:extensionElements><camunda:formData>\n{fields}\n'
        "</camunda:formData></bpmn:extensionElements></bpmn:userTask>\n"
        '<bpmn:endEvent id="E"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="T" />\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="T" targetRef="E" />\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    )
    parser = CamundaParser()
    parser.add_bpmn_str(xml.encode())
    return form_of(parser.get_spec("P").task_specs["T"])


def constraint(name: str, config: str | None = None) -> str:
    config_attr = f' config="{config}"' if config is not None else ""
    return f'<camunda:constraint name="{name}"{config_attr} />'


def one_field(field_type: str = "string", *constraints: str, attrs: str = "") -> FormField:
    validation = f"<camunda:validation>{''.join(constraints)}</camunda:validation>" if constraints else ""
    xml = f'<camunda:formField id="a" label="A" type="{field_type}"{attrs}>{validation}</camunda:formField>'
    (only,) = parsed_form(xml)
    return only


def field(field_type: str = "string", **kwargs: Any) -> FormField:
    return FormField(id="x", label="X 字段", type=field_type, **kwargs)


def refusal(fields: list[FormField], data: Any) -> dict[str, str]:
    """The per-field messages of the DataInvalid that ``validate`` must raise."""
    with pytest.raises(DataInvalid) as refused:
        validate(fields, data)
    assert refused.value.details == refused.value.errors
    return refused.value.errors


def accepts(f: FormField, value: Any) -> bool:
    try:
        result = validate([f], {f.id: value})
    except DataInvalid as exc:
        assert list(exc.errors) == [f.id]
        return False
    assert result == {f.id: value}
    assert type(result[f.id]) is type(value)  # returned as submitted, not converted
    return True


# ------------------------------------------------------------------------------------------------ form_of


def test_form_of_reads_every_attribute_of_a_field() -> None:
    fields = parsed_form(
        '<camunda:formField id="severity" label="严重程度" type="long" defaultValue="3">'
        f"<camunda:validation>{constraint('required', 'true')}{constraint('min', '1')}{constraint('max', '5')}"
        "</camunda:validation></camunda:formField>\n"
        '<camunda:formField id="channel" type="enum" defaultValue="phone">'
        '<camunda:value id="phone" name="电话" /><camunda:value id="written" name="书面" /></camunda:formField>\n'
        '<camunda:formField id="note" />'
    )
    assert [f.to_dict() for f in fields] == [
        {
            "id": "severity",
            "label": "严重程度",
            "type": "long",
            "required": True,
            "enum": [],
            "default": "3",
            "constraints": {"min": "1", "max": "5"},
            "readonly": False,
            "multiline": False,
            "multiple": False,
        },
        {
            "id": "channel",
            "label": "channel",  # no label: the id stands in
            "type": "enum",
            "required": False,
            "enum": [{"id": "phone", "name": "电话"}, {"id": "written", "name": "书面"}],
            "default": "phone",
            "constraints": {},
            "readonly": False,
            "multiline": False,
            "multiple": False,
        },
        {
            "id": "note",
            "label": "note",
            "type": "string",  # no type: a string, as in Camunda
            "required": False,
            "enum": [],
            "default": None,
            "constraints": {},
            "readonly": False,
            "multiline": False,
            "multiple": False,
        },
    ]


def test_tasks_without_a_form_have_no_fields() -> None:
    assert parsed_form("", form_key="") == []
    assert parsed_form("") == []

    class ScriptTaskSpec:  # any task spec without a .form (start events, scripts, service tasks)
        pass

    assert form_of(ScriptTaskSpec()) == []


@pytest.mark.parametrize("name", ["required", "readonly"])
@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("true", True),
        ("True", True),
        (" TRUE ", True),
        ("1", True),
        ("yes", True),
        ("Yes", True),
        (None, True),  # Camunda's own form: <camunda:constraint name="required" />
        ("", True),
        ("false", False),
        ("False", False),
        ("0", False),
        ("no", False),
        ("on", False),
    ],
)
def test_required_and_readonly_flags(name: str, config: str | None, expected: bool) -> None:
    parsed = one_field("string", constraint(name, config), constraint("maxlength", "9"))
    assert getattr(parsed, name) is expected
    other = "readonly" if name == "required" else "required"
    assert getattr(parsed, other) is False
    assert parsed.constraints == {"maxlength": "9"}  # flags are not left among the constraints


def test_a_field_without_flags_is_optional_and_writable() -> None:
    parsed = one_field("long", constraint("min", "0"))
    assert (parsed.required, parsed.readonly, parsed.constraints) == (False, False, {"min": "0"})


def test_a_config_less_required_constraint_is_enforced() -> None:
    """``<camunda:constraint name="required" />`` is how Camunda's documentation and modeler write it."""
    parsed = one_field("string", constraint("required"))
    assert refusal([parsed], {}) == {"a": "required (「A」必填)"}


def test_form_field_defaults() -> None:
    f = FormField(id="x", label="X", type="string")
    assert (f.required, f.readonly, f.enum, f.default, f.constraints) == (False, False, [], None, {})
    assert validate([f], {}) == {}
    assert validate([f], {"x": "anything at all"}) == {"x": "anything at all"}
    assert FormField(id="y", label="Y", type="string").enum is not f.enum


def test_field_types_are_camundas() -> None:
    assert FIELD_TYPES == ("string", "long", "double", "boolean", "date", "enum")


# ---------------------------------------------------------------------------------------- the data itself


@pytest.mark.parametrize("data", [None, [], ["x"], "x=1", 1, True])
def test_data_must_be_an_object(data: Any) -> None:
    with pytest.raises(DataInvalid) as refused:
        validate([field()], data)
    assert refused.value.errors == {"data": "must be a JSON object"}
    assert refused.value.message == "invalid data in field(s): data"


def test_a_task_without_a_form_accepts_only_nothing() -> None:
    assert validate([], {}) == {}
    assert refusal([], {"extra": 1}) == {"extra": "not a field of this task's form"}


def test_unknown_fields_are_refused_alongside_known_ones() -> None:
    assert refusal([field()], {"x": "ok", "y": 1, "z": None}) == {
        "y": "not a field of this task's form",
        "z": "not a field of this task's form",
    }


def test_every_problem_is_reported_at_once() -> None:
    fields = [
        field("string", required=True),
        FormField(id="n", label="N", type="long"),
        FormField(id="ro", label="RO", type="string", readonly=True),
        FormField(id="ok", label="OK", type="string"),
    ]
    with pytest.raises(DataInvalid) as refused:
        validate(fields, {"n": "3", "ro": "x", "ok": "fine", "extra": 1})
    assert refused.value.errors == {
        "x": "required (「X 字段」必填)",
        "n": "must be an integer",
        "ro": "read-only field",
        "extra": "not a field of this task's form",
    }
    assert refused.value.message == "invalid data in field(s): extra, n, ro, x"


def test_only_submitted_fields_are_returned_in_form_order() -> None:
    fields = [FormField(id=i, label=i, type="long") for i in ("a", "b", "c")]
    result = validate(fields, {"c": 3, "a": 1})
    assert result == {"a": 1, "c": 3}
    assert list(result) == ["a", "c"]


# ---------------------------------------------------------------------------------------------- required


@pytest.mark.parametrize("data", [{}, {"x": None}, {"x": ""}])
def test_required_fields_must_have_a_value(data: dict[str, Any]) -> None:
    assert refusal([field(required=True)], data) == {"x": "required (「X 字段」必填)"}


@pytest.mark.parametrize("field_type", FIELD_TYPES)
@pytest.mark.parametrize("absent", [None, ""])
def test_none_and_empty_string_are_absent_for_every_type(field_type: str, absent: Any) -> None:
    f = field(field_type, enum=[{"id": "a", "name": "A"}])
    assert validate([f], {"x": absent}) == {}  # not an error, and not stored either
    assert refusal([field(field_type, required=True)], {"x": absent}) == {"x": "required (「X 字段」必填)"}


@pytest.mark.parametrize(("field_type", "value"), [("boolean", False), ("long", 0), ("double", 0.0), ("string", " ")])
def test_falsy_values_are_values(field_type: str, value: Any) -> None:
    assert validate([field(field_type, required=True)], {"x": value}) == {"x": value}


def test_an_absent_optional_field_does_not_stop_the_checks_of_later_fields() -> None:
    fields = [FormField(id="first", label="F", type="string"), FormField(id="second", label="S", type="long")]
    assert refusal(fields, {"second": "x"}) == {"second": "must be an integer"}
    assert validate(fields, {"second": 2}) == {"second": 2}


# ---------------------------------------------------------------------------------------------- readonly


def test_readonly_fields_refuse_any_submitted_value() -> None:
    ro = field("long", readonly=True)
    assert refusal([ro], {"x": 5}) == {"x": "read-only field"}
    assert refusal([ro], {"x": "not even a number"}) == {"x": "read-only field"}  # not checked further
    assert refusal([field("boolean", readonly=True)], {"x": False}) == {"x": "read-only field"}


def test_readonly_fields_may_be_left_out() -> None:
    ro = field("long", readonly=True)
    assert validate([ro], {}) == {}
    assert validate([ro], {"x": None}) == {}
    assert validate([ro], {"x": ""}) == {}


def test_a_readonly_field_does_not_stop_the_checks_of_later_fields() -> None:
    fields = [FormField(id="ro", label="RO", type="string", readonly=True), FormField(id="n", label="N", type="long")]
    assert refusal(fields, {"ro": "x", "n": "3"}) == {"ro": "read-only field", "n": "must be an integer"}
    assert validate(fields, {"n": 3}) == {"n": 3}


# ------------------------------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("field_type", "good", "bad", "message"),
    [
        ("long", [0, 7, -3, 10**20], [True, False, 1.0, 2.5, "5", [5], {"v": 5}], "must be an integer"),
        ("double", [0, 2.5, -1e300, 7], [True, False, "2.5", "nan", [2.5], {"v": 1}], "must be a number"),
        ("boolean", [True, False], [1, 0, "true", "false", "yes", [True]], "must be true or false"),
        ("string", ["a", " ", "水源地", "0"], [5, 2.5, True, False, ["a"], {"a": 1}], "must be a string"),
        (
            "date",
            ["2024-06-01", "2024-06-01T08:30", "2024-06-01T08:30:00Z", "2024-06-01T08:30:00+08:00"],
            [
                "2024-13-01",
                "2024-02-30",
                "yesterday",
                "06/01/2024",
                "2024-06-01T25:00",
                "2024-06-01T08:30:00z",  # ISO 8601's UTC designator is a capital Z
                20240601,
                True,
            ],
            "must be an ISO 8601 date or date-time string",
        ),
    ],
)
def test_each_type_accepts_its_values_and_refuses_others(
    field_type: str, good: list[Any], bad: list[Any], message: str
) -> None:
    f = field(field_type)
    for value in good:
        assert accepts(f, value), value
    for value in bad:
        assert refusal([f], {"x": value}) == {"x": message}, value


def test_dates_are_returned_as_submitted() -> None:
    assert validate([field("date")], {"x": "2024-06-01T08:30:00Z"}) == {"x": "2024-06-01T08:30:00Z"}


def test_enum_accepts_option_ids_only() -> None:
    f = field("enum", enum=[{"id": "phone", "name": "电话"}, {"id": "written", "name": "书面"}])
    assert validate([f], {"x": "phone"}) == {"x": "phone"}
    assert validate([f], {"x": "written"}) == {"x": "written"}
    for bad in ("电话", "PHONE", "fax", 1, True, ["phone"]):
        assert refusal([f], {"x": bad}) == {"x": "must be one of phone, written"}, bad


def test_an_enum_parsed_from_the_diagram_validates_against_its_values() -> None:
    (f,) = parsed_form(
        '<camunda:formField id="channel" type="enum"><camunda:value id="phone" name="电话" /></camunda:formField>'
    )
    assert validate([f], {"channel": "phone"}) == {"channel": "phone"}
    assert refusal([f], {"channel": "电话"}) == {"channel": "must be one of phone"}


# ------------------------------------------------------------------------------------------- constraints


@pytest.mark.parametrize("field_type", ["long", "double"])
def test_min_is_inclusive(field_type: str) -> None:
    f = field(field_type, constraints={"min": "3"})
    assert accepts(f, 3)
    assert accepts(f, 4)
    assert refusal([f], {"x": 2}) == {"x": "must be ≥ 3"}
    assert refusal([f], {"x": -10}) == {"x": "must be ≥ 3"}


@pytest.mark.parametrize("field_type", ["long", "double"])
def test_max_is_inclusive(field_type: str) -> None:
    f = field(field_type, constraints={"max": "10"})
    assert accepts(f, 10)
    assert accepts(f, -10)
    assert refusal([f], {"x": 11}) == {"x": "must be ≤ 10"}


def test_min_and_max_together_and_fractional_bounds() -> None:
    f = field("double", constraints={"min": "0.5", "max": "1.5"})
    for good in (0.5, 1, 1.5):
        assert accepts(f, good), good
    assert refusal([f], {"x": 0.49}) == {"x": "must be ≥ 0.5"}
    assert refusal([f], {"x": 1.51}) == {"x": "must be ≤ 1.5"}
    g = field("long", constraints={"min": "1.5", "max": "3.5"})
    assert refusal([g], {"x": 1}) == {"x": "must be ≥ 1.5"}
    assert accepts(g, 2) and accepts(g, 3)
    assert refusal([g], {"x": 4}) == {"x": "must be ≤ 3.5"}


def test_negative_bounds() -> None:
    f = field("long", constraints={"min": "-5", "max": "-1"})
    assert accepts(f, -5) and accepts(f, -1)
    assert refusal([f], {"x": -6}) == {"x": "must be ≥ -5"}
    assert refusal([f], {"x": 0}) == {"x": "must be ≤ -1"}


def test_minlength_is_inclusive_and_counts_characters() -> None:
    f = field("string", constraints={"minlength": "3"})
    assert accepts(f, "abc")
    assert accepts(f, "水源地")
    assert accepts(f, "abcdefgh")
    assert refusal([f], {"x": "ab"}) == {"x": "must be at least 3 characters"}
    assert refusal([f], {"x": "水源"}) == {"x": "must be at least 3 characters"}


def test_maxlength_is_inclusive_and_counts_characters() -> None:
    f = field("string", constraints={"maxlength": "3"})
    assert accepts(f, "abc")
    assert accepts(f, "水源地")
    assert accepts(f, "a")
    assert refusal([f], {"x": "abcd"}) == {"x": "must be at most 3 characters"}
    assert refusal([f], {"x": "水源地水"}) == {"x": "must be at most 3 characters"}


def test_minlength_and_maxlength_together() -> None:
    f = field("string", constraints={"minlength": "2", "maxlength": "4"})
    for good in ("ab", "abc", "abcd"):
        assert accepts(f, good), good
    assert refusal([f], {"x": "a"}) == {"x": "must be at least 2 characters"}
    assert refusal([f], {"x": "abcde"}) == {"x": "must be at most 4 characters"}


def test_length_constraints_written_as_decimals_still_apply() -> None:
    """The validator accepts any number for minlength/maxlength, so "2.0" must work, not fail every submission."""
    f = field("string", constraints={"minlength": "2.0", "maxlength": "4.0"})
    assert accepts(f, "ab") and accepts(f, "abcd")
    assert refusal([f], {"x": "a"}) == {"x": "must be at least 2.0 characters"}
    assert refusal([f], {"x": "abcde"}) == {"x": "must be at most 4.0 characters"}


def test_constraints_apply_only_to_their_types() -> None:
    assert accepts(field("string", constraints={"min": "5", "max": "6"}), "abcdefghij")
    assert accepts(field("long", constraints={"minlength": "5", "maxlength": "6"}), 1)
    assert accepts(field("double", constraints={"maxlength": "1"}), 123.25)


def test_constraints_parsed_from_the_diagram_are_enforced() -> None:
    f = one_field("long", constraint("required", "true"), constraint("min", "1"), constraint("max", "4"))
    assert validate([f], {"a": 1}) == {"a": 1}
    assert validate([f], {"a": 4}) == {"a": 4}
    assert refusal([f], {"a": 0}) == {"a": "must be ≥ 1"}
    assert refusal([f], {"a": 5}) == {"a": "must be ≤ 4"}
    assert refusal([f], {}) == {"a": "required (「A」必填)"}
    s = one_field("string", constraint("minlength", "2"), constraint("maxlength", "3"))
    assert validate([s], {"a": "ab"}) == {"a": "ab"}
    assert refusal([s], {"a": "abcd"}) == {"a": "must be at most 3 characters"}
    ro = one_field("string", constraint("readonly", "true"), attrs=' defaultValue="fixed"')
    assert ro.default == "fixed"
    assert refusal([ro], {"a": "fixed"}) == {"a": "read-only field"}


def test_a_form_survives_the_round_trip_through_to_dict() -> None:
    """The engine stores forms as dicts with each task and rebuilds them with FormField(**d) to validate."""
    (f,) = parsed_form(
        '<camunda:formField id="n" label="N" type="long"><camunda:validation>'
        f"{constraint('required')}{constraint('max', '2')}</camunda:validation></camunda:formField>"
    )
    rebuilt = FormField(**f.to_dict())
    assert rebuilt == f
    assert refusal([rebuilt], {"n": 3}) == {"n": "must be ≤ 2"}
