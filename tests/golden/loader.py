"""Everything the golden-history tests take from the engine, in one place.

The engine's modules are about to move (``engine.replay`` may become ``engine.audit.replay`` and so on). When they
do, only the imports and the few calls in this module change; the golden files under ``histories/`` and
``tests/audit/test_golden_histories.py`` stay exactly as they are.

A golden file (``histories/*.json``) holds the rows that today's engine wrote for a few instances, column by
column, datetimes as ISO strings with their offset:

* ``definitions`` — ``process_definition`` rows (key, version, sha256, the exact BPMN XML — gzip+base64, since the
  bundled diagrams alone would make the files several times larger — ...),
* ``rulesets`` — ``ruleset`` rows deployed when the history was recorded,
* ``instances`` — ``process_instance`` rows (snapshot, seed, data, history_seq, history_head ...),
* ``history_events`` — every ``history_event`` row (payload, prev_hash, hash ...),
* ``tasks`` and ``timers`` — the ``task`` projection and the ``timer`` rows,

plus ``format``, ``name``, ``description`` and ``recorded_with`` (what recorded it). Loading inserts these rows as
they are — nothing is recomputed — so that verification and replay judge exactly what the older code wrote.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Table, select, text

# --- the engine, as of the recording (adjust these imports when modules move) ----------------------------------
from engine.audit.replay import Replayer
from engine.audit.verify import ChainVerifier
from engine.clock import FixedClock
from engine.events import PendingEvent
from engine.services import Services, build_services
from engine.store.db import Database
from engine.store.history import GENESIS, canonical, chain
from engine.store.models import HistoryEvent, ProcessDefinition, ProcessInstance, Ruleset, Task, Timer

GOLDEN_FORMAT = "emflow-golden/1"
FIRST_PREV_HASH = GENESIS  # the prev_hash of every instance's first event
HISTORIES = Path(__file__).resolve().parent / "histories"

# the sections of a golden file and their tables, in insertion order (referenced rows first)
SECTIONS: tuple[tuple[str, Table], ...] = (
    ("definitions", ProcessDefinition.__table__),
    ("rulesets", Ruleset.__table__),
    ("instances", ProcessInstance.__table__),
    ("history_events", HistoryEvent.__table__),
    ("tasks", Task.__table__),
    ("timers", Timer.__table__),
)
# text columns stored compressed (the bundled diagrams are 80-125 KB each): {"gzip+base64": ...} in the file,
# decompressed to exactly the recorded text before it is inserted (``sha256`` of a definition proves it)
COMPRESSED = {("definitions", "bpmn_xml")}
GZIP = "gzip+base64"
_ORDER = {
    "definitions": ("id",),
    "rulesets": ("id",),
    "instances": ("id",),
    "history_events": ("id",),
    "tasks": ("instance_id", "created_at", "id"),
    "timers": ("id",),
}


def golden_files() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


def read_golden(path: Path) -> dict[str, Any]:
    golden = json.loads(path.read_text(encoding="utf-8"))
    if golden.get("format") != GOLDEN_FORMAT:
        raise ValueError(f"{path.name}: format {golden.get('format')!r}, expected {GOLDEN_FORMAT!r}")
    return golden


# ------------------------------------------------------------------------------------------------ rows <-> file
def _is_datetime(column: Any) -> bool:
    kind = column.type
    return isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime)


def compress(value: str) -> dict[str, str]:
    packed = gzip.compress(value.encode("utf-8"), compresslevel=9, mtime=0)
    return {GZIP: base64.b64encode(packed).decode("ascii")}


def decompress(value: dict[str, str]) -> str:
    return gzip.decompress(base64.b64decode(value[GZIP])).decode("utf-8")


def _to_file(section: str, table: Table, row: Any) -> dict[str, Any]:
    out = {}
    for column in table.columns:
        value = row._mapping[column.name]
        if isinstance(value, datetime):
            value = value.isoformat()
        elif (section, column.name) in COMPRESSED and value is not None:
            value = compress(value)
        out[column.name] = value
    return out


def _from_file(section: str, table: Table, row: dict[str, Any]) -> dict[str, Any]:
    unknown = set(row) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"{section}: columns {sorted(unknown)} no longer exist in table {table.name}")
    values = {}
    for column in table.columns:
        if column.name not in row:
            if not column.nullable and column.default is None and column.server_default is None:
                raise ValueError(f"{section}: the golden file has no value for {table.name}.{column.name}")
            continue
        value = row[column.name]
        if (section, column.name) in COMPRESSED and isinstance(value, dict):
            value = decompress(value)
        elif value is not None and _is_datetime(column):
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError(f"{section}: {table.name}.{column.name} {row[column.name]!r} has no offset")
        values[column.name] = value
    return values


def read_tables(database_url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the golden sections as a golden file holds it (what the recorder writes)."""
    db = Database(database_url)
    try:
        with db.connect() as conn:
            return {
                section: [
                    _to_file(section, table, row)
                    for row in conn.execute(select(table).order_by(*(table.c[c] for c in _ORDER[section])))
                ]
                for section, table in SECTIONS
            }
    finally:
        db.dispose()


def rows_of(golden: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """A section's rows with the values that are inserted (datetimes parsed, compressed text unpacked)."""
    table = dict(SECTIONS)[section]
    return [_from_file(section, table, row) for row in golden.get(section, [])]


def plain_rows(golden: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """A section's rows as the file holds them, compressed text unpacked (for comparing with ``read_tables``)."""
    return [
        {
            name: decompress(value) if (section, name) in COMPRESSED and isinstance(value, dict) else value
            for name, value in row.items()
        }
        for row in golden.get(section, [])
    ]


def insert_golden(database_url: str, golden: dict[str, Any]) -> None:
    """Insert the golden rows into an empty migrated database exactly as recorded (ids included)."""
    db = Database(database_url)
    try:
        with db.transaction() as conn:
            for section, table in SECTIONS:
                rows = rows_of(golden, section)
                if rows:
                    conn.execute(table.insert(), rows)
            if not db.is_sqlite:  # later inserts must not collide with the ids written here
                for _, table in SECTIONS:
                    if table.c.id.type.python_type is int:
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                            )
                        )
    finally:
        db.dispose()


# ----------------------------------------------------------------------------------------------- the checks
def recompute_hash(instance_id: int, event: dict[str, Any]) -> str:
    """The hash of a golden ``history_events`` row, computed again from its fields and its ``prev_hash``."""
    pending = PendingEvent(event["kind"], event["payload"], event["element_id"], event["task_id"])
    at = datetime.fromisoformat(event["at"])
    return chain(event["prev_hash"], canonical(instance_id, event["seq"], at, event["actor"], pending))


@dataclass(frozen=True)
class ChainCheck:
    intact: bool
    events: int
    problem_seq: int | None
    problem_kind: str | None
    message: str | None


@dataclass(frozen=True)
class ReplayCheck:
    consistent: bool
    checked_end: bool
    commands: int
    last_seq: int
    divergence: str | None
    snapshot: str | None  # ``dump_workflow`` of the replayed workflow after the last event


class GoldenDatabase:
    """The engine's verification and replay over a database the golden rows were loaded into."""

    def __init__(self, services: Services):
        self.services = services

    def instance_ids(self) -> list[int]:
        return ChainVerifier(self.services.db).instance_ids()

    def verify(self, instance_id: int) -> ChainCheck:
        report = ChainVerifier(self.services.db).verify(instance_id)
        problem = report.problem
        return ChainCheck(
            report.intact,
            report.events,
            problem.seq if problem else None,
            problem.kind if problem else None,
            problem.message if problem else None,
        )

    def replay(self, instance_id: int) -> ReplayCheck:
        replayer = Replayer(self.services.instances)
        result = replayer.replay(instance_id)
        divergence = result.divergence
        snapshot = result.snapshot  # the replayed workflow exactly as the engine would store it
        return ReplayCheck(
            result.consistent,
            result.checked_end,
            result.commands,
            result.last_seq,
            None if divergence is None else f"seq {divergence.seq} ({divergence.kind}): {divergence.message}",
            snapshot,
        )


@contextmanager
def opened(database_url: str) -> Iterator[GoldenDatabase]:
    """The engine's services on ``database_url`` (a fresh workflow cache: nothing is taken from memory)."""
    services = build_services(database_url, clock=FixedClock())
    try:
        yield GoldenDatabase(services)
    finally:
        services.close()
