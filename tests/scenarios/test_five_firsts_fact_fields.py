"""The incident facts as the duty officer enters them on the form: a multiple choice of sensitive receptors and the
optional facts of D18-D20, through the HTTP API to the decision the rules make.

The facts form is where a wrong entry turns into a wrong level or a missed deadline, so each field is followed to
the decision it drives: a typed English code no longer stands for a school, a radiation leak grades the event, a
possible cross-border impact puts it on the 2-hour procedure without raising the level.
"""

from __future__ import annotations

from typing import Any

DISCOVERED = "2026-04-14T08:40:00+08:00"


def _record(desk: Any, business_key: str, **facts: Any) -> tuple[int, Any]:
    """Start an incident and submit the facts form with ``facts`` over the usual entries; returns the response."""
    started = desk.start(
        "five_firsts",
        business_key,
        {"discovered_at": DISCOVERED},
        as_="duty",
    )
    task = desk.task("duty", "Task_RecordIncident", started["id"])
    first = {"source": "12369", "place": "临江县", "description": "泄漏"}
    values = {**first, **desk.facts(), "discovered_at": DISCOVERED, **facts}
    data = {k: v for k, v in values.items() if k in {f["id"] for f in task["form"]}}
    res = desk.api.post(f"/api/v1/tasks/{task['id']}/complete", as_="duty", json={"data": data})
    return started["id"], res


def test_the_facts_form_describes_the_receptors_as_a_chinese_multiple_choice(desk: Any) -> None:
    started = desk.start("five_firsts", "FF-FORM-1", {"discovered_at": DISCOVERED}, as_="duty")
    form = {f["id"]: f for f in desk.task("duty", "Task_RecordIncident", started["id"])["form"]}
    receptors = form["sensitive_receptors"]
    assert receptors["type"] == "enum" and receptors["multiple"] is True and receptors["required"] is False
    assert [(o["id"], o["name"]) for o in receptors["enum"]] == [
        ("school", "学校"),
        ("hospital", "医院"),
        ("residential", "居民聚居区"),
        ("other", "其他（请在下一项说明）"),
    ]
    assert form["sensitive_receptors_other"]["type"] == "string"
    assert form["description"]["multiline"] is True
    for optional in ("radiation_acute_deaths", "radiation_sickness_cases", "radiation_leak_extent"):
        assert form[optional]["required"] is False
    assert form["cross_boundary_possible"]["required"] is False and form["level_determined"]["type"] == "boolean"


def test_a_school_chosen_on_the_form_puts_the_event_on_the_2_hour_procedure(desk: Any) -> None:
    instance_id, res = _record(
        desk, "FF-FORM-2", sensitive_receptors=["school", "other"], sensitive_receptors_other="养老院"
    )
    assert res.status_code == 200, res.get_json()
    escalation = desk.data(instance_id)["escalation"]
    assert escalation["art4_triggers"] == ["art4_2"]
    assert escalation["initial_report_deadline_minutes"] == 120
    assert any("学校" in line for line in escalation["reasons_zh"])


def test_a_receptor_that_is_not_an_option_is_refused_naming_the_field(desk: Any) -> None:
    instance_id, res = _record(desk, "FF-FORM-3", sensitive_receptors=["schol"])
    assert res.status_code == 422
    assert "sensitive_receptors" in str(res.get_json())
    _, res = _record(desk, "FF-FORM-4", sensitive_receptors="school")
    assert res.status_code == 422
    assert "sensitive_receptors" in str(res.get_json())
    assert desk.ready(instance_id) == {"Task_RecordIncident": "duty_officer"}, "nothing was half-written"


def test_a_large_radiation_leak_entered_on_the_form_is_a_level_ii_immediate_report(desk: Any) -> None:
    instance_id, res = _record(desk, "FF-FORM-5", radiation_leak_extent="large")
    assert res.status_code == 200, res.get_json()
    escalation = desk.data(instance_id)["escalation"]
    assert escalation["level"] == "II"
    assert escalation["radiation_event"] is True and escalation["immediate_report"] is True
    assert escalation["initial_report_deadline_minutes"] is None
    assert escalation["immediate_report_grace_minutes"] == 60
    report = desk.task("duty", "Task_InitialReport", instance_id)
    assert report["overdue"] is False, "not late at the moment it is recorded (D17)"


def test_a_possible_cross_province_impact_is_reported_in_2_hours_and_notified_without_raising_the_level(
    desk: Any,
) -> None:
    instance_id, res = _record(desk, "FF-FORM-6", cross_boundary_possible="province")
    assert res.status_code == 200, res.get_json()
    escalation = desk.data(instance_id)["escalation"]
    assert escalation["level"] == "IV"
    assert escalation["art4_triggers"] == ["art4_4"]
    assert escalation["initial_report_deadline_minutes"] == 120
    assert escalation["notify_adjacent_regions"] is True
    assert "Task_NotifyAdjacentRegions" in desk.ready(instance_id)


def test_a_determined_level_iv_keeps_the_4_hour_procedure_despite_a_heavy_metal(desk: Any) -> None:
    undetermined, res = _record(desk, "FF-FORM-7", heavy_metal=True)
    assert res.status_code == 200, res.get_json()
    determined, res = _record(desk, "FF-FORM-8", heavy_metal=True, level_determined=True)
    assert res.status_code == 200, res.get_json()
    assert desk.data(undetermined)["escalation"]["initial_report_deadline_minutes"] == 120
    decided = desk.data(determined)["escalation"]
    assert decided["initial_report_deadline_minutes"] == 240
    assert decided["art4_triggers"] == ["art4_3"], "the circumstance stays on record (D20)"
