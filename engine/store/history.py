"""The append-only history: one event per command and per task state transition, hash-chained per instance.

``hash = sha256(prev_hash + canonical(event))``; the instance row keeps the head of its chain and the last sequence
number, so appending needs no extra read: the optimistic-lock guard on the instance row already proves they are
current.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from engine.events import PendingEvent, json_safe
from engine.store.models import HistoryEvent

GENESIS = "0" * 64


def canonical(instance_id: int, seq: int, at: datetime, actor: str | None, event: PendingEvent) -> str:
    return json.dumps(
        {
            "instance_id": instance_id,
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "kind": event.kind,
            "element_id": event.element_id,
            "task_id": event.task_id,
            "payload": event.payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain(prev_hash: str, text: str) -> str:
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def build_rows(
    instance_id: int, last_seq: int, head: str, at: datetime, actor: str | None, events: list[PendingEvent]
) -> tuple[list[dict[str, Any]], int, str]:
    """Row values for ``events`` continuing the chain, with the new last sequence number and head."""
    rows = []
    for event in events:
        event.payload = json_safe(event.payload)
        last_seq += 1
        digest = chain(head, canonical(instance_id, last_seq, at, actor, event))
        rows.append(
            {
                "instance_id": instance_id,
                "seq": last_seq,
                "at": at,
                "actor": actor,
                "kind": event.kind,
                "element_id": event.element_id,
                "task_id": event.task_id,
                "payload": event.payload,
                "prev_hash": head,
                "hash": digest,
            }
        )
        head = digest
    return rows, last_seq, head


def row_to_dict(row: HistoryEvent) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "kind": row.kind,
        "element_id": row.element_id,
        "task_id": row.task_id,
        "payload": row.payload,
        "hash": row.hash,
    }
