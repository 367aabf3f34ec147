"""How a fired condition reads in a decision's reasons: the exact text, for every operator and grouping.

Reasons are what a duty officer and an auditor read to see why an incident got its level, so their wording is
behaviour: a value shown wrongly (``1.0`` for one death, ``None`` for "no source"), a threshold dropped or a group
that loses its parentheses changes what a person concludes. These tests pin the text of ``rules.conditions``'s
rendering directly, with conditions built from the ruleset syntax.
"""

from __future__ import annotations

import pytest

from rules.conditions import AllOf, AnyOf, Comparison, ConditionParser, describe, format_value
from rules.ruleset import CONDITION_FACTS


def parse(data: object):
    parser = ConditionParser(CONDITION_FACTS)
    condition = parser.parse(data, "when")
    assert condition is not None and parser.problems == [], parser.problems
    return condition


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (12.0, "12"),
        (12.5, "12.5"),
        (3, "3"),
        ("city", "city"),
        (["school", "hospital"], "[school, hospital]"),
        (("I", None), "[I, null]"),
        ([], "[]"),
    ],
)
def test_values_read_as_json_words_and_whole_numbers(value: object, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize(
    ("condition", "values", "text"),
    [
        ("always", {}, "every incident"),
        ({"fact": "deaths", "op": ">=", "value": 30}, {"deaths": 31}, "deaths=31 (≥ 30)"),
        ({"fact": "deaths", "op": ">", "value": 2}, {"deaths": 3}, "deaths=3 (> 2)"),
        ({"fact": "deaths", "op": "<", "value": 3}, {"deaths": 1}, "deaths=1 (< 3)"),
        ({"fact": "deaths", "op": "<=", "value": 3}, {"deaths": 1}, "deaths=1 (≤ 3)"),
        ({"fact": "deaths", "op": "!=", "value": 0}, {"deaths": 1}, "deaths=1 (≠ 0)"),
        # equality with a number keeps its threshold; with a word, a flag or null the value shown says it all
        ({"fact": "deaths", "op": "==", "value": 0}, {"deaths": 0}, "deaths=0 (= 0)"),
        ({"fact": "heavy_metal", "op": "==", "value": True}, {"heavy_metal": True}, "heavy_metal=true"),
        ({"fact": "cross_boundary", "op": "==", "value": "city"}, {"cross_boundary": "city"}, "cross_boundary=city"),
        (
            {"fact": "radioactive_source_class", "op": "==", "value": None},
            {"radioactive_source_class": None},
            "radioactive_source_class=null",
        ),
        (
            {"fact": "radioactive_source_class", "op": "!=", "value": None},
            {"radioactive_source_class": "IV"},
            "radioactive_source_class=IV (≠ null)",
        ),
        (
            {"fact": "cross_boundary", "op": "in", "value": ["province", "national"]},
            {"cross_boundary": "province"},
            "cross_boundary=province (in province, national)",
        ),
        (
            {"fact": "cross_boundary", "op": "not_in", "value": ["none", "county"]},
            {"cross_boundary": "city"},
            "cross_boundary=city (not in none, county)",
        ),
        (
            {"fact": "sensitive_receptors", "op": "contains", "value": "school"},
            {"sensitive_receptors": ["school", "hospital"]},
            "sensitive_receptors=[school, hospital] (contains school)",
        ),
        (
            {"fact": "sensitive_receptors", "op": "not_empty"},
            {"sensitive_receptors": ["hospital"]},
            "sensitive_receptors=[hospital] (not empty)",
        ),
        (
            {"fact": "direct_loss_yuan", "op": ">=", "value": 1e8},
            {"direct_loss_yuan": 2e8},
            "direct_loss_yuan=200000000 (≥ 100000000)",
        ),
        ({"fact": "deaths", "op": ">=", "value": 30}, {}, "deaths=null (≥ 30)"),
    ],
)
def test_a_comparison_reads_as_fact_value_and_threshold(condition: object, values: dict, text: str) -> None:
    assert describe(parse(condition), values) == text


def test_consecutive_comparisons_of_one_fact_under_all_read_as_one_range() -> None:
    condition = parse(
        {"all": [{"fact": "deaths", "op": ">=", "value": 10}, {"fact": "deaths", "op": "<", "value": 30}]}
    )
    assert describe(condition, {"deaths": 12}) == "deaths=12 (≥ 10, < 30)"


def test_comparisons_of_different_facts_under_all_are_joined_by_commas() -> None:
    condition = parse(
        {"all": [{"fact": "deaths", "op": ">=", "value": 10}, {"fact": "heavy_metal", "op": "==", "value": True}]}
    )
    assert describe(condition, {"deaths": 12, "heavy_metal": True}) == "deaths=12 (≥ 10), heavy_metal=true"


def test_the_same_fact_under_any_is_not_merged_into_a_range() -> None:
    condition = parse({"any": [{"fact": "deaths", "op": ">=", "value": 30}, {"fact": "deaths", "op": "<", "value": 1}]})
    assert describe(condition, {"deaths": 31}) == "deaths=31 (≥ 30) or deaths=31 (< 1)"


def test_a_nested_group_of_several_items_is_parenthesised_and_a_group_of_one_is_not() -> None:
    condition = parse(
        {
            "all": [
                {"fact": "heavy_metal", "op": "==", "value": True},
                {"any": [{"fact": "deaths", "op": ">=", "value": 3}, {"fact": "evacuated", "op": ">=", "value": 100}]},
                {"any": [{"fact": "mass_incident", "op": "==", "value": True}]},
            ]
        }
    )
    values = {"heavy_metal": True, "deaths": 4, "evacuated": 0, "mass_incident": True}
    assert (
        describe(condition, values) == "heavy_metal=true, (deaths=4 (≥ 3) or evacuated=0 (≥ 100)), mass_incident=true"
    )


def test_a_range_split_by_another_fact_reads_as_two_groups() -> None:
    condition = AllOf(
        (
            Comparison("deaths", ">=", 10),
            Comparison("heavy_metal", "==", True),
            Comparison("deaths", "<", 30),
        )
    )
    assert (
        describe(condition, {"deaths": 12, "heavy_metal": True})
        == "deaths=12 (≥ 10), heavy_metal=true, deaths=12 (< 30)"
    )


def test_an_all_inside_any_is_parenthesised() -> None:
    condition = AnyOf(
        (
            AllOf((Comparison("deaths", ">=", 10), Comparison("deaths", "<", 30))),
            Comparison("mass_incident", "==", True),
        )
    )
    assert (
        describe(condition, {"deaths": 12, "mass_incident": False}) == "(deaths=12 (≥ 10, < 30)) or mass_incident=false"
    )
