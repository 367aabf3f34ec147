"""Engine semantics 3 (``engine.runtime.commands.SEMANTICS``; docs/DECISIONS.md D17, D21): an instance started
before the correction keeps the escalation services' old behaviour for every later command and replays exactly;
one started now gets the corrected behaviour, and replays exactly too.

The diagram is the small response of the audit fixtures (report, grading, follow-up, re-grading); the incident is a
lost class IV radioactive source, reported "immediately" (RAD Art.42).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from engine.runtime import commands
from tests.audit.conftest import T0, _replay

DISCOVERED = (T0 - timedelta(minutes=20)).isoformat()


def _complete(env: Any, instance_id: int, element_id: str, data: dict[str, Any]) -> None:
    tasks = env.api.get(f"/api/v1/tasks?instance_id={instance_id}", as_="allhands").get_json()
    [task] = [t for t in tasks if t["element_id"] == element_id]
    res = env.api.post(f"/api/v1/tasks/{task['id']}/complete", as_="allhands", json={"data": data})
    assert res.status_code == 200, res.get_json()


def _respond(env: Any, key: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Report and grade a lost radioactive source, then a follow-up that changes nothing; the data after each."""
    res = env.api.start("response", key, {"discovered_at": DISCOVERED, "radioactive_source_class": "IV"})
    assert res.status_code == 201, res.get_json()
    iid = res.get_json()["id"]
    _complete(env, iid, "Task_Report", {"deaths": 0, "heavy_metal": False})
    graded = env.api.get(f"/api/v1/instances/{iid}", as_="auditor").get_json()
    env.clock.advance(minutes=30)
    _complete(env, iid, "Task_FollowUp", {"evacuated": 0})
    followed = env.api.get(f"/api/v1/instances/{iid}", as_="auditor").get_json()
    return iid, graded["data"], followed["data"]


def _replays(env: Any, instance_id: int) -> None:
    body = _replay(env, instance_id).get_json()
    assert body["consistent"] is True and body["checked_end"] is True, body["divergence"]


@pytest.fixture
def response(env: Any) -> Any:
    env.deploy("response.bpmn", "investigation.bpmn")
    return env


def test_an_instance_started_under_semantics_2_keeps_its_behaviour(response: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(commands, "SEMANTICS", 2)
    iid, graded, followed = _respond(response, "RAD-S2")
    monkeypatch.undo()  # the follow-up ran after the engine was corrected: the instance kept its semantics
    assert response.history(iid)[0]["payload"]["semantics"] == 2
    # due at discovery: "immediately" was "already overdue" the moment it was recorded
    assert datetime.fromisoformat(graded["initial_report_due_at"]) == datetime.fromisoformat(DISCOVERED)
    assert not {"incident_recorded_at", "initial_report_immediate", "firsts_due_at"} & set(graded)
    assert followed["level_change"] == "unchanged" and "decision_changes" not in followed
    [reevaluated] = [e for e in response.history(iid) if e["kind"] == "escalation_reevaluated"]
    assert "changes" not in reevaluated["payload"]
    _replays(response, iid)


def test_an_instance_started_under_semantics_3_is_immediate_with_a_grace(response: Any) -> None:
    iid, graded, followed = _respond(response, "RAD-S3")
    assert response.history(iid)[0]["payload"]["semantics"] == commands.SEMANTICS == 3
    assert datetime.fromisoformat(graded["incident_recorded_at"]) == T0
    assert graded["initial_report_immediate"] is True
    assert datetime.fromisoformat(graded["initial_report_due_at"]) == T0 + timedelta(minutes=60)
    assert graded["firsts_due_at"] == {} and graded["press_conference_due_at"] is None
    assert followed["level_change"] == "unchanged" and followed["decision_changes"] == []
    [reevaluated] = [e for e in response.history(iid) if e["kind"] == "escalation_reevaluated"]
    assert reevaluated["payload"]["changes"] == []
    _replays(response, iid)
