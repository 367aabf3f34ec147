"""Replay of a 1,000-event history beside the time its original commands took, in the same run.

    python bench/replay_bench.py [--events N] [--database-url URL] [--repeat R]

One instance of a follow-up-report loop (续报: a user task, a counting script, a gateway back) is driven through
the service layer until its history holds at least N events (default 1,000), each command committed as usual.
Then the whole history is replayed — read from the database, every command re-executed, every recorded
consequence compared, and the stored snapshot, status, data, task and timer rows checked at the end — R times
(default 3). The goal: under a second for 1,000 events.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import bpmn  # noqa: E402
from engine.actors import Actor  # noqa: E402
from engine.audit.replay import Replayer  # noqa: E402
from engine.clock import FixedClock  # noqa: E402
from engine.services import build_services  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402

bpmn.install()  # as in the engine's services: raw and emflow runs share SpiffWorkflow's corrections

DUTY = Actor("bench", "responder", ("duty_officer",))
LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="Definitions_replay_bench" targetNamespace="http://emflow.example/bpmn">
  <bpmn:process id="replay_bench" name="续报循环 (replay bench)" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="duty_officer" name="值班员">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef><bpmn:flowNodeRef>Script_Init</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Gateway_Again</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_FollowUp</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Script_Count</bpmn:flowNodeRef><bpmn:flowNodeRef>Gateway_More</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Script_Init" name="计数清零" scriptFormat="python">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing><bpmn:script>reports = 0</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="Gateway_Again">
      <bpmn:incoming>F2</bpmn:incoming><bpmn:incoming>F_Back</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="Task_FollowUp" name="续报">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="trend" label="发展趋势" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>F3</bpmn:incoming><bpmn:outgoing>F4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="Script_Count" name="计数" scriptFormat="python">
      <bpmn:incoming>F4</bpmn:incoming><bpmn:outgoing>F5</bpmn:outgoing><bpmn:script>reports = reports + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="Gateway_More" name="继续续报?" default="F_Done">
      <bpmn:incoming>F5</bpmn:incoming><bpmn:outgoing>F_Back</bpmn:outgoing><bpmn:outgoing>F_Done</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="F_Back" sourceRef="Gateway_More" targetRef="Gateway_Again">
      <bpmn:conditionExpression>reports &lt; target</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F_Done</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Script_Init" />
    <bpmn:sequenceFlow id="F2" sourceRef="Script_Init" targetRef="Gateway_Again" />
    <bpmn:sequenceFlow id="F3" sourceRef="Gateway_Again" targetRef="Task_FollowUp" />
    <bpmn:sequenceFlow id="F4" sourceRef="Task_FollowUp" targetRef="Script_Count" />
    <bpmn:sequenceFlow id="F5" sourceRef="Script_Count" targetRef="Gateway_More" />
    <bpmn:sequenceFlow id="F_Done" sourceRef="Gateway_More" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>
"""


def drive(services: object, clock: FixedClock, events: int) -> tuple[int, int, float]:
    """Run commands until the history has ``events`` events; (instance id, commands, seconds they took)."""
    instances = services.instances  # type: ignore[attr-defined]
    spent = 0.0
    start = time.perf_counter()
    result = instances.start("replay_bench", "BENCH-REPLAY", {"target": 10**6}, DUTY)
    spent += time.perf_counter() - start
    commands = 1
    while instances._head(result.instance_id).seq < events:
        clock.advance(minutes=1)
        start = time.perf_counter()
        result = instances.complete_task(result.ready_tasks[0][0], {"trend": f"第{commands}次续报: 稳定"}, DUTY)
        spent += time.perf_counter() - start
        commands += 1
    return result.instance_id, commands, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/replay_bench.sqlite3"
    upgrade(url)
    clock = FixedClock()
    services = build_services(url, clock=clock)
    services.definitions.deploy(LOOP.encode(), "bench")
    instance_id, commands, original = drive(services, clock, args.events)

    replayer = Replayer(services.instances)
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = replayer.replay(instance_id)
        timings.append(time.perf_counter() - start)
        if not result.consistent:
            raise SystemExit(f"replay diverged: {result.divergence}")
    start = time.perf_counter()
    halfway = replayer.replay(instance_id, result.last_seq // 2)
    half = time.perf_counter() - start
    services.close()

    best, median = min(timings), statistics.median(timings)
    print(f"database            {services.db.engine.dialect.name}")
    print(f"history             {result.last_seq} events from {commands} commands (instance {instance_id})")
    print(f"original commands   {original:.3f} s ({original / commands * 1000:.2f} ms per command, committed)")
    print(
        f"replay, whole       {median:.3f} s median of {args.repeat} (best {best:.3f} s), "
        f"{median / result.last_seq * 1e6:.0f} µs per event; {original / median:.1f}x faster than the original"
    )
    print(f"replay, to seq {halfway.to:<5}{half:.3f} s")
    print(f"goal (< 1 s for 1,000 events): {'met' if median < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
