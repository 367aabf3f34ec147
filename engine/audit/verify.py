"""Tamper evidence: walk an instance's hash chain again and name the first event that no longer fits.

Every history row carries ``prev_hash`` and ``hash = sha256(prev_hash + canonical(event))`` (``engine.store.history``)
and the instance row keeps the head of the chain (``history_seq``, ``history_head``). Recomputing the chain tells
apart what was done to the table directly:

* an **edited** row no longer hashes to its own ``hash`` (and a row rewritten with a recomputed hash breaks the
  link of the row after it);
* a **deleted** row leaves a gap in ``seq`` — or, if it was the last one, a chain shorter than the instance row
  says;
* **reordered** rows (sequence numbers swapped) hash correctly only under the number they were written with, so
  the number they were written with is named;
* rows **appended** outside a command make the chain longer than the instance row says.

Without an anchor outside the database, someone who rewrites a whole chain *and* the instance row's head cannot be
detected here; publishing the heads elsewhere (a signed daily checkpoint) would close that gap.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.errors import NotFound
from engine.events import PendingEvent
from engine.store import tables as t
from engine.store.db import Database
from engine.store.history import CANONICAL, GENESIS, HISTORY_FORMAT, canonical, chain

EDITED, DELETED, REORDERED, APPENDED, HEAD_MISMATCH = "edited", "deleted", "reordered", "appended", "head_mismatch"
UNKNOWN_FORMAT = "unknown_format"
PROBLEM_KINDS = (EDITED, DELETED, REORDERED, APPENDED, HEAD_MISMATCH, UNKNOWN_FORMAT)

_H = t.history
_I = t.instances
STORED_EVENT_COLUMNS = (
    _H.c.seq,
    _H.c.at,
    _H.c.actor,
    _H.c.kind,
    _H.c.element_id,
    _H.c.task_id,
    _H.c.payload,
    _H.c.prev_hash,
    _H.c.hash,
    _H.c.format,
)
"""The columns a ``StoredEvent`` is read from (verification and replay read history the same way)."""


@dataclass(frozen=True)
class StoredEvent:
    """A history row exactly as the table holds it (what the chain is recomputed from)."""

    seq: int
    at: datetime
    actor: str | None
    kind: str
    element_id: str | None
    task_id: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    format: int = HISTORY_FORMAT

    @classmethod
    def of(cls, row: Any) -> StoredEvent:
        return cls(
            row.seq,
            row.at,
            row.actor,
            row.kind,
            row.element_id,
            row.task_id,
            row.payload,
            row.prev_hash,
            row.hash,
            row.format,
        )

    def digest(self, instance_id: int, seq: int | None = None) -> str:
        """The hash this row would have if it had been written as event ``seq`` (default: its own)."""
        event = PendingEvent(self.kind, self.payload, self.element_id, self.task_id)
        return chain(
            self.prev_hash,
            canonical(instance_id, self.seq if seq is None else seq, self.at, self.actor, event, self.format),
        )


@dataclass(frozen=True)
class ChainProblem:
    """The first broken link: which event, what kind of tampering it looks like, and the evidence."""

    seq: int
    kind: str
    message: str
    expected: str | None = None  # the hash (or sequence number) the chain requires here
    found: str | None = None  # what the table holds instead


@dataclass(frozen=True)
class ChainReport:
    instance_id: int
    events: int
    head_seq: int
    head: str
    problem: ChainProblem | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None


def check_chain(instance_id: int, events: Sequence[StoredEvent], head_seq: int, head: str) -> ChainReport:
    """Recompute the chain of ``events`` (ordered by ``seq``) against the instance row's head."""
    problem = _first_problem(instance_id, events, head_seq, head)
    return ChainReport(instance_id, len(events), head_seq, head, problem)


def _first_problem(instance_id: int, events: Sequence[StoredEvent], head_seq: int, head: str) -> ChainProblem | None:
    by_hash = {e.hash: e for e in events}
    prev, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                missing = f"{expected_seq}" if event.seq == expected_seq + 1 else f"{expected_seq}–{event.seq - 1}"
                return ChainProblem(
                    expected_seq,
                    DELETED,
                    f"event {missing} is missing: deleted from the history (the next stored event is seq {event.seq})",
                    str(expected_seq),
                    str(event.seq),
                )
            return ChainProblem(
                event.seq,
                REORDERED,
                f"event stored as seq {event.seq} is out of sequence",
                str(expected_seq),
                str(event.seq),
            )
        if event.format not in CANONICAL:
            return ChainProblem(
                event.seq,
                UNKNOWN_FORMAT,
                f"event {event.seq} ({event.kind}) names history format {event.format}, which this code does not "
                f"know (it knows {sorted(CANONICAL)}): its hash cannot be checked",
                str(HISTORY_FORMAT),
                str(event.format),
            )
        content_ok = event.digest(instance_id) == event.hash
        if content_ok and event.prev_hash == prev:
            prev, expected_seq = event.hash, expected_seq + 1
            continue
        if not content_ok:
            written_as = _written_as(instance_id, event, len(events) + head_seq + 1)
            if written_as is not None:
                return ChainProblem(
                    event.seq,
                    REORDERED,
                    f"event stored as seq {event.seq} ({event.kind}) was "
                    f"written as seq {written_as}: rows were reordered",
                    str(event.seq),
                    str(written_as),
                )
            return ChainProblem(
                event.seq,
                EDITED,
                f"event {event.seq} ({event.kind}) was changed after it was "
                "written: its content no longer matches its hash",
                event.hash,
                event.digest(instance_id),
            )
        # the row is intact but is not chained to the row before it
        predecessor = by_hash.get(event.prev_hash)
        if predecessor is not None:
            return ChainProblem(
                event.seq,
                REORDERED,
                f"event {event.seq} ({event.kind}) was chained after "
                f"seq {predecessor.seq}, not after seq {event.seq - 1}: rows were reordered",
                prev,
                event.prev_hash,
            )
        if event.seq == 1:
            return ChainProblem(
                1, EDITED, "event 1 is not chained to the start of the history", GENESIS, event.prev_hash
            )
        return ChainProblem(
            event.seq - 1,
            EDITED,
            f"event {event.seq - 1} was rewritten (with a recomputed hash): "
            f"event {event.seq} was chained to a different event {event.seq - 1}",
            event.prev_hash,
            prev,
        )
    last = expected_seq - 1
    if head_seq > last:
        missing = f"{last + 1}" if head_seq == last + 1 else f"{last + 1}–{head_seq}"
        return ChainProblem(
            last + 1,
            DELETED,
            f"event {missing} is missing: the instance's history ends at seq {head_seq}, the table at seq {last}",
            str(head_seq),
            str(last),
        )
    if head_seq < last:
        return ChainProblem(
            head_seq + 1,
            APPENDED,
            f"events {head_seq + 1}–{last} were appended outside a command: "
            f"the instance's history ends at seq {head_seq}",
            str(head_seq),
            str(last),
        )
    if head != prev:
        return ChainProblem(
            last,
            HEAD_MISMATCH,
            f"the instance row's history head does not match event {last}'s "
            "hash: the instance row or the end of the history was rewritten",
            head,
            prev,
        )
    return None


def _written_as(instance_id: int, event: StoredEvent, limit: int) -> int | None:
    """The sequence number under which an edited-looking row hashes correctly, if any (it was moved)."""
    for seq in range(1, limit + 1):
        if seq != event.seq and event.digest(instance_id, seq) == event.hash:
            return seq
    return None


class ChainVerifier:
    """Reads chains from the database; one read transaction per instance."""

    def __init__(self, db: Database):
        self.db = db

    def verify(self, instance_id: int) -> ChainReport:
        with self.db.connect() as conn:
            head = conn.execute(select(_I.c.history_seq, _I.c.history_head).where(_I.c.id == instance_id)).first()
            if head is None:
                raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
            rows = conn.execute(
                select(*STORED_EVENT_COLUMNS).where(_H.c.instance_id == instance_id).order_by(_H.c.seq)
            ).all()
        return check_chain(instance_id, [StoredEvent.of(r) for r in rows], head.history_seq, head.history_head)

    def instance_ids(self) -> list[int]:
        with self.db.connect() as conn:
            return list(conn.execute(select(_I.c.id).order_by(_I.c.id)).scalars())

    def count(self) -> int:
        with self.db.connect() as conn:
            return conn.execute(select(func.count()).select_from(_I)).scalar_one()

    def verify_all(self) -> Iterator[ChainReport]:
        for instance_id in self.instance_ids():
            yield self.verify(instance_id)
