"""five_firsts (突发环境事件应急响应, docs/PROCEDURES.md section 1) walked through the HTTP API on its main paths.
D-numbers are the decisions of docs/DECISIONS.md.

The incident: a styrene leak at a chemical plant in 临江县 (county EEB reports). The clock stands at 09:00 China
Standard Time on Tuesday 14 April 2026; the leak was discovered at 08:40.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

DISCOVERED = "2026-04-14T08:40:00+08:00"
ENDED = "2026-04-15T18:00:00+08:00"
BRANCHES = {  # the five firsts, each READY in its own lane right after grading
    "Task_InitialReport": "duty_officer",
    "Task_DispatchToScene": "emergency_office",
    "Task_MonitoringPlan": "monitoring_station",
    "Task_PublishInformation": "press_office",
    "Task_PreliminaryInvestigation": "enforcement",
}
PROPOSAL = {"Task_ProposeResponseLevel": "leader"}  # beside them: the bureau proposes a response level
MAJOR_REPORT_TO = ["county_government", "provincial_eeb", "mee"]
COUNTY_REPORT_TO = ["county_government", "city_eeb"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_level_iv_incident_without_trigger_follows_the_four_hour_procedure(desk):
    bk = "LJ-2026-0414-01"
    first = {
        "source": "12369环保举报热线群众举报",
        "discovered_at": DISCOVERED,
        "place": desk.FORM_VALUES["place"],
        "description": desk.FORM_VALUES["description"],
    }
    started = desk.start("five_firsts", bk, first, as_="duty")
    iid = started["id"]
    assert started["status"] == "running" and started["business_key"] == bk
    assert desk.ready(iid) == {"Task_RecordIncident": "duty_officer"}
    assert desk.inbox("leader", iid) == [] and desk.inbox("office", iid) == []

    desk.complete("duty", "Task_RecordIncident", iid, discovered_at=DISCOVERED, **desk.facts())

    # graded by the rules: level IV, no Art.4 trigger → 4 hours, county procedure, no work group, no leader on scene
    assert desk.ready(iid) == {**BRANCHES, **PROPOSAL}
    for user, element in (
        ("duty", "Task_InitialReport"),
        ("office", "Task_DispatchToScene"),
        ("monitor", "Task_MonitoringPlan"),
        ("press", "Task_PublishInformation"),
        ("enforcement", "Task_PreliminaryInvestigation"),
        ("leader", "Task_ProposeResponseLevel"),
    ):
        assert [t["element_id"] for t in desk.inbox(user, iid)] == [element]
    desk.complete("leader", "Task_ProposeResponseLevel", iid)
    assert desk.inbox("leader", iid) == []
    data = desk.data(iid)
    esc = data["escalation"]
    assert (esc["level"], esc["response_level"], esc["response_lead"]) == ("IV", "IV", "county_government")
    assert esc["art4_triggers"] == [] and esc["treat_as_major_for_reporting"] is False
    assert esc["initial_report_deadline_minutes"] == 240
    assert esc["report_to"] == COUNTY_REPORT_TO
    assert esc["dispatch_city_work_group"] is False and esc["leader_on_scene"] is False
    assert esc["investigation"] == {"lead": "city_eeb", "time_limit_days": 30, "mandatory": False}
    assert desk.parse(data["initial_report_due_at"]) == desk.parse(DISCOVERED) + timedelta(minutes=240)
    report = desk.ready_task(iid, "Task_InitialReport")
    assert desk.parse(report["due_at"]) == utc(2026, 4, 14, 4, 40)  # 12:40 CST: from discovery, not from now
    assert report["overdue"] is False
    [evaluated] = desk.events(iid, "escalation_evaluated")
    assert evaluated["element_id"] == "Service_EvaluateEscalation"
    assert evaluated["payload"]["decision"]["level"] == "IV" and evaluated["payload"]["facts"]["evacuated"] == 0

    # the leader cannot make the duty officer's report
    refused = desk.api.post(f"/api/v1/tasks/{report['id']}/complete", as_="leader", json={"data": {}})
    assert refused.status_code == 403

    # written report: straight to the leader's sign-off, no written follow-up needed
    desk.complete("duty", "Task_InitialReport", iid, channel="written")
    ready = desk.ready(iid)
    assert ready["Task_LeaderSignOff"] == "leader" and "Task_WrittenInitialReport" not in ready

    # scene: only the enforcement detachment goes; no city work group, no leader on scene
    desk.complete("office", "Task_DispatchToScene", iid)
    ready = desk.ready(iid)
    assert ready["Task_ArriveOnScene"] == "enforcement"
    assert "Task_DispatchCityWorkGroup" not in ready and "Task_LeaderOnScene" not in ready
    desk.complete("enforcement", "Task_ArriveOnScene", iid)
    desk.complete("enforcement", "Task_PreliminaryInvestigation", iid)

    desk.complete("monitor", "Task_MonitoringPlan", iid)
    assert desk.ready(iid)["Task_MonitoringResults"] == "monitoring_station"
    desk.complete("monitor", "Task_MonitoringResults", iid, pollution_under_control=True)

    # information: no press conference is required for level IV
    desk.complete(
        "press", "Task_PublishInformation", iid, press_conference_held=False, information_updates_pending=False
    )
    assert desk.ready(iid) == {"Task_LeaderSignOff": "leader"}

    # O17 Art.14: every written report is signed off before it is sent (initial, follow-up, final)
    desk.complete("leader", "Task_LeaderSignOff", iid)
    assert desk.ready(iid) == {"Task_SendInitialReport": "duty_officer"}
    desk.complete("duty", "Task_SendInitialReport", iid)
    # every recipient of the decision (county government, city EEB) is confirmed as delivered
    for _ in COUNTY_REPORT_TO:
        assert desk.ready(iid) == {"Task_ConfirmInitialReportDelivery": "duty_officer"}
        desk.complete("duty", "Task_ConfirmInitialReportDelivery", iid)
    assert desk.ready(iid) == {"Task_FollowUpReport": "duty_officer"}
    desk.complete("duty", "Task_FollowUpReport", iid, propose_emergency_end=True, **desk.facts())
    assert desk.ready(iid) == {"Task_SignOffFollowUpReport": "leader"}
    desk.complete("leader", "Task_SignOffFollowUpReport", iid)
    assert desk.ready(iid) == {"Task_SendFollowUpReport": "duty_officer"}
    desk.complete("duty", "Task_SendFollowUpReport", iid)
    assert desk.data(iid)["level_change"] == "unchanged"
    # ERL2024 Art.86: the bureau requests the end; the government declares it, and the bureau records that
    assert desk.ready(iid) == {"Task_RequestEmergencyEnd": "leader"}
    desk.complete("leader", "Task_RequestEmergencyEnd", iid, end_requested=True)
    assert desk.ready(iid) == {"Task_RecordEndDeclaration": "emergency_office"}
    desk.complete("office", "Task_RecordEndDeclaration", iid, emergency_ended=True, emergency_ended_at=ENDED)
    # the investigation starts at the declared end, before the final report (no damage assessment here)
    assert [i["definition_key"] for i in desk.by_business_key(bk)] == ["five_firsts", "investigation_accountability"]
    assert desk.ready(iid) == {"Task_FinalReport": "duty_officer"}
    desk.complete("duty", "Task_FinalReport", iid)
    assert desk.ready(iid) == {"Task_SignOffFinalReport": "leader"}
    desk.complete("leader", "Task_SignOffFinalReport", iid)
    assert desk.ready(iid) == {"Task_SendFinalReport": "duty_officer"}
    desk.complete("duty", "Task_SendFinalReport", iid)
    assert desk.ready(iid) == {"Task_ConfirmFinalReportDelivery": "duty_officer"}
    desk.complete("duty", "Task_ConfirmFinalReportDelivery", iid)
    done = desk.complete("duty", "Task_ConfirmFinalReportDelivery", iid)

    assert done["status"] == "completed" and done["ready_tasks"] == [] and done["ended_at"]
    path = desk.touched(iid)
    assert "End_ResponseClosed" in path
    assert not path & {
        "Task_WrittenInitialReport",
        "Task_DispatchCityWorkGroup",
        "Task_LeaderOnScene",
        "Task_HoldPressConference",
        "Task_OverdueReportEscalation",
        "Task_ReReportAtNewLevel",
        "Task_ConfirmLowerLevel",
        "Task_AdjustResponseToNewLevel",
    }
    # the report was on time: its deadline timer was cancelled and never fires
    desk.clock.set(utc(2026, 4, 14, 6, 0))
    assert desk.fire_due_timers() == 0
    assert desk.events(iid, "timer_fired") == []

    # ending the response started the investigation for the same incident, linked to it
    family = desk.by_business_key(bk)
    assert [(i["definition_key"], i["status"], i["parent_id"], i["link_kind"]) for i in family] == [
        ("five_firsts", "completed", None, None),
        ("investigation_accountability", "running", iid, "investigation"),
    ]
    inv = family[1]["id"]
    [link] = desk.events(iid, "linked_instance_started")
    assert link["element_id"] == "Service_StartInvestigation"
    assert link["payload"] == {
        "instance_id": inv,
        "definition_key": "investigation_accountability",
        "link_kind": "investigation",
    }
    [opened] = desk.events(inv, "instance_started")
    assert opened["payload"]["parent_id"] == iid and opened["payload"]["business_key"] == bk
    inv_data = desk.data(inv)
    assert inv_data["escalation"]["level"] == "IV"
    assert inv_data["emergency_ended_at"] == ENDED and inv_data["discovered_at"] == DISCOVERED
    assert inv_data["incident_unit"] == desk.FORM_VALUES["incident_unit"]
    assert desk.ready(inv) == {"Task_DecideWhetherToInvestigate": "leader"}  # level IV: discretionary


def test_level_ii_incident_sends_work_group_and_leader_holds_press_conference_then_investigates_60_days(desk):
    bk = "LJ-2026-0414-02"
    iid = desk.record_incident(bk, DISCOVERED, evacuated=20000, direct_loss_yuan=30_000_000)

    data = desk.data(iid)
    esc = data["escalation"]
    assert (esc["level"], esc["response_lead"]) == ("II", "provincial_government")
    assert esc["treat_as_major_for_reporting"] is True and esc["art4_triggers"] == []
    assert esc["initial_report_deadline_minutes"] == 120 and esc["report_to"] == MAJOR_REPORT_TO
    assert esc["dispatch_city_work_group"] is True and esc["leader_on_scene"] is True
    assert esc["investigation"] == {"lead": "mee", "time_limit_days": 60, "mandatory": True}
    assert any("evacuated" in r for r in esc["reasons"]) and any("direct_loss_yuan" in r for r in esc["reasons"])
    assert desk.parse(desk.ready_task(iid, "Task_InitialReport")["due_at"]) == utc(2026, 4, 14, 2, 40)  # 10:40 CST

    # scene: the work group, the leader and the enforcement detachment, side by side
    desk.complete("office", "Task_DispatchToScene", iid)
    ready = desk.ready(iid)
    assert {k: ready.get(k) for k in ("Task_DispatchCityWorkGroup", "Task_LeaderOnScene", "Task_ArriveOnScene")} == {
        "Task_DispatchCityWorkGroup": "emergency_office",
        "Task_LeaderOnScene": "leader",
        "Task_ArriveOnScene": "enforcement",
    }
    desk.complete("office", "Task_DispatchCityWorkGroup", iid)
    desk.complete("leader", "Task_LeaderOnScene", iid)
    desk.complete("enforcement", "Task_ArriveOnScene", iid)

    # information: a press conference is required for level II
    desk.complete(
        "press", "Task_PublishInformation", iid, press_conference_held=False, information_updates_pending=False
    )
    assert desk.ready(iid)["Task_HoldPressConference"] == "press_office"
    desk.complete("press", "Task_HoldPressConference", iid, press_conference_held=True)
    assert "Task_HoldPressConference" not in desk.ready(iid)

    done = desk.drive(
        iid,
        answers={
            "Task_FollowUpReport": {
                **desk.facts(evacuated=20000, direct_loss_yuan=30_000_000),
                "propose_emergency_end": True,
            },
            "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
        },
    )
    assert done["status"] == "completed"

    # investigation_accountability: mandatory for level II (no discretionary decision), 60 days, led by MEE
    family = desk.by_business_key(bk)
    assert [(i["definition_key"], i["parent_id"], i["link_kind"]) for i in family] == [
        ("five_firsts", None, None),
        ("investigation_accountability", iid, "investigation"),
    ]
    inv = family[1]["id"]
    # O32 Art.4: the MEE organises it; the county bureau hands it over and, delegated, runs it itself
    assert desk.ready(inv) == {"Task_InvestigationHandover": "leader"}
    desk.complete("leader", "Task_InvestigationHandover", inv, delegated_to_bureau=True)
    assert desk.ready(inv) == {"Task_FormInvestigationTeam": "leader"}
    inv_data = desk.data(inv)
    assert inv_data["escalation"]["level"] == "II" and inv_data["investigation_time_limit_days"] == 60
    assert inv_data["report_recipients"] == ["same_level_government", "higher_level_eeb", "city_eeb", "provincial_eeb"]
    desk.complete("leader", "Task_FormInvestigationTeam", inv, no_conflict_of_interest=True)
    assert desk.ready(inv) == {"Task_InvestigationPlan": "investigation_team"}
    desk.clock.set(utc(2026, 4, 20, 1, 0))
    desk.complete("team", "Task_InvestigationPlan", inv)
    assert desk.ready(inv) == {
        "Task_SiteInspection": "investigation_team",
        "Task_Interviews": "investigation_team",
        "Task_ReviewPlanImplementation": "investigation_team",
        "Task_ExamineIncidentUnit": "investigation_team",
        "Task_ExamineAuthorityDuties": "investigation_team",
        "Task_PollutionDamageAssessment": "investigation_team",
    }
    for element in (
        "Task_SiteInspection",
        "Task_Interviews",
        "Task_ReviewPlanImplementation",
        "Task_ExamineIncidentUnit",
        "Task_ExamineAuthorityDuties",
    ):
        desk.complete("team", element, inv)
    desk.clock.set(utc(2026, 5, 2, 1, 0))  # the pollution-damage assessment took 12 days
    desk.complete("team", "Task_PollutionDamageAssessment", inv, pollution_damage_yuan=31_500_000.0)
    assert desk.ready(inv) == {"Task_DetermineCause": "investigation_team"}
    desk.complete("team", "Task_DetermineCause", inv, cause_established=True)
    desk.complete("team", "Task_DetermineResponsibility", inv)
    desk.complete("team", "Task_RectificationMeasures", inv)
    report = desk.ready_task(inv, "Task_InvestigationReport")
    assert report["lane"] == "investigation_team"
    # 60 days from the end of the emergency state, plus the 12 days of the assessment
    assert desk.parse(report["due_at"]) == desk.parse(ENDED) + timedelta(days=60 + 12)
    desk.complete("team", "Task_InvestigationReport", inv)
    desk.complete("team", "Task_ReportToAuthorities", inv)
    desk.complete("enforcement", "Task_FollowUpAccountability", inv, responsible_dealt_with=True)
    desk.complete("enforcement", "Task_VerifyRectification", inv, rectification_done=True)
    assert desk.ready(inv) == {"Task_TeamLeaderConsent": "leader"}  # publication waits for the consent only
    desk.complete("leader", "Task_TeamLeaderConsent", inv)
    desk.complete("press", "Task_PublishConclusions", inv)
    # a direct loss of 30 million yuan (≥ 20 million): whether to support a public-interest suit
    assert desk.ready(inv) == {"Task_PublicInterestLitigationReferral": "leader"}
    desk.complete("leader", "Task_PublicInterestLitigationReferral", inv, litigation_supported=True)
    assert desk.ready(inv) == {"Task_CaseReview": "emergency_office"}
    desk.complete(
        "office",
        "Task_CaseReview",
        inv,
        start_plan_revision=True,
        plan_name=desk.FORM_VALUES["plan_name"],
        plan_owner_unit="江城新材料有限公司",
    )
    closed = desk.complete("office", "Task_ArchiveCaseFile", inv)
    assert closed["status"] == "completed"
    assert "End_CaseClosed" in desk.touched(inv)

    # the case review started the incident unit's plan revision with the trigger "incident lessons"
    family = desk.by_business_key(bk)
    assert [(i["definition_key"], i["status"], i["parent_id"], i["link_kind"]) for i in family] == [
        ("five_firsts", "completed", None, None),
        ("investigation_accountability", "completed", iid, "investigation"),
        ("plan_revision", "running", inv, "plan_revision"),
    ]
    plan = family[2]["id"]
    [link] = desk.events(inv, "linked_instance_started")
    assert link["element_id"] == "Service_StartPlanRevision" and link["payload"]["instance_id"] == plan
    plan_data = desk.data(plan)
    assert plan_data["revision_trigger"] == "incident_lessons"
    assert plan_data["revision_trigger_details"] == desk.FORM_VALUES["lessons_learned"]
    assert plan_data["plan_name"] == desk.FORM_VALUES["plan_name"]
    assert plan_data["plan_owner_unit"] == "江城新材料有限公司"
    assert [t["element_id"] for t in desk.inbox("owner")] == ["Task_RecordRevisionTrigger"]
    desk.complete(
        "owner",
        "Task_RecordRevisionTrigger",
        plan,
        revision_trigger=plan_data["revision_trigger"],
        revision_trigger_details=plan_data["revision_trigger_details"],
    )
    assert desk.ready(plan) == {"Task_RetrospectiveAssessment": "plan_owner"}


@pytest.mark.parametrize(
    ("changes", "minutes", "triggers", "report_to"),
    [
        pytest.param({"sensitive_receptors": ["school"]}, 120, ["art4_2"], MAJOR_REPORT_TO, id="school-nearby"),
        pytest.param({"sensitive_period": True}, 240, [], COUNTY_REPORT_TO, id="sensitive-period-D10"),
    ],
)
def test_sensitive_level_iv_incident_sends_the_work_group(desk, changes, minutes, triggers, report_to):
    iid = desk.record_incident("LJ-2026-0414-03", DISCOVERED, **changes)

    data = desk.data(iid)
    esc = data["escalation"]
    assert esc["level"] == "IV" and esc["art4_triggers"] == triggers
    assert esc["treat_as_major_for_reporting"] is bool(triggers)
    assert esc["initial_report_deadline_minutes"] == minutes and esc["report_to"] == report_to
    assert esc["dispatch_city_work_group"] is True and esc["leader_on_scene"] is True
    due = desk.parse(DISCOVERED) + timedelta(minutes=minutes)
    assert desk.parse(data["initial_report_due_at"]) == due
    assert desk.parse(desk.ready_task(iid, "Task_InitialReport")["due_at"]) == due

    desk.complete("office", "Task_DispatchToScene", iid)
    ready = desk.ready(iid)
    assert ready["Task_DispatchCityWorkGroup"] == "emergency_office"
    assert ready["Task_LeaderOnScene"] == "leader" and ready["Task_ArriveOnScene"] == "enforcement"
    assert {t["element_id"] for t in desk.inbox("leader", iid)} == {"Task_LeaderOnScene", "Task_ProposeResponseLevel"}

    desk.complete(
        "press", "Task_PublishInformation", iid, press_conference_held=False, information_updates_pending=False
    )
    assert "Task_HoldPressConference" not in desk.ready(iid)  # still level IV


def test_phone_report_is_followed_by_a_written_one_and_meets_the_deadline(desk):
    iid = desk.record_incident("LJ-2026-0414-04", DISCOVERED)
    desk.clock.set(utc(2026, 4, 14, 1, 20))  # 09:20 CST: the duty officer phones the county government
    desk.complete("duty", "Task_InitialReport", iid, channel="phone")

    ready = desk.ready(iid)
    assert ready["Task_WrittenInitialReport"] == "duty_officer"
    assert "Task_LeaderSignOff" not in ready and "Task_InitialReport" not in ready
    desk.clock.set(utc(2026, 4, 14, 2, 0))
    desk.complete(
        "duty",
        "Task_WrittenInitialReport",
        iid,
        supplementary_information="核实泄漏量约2吨，已补充敏感点分布示意图",
    )
    ready = desk.ready(iid)
    assert ready["Task_LeaderSignOff"] == "leader" and "Task_WrittenInitialReport" not in ready
    desk.complete("leader", "Task_LeaderSignOff", iid, signing_official="李建国（分局局长）")
    assert desk.ready(iid)["Task_SendInitialReport"] == "duty_officer"
    desk.complete("duty", "Task_SendInitialReport", iid, written_report_form="fax")
    desk.complete("duty", "Task_ConfirmInitialReportDelivery", iid)
    desk.complete("duty", "Task_ConfirmInitialReportDelivery", iid)
    assert desk.ready(iid)["Task_FollowUpReport"] == "duty_officer"

    assert desk.completed_elements(iid) == [
        "Task_RecordIncident",
        "Task_InitialReport",
        "Task_WrittenInitialReport",
        "Task_LeaderSignOff",
        "Task_SendInitialReport",
        "Task_ConfirmInitialReportDelivery",
        "Task_ConfirmInitialReportDelivery",
    ]
    data = desk.data(iid)
    assert data["channel"] == "phone" and data["written_report_form"] == "fax"
    assert data["signing_official"] == "李建国（分局局长）"
    # the phone report was the report: its 4-hour deadline passes without an overdue escalation
    desk.clock.set(utc(2026, 4, 14, 5, 0))
    assert desk.fire_due_timers() == 0
    assert "Task_OverdueReportEscalation" not in desk.ready(iid)


def test_follow_up_report_raising_the_level_reopens_reporting_at_the_new_level(desk):
    bk = "LJ-2026-0414-05"
    iid = desk.record_incident(bk, DISCOVERED)
    desk.complete("duty", "Task_InitialReport", iid)
    desk.sign_and_send_initial(iid)

    desk.clock.set(utc(2026, 4, 14, 4, 0))  # 12:00 CST: the gas cloud drifts, 12,000 people are evacuated
    raised = desk.facts(evacuated=12000)
    desk.follow_up(iid, propose_emergency_end=False, **raised)

    data = desk.data(iid)
    assert data["level_change"] == "raised"
    assert data["escalation"]["level"] == "II" and data["escalation"]["initial_report_deadline_minutes"] == 120
    assert desk.parse(data["rereport_due_at"]) == utc(2026, 4, 14, 6, 0)  # 2 hours from the follow-up
    rereport = desk.ready_task(iid, "Task_ReReportAtNewLevel")
    assert rereport["lane"] == "duty_officer" and desk.parse(rereport["due_at"]) == utc(2026, 4, 14, 6, 0)
    [change] = desk.events(iid, "escalation_reevaluated")
    assert change["payload"]["level_change"] == "raised"
    assert change["payload"]["old"]["level"] == "IV" and change["payload"]["new"]["level"] == "II"
    assert change["payload"]["old"]["initial_report_deadline_minutes"] == 240
    assert change["payload"]["facts"]["evacuated"] == 12000

    desk.complete("duty", "Task_ReReportAtNewLevel", iid)
    # the other branches were dispatched at level IV: the leader arranges what level II adds
    assert desk.data(iid)["new_level_measures"] == ["city_work_group", "leader_on_scene", "press_conference"]
    assert desk.ready(iid)["Task_AdjustResponseToNewLevel"] == "leader"
    desk.complete(
        "leader",
        "Task_AdjustResponseToNewLevel",
        iid,
        city_work_group_dispatched=True,
        leader_on_scene_arranged=True,
        press_conference_arranged=True,
    )
    ready = desk.ready(iid)
    assert ready["Task_FollowUpReport"] == "duty_officer" and "Task_RequestEmergencyEnd" not in ready

    desk.clock.set(utc(2026, 4, 14, 5, 0))
    done = desk.drive(
        iid,
        answers={
            "Task_FollowUpReport": {**raised, "propose_emergency_end": True},
            "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
            "Task_HoldPressConference": {"press_conference_held": True},
        },
    )
    assert done["status"] == "completed"
    assert [e["payload"]["level_change"] for e in desk.events(iid, "escalation_reevaluated")] == ["raised", "unchanged"]
    assert desk.fire_due_timers() == 0  # re-reported in time
    # the raised decision, not the level-IV copies of the other branches, is what the investigation receives
    [inv] = [i for i in desk.by_business_key(bk) if i["definition_key"] == "investigation_accountability"]
    assert desk.data(inv["id"])["escalation"]["level"] == "II"
    assert desk.data(inv["id"])["evacuated"] == 12000  # the latest facts too
    assert desk.ready(inv["id"]) == {"Task_InvestigationHandover": "leader"}  # level II: the MEE organises it


def test_follow_up_report_lowering_the_level_needs_the_leaders_confirmation(desk):
    bk = "LJ-2026-0414-06"
    iid = desk.record_incident(bk, DISCOVERED, evacuated=6000)
    assert desk.data(iid)["escalation"]["level"] == "III"
    desk.complete("duty", "Task_InitialReport", iid)
    desk.sign_and_send_initial(iid)

    lowered = desk.facts(evacuated=800)  # the count was corrected: 800 people, not 6,000
    desk.follow_up(iid, propose_emergency_end=False, **lowered)
    data = desk.data(iid)
    assert data["level_change"] == "lowered_pending"
    assert data["escalation"]["level"] == "III"  # never lowered silently
    assert data["escalation_pending"]["level"] == "IV"
    assert desk.ready(iid)["Task_ConfirmLowerLevel"] == "leader"
    assert "Task_ReReportAtNewLevel" not in desk.ready(iid)

    # the leader refuses: the level stays III and reporting continues
    desk.complete(
        "leader",
        "Task_ConfirmLowerLevel",
        iid,
        confirm_lower_level=False,
        lower_level_opinion="疏散人数仍在核实，暂维持较大级别响应",
    )
    assert desk.data(iid)["escalation"]["level"] == "III"
    assert desk.ready(iid)["Task_FollowUpReport"] == "duty_officer"

    # confirmed at the next report: only now is the lower decision applied
    desk.follow_up(iid, propose_emergency_end=False, **lowered)
    assert desk.data(iid)["escalation"]["level"] == "III"
    desk.complete("leader", "Task_ConfirmLowerLevel", iid, confirm_lower_level=True)
    data = desk.data(iid)
    assert data["escalation"]["level"] == "IV" and "escalation_pending" not in data
    assert desk.ready(iid)["Task_FollowUpReport"] == "duty_officer"

    changes = desk.events(iid, "escalation_reevaluated")
    assert [
        (e["payload"]["level_change"], e["payload"]["old"]["level"], e["payload"]["new"]["level"]) for e in changes
    ] == [("lowered_pending", "III", "IV"), ("lowered_pending", "III", "IV")]
    confirmations = [
        e["payload"]["data"]["confirm_lower_level"]
        for e in desk.events(iid, "task_completed", "Task_ConfirmLowerLevel")
    ]
    assert confirmations == [False, True]

    done = desk.drive(
        iid,
        answers={
            "Task_FollowUpReport": {**lowered, "propose_emergency_end": True},
            "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
        },
    )
    assert done["status"] == "completed"
    [inv] = [i for i in desk.by_business_key(bk) if i["definition_key"] == "investigation_accountability"]
    assert desk.data(inv["id"])["escalation"]["level"] == "IV"
    assert desk.ready(inv["id"]) == {"Task_DecideWhetherToInvestigate": "leader"}


def test_late_initial_report_goes_to_the_leader_and_stays_visible(desk):
    iid = desk.record_incident("LJ-2026-0414-07", DISCOVERED)
    due = utc(2026, 4, 14, 4, 40)  # 12:40 CST = 08:40 + 240 minutes

    desk.clock.set(due - timedelta(minutes=1))
    assert desk.fire_due_timers() == 0
    assert "Task_OverdueReportEscalation" not in desk.ready(iid)

    desk.clock.set(due + timedelta(seconds=30))
    assert desk.fire_due_timers() == 1
    ready = desk.ready(iid)
    assert ready["Task_OverdueReportEscalation"] == "leader"
    assert ready["Task_InitialReport"] == "duty_officer"  # the report stays open: 迟报 is late, not cancelled
    assert {t["element_id"] for t in desk.inbox("leader", iid)} == {"Task_OverdueReportEscalation", *PROPOSAL}
    late = desk.api.get("/api/v1/tasks?overdue=true", as_="duty").get_json()
    assert [(t["element_id"], t["overdue"]) for t in late] == [("Task_InitialReport", True)]
    [fired] = desk.events(iid, "timer_fired")
    assert fired["element_id"] == "Timer_InitialReportOverdue"
    assert fired["payload"]["attached_to"] == "Task_InitialReport"
    assert desk.parse(fired["payload"]["due_at"]) == due
    assert fired["payload"]["late_seconds"] == 30.0

    desk.clock.advance(minutes=10)
    desk.complete("duty", "Task_InitialReport", iid, channel="written")
    desk.complete("leader", "Task_OverdueReportEscalation", iid)
    assert "End_OverdueReportEscalated" in desk.touched(iid)
    assert desk.fire_due_timers() == 0  # fired exactly once
    assert len(desk.events(iid, "timer_fired")) == 1
    escalated = desk.events(iid, "task_completed", "Task_OverdueReportEscalation")
    assert escalated[0]["actor"] == "leader"
    assert escalated[0]["payload"]["data"]["overdue_reason"] == desk.FORM_VALUES["overdue_reason"]

    done = desk.drive(
        iid,
        answers={
            "Task_FollowUpReport": {**desk.facts(), "propose_emergency_end": True},
            "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
        },
    )
    assert done["status"] == "completed"


def test_raised_decision_reaches_the_investigation_intact_when_the_emergency_is_ended_last(desk):
    """Regression: the report branch reaching the parallel join last (the usual order: the leader ends the
    emergency after the other branches are done) once let the other branches' level-IV copy of ``escalation``
    rewrite the nested fields of the raised decision in place (SpiffWorkflow merged shallow copies)."""
    bk = "LJ-2026-0414-09"
    iid = desk.record_incident(bk, DISCOVERED)
    desk.complete("duty", "Task_InitialReport", iid)
    desk.sign_and_send_initial(iid)
    desk.clock.set(utc(2026, 4, 14, 4, 0))
    raised = desk.facts(evacuated=12000)
    desk.follow_up(iid, propose_emergency_end=False, **raised)
    desk.complete("duty", "Task_ReReportAtNewLevel", iid)
    desk.complete(
        "leader",
        "Task_AdjustResponseToNewLevel",
        iid,
        city_work_group_dispatched=True,
        leader_on_scene_arranged=True,
        press_conference_arranged=True,
    )
    # every other branch finishes first; the report branch stays in its follow-up loop
    for _ in range(20):
        others = {e: lane for e, lane in desk.ready(iid).items() if e != "Task_FollowUpReport"}
        if not others:
            break
        element = sorted(others)[0]
        [user] = [
            u
            for u in desk.api.tokens
            if u not in ("admin", "auditor") and any(t["element_id"] == element for t in desk.inbox(u, iid))
        ][:1]
        desk.complete(
            user, element, iid, **({"press_conference_held": True} if element == "Task_HoldPressConference" else {})
        )
    assert set(desk.ready(iid)) == {"Task_FollowUpReport"}
    done = desk.drive(
        iid,
        answers={
            "Task_FollowUpReport": {**raised, "propose_emergency_end": True},
            "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
            "Task_HoldPressConference": {"press_conference_held": True},
        },
    )
    assert done["status"] == "completed"
    decision = desk.data(iid)["escalation"]
    assert decision["level"] == "II"
    assert decision["investigation"] == {"lead": "mee", "time_limit_days": 60, "mandatory": True}
    assert "mee" in decision["report_to"] and decision["onward_reports"]
    [inv] = [i for i in desk.by_business_key(bk) if i["definition_key"] == "investigation_accountability"]
    assert desk.data(inv["id"])["escalation"]["investigation"] == {
        "lead": "mee",
        "time_limit_days": 60,
        "mandatory": True,
    }


def test_written_reports_are_signed_off_before_they_are_sent_and_a_late_sending_escalates_once(desk):
    """O17 Art.14: the sign-off sheet (报告单位, 签发人, 联系人, 联系电话; Art.13: the map for the initial report) comes
    before the sending, and a written initial report is made only when it is sent: its deadline covers the sending."""
    iid = desk.record_incident("LJ-2026-0414-SIGN", DISCOVERED)  # level IV: due 12:40 CST
    desk.complete("duty", "Task_InitialReport", iid, channel="written")  # drafted on time, not yet sent
    assert "Task_SendInitialReport" not in desk.ready(iid)  # nothing is sent before the sign-off

    sign_off = desk.task("leader", "Task_LeaderSignOff", iid)
    required = {f["id"] for f in sign_off["form"] if f["required"]}
    assert {"reporting_unit", "signing_official", "contact_person", "contact_phone", "sensitive_points_map"} <= required
    data = {fid: desk.FORM_VALUES.get(fid, desk.now_cst()) for fid in required - {"sensitive_points_map"}}
    res = desk.api.post(f"/api/v1/tasks/{sign_off['id']}/complete", as_="leader", json={"data": data})
    assert res.status_code == 422 and "sensitive_points_map" in res.get_json()["error"]["details"]

    desk.clock.set(utc(2026, 4, 14, 4, 50))  # 12:50 CST: signed off after the deadline
    desk.complete("leader", "Task_LeaderSignOff", iid)
    send = desk.ready_task(iid, "Task_SendInitialReport")  # reached after its deadline: overdue at once
    assert send["overdue"] is True and desk.parse(send["due_at"]) == utc(2026, 4, 14, 4, 40)
    ready = desk.ready(iid)
    assert ready["Task_OverdueInitialReportSend"] == "leader" and "Task_OverdueReportEscalation" not in ready
    desk.complete("duty", "Task_SendInitialReport", iid)
    desk.complete("leader", "Task_OverdueInitialReportSend", iid)
    assert desk.ready(iid)["Task_ConfirmInitialReportDelivery"] == "duty_officer"


def test_a_late_initial_report_is_escalated_once_and_a_timely_phone_report_not_at_all(desk):
    late = desk.record_incident("LJ-2026-0414-LATE", DISCOVERED)
    on_phone = desk.record_incident("LJ-2026-0414-PHONE", DISCOVERED)
    desk.complete("duty", "Task_InitialReport", on_phone, channel="phone")  # in time, by phone
    desk.complete("duty", "Task_WrittenInitialReport", on_phone)
    desk.clock.set(utc(2026, 4, 14, 5, 0))  # 13:00 CST: both deadlines (12:40) have passed
    assert desk.fire_due_timers() == 1  # the unsent written report of `late` only
    assert "Task_OverdueReportEscalation" in desk.ready(late)
    desk.complete("duty", "Task_InitialReport", late, channel="written")
    desk.complete("leader", "Task_LeaderSignOff", late)  # reaching the sending after the deadline: no second alarm
    desk.complete("leader", "Task_LeaderSignOff", on_phone)
    desk.fire_due_timers()
    for iid in (late, on_phone):
        ready = desk.ready(iid)
        assert "Task_OverdueInitialReportSend" not in ready and ready["Task_SendInitialReport"] == "duty_officer"
    assert [e["element_id"] for e in desk.events(on_phone, "task_completed")][-1] == "Task_LeaderSignOff"
    assert desk.touched(late) & {"End_NoSecondEscalation"} == {"End_NoSecondEscalation"}
