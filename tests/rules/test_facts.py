"""Incident facts (docs/ESCALATION.md, §Facts): every field required, strictly typed; all errors reported at once."""

from __future__ import annotations

import math

import pytest

from rules import FACT_SPECS, FactsInvalid, IncidentFacts, decide, parse_facts
from tests.rules.incidents import QUIET, incident


def test_valid_facts_round_trip() -> None:
    facts = incident(
        deaths=2,
        direct_loss_yuan=1234.5,
        radioactive_source_class="IV",
        sensitive_receptors=["school", "hospital"],
        reporting_authority="city",
    )
    parsed = parse_facts(facts)
    assert isinstance(parsed, IncidentFacts)
    assert parsed.sensitive_receptors == ("school", "hospital")
    assert parsed.to_dict() == facts
    assert IncidentFacts.parse(facts) == parsed
    assert decide(parsed) == decide(facts)


@pytest.mark.parametrize("field", [spec.name for spec in FACT_SPECS])
def test_every_field_is_required(field: str) -> None:
    facts = incident()
    del facts[field]
    with pytest.raises(FactsInvalid) as caught:
        parse_facts(facts)
    assert caught.value.errors == [{"field": field, "message": "required field is missing"}]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("deaths", True, "must be an integer, got boolean"),  # bool is not an int here
        ("deaths", 1.0, "must be an integer, got number"),
        ("deaths", "3", "must be an integer, got string"),
        ("deaths", None, "must be an integer, got null"),
        ("deaths", -1, "must be >= 0"),
        ("injured_or_poisoned", False, "must be an integer"),
        ("evacuated", -5000, "must be >= 0"),
        ("direct_loss_yuan", True, "must be a number, got boolean"),
        ("direct_loss_yuan", "5000000", "must be a number"),
        ("direct_loss_yuan", -0.01, "must be >= 0"),
        ("direct_loss_yuan", math.nan, "finite"),
        ("direct_loss_yuan", math.inf, "finite"),
        ("water_source_interruption", "village", "must be one of none, township, county, city"),
        ("water_source_interruption", None, "must be one of"),
        ("radioactive_source_class", "VI", "must be one of I, II, III, IV, V or null"),
        ("radioactive_source_class", 2, "must be one of"),
        ("radiation_wide_severe_contamination", 1, "must be true or false, got integer"),
        ("ecological_damage", "some", "must be one of"),
        ("cross_boundary", "provincial", "must be one of none, county, city, province, national"),
        ("heavy_metal", "true", "must be true or false, got string"),
        ("affects_drinking_water_source", None, "must be true or false, got null"),
        ("sensitive_receptors", "school", "must be a list of strings"),
        ("sensitive_receptors", ["school", ""], "item 1 must be a non-empty string"),
        ("sensitive_receptors", [3], "item 0 must be a non-empty string"),
        ("mass_incident", 0, "must be true or false"),
        ("sensitive_period", "no", "must be true or false"),
        ("reporting_authority", "province", "must be one of county, city"),
    ],
)
def test_bad_value_names_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(FactsInvalid) as caught:
        decide(incident(**{field: value}))
    [error] = caught.value.errors
    assert error["field"] == field
    assert message in error["message"]
    assert field in str(caught.value)


def test_all_errors_at_once_in_contract_order_then_unknown_fields() -> None:
    facts = incident(deaths=-1, heavy_metal="yes", reporting_authority="town")
    del facts["evacuated"]
    facts["death_count"] = 3
    facts["zz_extra"] = 1
    with pytest.raises(FactsInvalid) as caught:
        parse_facts(facts)
    assert [e["field"] for e in caught.value.errors] == [
        "deaths",
        "evacuated",
        "heavy_metal",
        "reporting_authority",
        "death_count",
        "zz_extra",
    ]
    assert caught.value.errors[-1]["message"] == "unknown field"


@pytest.mark.parametrize("not_a_mapping", [None, [], "deaths=3", 3])
def test_facts_must_be_an_object(not_a_mapping: object) -> None:
    with pytest.raises(FactsInvalid) as caught:
        parse_facts(not_a_mapping)  # type: ignore[arg-type]
    assert caught.value.errors[0]["field"] == "$"


def test_quiet_incident_is_complete() -> None:
    assert set(QUIET) == {spec.name for spec in FACT_SPECS}


def test_facts_built_directly_are_checked_too() -> None:
    fields = parse_facts(incident()).to_dict()
    with pytest.raises(FactsInvalid) as caught:
        IncidentFacts(**{**fields, "deaths": True, "cross_boundary": "galaxy"})
    assert [e["field"] for e in caught.value.errors] == ["deaths", "cross_boundary"]
    built = IncidentFacts(**{**fields, "sensitive_receptors": ["school"]})
    assert built.sensitive_receptors == ("school",)
    assert decide(built).art4_triggers == ("art4_2",)
