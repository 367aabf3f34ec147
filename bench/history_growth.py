"""Per-command cost and snapshot size as a loop's history grows: emflow (pruned live snapshot, a database commit
per command) beside raw SpiffWorkflow saving and loading its own full serialization around each command, on the
same diagram in the same run.

    python bench/history_growth.py [--iterations 5000] [--database-url URL]

Goal: emflow's cost at 5,000 iterations within 1.5x of its cost at 10.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import text  # noqa: E402

from engine import bpmn  # noqa: E402
from engine.actors import Actor  # noqa: E402
from engine.bpmn.parser import EmflowParser  # noqa: E402
from engine.bpmn.script_engine import EmflowScriptEngine, SandboxedEnvironment  # noqa: E402
from engine.runtime.service_tasks import FUNCTIONS, SERVICES  # noqa: E402
from engine.services import build_services  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

bpmn.install()  # as in the engine's services: raw and emflow runs share SpiffWorkflow's corrections

DIAGRAM = ROOT / "tests" / "fixtures" / "loop_n.bpmn"
CHECKPOINTS = (1, 10, 100, 1000, 5000)
WINDOW = 50  # commands averaged around each checkpoint
DUTY = Actor("bench", "responder", ("duty_officer",))


def emflow(url: str, iterations: int) -> dict[int, tuple[float, int]]:
    upgrade(url)
    services = build_services(url)
    services.definitions.deploy(DIAGRAM.read_bytes(), "bench")
    result = services.instances.start("loop_n", "GROWTH", {"target": iterations + WINDOW}, DUTY)
    out, times = {}, []
    for n in range(1, iterations + WINDOW):
        start = time.perf_counter()
        result = services.instances.complete_task(result.ready_tasks[0][0], {"trend": "稳定"}, DUTY)
        times.append(time.perf_counter() - start)
        if n - WINDOW + 1 in CHECKPOINTS or (n < WINDOW and n in CHECKPOINTS and n == 1):
            with services.db.connect() as conn:
                size = conn.execute(text("SELECT length(snapshot) FROM process_instance")).scalar()
            point = max(1, n - WINDOW + 1)
            out[point] = (sum(times[-WINDOW:]) / len(times[-WINDOW:]), size)
    services.close()
    return out


def raw_spiff(iterations: int) -> dict[int, tuple[float, int]]:
    parser = EmflowParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec, subs = parser.get_spec("loop_n"), parser.get_subprocess_specs("loop_n")
    engine = EmflowScriptEngine(SandboxedEnvironment(FUNCTIONS), SERVICES)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    wf = BpmnWorkflow(spec, subs, script_engine=engine)
    wf.get_tasks(state=TaskState.READY)[0].data.update({"target": iterations + WINDOW})
    wf.do_engine_steps()
    saved = serializer.serialize_json(wf)
    out, times = {}, []
    for n in range(1, iterations + WINDOW):
        measured = any(point <= n < point + WINDOW for point in CHECKPOINTS)
        start = time.perf_counter()
        if measured:  # what a host persisting SpiffWorkflow's own serialization pays around each command
            wf = serializer.deserialize_json(saved)
            wf.script_engine = engine
        [task] = wf.get_tasks(state=TaskState.READY, manual=True)
        task.data["trend"] = "稳定"
        task.run()
        wf.do_engine_steps()
        if measured or n + 1 in CHECKPOINTS:
            saved = serializer.serialize_json(wf)
        if measured:
            times.append(time.perf_counter() - start)
        if n - WINDOW + 1 in CHECKPOINTS:
            out[n - WINDOW + 1] = (sum(times[-WINDOW:]) / WINDOW, len(saved))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--raw-iterations", type=int, default=1000, help="raw SpiffWorkflow grows quadratically; its side stops here"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours = emflow(args.database_url or f"sqlite:///{tmp}/growth.sqlite3", args.iterations)
    raw = raw_spiff(min(args.raw_iterations, args.iterations))
    print(f"loop through one user task; each figure averages {WINDOW} commands from the checkpoint on")
    print(
        f"{'iterations':>10} | {'emflow ms/cmd':>13} {'snapshot B':>10} | {'raw Spiff ms/cmd':>16} "
        f"{'serialized B':>12} | raw/emflow"
    )
    for point in CHECKPOINTS:
        if point not in ours:
            continue
        t_ours, s_ours = ours[point]
        line = f"{point:>10} | {t_ours * 1000:>13.2f} {s_ours:>10} | "
        if point in raw:
            t_raw, s_raw = raw[point]
            line += f"{t_raw * 1000:>16.2f} {s_raw:>12} | {t_raw / t_ours:>9.1f}x"
        else:
            line += f"{'(not run)':>16} {'':>12} |"
        print(line)
    if 10 in ours and args.iterations in ours:
        print(
            f"emflow cost at {args.iterations} / cost at 10: {ours[args.iterations][0] / ours[10][0]:.2f} (goal <= 1.5)"
        )


if __name__ == "__main__":
    main()
