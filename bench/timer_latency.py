"""How late timers fire: median and p99 lateness of 1,000 waiting timers fired by emflow's scheduler, on
SQLite and on PostgreSQL, beside raw SpiffWorkflow driven the usual way (a host loop calling
``refresh_timers()`` + ``do_engine_steps()`` every second) on the same diagram in the same run.

    python bench/timer_latency.py [--timers 1000] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from engine import bpmn  # noqa: E402
from engine.actors import Actor  # noqa: E402
from engine.bpmn.parser import EmflowParser  # noqa: E402
from engine.runtime.timers import Scheduler  # noqa: E402
from engine.services import build_services  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

bpmn.install()  # as in the engine's services: raw and emflow runs share SpiffWorkflow's corrections

DIAGRAM = ROOT / "tests" / "fixtures" / "deadline.bpmn"
DUTY = Actor("bench", "responder", ("duty_officer",))
SPREAD_SECONDS = 5.0


def _dues(n: int, base: datetime) -> list[datetime]:
    return [base + timedelta(seconds=SPREAD_SECONDS * i / n) for i in range(n)]


def emflow(url: str, n: int) -> list[float]:
    upgrade(url)
    services = build_services(url)
    services.definitions.deploy(DIAGRAM.read_bytes(), "bench")
    base = datetime.now(UTC) + timedelta(seconds=3 + n * 0.006)  # after the instances are created
    ids = []
    for i, due in enumerate(_dues(n, base)):
        discovered = (due - timedelta(minutes=120)).isoformat()
        ids.append(
            services.instances.start(
                "deadline", f"T-{i}", {"discovered_at": discovered, "deadline_minutes": 120}, DUTY
            ).instance_id
        )
    scheduler = Scheduler(services.timers)
    scheduler.start()
    end = base + timedelta(seconds=SPREAD_SECONDS + 30)
    lateness: list[float] = []
    while datetime.now(UTC) < end:
        time.sleep(0.5)
        with services.db.connect() as conn:
            rows = conn.execute(text("SELECT payload FROM history_event WHERE kind = 'timer_fired'")).all()
        if len(rows) >= n:
            import json

            lateness = [(r[0] if isinstance(r[0], dict) else json.loads(r[0]))["late_seconds"] for r in rows]
            break
    scheduler.stop()
    scheduler.join(5)
    services.close()
    return lateness


def raw_spiff_polling(n: int, poll_seconds: float = 1.0) -> list[float]:
    parser = EmflowParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec, subs = parser.get_spec("deadline"), parser.get_subprocess_specs("deadline")
    from engine.bpmn.script_engine import EmflowScriptEngine, SandboxedEnvironment
    from engine.runtime.service_tasks import FUNCTIONS, SERVICES

    engine = EmflowScriptEngine(SandboxedEnvironment(FUNCTIONS), SERVICES)
    base = datetime.now(UTC) + timedelta(seconds=2)
    pending = []
    for due in _dues(n, base):
        wf = BpmnWorkflow(spec, subs, script_engine=engine)
        wf.get_tasks(state=TaskState.READY)[0].data.update(
            {"discovered_at": (due - timedelta(minutes=120)).isoformat(), "deadline_minutes": 120}
        )
        wf.do_engine_steps()
        pending.append((due, wf))
    lateness = []
    while pending:
        time.sleep(poll_seconds)
        still = []
        for due, wf in pending:
            wf.refresh_timers()
            wf.do_engine_steps()
            if any(t.task_spec.bpmn_id == "Task_Overdue" for t in wf.get_tasks(state=TaskState.READY)):
                lateness.append((datetime.now(UTC) - due).total_seconds())
            else:
                still.append((due, wf))
        pending = still
    return lateness


def _report(label: str, values: list[float], n: int) -> None:
    if len(values) < n:
        print(f"{label:44s} only {len(values)} of {n} timers fired")
        return
    values = sorted(values)
    p99 = values[int(0.99 * (len(values) - 1))]
    print(f"{label:44s} median {statistics.median(values) * 1000:7.1f} ms   p99 {p99 * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    n = args.timers
    print(f"{n} waiting timers due over {SPREAD_SECONDS:.0f} s")
    _report("raw SpiffWorkflow, host polls every 1 s", raw_spiff_polling(n), n)
    with tempfile.TemporaryDirectory() as tmp:
        _report("emflow scheduler, SQLite", emflow(f"sqlite:///{tmp}/timers.sqlite3", n), n)
    if not args.no_postgres:
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        name = f"emflow_bench_{int(time.time())}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            _report("emflow scheduler, PostgreSQL", emflow(args.postgres.rsplit("/", 1)[0] + "/" + name, n), n)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
