"""Form field properties: multi-line text (``multiline``) and multiple choice (``multiple``).

Both are Camunda's own extension of a form field, ``<camunda:properties><camunda:property id="..." value="true"/>
</camunda:properties>``, which SpiffWorkflow's Camunda parser keeps on the field. What ``form_of`` makes of them,
what ``validate`` accepts and refuses for a multiple choice (each refusal with the message the person reads), and
what deploy-time validation says about a property emflow would otherwise ignore.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.definitions.forms import FIELD_PROPERTIES, FormField, validate
from engine.definitions.validation import check
from engine.errors import DataInvalid
from tests.engine.test_forms_rules import accepts, parsed_form, refusal
from tests.engine.test_validation import user_task

RECEPTORS = [
    {"id": "school", "name": "学校"},
    {"id": "hospital", "name": "医院"},
    {"id": "residential", "name": "居民聚居区"},
    {"id": "other", "name": "其他"},
]
OPTIONS = "school, hospital, residential, other"


def props(**values: str) -> str:
    inner = "".join(f'<camunda:property id="{k}" value="{v}" />' for k, v in values.items())
    return f"<camunda:properties>{inner}</camunda:properties>"


def one(field_type: str, extra: str = "", required: bool = False) -> FormField:
    """The one field ``a`` of type ``field_type`` parsed from a diagram, with ``extra`` inside camunda:formField."""
    values = "".join(f'<camunda:value id="{o["id"]}" name="{o["name"]}" />' for o in RECEPTORS)
    options = values if field_type == "enum" else ""
    validation = '<camunda:validation><camunda:constraint name="required" /></camunda:validation>' if required else ""
    (only,) = parsed_form(
        f'<camunda:formField id="a" label="敏感目标" type="{field_type}">{options}{extra}{validation}'
        "</camunda:formField>"
    )
    return only


def choice(required: bool = False) -> FormField:
    return FormField(id="x", label="敏感目标", type="enum", required=required, enum=RECEPTORS, multiple=True)


# ------------------------------------------------------------------------------------------------ form_of


def test_the_properties_emflow_reads_and_the_types_they_apply_to() -> None:
    assert FIELD_PROPERTIES == {"multiline": "string", "multiple": "enum"}


def test_multiline_string_is_described_to_clients() -> None:
    parsed = one("string", props(multiline="true"))
    assert (parsed.multiline, parsed.multiple) == (True, False)
    assert parsed.to_dict()["multiline"] is True and parsed.to_dict()["multiple"] is False


def test_multiple_enum_is_described_to_clients() -> None:
    parsed = one("enum", props(multiple="true"), required=True)
    assert (parsed.multiple, parsed.multiline, parsed.required) == (True, False, True)
    assert parsed.to_dict()["multiple"] is True
    assert parsed.enum == RECEPTORS


def test_a_field_without_a_type_is_a_string_and_may_be_multiline() -> None:
    (parsed,) = parsed_form(f'<camunda:formField id="a" label="基本过程">{props(multiline="true")}</camunda:formField>')
    assert (parsed.type, parsed.multiline) == ("string", True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), (" True ", True), ("false", False), ("1", False), ("yes", False), ("", False)],
)
def test_only_true_sets_a_property(value: str, expected: bool) -> None:
    assert one("string", props(multiline=value)).multiline is expected
    assert one("enum", props(multiple=value)).multiple is expected


def test_a_property_without_a_value_is_not_set() -> None:
    parsed = one("string", '<camunda:properties><camunda:property id="multiline" /></camunda:properties>')
    assert parsed.multiline is False


def test_without_properties_nothing_changes() -> None:
    for field_type in ("string", "enum"):
        parsed = one(field_type)
        assert (parsed.multiline, parsed.multiple) == (False, False), field_type


@pytest.mark.parametrize("field_type", ["long", "double", "boolean", "date", "enum"])
def test_multiline_applies_to_strings_only(field_type: str) -> None:
    assert one(field_type, props(multiline="true")).multiline is False


@pytest.mark.parametrize("field_type", ["string", "long", "double", "boolean", "date"])
def test_multiple_applies_to_enums_only(field_type: str) -> None:
    assert one(field_type, props(multiple="true")).multiple is False


def test_both_properties_and_unknown_ones_side_by_side() -> None:
    parsed = one("enum", props(colour="red", multiline="true", multiple="true"))
    assert (parsed.multiple, parsed.multiline) == (True, False)


# ------------------------------------------------------------------------------------------ multi-line text


def test_multiline_text_is_validated_as_any_string() -> None:
    f = FormField(id="x", label="基本过程", type="string", multiline=True, constraints={"maxlength": "14"})
    assert accepts(f, "8时40分发现泄漏\n9时报告")  # 14 characters, the line break counted
    assert refusal([f], {"x": "8时40分发现泄漏\n9时报告了"}) == {"x": "must be at most 14 characters"}
    assert refusal([f], {"x": ["第一行", "第二行"]}) == {"x": "must be a string"}


# -------------------------------------------------------------------------------------------- multiple choice


@pytest.mark.parametrize(
    "value",
    [["school"], ["other"], ["hospital", "school"], ["school", "hospital", "residential", "other"]],
)
def test_a_multiple_choice_accepts_distinct_option_ids_as_submitted(value: list[str]) -> None:
    assert accepts(choice(), value)
    assert accepts(choice(required=True), value)
    assert validate([choice()], {"x": value})["x"] is value  # the order chosen is kept


def test_an_empty_choice_is_an_answer_unless_required() -> None:
    assert validate([choice()], {"x": []}) == {"x": []}
    required = "required: choose at least one (「敏感目标」至少选择一项)"
    assert refusal([choice(required=True)], {"x": []}) == {"x": required}


@pytest.mark.parametrize("absent", [None, ""])
def test_an_absent_choice_is_left_out_or_required(absent: Any) -> None:
    assert validate([choice()], {"x": absent}) == {}
    assert validate([choice()], {}) == {}
    assert refusal([choice(required=True)], {"x": absent}) == {"x": "required (「敏感目标」必填)"}


@pytest.mark.parametrize("value", ["school", "school,hospital", 1, True, {"school": True}, ("school",)])
def test_a_multiple_choice_must_be_a_list(value: Any) -> None:
    assert refusal([choice()], {"x": value}) == {"x": f"must be a list of option ids, each one of {OPTIONS}"}


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (["fax"], "fax"),
        (["学校"], "学校"),
        (["School"], "School"),
        (["school", "kindergarten", "hospital", "zoo"], "kindergarten, zoo"),
        ([1], "1"),
        (["school", None], "None"),
        ([["school"]], "['school']"),
    ],
)
def test_unknown_options_are_named(value: list[Any], named: str) -> None:
    expected = f"unknown option(s) {named}; each must be one of {OPTIONS}"
    assert refusal([choice()], {"x": value}) == {"x": expected}
    assert refusal([choice(required=True)], {"x": value}) == {"x": expected}


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (["school", "school"], "school"),
        (["school", "hospital", "school"], "school"),
        (["residential", "hospital", "residential", "hospital", "other"], "hospital, residential"),
        (["other", "other", "other"], "other"),
    ],
)
def test_options_chosen_twice_are_named(value: list[str], named: str) -> None:
    assert refusal([choice()], {"x": value}) == {"x": f"option(s) chosen more than once: {named}"}


def test_an_unknown_option_is_reported_before_a_duplicate() -> None:
    assert refusal([choice()], {"x": ["fax", "fax"]}) == {
        "x": f"unknown option(s) fax, fax; each must be one of {OPTIONS}"
    }


def test_a_readonly_multiple_choice_refuses_any_value() -> None:
    f = FormField(id="x", label="X", type="enum", enum=RECEPTORS, multiple=True, readonly=True)
    assert refusal([f], {"x": ["school"]}) == {"x": "read-only field"}
    assert validate([f], {}) == {}


def test_a_single_choice_enum_keeps_its_behaviour() -> None:
    single = FormField(id="x", label="X", type="enum", enum=RECEPTORS)
    assert validate([single], {"x": "school"}) == {"x": "school"}
    for bad in (["school"], [], "fax"):
        assert refusal([single], {"x": bad}) == {"x": f"must be one of {OPTIONS}"}, bad


def test_a_parsed_multiple_choice_validates_against_its_options() -> None:
    f = one("enum", props(multiple="true"), required=True)
    assert validate([f], {"a": ["residential", "other"]}) == {"a": ["residential", "other"]}
    with pytest.raises(DataInvalid) as refused:
        validate([f], {"a": ["residential", "farm"]})
    assert refused.value.errors == {"a": f"unknown option(s) farm; each must be one of {OPTIONS}"}
    assert refused.value.message == "invalid data in field(s): a"


def test_a_multiple_choice_is_checked_with_the_other_fields_at_once() -> None:
    fields = [choice(required=True), FormField(id="n", label="N", type="long")]
    assert refusal(fields, {"x": ["school", "school"], "n": "3"}) == {
        "x": "option(s) chosen more than once: school",
        "n": "must be an integer",
    }


def test_stored_forms_without_the_new_keys_still_validate() -> None:
    """Task rows written before the properties existed hold forms without them: they read as false."""
    stored = {"id": "x", "label": "X", "type": "enum", "required": True, "enum": RECEPTORS, "readonly": False}
    f = FormField(**stored)
    assert (f.multiline, f.multiple) == (False, False)
    assert validate([f], {"x": "school"}) == {"x": "school"}


# ------------------------------------------------------------------------------------- deploy-time validation


def problems(field: str) -> list[tuple[str, str, str]]:
    return [(p.code, p.severity, p.message) for p in check(user_task(field), include_warnings=True)]


def test_valid_properties_deploy() -> None:
    options = '<camunda:value id="school" name="学校" />'
    xml = user_task(
        f'<camunda:formField id="course" label="基本过程" type="string">{props(multiline="true")}</camunda:formField>'
        f'<camunda:formField id="note" label="备注">{props(multiline="FALSE")}</camunda:formField>'
        f'<camunda:formField id="receptors" label="敏感目标" type="enum">{options}{props(multiple=" True ")}'
        "</camunda:formField>"
    )
    assert check(xml, include_warnings=True) == []


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            f'<camunda:formField id="a" type="long">{props(multiline="true")}</camunda:formField>',
            ("form_field", "error", "form field 'a': property multiline applies to string fields, not to type 'long'"),
        ),
        (
            f'<camunda:formField id="a" type="string">{props(multiple="true")}</camunda:formField>',
            ("form_field", "error", "form field 'a': property multiple applies to enum fields, not to type 'string'"),
        ),
        (
            f'<camunda:formField id="a">{props(multiline="yes")}</camunda:formField>',
            ("form_field", "error", "form field 'a': property multiline needs true or false, not 'yes'"),
        ),
        (
            '<camunda:formField id="a"><camunda:properties><camunda:property id="multiline" />'
            "</camunda:properties></camunda:formField>",
            ("form_field", "error", "form field 'a': property multiline needs true or false, not None"),
        ),
        (
            f'<camunda:formField id="a">{props(rows="5")}</camunda:formField>',
            (
                "form_field",
                "warning",
                "form field 'a': property 'rows' is not read by emflow "
                "(read: multiline on string fields, multiple on enum fields)",
            ),
        ),
    ],
)
def test_misused_properties_are_named_at_deploy_time(field: str, expected: tuple[str, str, str]) -> None:
    assert problems(field) == [expected]
    [problem] = check(user_task(field), include_warnings=True)
    assert problem.element_id == "T" and problem.line is not None
