"""The one-line summary of a rules error: what the API and the command line show above the detailed list.

``str(FactsInvalid)`` and ``str(RulesetInvalid)`` become the ``message`` of the error the engine raises (e.g.
"the incident facts cannot be graded: ...", "invalid ruleset: ..."), so every bad field and rule must be in it,
each with its message, in the order of the detailed list.
"""

from __future__ import annotations

import copy

import pytest

from rules import FactsInvalid, Ruleset, RulesetInvalid, default_ruleset, parse_facts
from tests.rules.incidents import incident


def test_facts_summary_lists_every_field_with_its_message_in_contract_order() -> None:
    facts = incident(deaths="3", heavy_metal=None)
    del facts["evacuated"]
    with pytest.raises(FactsInvalid) as caught:
        parse_facts(facts)
    assert caught.value.errors == [
        {"field": "deaths", "message": "must be an integer, got string"},
        {"field": "evacuated", "message": "required field is missing"},
        {"field": "heavy_metal", "message": "must be true or false, got null"},
    ]
    assert str(caught.value) == (
        "invalid incident facts: deaths: must be an integer, got string; evacuated: required field is missing; "
        "heavy_metal: must be true or false, got null"
    )


def test_ruleset_summary_names_the_ruleset_and_each_rule_and_field() -> None:
    error = RulesetInvalid(
        [
            {"rule": None, "field": "version", "message": "must be a positive integer, got 0"},
            {"rule": "deaths-I", "field": "when.op", "message": "unknown operator"},
        ],
        "cn-national-2015",
    )
    assert error.name == "cn-national-2015"
    assert error.problems[1]["rule"] == "deaths-I"
    assert str(error) == (
        "invalid ruleset 'cn-national-2015': version: must be a positive integer, got 0; "
        "deaths-I: when.op: unknown operator"
    )


def test_ruleset_summary_without_a_name() -> None:
    error = RulesetInvalid([{"rule": None, "field": "$", "message": "a ruleset must be a mapping"}])
    assert error.name is None
    assert str(error) == "invalid ruleset: $: a ruleset must be a mapping"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("deaths", "3", "must be an integer, got string"),
        ("deaths", 2.0, "must be an integer, got number"),
        ("deaths", True, "must be an integer, got boolean"),
        ("deaths", None, "must be an integer, got null"),
        ("deaths", [3], "must be an integer, got list"),
        ("deaths", {"n": 3}, "must be an integer, got object"),
        ("deaths", (3,), "must be an integer, got tuple"),
        ("deaths", -1, "must be >= 0, got -1"),
        ("direct_loss_yuan", "many", "must be a number, got string"),
        ("direct_loss_yuan", False, "must be a number, got boolean"),
        ("direct_loss_yuan", float("nan"), "must be a finite number"),
        ("direct_loss_yuan", float("inf"), "must be a finite number"),
        ("direct_loss_yuan", -0.5, "must be >= 0, got -0.5"),
        ("heavy_metal", 1, "must be true or false, got integer"),
        ("water_source_interruption", 3, "must be one of none, township, county, city, got integer"),
        ("water_source_interruption", None, "must be one of none, township, county, city, got null"),
        ("water_source_interruption", "town", "must be one of none, township, county, city, got 'town'"),
        ("radioactive_source_class", 1, "must be one of I, II, III, IV, V or null, got integer"),
        ("radioactive_source_class", "VI", "must be one of I, II, III, IV, V or null, got 'VI'"),
        ("sensitive_receptors", "school", "must be a list of strings, got string"),
        ("sensitive_receptors", {"school"}, "must be a list of strings, got set"),
        ("sensitive_receptors", ["school", " "], "item 1 must be a non-empty string, got ' '"),
        ("sensitive_receptors", [None], "item 0 must be a non-empty string, got None"),
    ],
)
def test_each_bad_fact_is_told_exactly_what_is_wrong(field: str, value: object, message: str) -> None:
    with pytest.raises(FactsInvalid) as caught:
        parse_facts(incident(**{field: value}))
    assert caught.value.errors == [{"field": field, "message": message}]


@pytest.mark.parametrize(
    ("then", "field", "message"),
    [
        (
            {"initial_report_deadline_minutes": 0},
            "then.initial_report_deadline_minutes",
            "a deadline in minutes (or null for immediately) must be a positive integer, got 0",
        ),
        (
            {"leader_on_scene": False},
            "then.leader_on_scene",
            "can only be true (a duty is added, never removed), got False",
        ),
        ({"report_to": ["city_eeb", "city_eeb"]}, "then.report_to", "lists a recipient twice"),
        (
            {"onward_reports": [{"from": "city_eeb", "to": ["provincial_eeb"], "within_minutes": 0}]},
            "then.onward_reports[0].within_minutes",
            "within_minutes must be a positive integer, got 0",
        ),
    ],
)
def test_a_bad_output_is_told_exactly_what_is_expected(then: dict[str, object], field: str, message: str) -> None:
    body = {
        "name": "messages",
        "version": 1,
        "kind": "overlay",
        "base": "cn-national-2015",
        "description": "test",
        "rules": [{"id": "r1", "cites": "local", "when": "always", "then": then}],
    }
    with pytest.raises(RulesetInvalid) as caught:
        Ruleset.parse(body)
    assert caught.value.problems == [{"rule": "r1", "field": field, "message": message}]


def test_a_bad_investigation_time_limit_is_told_exactly_what_is_expected() -> None:
    body = copy.deepcopy(dict(default_ruleset().body))
    rule = next(r for r in body["rules"] if r["id"] == "investigation-mee")
    rule["then"]["investigation"] = {"lead": "city_eeb", "time_limit_days": 0, "mandatory": False}
    with pytest.raises(RulesetInvalid) as caught:
        Ruleset.parse(body)
    assert caught.value.problems == [
        {
            "rule": "investigation-mee",
            "field": "then.investigation.time_limit_days",
            "message": "time_limit_days must be a positive integer, got 0",
        }
    ]


@pytest.mark.parametrize(("data", "shown"), [([], "list"), ("deaths=3", "string"), (None, "null"), (3, "integer")])
def test_facts_that_are_not_an_object_say_what_they_are(data: object, shown: str) -> None:
    with pytest.raises(FactsInvalid) as caught:
        parse_facts(data)  # type: ignore[arg-type]
    assert caught.value.errors == [{"field": "$", "message": f"facts must be an object, got {shown}"}]
