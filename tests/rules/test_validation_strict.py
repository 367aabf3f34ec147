"""Ruleset validation refuses what it must, names the rule and the field, and accepts every valid edge.

Each refusal below is one a deployer could write by mistake (``report_to: []``, a typo in a key, ``null`` for a
fact) and that would otherwise change who is told or how fast without a word.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from rules import Investigation, OnwardReport, Ruleset, RulesetInvalid, default_ruleset
from rules.conditions import Comparison, ConditionParser
from rules.facts import FACT_SPECS
from rules.ruleset import CONDITION_FACTS


def overlay_body(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "strict-overlay",
        "version": 1,
        "kind": "overlay",
        "base": "cn-national-2015",
        "description": "validation test",
        "rules": rules,
    }


def baseline_body() -> dict[str, Any]:
    return copy.deepcopy(dict(default_ruleset().body))


def problems_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(RulesetInvalid) as caught:
        Ruleset.parse(body)
    return caught.value.problems


def one_rule(then: dict[str, Any] | None = None, when: Any = "always") -> dict[str, Any]:
    return overlay_body([{"id": "r1", "cites": "local 1", "when": when, "then": then or {"leader_on_scene": True}}])


def assert_refused(body: dict[str, Any], rule: str | None, field: str, message: str) -> None:
    problems = problems_of(body)
    assert [(p["rule"], p["field"]) for p in problems] == [(rule, field)], problems
    assert message in problems[0]["message"], problems


# ---- outputs (rules.outputs) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ([], "then.report_to", "non-empty list of authority names"),
        ("city_eeb", "then.report_to", "non-empty list of authority names"),
        ({"city_eeb": True}, "then.report_to", "non-empty list of authority names"),
        (["city_eeb", "city_eeb"], "then.report_to", "lists a recipient twice"),
        (["city_eeb", "City EEB"], "then.report_to[1]", "snake_case authority name"),
        (["city_eeb", 7], "then.report_to[1]", "snake_case authority name"),
        (["1st_office"], "then.report_to[0]", "snake_case authority name"),
        (["city_eeb\n"], "then.report_to[0]", "snake_case authority name"),
    ],
)
def test_report_to_must_list_each_recipient_once(value: Any, field: str, message: str) -> None:
    assert_refused(one_rule({"report_to": value}), "r1", field, message)


def test_report_to_accepts_snake_case_names_in_order() -> None:
    parsed = Ruleset.parse(one_rule({"report_to": ["city_eeb", "a", "county_government_2"]}))
    assert parsed.rules[0].then["report_to"] == ("city_eeb", "a", "county_government_2")


ONWARD = {"from": "provincial_eeb", "to": ["mee"], "within_minutes": 60}


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ([], "then.onward_reports", "non-empty list of {from, to, within_minutes}"),
        (ONWARD, "then.onward_reports", "non-empty list"),
        ([ONWARD, "mee"], "then.onward_reports[1]", "must be an object"),
        ([{**ONWARD, "basis": "O17"}], "then.onward_reports[0]", "unknown ['basis']"),
        ([{**ONWARD, "whithin_minutes": 60}], "then.onward_reports[0]", "unknown ['whithin_minutes']"),
        ([{"from": "provincial_eeb", "to": ["mee"]}], "then.onward_reports[0]", "missing ['within_minutes']"),
        ([{"to": ["mee"], "within_minutes": 5}], "then.onward_reports[0]", "missing ['from']"),
        ([{**ONWARD, "within_minutes": 0}], "then.onward_reports[0].within_minutes", "positive integer"),
        ([{**ONWARD, "within_minutes": -5}], "then.onward_reports[0].within_minutes", "positive integer"),
        ([{**ONWARD, "within_minutes": True}], "then.onward_reports[0].within_minutes", "positive integer"),
        ([{**ONWARD, "within_minutes": 1.5}], "then.onward_reports[0].within_minutes", "positive integer"),
        ([{**ONWARD, "within_minutes": "60"}], "then.onward_reports[0].within_minutes", "positive integer"),
        ([{**ONWARD, "from": "Provincial EEB"}], "then.onward_reports[0].from", "snake_case"),
        ([ONWARD, {**ONWARD, "to": []}], "then.onward_reports[1].to", "non-empty list of authority names"),
        ([{**ONWARD, "to": ["mee", "MEE"]}], "then.onward_reports[0].to[1]", "snake_case"),
        ([{**ONWARD, "to": ["mee", "mee"]}], "then.onward_reports[0].to", "twice"),
    ],
)
def test_onward_reports_are_exactly_from_to_within_minutes(value: Any, field: str, message: str) -> None:
    assert_refused(one_rule({"onward_reports": value}), "r1", field, message)


def test_onward_reports_keep_the_rules_article_as_basis() -> None:
    value = [ONWARD, {"from": "mee", "to": ["state_council"], "within_minutes": None}]
    parsed = Ruleset.parse(one_rule({"onward_reports": value}))
    assert parsed.rules[0].then["onward_reports"] == (
        OnwardReport("provincial_eeb", ("mee",), 60, "local 1"),
        OnwardReport("mee", ("state_council",), None, "local 1"),
    )
    assert parsed.rules[0].then["onward_reports"][1].to_dict() == {
        "from": "mee",
        "to": ["state_council"],
        "within_minutes": None,
        "basis": "local 1",
    }
    one_minute = Ruleset.parse(one_rule({"onward_reports": [{**ONWARD, "within_minutes": 1}]}))
    assert one_minute.rules[0].then["onward_reports"][0].within_minutes == 1


INVESTIGATION = {"lead": "city_eeb", "time_limit_days": 30, "mandatory": False}


def baseline_with_investigation(value: Any) -> dict[str, Any]:
    body = baseline_body()
    rule = next(r for r in body["rules"] if r["id"] == "investigation-mee")
    rule["then"]["investigation"] = value
    return body


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        ({**INVESTIGATION, "vlaue": 1}, "then.investigation", "exactly lead, time_limit_days, mandatory"),
        ({"lead": "city_eeb", "time_limit_days": 30}, "then.investigation", "exactly lead"),
        (["city_eeb", 30, False], "then.investigation", "exactly lead"),
        ({**INVESTIGATION, "lead": "county_eeb"}, "then.investigation.lead", "one of mee, provincial_eeb, city_eeb"),
        ({**INVESTIGATION, "lead": 1}, "then.investigation.lead", "or null"),
        ({**INVESTIGATION, "time_limit_days": 0}, "then.investigation.time_limit_days", "positive integer"),
        ({**INVESTIGATION, "time_limit_days": True}, "then.investigation.time_limit_days", "positive integer"),
        ({**INVESTIGATION, "time_limit_days": 2.5}, "then.investigation.time_limit_days", "positive integer"),
        ({**INVESTIGATION, "mandatory": "yes"}, "then.investigation.mandatory", "true or false"),
        ({**INVESTIGATION, "mandatory": 1}, "then.investigation.mandatory", "true or false"),
        ({"lead": None, "time_limit_days": 30, "mandatory": False}, "then.investigation", "without a lead"),
        ({"lead": None, "time_limit_days": None, "mandatory": True}, "then.investigation", "without a lead"),
    ],
)
def test_investigation_is_exactly_lead_days_mandatory(value: Any, field: str, message: str) -> None:
    assert_refused(baseline_with_investigation(value), "investigation-mee", field, message)


@pytest.mark.parametrize(
    "value",
    [
        {"lead": None, "time_limit_days": None, "mandatory": False},
        {"lead": "mee", "time_limit_days": None, "mandatory": True},
        {"lead": "provincial_eeb", "time_limit_days": 1, "mandatory": False},
    ],
)
def test_valid_investigations(value: dict[str, Any]) -> None:
    parsed = Ruleset.parse(baseline_with_investigation(value))
    rule = next(r for r in parsed.rules if r.id == "investigation-mee")
    assert rule.then["investigation"] == Investigation(**value)


@pytest.mark.parametrize(
    ("then", "field", "message"),
    [
        ({"level": "V"}, "then.level", "must be one of I, II, III, IV, got 'V'"),
        ({"level": 1}, "then.level", "must be one of"),
        ({"response_level": "i"}, "then.response_level", "must be one of I, II, III, IV"),
        ({"response_lead": "village_committee"}, "then.response_lead", "provincial_government"),
        ({"art4_trigger": "art4_6"}, "then.art4_trigger", "art4_1, art4_2"),
        ({"radiation_event": 1}, "then.radiation_event", "can only be true"),
        ({"treat_as_major_for_reporting": False}, "then.treat_as_major_for_reporting", "can only be true"),
        ({"notify_adjacent_regions": "yes"}, "then.notify_adjacent_regions", "can only be true"),
        ({"leader_on_scene": None}, "then.leader_on_scene", "can only be true"),
        ({"initial_report_deadline_minutes": True}, "then.initial_report_deadline_minutes", "positive integer"),
        ({"initial_report_deadline_minutes": -1}, "then.initial_report_deadline_minutes", "positive integer"),
        ({"initial_report_deadline_minutes": 30.0}, "then.initial_report_deadline_minutes", "positive integer"),
    ],
)
def test_each_output_value_is_checked(then: dict[str, Any], field: str, message: str) -> None:
    body = baseline_body()
    body["rules"].append({"id": "extra", "cites": "x", "when": "always", "then": then})
    assert_refused(body, "extra", field, message)


def test_valid_output_values_are_kept() -> None:
    body = baseline_body()
    then = {
        "level": "II",
        "response_level": "III",
        "response_lead": "city_government",
        "art4_trigger": "art4_5",
        "radiation_event": True,
        "initial_report_deadline_minutes": 1,
    }
    body["rules"].append(
        {"id": "extra", "cites": "x", "when": {"fact": "deaths", "op": ">", "value": 999}, "then": then}
    )
    parsed = Ruleset.parse(body)
    assert dict(parsed.rules[-1].then) == then
    immediate = one_rule({"initial_report_deadline_minutes": None})
    assert Ruleset.parse(immediate).rules[0].then == {"initial_report_deadline_minutes": None}


# ---- comparisons (rules.conditions) --------------------------------------------------------------------------


def parse_condition(data: Any) -> tuple[Any, list[tuple[str, str]]]:
    parser = ConditionParser(CONDITION_FACTS)
    return parser.parse(data, "when"), parser.problems


@pytest.mark.parametrize(
    "data",
    [
        {"fact": "deaths", "op": ">=", "vlaue": 3},
        {"fact": "deaths", "op": ">=", "value": 3, "note": "x"},
        {"fact": "deaths", "op": ">=", "value": 3, "all": []},
    ],
)
def test_unknown_keys_in_a_comparison_are_refused_naming_them(data: dict[str, Any]) -> None:
    condition, problems = parse_condition(data)
    extra = sorted(set(data) - {"fact", "op", "value"})
    assert condition is None
    assert problems == [("when", f"unknown keys {extra} in a comparison")]
    assert_refused(one_rule(when=data), "r1", "when", f"unknown keys {extra}")


@pytest.mark.parametrize("spec", [s for s in FACT_SPECS if s.kind != "optional_enum"], ids=lambda s: s.name)
def test_null_is_refused_for_every_fact_that_cannot_be_null(spec: Any) -> None:
    op = {"strings": "contains"}.get(spec.kind, "==")
    condition, problems = parse_condition({"fact": spec.name, "op": op, "value": None})
    assert condition is None
    [(path, message)] = problems
    assert path == "when.value"
    assert message.startswith(f"{spec.name} ") and message.endswith("got None")


def test_null_is_a_value_of_the_radioactive_source_class_only() -> None:
    assert parse_condition({"fact": "radioactive_source_class", "op": "==", "value": None}) == (
        Comparison("radioactive_source_class", "==", None),
        [],
    )
    assert parse_condition({"fact": "radioactive_source_class", "op": "in", "value": ["I", None]})[0] == Comparison(
        "radioactive_source_class", "in", ("I", None)
    )
    _, problems = parse_condition({"fact": "radioactive_source_class", "op": "==", "value": "VI"})
    assert problems == [("when.value", "radioactive_source_class is one of I, II, III, IV, V or null; got 'VI'")]
    _, problems = parse_condition({"fact": "cross_boundary", "op": "==", "value": "planet"})
    assert problems == [("when.value", "cross_boundary is one of none, county, city, province, national; got 'planet'")]


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"fact": "deaths", "op": "<", "value": 2.5}, "when.value", "deaths is a whole count; got 2.5"),
        ({"fact": "deaths", "op": "<", "value": True}, "when.value", "deaths is a number; got True"),
        ({"fact": "deaths", "op": "<", "value": "3"}, "when.value", "deaths is a number"),
        ({"fact": "deaths", "op": ">", "value": -1}, "when.value", "finite and >= 0; got -1"),
        ({"fact": "direct_loss_yuan", "op": ">", "value": -0.5}, "when.value", "finite and >= 0"),
        ({"fact": "direct_loss_yuan", "op": ">", "value": math.inf}, "when.value", "finite and >= 0; got inf"),
        ({"fact": "direct_loss_yuan", "op": ">", "value": math.nan}, "when.value", "finite and >= 0"),
        ({"fact": "heavy_metal", "op": "==", "value": 1}, "when.value", "heavy_metal is true or false; got 1"),
        ({"fact": "heavy_metal", "op": "==", "value": "true"}, "when.value", "true or false"),
        ({"fact": "heavy_metal", "op": "<", "value": True}, "when.op", "operator '<' does not apply"),
        ({"fact": "heavy_metal", "op": "in", "value": [True]}, "when.op", "use one of == !="),
        ({"fact": "cross_boundary", "op": ">=", "value": "city"}, "when.op", "use one of == != in not_in"),
        ({"fact": "deaths", "op": "contains", "value": 3}, "when.op", "(count)"),
        ({"fact": "sensitive_receptors", "op": "==", "value": []}, "when.op", "use one of contains not_empty"),
        ({"fact": "sensitive_receptors", "op": "contains", "value": ""}, "when.value", "non-empty strings; got ''"),
        ({"fact": "sensitive_receptors", "op": "contains", "value": 3}, "when.value", "non-empty strings"),
        ({"fact": "art4_triggers", "op": "contains", "value": "art4_9"}, "when.value", "holds art4_1, art4_2"),
        ({"fact": "sensitive_receptors", "op": "not_empty", "value": None}, "when.value", "takes no value"),
        ({"fact": "deaths", "op": ">="}, "when.value", "missing value"),
        ({"fact": "deaths", "op": "in", "value": 3}, "when.value", "in needs a non-empty list of values"),
        ({"fact": "deaths", "op": "not_in", "value": []}, "when.value", "not_in needs a non-empty list"),
        ({"fact": "deaths", "op": "in", "value": [1, 1]}, "when.value", "lists a value twice"),
        ({"fact": "heavy_metal", "op": "==", "value": None}, "when.value", "true or false; got None"),
        ({"fact": "cross_boundary", "op": "in", "value": ["city", "moon"]}, "when.value", "got 'moon'"),
        ({"fact": "deaths", "op": "in", "value": [1, -2]}, "when.value", "got -2"),
        ({"fact": 3, "op": "==", "value": 3}, "when.fact", "unknown fact 3"),
        ({"op": "==", "value": 3}, "when.fact", "unknown fact None"),
        ({"fact": "deaths", "value": 3}, "when.op", "operator None"),
        ({"all": "deaths"}, "when.all", "non-empty list of conditions"),
        ({"any": []}, "when.any", "non-empty list of conditions"),
        ({"all": [], "any": []}, "when", "unknown condition keys ['all', 'any']"),
        ({}, "when", "unknown condition keys []"),
        (["always"], "when", "must be 'always'"),
        ("never", "when", "must be 'always'"),
        (None, "when", "must be 'always'"),
        ({"any": ["always", {"fact": "deaths", "op": "=", "value": 1}]}, "when.any[1].op", "operator '='"),
        ({"all": [{"any": ["always", "x"]}]}, "when.all[0].any[1]", "must be 'always'"),
    ],
)
def test_every_bad_comparison_is_refused_with_its_path(data: Any, path: str, message: str) -> None:
    condition, problems = parse_condition(data)
    assert condition is None
    assert [p for p, _ in problems] == [path], problems
    assert message in problems[0][1]


def test_one_bad_item_reports_the_item_and_drops_the_group_but_not_the_other_problems() -> None:
    parser = ConditionParser(CONDITION_FACTS)
    data = {"all": [{"fact": "deaths", "op": ">=", "value": -1}, {"fact": "nope", "op": "==", "value": 1}]}
    assert parser.parse(data, "when") is None
    assert [path for path, _ in parser.problems] == ["when.all[0].value", "when.all[1].fact"]


@pytest.mark.parametrize(
    "data",
    [{"fact": "deaths", "op": op, "value": 0} for op in ("==", "!=", "<", "<=", ">", ">=")]
    + [
        {"fact": "direct_loss_yuan", "op": ">=", "value": 0.5},
        {"fact": "direct_loss_yuan", "op": "in", "value": [0, 0.5]},
        {"fact": "deaths", "op": "not_in", "value": [0, 1]},
        {"fact": "heavy_metal", "op": "!=", "value": False},
        {"fact": "cross_boundary", "op": "not_in", "value": ["none"]},
        {"fact": "level", "op": "in", "value": ["I", "II"]},
        {"fact": "sensitive_receptors", "op": "contains", "value": "any place at all"},
        {"fact": "art4_triggers", "op": "contains", "value": "art4_5"},
        {"fact": "art4_triggers", "op": "not_empty"},
    ],
)
def test_every_valid_comparison_is_kept_as_written(data: dict[str, Any]) -> None:
    condition, problems = parse_condition(data)
    assert problems == []
    value = data.get("value")
    assert condition == Comparison(data["fact"], data["op"], tuple(value) if isinstance(value, list) else value)
    assert Ruleset.parse(one_rule(when=data)).rules[0].when == condition


def test_names_and_ids_with_a_trailing_newline_are_refused() -> None:
    # "^...$" matched before a final newline: "city_eeb\n" was accepted as an authority and as a rule id
    body = baseline_body()
    body["name"] = "cn-national-2015\n"
    body["rules"][0]["id"] = "deaths-I\n"
    fields = {(p["rule"], p["field"]) for p in problems_of(body)}
    assert fields == {(None, "name"), ("rules[0]", "id")}
    overlay = one_rule()
    overlay["base"] = "cn-national-2015\n"
    assert_refused(overlay, None, "base", "must name the baseline")
