"""``rules.conditions``: what a condition demands for certain (the overlay check relies on it)."""

from __future__ import annotations

from typing import Any

import pytest

from rules.conditions import AllOf, AnyOf, Comparison, Condition, ConditionParser, may_fire_together, required_values
from rules.ruleset import CONDITION_FACTS


def condition(data: Any) -> Condition:
    parser = ConditionParser(CONDITION_FACTS)
    parsed = parser.parse(data, "when")
    assert parsed is not None and not parser.problems, parser.problems
    return parsed


@pytest.mark.parametrize(
    ("data", "required"),
    [
        ({"fact": "cross_boundary", "op": "==", "value": "city"}, {"cross_boundary": {"city"}}),
        ({"fact": "heavy_metal", "op": "==", "value": False}, {"heavy_metal": {False}}),
        ({"fact": "radioactive_source_class", "op": "==", "value": None}, {"radioactive_source_class": {None}}),
        (
            {"fact": "radioactive_source_class", "op": "in", "value": ["I", None]},
            {"radioactive_source_class": {"I", None}},
        ),
        ({"fact": "level", "op": "in", "value": ["I", "II"]}, {"level": {"I", "II"}}),
        # numbers, "not" and lists demand no certain value of a symbolic fact
        ({"fact": "deaths", "op": "==", "value": 3}, {}),
        ({"fact": "deaths", "op": "in", "value": [0, 2]}, {}),
        ({"fact": "direct_loss_yuan", "op": ">=", "value": 5}, {}),
        ({"fact": "cross_boundary", "op": "!=", "value": "none"}, {}),
        ({"fact": "radioactive_source_class", "op": "!=", "value": None}, {}),
        ({"fact": "heavy_metal", "op": "!=", "value": True}, {}),
        ({"fact": "cross_boundary", "op": "not_in", "value": ["none"]}, {}),
        ({"fact": "sensitive_receptors", "op": "contains", "value": "school"}, {}),
        ({"fact": "art4_triggers", "op": "not_empty"}, {}),
        ({"any": [{"fact": "heavy_metal", "op": "==", "value": True}]}, {}),
        ("always", {}),
        (
            {
                "all": [
                    {"fact": "reporting_authority", "op": "in", "value": ["county", "city"]},
                    {"fact": "deaths", "op": "==", "value": 1},
                    {"fact": "reporting_authority", "op": "==", "value": "city"},
                    {"fact": "heavy_metal", "op": "==", "value": True},
                ]
            },
            {"reporting_authority": {"city"}, "heavy_metal": {True}},
        ),
    ],
)
def test_required_values_are_only_what_the_syntax_makes_certain(data: Any, required: dict[str, set[Any]]) -> None:
    assert required_values(condition(data)) == {fact: frozenset(values) for fact, values in required.items()}


def test_required_values_of_nested_all() -> None:
    city = Comparison("reporting_authority", "==", "city")
    either = Comparison("reporting_authority", "in", ("county", "city"))
    assert required_values(AllOf((AllOf((either,)), city))) == {"reporting_authority": frozenset({"city"})}
    assert required_values(AllOf((AnyOf((city,)),))) == {}


@pytest.mark.parametrize(
    ("a", "b", "together"),
    [
        (
            {"fact": "heavy_metal", "op": "==", "value": True},
            {"fact": "heavy_metal", "op": "==", "value": False},
            False,
        ),
        ({"fact": "heavy_metal", "op": "==", "value": True}, {"fact": "heavy_metal", "op": "==", "value": True}, True),
        (
            {"fact": "reporting_authority", "op": "in", "value": ["county", "city"]},
            {"fact": "reporting_authority", "op": "==", "value": "city"},
            True,
        ),
        ({"fact": "deaths", "op": "==", "value": 1}, {"fact": "deaths", "op": "==", "value": 2}, True),  # numbers
        (
            {"fact": "heavy_metal", "op": "==", "value": True},
            {"fact": "mass_incident", "op": "==", "value": False},
            True,
        ),
        ("always", {"fact": "heavy_metal", "op": "==", "value": False}, True),
    ],
)
def test_rules_may_fire_together_unless_they_demand_different_values(a: Any, b: Any, together: bool) -> None:
    assert may_fire_together(condition(a), condition(b)) is together
    assert may_fire_together(condition(b), condition(a)) is together
