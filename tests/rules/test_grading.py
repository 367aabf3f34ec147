"""NP2014 Annex 1 grading (docs/ESCALATION.md, §Grading) at and around every bound.

"以上" includes the bound, "以下" excludes it.
"""

from __future__ import annotations

import json

import pytest

from rules import DECISION_FIELDS, decide
from tests.rules.incidents import incident

FLOOR = "no grading criterion met → IV, NP2014 Annex 1 IV-6"

# (fact, value, level, article cited by the criterion that fires; None: no criterion, the floor line)
NUMERIC_ROWS = [
    ("deaths", 0, "IV", None),
    ("deaths", 1, "IV", "NP2014 Annex 1 IV-1"),
    ("deaths", 2, "IV", "NP2014 Annex 1 IV-1"),
    ("deaths", 3, "III", "NP2014 Annex 1 III-1"),
    ("deaths", 9, "III", "NP2014 Annex 1 III-1"),
    ("deaths", 10, "II", "NP2014 Annex 1 II-1"),
    ("deaths", 29, "II", "NP2014 Annex 1 II-1"),
    ("deaths", 30, "I", "NP2014 Annex 1 I-1"),
    ("deaths", 31, "I", "NP2014 Annex 1 I-1"),
    ("injured_or_poisoned", 0, "IV", None),
    ("injured_or_poisoned", 1, "IV", "NP2014 Annex 1 IV-1"),
    ("injured_or_poisoned", 9, "IV", "NP2014 Annex 1 IV-1"),
    ("injured_or_poisoned", 10, "III", "NP2014 Annex 1 III-1"),
    ("injured_or_poisoned", 49, "III", "NP2014 Annex 1 III-1"),
    ("injured_or_poisoned", 50, "II", "NP2014 Annex 1 II-1"),
    ("injured_or_poisoned", 99, "II", "NP2014 Annex 1 II-1"),
    ("injured_or_poisoned", 100, "I", "NP2014 Annex 1 I-1"),
    ("evacuated", 0, "IV", None),
    ("evacuated", 1, "IV", "NP2014 Annex 1 IV-2"),
    ("evacuated", 4999, "IV", "NP2014 Annex 1 IV-2"),
    ("evacuated", 5000, "III", "NP2014 Annex 1 III-2"),
    ("evacuated", 9999, "III", "NP2014 Annex 1 III-2"),
    ("evacuated", 10000, "II", "NP2014 Annex 1 II-2"),
    ("evacuated", 49999, "II", "NP2014 Annex 1 II-2"),
    ("evacuated", 50000, "I", "NP2014 Annex 1 I-2"),
    ("direct_loss_yuan", 0, "IV", None),
    ("direct_loss_yuan", 0.5, "IV", "NP2014 Annex 1 IV-3"),
    ("direct_loss_yuan", 4_999_999, "IV", "NP2014 Annex 1 IV-3"),
    ("direct_loss_yuan", 4_999_999.99, "IV", "NP2014 Annex 1 IV-3"),
    ("direct_loss_yuan", 5_000_000, "III", "NP2014 Annex 1 III-3"),
    ("direct_loss_yuan", 5_000_000.0, "III", "NP2014 Annex 1 III-3"),
    ("direct_loss_yuan", 19_999_999, "III", "NP2014 Annex 1 III-3"),
    ("direct_loss_yuan", 20_000_000, "II", "NP2014 Annex 1 II-3"),
    ("direct_loss_yuan", 99_999_999, "II", "NP2014 Annex 1 II-3"),
    ("direct_loss_yuan", 99_999_999.5, "II", "NP2014 Annex 1 II-3"),
    ("direct_loss_yuan", 100_000_000, "I", "NP2014 Annex 1 I-3"),
    ("direct_loss_yuan", 3_000_000_000, "I", "NP2014 Annex 1 I-3"),
]

QUALITATIVE_ROWS = [
    ("water_source_interruption", "none", "IV", None),
    ("water_source_interruption", "township", "III", "NP2014 Annex 1 III-5"),
    ("water_source_interruption", "county", "II", "NP2014 Annex 1 II-5"),
    ("water_source_interruption", "city", "I", "NP2014 Annex 1 I-5"),
    ("ecological_damage", "none", "IV", None),
    ("ecological_damage", "protected_species_damaged", "III", "NP2014 Annex 1 III-4"),
    ("ecological_damage", "partial_loss_or_mass_death", "II", "NP2014 Annex 1 II-4"),
    ("ecological_damage", "function_loss_or_extinction", "I", "NP2014 Annex 1 I-4"),
    ("cross_boundary", "none", "IV", None),
    ("cross_boundary", "county", "IV", "NP2014 Annex 1 IV-4"),
    ("cross_boundary", "city", "III", "NP2014 Annex 1 III-7"),
    ("cross_boundary", "province", "II", "NP2014 Annex 1 II-7"),
    ("cross_boundary", "national", "I", "NP2014 Annex 1 I-7"),
    ("radioactive_source_class", None, "IV", None),
    ("radioactive_source_class", "I", "II", "NP2014 Annex 1 II-6"),
    ("radioactive_source_class", "II", "II", "NP2014 Annex 1 II-6"),
    ("radioactive_source_class", "III", "III", "NP2014 Annex 1 III-6"),
    ("radioactive_source_class", "IV", "IV", "NP2014 Annex 1 IV-5"),
    ("radioactive_source_class", "V", "IV", "NP2014 Annex 1 IV-5"),
    ("radiation_wide_severe_contamination", False, "IV", None),
    ("radiation_wide_severe_contamination", True, "I", "NP2014 Annex 1 I-6"),
]


@pytest.mark.parametrize(("fact", "value", "level", "article"), NUMERIC_ROWS + QUALITATIVE_ROWS)
def test_each_row_at_and_around_its_bounds(fact: str, value: object, level: str, article: str | None) -> None:
    decision = decide(incident(**{fact: value}))
    assert decision.level == level
    assert decision.response_level == level
    if article is None:
        assert decision.reasons == (FLOOR,)
    else:
        grading = [r for r in decision.reasons if "NP2014 Annex 1" in r]
        assert len(grading) == 1, decision.reasons
        assert grading[0].startswith(f"{fact}=")
        assert grading[0].endswith(f"→ {level}, {article}")


@pytest.mark.parametrize(
    ("facts", "reasons"),
    [
        ({"evacuated": 49999}, ["evacuated=49999 (≥ 10000, < 50000) → II, NP2014 Annex 1 II-2"]),
        ({"deaths": 30}, ["deaths=30 (≥ 30) → I, NP2014 Annex 1 I-1"]),
        (
            {"direct_loss_yuan": 4_999_999.0},
            ["direct_loss_yuan=4999999 (> 0, < 5000000) → IV, NP2014 Annex 1 IV-3"],
        ),
        (
            {"water_source_interruption": "county"},
            [
                "water_source_interruption=county → II, NP2014 Annex 1 II-5",
                "(affects_drinking_water_source=false or water_source_interruption=county (≠ none)), "
                "radiation_event=false → art4_1, O17 Art.4(1)",
            ],
        ),
        (
            {"radioactive_source_class": "II"},
            ["radioactive_source_class=II (in I, II) → II, NP2014 Annex 1 II-6"],
        ),
    ],
)
def test_reasons_name_fact_value_threshold_and_article(facts: dict, reasons: list[str]) -> None:
    assert list(decide(incident(**facts)).reasons) == reasons


@pytest.mark.parametrize(
    ("facts", "level", "articles"),
    [
        # the highest level any single criterion reaches wins; every criterion that fired is a reason
        ({"deaths": 3, "evacuated": 50000}, "I", ["III-1", "I-2"]),
        ({"deaths": 2, "injured_or_poisoned": 50}, "II", ["IV-1", "II-1"]),
        (
            {
                "water_source_interruption": "county",
                "direct_loss_yuan": 5_000_000,
                "cross_boundary": "county",
            },
            "II",
            ["III-3", "II-5", "IV-4"],
        ),
        ({"radioactive_source_class": "III", "deaths": 10}, "II", ["II-1", "III-6"]),
        (
            {"radioactive_source_class": "II", "radiation_wide_severe_contamination": True},
            "I",
            ["I-6", "II-6"],
        ),
        (
            {
                "ecological_damage": "protected_species_damaged",
                "cross_boundary": "national",
                "evacuated": 9999,
            },
            "I",
            ["III-2", "III-4", "I-7"],
        ),
        (
            {"deaths": 1, "injured_or_poisoned": 9, "evacuated": 4999, "direct_loss_yuan": 4_999_999},
            "IV",
            ["IV-1", "IV-1", "IV-2", "IV-3"],
        ),
    ],
)
def test_conflicting_criteria_highest_level_wins(facts: dict, level: str, articles: list[str]) -> None:
    decision = decide(incident(**facts))
    assert decision.level == level
    cited = [r.rsplit("NP2014 Annex 1 ", 1)[1] for r in decision.reasons if "NP2014 Annex 1" in r]
    assert cited == articles  # in ruleset order, one line per criterion


def test_decision_has_exactly_the_contract_fields_and_is_json() -> None:
    data = decide(incident(deaths=12)).to_dict()
    assert list(data) == list(DECISION_FIELDS)
    assert set(DECISION_FIELDS) == {
        "level",
        "reasons",
        "reasons_zh",
        "immediate_report",
        "immediate_report_grace_minutes",
        "first_targets_minutes",
        "publication_deadline_minutes",
        "press_conference_deadline_minutes",
        "art4_triggers",
        "treat_as_major_for_reporting",
        "radiation_event",
        "initial_report_deadline_minutes",
        "report_to",
        "onward_reports",
        "notify_adjacent_regions",
        "response_level",
        "response_lead",
        "investigation",
        "dispatch_city_work_group",
        "leader_on_scene",
        "ruleset",
        "deadline_rule",
    }
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["ruleset"]["name"] == "cn-national-2015"
    assert data["ruleset"]["version"] == 2
    assert len(data["ruleset"]["sha256"]) == 64
    assert data["ruleset"]["overlays"] == []


def test_same_facts_same_decision_byte_for_byte() -> None:
    facts = incident(deaths=4, heavy_metal=True, sensitive_receptors=["school", "hospital"], cross_boundary="city")
    first = json.dumps(decide(facts).to_dict(), ensure_ascii=False)
    for _ in range(20):
        decide(incident(deaths=40))  # other evaluations in between change nothing
        assert json.dumps(decide(dict(facts)).to_dict(), ensure_ascii=False) == first
