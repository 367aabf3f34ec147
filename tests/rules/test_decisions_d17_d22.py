"""Decision-level checks of the decisions D17-D22 (docs/DECISIONS.md) with the bundled rulesets: what a duty officer
sees for a lost class-Ⅳ source, a sensitive period, a possible cross-province impact, a determined level, each
radiation row and a level Ⅰ/Ⅱ event's publication deadlines. The units behind them are tested beside this file
(test_optional_facts.py, test_clock_outputs.py, test_reasons_zh.py, test_d16_d22_overlay.py)."""

from __future__ import annotations

from typing import Any

import pytest

from rules import Ruleset, bundled, decide
from tests.rules.incidents import incident


@pytest.fixture(scope="module")
def city() -> Ruleset:
    return bundled("city-60-30", 2)


def decided(overlays: tuple[Ruleset, ...] = (), **facts: Any) -> dict[str, Any]:
    return decide(incident(**facts), overlays=overlays).to_dict()


# ---- D17: "immediately" has a grace period, never zero ------------------------------------------------------


def test_a_lost_class_iv_source_is_an_immediate_report_with_an_hour_of_grace() -> None:
    decision = decided(radioactive_source_class="IV")
    assert decision["level"] == "IV"
    assert decision["radiation_event"] is True
    assert decision["initial_report_deadline_minutes"] is None  # 立即 (RAD Art.42), as before
    assert decision["deadline_rule"] == {
        "ruleset": "cn-national-2015",
        "version": 2,
        "rule": "deadline-radiation-immediate",
    }
    assert decision["immediate_report"] is True
    assert decision["immediate_report_grace_minutes"] == 60
    assert decision["art4_triggers"] == []
    assert decision["investigation"] == {"lead": None, "time_limit_days": None, "mandatory": False}


@pytest.mark.parametrize("facts", [{}, {"deaths": 12}, {"heavy_metal": True}, {"sensitive_period": True}])
def test_an_event_with_a_deadline_in_minutes_is_not_immediate_and_has_no_grace(facts: dict[str, Any]) -> None:
    decision = decided(**facts)
    assert decision["initial_report_deadline_minutes"] in (120, 240)
    assert decision["immediate_report"] is False
    assert decision["immediate_report_grace_minutes"] is None


@pytest.mark.parametrize(
    ("facts", "grace"),
    [
        ({"radioactive_source_class": "IV"}, 60),  # the city's one hour, no shorter than the baseline's
        ({"radioactive_source_class": "V", "sensitive_period": True}, 30),  # sensitive: half an hour
        ({"radioactive_source_class": "II"}, 30),  # level Ⅱ: major, half an hour
        ({"radiation_leak_extent": "wide"}, 30),
        ({"radiation_sickness_cases": 2}, 60),  # level Ⅲ, not sensitive
    ],
)
def test_with_the_city_overlay_the_grace_is_an_hour_or_less(city: Ruleset, facts: dict[str, Any], grace: int) -> None:
    decision = decided((city,), **facts)
    assert decision["initial_report_deadline_minutes"] is None  # the baseline's "immediately" still wins
    assert decision["immediate_report"] is True
    assert decision["immediate_report_grace_minutes"] == grace <= 60


# ---- D16 with seed 2018: a sensitive period is sensitive for the city's 30 minutes ------------------------------


def test_a_sensitive_period_at_level_iv_sends_the_work_group_and_gets_30_minutes_under_the_overlay(
    city: Ruleset,
) -> None:
    national = decided(sensitive_period=True)
    assert (national["level"], national["initial_report_deadline_minutes"]) == ("IV", 240)  # D10: not O17 Art.4
    assert national["dispatch_city_work_group"] is True and national["leader_on_scene"] is True
    local = decided((city,), sensitive_period=True)
    assert local["level"] == "IV"
    assert local["dispatch_city_work_group"] is True and local["leader_on_scene"] is True
    assert local["initial_report_deadline_minutes"] == 30
    assert local["deadline_rule"] == {"ruleset": "city-60-30", "version": 2, "rule": "major-or-sensitive-30"}
    assert local["treat_as_major_for_reporting"] is False  # the national procedure is unchanged
    assert local["report_to"] == ["county_government", "city_eeb"]


# ---- D19: may versus has --------------------------------------------------------------------------------------


def test_a_possible_cross_province_impact_is_art4_4_and_a_notice_but_never_a_level() -> None:
    decision = decided(cross_boundary_possible="province")
    assert decision["level"] == "IV"
    assert decision["response_level"] == "IV" and decision["response_lead"] == "county_government"
    assert decision["art4_triggers"] == ["art4_4"]
    assert decision["notify_adjacent_regions"] is True
    assert decision["treat_as_major_for_reporting"] is True  # D3: level not yet determined
    assert decision["initial_report_deadline_minutes"] == 120
    assert decision["reasons"] == [
        "no grading criterion met → IV, NP2014 Annex 1 IV-6",
        "cross_boundary_possible=province (in province, national), radiation_event=false → art4_4, O17 Art.4(4); D19",
    ]
    has = decided(cross_boundary="province")
    assert (has["level"], has["art4_triggers"], has["notify_adjacent_regions"]) == ("II", ["art4_4"], True)


@pytest.mark.parametrize(
    ("possible", "art4", "notify"),
    [
        ("none", [], False),
        ("county", [], True),
        ("city", [], True),
        ("province", ["art4_4"], True),
        ("national", ["art4_4"], True),
    ],
)
def test_each_possible_boundary(possible: str, art4: list[str], notify: bool) -> None:
    decision = decided(cross_boundary_possible=possible)
    assert (decision["level"], decision["art4_triggers"], decision["notify_adjacent_regions"]) == ("IV", art4, notify)


def test_a_possible_impact_of_a_radiation_event_notifies_neighbours_without_art4() -> None:
    decision = decided(radioactive_source_class="III", cross_boundary_possible="national")
    assert decision["art4_triggers"] == []  # O17 does not apply (D8)
    assert decision["notify_adjacent_regions"] is True
    assert decision["level"] == "III"


# ---- D20: a determined level ----------------------------------------------------------------------------------


def test_a_determined_level_iv_with_an_art4_trigger_is_reported_within_240_minutes() -> None:
    decision = decided(heavy_metal=True, level_determined=True)
    assert decision["level"] == "IV"
    assert decision["art4_triggers"] == ["art4_3"]  # still listed, for the record
    assert decision["treat_as_major_for_reporting"] is False
    assert decision["initial_report_deadline_minutes"] == 240
    assert decision["deadline_rule"]["rule"] == "deadline-general-240"
    assert decision["report_to"] == ["county_government", "city_eeb"]
    assert decision["onward_reports"] == []
    assert decision["dispatch_city_work_group"] is True and decision["leader_on_scene"] is True  # still sensitive
    assert "heavy_metal=true, radiation_event=false → art4_3, O17 Art.4(3)" in decision["reasons"]


@pytest.mark.parametrize(
    ("facts", "major", "minutes"),
    [
        ({"heavy_metal": True}, True, 120),  # D3 while the level is not determined
        ({"heavy_metal": True, "level_determined": False}, True, 120),
        ({"deaths": 3, "mass_incident": True, "level_determined": True}, False, 240),  # Ⅲ, determined
        ({"deaths": 10, "mass_incident": True, "level_determined": True}, True, 120),  # Ⅱ stays major by level
        ({"level_determined": True}, False, 240),
    ],
)
def test_level_determined_only_takes_art4_off_the_major_procedure(
    facts: dict[str, Any], major: bool, minutes: int
) -> None:
    decision = decided(**facts)
    assert decision["treat_as_major_for_reporting"] is major
    assert decision["initial_report_deadline_minutes"] == minutes


def test_under_the_city_overlay_a_determined_sensitive_event_keeps_its_30_minutes(city: Ruleset) -> None:
    # the city's "敏感突发事件" is about sensitivity, not about a level that cannot be determined yet
    decision = decided((city,), sensitive_receptors=["school"], level_determined=True)
    assert decision["treat_as_major_for_reporting"] is False
    assert decision["initial_report_deadline_minutes"] == 30


# ---- D18: each radiation row of NP2014 Annex 1 (bounds as RAD Art.40 states them) --------------------------------


@pytest.mark.parametrize(
    ("facts", "level", "rule_cites"),
    [
        ({"radiation_acute_deaths": 3}, "I", "NP2014 Annex 1 I-6; RAD Art.40"),
        ({"radiation_acute_deaths": 40}, "I", "NP2014 Annex 1 I-6; RAD Art.40"),
        ({"radiation_acute_deaths": 2}, "II", "NP2014 Annex 1 II-6; RAD Art.40"),
        ({"radiation_acute_deaths": 1}, "II", "NP2014 Annex 1 II-6; RAD Art.40"),
        ({"radiation_sickness_cases": 10}, "II", "NP2014 Annex 1 II-6; RAD Art.40"),
        ({"radiation_sickness_cases": 9}, "III", "NP2014 Annex 1 III-6; RAD Art.40"),
        ({"radiation_sickness_cases": 1}, "III", "NP2014 Annex 1 III-6; RAD Art.40"),
        ({"radiation_leak_extent": "wide"}, "I", "NP2014 Annex 1 I-6"),
        ({"radiation_leak_extent": "large"}, "II", "NP2014 Annex 1 II-6"),
        ({"radiation_leak_extent": "small"}, "III", "NP2014 Annex 1 III-6"),
        ({"radiation_leak_extent": "facility"}, "IV", "NP2014 Annex 1 IV-5"),
    ],
)
def test_each_radiation_row(facts: dict[str, Any], level: str, rule_cites: str) -> None:
    decision = decided(**facts)
    assert decision["level"] == level
    assert decision["radiation_event"] is True  # any of them makes a radiation event
    assert decision["immediate_report"] is True and decision["initial_report_deadline_minutes"] is None
    assert decision["art4_triggers"] == []
    [reason] = decision["reasons"]
    assert reason.endswith(f"→ {level}, {rule_cites}")
    assert decision["investigation"]["lead"] is None  # O32 Art.2 carve-out


def test_radiation_facts_at_zero_or_none_change_nothing() -> None:
    plain = decided()
    assert decided(radiation_acute_deaths=0, radiation_sickness_cases=0, radiation_leak_extent="none") == plain
    assert plain["radiation_event"] is False and plain["level"] == "IV"


def test_the_highest_radiation_row_wins_and_a_level_ii_radiation_accident_goes_to_the_state_council() -> None:
    decision = decided(radioactive_source_class="IV", radiation_sickness_cases=12, radiation_leak_extent="small")
    assert decision["level"] == "II"
    assert [r.rsplit(", ", 1)[0].rsplit("→ ", 1)[1] for r in decision["reasons"]] == ["IV", "II", "III"]
    assert decision["onward_reports"] == [
        {"from": "provincial_government", "to": ["state_council"], "within_minutes": 240, "basis": "RAD Art.42"}
    ]
    assert decision["report_to"] == ["county_government", "city_eeb"]


# ---- D21 and D22 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "publication", "press"),
    [
        ({"deaths": 30}, 300, 1440),
        ({"deaths": 10}, 300, 1440),
        ({"radioactive_source_class": "I"}, 300, 1440),  # a 重大 radiation accident is a 重大 event too
        ({"deaths": 9}, None, None),
        ({}, None, None),
        ({"heavy_metal": True}, None, None),  # the 2-hour report procedure is not the level
    ],
)
def test_publication_deadlines_of_level_i_and_ii_events(
    facts: dict[str, Any], publication: int | None, press: int | None
) -> None:
    decision = decided(**facts)
    assert decision["publication_deadline_minutes"] == publication
    assert decision["press_conference_deadline_minutes"] == press


def test_no_bundled_ruleset_sets_first_targets(city: Ruleset) -> None:
    # the seed documents give no number for reaching the scene, monitoring, publishing or investigating
    for overlays in ((), (city,)):
        for facts in ({}, {"deaths": 40}, {"radioactive_source_class": "I"}):
            assert decided(overlays, **facts)["first_targets_minutes"] == {}
