"""Reports for auditors, read from the tables (never from snapshots): timelines, deadlines, 三个不放过.

* A **timeline** is the history of every instance of one business key (an incident: response, investigation, plan
  revision, …) merged by time, each event naming its instance and definition version.
* The **deadline** report takes every timer row as a deadline and asks when what it guards was done: the guarded
  user task's completion (a boundary timer), or the moment the wait ended (a timer elsewhere, e.g. after an
  event-based gateway: cancelled = the awaited thing came first). Done by the due time is met; a timer that fired,
  or a due time that passed with nothing done, is missed.
* **三个不放过** (the "three no-let-go" of accident investigation): an open ``investigation_accountability`` instance
  may only close once the cause is established, those responsible are dealt with and rectification is done; the
  report lists which of the three are not yet true.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from engine.bpmn.parser import timer_elements
from engine.clock import Clock
from engine.definitions.service import DefinitionService
from engine.errors import NotFound
from engine.names import InstanceStatus, TaskRowState
from engine.store import tables as t
from engine.store.db import Database

MET, MISSED, OPEN, CANCELLED_OUTCOME, ELAPSED = "met", "missed", "open", "cancelled", "elapsed"
OUTCOMES = (MET, MISSED, OPEN, CANCELLED_OUTCOME, ELAPSED)
"""``cancelled``: the instance or the guarded task was cancelled before anything was due or done; ``elapsed``: a
plain delay ran its course (no deadline to meet)."""
BOUNDARY, RACE, WAIT = "boundary", "race", "wait"
INVESTIGATION_KEY = "investigation_accountability"
THREE_CONDITIONS = ("cause_established", "responsible_dealt_with", "rectification_done")

_OPEN = (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED)
_H = t.history
_I = t.instances
_D = t.definitions
_T = t.tasks
_TM = t.timers


@dataclass(frozen=True)
class TimelineEvent:
    """One history event with the instance and definition version it belongs to."""

    instance_id: int
    definition_key: str
    definition_version: int
    parent_id: int | None
    link_kind: str | None
    seq: int
    at: datetime
    actor: str | None
    kind: str
    element_id: str | None
    task_id: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class TimerElement:
    """A timer element of a definition and what it guards.

    ``kind``: ``boundary`` (attached to ``guards``), ``race`` (after an event-based gateway: whatever else the
    gateway waits for came first, or the deadline passed) or ``wait`` (a delay in a sequence: it guards nothing).
    """

    name: str | None
    kind: str
    guards: str | None = None
    guards_name: str | None = None


@dataclass(frozen=True)
class Deadline:
    instance_id: int
    definition_key: str
    definition_version: int
    timer_element_id: str
    timer_name: str | None
    timer_kind: str
    guards: str | None
    guards_name: str | None
    due_at: datetime
    done_at: datetime | None
    outcome: str
    late_seconds: float | None  # done (or now, if still open) after the due time
    fired_at: datetime | None
    cancelled_at: datetime | None


@dataclass(frozen=True)
class IncidentDeadlines:
    business_key: str
    deadlines: list[Deadline]
    summary: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenInvestigation:
    instance_id: int
    business_key: str
    status: str
    parent_id: int | None
    created_at: datetime
    conditions: dict[str, bool]
    failing: list[str]


class Reports:
    def __init__(self, db: Database, definitions: DefinitionService, clock: Clock):
        self.db = db
        self.definitions = definitions
        self.clock = clock

    # ------------------------------------------------------------------------------------------ histories
    def history(self, instance_id: int) -> list[TimelineEvent]:
        """One instance's history for export, with the chain columns an auditor can re-check."""
        events = self._events(_I.c.id == instance_id, (_H.c.seq,))
        if not events and not self._exists(instance_id):
            raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
        return events

    def timeline(self, business_key: str) -> list[TimelineEvent]:
        """Every instance of an incident in one stream: by time, then instance, then sequence number."""
        events = self._events(_I.c.business_key == business_key, (_H.c.at, _H.c.instance_id, _H.c.seq))
        if not events:
            raise NotFound(f"no process instance has business key {business_key!r}", {"business_key": business_key})
        return events

    def _events(self, where: Any, order: tuple[Any, ...]) -> list[TimelineEvent]:
        query = (
            select(
                _H.c.instance_id,
                _I.c.definition_key,
                _D.c.version,
                _I.c.parent_id,
                _I.c.link_kind,
                _H.c.seq,
                _H.c.at,
                _H.c.actor,
                _H.c.kind,
                _H.c.element_id,
                _H.c.task_id,
                _H.c.payload,
                _H.c.prev_hash,
                _H.c.hash,
            )
            .join(_I, _I.c.id == _H.c.instance_id)
            .join(_D, _D.c.id == _I.c.definition_id)
            .where(where)
            .order_by(*order)
        )
        with self.db.connect() as conn:
            return [TimelineEvent(*row) for row in conn.execute(query)]

    def _exists(self, instance_id: int) -> bool:
        with self.db.connect() as conn:
            return conn.execute(select(_I.c.id).where(_I.c.id == instance_id)).first() is not None

    # ------------------------------------------------------------------------------------------- deadlines
    def deadlines(self, business_key: str | None = None, outcome: str | None = None) -> list[IncidentDeadlines]:
        """Every timer of every instance, grouped by business key, with when what it guards was done."""
        now = self.clock.now()
        query = (
            select(
                _TM.c.instance_id,
                _TM.c.task_id,
                _TM.c.element_id,
                _TM.c.due_at,
                _TM.c.fired_at,
                _TM.c.cancelled_at,
                _I.c.business_key,
                _I.c.definition_id,
                _I.c.definition_key,
                _I.c.status,
                _I.c.ended_at,
                _D.c.version,
            )
            .join(_I, _I.c.id == _TM.c.instance_id)
            .join(_D, _D.c.id == _I.c.definition_id)
        )
        if business_key is not None:
            query = query.where(_I.c.business_key == business_key)
        with self.db.connect() as conn:
            timers = conn.execute(query.order_by(_I.c.business_key, _TM.c.due_at, _TM.c.id)).all()
            instance_ids = sorted({t.instance_id for t in timers})
            tasks = conn.execute(
                select(_T.c.instance_id, _T.c.element_id, _T.c.state, _T.c.created_at, _T.c.ended_at).where(
                    _T.c.instance_id.in_(instance_ids)
                )
            ).all()
            created = conn.execute(
                select(_H.c.instance_id, _H.c.task_id, func.min(_H.c.at))
                .where(and_(_H.c.instance_id.in_(instance_ids), _H.c.task_id.in_([t.task_id for t in timers])))
                .group_by(_H.c.instance_id, _H.c.task_id)
            ).all()
        tasks_at = {(t.instance_id, t.element_id, t.created_at): t for t in tasks}
        created_at = {(iid, tid): at for iid, tid, at in created}
        elements: dict[int, dict[str, TimerElement]] = {}
        grouped: dict[str, list[Deadline]] = defaultdict(list)
        for timer in timers:
            if timer.definition_id not in elements:
                elements[timer.definition_id] = self._timer_elements(timer.definition_id)
            element = elements[timer.definition_id].get(timer.element_id, TimerElement(None, WAIT))
            guarded = None
            if element.guards is not None:  # the task row created by the command that created the timer
                guarded = tasks_at.get(
                    (timer.instance_id, element.guards, created_at.get((timer.instance_id, timer.task_id)))
                )
            deadline = _deadline(timer, element, guarded, now)
            if outcome is None or deadline.outcome == outcome:
                grouped[timer.business_key].append(deadline)
        return [
            IncidentDeadlines(key, items, {o: sum(d.outcome == o for d in items) for o in OUTCOMES})
            for key, items in sorted(grouped.items())
        ]

    def _timer_elements(self, definition_id: int) -> dict[str, TimerElement]:
        """Timer elements of a definition version and what each guards, from its parsed (cached) spec."""
        loaded = self.definitions.load(definition_id)
        out: dict[str, TimerElement] = {}
        for timer in timer_elements([loaded.parsed.spec, *loaded.parsed.subprocess_specs.values()]):
            if timer.boundary:
                out[timer.element_id] = TimerElement(timer.name, BOUNDARY, timer.activity_id, timer.activity_name)
            else:
                out[timer.element_id] = TimerElement(timer.name, RACE if timer.after_event_gateway else WAIT)
        return out

    # -------------------------------------------------------------------------------------- 三个不放过
    def three_no_let_go(self, definition_key: str = INVESTIGATION_KEY) -> list[OpenInvestigation]:
        """Open investigations and which of the three conditions their data does not yet hold as true."""
        query = (
            select(_I.c.id, _I.c.business_key, _I.c.status, _I.c.parent_id, _I.c.created_at, _I.c.data)
            .where(
                _I.c.definition_key == definition_key,
                _I.c.status.in_((InstanceStatus.RUNNING, InstanceStatus.SUSPENDED)),
            )
            .order_by(_I.c.created_at, _I.c.id)
        )
        with self.db.connect() as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            data = row.data or {}
            conditions = {name: data.get(name) is True for name in THREE_CONDITIONS}
            out.append(
                OpenInvestigation(
                    row.id,
                    row.business_key,
                    row.status,
                    row.parent_id,
                    row.created_at,
                    conditions,
                    [n for n in THREE_CONDITIONS if not conditions[n]],
                )
            )
        return out


def _deadline(timer: Any, element: TimerElement, guarded: Any, now: datetime) -> Deadline:
    """When a deadline was done and whether that was in time (see the module docstring)."""
    due = timer.due_at
    instance_cancelled = timer.status == InstanceStatus.CANCELLED and timer.ended_at == timer.cancelled_at
    done: datetime | None = None
    if guarded is not None and guarded.state == TaskRowState.COMPLETED:
        done = guarded.ended_at
        outcome = MET if done <= due else MISSED
    elif timer.fired_at is not None:
        done = timer.fired_at
        outcome = ELAPSED if element.kind == WAIT else MISSED
    elif timer.cancelled_at is not None:
        done = timer.cancelled_at
        if (
            instance_cancelled
            or (guarded is not None and guarded.state == TaskRowState.CANCELLED)
            or element.kind == WAIT
        ):
            outcome = CANCELLED_OUTCOME
        else:  # the guarded activity (not a user task) ended, or what the race waited for came first
            outcome = MET if done <= due else MISSED
    else:
        outcome = MISSED if now > due and element.kind != WAIT else OPEN
    if outcome in (MET, MISSED):
        late: float | None = round(max(0.0, ((done or now) - due).total_seconds()), 3)
    else:
        late = None
    return Deadline(
        timer.instance_id,
        timer.definition_key,
        timer.version,
        timer.element_id,
        element.name,
        element.kind,
        element.guards,
        element.guards_name,
        due,
        done,
        outcome,
        late,
        timer.fired_at,
        timer.cancelled_at,
    )
