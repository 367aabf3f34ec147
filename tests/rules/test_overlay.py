"""Jurisdiction overlays (docs/DECISIONS.md, D16; docs/ESCALATION.md, §Overlays): they only tighten, and the
decision names the rule that set the deadline. D-numbers below are the decisions of docs/DECISIONS.md."""

from __future__ import annotations

import random

import pytest

from rules import Ruleset, RulesetInvalid, bundled, check_overlay, decide, default_ruleset
from tests.rules.incidents import incident, random_incident


@pytest.fixture(scope="module")
def city() -> Ruleset:
    """Version 1 of the bundled overlay, which stays deployable as it was; version 2 (a sensitive period is
    sensitive, the grace of immediate reports): tests/rules/test_d16_d22_overlay.py."""
    return bundled("city-60-30", 1)


def overlay(rules: list[dict], name: str = "test-overlay", base: str = "cn-national-2015") -> Ruleset:
    return Ruleset.parse(
        {
            "name": name,
            "version": 1,
            "kind": "overlay",
            "base": base,
            "description": "test overlay",
            "rules": rules,
        }
    )


def test_bundled_overlay_declares_its_base(city: Ruleset) -> None:
    assert (city.kind, city.base, city.version) == ("overlay", "cn-national-2015", 1)


@pytest.mark.parametrize(
    ("facts", "minutes", "rule_set", "rule"),
    [
        ({}, 60, "city-60-30", "every-event-60"),
        ({"deaths": 3}, 60, "city-60-30", "every-event-60"),
        ({"sensitive_period": True}, 60, "city-60-30", "every-event-60"),  # D10: not "major" for reporting
        ({"deaths": 10}, 30, "city-60-30", "major-or-sensitive-30"),
        ({"heavy_metal": True}, 30, "city-60-30", "major-or-sensitive-30"),
        ({"sensitive_receptors": ["school"]}, 30, "city-60-30", "major-or-sensitive-30"),
        ({"radioactive_source_class": "II"}, None, "cn-national-2015", "deadline-radiation-immediate"),
    ],
)
def test_overlay_deadlines_60_30(city: Ruleset, facts: dict, minutes: int | None, rule_set: str, rule: str) -> None:
    decision = decide(incident(**facts), overlays=[city]).to_dict()
    assert decision["initial_report_deadline_minutes"] == minutes
    assert decision["deadline_rule"]["ruleset"] == rule_set
    assert decision["deadline_rule"]["rule"] == rule
    assert [o["name"] for o in decision["ruleset"]["overlays"]] == ["city-60-30"]


def test_overlay_changes_only_the_deadline_and_never_loosens_it(city: Ruleset) -> None:
    rng = random.Random(16)
    for _ in range(300):
        facts = random_incident(rng)
        plain = decide(facts).to_dict()
        local = decide(facts, overlays=[city]).to_dict()
        before, after = plain["initial_report_deadline_minutes"], local["initial_report_deadline_minutes"]
        if before is None:
            assert after is None
        else:
            assert after is not None and after <= before
            assert after == (30 if plain["treat_as_major_for_reporting"] else 60)
        for key in ("initial_report_deadline_minutes", "deadline_rule", "ruleset"):
            plain.pop(key), local.pop(key)
        assert local == plain


def test_an_overlay_adding_recipients_and_duties_unions_them() -> None:
    extra = overlay(
        [
            {
                "id": "tell-party-committee",
                "cites": "local rule 7",
                "when": {"fact": "level", "op": "in", "value": ["I", "II", "III"]},
                "then": {
                    "report_to": ["city_party_committee", "provincial_eeb"],
                    "dispatch_city_work_group": True,
                },
            },
        ]
    )
    decision = decide(incident(deaths=3), overlays=[extra])
    assert decision.report_to == ("county_government", "city_eeb", "city_party_committee", "provincial_eeb")
    assert decide(incident(deaths=1), overlays=[extra]).report_to == ("county_government", "city_eeb")


def test_a_tighter_deadline_for_non_major_events_only_is_accepted() -> None:
    non_major_180 = overlay(
        [
            {
                "id": "non-major-180",
                "cites": "local rule 1",
                "when": {"fact": "treat_as_major_for_reporting", "op": "==", "value": False},
                "then": {"initial_report_deadline_minutes": 180},
            }
        ]
    )
    check_overlay(default_ruleset(), non_major_180)
    assert decide(incident(), overlays=[non_major_180]).initial_report_deadline_minutes == 180
    assert decide(incident(deaths=10), overlays=[non_major_180]).initial_report_deadline_minutes == 120


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        (
            {
                "id": "all-180",
                "cites": "x",
                "when": "always",
                "then": {"initial_report_deadline_minutes": 180},
            },
            "then.initial_report_deadline_minutes",
            "would loosen cn-national-2015 rule 'deadline-major-120'",
        ),
        (
            {
                "id": "all-300",
                "cites": "x",
                "when": "always",
                "then": {"initial_report_deadline_minutes": 300},
            },
            "then.initial_report_deadline_minutes",
            "would loosen",
        ),
        (
            {
                "id": "major-150",
                "cites": "x",
                "when": {"fact": "level", "op": "==", "value": "I"},
                "then": {"initial_report_deadline_minutes": 150},
            },
            "then.initial_report_deadline_minutes",
            "would loosen",
        ),
    ],
)
def test_an_overlay_that_would_loosen_a_deadline_is_refused(rule: dict, field: str, message: str) -> None:
    loose = overlay([rule])
    for attempt in (
        lambda: check_overlay(default_ruleset(), loose),
        lambda: Ruleset.parse(dict(loose.body), base=default_ruleset()),
        lambda: decide(incident(), overlays=[loose]),
    ):
        with pytest.raises(RulesetInvalid) as caught:
            attempt()
        [problem] = caught.value.problems
        assert problem["rule"] == rule["id"]
        assert problem["field"] == field
        assert message in problem["message"]


@pytest.mark.parametrize(
    ("then", "field"),
    [
        ({"level": "I"}, "then.level"),
        ({"art4_trigger": "art4_1"}, "then.art4_trigger"),
        ({"treat_as_major_for_reporting": True}, "then.treat_as_major_for_reporting"),
        ({"response_lead": "city_government"}, "then.response_lead"),
        ({"dispatch_city_work_group": False}, "then.dispatch_city_work_group"),
    ],
)
def test_an_overlay_may_not_set_what_it_cannot_only_tighten(then: dict, field: str) -> None:
    with pytest.raises(RulesetInvalid) as caught:
        overlay([{"id": "bad", "cites": "x", "when": "always", "then": then}])
    assert [(p["rule"], p["field"]) for p in caught.value.problems] == [("bad", field)]


def test_overlay_for_another_base_or_used_as_a_baseline_is_refused(city: Ruleset) -> None:
    other = overlay(
        [{"id": "r", "cites": "x", "when": "always", "then": {"leader_on_scene": True}}],
        base="cn-national-2030",
    )
    with pytest.raises(RulesetInvalid, match="applies to cn-national-2030"):
        decide(incident(), overlays=[other])
    with pytest.raises(RulesetInvalid, match="not a baseline"):
        decide(incident(), ruleset=city)
    with pytest.raises(RulesetInvalid, match="twice"):
        decide(incident(), overlays=[city, city])
