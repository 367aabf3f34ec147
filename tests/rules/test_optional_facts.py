"""The optional incident facts of docs/DECISIONS.md, D18-D20 (docs/ESCALATION.md, §Facts): never required, each
with a default that gives the decision the facts gave before it existed, strictly typed when sent."""

from __future__ import annotations

from typing import Any

import pytest

from rules import FACT_SPECS, OPTIONAL_FACT_SPECS, FactsInvalid, IncidentFacts, bundled, decide, parse_facts
from rules.conditions import ConditionParser
from rules.facts import ALL_FACT_SPECS, FACTS_BY_NAME
from rules.ruleset import CONDITION_FACTS
from tests.rules.incidents import OPTIONAL, QUIET, incident

SET = {
    "radiation_acute_deaths": 1,
    "radiation_sickness_cases": 4,
    "radiation_leak_extent": "small",
    "cross_boundary_possible": "province",
    "level_determined": True,
}


def test_the_optional_facts_their_types_and_defaults() -> None:
    assert [(s.name, s.kind, s.choices, s.optional, s.default) for s in OPTIONAL_FACT_SPECS] == [
        ("radiation_acute_deaths", "count", (), True, 0),
        ("radiation_sickness_cases", "count", (), True, 0),
        ("radiation_leak_extent", "enum", ("none", "facility", "small", "large", "wide"), True, "none"),
        ("cross_boundary_possible", "enum", ("none", "county", "city", "province", "national"), True, "none"),
        ("level_determined", "bool", (), True, False),
    ]
    assert not any(spec.optional for spec in FACT_SPECS)  # the fifteen of the contract stay required
    assert ALL_FACT_SPECS == FACT_SPECS + OPTIONAL_FACT_SPECS
    assert list(FACTS_BY_NAME) == [spec.name for spec in ALL_FACT_SPECS]
    assert OPTIONAL == {spec.name: spec.default for spec in OPTIONAL_FACT_SPECS}


def test_left_out_they_take_their_defaults() -> None:
    parsed = parse_facts(QUIET)
    assert {name: getattr(parsed, name) for name in OPTIONAL} == OPTIONAL
    assert parsed == parse_facts({**QUIET, **OPTIONAL})  # sending the defaults is the same as leaving them out
    assert decide(QUIET) == decide({**QUIET, **OPTIONAL})


def test_sent_they_are_kept() -> None:
    parsed = parse_facts(incident(**SET))
    assert {name: getattr(parsed, name) for name in SET} == SET


def test_to_dict_leaves_out_an_optional_fact_at_its_default_so_old_facts_read_as_before() -> None:
    assert parse_facts({**QUIET, **OPTIONAL}).to_dict() == QUIET
    assert list(parse_facts(QUIET).to_dict()) == list(QUIET)
    facts = incident(**SET)
    assert parse_facts(facts).to_dict() == facts
    assert list(parse_facts(facts).to_dict()) == [spec.name for spec in ALL_FACT_SPECS]  # contract order
    one = incident(level_determined=True)
    assert parse_facts(one).to_dict() == one
    assert parse_facts(parse_facts(one).to_dict()) == parse_facts(one)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("radiation_acute_deaths", -1, "must be >= 0, got -1"),
        ("radiation_acute_deaths", True, "must be an integer, got boolean"),
        ("radiation_sickness_cases", "3", "must be an integer, got string"),
        ("radiation_sickness_cases", None, "must be an integer, got null"),
        ("radiation_leak_extent", "huge", "must be one of none, facility, small, large, wide, got 'huge'"),
        ("radiation_leak_extent", None, "must be one of none, facility, small, large, wide, got null"),
        ("cross_boundary_possible", "planet", "must be one of none, county, city, province, national, got 'planet'"),
        ("level_determined", "yes", "must be true or false, got string"),
        ("level_determined", None, "must be true or false, got null"),
    ],
)
def test_a_bad_optional_fact_is_told_exactly_what_is_wrong(field: str, value: object, message: str) -> None:
    with pytest.raises(FactsInvalid) as caught:
        parse_facts(incident(**{field: value}))
    assert caught.value.errors == [{"field": field, "message": message}]


def test_errors_come_in_contract_order_optional_facts_after_required_ones_then_unknown_fields() -> None:
    facts = incident(level_determined=1, radiation_acute_deaths=-2, heavy_metal="no")
    del facts["deaths"]
    facts["radiation_deaths"] = 1
    with pytest.raises(FactsInvalid) as caught:
        parse_facts(facts)
    assert [(e["field"], e["message"]) for e in caught.value.errors] == [
        ("deaths", "required field is missing"),
        ("heavy_metal", "must be true or false, got string"),
        ("radiation_acute_deaths", "must be >= 0, got -2"),
        ("level_determined", "must be true or false, got integer"),
        ("radiation_deaths", "unknown field"),
    ]


def test_facts_built_directly_check_the_optional_facts_too() -> None:
    fields = parse_facts(incident()).to_dict()
    built = IncidentFacts(**fields)
    assert (built.radiation_leak_extent, built.level_determined) == ("none", False)
    with pytest.raises(FactsInvalid) as caught:
        IncidentFacts(**fields, radiation_leak_extent="huge", level_determined="yes")
    assert [e["field"] for e in caught.value.errors] == ["radiation_leak_extent", "level_determined"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"fact": "radiation_leak_extent", "op": "in", "value": ["large", "wide"]}, None),
        ({"fact": "radiation_acute_deaths", "op": ">=", "value": 3}, None),
        ({"fact": "level_determined", "op": "==", "value": True}, None),
        ({"fact": "cross_boundary_possible", "op": "!=", "value": "none"}, None),
        (
            {"fact": "radiation_leak_extent", "op": "==", "value": "huge"},
            "radiation_leak_extent is one of none, facility, small, large, wide; got 'huge'",
        ),
        (
            {"fact": "radiation_sickness_cases", "op": ">", "value": 1.5},
            "radiation_sickness_cases is a whole count; got 1.5",
        ),
    ],
)
def test_conditions_may_read_the_optional_facts(data: dict[str, Any], problem: str | None) -> None:
    parser = ConditionParser(CONDITION_FACTS)
    parsed = parser.parse(data, "when")
    assert parser.problems == ([] if problem is None else [("when.value", problem)])
    assert (parsed is None) is (problem is not None)


def test_version_1_of_the_baseline_ignores_the_optional_facts() -> None:
    v1 = bundled("cn-national-2015", 1)
    plain = decide(incident(), v1).to_dict()
    assert decide(incident(**{**SET, "radiation_leak_extent": "wide"}), v1).to_dict() == plain
