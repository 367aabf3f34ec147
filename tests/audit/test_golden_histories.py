"""Golden histories: what older code wrote must keep verifying and replaying byte for byte.

``tests/golden/histories/*.json`` hold the rows an earlier version of the engine wrote for representative instances
(the small fixtures and the three bundled procedures; see ``tests/golden/record.py``, never re-run casually). Each
file is inserted as recorded into a fresh migrated database, on SQLite and on PostgreSQL, and then:

(a) every instance's hash chain verifies;
(b) replaying its whole history is consistent, including the comparison with the stored end state;
(c) byte for byte: the snapshot replay produces is exactly the stored snapshot string, and every event's hash
    computed again from its fields is exactly the stored hash, chained from the first event to the instance's head.

A golden file with one payload value changed must fail, and so must one whose snapshot text differs only in layout.
Engine internals are reached only through ``tests/golden/loader.py``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.golden.loader import (
    FIRST_PREV_HASH,
    SECTIONS,
    golden_files,
    insert_golden,
    opened,
    plain_rows,
    read_golden,
    read_tables,
    recompute_hash,
)

GOLDEN = golden_files()
# what the recorded histories must cover between them (a file that went missing shows up here)
EXPECTED_FILES = {"triage", "timers", "loop", "procedures"}
EXPECTED_KINDS = {
    "instance_started",
    "task_completed",
    "task_state",
    "task_claimed",
    "message_received",
    "timer_due",
    "timer_fired",
    "instance_suspended",
    "instance_resumed",
    "instance_cancelled",
    "escalation_evaluated",
    "escalation_reevaluated",
    "linked_instance_started",
}
EXPECTED_DEFINITIONS = {
    "triage",
    "two_timers",
    "deadline",
    "loop_n",
    "five_firsts",
    "investigation_accountability",
    "plan_revision",
}


@pytest.fixture(params=GOLDEN, ids=lambda path: path.stem)
def golden(request: pytest.FixtureRequest) -> dict[str, Any]:
    return read_golden(request.param)


def events_of(golden: dict[str, Any], instance_id: int) -> list[dict[str, Any]]:
    return sorted((e for e in golden["history_events"] if e["instance_id"] == instance_id), key=lambda e: e["seq"])


def first_difference(a: str, b: str) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"lengths {len(a)} / {len(b)}, first difference at character {at}: {a[at : at + 60]!r} / {b[at : at + 60]!r}"


def check_golden(database_url: str, golden: dict[str, Any]) -> None:
    """Load ``golden`` into the empty database and check (a), (b) and (c) for every instance in it."""
    insert_golden(database_url, golden)

    stored = read_tables(database_url)
    for section, _ in SECTIONS:  # in the database exactly as recorded (key order of JSON values included)
        recorded = plain_rows(golden, section)
        columns = list(recorded[0]) if recorded else []  # columns added by later migrations are checked below
        now = [{name: row[name] for name in columns} for row in plain_rows(stored, section)]
        assert json.dumps(now) == json.dumps(recorded), section
    # written before events named their format: they read back as format 1, the format their hashes were made in
    assert {row["format"] for row in plain_rows(stored, "history_events")} == {1}
    for definition in plain_rows(golden, "definitions"):
        assert hashlib.sha256(definition["bpmn_xml"].encode("utf-8")).hexdigest() == definition["sha256"]

    with opened(database_url) as db:
        assert db.instance_ids() == [i["id"] for i in golden["instances"]]
        for instance in golden["instances"]:
            iid, events = instance["id"], events_of(golden, instance["id"])

            chain = db.verify(iid)  # (a)
            assert chain.intact, f"hash chain of instance {iid} broken at seq {chain.problem_seq}: {chain.message}"
            assert chain.events == len(events) == instance["history_seq"]

            replay = db.replay(iid)  # (b)
            assert replay.consistent, f"replay of instance {iid} diverges: {replay.divergence}"
            assert replay.checked_end and replay.last_seq == instance["history_seq"], replay

            assert replay.snapshot == instance["snapshot"], (  # (c)
                f"replayed snapshot of instance {iid} differs from the stored one: "
                f"{first_difference(instance['snapshot'], replay.snapshot or '')}"
            )
            prev = FIRST_PREV_HASH
            for event in events:
                assert event["prev_hash"] == prev, f"instance {iid} event {event['seq']}: prev_hash is not the chain"
                assert recompute_hash(iid, event) == event["hash"], f"hash of instance {iid} event {event['seq']}"
                prev = event["hash"]
            assert prev == instance["history_head"], f"instance {iid}: last hash is not the history head"


def test_golden_files_cover_the_commands_and_procedures() -> None:
    assert {path.stem for path in GOLDEN} >= EXPECTED_FILES
    goldens = [read_golden(path) for path in GOLDEN]
    kinds = {e["kind"] for g in goldens for e in g["history_events"]}
    assert kinds >= EXPECTED_KINDS, EXPECTED_KINDS - kinds
    assert {d["key"] for g in goldens for d in g["definitions"]} >= EXPECTED_DEFINITIONS
    statuses = {i["status"] for g in goldens for i in g["instances"]}
    assert statuses >= {"running", "completed", "cancelled"}
    assert any(i["parent_id"] for g in goldens for i in g["instances"])  # linked instances (process.start)
    assert any(t["fired_at"] for g in goldens for t in g["timers"])
    assert any(t["cancelled_at"] for g in goldens for t in g["timers"])
    for golden in goldens:
        assert golden["instances"] and all(i["history_seq"] > 0 for i in golden["instances"]), golden["name"]


def test_golden_history_verifies_and_replays_byte_for_byte(database_url: str, golden: dict[str, Any]) -> None:
    check_golden(database_url, golden)


# ------------------------------------------------------------------------------------------- the test can fail
def _change_one_value(value: Any) -> tuple[bool, Any]:
    """``value`` with its first scalar (depth first) changed; False when it holds none."""
    if isinstance(value, dict):
        for key, item in value.items():
            changed, new = _change_one_value(item)
            if changed:
                return True, {**value, key: new}
        return False, value
    if isinstance(value, list):
        for index, item in enumerate(value):
            changed, new = _change_one_value(item)
            if changed:
                return True, [*value[:index], new, *value[index + 1 :]]
        return False, value
    if isinstance(value, bool):
        return True, not value
    if isinstance(value, int | float):
        return True, value + 1
    if isinstance(value, str):
        return True, value + "（改）"
    if value is None:
        return True, "tampered"
    raise TypeError(f"not a JSON value: {value!r}")


def test_a_golden_file_with_one_payload_value_changed_fails(database_url: str, golden: dict[str, Any]) -> None:
    tampered = copy.deepcopy(golden)
    candidates = [e for e in tampered["history_events"] if _change_one_value(e["payload"])[0]]
    event = candidates[len(candidates) // 2]
    changed, event["payload"] = _change_one_value(event["payload"])
    assert changed

    with pytest.raises(AssertionError, match=f"hash chain of instance {event['instance_id']} broken"):
        check_golden(database_url, tampered)
    with opened(database_url) as db:
        chain = db.verify(event["instance_id"])
    assert not chain.intact
    assert (chain.problem_seq, chain.problem_kind) == (event["seq"], "edited"), chain.message


def test_a_stored_snapshot_that_differs_only_in_layout_fails(database_url: str) -> None:
    """Replay's own end check compares the parsed snapshots; the golden test compares their bytes."""
    [path] = [p for p in GOLDEN if p.stem == "triage"]
    tampered = read_golden(Path(path))
    instance = tampered["instances"][0]
    instance["snapshot"] = json.dumps(json.loads(instance["snapshot"]), ensure_ascii=False, indent=1)

    with pytest.raises(AssertionError, match=f"replayed snapshot of instance {instance['id']} differs"):
        check_golden(database_url, tampered)
    with opened(database_url) as db:
        replay = db.replay(instance["id"])
    assert replay.consistent and replay.checked_end  # the content is the same ...
    assert replay.snapshot != instance["snapshot"]  # ... the bytes are not
