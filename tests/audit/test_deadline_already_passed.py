"""An incident recorded after its reporting deadline passed is overdue at once and its miss is on record — and
histories written before that behaviour existed still replay exactly (engine semantics, recorded per instance)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.runtime import commands
from tests.audit.conftest import T0

DISCOVERED_13H_AGO = (T0 - timedelta(hours=13)).isoformat()  # the 2-hour deadline passed 11 hours ago


def _start_late(env, key):
    res = env.api.start("deadline", key, {"discovered_at": DISCOVERED_13H_AGO, "deadline_minutes": 120})
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def _replay(env, instance_id):
    res = env.api.get(f"/api/v1/instances/{instance_id}/replay", as_="auditor")
    assert res.status_code == 200, res.get_json()
    return res.get_json()


@pytest.fixture
def late(env):
    env.deploy("deadline.bpmn")
    return _start_late(env, "INC-13H")


def test_the_report_is_overdue_at_once_with_its_deadline(env, late):
    overdue = env.api.get("/api/v1/tasks?overdue=true", as_="duty").get_json()
    [report] = [t for t in overdue if t["instance_id"] == late]
    assert report["element_id"] == "Task_Report" and report["overdue"] is True
    assert report["due_at"] == (T0 - timedelta(hours=11)).isoformat()
    # the leader's escalation opened in the same command
    leader = env.api.get("/api/v1/tasks", as_="leader").get_json()
    assert [t["element_id"] for t in leader if t["instance_id"] == late] == ["Task_Overdue"]


def test_the_miss_is_recorded_with_its_lateness(env, late):
    [fired] = [e for e in env.history(late) if e["kind"] == "timer_fired"]
    assert fired["element_id"] == "Timer_ReportOverdue"
    assert fired["payload"]["due_at"] == (T0 - timedelta(hours=11)).isoformat()
    assert fired["payload"]["late_seconds"] == 11 * 3600.0
    assert fired["payload"]["attached_to"] == "Task_Report"
    started = env.history(late)[0]
    assert started["payload"]["semantics"] == commands.SEMANTICS >= 2  # semantics 2 or later


def test_the_deadline_report_counts_the_incident_as_missed(env, late):
    res = env.api.get("/api/v1/reports/deadlines", as_="auditor")
    assert res.status_code == 200, res.get_json()
    [entry] = [e for e in res.get_json() if e["business_key"] == "INC-13H"]
    [deadline] = entry["deadlines"]
    assert (deadline["guards"], deadline["outcome"], deadline["late_seconds"]) == ("Task_Report", "missed", 39600.0)
    assert deadline["fired_at"] == T0.isoformat()
    assert entry["summary"]["missed"] == 1


def test_the_timeline_shows_the_report_overdue_not_merely_active(env, late):
    res = env.api.get("/api/v1/timeline/INC-13H", as_="auditor")
    assert res.status_code == 200, res.get_json()
    kinds = [(e["kind"], e["element_id"]) for e in res.get_json()]
    assert ("timer_fired", "Timer_ReportOverdue") in kinds


def test_the_history_replays_and_no_waiting_timer_is_left_for_the_scheduler(env, late):
    body = _replay(env, late)
    assert body["consistent"] is True and body["checked_end"] is True, body["divergence"]
    assert env.services.timers.run_due(T0 + timedelta(days=1)) == 0


def test_an_instance_started_under_semantics_1_keeps_replaying_as_it_ran(env, monkeypatch):
    """The behaviour before this correction: the timer fired inside the start and left no deadline. An instance
    recorded then must replay under the behaviour it ran with, not today's."""
    env.deploy("deadline.bpmn")
    monkeypatch.setattr(commands, "SEMANTICS", 1)
    old = _start_late(env, "INC-OLD")
    monkeypatch.undo()
    kinds = [e["kind"] for e in env.history(old)]
    assert "timer_fired" not in kinds and env.history(old)[0]["payload"]["semantics"] == 1
    [report] = [t for t in env.api.get("/api/v1/tasks", as_="duty").get_json() if t["instance_id"] == old]
    assert report["due_at"] is None  # as it was then
    body = _replay(env, old)
    assert body["consistent"] is True and body["checked_end"] is True, body["divergence"]
    # and a command on it now still runs under semantics 1
    env.clock.advance(minutes=5)
    res = env.api.post(f"/api/v1/tasks/{report['id']}/complete", as_="duty", json={"data": {}})
    assert res.status_code == 200, res.get_json()
    assert _replay(env, old)["consistent"] is True
