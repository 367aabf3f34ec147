"""Which overlay deadlines count as loosening (docs/DECISIONS.md, D16): the check relies on what each condition
demands exactly.

An overlay deadline longer than a baseline deadline is refused unless the two rules demand different values of
one enum or boolean fact. ``all:`` narrows what a rule demands (the values every item allows); ``any:``, ``!=``,
``not_in`` and numbers demand nothing certain, so a longer deadline under them is refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from rules import Ruleset, RulesetInvalid, bundled, check_overlay, default_ruleset

MAJOR = {"fact": "treat_as_major_for_reporting", "op": "==", "value": True}
NOT_MAJOR = {"fact": "treat_as_major_for_reporting", "op": "==", "value": False}
CITY = {"fact": "reporting_authority", "op": "==", "value": "city"}
COUNTY = {"fact": "reporting_authority", "op": "==", "value": "county"}
COUNTY_OR_CITY = {"fact": "reporting_authority", "op": "in", "value": ["county", "city"]}
RADIATION = {"fact": "radiation_event", "op": "==", "value": True}


def overlay(when: Any, minutes: int, rule_id: str = "local-deadline") -> Ruleset:
    return Ruleset.parse(
        {
            "name": "tightening-test",
            "version": 1,
            "kind": "overlay",
            "base": "cn-national-2015",
            "description": "test",
            "rules": [
                {"id": rule_id, "cites": "local", "when": when, "then": {"initial_report_deadline_minutes": minutes}}
            ],
        }
    )


def loosens(when: Any, minutes: int) -> list[dict[str, Any]]:
    try:
        check_overlay(default_ruleset(), overlay(when, minutes))
    except RulesetInvalid as exc:
        return exc.problems
    return []


@pytest.mark.parametrize(
    "when",
    [
        NOT_MAJOR,
        {"all": [{"fact": "deaths", "op": ">=", "value": 1}, NOT_MAJOR]},
        {"all": [RADIATION, {"fact": "deaths", "op": "<", "value": 3}]},  # base 120 and 240 need no radiation
        {"all": [MAJOR, NOT_MAJOR]},  # holds for no incident at all
    ],
)
def test_a_longer_deadline_for_incidents_no_longer_base_deadline_covers_is_accepted(when: Any) -> None:
    assert loosens(when, 180) == []


def city_baseline() -> Ruleset:
    """The baseline, version 2, with a 100-minute deadline for incidents reported by a city."""
    body = dict(default_ruleset().body)
    rule = {"id": "deadline-city-100", "cites": "x", "when": CITY, "then": {"initial_report_deadline_minutes": 100}}
    return Ruleset.parse({**body, "version": 2, "rules": [*body["rules"], rule]})


@pytest.mark.parametrize(
    ("when", "refused"),
    [
        ({"all": [NOT_MAJOR, COUNTY]}, False),
        ({"all": [NOT_MAJOR, COUNTY, COUNTY_OR_CITY]}, False),  # all: narrows "county or city" to county
        ({"all": [COUNTY_OR_CITY, NOT_MAJOR, COUNTY]}, False),
        ({"all": [NOT_MAJOR, {"fact": "reporting_authority", "op": "in", "value": ["county"]}]}, False),
        ({"all": [NOT_MAJOR, COUNTY_OR_CITY]}, True),
        ({"all": [NOT_MAJOR, {"any": [COUNTY]}]}, True),
        ({"all": [NOT_MAJOR, {"fact": "reporting_authority", "op": "!=", "value": "city"}]}, True),
        ({"all": [NOT_MAJOR, {"fact": "reporting_authority", "op": "not_in", "value": ["city"]}]}, True),
    ],
)
def test_all_narrows_what_a_condition_demands(when: Any, refused: bool) -> None:
    try:
        check_overlay(city_baseline(), overlay(when, 110))
    except RulesetInvalid as exc:
        assert refused, exc.problems
        [problem] = exc.problems
        assert "rule 'deadline-city-100' (100 minutes)" in problem["message"]
    else:
        assert not refused


@pytest.mark.parametrize(
    ("when", "base_rule"),
    [
        ("always", "deadline-major-120"),
        ({"all": [{"fact": "deaths", "op": ">=", "value": 1}]}, "deadline-major-120"),
        ({"any": [NOT_MAJOR]}, "deadline-major-120"),  # any: demands nothing certain
        ({"fact": "treat_as_major_for_reporting", "op": "!=", "value": True}, "deadline-major-120"),
        ({"fact": "level", "op": "in", "value": ["III", "IV"]}, "deadline-major-120"),  # level is not the same fact
        ({"all": [{"fact": "deaths", "op": "<", "value": 3}, MAJOR]}, "deadline-major-120"),
    ],
)
def test_a_longer_deadline_that_may_apply_with_a_base_deadline_is_refused(when: Any, base_rule: str) -> None:
    [problem] = loosens(when, 180)
    assert problem["rule"] == "local-deadline"
    assert problem["field"] == "then.initial_report_deadline_minutes"
    assert problem["message"] == (
        f"180 minutes would loosen cn-national-2015 rule {base_rule!r} (120 minutes) for the same incidents; "
        "an overlay may only tighten (D16)"
    )


def test_an_equal_deadline_does_not_loosen_and_one_minute_more_does() -> None:
    assert loosens("always", 120) == []
    assert loosens(NOT_MAJOR, 240) == []
    [problem] = loosens(NOT_MAJOR, 241)
    assert "rule 'deadline-general-240' (240 minutes)" in problem["message"]


def test_a_base_deadline_of_immediately_is_never_loosened_by_a_number() -> None:
    # deadline-radiation-immediate (null) applies to radiation events; a number there never wins (D8)
    assert loosens({"all": [RADIATION, MAJOR]}, 100000) == []
    assert loosens({"fact": "radiation_event", "op": "==", "value": True}, 100000) == []


def test_every_loosening_rule_is_named_once() -> None:
    body = dict(overlay("always", 300).body)
    body["rules"] = [
        {"id": "a", "cites": "x", "when": "always", "then": {"initial_report_deadline_minutes": 300}},
        {"id": "b", "cites": "x", "when": MAJOR, "then": {"initial_report_deadline_minutes": 60}},
        {"id": "c", "cites": "x", "when": NOT_MAJOR, "then": {"initial_report_deadline_minutes": 500}},
    ]
    with pytest.raises(RulesetInvalid) as caught:
        check_overlay(default_ruleset(), Ruleset.parse(body))
    assert [p["rule"] for p in caught.value.problems] == ["a", "c"]
    assert caught.value.name == "tightening-test"


def test_check_overlay_refuses_the_wrong_kinds() -> None:
    base, city = default_ruleset(), bundled("city-60-30")
    with pytest.raises(RulesetInvalid) as caught:
        check_overlay(city, city)
    assert caught.value.problems[:2] == [
        {"rule": None, "field": "base", "message": "city-60-30 is not a baseline"},
        {"rule": None, "field": "base", "message": "city-60-30 applies to cn-national-2015, not to city-60-30"},
    ]
    with pytest.raises(RulesetInvalid) as caught:
        check_overlay(base, base)
    assert caught.value.problems == [{"rule": None, "field": "kind", "message": "cn-national-2015 is not an overlay"}]
    check_overlay(base, city)  # the bundled pair is fine
