"""Deadlines with the injected clock: time is moved, never slept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.services import build_services
from engine.store.models import Timer
from tests.conftest import FIXTURES

DUTY = Actor("duty", "responder", ("duty_officer",))
LEADER = Actor("leader", "responder", ("leader",))
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 China Standard Time


@pytest.fixture
def env(database_url):
    clock = FixedClock(T0)
    services = build_services(database_url, clock=clock)
    for name in ("deadline.bpmn", "two_timers.bpmn"):
        services.definitions.deploy((FIXTURES / name).read_bytes(), "test")
    yield services, clock
    services.close()


def _timers(services, instance_id):
    with services.db.connect() as conn:
        return conn.execute(select(Timer.__table__).where(Timer.__table__.c.instance_id == instance_id)).all()


def _start_deadline(services):
    return services.instances.start(
        "deadline", "INC-1", {"discovered_at": "2026-03-02T09:00:00+08:00", "deadline_minutes": 120}, DUTY
    )


def test_report_in_time_cancels_the_timer(env):
    services, clock = env
    started = _start_deadline(services)
    [report] = services.instances.list_tasks(instance_id=started.instance_id)
    assert report.due_at == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert report.overdue is False
    [timer] = _timers(services, started.instance_id)
    assert timer.element_id == "Timer_ReportOverdue" and timer.due_at == report.due_at

    clock.advance(minutes=60)
    done = services.instances.complete_task(report.id, {}, DUTY)
    assert done.status == "completed"
    [timer] = _timers(services, started.instance_id)
    assert timer.cancelled_at == clock.now() and timer.fired_at is None
    clock.advance(hours=5)
    assert services.timers.run_due() == 0
    kinds = [e["kind"] for e in services.instances.history(started.instance_id)]
    assert "timer_fired" not in kinds


def test_late_report_goes_to_the_leader_and_history_shows_the_miss(env):
    services, clock = env
    started = _start_deadline(services)
    clock.set(datetime(2026, 3, 2, 3, 0, 5, tzinfo=UTC))  # five seconds after the deadline
    assert services.timers.run_due() == 1
    tasks = {t.element_id: t for t in services.instances.list_tasks(instance_id=started.instance_id)}
    assert set(tasks) == {"Task_Report", "Task_Overdue"}
    assert tasks["Task_Overdue"].lane == "leader"
    assert tasks["Task_Report"].overdue is True
    assert [t.element_id for t in services.instances.list_tasks(overdue=True)] == ["Task_Report"]
    assert services.instances.tasks_for(LEADER)[0].element_id == "Task_Overdue"
    [miss] = [e for e in services.instances.history(started.instance_id) if e["kind"] == "timer_fired"]
    assert miss["element_id"] == "Timer_ReportOverdue"
    assert miss["payload"]["attached_to"] == "Task_Report"
    assert datetime.fromisoformat(miss["payload"]["due_at"]) == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert miss["payload"]["late_seconds"] == 5.0
    [timer] = _timers(services, started.instance_id)
    assert timer.fired_at == clock.now()
    assert services.timers.run_due() == 0  # exactly once

    # the late report can still be made; the instance ends when both branches are done
    services.instances.complete_task(tasks["Task_Report"].id, {}, DUTY)
    final = services.instances.complete_task(tasks["Task_Overdue"].id, {}, LEADER)
    assert final.status == "completed"


def test_catch_up_after_an_outage_fires_in_due_order(env):
    services, clock = env
    # Timer_A comes first in the tree but is due a day after Timer_B
    started = services.instances.start(
        "two_timers", "INC-2", {"due_a": "2026-03-04T09:00:00+08:00", "due_b": "2026-03-03T09:00:00+08:00"}, DUTY
    )
    assert services.timers.next_due() == datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    clock.advance(days=3)  # the server was down for three days
    assert services.timers.run_due() == 2
    fired = [e for e in services.instances.history(started.instance_id) if e["kind"] == "timer_fired"]
    assert [e["element_id"] for e in fired] == ["Timer_B", "Timer_A"]
    ready = [
        e["element_id"]
        for e in services.instances.history(started.instance_id)
        if e["kind"] == "task_state" and e["payload"]["to"] == "READY" and e["element_id"].startswith("Task")
    ]
    assert ready == ["Task_AfterB", "Task_AfterA"]
    assert services.timers.next_due() is None


def test_suspended_instances_do_not_fire_until_resumed(env):
    services, clock = env
    admin = Actor("admin", "administrator")
    started = _start_deadline(services)
    services.instances.suspend(started.instance_id, admin)
    clock.advance(hours=3)
    assert services.timers.run_due() == 0
    services.instances.resume(started.instance_id, admin)
    assert services.timers.run_due() == 1


def test_scheduler_thread_fires_on_time_without_polling(database_url):
    """The real clock: a timer due in 0.3 s is fired by the sleeping scheduler, woken by the commit."""
    import time

    from engine.runtime.timers import Scheduler

    services = build_services(database_url)
    services.definitions.deploy((FIXTURES / "deadline.bpmn").read_bytes(), "test")
    scheduler = Scheduler(services.timers)
    scheduler.start()
    try:
        time.sleep(0.2)  # the scheduler is asleep (nothing is due)
        discovered = datetime.now(UTC) - timedelta(minutes=120) + timedelta(seconds=0.3)
        started = services.instances.start(
            "deadline", "RT", {"discovered_at": discovered.isoformat(), "deadline_minutes": 120}, DUTY
        )
        deadline = time.time() + 5
        while time.time() < deadline:
            fired = [e for e in services.instances.history(started.instance_id) if e["kind"] == "timer_fired"]
            if fired:
                break
            time.sleep(0.02)
        assert fired, "the timer did not fire"
        assert fired[0]["payload"]["late_seconds"] < 5.0  # precision is measured in bench/timer_latency.py
    finally:
        scheduler.stop()
        scheduler.join(5)
        services.close()


def test_twenty_working_days_across_national_day_and_an_adjusted_saturday(env):
    """Signed and issued Friday 2025-09-26: Sunday 28 Sep and Saturday 11 Oct are working days (调休), 1–8 Oct
    are the National Day holiday, so the 20th working day is Thursday 30 Oct (by weekdays alone: 24 Oct)."""
    services, clock = env
    services.definitions.deploy((FIXTURES / "filing_deadline.bpmn").read_bytes(), "test")
    clock.set(datetime(2025, 9, 26, 2, 0, tzinfo=UTC))
    started = services.instances.start("filing_deadline", "PLAN-1", {"issued_at": "2025-09-26T10:00:00+08:00"}, DUTY)
    [task] = services.instances.list_tasks(instance_id=started.instance_id)
    assert task.due_at == datetime(2025, 10, 30, 2, 0, tzinfo=UTC)
    clock.set(datetime(2025, 10, 30, 1, 59, tzinfo=UTC))
    assert services.timers.run_due() == 0
    clock.advance(minutes=2)
    assert services.timers.run_due() == 1


def test_a_year_the_calendar_does_not_cover_fails_loudly(env):
    from engine.errors import ProcessError

    services, _clock = env
    services.definitions.deploy((FIXTURES / "filing_deadline.bpmn").read_bytes(), "test")
    with pytest.raises(ProcessError) as failure:
        services.instances.start("filing_deadline", "PLAN-2", {"issued_at": "2099-03-02T10:00:00+08:00"}, DUTY)
    assert "does not cover 2099" in failure.value.message
    assert services.instances.list(business_key="PLAN-2") == []
