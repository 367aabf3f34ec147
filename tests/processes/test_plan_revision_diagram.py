"""plan_revision's first-plan path and company meeting, read off the diagram: where each decision leads for the data
it may meet (including data that lacks the variable), and what the scripts compute. The scenarios of
tests/scenarios/test_plan_revision_scenarios.py walk the same paths through the API."""

from __future__ import annotations

import pytest

from engine.calendar_cn import add_days, add_minutes
from tests.processes.test_diagrams import after_merges, load, outcome, sandbox


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"plan_stage": "first_plan"}, "Task_RecordFirstPlan"),
        ({}, "Task_RecordRevisionTrigger"),  # started as before: a revision
        ({"revision_trigger": "incident_lessons"}, "Task_RecordRevisionTrigger"),
        ({"plan_stage": "revision"}, "Task_RecordRevisionTrigger"),
        ({"plan_stage": "First_Plan"}, "Task_RecordRevisionTrigger"),
        ({"plan_stage": None}, "Task_RecordRevisionTrigger"),
    ],
)
def test_the_start_sends_only_a_first_plan_to_its_own_path(data: dict, expected: str) -> None:
    d = load("plan_revision")
    assert after_merges(d, outcome(d, "Gateway_PlanStage", data)) == expected


def test_a_first_plan_joins_the_drafting_steps_of_a_major_revision() -> None:
    d = load("plan_revision")
    [out] = d.outgoing("Task_RecordFirstPlan")
    assert after_merges(d, out.get("targetRef")) == "Task_FormDraftingGroup"
    revision = outcome(d, "Gateway_RevisionDecision", {"revision_decision": "major_revision"})
    assert after_merges(d, revision) == "Task_FormDraftingGroup"


@pytest.mark.parametrize(("passed", "expected"), [(True, "Task_SignAndIssue"), (False, "Task_DraftPlan")])
def test_only_a_plan_the_meeting_passed_is_signed(passed: bool, expected: str) -> None:
    d = load("plan_revision")
    assert after_merges(d, outcome(d, "Gateway_ReviewPassed", {"review_passed": True})) == "Task_CompanyMeeting"
    assert after_merges(d, outcome(d, "Gateway_MeetingPassed", {"company_meeting_passed": passed})) == expected
    assert [f.get("targetRef") for f in d.outgoing("Task_CompanyMeeting")] == ["Gateway_MeetingPassed"]
    assert {f.get("sourceRef") for f in d.flows.values() if f.get("targetRef") == "Task_SignAndIssue"} == {
        "Gateway_MeetingPassed"
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"plan_stage": "first_plan"}, "Script_ComputeFirstFilingDeadline"),
        ({"plan_stage": "revision"}, "Script_ComputeFilingDeadline"),
        ({}, "Script_ComputeFilingDeadline"),
    ],
)
def test_the_filing_deadline_follows_the_plan_stage(data: dict, expected: str) -> None:
    d = load("plan_revision")
    assert outcome(d, "Gateway_FilingDeadlineBasis", data) == expected
    assert after_merges(d, d.outgoing(expected)[0].get("targetRef")) == "Task_SubmitFiling"


@pytest.mark.parametrize(
    ("planned", "due"),
    [
        ("2026-06-01", "2026-06-01T00:00:00+08:00"),  # a date: before production begins that day
        ("2026-06-01T08:00:00+08:00", "2026-06-01T08:00:00+08:00"),
        ("2026-06-01T00:00:00Z", "2026-06-01T00:00:00+00:00"),
    ],
)
def test_a_first_plan_is_due_at_the_planned_production_start(planned: str, due: str) -> None:
    data = {"planned_production_at": planned, "issued_at": "2026-05-06T10:00:00+08:00"}
    sandbox(add_minutes=add_minutes).execute(load("plan_revision").script("Script_ComputeFirstFilingDeadline"), data)
    assert data["filing_due_at"] == due


@pytest.mark.parametrize(
    ("data", "due"),
    [
        ({"plan_stage": "first_plan"}, "2029-05-05T10:00:00+08:00"),  # no assessment in a first plan's cycle
        ({"plan_stage": "revision", "revision_decision": "major_revision"}, "2029-05-05T10:00:00+08:00"),
        ({"plan_stage": "revision", "revision_decision": "no_change"}, "2029-04-02T00:00:00+08:00"),
        ({"revision_decision": "item_adjustment"}, "2029-04-02T00:00:00+08:00"),
    ],
)
def test_after_every_cycle_the_plan_exists_and_is_revised_from_then_on(data: dict, due: str) -> None:
    data |= {"issued_at": "2026-05-06T10:00:00+08:00", "assessed_at": "2026-04-03T00:00:00+08:00"}
    sandbox(add_days=add_days).execute(load("plan_revision").script("Script_ScheduleNextRetrospective"), data)
    assert data["retrospective_due_at"] == due
    assert data["plan_stage"] == "revision"
    assert "new_plan" not in data
