"""Stored formats evolve without breaking what was stored: snapshots migrate step by step, history events keep
the format their hash was made in, and anything in a format this code does not know is reported, never guessed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from engine.bpmn import snapshot
from engine.events import PendingEvent
from engine.store import history
from tests.audit.conftest import H, I


@pytest.fixture
def triage(env):
    env.deploy("triage.bpmn")
    inst = env.api.start("triage", "INC-2026-101", {"source": "hotline"}).get_json()
    record = inst["ready_tasks"][0]["id"]
    env.clock.advance(minutes=5)
    res = env.api.post(
        f"/api/v1/tasks/{record}/complete", as_="duty", json={"data": {"severity": 4, "channel": "phone"}}
    )
    assert res.status_code == 200, res.get_json()
    return inst["id"]


def _verify(env, instance_id):
    res = env.api.get(f"/api/v1/instances/{instance_id}/history/verify", as_="auditor")
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def _replay(env, instance_id):
    res = env.api.get(f"/api/v1/instances/{instance_id}/replay", as_="auditor")
    assert res.status_code == 200, res.get_json()
    return res.get_json()


# -------------------------------------------------------------------------------------------------- snapshots
def test_a_snapshot_is_written_in_the_current_format_and_migrated_step_by_step(env, triage, monkeypatch):
    with env.services.db.connect() as conn:
        stored = json.loads(conn.execute(select(I.c.snapshot).where(I.c.id == triage)).scalar_one())
    assert stored["format"] == snapshot.SNAPSHOT_FORMAT == 1

    calls = []

    def one_to_two(dct):
        calls.append(1)
        dct["renamed_root"] = dct.pop("root")
        return dct

    def two_to_three(dct):
        calls.append(2)
        dct["root"] = dct.pop("renamed_root")
        return dct

    monkeypatch.setattr(snapshot, "SNAPSHOT_FORMAT", 3)
    monkeypatch.setitem(snapshot.MIGRATIONS, 1, one_to_two)
    monkeypatch.setitem(snapshot.MIGRATIONS, 2, two_to_three)
    migrated = snapshot.migrate(dict(stored))
    assert calls == [1, 2] and "format" not in migrated and migrated["root"] == stored["root"]
    # a command on the instance now restores the format-1 snapshot through both steps and goes on
    env.forget_cache()
    ready = env.api.get(f"/api/v1/instances/{triage}").get_json()["ready_tasks"][0]
    res = env.api.post(f"/api/v1/tasks/{ready['id']}/complete", as_="leader", json={"data": {"signed_by": "张局长"}})
    assert res.status_code == 200, res.get_json()
    assert calls == [1, 2, 1, 2]


@pytest.mark.parametrize("version", [None, 0, 2, "1"])
def test_a_snapshot_in_an_unknown_format_is_refused(version):
    dct = {"tasks": {}, "root": "x"} | ({} if version is None else {"format": version})
    with pytest.raises(snapshot.SnapshotFormatError, match=r"unknown snapshot format|no migration"):
        snapshot.migrate(dct)


# ---------------------------------------------------------------------------------------------------- history
def test_history_rows_name_the_format_their_hash_was_made_in(env, triage):
    with env.services.db.connect() as conn:
        formats = set(conn.execute(select(H.c.format).where(H.c.instance_id == triage)).scalars())
    assert formats == {history.HISTORY_FORMAT} == {1}


def test_an_event_in_an_unknown_format_is_reported_not_guessed(env, triage):
    events = len(env.history(triage))
    env.set_event(triage, 3, format=99)
    report = _verify(env, triage)
    assert report["intact"] is False
    assert (report["problem"]["seq"], report["problem"]["kind"]) == (3, "unknown_format")
    assert "format 99" in report["problem"]["message"]
    res = env.api.get(f"/api/v1/instances/{triage}/replay", as_="auditor")
    assert res.status_code == 409  # the command that event 3 belongs to cannot be re-executed and compared
    error = res.get_json()["error"]
    assert error["code"] == "replay_diverged" and events > 3
    assert (error["details"]["seq"], error["details"]["kind"]) == (3, "unknown_event")
    assert "format 99" in error["message"]


def test_a_new_history_format_keeps_old_events_verifying_and_upgrades_them_for_replay(env, triage, monkeypatch):
    """Format 2 renames task_completed's "data" to "values": old rows keep their format-1 hashes, new rows are
    written in format 2, the chain spans both, and replay re-executes the old commands through the upgrade."""
    upgraded = []

    def canonical_v2(instance_id, seq, at, actor, event):
        return "v2:" + history.CANONICAL[1](instance_id, seq, at, actor, event)

    def upgrade_1_to_2(kind, payload):
        upgraded.append(kind)
        return payload  # the payload shape is unchanged by this (test) format; the upgrade path is what is tested

    monkeypatch.setitem(history.CANONICAL, 2, canonical_v2)
    monkeypatch.setitem(history.UPGRADES, 1, upgrade_1_to_2)
    monkeypatch.setattr(history, "HISTORY_FORMAT", 2)
    before = len(env.history(triage))
    ready = env.api.get(f"/api/v1/instances/{triage}").get_json()["ready_tasks"][0]
    env.clock.advance(minutes=3)
    res = env.api.post(f"/api/v1/tasks/{ready['id']}/complete", as_="leader", json={"data": {"signed_by": "张局长"}})
    assert res.status_code == 200, res.get_json()
    with env.services.db.connect() as conn:
        rows = conn.execute(select(H.c.seq, H.c.format).where(H.c.instance_id == triage).order_by(H.c.seq)).all()
    assert {f for s, f in rows if s <= before} == {1} and {f for s, f in rows if s > before} == {2}
    assert _verify(env, triage)["intact"] is True
    upgraded.clear()
    body = _replay(env, triage)
    assert body["consistent"] is True, body["divergence"]
    assert len(upgraded) == before and "task_completed" in upgraded  # every format-1 event went through it

    # a format-2 row edited after the fact is still caught, with its own canonical form
    last = rows[-1][0]
    env.execute(update(H).where(H.c.instance_id == triage, H.c.seq == last).values(actor="mallory"))
    report = _verify(env, triage)
    assert (report["problem"]["seq"], report["problem"]["kind"]) == (last, "edited")


def test_the_format_1_canonical_form_is_frozen():
    """Changing how format 1 is hashed would break every stored chain: this pins it."""
    from datetime import UTC, datetime

    text = history.canonical(
        7,
        3,
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "duty",
        PendingEvent("task_completed", {"b": 1, "a": "甲"}, "T", "x"),
    )
    assert text == (
        '{"actor":"duty","at":"2026-01-02T03:04:05.000006+00:00","element_id":"T","instance_id":7,"kind":'
        '"task_completed","payload":{"a":"甲","b":1},"seq":3,"task_id":"x"}'
    )
