"""investigation_accountability (事件调查和责任追究, docs/PROCEDURES.md section 2) walked through the HTTP API:
the 三个不放过 gate, the discretionary level-IV decision and the investigation clock that pauses for the
pollution-damage assessment. The steps added for the articles of O32 and RAD Art.42 that the procedure was missing
are walked through in tests/scenarios/test_investigation_law_scenarios.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.scenarios.conftest import CST

DISCOVERED = "2026-04-14T08:40:00+08:00"
ENDED = "2026-04-15T18:00:00+08:00"
PARALLEL = {
    "Task_SiteInspection": "investigation_team",
    "Task_Interviews": "investigation_team",
    "Task_ReviewPlanImplementation": "investigation_team",
    "Task_ExamineIncidentUnit": "investigation_team",  # O32 Art.11
    "Task_ExamineAuthorityDuties": "investigation_team",  # O32 Art.12
    "Task_PollutionDamageAssessment": "investigation_team",
}
PUBLICATION = {"Task_TeamLeaderConsent": "leader"}  # after submission, beside the follow-up (O32 Art.6, Art.17)
LEVEL_III = {  # the decision of the rules for 6,000 people evacuated, as five_firsts would hand it over
    "level": "III",
    "response_level": "III",
    "response_lead": "city_government",
    "radiation_event": False,
    "art4_triggers": [],
    "treat_as_major_for_reporting": False,
    "initial_report_deadline_minutes": 240,
    "report_to": ["county_government", "city_eeb"],
    "dispatch_city_work_group": True,
    "leader_on_scene": True,
    "investigation": {"lead": "provincial_eeb", "time_limit_days": 30, "mandatory": True},
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_three_no_let_go_loops_back_until_cause_responsibility_and_rectification_all_hold(desk):
    bk = "LJ-2026-0301-09"
    inv = desk.start(
        "investigation_accountability",
        bk,
        {
            "escalation": LEVEL_III,
            "emergency_ended_at": ENDED,
            "discovered_at": DISCOVERED,
            "direct_loss_yuan": 8_000_000.0,
            "incident_unit": "江城新材料有限公司",
            "place": desk.FORM_VALUES["place"],
        },
        as_="leader",
    )["id"]
    # level III: mandatory, no discretionary decision; report also to the city bureau and the province
    assert desk.ready(inv) == {"Task_FormInvestigationTeam": "leader"}
    data = desk.data(inv)
    assert data["investigation_time_limit_days"] == 30
    assert data["report_recipients"] == ["same_level_government", "higher_level_eeb", "city_eeb", "provincial_eeb"]

    # a team member has a conflict of interest: the team is formed again (O32 Art.6)
    desk.complete("leader", "Task_FormInvestigationTeam", inv, no_conflict_of_interest=False)
    assert desk.ready(inv) == {"Task_FormInvestigationTeam": "leader"}
    desk.complete("leader", "Task_FormInvestigationTeam", inv, no_conflict_of_interest=True, investigator_count=4)
    desk.complete("team", "Task_InvestigationPlan", inv)
    assert desk.ready(inv) == PARALLEL
    for element in PARALLEL:
        desk.complete("team", element, inv)

    def follow_up_and_verify(responsible_dealt_with: bool, rectification_done: bool) -> None:
        assert desk.ready(inv) == {"Task_FollowUpAccountability": "enforcement"}
        desk.complete("enforcement", "Task_FollowUpAccountability", inv, responsible_dealt_with=responsible_dealt_with)
        assert desk.ready(inv) == {"Task_VerifyRectification": "enforcement"}
        desk.complete("enforcement", "Task_VerifyRectification", inv, rectification_done=rectification_done)

    def report() -> None:
        desk.complete("team", "Task_DetermineResponsibility", inv)
        desk.complete("team", "Task_RectificationMeasures", inv)
        desk.complete("team", "Task_InvestigationReport", inv)
        desk.complete("team", "Task_ReportToAuthorities", inv)

    # round 1: the report is submitted with the cause not established → back to the cause at once: nothing is
    # published and nobody is followed up on conclusions the investigation has not reached
    assert desk.ready(inv) == {"Task_DetermineCause": "investigation_team"}
    desk.complete(
        "team", "Task_DetermineCause", inv, cause_established=False, cause="初步怀疑法兰垫片老化，尚待检测报告确认"
    )
    report()
    assert desk.ready(inv) == {"Task_DetermineCause": "investigation_team"}

    # round 2: cause established (the report is written again); the conclusions are published beside the
    # follow-up, and the responsible not yet dealt with → back to the follow-up, not to the report
    desk.complete("team", "Task_DetermineCause", inv, cause_established=True)
    report()
    assert desk.ready(inv) == {"Task_FollowUpAccountability": "enforcement", **PUBLICATION}
    desk.complete("leader", "Task_TeamLeaderConsent", inv)
    desk.complete("press", "Task_PublishConclusions", inv)
    follow_up_and_verify(responsible_dealt_with=False, rectification_done=True)

    # round 3: responsibility settled, rectification not carried out → the supervision check repeats
    follow_up_and_verify(responsible_dealt_with=True, rectification_done=False)
    assert desk.ready(inv) == {"Task_VerifyRectification": "enforcement"}

    # round 4: all three hold (the conclusions were published already) → the case review, the case file, closed
    desk.complete(
        "enforcement",
        "Task_VerifyRectification",
        inv,
        rectification_done=True,
        supervision_notice_no="江环督〔2026〕6号",
    )
    assert desk.ready(inv) == {"Task_CaseReview": "emergency_office"}  # 8 million yuan: no litigation referral
    desk.complete("office", "Task_CaseReview", inv, start_plan_revision=False)
    closed = desk.complete("office", "Task_ArchiveCaseFile", inv)
    assert closed["status"] == "completed" and closed["ready_tasks"] == []

    report_round = [
        "Task_DetermineCause",
        "Task_DetermineResponsibility",
        "Task_RectificationMeasures",
        "Task_InvestigationReport",
        "Task_ReportToAuthorities",
    ]
    follow_up = ["Task_FollowUpAccountability", "Task_VerifyRectification"]
    assert desk.completed_elements(inv) == [
        "Task_FormInvestigationTeam",
        "Task_FormInvestigationTeam",
        "Task_InvestigationPlan",
        *PARALLEL,
        *report_round,
        *report_round,
        "Task_TeamLeaderConsent",
        "Task_PublishConclusions",
        *follow_up,
        *follow_up,
        "Task_VerifyRectification",
        "Task_CaseReview",
        "Task_ArchiveCaseFile",
    ]
    path = desk.touched(inv)
    assert "End_CaseClosed" in path
    assert not path & {
        "Task_DecideWhetherToInvestigate",
        "Task_PublicInterestLitigationReferral",
        "Service_StartPlanRevision",
    }
    assert [i["definition_key"] for i in desk.by_business_key(bk)] == ["investigation_accountability"]


def test_city_eeb_decides_not_to_investigate_a_level_iv_case(desk):
    bk = "LJ-2026-0414-10"
    ff, inv = desk.respond_and_close(bk, DISCOVERED, ENDED)
    assert desk.ready(inv) == {"Task_DecideWhetherToInvestigate": "leader"}
    task = desk.task("leader", "Task_DecideWhetherToInvestigate", inv)

    # "no" without a reason is refused: the reason must be recorded
    refused = desk.api.post(f"/api/v1/tasks/{task['id']}/complete", as_="leader", json={"data": {"investigate": False}})
    assert refused.status_code == 422
    assert "investigation_decision_reason" in json.dumps(refused.get_json())
    assert desk.ready(inv) == {"Task_DecideWhetherToInvestigate": "leader"}

    reason = "事件污染范围小、未造成人员伤亡，企业已主动处置，由执法部门依法立案查处即可"
    done = desk.complete(
        "leader", "Task_DecideWhetherToInvestigate", inv, investigate=False, investigation_decision_reason=reason
    )
    assert done["status"] == "completed" and done["ready_tasks"] == [] and done["ended_at"]
    assert done["data"]["investigate"] is False and done["data"]["investigation_decision_reason"] == reason
    path = desk.touched(inv)
    assert "End_NotInvestigated" in path
    assert not path & {"Task_FormInvestigationTeam", "End_CaseClosed"}
    [decided] = desk.events(inv, "task_completed", "Task_DecideWhetherToInvestigate")
    assert decided["actor"] == "leader"
    assert decided["payload"]["data"] == {"investigate": False, "investigation_decision_reason": reason}
    assert [(i["id"], i["status"]) for i in desk.by_business_key(bk)] == [(ff, "completed"), (inv, "completed")]


def test_investigation_deadline_pauses_for_the_pollution_damage_assessment(desk):
    _, inv = desk.respond_and_close("LJ-2026-0414-11", DISCOVERED, ENDED)
    desk.complete(
        "leader",
        "Task_DecideWhetherToInvestigate",
        inv,
        investigate=True,
        investigation_decision_reason="群众反映强烈，决定组织调查",
    )
    assert desk.ready(inv) == {"Task_FormInvestigationTeam": "leader"}
    assert desk.data(inv)["investigation_time_limit_days"] == 30  # level IV
    assert desk.data(inv)["report_recipients"] == ["same_level_government", "higher_level_eeb"]
    desk.complete("leader", "Task_FormInvestigationTeam", inv, no_conflict_of_interest=True)

    desk.clock.set(utc(2026, 4, 20, 1, 0))  # Monday 20 April, 09:00 CST: the plan is made, the assessment starts
    desk.complete("team", "Task_InvestigationPlan", inv)
    assert desk.ready(inv) == PARALLEL
    desk.clock.set(utc(2026, 4, 22, 1, 0))
    for element in set(PARALLEL) - {"Task_PollutionDamageAssessment"}:
        desk.complete("team", element, inv)
    desk.clock.set(utc(2026, 4, 30, 1, 0))  # the assessment took 10 days
    desk.complete("team", "Task_PollutionDamageAssessment", inv)
    data = desk.data(inv)
    assert desk.parse(data["assessment_started_at"]) == utc(2026, 4, 20, 1, 0)
    assert desk.parse(data["assessment_ended_at"]) == utc(2026, 4, 30, 1, 0)
    assert data["assessment_paused_minutes"] == 10 * 24 * 60

    desk.complete("team", "Task_DetermineCause", inv, cause_established=True)
    desk.complete("team", "Task_DetermineResponsibility", inv)
    desk.complete("team", "Task_RectificationMeasures", inv)
    report = desk.ready_task(inv, "Task_InvestigationReport")
    due = desk.parse(ENDED) + timedelta(days=30 + 10)  # 25 May 18:00 CST, not 15 May
    assert due == utc(2026, 5, 25, 10, 0)
    assert desk.parse(report["due_at"]) == due
    assert desk.parse(data["investigation_report_due_at"]) == due

    desk.clock.set(due - timedelta(minutes=1))
    assert desk.fire_due_timers() == 0
    desk.clock.set(due + timedelta(minutes=1))
    assert desk.fire_due_timers() == 1
    ready = desk.ready(inv)
    assert ready == {"Task_InvestigationReport": "investigation_team", "Task_OverdueInvestigationReport": "leader"}
    assert desk.ready_task(inv, "Task_InvestigationReport")["overdue"] is True
    [fired] = desk.events(inv, "timer_fired")
    assert fired["element_id"] == "Timer_InvestigationReportOverdue"
    assert fired["payload"]["attached_to"] == "Task_InvestigationReport"
    assert desk.parse(fired["payload"]["due_at"]) == due
    desk.complete("leader", "Task_OverdueInvestigationReport", inv)
    desk.complete("team", "Task_InvestigationReport", inv)
    assert desk.ready(inv) == {"Task_ReportToAuthorities": "investigation_team"}
    assert "End_OverdueInvestigationReport" in desk.touched(inv)


def start_level_iii(desk, bk: str, ended_at: str) -> int:
    return desk.start(
        "investigation_accountability",
        bk,
        {
            "escalation": LEVEL_III,
            "emergency_ended_at": ended_at,
            "discovered_at": DISCOVERED,
            "direct_loss_yuan": 8_000_000.0,
            "incident_unit": "江城新材料有限公司",
            "place": desk.FORM_VALUES["place"],
        },
        as_="leader",
    )["id"]


def investigate_until_report(desk, inv: int) -> None:
    desk.complete("leader", "Task_FormInvestigationTeam", inv, no_conflict_of_interest=True)
    desk.complete("team", "Task_InvestigationPlan", inv)
    for element in PARALLEL:
        desk.complete("team", element, inv)
    desk.complete("team", "Task_DetermineCause", inv, cause_established=True)
    desk.complete("team", "Task_DetermineResponsibility", inv)
    desk.complete("team", "Task_RectificationMeasures", inv)


def test_penalties_decided_on_day_40_after_an_on_time_report_raise_no_overdue_alarm(desk):
    """O32 Art.18: penalties usually follow the report. Following them up is its own task after submission; the
    report submitted on day 1.5 stays on time however long the follow-up takes."""
    bk = "LJ-2026-0414-12"
    ended = desk.clock.now()
    inv = start_level_iii(desk, bk, ended.astimezone(CST).isoformat())
    investigate_until_report(desk, inv)  # the assessment ran for no measurable time: due on day 30
    report = desk.ready_task(inv, "Task_InvestigationReport")
    due = ended + timedelta(days=30)
    assert desk.parse(report["due_at"]) == due and report["overdue"] is False

    desk.clock.set(ended + timedelta(days=1, hours=6))
    desk.complete("team", "Task_InvestigationReport", inv)
    submit = desk.ready_task(inv, "Task_ReportToAuthorities")
    assert desk.parse(submit["due_at"]) == due and submit["overdue"] is False  # the deadline covers submission
    desk.clock.set(ended + timedelta(days=1, hours=12))  # day 1.5: the report is submitted on time
    desk.complete("team", "Task_ReportToAuthorities", inv)
    assert desk.data(inv)["report_written_late"] is False
    # the conclusions are published on day 3, long before the penalty: publication does not wait for it
    assert desk.ready(inv) == {"Task_FollowUpAccountability": "enforcement", **PUBLICATION}
    desk.clock.set(ended + timedelta(days=3))
    desk.complete("leader", "Task_TeamLeaderConsent", inv)
    desk.complete("press", "Task_PublishConclusions", inv)

    # day 2: the penalty is not decided yet; rectification is verified on day 10
    desk.clock.set(ended + timedelta(days=2))
    desk.complete(
        "enforcement",
        "Task_FollowUpAccountability",
        inv,
        responsible_dealt_with=False,
        penalty_status="已立案，行政处罚决定尚未作出",
    )
    desk.clock.set(ended + timedelta(days=10))
    desk.complete("enforcement", "Task_VerifyRectification", inv, rectification_done=True)
    assert desk.ready(inv) == {"Task_FollowUpAccountability": "enforcement"}

    # past the 30-day limit nothing falls due: the report was submitted
    desk.clock.set(ended + timedelta(days=31))
    assert desk.fire_due_timers() == 0
    desk.clock.set(ended + timedelta(days=40))  # day 40: the penalty is decided
    assert desk.fire_due_timers() == 0
    follow_up = desk.ready_task(inv, "Task_FollowUpAccountability")
    assert follow_up["due_at"] is None and follow_up["overdue"] is False
    desk.complete(
        "enforcement",
        "Task_FollowUpAccountability",
        inv,
        responsible_dealt_with=True,
        penalty_status="江环罚〔2026〕21号行政处罚决定书，罚款50万元",
    )
    desk.complete("enforcement", "Task_VerifyRectification", inv, rectification_done=True)
    assert desk.ready(inv) == {"Task_CaseReview": "emergency_office"}

    assert desk.events(inv, "timer_fired") == []
    assert not desk.touched(inv) & {"Task_OverdueInvestigationReport", "Task_OverdueReportSubmission"}
    assert not desk.inbox("leader", inv)
    assert desk.completed_elements(inv).count("Task_InvestigationReport") == 1
    res = desk.api.get(f"/api/v1/reports/deadlines?business_key={bk}", as_="auditor")
    assert res.status_code == 200, res.get_json()
    [incident] = res.get_json()
    outcomes = {(d["timer_element_id"], d["outcome"]) for d in incident["deadlines"]}
    assert outcomes == {("Timer_InvestigationReportOverdue", "met"), ("Timer_ReportSubmissionOverdue", "met")}


def test_a_report_written_on_time_but_submitted_late_is_flagged(desk):
    """The time limit covers submitting the report (O32 Art.16): a late submission is overdue and escalated."""
    ended = desk.clock.now()
    inv = start_level_iii(desk, "LJ-2026-0414-13", ended.astimezone(CST).isoformat())
    investigate_until_report(desk, inv)
    due = ended + timedelta(days=30)
    desk.clock.set(ended + timedelta(days=25))
    desk.complete("team", "Task_InvestigationReport", inv)
    desk.clock.set(due + timedelta(minutes=1))
    assert desk.fire_due_timers() == 1
    assert desk.ready(inv) == {
        "Task_ReportToAuthorities": "investigation_team",
        "Task_OverdueReportSubmission": "leader",
    }
    submit = desk.ready_task(inv, "Task_ReportToAuthorities")
    assert desk.parse(submit["due_at"]) == due and submit["overdue"] is True
    [fired] = desk.events(inv, "timer_fired")
    assert (fired["element_id"], fired["payload"]["attached_to"]) == (
        "Timer_ReportSubmissionOverdue",
        "Task_ReportToAuthorities",
    )
    desk.complete("leader", "Task_OverdueReportSubmission", inv)
    desk.complete("team", "Task_ReportToAuthorities", inv)
    assert desk.ready(inv) == {"Task_FollowUpAccountability": "enforcement", **PUBLICATION}
    assert "End_OverdueReportSubmission" in desk.touched(inv)


def test_a_late_report_is_escalated_once_not_again_for_its_submission(desk):
    ended = desk.clock.now()
    inv = start_level_iii(desk, "LJ-2026-0414-14", ended.astimezone(CST).isoformat())
    investigate_until_report(desk, inv)
    due = ended + timedelta(days=30)
    desk.clock.set(due + timedelta(days=2))
    assert desk.fire_due_timers() == 1
    assert desk.ready(inv) == {
        "Task_InvestigationReport": "investigation_team",
        "Task_OverdueInvestigationReport": "leader",
    }
    desk.complete("leader", "Task_OverdueInvestigationReport", inv)
    desk.complete("team", "Task_InvestigationReport", inv)
    assert desk.data(inv)["report_written_late"] is True
    desk.fire_due_timers()
    # the submission is late too and shown so, but the leader already dealt with this miss
    assert desk.ready(inv) == {"Task_ReportToAuthorities": "investigation_team"}
    submit = desk.ready_task(inv, "Task_ReportToAuthorities")
    assert desk.parse(submit["due_at"]) == due and submit["overdue"] is True
    assert "End_SubmissionOverdueCovered" in desk.touched(inv)
    assert "Task_OverdueReportSubmission" not in desk.touched(inv)
