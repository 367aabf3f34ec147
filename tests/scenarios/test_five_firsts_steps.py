"""five_firsts: the legal steps issue #12 found missing, walked through the HTTP API (docs/PROCEDURES.md section 1).

* every recipient of a written report is a checklist item with the time it was delivered, and a report whose
  recipients are incomplete is not closed without a stated reason;
* the emergency office notifies the neighbours when the impact reaches an adjacent area (O17 Art.8), due with the
  initial report (D23), also when a follow-up report first finds it;
* the bureau proposes a response level to the government (ERL2024 Art.71-72);
* the bureau requests the end of the emergency and records the government's declaration (ERL2024 Art.86, D24);
  the investigation starts at the declared end, before the final report, and five_firsts holds no damage assessment;
* every written report records 报告单位, 签发人, 联系人 and 联系电话 (O17 Art.14), the initial one also the map of
  sensitive points (Art.13).

The incident is the styrene leak of test_five_firsts_scenarios.py: discovered at 08:40 China Standard Time on
Tuesday 14 April 2026, recorded at 09:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.scenarios.conftest import USER_OF_LANE

DISCOVERED = "2026-04-14T08:40:00+08:00"
ENDED = "2026-04-15T18:00:00+08:00"
COUNTY_REPORT_TO = ["county_government", "city_eeb"]
MAJOR_REPORT_TO = ["county_government", "provincial_eeb", "mee"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def cst(hour: int, minute: int = 0, day: int = 14) -> str:
    return f"2026-04-{day:02d}T{hour:02d}:{minute:02d}:00+08:00"


def send_initial_report(desk: Any, iid: int) -> None:
    desk.complete("duty", "Task_InitialReport", iid, channel="written")
    desk.complete("leader", "Task_LeaderSignOff", iid)
    desk.complete("duty", "Task_SendInitialReport", iid)


def confirm(desk: Any, iid: int, element: str, **entries: Any) -> str:
    """The duty officer confirms the checklist item the task is about; returns its recipient."""
    recipient: str = desk.data(iid)["delivery_recipient"]
    desk.complete("duty", element, iid, **entries)
    return recipient


# ---------------------------------------------------------------------------------- every recipient delivered
def test_every_recipient_of_the_written_initial_report_is_confirmed_delivered(desk):
    iid = desk.record_incident("LJ-2026-0414-S1", DISCOVERED, evacuated=20000)  # level II: three recipients
    assert desk.data(iid)["escalation"]["report_to"] == MAJOR_REPORT_TO
    desk.clock.set(utc(2026, 4, 14, 1, 30))
    send_initial_report(desk, iid)

    # the checklist: one item per recipient of the decision, none delivered yet; nothing else waits in the branch
    data = desk.data(iid)
    assert [(i["recipient"], i["delivered_at"]) for i in data["initial_report_deliveries"]] == [
        (r, None) for r in MAJOR_REPORT_TO
    ]
    task = desk.task("duty", "Task_ConfirmInitialReportDelivery", iid)
    form = {f["id"]: f for f in task["form"]}
    assert form["delivery_recipient"]["readonly"] and form["delivered"]["required"] and form["delivered_at"]["required"]
    assert {o["id"] for o in form["delivery_recipient"]["enum"]} >= set(MAJOR_REPORT_TO)
    assert "Task_FollowUpReport" not in desk.ready(iid)

    # the recipient is the diagram's to name, not the person's: naming it is refused, with the field named
    res = desk.api.post(
        f"/api/v1/tasks/{task['id']}/complete",
        as_="duty",
        json={"data": {"delivery_recipient": "mee", "delivered": True, "delivered_at": cst(9, 40)}},
    )
    assert res.status_code == 422 and "delivery_recipient" in res.get_json()["error"]["details"]

    times = {"county_government": cst(9, 35), "provincial_eeb": cst(9, 38), "mee": cst(9, 41)}
    confirmed = []
    for _ in MAJOR_REPORT_TO:
        recipient = desk.data(iid)["delivery_recipient"]
        confirmed.append(
            confirm(
                desk,
                iid,
                "Task_ConfirmInitialReportDelivery",
                delivered_at=times[recipient],
                delivery_confirmation=f"{recipient} 传真回执",
            )
        )
    assert confirmed == MAJOR_REPORT_TO  # in the decision's order, each once

    data = desk.data(iid)
    assert [(i["recipient"], i["delivered_at"], i["confirmation"]) for i in data["initial_report_deliveries"]] == [
        (r, times[r], f"{r} 传真回执") for r in MAJOR_REPORT_TO
    ]
    assert data["initial_report_pending_recipients"] == []
    assert {"delivery_recipient", "delivered", "delivered_at", "undelivered_reason"}.isdisjoint(data)
    assert desk.ready(iid)["Task_FollowUpReport"] == "duty_officer"  # only now do the follow-up reports begin
    confirmations = desk.events(iid, "task_completed", "Task_ConfirmInitialReportDelivery")
    assert [e["payload"]["data"]["delivered_at"] for e in confirmations] == list(times.values())


def test_a_recipient_that_was_not_reached_needs_a_stated_reason(desk):
    iid = desk.record_incident("LJ-2026-0414-S2", DISCOVERED)  # level IV: county government, city EEB
    send_initial_report(desk, iid)

    # not delivered and no reason: the item stays open and comes back after the others (a slow one blocks none)
    assert confirm(desk, iid, "Task_ConfirmInitialReportDelivery", delivered=False) == "county_government"
    assert desk.data(iid)["initial_report_pending_recipients"] == ["city_eeb", "county_government"]
    assert confirm(desk, iid, "Task_ConfirmInitialReportDelivery", delivered_at=cst(9, 50)) == "city_eeb"
    ready = desk.ready(iid)
    assert ready["Task_ConfirmInitialReportDelivery"] == "duty_officer" and "Task_FollowUpReport" not in ready
    assert desk.data(iid)["delivery_recipient"] == "county_government"

    # a reason closes the item without a delivery; the report is then complete and the follow-ups begin
    reason = "县政府值班室传真故障，已电话口头报告，书面稿待设备修复后补送"
    assert (
        confirm(
            desk,
            iid,
            "Task_ConfirmInitialReportDelivery",
            delivered=False,
            undelivered_reason=reason,
            delivered_at=cst(10, 5),
        )
        == "county_government"
    )
    data = desk.data(iid)
    county, city = data["initial_report_deliveries"]
    assert county == {
        "recipient": "county_government",
        "delivered_at": None,
        "confirmation": None,
        "undelivered_reason": reason,
        "checked_at": cst(10, 5),
    }
    assert city["delivered_at"] == cst(9, 50) and city["undelivered_reason"] is None
    assert desk.ready(iid)["Task_FollowUpReport"] == "duty_officer"
    assert [e["element_id"] for e in desk.events(iid, "task_completed")].count("Task_ConfirmInitialReportDelivery") == 3


# ------------------------------------------------------------------------------------- the neighbours' notice
def test_the_emergency_office_notifies_the_neighbours_by_the_initial_report_deadline(desk):
    """O17 Art.8 and D23: the notice is due when the initial report is (12:40, four hours after discovery)."""
    iid = desk.record_incident("LJ-2026-0414-S3", DISCOVERED, cross_boundary="county")
    esc = desk.data(iid)["escalation"]
    assert esc["level"] == "IV" and esc["notify_adjacent_regions"] is True
    notice = desk.task("office", "Task_NotifyAdjacentRegions", iid)
    assert notice["lane"] == "emergency_office"
    due = utc(2026, 4, 14, 4, 40)
    assert desk.parse(notice["due_at"]) == due and notice["overdue"] is False
    assert desk.parse(desk.data(iid)["adjacent_notification_due_at"]) == due

    desk.complete("duty", "Task_InitialReport", iid)  # the report is made in time, the notice is not
    desk.clock.set(due - timedelta(minutes=1))
    assert desk.fire_due_timers() == 0
    desk.clock.set(due + timedelta(seconds=20))
    assert desk.fire_due_timers() == 1
    [fired] = desk.events(iid, "timer_fired")
    assert fired["element_id"] == "Timer_AdjacentNotificationOverdue"
    assert fired["payload"]["attached_to"] == "Task_NotifyAdjacentRegions" and fired["payload"]["late_seconds"] == 20
    assert desk.ready_task(iid, "Task_NotifyAdjacentRegions")["overdue"] is True
    assert desk.ready(iid)["Task_OverdueAdjacentNotification"] == "leader"

    desk.complete(
        "office",
        "Task_NotifyAdjacentRegions",
        iid,
        adjacent_notified_at=cst(12, 45),
        government_notice_proposed_at=cst(12, 50),
    )
    desk.complete("leader", "Task_OverdueAdjacentNotification", iid)
    [notified] = desk.events(iid, "task_completed", "Task_NotifyAdjacentRegions")
    assert notified["actor"] == "office"
    assert notified["payload"]["data"]["adjacent_regions_notified"] == desk.FORM_VALUES["adjacent_regions_notified"]
    assert {"End_AdjacentRegionsNotified", "End_OverdueAdjacentNotificationEscalated"} <= desk.touched(iid)
    assert "Task_NotifyAdjacentRegions" not in desk.ready(iid)


def test_no_notice_without_an_adjacent_area(desk):
    iid = desk.record_incident("LJ-2026-0414-S4", DISCOVERED)
    assert desk.data(iid)["escalation"]["notify_adjacent_regions"] is False
    assert "Task_NotifyAdjacentRegions" not in desk.ready(iid)
    assert [e["payload"]["to"] for e in desk.events(iid, "task_state", "End_NoAdjacentNotification")] == ["COMPLETED"]


def test_a_follow_up_that_finds_an_adjacent_area_affected_opens_the_notice_then(desk):
    iid = desk.record_incident("LJ-2026-0414-S5", DISCOVERED)
    send_initial_report(desk, iid)
    for _ in COUNTY_REPORT_TO:
        desk.complete("duty", "Task_ConfirmInitialReportDelivery", iid)
    assert "Task_NotifyAdjacentRegions" not in desk.ready(iid)

    desk.clock.set(utc(2026, 4, 14, 4, 0))  # 12:00 CST: the polluted water has crossed into the next county
    spread = desk.facts(cross_boundary="county")
    desk.follow_up(iid, propose_emergency_end=False, **spread)
    data = desk.data(iid)
    # the level did not move; the decision did (semantics 3 compares whole decisions)
    assert data["level_change"] == "changed" and data["escalation"]["level"] == "IV"
    assert "notify_adjacent_regions" in data["decision_changes"]
    notice = desk.ready_task(iid, "Task_NotifyAdjacentRegions")
    assert notice["lane"] == "emergency_office"
    # four hours (the decision's initial-report time) from the follow-up that established it
    assert desk.parse(notice["due_at"]) == utc(2026, 4, 14, 8, 0)

    desk.clock.set(utc(2026, 4, 14, 5, 0))
    desk.follow_up(iid, propose_emergency_end=False, **spread)  # the same facts again: no second notice
    assert [t["element_id"] for t in desk.instance(iid)["ready_tasks"]].count("Task_NotifyAdjacentRegions") == 1
    desk.complete("office", "Task_NotifyAdjacentRegions", iid)
    desk.clock.set(utc(2026, 4, 14, 9, 0))
    assert desk.fire_due_timers() == 0  # notified in time: its deadline is gone
    assert "Task_OverdueAdjacentNotification" not in desk.touched(iid)


def test_an_open_notice_does_not_hold_up_the_end_but_the_response_does_not_close_without_it(desk):
    bk = "LJ-2026-0414-S5B"
    iid = desk.record_incident(bk, DISCOVERED, cross_boundary="county")
    answers = {
        "Task_FollowUpReport": {**desk.facts(cross_boundary="county"), "propose_emergency_end": True},
        "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
    }
    for _ in range(40):  # everyone does their part except the emergency office's notice
        ready = {e: lane for e, lane in desk.ready(iid).items() if e != "Task_NotifyAdjacentRegions"}
        if not ready:
            break
        element, lane = sorted(ready.items())[0]
        desk.complete(USER_OF_LANE[lane], element, iid, **answers.get(element, {}))
    # the end was declared, the investigation runs, the final report went out; only the notice is left
    assert desk.ready(iid) == {"Task_NotifyAdjacentRegions": "emergency_office"}
    assert desk.instance(iid)["status"] == "running"
    assert [i["definition_key"] for i in desk.by_business_key(bk)] == ["five_firsts", "investigation_accountability"]
    assert "End_ResponseClosed" in desk.touched(iid)
    done = desk.complete("office", "Task_NotifyAdjacentRegions", iid)
    assert done["status"] == "completed"


# ------------------------------------------------------------------------------- the response-level proposal
def test_the_bureau_proposes_the_decided_response_level_to_the_government(desk):
    iid = desk.record_incident("LJ-2026-0414-S6", DISCOVERED, evacuated=6000)  # level III, the city leads
    esc = desk.data(iid)["escalation"]
    assert (esc["response_level"], esc["response_lead"]) == ("III", "city_government")
    assert desk.task("leader", "Task_ProposeResponseLevel", iid)["lane"] == "leader"
    desk.complete("leader", "Task_ProposeResponseLevel", iid, adopt_decided_response_level=True)
    [recorded] = [e for e in desk.events(iid, "task_state", "Script_RecordResponseProposal")]
    proposal = recorded["payload"]["data_delta"]["response_proposal"]
    assert proposal == {
        "level": "III",
        "lead": "city_government",
        "decided_level": "III",
        "decided_lead": "city_government",
        "follows_decision": True,
        "reason": None,
        "proposed_to": desk.FORM_VALUES["response_proposal_to"],
        "proposed_at": desk.now_cst(),
    }
    assert "End_ResponseLevelProposed" in desk.touched(iid)
    assert "Task_ProposeResponseLevel" not in desk.ready(iid)


def test_another_response_level_needs_a_reason(desk):
    iid = desk.record_incident("LJ-2026-0414-S7", DISCOVERED, evacuated=6000)  # level III
    desk.complete(
        "leader", "Task_ProposeResponseLevel", iid, adopt_decided_response_level=False, proposed_response_level="II"
    )
    assert desk.ready(iid)["Task_ProposeResponseLevel"] == "leader"  # no reason: the proposal comes back

    reason = "下游5公里为县城备用水源地，建议提高一级响应，由省级人民政府统一指挥"
    desk.complete(
        "leader",
        "Task_ProposeResponseLevel",
        iid,
        adopt_decided_response_level=False,
        proposed_response_level="II",
        proposed_response_lead="provincial_government",
        response_proposal_reason=reason,
    )
    assert "Task_ProposeResponseLevel" not in desk.ready(iid)
    explained = [
        e["payload"]["data_delta"]["response_proposal_explained"]
        for e in desk.events(iid, "task_state", "Script_RecordResponseProposal")
    ]
    assert explained == [False, True]
    [recorded] = [
        e["payload"]["data_delta"]["response_proposal"]
        for e in desk.events(iid, "task_state", "Script_RecordResponseProposal")
        if "response_proposal" in e["payload"]["data_delta"]
    ]
    assert (recorded["level"], recorded["lead"], recorded["follows_decision"], recorded["reason"]) == (
        "II",
        "provincial_government",
        False,
        reason,
    )
    assert (recorded["decided_level"], recorded["decided_lead"]) == ("III", "city_government")


# ------------------------------------------------------------------------------------- ending the emergency
def test_the_bureau_requests_the_end_and_the_investigation_starts_at_the_declared_end(desk):
    bk = "LJ-2026-0414-S8"
    iid = desk.record_incident(bk, DISCOVERED)
    desk.drive(iid, until=("Task_FollowUpReport",))
    desk.drive(  # every other first is done; the report branch is in its follow-up loop
        iid,
        until=("Task_RequestEmergencyEnd",),
        answers={"Task_FollowUpReport": {**desk.facts(), "propose_emergency_end": True}},
    )
    assert desk.ready(iid) == {"Task_RequestEmergencyEnd": "leader"}

    # the leader does not request it yet: the follow-up reports go on
    desk.complete(
        "leader", "Task_RequestEmergencyEnd", iid, end_requested=False, end_request_basis="下游监测尚未连续达标"
    )
    assert desk.ready(iid) == {"Task_FollowUpReport": "duty_officer"}
    desk.follow_up(iid, propose_emergency_end=True, **desk.facts())
    desk.complete("leader", "Task_RequestEmergencyEnd", iid, end_requested=True)
    assert desk.ready(iid) == {"Task_RecordEndDeclaration": "emergency_office"}

    # the government decides to keep the response going: recorded, and back to follow-up reports
    desk.complete(
        "office",
        "Task_RecordEndDeclaration",
        iid,
        emergency_ended=False,
        end_declaration_basis="县政府决定继续实施下游拦截措施48小时",
    )
    assert desk.ready(iid) == {"Task_FollowUpReport": "duty_officer"}
    assert len(desk.by_business_key(bk)) == 1

    desk.follow_up(iid, propose_emergency_end=True, **desk.facts())
    desk.complete("leader", "Task_RequestEmergencyEnd", iid, end_requested=True)
    desk.clock.set(utc(2026, 4, 16, 1, 0))  # the declaration of 18:00 on the 15th is recorded the next morning
    desk.complete("office", "Task_RecordEndDeclaration", iid, emergency_ended=True, emergency_ended_at=ENDED)

    # the declared end starts the investigation at once; the final report comes after, without an assessment
    family = desk.by_business_key(bk)
    assert [(i["definition_key"], i["status"]) for i in family] == [
        ("five_firsts", "running"),
        ("investigation_accountability", "running"),
    ]
    inv = family[1]["id"]
    assert desk.data(inv)["emergency_ended_at"] == ENDED  # the clock runs from the declared end (O32 Art.16)
    assert "damage_assessment_conclusion" not in desk.data(inv)
    assert desk.ready(iid) == {"Task_FinalReport": "duty_officer"}
    order = [
        e["element_id"]
        for e in desk.history(iid)
        if e["element_id"] in ("Service_StartInvestigation", "Task_FinalReport")
    ]
    assert order.index("Service_StartInvestigation") < order.index("Task_FinalReport")

    done = desk.drive(iid)
    assert done["status"] == "completed"
    assert [i["recipient"] for i in desk.data(iid)["final_report_deliveries"]] == COUNTY_REPORT_TO
    assert all(i["delivered_at"] for i in desk.data(iid)["final_report_deliveries"])
    path = desk.touched(iid)
    assert path >= {"Task_ConfirmFinalReportDelivery", "End_ResponseClosed"}
    assert not path & {"Task_DamageAssessment", "Task_PublishAssessment", "Task_DeclareEmergencyEnded"}
    requests = [
        e["payload"]["data"]["end_requested"] for e in desk.events(iid, "task_completed", "Task_RequestEmergencyEnd")
    ]
    assert requests == [False, True, True]


# ------------------------------------------------------------------------------- what written reports record
def test_every_written_report_records_unit_signing_official_contact_and_phone(desk):
    """O17 Art.14 (and Art.13 for the initial report's map): the sign-off sheets of the initial, follow-up and final
    reports, and the report repeated at a raised level, refuse to go without them."""
    iid = desk.record_incident("LJ-2026-0414-S9", DISCOVERED)
    sheet = {"reporting_unit", "contact_person", "contact_phone"}

    def required(element: str, user: str) -> set[str]:
        return {f["id"] for f in desk.task(user, element, iid)["form"] if f["required"]}

    desk.complete("duty", "Task_InitialReport", iid, channel="written")
    assert required("Task_LeaderSignOff", "leader") >= sheet | {"signing_official", "sensitive_points_map"}
    desk.complete("leader", "Task_LeaderSignOff", iid)
    desk.complete("duty", "Task_SendInitialReport", iid)
    for _ in COUNTY_REPORT_TO:
        desk.complete("duty", "Task_ConfirmInitialReportDelivery", iid)

    desk.clock.set(utc(2026, 4, 14, 4, 0))
    desk.complete("duty", "Task_FollowUpReport", iid, propose_emergency_end=False, **desk.facts(evacuated=12000))
    assert required("Task_SignOffFollowUpReport", "leader") >= sheet | {"signing_official"}
    desk.complete("leader", "Task_SignOffFollowUpReport", iid)
    desk.complete("duty", "Task_SendFollowUpReport", iid)

    # raised to level II: the report at the new level is a written report too
    rereport = desk.task("duty", "Task_ReReportAtNewLevel", iid)
    assert required("Task_ReReportAtNewLevel", "duty") >= sheet | {"rereport_signing_official"}
    entries = {f["id"]: desk.FORM_VALUES.get(f["id"], desk.now_cst()) for f in rereport["form"] if f["required"]}
    del entries["contact_phone"]
    res = desk.api.post(f"/api/v1/tasks/{rereport['id']}/complete", as_="duty", json={"data": entries})
    assert res.status_code == 422 and set(res.get_json()["error"]["details"]) == {"contact_phone"}
    desk.complete("duty", "Task_ReReportAtNewLevel", iid)
    [made] = desk.events(iid, "task_completed", "Task_ReReportAtNewLevel")
    assert {k: made["payload"]["data"][k] for k in sheet} == {k: desk.FORM_VALUES[k] for k in sheet}

    done = desk.drive(
        iid,
        until=("Task_SignOffFinalReport",),
        answers={
            "Task_FollowUpReport": {**desk.facts(evacuated=12000), "propose_emergency_end": True},
            "Task_RecordEndDeclaration": {"emergency_ended_at": ENDED},
            "Task_HoldPressConference": {"press_conference_held": True},
        },
    )
    assert done["status"] == "running"
    assert required("Task_SignOffFinalReport", "leader") >= sheet | {"signing_official"}
