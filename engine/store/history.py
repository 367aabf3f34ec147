"""The append-only history: one event per command and per task state transition, hash-chained per instance.

``hash = sha256(prev_hash + canonical(event))``; the instance row keeps the head of its chain and the last sequence
number, so appending needs no extra read: the optimistic-lock guard on the instance row already proves they are
current.

The stored form can evolve the way SpiffWorkflow's serializer lets specs evolve: every row names its ``format``.
``CANONICAL`` maps each format to the text its hash was computed from (so an old row verifies forever), and
``UPGRADES[n]`` turns the payload of a format-``n`` event into format ``n + 1`` before replay re-executes it. A
format this code does not know is reported, never guessed at.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from engine.events import PendingEvent, json_safe

GENESIS = "0" * 64


HISTORY_FORMAT = 1
"""The format ``build_rows`` writes."""


class UnknownHistoryFormat(ValueError):
    """A row written by newer code (or corrupted): its hash cannot be recomputed here."""


def _canonical_v1(instance_id: int, seq: int, at: datetime, actor: str | None, event: PendingEvent) -> str:
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


CANONICAL: dict[int, Callable[[int, int, datetime, str | None, PendingEvent], str]] = {1: _canonical_v1}
"""Format -> the canonical text of an event in that format. Entries are never changed or removed."""

UPGRADES: dict[int, Callable[[str, dict[str, Any]], dict[str, Any]]] = {}
"""Format ``n`` -> turns an event's (kind, payload) of format ``n`` into the payload of format ``n + 1``."""


def canonical(
    instance_id: int, seq: int, at: datetime, actor: str | None, event: PendingEvent, format: int | None = None
) -> str:
    """The text an event's hash is computed from, in the event's own format (default: the current one)."""
    format = HISTORY_FORMAT if format is None else format
    form = CANONICAL.get(format)
    if form is None:
        raise UnknownHistoryFormat(f"unknown history format {format} (this code knows {sorted(CANONICAL)})")
    return form(instance_id, seq, at, actor, event)


def upgrade_payload(kind: str, payload: dict[str, Any], format: int) -> dict[str, Any]:
    """An event's payload in the current format, for replay (the stored row is never rewritten)."""
    if format not in CANONICAL:
        raise UnknownHistoryFormat(f"unknown history format {format}")
    while format < HISTORY_FORMAT:
        payload = UPGRADES[format](kind, payload)
        format += 1
    return payload


def chain(prev_hash: str, text: str) -> str:
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def build_rows(
    instance_id: int, last_seq: int, head: str, at: datetime, actor: str | None, events: list[PendingEvent]
) -> tuple[list[dict[str, Any]], int, str]:
    """Row values for ``events`` continuing the chain, with the new last sequence number and head."""
    rows = []
    format = HISTORY_FORMAT
    for event in events:
        event.payload = json_safe(event.payload)
        last_seq += 1
        digest = chain(head, canonical(instance_id, last_seq, at, actor, event, format))
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
                "format": format,
            }
        )
        head = digest
    return rows, last_seq, head


def row_to_dict(row: Row[Any]) -> dict[str, Any]:
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
