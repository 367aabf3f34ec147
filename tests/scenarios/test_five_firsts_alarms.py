"""five_firsts alarms, walked through the HTTP API: no false alarm at the moment an incident is recorded, no lost
deadline, no "no time limit" on the five firsts, and follow-up reports that add facts re-open what the new
decision requires. D-numbers are the decisions of docs/DECISIONS.md: D17 ("immediately" has a grace), D21 (the five
firsts are immediate, a ruleset may set targets), D22 (publication limits for level I and II), D10 and D11.

The decision outputs these rest on are named as the rules layer names them: ``immediate_report``,
``immediate_report_grace_minutes``, ``first_targets_minutes`` (keys dispatch, monitoring, publication,
investigation), ``publication_deadline_minutes`` and ``press_conference_deadline_minutes``. A test that needs a value
the ruleset in force may not give (a jurisdiction's targets or a tighter grace, as an overlay would set them) adds it
to the decisions the rules make with ``decided_with``; what the engine and the diagram do with it is the same.

The clock stands at 09:00 China Standard Time on Tuesday 14 April 2026 (T0); incidents are recorded at T0 unless a
test moves the clock first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.scenarios.conftest import CST, T0

DISCOVERED = "2026-04-14T08:40:00+08:00"  # 20 minutes before T0: a level IV report is due at 12:40 CST
ENDED = "2026-04-15T18:00:00+08:00"
REPORT_DUE = datetime(2026, 4, 14, 4, 40, tzinfo=UTC)
FIRSTS = {  # key of first_targets_minutes -> (task, its timer, the leader's escalation task, the user of the lane)
    "dispatch": (
        "Task_DispatchToScene",
        "Timer_DispatchToSceneOverdue",
        "Task_OverdueDispatchEscalation",
        "office",
    ),
    "monitoring": (
        "Task_MonitoringPlan",
        "Timer_MonitoringPlanOverdue",
        "Task_OverdueMonitoringEscalation",
        "monitor",
    ),
    "publication": (
        "Task_PublishInformation",
        "Timer_PublishInformationOverdue",
        "Task_OverduePublicationEscalation",
        "press",
    ),
    "investigation": (
        "Task_PreliminaryInvestigation",
        "Timer_PreliminaryInvestigationOverdue",
        "Task_OverdueInvestigationEscalation",
        "enforcement",
    ),
}
PROPOSAL = "Task_ProposeResponseLevel"  # the leader's proposal of a response level, open from the grading
ESCALATED = {  # what the leader enters in each escalation task
    "Task_OverdueDispatchEscalation": "dispatch",
    "Task_OverdueMonitoringEscalation": "monitoring",
    "Task_OverduePublicationEscalation": "publication",
    "Task_OverdueInvestigationEscalation": "investigation",
    "Task_OverduePressConferenceEscalation": "press_conference",
}


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def cst(moment: datetime) -> str:
    return moment.astimezone(CST).isoformat()


def parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def decided_with(desk: Any, monkeypatch: pytest.MonkeyPatch, outputs: Callable[[dict[str, Any]], dict[str, Any]]):
    """From now on, the decisions the rules make carry ``outputs(decision)`` as well (as a deployed overlay or the
    rules of D17/D21/D22 would give them). History records the decision as made, so replay uses it too."""
    decide = desk.services.rulesets.decide

    def with_outputs(facts: dict[str, Any]) -> dict[str, Any]:
        decision = decide(facts)
        return {**decision, **outputs(decision)}

    monkeypatch.setattr(desk.services.rulesets, "decide", with_outputs)


def d22_when_missing(decision: dict[str, Any]) -> dict[str, Any]:
    """D22 as the decision states it: 5 hours for the first information, 24 for the press conference (I and II)."""
    major = decision["level"] in ("I", "II")
    limits = {
        "publication_deadline_minutes": 300 if major else None,
        "press_conference_deadline_minutes": 1440 if major else None,
    }
    return {k: v for k, v in limits.items() if k not in decision}


def escalate(desk: Any, element_id: str, instance_id: int) -> dict[str, Any]:
    prefix = ESCALATED[element_id]
    return desk.complete(
        "leader",
        element_id,
        instance_id,
        **{
            f"{prefix}_overdue_reason": "人员和车辆调度不足，未能在时限内完成",
            f"{prefix}_overdue_action": "责成立即完成并每小时报告进展",
        },
    )


def deadlines(desk: Any, business_key: str) -> list[dict[str, Any]]:
    res = desk.api.get(f"/api/v1/reports/deadlines?business_key={business_key}", as_="auditor")
    assert res.status_code == 200, res.get_json()
    entries = res.get_json()
    return entries[0]["deadlines"] if entries else []


def replays(desk: Any, instance_id: int) -> bool:
    res = desk.api.get(f"/api/v1/instances/{instance_id}/replay", as_="auditor")
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["divergence"] is None, body["divergence"]
    return bool(body["consistent"] and body["checked_end"])


def leader_sees(desk: Any, instance_id: int) -> list[str]:
    """The leader's inbox for the incident, apart from the response-level proposal: that task opens beside the five
    firsts at the grading (ERL2024 Art.71-72) and is ordinary work, not an alarm."""
    return [t["element_id"] for t in desk.inbox("leader", instance_id) if t["element_id"] != PROPOSAL]


# ----------------------------------------------------------------------------------- D17: immediate reports
def test_a_lost_class_iv_radioactive_source_is_reported_immediately_not_late_and_escalates_after_the_grace(desk):
    bk = "RAD-2026-0414-01"
    iid = desk.record_incident(bk, DISCOVERED, radioactive_source_class="IV")

    data = desk.data(iid)
    esc = data["escalation"]
    assert esc["radiation_event"] is True and esc["initial_report_deadline_minutes"] is None  # RAD Art.42
    assert data["initial_report_immediate"] is True and parse(data["incident_recorded_at"]) == T0
    report = desk.task("duty", "Task_InitialReport", iid)
    # immediate, counted from the recording, and not late (迟报) at the moment it is recorded
    assert (report["immediate"], report["overdue"]) == (True, False)
    assert parse(report["immediate_since"]) == T0 and parse(report["due_at"]) == at(minutes=60)
    assert leader_sees(desk, iid) == []
    assert desk.events(iid, "timer_fired") == []
    late = desk.api.get("/api/v1/tasks?overdue=true", as_="duty").get_json()
    assert [t for t in late if t["instance_id"] == iid] == []
    [deadline] = deadlines(desk, bk)
    assert (deadline["guards"], deadline["outcome"]) == ("Task_InitialReport", "open")

    # the top of the inbox: above an ordinary report recorded at the same time and due sooner (in 30 minutes)
    other = desk.record_incident("LJ-2026-0414-30", cst(at(minutes=-210)))
    assert parse(desk.task("duty", "Task_InitialReport", other)["due_at"]) == at(minutes=30)
    inbox = [(t["instance_id"], t["element_id"]) for t in desk.inbox("duty")]
    assert inbox[:2] == [(iid, "Task_InitialReport"), (other, "Task_InitialReport")]

    desk.clock.set(at(minutes=59))
    desk.fire_due_timers()  # the other report's deadline passes: overdue comes first, then the immediate one
    assert [(t["instance_id"], t["overdue"]) for t in desk.inbox("duty")][:2] == [(other, True), (iid, False)]
    assert "Task_OverdueReportEscalation" not in desk.ready(iid)

    desk.clock.set(at(minutes=61))  # the grace has passed: now it is late, and the leader is told
    assert desk.fire_due_timers() == 1
    assert leader_sees(desk, iid) == ["Task_OverdueReportEscalation"]
    assert desk.ready_task(iid, "Task_InitialReport")["overdue"] is True
    [fired] = desk.events(iid, "timer_fired")
    assert fired["element_id"] == "Timer_InitialReportOverdue"
    assert fired["payload"]["attached_to"] == "Task_InitialReport"
    assert parse(fired["payload"]["due_at"]) == at(minutes=60) and fired["payload"]["late_seconds"] == 60.0
    [deadline] = deadlines(desk, bk)
    assert (deadline["outcome"], deadline["late_seconds"]) == ("missed", 60.0)
    assert replays(desk, iid)


def test_the_grace_is_the_one_of_the_ruleset_in_force(desk, monkeypatch):
    """An overlay may tighten the grace (D17): the decision's immediate_report_grace_minutes is the one used."""
    decided_with(
        desk,
        monkeypatch,
        lambda d: {"immediate_report": d["radiation_event"], "immediate_report_grace_minutes": 30},
    )
    iid = desk.record_incident("RAD-2026-0414-02", DISCOVERED, radioactive_source_class="IV")
    assert desk.data(iid)["escalation"]["immediate_report_grace_minutes"] == 30
    report = desk.task("duty", "Task_InitialReport", iid)
    assert report["immediate"] is True and parse(report["due_at"]) == at(minutes=30)
    desk.clock.set(at(minutes=29))
    assert desk.fire_due_timers() == 0
    desk.clock.set(at(minutes=31))
    assert desk.fire_due_timers() == 1
    assert leader_sees(desk, iid) == ["Task_OverdueReportEscalation"]

    # an ordinary incident is not immediate: its report has the deadline of D4 and no elapsed-time display
    plain = desk.record_incident("LJ-2026-0414-31", DISCOVERED)
    report = desk.task("duty", "Task_InitialReport", plain)
    assert (report["immediate"], report["immediate_since"]) == (False, None)
    assert parse(report["due_at"]) == REPORT_DUE


# ----------------------------------------------------------------------------- D21: the five firsts are immediate
def test_the_four_other_firsts_are_immediate_with_the_time_since_the_incident_was_recorded(desk):
    bk = "LJ-2026-0414-40"
    iid = desk.record_incident(bk, DISCOVERED)
    for _key, (element, _timer, _escalation, user) in FIRSTS.items():
        [task] = desk.inbox(user, iid)
        assert task["element_id"] == element
        assert (task["immediate"], task["due_at"], task["overdue"]) == (True, None, False), element
        assert parse(task["immediate_since"]) == T0, element
    assert desk.data(iid)["firsts_due_at"] == {}  # the baseline sets no target

    # without a target no first is ever late: ten hours on, only the report's own deadline has passed
    desk.complete("duty", "Task_InitialReport", iid)
    desk.clock.set(at(hours=10))
    assert desk.fire_due_timers() == 0
    assert leader_sees(desk, iid) == ["Task_LeaderSignOff"]
    assert {d["guards"] for d in deadlines(desk, bk)} == {"Task_InitialReport"}
    assert all(t["immediate"] for t in desk.inbox("office", iid))

    # a first that is done is no longer shown; what follows it is ordinary work
    desk.complete("office", "Task_DispatchToScene", iid)
    [arrive] = desk.inbox("enforcement", iid)[:1]
    assert arrive["element_id"] in ("Task_ArriveOnScene", "Task_PreliminaryInvestigation")
    assert {t["element_id"]: t["immediate"] for t in desk.inbox("enforcement", iid)} == {
        "Task_ArriveOnScene": False,
        "Task_PreliminaryInvestigation": True,
    }


def test_the_inbox_puts_overdue_work_first_then_immediate_work_then_deadlines(desk, monkeypatch):
    chief = desk.services.users.add("chief", "responder", ["duty_officer", "emergency_office"])[1]
    desk.api.tokens["chief"] = chief
    a = desk.record_incident("LJ-2026-0414-A", DISCOVERED)
    desk.clock.set(at(minutes=10))
    with monkeypatch.context() as patch:  # this incident's jurisdiction sets a target: on the way within 2 hours
        decided_with(desk, patch, lambda d: {"first_targets_minutes": {"dispatch": 120}})
        b = desk.record_incident("LJ-2026-0414-B", DISCOVERED)
    desk.clock.set(at(minutes=20))
    late = desk.record_incident("LJ-2026-0414-D", cst(at(minutes=20, hours=-13)))  # recorded 13 hours late

    order = [(t["instance_id"], t["element_id"]) for t in desk.inbox("chief")]
    assert order == [
        (late, "Task_InitialReport"),  # overdue
        (b, "Task_DispatchToScene"),  # immediate, with a target
        (a, "Task_DispatchToScene"),  # immediate, the longest waiting
        (late, "Task_DispatchToScene"),
        (a, "Task_InitialReport"),  # by deadline
        (b, "Task_InitialReport"),
    ]
    dispatch_b = desk.task("office", "Task_DispatchToScene", b)
    assert parse(dispatch_b["due_at"]) == at(minutes=130) and parse(dispatch_b["immediate_since"]) == at(minutes=10)

    desk.clock.set(at(minutes=131))  # b's target passes: overdue work first, the longest overdue at the top
    assert desk.fire_due_timers() == 1
    order = [(t["instance_id"], t["element_id"], t["overdue"]) for t in desk.inbox("chief")]
    assert order[:3] == [
        (late, "Task_InitialReport", True),
        (b, "Task_DispatchToScene", True),
        (a, "Task_DispatchToScene", False),
    ]
    assert leader_sees(desk, b) == ["Task_OverdueDispatchEscalation"]


@pytest.mark.parametrize("key", list(FIRSTS))
def test_a_target_the_ruleset_sets_on_a_first_escalates_to_the_leader_when_it_passes(desk, monkeypatch, key):
    element, timer, escalation, user = FIRSTS[key]
    decided_with(desk, monkeypatch, lambda d: {"first_targets_minutes": {key: 90}})
    bk = f"LJ-2026-0414-T-{key}"
    iid = desk.record_incident(bk, DISCOVERED)
    assert desk.data(iid)["firsts_due_at"] == {key: at(minutes=90).isoformat()}
    task = desk.task(user, element, iid)
    assert task["immediate"] is True and parse(task["due_at"]) == at(minutes=90)
    others = [e for k, (e, *_rest) in FIRSTS.items() if k != key]
    assert all(desk.ready_task(iid, e)["due_at"] is None for e in others)

    desk.complete("duty", "Task_InitialReport", iid)  # the report is on time: only the first's target matters
    desk.clock.set(at(minutes=89))
    assert desk.fire_due_timers() == 0
    desk.clock.set(at(minutes=91))
    assert desk.fire_due_timers() == 1
    assert leader_sees(desk, iid) == ["Task_LeaderSignOff", escalation]
    still = desk.task(user, element, iid)  # non-interrupting: the first stays open, now overdue
    assert still["overdue"] is True and still["immediate"] is True
    [fired] = desk.events(iid, "timer_fired")
    assert (fired["element_id"], fired["payload"]["attached_to"]) == (timer, element)
    assert fired["payload"]["late_seconds"] == 60.0

    escalate(desk, escalation, iid)
    assert escalation not in desk.ready(iid)
    desk.complete(user, element, iid)
    [deadline] = [d for d in deadlines(desk, bk) if d["timer_element_id"] == timer]
    assert (deadline["guards"], deadline["outcome"]) == (element, "missed")
    assert desk.fire_due_timers() == 0  # fired exactly once
    assert replays(desk, iid)


# ------------------------------------------------------------------------------- D22: publication, level I/II
def test_a_major_incident_publishes_within_5_hours_and_holds_a_press_conference_within_24(desk, monkeypatch):
    decided_with(desk, monkeypatch, d22_when_missing)
    bk = "LJ-2026-0414-50"
    iid = desk.record_incident(bk, DISCOVERED, evacuated=20000)  # level II
    data = desk.data(iid)
    assert data["escalation"]["level"] == "II"
    assert data["firsts_due_at"] == {"publication": at(hours=5).isoformat()}
    assert parse(data["press_conference_due_at"]) == at(hours=24)
    publish = desk.task("press", "Task_PublishInformation", iid)
    assert publish["immediate"] is True and parse(publish["due_at"]) == at(hours=5)

    desk.clock.set(at(hours=5, minutes=1))
    desk.fire_due_timers()
    assert "Task_OverduePublicationEscalation" in leader_sees(desk, iid)
    escalate(desk, "Task_OverduePublicationEscalation", iid)

    # published late, with updates to follow: the press conference is due 24 hours after the recording
    desk.complete(
        "press", "Task_PublishInformation", iid, press_conference_held=False, information_updates_pending=True
    )
    conference = desk.task("press", "Task_HoldPressConference", iid)
    assert parse(conference["due_at"]) == at(hours=24) and conference["immediate"] is False

    desk.clock.set(at(hours=24, minutes=1))
    desk.fire_due_timers()
    assert "Task_OverduePressConferenceEscalation" in leader_sees(desk, iid)
    escalate(desk, "Task_OverduePressConferenceEscalation", iid)
    desk.complete("press", "Task_HoldPressConference", iid, press_conference_held=True)
    # the update that follows has no deadline of its own: only the first authoritative information has one
    update = desk.task("press", "Task_PublishInformation", iid)
    assert update["due_at"] is None and update["overdue"] is False and update["immediate"] is True
    desk.clock.set(at(hours=30))
    desk.fire_due_timers()
    assert "Task_OverduePublicationEscalation" not in desk.ready(iid)
    outcomes = {d["timer_element_id"]: d["outcome"] for d in deadlines(desk, bk) if d["guards"] != "Task_InitialReport"}
    assert outcomes == {"Timer_PublishInformationOverdue": "missed", "Timer_PressConferenceOverdue": "missed"}
    assert replays(desk, iid)


def test_publication_is_due_at_the_stricter_of_the_target_and_the_5_hours_and_only_for_major_events(desk, monkeypatch):
    decided_with(desk, monkeypatch, lambda d: {**d22_when_missing(d), "first_targets_minutes": {"publication": 120}})
    major = desk.record_incident("LJ-2026-0414-51", DISCOVERED, evacuated=20000)
    assert parse(desk.task("press", "Task_PublishInformation", major)["due_at"]) == at(minutes=120)

    minor = desk.record_incident("LJ-2026-0414-52", DISCOVERED)  # level IV: the target only, no press conference
    data = desk.data(minor)
    assert data["press_conference_due_at"] is None
    assert parse(desk.task("press", "Task_PublishInformation", minor)["due_at"]) == at(minutes=120)


def test_without_a_publication_limit_a_level_iv_publication_is_immediate_but_never_late(desk, monkeypatch):
    decided_with(desk, monkeypatch, d22_when_missing)
    iid = desk.record_incident("LJ-2026-0414-53", DISCOVERED)
    publish = desk.task("press", "Task_PublishInformation", iid)
    assert (publish["immediate"], publish["due_at"]) == (True, None)
    assert desk.data(iid)["press_conference_due_at"] is None


# -------------------------------------------------------------------------- a late-recorded incident (D4, D17)
def test_an_incident_recorded_13_hours_late_is_overdue_at_once_and_counted_as_missed(desk):
    bk = "LJ-2026-0414-60"
    discovered = at(hours=-13)
    iid = desk.record_incident(bk, cst(discovered))

    report = desk.task("duty", "Task_InitialReport", iid)
    assert parse(report["due_at"]) == discovered + timedelta(hours=4)  # its own deadline, from discovery
    assert (report["overdue"], report["immediate"]) == (True, False)
    assert leader_sees(desk, iid) == ["Task_OverdueReportEscalation"]  # opened in the same command
    [fired] = desk.events(iid, "timer_fired")
    assert fired["element_id"] == "Timer_InitialReportOverdue"
    assert fired["payload"]["late_seconds"] == 9 * 3600.0
    # the five firsts are not late: they count from the recording
    assert desk.task("office", "Task_DispatchToScene", iid)["overdue"] is False

    res = desk.api.get("/api/v1/reports/deadlines?outcome=missed", as_="auditor")
    assert res.status_code == 200, res.get_json()
    [entry] = [e for e in res.get_json() if e["business_key"] == bk]
    [deadline] = entry["deadlines"]
    assert (deadline["guards"], deadline["outcome"], deadline["late_seconds"]) == (
        "Task_InitialReport",
        "missed",
        9 * 3600.0,
    )
    assert parse(deadline["due_at"]) == discovered + timedelta(hours=4) and parse(deadline["fired_at"]) == T0
    assert entry["summary"]["missed"] == 1
    timeline = desk.api.get(f"/api/v1/timeline/{bk}", as_="auditor").get_json()
    assert ("timer_fired", "Timer_InitialReportOverdue") in [(e["kind"], e["element_id"]) for e in timeline]

    desk.complete("duty", "Task_InitialReport", iid)
    desk.complete("leader", "Task_OverdueReportEscalation", iid)
    [deadline] = deadlines(desk, bk)
    assert deadline["outcome"] == "missed"  # done, but late
    assert replays(desk, iid)


# ------------------------------------------------------------------- follow-up reports: whole decisions (D10, D11)
def test_a_follow_up_adding_a_sensitive_period_at_level_iv_sends_the_work_group_and_the_leader(desk):
    bk = "LJ-2026-0414-70"
    iid = desk.record_incident(bk, DISCOVERED)
    desk.complete("office", "Task_DispatchToScene", iid)  # level IV: the enforcement detachment only
    assert "Task_DispatchCityWorkGroup" not in desk.ready(iid) and "Task_LeaderOnScene" not in desk.ready(iid)
    desk.complete("duty", "Task_InitialReport", iid)
    desk.sign_and_send_initial(iid)

    desk.clock.set(at(hours=3))  # the follow-up report: a national holiday with a large event nearby
    desk.follow_up(iid, propose_emergency_end=False, **desk.facts(sensitive_period=True))

    data = desk.data(iid)
    assert data["level_change"] == "changed" and data["escalation"]["level"] == "IV"
    assert {"dispatch_city_work_group", "leader_on_scene"} <= set(data["decision_changes"])
    assert "level" not in data["decision_changes"]
    [change] = desk.events(iid, "escalation_reevaluated")
    assert change["payload"]["level_change"] == "changed"
    assert change["payload"]["changes"] == data["decision_changes"]
    ready = desk.ready(iid)
    assert ready["Task_DispatchCityWorkGroup"] == "emergency_office" and ready["Task_LeaderOnScene"] == "leader"
    assert ready["Task_FollowUpReport"] == "duty_officer"  # the follow-up reports go on meanwhile
    assert not set(ready) & {"Task_ReReportAtNewLevel", "Task_AdjustResponseToNewLevel", "Task_ConfirmLowerLevel"}
    assert [t["element_id"] for t in desk.inbox("office", iid)] == ["Task_DispatchCityWorkGroup"]
    assert leader_sees(desk, iid) == ["Task_LeaderOnScene"]

    desk.complete("office", "Task_DispatchCityWorkGroup", iid)
    desk.complete("leader", "Task_LeaderOnScene", iid)
    assert {"End_WorkGroupReinforced", "End_LeaderReinforced"} <= desk.touched(iid)
    # a second follow-up with the same facts sends nobody again
    desk.follow_up(iid, propose_emergency_end=False, **desk.facts(sensitive_period=True))
    assert desk.data(iid)["level_change"] == "unchanged" and desk.data(iid)["decision_changes"] == []
    assert "Task_DispatchCityWorkGroup" not in desk.ready(iid)

    done = desk.drive(
        iid,
        answers={
            "Task_FollowUpReport": {**desk.facts(sensitive_period=True), "propose_emergency_end": True},
            "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
        },
    )
    assert done["status"] == "completed"
    completed = desk.completed_elements(iid)
    assert completed.count("Task_DispatchCityWorkGroup") == 1 and completed.count("Task_LeaderOnScene") == 1
    assert replays(desk, iid)


def test_forces_the_start_already_sent_are_not_sent_again_and_the_scene_waits_for_a_follow_ups_forces(desk):
    sent = desk.record_incident("LJ-2026-0414-71", DISCOVERED, sensitive_period=True)  # sent from the start
    desk.complete("office", "Task_DispatchToScene", sent)
    desk.complete("duty", "Task_InitialReport", sent)
    desk.sign_and_send_initial(sent)
    desk.follow_up(sent, propose_emergency_end=False, **desk.facts(sensitive_period=True))
    assert desk.data(sent)["level_change"] == "unchanged" and desk.data(sent)["decision_changes"] == []
    assert desk.ready(sent)["Task_DispatchCityWorkGroup"] == "emergency_office"  # the one the start sent, only

    # the scene branch has not dispatched yet when the follow-up asks for the work group: it is sent once, from
    # the follow-up; the scene branch, graded at level IV without the holiday, does not send it again
    later = desk.record_incident("LJ-2026-0414-72", DISCOVERED)
    desk.complete("duty", "Task_InitialReport", later)
    desk.sign_and_send_initial(later)
    desk.follow_up(later, propose_emergency_end=False, **desk.facts(sensitive_period=True))
    assert desk.ready(later)["Task_DispatchCityWorkGroup"] == "emergency_office"
    desk.complete("office", "Task_DispatchToScene", later)
    assert desk.ready(later)["Task_ArriveOnScene"] == "enforcement"  # ready() asserts one task per element
    desk.complete("enforcement", "Task_ArriveOnScene", later)
    desk.complete("office", "Task_DispatchCityWorkGroup", later)
    desk.complete("leader", "Task_LeaderOnScene", later)
    done = desk.drive(
        later,
        answers={
            "Task_FollowUpReport": {**desk.facts(sensitive_period=True), "propose_emergency_end": True},
            "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
        },
    )
    assert done["status"] == "completed"
    assert desk.completed_elements(later).count("Task_DispatchCityWorkGroup") == 1
    assert replays(desk, later)


def test_a_follow_up_that_changes_the_recipients_reopens_the_report_at_the_same_level(desk):
    """The city EEB, not the county, now reports (the facts say so): other recipients, same level."""
    iid = desk.record_incident("LJ-2026-0414-73", DISCOVERED)
    desk.complete("duty", "Task_InitialReport", iid)
    desk.sign_and_send_initial(iid)
    desk.clock.set(at(hours=2))
    desk.follow_up(iid, propose_emergency_end=False, **desk.facts(reporting_authority="city"))

    data = desk.data(iid)
    assert data["level_change"] == "raised" and data["escalation"]["level"] == "IV"
    assert data["escalation"]["report_to"] == ["city_government", "provincial_eeb"]
    assert "report_to" in data["decision_changes"]
    rereport = desk.ready_task(iid, "Task_ReReportAtNewLevel")
    assert parse(rereport["due_at"]) == at(hours=2, minutes=240)


def test_a_follow_up_that_makes_the_impact_cross_a_county_border_opens_the_neighbours_notice(desk):
    """O17 Art.8: the decision changed at the same level, ``decision_changes`` says what changed, and the
    neighbours' notice the new decision asks for opens beside the follow-up loop."""
    iid = desk.record_incident("LJ-2026-0414-74", DISCOVERED)
    desk.complete("duty", "Task_InitialReport", iid)
    desk.sign_and_send_initial(iid)
    desk.follow_up(iid, propose_emergency_end=False, **desk.facts(cross_boundary="county"))
    data = desk.data(iid)
    assert data["level_change"] == "changed" and data["escalation"]["notify_adjacent_regions"] is True
    assert "notify_adjacent_regions" in data["decision_changes"]
    ready = desk.ready(iid)
    assert ready["Task_FollowUpReport"] == "duty_officer"
    assert ready["Task_NotifyAdjacentRegions"] == "emergency_office"


def test_a_neighbours_notice_a_follow_up_opens_for_an_immediate_report_has_the_grace_not_already_overdue(desk):
    """D17 meets O17 Art.8 (D23): the notice a follow-up opens is due within the time the decision gives a report,
    counted from that follow-up; for an immediate report (a radiation event: no minutes) that is the grace, not
    "due at once" - which would raise the leader's alarm in the very command that opened the notice."""
    iid = desk.record_incident("RAD-2026-0414-75", DISCOVERED, radioactive_source_class="IV")
    desk.complete("duty", "Task_InitialReport", iid)
    desk.sign_and_send_initial(iid)
    desk.clock.set(at(hours=2))
    desk.follow_up(
        iid, propose_emergency_end=False, **desk.facts(radioactive_source_class="IV", cross_boundary="county")
    )
    esc = desk.data(iid)["escalation"]
    assert esc["notify_adjacent_regions"] is True and esc["initial_report_deadline_minutes"] is None
    notice = desk.ready_task(iid, "Task_NotifyAdjacentRegions")
    assert (notice["overdue"], parse(notice["due_at"])) == (False, at(hours=3))  # the baseline grace, 60 minutes
    assert "Task_OverdueAdjacentNotification" not in leader_sees(desk, iid)
    desk.clock.set(at(hours=3, minutes=1))
    assert desk.fire_due_timers() == 1
    assert "Task_OverdueAdjacentNotification" in leader_sees(desk, iid)
