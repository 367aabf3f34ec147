"""Tamper evidence: rows edited, deleted, reordered or appended directly in the database are named by verify,
over the API and on the command line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, insert, update

from api.cli import main
from engine.events import PendingEvent
from engine.store import history
from tests.audit.conftest import H, I


def _verify(env, instance_id):
    res = env.api.get(f"/api/v1/instances/{instance_id}/history/verify", as_="auditor")
    assert res.status_code == 200, res.get_json()
    return res.get_json()


@pytest.fixture
def triage(env):
    """A triage instance run to its end (16 events) and a second, untouched one."""
    env.deploy("triage.bpmn")
    api = env.api
    inst = api.start("triage", "INC-2026-007", {"source": "hotline"}).get_json()
    record = inst["ready_tasks"][0]["id"]
    env.clock.advance(minutes=7)
    api.post(
        f"/api/v1/tasks/{record}/complete",
        as_="duty",
        json={"data": {"severity": 4, "channel": "phone", "note": "厂区排污口异常"}},
    )
    escalate = api.get(f"/api/v1/instances/{inst['id']}").get_json()["ready_tasks"][0]["id"]
    env.clock.advance(minutes=20)
    api.post(f"/api/v1/tasks/{escalate}/complete", as_="leader", json={"data": {"signed_by": "张局长"}})
    env.clock.advance(minutes=30)
    api.post(
        f"/api/v1/instances/{inst['id']}/messages",
        as_="duty",
        json={"name": "situation_update", "payload": {"trend": "稳定"}},
    )
    other = api.start("triage", "INC-2026-008").get_json()
    return inst["id"], other["id"]


def test_an_untouched_history_verifies(env, triage):
    instance_id, other = triage
    report = _verify(env, instance_id)
    events = env.history(instance_id)
    assert report == {
        "instance_id": instance_id,
        "intact": True,
        "events": len(events),
        "head_seq": events[-1]["seq"],
        "head": events[-1]["hash"],
        "problem": None,
    }
    assert _verify(env, other)["intact"] is True


def test_an_edited_payload_is_named(env, triage):
    instance_id, other = triage
    seq = env.seq_of(instance_id, "task_completed", "Task_Record")
    env.set_event(instance_id, seq, payload={"data": {"severity": 2, "channel": "phone", "note": "厂区排污口异常"}})
    report = _verify(env, instance_id)
    assert report["intact"] is False
    assert report["problem"]["seq"] == seq and report["problem"]["kind"] == "edited"
    assert "task_completed" in report["problem"]["message"]
    assert report["problem"]["expected"] == env.event(instance_id, seq).hash
    assert _verify(env, other)["intact"] is True  # chains are per instance


@pytest.mark.parametrize(
    "column, value",
    [("actor", "leader"), ("at", None), ("kind", "task_claimed"), ("element_id", "Task_Close"), ("hash", "0" * 64)],
)
def test_any_edited_column_is_named(env, triage, column, value):
    instance_id, _ = triage
    seq = env.seq_of(instance_id, "message_received")
    if column == "at":
        value = env.event(instance_id, seq).at.replace(hour=0)  # backdated
    env.set_event(instance_id, seq, **{column: value})
    problem = _verify(env, instance_id)["problem"]
    assert (problem["seq"], problem["kind"]) == (seq, "edited")


def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_next_link(env, triage):
    """A forger who also recomputes the edited row's hash still leaves the next row chained to the old one."""
    instance_id, _ = triage
    seq = env.seq_of(instance_id, "task_completed", "Task_Escalate")
    row = env.event(instance_id, seq)
    forged = PendingEvent(row.kind, {"data": {"signed_by": "李四"}}, row.element_id, row.task_id)
    digest = history.chain(row.prev_hash, history.canonical(instance_id, seq, row.at, row.actor, forged))
    env.set_event(instance_id, seq, payload=forged.payload, hash=digest)
    problem = _verify(env, instance_id)["problem"]
    assert (problem["seq"], problem["kind"]) == (seq, "edited")
    assert "rewritten" in problem["message"]
    assert (problem["expected"], problem["found"]) == (row.hash, digest)


def test_a_deleted_row_is_named(env, triage):
    instance_id, _ = triage
    seq = env.seq_of(instance_id, "task_state", "Task_Escalate")
    env.execute(delete(H).where(H.c.instance_id == instance_id, H.c.seq == seq))
    problem = _verify(env, instance_id)["problem"]
    assert (problem["seq"], problem["kind"]) == (seq, "deleted")
    assert f"event {seq} is missing" in problem["message"]


def test_a_deleted_last_row_is_named_from_the_instance_head(env, triage):
    instance_id, _ = triage
    last = env.history(instance_id)[-1]["seq"]
    env.execute(delete(H).where(H.c.instance_id == instance_id, H.c.seq == last))
    problem = _verify(env, instance_id)["problem"]
    assert (problem["seq"], problem["kind"]) == (last, "deleted")
    assert f"ends at seq {last}" in problem["message"]


def test_swapped_rows_are_named_as_reordered(env, triage):
    instance_id, _ = triage
    first = env.seq_of(instance_id, "task_completed", "Task_Escalate")
    second = first + 1
    env.set_event(instance_id, first, seq=-1)  # (instance_id, seq) is unique: swap through a free number
    env.set_event(instance_id, second, seq=first)
    env.set_event(instance_id, -1, seq=second)
    problem = _verify(env, instance_id)["problem"]
    assert (problem["seq"], problem["kind"]) == (first, "reordered")
    assert problem["found"] == str(second) and f"written as seq {second}" in problem["message"]


def test_an_appended_row_and_a_moved_head_are_named(env, triage):
    instance_id, _ = triage
    last = env.event(instance_id, env.history(instance_id)[-1]["seq"])
    forged = PendingEvent("task_completed", {"data": {}}, "Task_Close", None)
    rows, _, _ = history.build_rows(instance_id, last.seq, last.hash, last.at, "duty", [forged])
    env.execute(insert(H).values(rows))
    problem = _verify(env, instance_id)["problem"]
    assert (problem["seq"], problem["kind"]) == (last.seq + 1, "appended")

    env.execute(delete(H).where(H.c.instance_id == instance_id, H.c.seq == last.seq + 1))
    env.execute(update(I).where(I.c.id == instance_id).values(history_head="f" * 64))
    problem = _verify(env, instance_id)["problem"]
    assert (problem["seq"], problem["kind"]) == (last.seq, "head_mismatch")


def test_verify_on_the_command_line(env, triage, monkeypatch):
    instance_id, other = triage
    monkeypatch.setenv("DATABASE_URL", env.services.db.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify", "--all"])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.strip().splitlines()[-1] == "verified 2 instance(s): 2 intact, 0 broken"

    seq = env.seq_of(instance_id, "task_completed", "Task_Record")
    env.set_event(instance_id, seq, payload={"data": {"severity": 1}})
    broken = runner.invoke(main, ["audit", "verify"])  # all instances is the default
    assert broken.exit_code == 1
    lines = broken.stdout.strip().splitlines()
    assert lines[0].startswith(f"instance {instance_id}: seq {seq} edited:")
    assert lines[-1] == "verified 2 instance(s): 1 intact, 1 broken"
    assert "verifying" in broken.stderr  # the progress bar

    single = runner.invoke(main, ["audit", "verify", "--instance", str(other)])
    assert single.exit_code == 0 and single.stdout.strip() == "verified 1 instance(s): 1 intact, 0 broken"
    both = runner.invoke(main, ["audit", "verify", "--instance", str(other), "--all"])
    assert both.exit_code == 2
    unknown = runner.invoke(main, ["audit", "verify", "--instance", "999"])
    assert unknown.exit_code == 1 and "no process instance 999" in unknown.output
