"""Four worker processes share 500 due timers on PostgreSQL: 500 firings, none twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.actors import Actor
from engine.services import build_services
from engine.store.models import HistoryEvent, Task, Timer
from tests.conftest import FIXTURES, ROOT, _truncate

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
N = 500


def test_four_workers_fire_each_timer_exactly_once(pg_database, tmp_path):
    _truncate(pg_database)
    services = build_services(pg_database)
    services.definitions.deploy((FIXTURES / "deadline.bpmn").read_bytes(), "test")
    duty = Actor("duty", "responder", ("duty_officer",))
    # Due well after the last start even on a loaded machine: a timer already due when its instance starts fires
    # inside the start command and never becomes a row the workers could share.
    due = datetime.now(UTC) + timedelta(seconds=40)
    discovered = (due - timedelta(minutes=120)).isoformat()
    for n in range(N):
        services.instances.start("deadline", f"W-{n}", {"discovered_at": discovered, "deadline_minutes": 120}, duty)
    with services.db.connect() as conn:
        waiting = conn.execute(select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None))).scalar()
    assert waiting == N, f"only {waiting} of {N} timers were still waiting after the starts (starting took too long)"
    assert datetime.now(UTC) < due, "starting the instances took longer than the margin before the timers fall due"
    env = {**os.environ, "DATABASE_URL": pg_database}
    logs = [open(tmp_path / f"worker{i}.log", "wb") for i in range(4)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        for log in logs
    ]
    try:
        deadline = time.time() + 240
        fired = 0
        while time.time() < deadline:
            with services.db.connect() as conn:
                fired = conn.execute(
                    select(func.count()).select_from(Timer).where(Timer.fired_at.is_not(None))
                ).scalar()
            if fired == N:
                break
            time.sleep(0.5)
        assert fired == N, "\n".join((tmp_path / f"worker{i}.log").read_text()[-1500:] for i in range(4))
        time.sleep(1.0)  # let any duplicate attempt finish before counting
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(20)
        for log in logs:
            log.close()
    with services.db.connect() as conn:
        firings = conn.execute(
            select(HistoryEvent.instance_id, func.count())
            .where(HistoryEvent.kind == "timer_fired")
            .group_by(HistoryEvent.instance_id)
        ).all()
        overdue_tasks = conn.execute(
            select(func.count()).select_from(Task).where(Task.element_id == "Task_Overdue")
        ).scalar()
        pending = conn.execute(select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None))).scalar()
        workers_used = conn.execute(select(func.count(func.distinct(Timer.locked_by)))).scalar()
    assert len(firings) == N and all(count == 1 for _, count in firings)
    assert overdue_tasks == N and pending == 0
    assert workers_used >= 2, "the work was not shared"
    services.close()
