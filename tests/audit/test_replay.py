"""Replay: an incident driven through the API (starts, claims, completions, rule decisions, a linked investigation,
suspend/resume, messages, a fired timer, a cancellation), its live state captured after every command, then
replayed to every event and compared; the recorded definition version is used after a redeploy; divergences are
reported at the first diverging event, never hidden."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from api.cli import main
from engine.audit.replay import decisions_from_history
from tests.audit.conftest import T0, H, I, Recorder, _replay, _view

INCIDENT = "INC-2026-042"


def _ready(env, instance_id, element_id):
    tasks = env.api.get(f"/api/v1/instances/{instance_id}").get_json()["ready_tasks"]
    return next(t["id"] for t in tasks if t["element_id"] == element_id)


@pytest.fixture
def incident(env):
    """One incident's whole history: response with grading and re-grading, the investigation it started, a missed
    reporting deadline, and a triage that was cancelled; ``Recorder`` holds the live states."""
    env.deploy("response.bpmn", "investigation.bpmn", "deadline.bpmn", "triage.bpmn")
    api, clock, rec = env.api, env.clock, Recorder(env)

    parent = rec(api.start("response", INCIDENT, {"discovered_at": "2026-03-02T09:00:00+08:00"}))["id"]
    report = _ready(env, parent, "Task_Report")
    clock.advance(minutes=3)
    rec(api.post(f"/api/v1/tasks/{report}/claim", as_="duty"))
    clock.advance(minutes=12)
    rec(api.post(f"/api/v1/tasks/{report}/complete", as_="duty", json={"data": {"deaths": 0, "heavy_metal": True}}))
    [child] = [i for i in api.get(f"/api/v1/instances?business_key={INCIDENT}").get_json() if i["parent_id"]]
    clock.advance(minutes=5)
    rec(api.post(f"/api/v1/instances/{parent}/suspend", json={"reason": "等待监测数据"}))
    clock.advance(minutes=40)
    rec(api.post(f"/api/v1/instances/{parent}/resume"))
    clock.advance(minutes=10)
    rec(
        api.post(
            f"/api/v1/tasks/{_ready(env, parent, 'Task_FollowUp')}/complete",
            as_="duty",
            json={"data": {"evacuated": 60000}},
        )
    )
    clock.advance(hours=2)
    rec(
        api.post(
            f"/api/v1/tasks/{_ready(env, child['id'], 'Task_Investigate')}/complete",
            as_="office",
            json={"data": {"cause_established": True, "responsible_dealt_with": False}},
        )
    )
    clock.advance(minutes=30)
    rec(
        api.post(
            f"/api/v1/instances/{parent}/messages",
            as_="duty",
            json={"name": "closure", "payload": {"summary": "险情解除", "deaths": 0}},
        )
    )

    clock.set(T0)
    late = rec(
        api.start("deadline", INCIDENT, {"discovered_at": "2026-03-02T09:00:00+08:00", "deadline_minutes": 120})
    )["id"]
    clock.set(T0 + timedelta(hours=2, seconds=45))  # the worker noticed 45 s late
    assert env.services.timers.run_due() == 1
    rec()
    clock.advance(minutes=5)
    rec(api.post(f"/api/v1/tasks/{_ready(env, late, 'Task_Overdue')}/complete", as_="leader", json={"data": {}}))
    clock.advance(minutes=1)
    rec(api.post(f"/api/v1/tasks/{_ready(env, late, 'Task_Report')}/complete", as_="duty", json={"data": {}}))

    triage = rec(api.start("triage", INCIDENT, {"source": "12369"}))["id"]
    clock.advance(minutes=2)
    rec(
        api.post(
            f"/api/v1/tasks/{_ready(env, triage, 'Task_Record')}/complete",
            as_="duty",
            json={"data": {"severity": 4, "channel": "written"}},
        )
    )
    clock.advance(minutes=2)
    rec(api.post(f"/api/v1/instances/{triage}/cancel", json={"reason": "重复报告"}))
    return {"parent": parent, "child": child["id"], "late": late, "triage": triage, "recorder": rec}


def test_replay_to_every_event_matches_the_state_captured_live(env, incident):
    rec = incident["recorder"]
    kinds = set()
    for instance_id, captures in rec.captures.items():
        last = captures[-1][0]
        assert last == len(env.history(instance_id))
        for seq in range(1, last + 1):
            res = _replay(env, instance_id, seq)
            assert res.status_code == 200, (instance_id, seq, res.get_json())
            body = res.get_json()
            assert body["consistent"] is True and body["divergence"] is None, (instance_id, seq, body["divergence"])
            assert body["checked_end"] is (seq == last)
            state = body["state"]
            assert state["seq"] >= seq and state["business_key"] == INCIDENT
            assert _view(state) == rec.expected(instance_id, seq), (instance_id, seq)
            assert state["escalation"] == state["data"].get("escalation")
        kinds |= {e["kind"] for e in env.history(instance_id)}
    # the history exercised every kind of command and consequence replay knows
    assert kinds >= {
        "instance_started",
        "task_claimed",
        "task_completed",
        "instance_suspended",
        "instance_resumed",
        "message_received",
        "timer_due",
        "instance_cancelled",
        "task_state",
        "timer_fired",
        "escalation_evaluated",
        "escalation_reevaluated",
        "linked_instance_started",
    }


def test_replay_shows_the_incident_at_key_moments(env, incident):
    parent, child, late = incident["parent"], incident["child"], incident["late"]
    graded = env.seq_of(parent, "escalation_evaluated")
    state = _replay(env, parent, graded).get_json()["state"]
    assert state["escalation"]["level"] == "IV" and state["escalation"]["treat_as_major_for_reporting"] is True
    assert state["linked_instances"] == [
        {
            "instance_id": child,
            "definition_key": "investigation_accountability",
            "link_kind": "investigation",
            "element_id": "Svc_Investigate",
            "seq": env.seq_of(parent, "linked_instance_started"),
        }
    ]
    regraded = env.seq_of(parent, "escalation_reevaluated")
    state = _replay(env, parent, regraded).get_json()["state"]
    assert state["data"]["level_change"] == "raised" and state["escalation"]["level"] != "IV"
    suspended = env.seq_of(parent, "instance_suspended")
    assert _replay(env, parent, suspended).get_json()["state"]["status"] == "suspended"
    claimed = env.seq_of(parent, "task_claimed")
    assert _replay(env, parent, claimed).get_json()["state"]["ready_tasks"][0]["assignee"] == "duty"

    fired = env.seq_of(late, "timer_due")
    tasks = _replay(env, late, fired).get_json()["state"]["ready_tasks"]
    assert [t["element_id"] for t in tasks] == ["Task_Report", "Task_Overdue"]
    assert tasks[0]["due_at"] == "2026-03-02T03:00:00+00:00"

    whole = _replay(env, parent).get_json()
    assert whole["to"] == whole["last_seq"] == len(env.history(parent)) and whole["checked_end"] is True
    assert whole["state"]["status"] == "completed" and whole["consistent"] is True


def test_replay_creates_nothing(env, incident):
    def counts():
        with env.services.db.connect() as conn:
            return [
                conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (I, H, I.metadata.tables["task"], I.metadata.tables["timer"])
            ]

    before = counts()
    for instance_id in incident["recorder"].captures:
        assert _replay(env, instance_id).get_json()["consistent"] is True
    assert counts() == before


def test_replay_uses_the_recorded_definition_version(env, triage_xml):
    """Version 2 escalates only from severity 5: the version-1 instance must still take the severity-4 path."""
    env.deploy("triage.bpmn")
    api = env.api
    old = api.start("triage", "INC-OLD").get_json()
    v2 = triage_xml.replace(b"severity &gt;= 3", b"severity &gt;= 5").replace(
        'name="领导签发升级"'.encode(), 'name="领导签发"'.encode()
    )
    assert api.deploy(v2).get_json()["version"] == 2
    env.clock.advance(minutes=10)
    data = {"data": {"severity": 4, "channel": "phone"}}
    assert api.post(f"/api/v1/tasks/{old['ready_tasks'][0]['id']}/complete", as_="duty", json=data).status_code == 200
    new = api.start("triage", "INC-NEW").get_json()
    api.post(f"/api/v1/tasks/{new['ready_tasks'][0]['id']}/complete", as_="duty", json=data)

    replayed = _replay(env, old["id"]).get_json()
    assert replayed["consistent"] is True, replayed["divergence"]
    state = replayed["state"]
    assert (state["definition_key"], state["definition_version"]) == ("triage", 1)
    assert [(t["element_id"], t["name"]) for t in state["ready_tasks"]] == [("Task_Escalate", "领导签发升级")]
    newer = _replay(env, new["id"]).get_json()
    assert newer["consistent"] is True and newer["state"]["definition_version"] == 2
    assert [t["element_id"] for t in newer["state"]["ready_tasks"]] == ["Task_Monitor"]


def test_an_altered_command_is_reported_at_the_first_diverging_event(env, incident, monkeypatch):
    """Severity 4 recorded as 1: the gateway now takes the other branch; replay names the first event that
    differs, and the command line exits 1 naming it."""
    triage = incident["triage"]
    seq = env.seq_of(triage, "task_completed", "Task_Record")
    row = env.event(triage, seq)
    env.set_event(triage, seq, payload={"data": {**row.payload["data"], "severity": 1}})
    history = env.history(triage)
    first_diff = next(
        e["seq"] for e in history if e["seq"] > seq and e["kind"] == "task_state" and e["element_id"] == "Task_Record"
    )  # its data_delta now differs
    body = _replay(env, triage).get_json()
    assert body["consistent"] is False
    divergence = body["divergence"]
    assert divergence["seq"] == first_diff and divergence["kind"] == "event_mismatch"
    assert "data_delta.severity" in divergence["message"]
    assert body["state"] is not None  # the commands still ran: the state they produce is shown beside the problem
    assert body["checked_end"] is False  # the first divergence is the one reported
    assert _replay(env, triage, seq - 1).get_json()["consistent"] is True  # before the altered command: fine

    monkeypatch.setenv("DATABASE_URL", env.services.db.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    one = runner.invoke(main, ["audit", "replay", str(triage)])
    assert one.exit_code == 1
    assert one.stdout.splitlines()[0].startswith(f"instance {triage}: diverges at seq {first_diff} (event_mismatch)")
    everything = runner.invoke(main, ["audit", "replay", "--all"])
    assert everything.exit_code == 1, everything.output
    assert everything.stdout.strip().splitlines()[-1] == (
        f"replayed {len(incident['recorder'].captures)} instance(s): {len(incident['recorder'].captures) - 1} "
        "reproduce their stored state, 1 diverge"
    )
    assert "replaying" in everything.stderr
    assert runner.invoke(main, ["audit", "replay"]).exit_code == 2  # an id or --all


def test_a_tampered_snapshot_is_reported(env, incident):
    late = incident["late"]
    with env.services.db.connect() as conn:
        snapshot = json.loads(conn.execute(select(I.c.snapshot).where(I.c.id == late)).scalar_one())
    root = snapshot["tasks"][snapshot["root"]]
    root["data"]["report_due_at"] = "2026-03-02T23:00:00+08:00"
    env.execute(update(I).where(I.c.id == late).values(snapshot=json.dumps(snapshot)))
    body = _replay(env, late).get_json()
    divergence = body["divergence"]
    assert divergence["kind"] == "snapshot" and divergence["seq"] == body["last_seq"]
    assert "report_due_at" in divergence["message"]
    assert _replay(env, late, body["last_seq"] - 1).get_json()["consistent"] is True  # no end check mid-way


def test_a_tampered_status_and_task_row_are_reported(env, incident):
    late, triage = incident["late"], incident["triage"]
    env.execute(update(I).where(I.c.id == late).values(status="running"))
    assert _replay(env, late).get_json()["divergence"]["kind"] == "status"
    task = I.metadata.tables["task"]
    env.execute(
        update(task).where(task.c.instance_id == triage, task.c.element_id == "Task_Escalate").values(state="READY")
    )
    assert _replay(env, triage).get_json()["divergence"]["kind"] == "task_rows"


def test_a_tampered_rule_decision_is_reported(env, incident):
    parent = incident["parent"]
    seq = env.seq_of(parent, "escalation_evaluated")
    row = env.event(parent, seq)
    env.set_event(parent, seq, payload={**row.payload, "decision": {**row.payload["decision"], "level": "I"}})
    divergence = _replay(env, parent).get_json()["divergence"]
    if decisions_from_history():  # the tampered decision is used, so what it caused no longer matches
        assert divergence["seq"] > seq
    else:  # re-evaluated: the rules decide IV again
        assert (divergence["seq"], divergence["kind"]) == (seq, "decision")
        assert "decision.level" in divergence["message"] and 'recorded "I"' in divergence["message"]


def test_a_linked_instance_that_was_not_started_as_announced_is_reported(env, incident):
    parent, child = incident["parent"], incident["child"]
    row = env.event(child, 1)
    env.set_event(child, 1, payload={**row.payload, "data": {**row.payload["data"], "deaths": 3}})
    divergence = _replay(env, parent).get_json()["divergence"]
    assert divergence["kind"] == "linked_instance"
    assert divergence["seq"] == env.seq_of(parent, "linked_instance_started")
    assert f"linked instance {child}" in divergence["message"]


def test_a_command_that_cannot_run_again_stops_replay_there(env, incident):
    late = incident["late"]
    seq = env.seq_of(late, "task_completed", "Task_Overdue")
    env.set_event(late, seq, task_id="00000000-0000-5000-8000-000000000000")
    stopped = _replay(env, late, seq)
    assert stopped.status_code == 409
    error = stopped.get_json()["error"]
    assert error["code"] == "replay_diverged" and error["details"]["seq"] == seq
    assert error["details"]["kind"] == "command_failed" and "does not exist" in error["message"]
    assert _replay(env, late, seq - 1).status_code == 200


def test_replay_answers_4xx_for_what_cannot_be_replayed(env, incident):
    parent = incident["parent"]
    last = len(env.history(parent))
    for bad in (0, last + 1, "x"):
        res = _replay(env, parent, bad)
        assert res.status_code == 422, (bad, res.get_json())
        assert "to" in res.get_json()["error"]["details"]
    assert _replay(env, 9999).status_code == 404
    assert _replay(env, parent, as_="duty").status_code == 403
    assert _replay(env, parent, as_="admin").status_code == 200


@pytest.fixture
def decisions_hook(monkeypatch):
    """Counts the times the rules in force are asked (``RulesetService.decide``);
    ``engine.runtime.service_tasks._decide`` consults ``CommandContext.decisions`` first, so replay should ask them
    nothing."""
    from engine.runtime.rulesets import RulesetService

    asked = []
    rules_decide = RulesetService.decide

    def decide(self, facts, *args, **kwargs):
        asked.append(facts)
        return rules_decide(self, facts, *args, **kwargs)

    monkeypatch.setattr(RulesetService, "decide", decide)
    return asked


def test_with_the_hook_replay_uses_the_recorded_decisions_not_todays_rules(env, incident, decisions_hook, monkeypatch):
    parent = incident["parent"]
    assert _replay(env, parent).get_json()["consistent"] is True
    assert decisions_hook == []  # replay asked the rules nothing

    # with no rules to ask at all (a ruleset retired since), the recorded decisions still replay
    def no_rules(facts):
        raise AssertionError("replay asked the rules")

    monkeypatch.setattr("rules.decide", no_rules)
    monkeypatch.setattr("engine.runtime.rulesets.RulesetService.decide", lambda self, facts, *a, **k: no_rules(facts))
    body = _replay(env, parent).get_json()
    assert body.get("consistent") is True, body
    regraded = next(e for e in env.history(parent) if e["kind"] == "escalation_reevaluated")
    assert body["state"]["escalation"] == regraded["payload"]["new"]

    # a decision is valid only for the facts it was made on
    seq = env.seq_of(parent, "escalation_reevaluated")
    row = env.event(parent, seq)
    env.set_event(parent, seq, payload={**row.payload, "facts": {**row.payload["facts"], "evacuated": 3}})
    stopped = _replay(env, parent)  # without a valid decision the command cannot run again: replay stops there
    assert stopped.status_code == 409
    divergence = stopped.get_json()["error"]["details"]
    assert (divergence["seq"], divergence["kind"]) == (seq, "decision")
    assert "facts given to the rules at Svc_Regrade differ" in divergence["message"]
    assert divergence["recorded"]["evacuated"] == 3 and divergence["replayed"]["evacuated"] == 60000
