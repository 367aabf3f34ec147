"""Instances per second through emflow's service layer (a real database commit per command) beside raw
SpiffWorkflow in memory on the same diagram, in the same run.

    python bench/engine_bench.py [--instances N] [--database-url URL]

Each instance: start, then complete 3 user tasks (10 nodes, 2 scripts, 2 gateways). The raw side parses once and
keeps everything in memory; emflow commits the snapshot, task projection and hash-chained history per command.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from engine import bpmn  # noqa: E402
from engine.actors import Actor  # noqa: E402
from engine.services import build_services  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

bpmn.install()  # as in the engine's services: raw and emflow runs share SpiffWorkflow's corrections

DIAGRAM = Path(__file__).with_name("ten_nodes.bpmn")
DUTY = Actor("bench", "responder", ("duty_officer",))


def raw_spiff(n: int) -> float:
    parser = CamundaParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec, subs = parser.get_spec("bench_ten_nodes"), parser.get_subprocess_specs("bench_ten_nodes")
    start = time.perf_counter()
    for i in range(n):
        wf = BpmnWorkflow(spec, subs)
        wf.get_tasks(state=TaskState.READY)[0].data.update({"n": i})
        wf.do_engine_steps()
        for data in ({"amount": i}, {}, {}):
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(data)
            task.run()
            wf.do_engine_steps()
        assert wf.is_completed()
    return n / (time.perf_counter() - start)


def emflow(n: int, url: str) -> float:
    upgrade(url)
    services = build_services(url)
    services.definitions.deploy(DIAGRAM.read_bytes(), "bench")
    instances = services.instances
    start = time.perf_counter()
    for i in range(n):
        result = instances.start("bench_ten_nodes", f"BENCH-{i}", {"n": i}, DUTY)
        for data in ({"amount": i}, {}, {}):
            result = instances.complete_task(result.ready_tasks[0][0], data, DUTY)
        assert result.status == "completed"
    rate = n / (time.perf_counter() - start)
    services.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        emflow(
            min(50, args.instances), url.replace("bench.sqlite3", "warmup.sqlite3") if not args.database_url else url
        )
        raw = raw_spiff(args.instances)
        ours = emflow(args.instances, url)
    print(f"diagram: 10 nodes, 3 user tasks; {args.instances} instances; database: {url.split(':')[0]}")
    print(f"raw SpiffWorkflow (in memory): {raw:8.1f} instances/s")
    print(f"emflow service layer (commit per command): {ours:8.1f} instances/s")
    print(f"ratio emflow/raw: {ours / raw:.2f}  (goal >= 0.5)")


if __name__ == "__main__":
    main()
