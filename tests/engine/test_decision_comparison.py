"""Follow-up reports compare whole decisions, not levels (engine semantics 3; docs/DECISIONS.md D10, D11).

``compare_decisions`` says what a re-evaluation found: a higher level or stricter reporting at the same level
re-opens reporting (``raised``); a lower level or laxer reporting waits for a person (``lowered_pending``); any
other difference (the work group, the leader on scene, neighbours to notify …) is ``changed``; and it names every
output that differs, leaving out what only explains or cites a decision.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.runtime.service_tasks import compare_decisions

BASE: dict[str, Any] = {
    "level": "IV",
    "reasons": ["level IV: no criterion of a higher level is met"],
    "art4_triggers": [],
    "treat_as_major_for_reporting": False,
    "radiation_event": False,
    "initial_report_deadline_minutes": 240,
    "deadline_rule": {"ruleset": "cn-national-2015", "version": 1, "rule": "report-240"},
    "report_to": ["county_government", "city_eeb"],
    "onward_reports": [],
    "notify_adjacent_regions": False,
    "response_level": "IV",
    "response_lead": "county_government",
    "investigation": {"lead": "city_eeb", "time_limit_days": 30, "mandatory": False},
    "dispatch_city_work_group": False,
    "leader_on_scene": False,
    "ruleset": {"name": "cn-national-2015", "version": 1, "sha256": "0" * 64, "overlays": []},
}


def changed(**outputs: Any) -> dict[str, Any]:
    return {**BASE, **outputs}


@pytest.mark.parametrize(
    ("new", "expected", "changes"),
    [
        pytest.param(changed(), "unchanged", [], id="same"),
        pytest.param(
            changed(reasons=["other words"], ruleset={"name": "x"}, deadline_rule=None), "unchanged", [], id="cites"
        ),
        pytest.param(changed(level="III"), "raised", ["level"], id="level-up"),
        pytest.param(
            changed(dispatch_city_work_group=True, leader_on_scene=True),
            "changed",
            ["dispatch_city_work_group", "leader_on_scene"],
            id="sensitive-period",
        ),
        pytest.param(changed(notify_adjacent_regions=True), "changed", ["notify_adjacent_regions"], id="neighbours"),
        pytest.param(
            changed(treat_as_major_for_reporting=True, initial_report_deadline_minutes=120),
            "raised",
            ["initial_report_deadline_minutes", "treat_as_major_for_reporting"],
            id="two-hours",
        ),
        pytest.param(
            changed(report_to=["city_government", "provincial_eeb"]), "raised", ["report_to"], id="recipients"
        ),
        pytest.param(changed(report_to=["county_government"]), "lowered_pending", ["report_to"], id="fewer"),
        pytest.param(
            changed(initial_report_deadline_minutes=None, immediate_report=True),
            "raised",
            ["immediate_report", "initial_report_deadline_minutes"],
            id="immediate",
        ),
        pytest.param(
            changed(initial_report_deadline_minutes=60), "raised", ["initial_report_deadline_minutes"], id="sooner"
        ),
    ],
)
def test_a_follow_up_is_compared_on_the_whole_decision(new, expected, changes):
    assert compare_decisions(BASE, new) == (expected, changes)


def test_a_lower_level_waits_for_confirmation_even_when_something_else_is_stricter():
    new = changed(level="IV", report_to=[*BASE["report_to"], "provincial_eeb"])
    assert compare_decisions({**BASE, "level": "III"}, new)[0] == "lowered_pending"


def test_laxer_reporting_at_the_same_level_is_never_applied_silently():
    old = changed(treat_as_major_for_reporting=True, initial_report_deadline_minutes=120)
    assert compare_decisions(old, BASE)[0] == "lowered_pending"
    # stricter in one respect and laxer in another: the stricter requirement applies now
    assert compare_decisions(old, changed(report_to=["county_government", "city_eeb", "mee"]))[0] == "raised"
