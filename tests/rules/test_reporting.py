"""Reporting (O17), radiation carve-out (D8), response, investigation (O32), dispatch (D10): the sections
§Reporting, §Art.4, §Response, §Investigation and §Dispatch of docs/ESCALATION.md. D-numbers are the decisions of
docs/DECISIONS.md."""

from __future__ import annotations

import pytest

from rules import decide
from tests.rules.incidents import incident

PROVINCE_TO_MEE = {"from": "provincial_eeb", "to": ["mee"], "within_minutes": 60, "basis": "O17 Art.3 ¶3"}
MEE_TO_STATE_COUNCIL = {
    "from": "mee",
    "to": ["state_council_duty_office", "cpc_general_office_secretariat"],
    "within_minutes": None,
    "basis": "O17 Art.7",
}
RADIATION_TO_STATE_COUNCIL = {
    "from": "provincial_government",
    "to": ["state_council"],
    "within_minutes": 240,
    "basis": "RAD Art.42",
}


@pytest.mark.parametrize(
    ("facts", "triggers"),
    [
        ({}, []),
        ({"affects_drinking_water_source": True}, ["art4_1"]),
        ({"water_source_interruption": "township"}, ["art4_1"]),
        ({"water_source_interruption": "city"}, ["art4_1"]),
        ({"sensitive_receptors": ["school"]}, ["art4_2"]),
        ({"sensitive_receptors": ["kindergarten", "hospital"]}, ["art4_2"]),  # the list is open (等)
        ({"heavy_metal": True}, ["art4_3"]),
        ({"cross_boundary": "province"}, ["art4_4"]),
        ({"cross_boundary": "national"}, ["art4_4"]),
        ({"cross_boundary": "city"}, []),
        ({"cross_boundary": "county"}, []),
        ({"mass_incident": True}, ["art4_5"]),
        ({"sensitive_period": True}, []),
        (
            {
                "mass_incident": True,
                "heavy_metal": True,
                "affects_drinking_water_source": True,
                "sensitive_receptors": ["residential"],
                "cross_boundary": "province",
            },
            ["art4_1", "art4_2", "art4_3", "art4_4", "art4_5"],
        ),
    ],
)
def test_each_art4_trigger(facts: dict, triggers: list[str]) -> None:
    decision = decide(incident(**facts))
    assert list(decision.art4_triggers) == triggers
    art4_reasons = [r for r in decision.reasons if "O17 Art.4(" in r]
    assert [r.split("→ ")[1].split(",")[0] for r in art4_reasons] == triggers
    if triggers:
        assert decision.treat_as_major_for_reporting
        assert decision.initial_report_deadline_minutes == 120


def test_art4_alone_puts_a_level_iv_event_on_the_major_procedure() -> None:
    decision = decide(incident(heavy_metal=True)).to_dict()
    assert decision["level"] == "IV"
    assert decision["treat_as_major_for_reporting"] is True
    assert decision["initial_report_deadline_minutes"] == 120
    assert decision["deadline_rule"] == {
        "ruleset": "cn-national-2015",
        "version": 2,
        "rule": "deadline-major-120",
    }
    assert decision["report_to"] == ["county_government", "provincial_eeb", "mee"]
    # MEE forwards to the State Council duty office only for I/II (O17 Art.7)
    assert decision["onward_reports"] == [PROVINCE_TO_MEE]
    assert decision["response_lead"] == "county_government"
    assert decision["investigation"] == {"lead": "city_eeb", "time_limit_days": 30, "mandatory": False}
    assert "heavy_metal=true, radiation_event=false → art4_3, O17 Art.4(3)" in decision["reasons"]


@pytest.mark.parametrize(
    ("authority", "facts", "report_to", "deadline", "onward"),
    [
        ("county", {}, ["county_government", "city_eeb"], 240, []),
        ("city", {}, ["city_government", "provincial_eeb"], 240, []),
        ("county", {"deaths": 3}, ["county_government", "city_eeb"], 240, []),
        ("city", {"evacuated": 9999}, ["city_government", "provincial_eeb"], 240, []),
        (
            "county",
            {"deaths": 10},
            ["county_government", "provincial_eeb", "mee"],
            120,
            [PROVINCE_TO_MEE, MEE_TO_STATE_COUNCIL],
        ),
        (
            "city",
            {"deaths": 30},
            ["city_government", "provincial_eeb", "mee"],
            120,
            [PROVINCE_TO_MEE, MEE_TO_STATE_COUNCIL],
        ),
        (
            "city",
            {"mass_incident": True},
            ["city_government", "provincial_eeb", "mee"],
            120,
            [PROVINCE_TO_MEE],
        ),
    ],
)
def test_recipients_and_deadline_by_reporting_authority(
    authority: str, facts: dict, report_to: list[str], deadline: int, onward: list[dict]
) -> None:
    decision = decide(incident(reporting_authority=authority, **facts)).to_dict()
    assert decision["report_to"] == report_to
    assert decision["initial_report_deadline_minutes"] == deadline
    assert decision["deadline_rule"]["rule"] == {240: "deadline-general-240", 120: "deadline-major-120"}[deadline]
    assert decision["onward_reports"] == onward
    assert decision["treat_as_major_for_reporting"] is (deadline == 120)


@pytest.mark.parametrize("authority", ["county", "city"])
@pytest.mark.parametrize(
    ("facts", "level"),
    [
        ({"radioactive_source_class": "IV"}, "IV"),
        ({"radioactive_source_class": "III"}, "III"),
        ({"radioactive_source_class": "I"}, "II"),
        ({"radiation_wide_severe_contamination": True}, "I"),
    ],
)
def test_radiation_events_are_carved_out(authority: str, facts: dict, level: str) -> None:
    # Art.4 circumstances present, yet no Art.4 triggers for a radiation event (O17 Art.2 ¶3, D8)
    sensitive = {
        "heavy_metal": True,
        "mass_incident": True,
        "sensitive_receptors": ["school"],
        "affects_drinking_water_source": True,
    }
    decision = decide(incident(reporting_authority=authority, **facts, **sensitive)).to_dict()
    assert decision["radiation_event"] is True
    assert decision["level"] == level
    assert decision["art4_triggers"] == []
    assert not any("O17 Art.4(" in r for r in decision["reasons"])
    assert decision["initial_report_deadline_minutes"] is None  # immediately, RAD Art.42
    assert decision["deadline_rule"]["rule"] == "deadline-radiation-immediate"
    own, higher = {
        "county": ("county_government", "city_eeb"),
        "city": ("city_government", "provincial_eeb"),
    }[authority]
    assert decision["report_to"] == [own, higher]  # whatever the level
    assert decision["investigation"] == {"lead": None, "time_limit_days": None, "mandatory": False}
    major = level in ("I", "II")
    assert decision["treat_as_major_for_reporting"] is major  # §Decision: level I/II, even for radiation
    assert decision["onward_reports"] == ([RADIATION_TO_STATE_COUNCIL] if major else [])


@pytest.mark.parametrize(
    ("cross_boundary", "notify"),
    [("none", False), ("county", True), ("city", True), ("province", True), ("national", True)],
)
def test_adjacent_regions_notified_when_the_impact_crosses_a_boundary(cross_boundary: str, notify: bool) -> None:
    assert decide(incident(cross_boundary=cross_boundary)).notify_adjacent_regions is notify


@pytest.mark.parametrize(
    ("facts", "level", "lead", "investigation"),
    [
        (
            {"deaths": 30},
            "I",
            "provincial_government",
            {"lead": "mee", "time_limit_days": 60, "mandatory": True},
        ),
        (
            {"deaths": 10},
            "II",
            "provincial_government",
            {"lead": "mee", "time_limit_days": 60, "mandatory": True},
        ),
        (
            {"deaths": 3},
            "III",
            "city_government",
            {"lead": "provincial_eeb", "time_limit_days": 30, "mandatory": True},
        ),
        (
            {"deaths": 1},
            "IV",
            "county_government",
            {"lead": "city_eeb", "time_limit_days": 30, "mandatory": False},
        ),
        ({}, "IV", "county_government", {"lead": "city_eeb", "time_limit_days": 30, "mandatory": False}),
    ],
)
def test_response_lead_and_investigation_follow_the_level(
    facts: dict, level: str, lead: str, investigation: dict
) -> None:
    for authority in ("county", "city"):  # D15: who reports does not change who leads
        decision = decide(incident(reporting_authority=authority, **facts)).to_dict()
        assert (decision["level"], decision["response_level"], decision["response_lead"]) == (
            level,
            level,
            lead,
        )
        assert decision["investigation"] == investigation


@pytest.mark.parametrize(
    ("facts", "dispatch"),
    [
        ({}, False),
        ({"deaths": 1}, False),
        ({"deaths": 3}, True),
        ({"cross_boundary": "province"}, True),
        ({"affects_drinking_water_source": True}, True),
        ({"sensitive_receptors": ["hospital"]}, True),
        ({"sensitive_period": True}, True),
        ({"radioactive_source_class": "IV", "heavy_metal": True}, False),  # radiation: no Art.4, level IV
    ],
)
def test_dispatch_and_leader_on_scene(facts: dict, dispatch: bool) -> None:
    decision = decide(incident(**facts))
    assert decision.dispatch_city_work_group is dispatch
    assert decision.leader_on_scene is dispatch


def test_sensitive_period_dispatches_but_does_not_change_reporting() -> None:
    quiet = decide(incident()).to_dict()
    sensitive = decide(incident(sensitive_period=True)).to_dict()
    assert sensitive["dispatch_city_work_group"] and sensitive["leader_on_scene"]
    assert not quiet["dispatch_city_work_group"] and not quiet["leader_on_scene"]
    for key in ("dispatch_city_work_group", "leader_on_scene"):
        sensitive.pop(key), quiet.pop(key)
    assert sensitive == quiet  # D10: same level, procedure, deadline, recipients
