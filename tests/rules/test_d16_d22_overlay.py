"""Version 2 of the bundled overlay city-60-30 (docs/DECISIONS.md, D16; docs/ESCALATION.md, §Overlays): the seed
city's 60 and 30 minutes, with a sensitive period counted as sensitive (the seed's 2018 plan) and the same clocks
as the grace of an immediate report (D17). Version 1 is tested, unchanged, in test_overlay.py."""

from __future__ import annotations

import random
from typing import Any

import pytest

from rules import Ruleset, bundled, check_overlay, decide, default_ruleset
from tests.rules.incidents import incident, random_incident


@pytest.fixture(scope="module")
def city() -> Ruleset:
    return bundled("city-60-30")


def test_the_latest_bundled_overlay_is_version_2_of_the_same_name_and_base(city: Ruleset) -> None:
    assert (city.name, city.kind, city.base, city.version) == ("city-60-30", "overlay", "cn-national-2015", 2)
    assert city.sha256 != bundled("city-60-30", 1).sha256
    check_overlay(default_ruleset(), city)
    check_overlay(bundled("cn-national-2015", 1), city)  # it only tightens version 1 as well


@pytest.mark.parametrize(
    ("facts", "minutes", "rule_set", "rule"),
    [
        ({}, 60, "city-60-30", "every-event-60"),
        ({"deaths": 3}, 60, "city-60-30", "every-event-60"),  # level Ⅲ is not "重大级别以上"
        ({"sensitive_period": True}, 30, "city-60-30", "major-or-sensitive-30"),  # seed 2018: 敏感时期
        ({"deaths": 10}, 30, "city-60-30", "major-or-sensitive-30"),
        ({"deaths": 30}, 30, "city-60-30", "major-or-sensitive-30"),
        ({"heavy_metal": True}, 30, "city-60-30", "major-or-sensitive-30"),
        ({"sensitive_receptors": ["school"]}, 30, "city-60-30", "major-or-sensitive-30"),
        ({"heavy_metal": True, "level_determined": True}, 30, "city-60-30", "major-or-sensitive-30"),
        ({"cross_boundary_possible": "national"}, 30, "city-60-30", "major-or-sensitive-30"),
        ({"cross_boundary_possible": "city"}, 60, "city-60-30", "every-event-60"),
        ({"level_determined": True}, 60, "city-60-30", "every-event-60"),
        ({"radioactive_source_class": "II"}, None, "cn-national-2015", "deadline-radiation-immediate"),
    ],
)
def test_deadlines_60_30(city: Ruleset, facts: dict[str, Any], minutes: int | None, rule_set: str, rule: str) -> None:
    decision = decide(incident(**facts), overlays=[city]).to_dict()
    assert decision["initial_report_deadline_minutes"] == minutes
    assert decision["deadline_rule"]["ruleset"] == rule_set
    assert decision["deadline_rule"]["rule"] == rule
    assert [(o["name"], o["version"]) for o in decision["ruleset"]["overlays"]] == [("city-60-30", 2)]


def _sensitive(decision: dict[str, Any], facts: dict[str, Any]) -> bool:
    return decision["level"] in ("I", "II") or bool(decision["art4_triggers"]) or facts["sensitive_period"]


def test_the_overlay_changes_only_the_clocks_and_never_loosens_them(city: Ruleset) -> None:
    rng = random.Random(1622)
    seen = {"immediate": 0, "sensitive": 0, "determined": 0}
    for _ in range(300):
        facts = random_incident(rng)
        plain = decide(facts).to_dict()
        local = decide(facts, overlays=[city]).to_dict()
        clock = 30 if _sensitive(plain, facts) else 60
        seen["sensitive"] += clock == 30
        seen["determined"] += bool(facts.get("level_determined")) and bool(plain["art4_triggers"])
        if plain["immediate_report"]:
            seen["immediate"] += 1
            assert local["initial_report_deadline_minutes"] is None and local["immediate_report"] is True
            assert local["immediate_report_grace_minutes"] == clock <= plain["immediate_report_grace_minutes"]
        else:
            assert local["initial_report_deadline_minutes"] == clock <= plain["initial_report_deadline_minutes"]
            assert local["immediate_report_grace_minutes"] is None
        for key in ("initial_report_deadline_minutes", "deadline_rule", "immediate_report_grace_minutes", "ruleset"):
            plain.pop(key), local.pop(key)
        assert local == plain
    assert all(n > 10 for n in seen.values()), seen  # the random incidents reached every case
