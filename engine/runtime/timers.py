"""Firing timers on time, once, in due order — across restarts and several workers.

Every waiting timer is a row of the ``timer`` table, written in the transaction of the command that created it.
A worker claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serializes writers anyway), marking
them ``locked_by``/``locked_until``, and fires each as its own command at its own due time, earliest first. A
timer fires exactly once because firing is a command on the instance: the optimistic lock lets one firing win
and the command marks the row fired in the same transaction.

The scheduler sleeps until the next due time — no polling interval. It is woken earlier when a command in this
process adds a timer, and on PostgreSQL by ``NOTIFY emflow_timers`` from any process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from engine.clock import Clock
from engine.errors import Conflict, EmflowError
from engine.names import InstanceStatus
from engine.runtime.instances import InstanceService
from engine.store import tables as t
from engine.store.db import Database

log = logging.getLogger("emflow.timers")

_T = t.timers
_I = t.instances
CLAIM_SECONDS = 60
MAX_SLEEP_SECONDS = 30.0  # a safety net only: wake-ups come from commits and NOTIFY


@dataclass(frozen=True)
class DueTimer:
    id: int
    instance_id: int
    task_id: str
    element_id: str
    due_at: datetime


def _pending(now: datetime) -> ColumnElement[bool]:
    return and_(
        _T.c.fired_at.is_(None),
        _T.c.cancelled_at.is_(None),
        or_(_T.c.locked_until.is_(None), _T.c.locked_until < now),
        _I.c.status == InstanceStatus.RUNNING,
    )


class TimerService:
    def __init__(self, db: Database, instances: InstanceService, clock: Clock, worker: str | None = None):
        self.db = db
        self.instances = instances
        self.clock = clock
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    def next_due(self) -> datetime | None:
        now = self.clock.now()
        with self.db.connect() as conn:
            return conn.execute(
                select(func.min(_T.c.due_at)).select_from(_T.join(_I, _I.c.id == _T.c.instance_id)).where(_pending(now))
            ).scalar()

    def claim(self, now: datetime, limit: int = 50) -> list[DueTimer]:
        """Due timers for this worker, earliest first; other workers skip them while the claim lasts."""
        query = (
            select(_T.c.id, _T.c.instance_id, _T.c.task_id, _T.c.element_id, _T.c.due_at)
            .select_from(_T.join(_I, _I.c.id == _T.c.instance_id))
            .where(_pending(now), _T.c.due_at <= now)
            .order_by(_T.c.due_at, _T.c.id)
            .limit(limit)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=_T)
        with self.db.transaction() as conn:
            rows = [DueTimer(*r) for r in conn.execute(query)]
            if rows:
                conn.execute(
                    update(_T)
                    .where(_T.c.id.in_([r.id for r in rows]))
                    .values(locked_by=self.worker, locked_until=now + timedelta(seconds=CLAIM_SECONDS))
                )
        return rows

    def fire(self, timer: DueTimer) -> bool:
        try:
            self.instances.fire_timer(timer.instance_id, timer.task_id, timer.due_at, timer.element_id)
            return True
        except Conflict:
            # another command moved the instance meanwhile; the timer is fired or cancelled by then, or is
            # released for the next round
            self._release(timer)
            return False
        except EmflowError as exc:
            log.error("timer %s of instance %s failed: %s", timer.element_id, timer.instance_id, exc.message)
            return False  # stays claimed until the claim expires: a failing diagram is retried, not spun

    def _release(self, timer: DueTimer) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                update(_T)
                .where(_T.c.id == timer.id, _T.c.locked_by == self.worker)
                .values(locked_by=None, locked_until=None)
            )

    def run_due(self, now: datetime | None = None) -> int:
        """Fire everything due by ``now`` in due order; returns how many fired."""
        fired = 0
        while True:
            batch = self.claim(now or self.clock.now())
            if not batch:
                return fired
            for timer in batch:
                fired += self.fire(timer)


class Scheduler(threading.Thread):
    """Sleeps until the next due timer, fires what is due, repeats; ``stop()`` ends it."""

    def __init__(self, timers: TimerService):
        super().__init__(name="emflow-scheduler", daemon=True)
        self.timers = timers
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._next: datetime | None = None
        timers.instances.timer_listeners.append(self.notify)

    def notify(self, due: datetime) -> None:
        if self._next is None or due < self._next:
            self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def run(self) -> None:
        listener = _PostgresListener(self.timers.db, self._wake) if not self.timers.db.is_sqlite else None
        if listener:
            listener.start()
        while not self._stopping.is_set():
            try:
                self.timers.run_due()
                self._next = self.timers.next_due()
            except Exception:  # the scheduler must outlive a database hiccup
                log.exception("scheduler round failed")
                self._next = None
            now = self.timers.clock.now()
            wait = MAX_SLEEP_SECONDS if self._next is None else (self._next - now).total_seconds()
            self._wake.wait(max(0.0, min(wait, MAX_SLEEP_SECONDS)))
            self._wake.clear()
        if listener:
            listener.stop()
            listener.join(2.0)


class _PostgresListener(threading.Thread):
    """LISTEN emflow_timers: commits in other processes that add timers wake this scheduler."""

    def __init__(self, db: Database, wake: threading.Event):
        super().__init__(name="emflow-timer-listener", daemon=True)
        self.db = db
        self.wake = wake
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        import psycopg

        url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stopping.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("LISTEN emflow_timers")
                    while not self._stopping.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.wake.set()
            except Exception:
                log.exception("timer listener lost its connection; reconnecting")
                self._stopping.wait(1.0)
