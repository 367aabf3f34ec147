"""Long-lived instances: loops far past SpiffWorkflow's limits, with a snapshot that holds live state only."""

from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import text

from engine.actors import Actor
from engine.bpmn.parser import EmflowParser
from engine.bpmn.prune import prune_finished
from engine.bpmn.script_engine import EmflowScriptEngine, SandboxedEnvironment
from engine.bpmn.snapshot import dump_workflow
from engine.runtime.service_tasks import FUNCTIONS, SERVICES
from tests.conftest import FIXTURES

DUTY = Actor("duty", "responder", ("duty_officer",))


def _raw_loop(target: int) -> BpmnWorkflow:
    parser = EmflowParser()
    parser.add_bpmn_file(str(FIXTURES / "loop_n.bpmn"))
    wf = BpmnWorkflow(
        parser.get_spec("loop_n"),
        parser.get_subprocess_specs("loop_n"),
        script_engine=EmflowScriptEngine(SandboxedEnvironment(FUNCTIONS), SERVICES),
    )
    wf.get_tasks(state=TaskState.READY)[0].data.update({"target": target})
    wf.do_engine_steps()
    return wf


def _iterate(wf: BpmnWorkflow, prune: bool) -> None:
    [task] = wf.get_tasks(state=TaskState.READY, manual=True)
    task.run()
    wf.do_engine_steps()
    if prune:
        prune_finished(wf)


def test_the_iterator_depth_limit_is_lifted():
    """Unpruned, SpiffWorkflow 3.2 stops seeing READY tasks after ~250 iterations (max_depth=1000);
    engine.bpmn.patches lifts the limit, so even the unpruned tree keeps working."""
    wf = _raw_loop(400)
    for _ in range(399):
        _iterate(wf, prune=False)
        assert not wf.is_completed()
    assert len(wf.get_tasks(state=TaskState.READY, manual=True)) == 1
    _iterate(wf, prune=False)
    assert wf.is_completed() and wf.data.get("reports", wf.last_task.data["reports"]) == 400


def test_pruning_keeps_the_tree_and_the_snapshot_flat():
    wf = _raw_loop(1000)
    sizes = []
    for n in range(1, 1000):
        _iterate(wf, prune=True)
        if n in (10, 100, 999):
            sizes.append((len(wf.tasks), len(dump_workflow(wf))))
    assert sizes[0][0] == sizes[1][0] == sizes[2][0] < 12, sizes
    assert sizes[2][1] < 1.01 * sizes[0][1], sizes  # only the counters' digits grow
    [task] = wf.get_tasks(state=TaskState.READY, manual=True)
    assert task.data["reports"] == 999  # data survives the re-rooting
    _iterate(wf, prune=True)
    assert wf.is_completed()


def test_pruning_keeps_every_unfinished_task_and_the_parents_they_inherit_from():
    wf = _raw_loop(3)
    before = set(wf.tasks)
    unfinished = {t.id for t in wf.tasks.values() if not t.state & TaskState.FINISHED_MASK}
    dropped = prune_finished(wf)
    assert dropped > 0 and set(wf.tasks) <= before and len(wf.tasks) == len(before) - dropped
    assert unfinished <= set(wf.tasks)
    for tid in unfinished:
        assert wf.tasks[tid].parent is not None  # each still has the parent it inherits data from
    assert wf.task_tree.state & TaskState.FINISHED_MASK  # the root is finished
    [task] = wf.get_tasks(state=TaskState.READY, manual=True)
    assert task.data["target"] == 3 and task.data["reports"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_five_thousand_iterations_through_the_api(api):
    assert api.deploy((FIXTURES / "loop_n.bpmn").read_bytes()).status_code == 201
    inst = api.start("loop_n", "FOLLOW-5000", {"target": 5000}).get_json()
    services = api.app.extensions["emflow"]
    sizes = []
    task_id = inst["ready_tasks"][0]["id"]
    for n in range(1, 5001):
        res = api.post(f"/api/v1/tasks/{task_id}/complete", as_="duty", json={"data": {"trend": f"第{n}次"}})
        assert res.status_code == 200, (n, res.get_json())
        body = res.get_json()
        if n < 5000:
            assert body["status"] == "running", n  # never "completed" while work remains
            [ready] = body["ready_tasks"]
            assert ready["element_id"] == "Task_FollowUp"
            task_id = ready["id"]
        if n in (10, 1000, 4999):
            with services.db.connect() as conn:
                sizes.append(conn.execute(text("SELECT length(snapshot) FROM process_instance")).scalar())
    assert body["status"] == "completed" and body["ready_tasks"] == []
    assert body["data"]["reports"] == 5000
    assert max(sizes) < 1.2 * min(sizes), sizes
    history = api.get(f"/api/v1/instances/{inst['id']}/history", as_="auditor").get_json()
    completions = [e for e in history if e["kind"] == "task_completed"]
    assert len(completions) == 5000
    assert completions[-1]["payload"]["data"] == {"trend": "第5000次"}
    assert len({e["task_id"] for e in completions}) == 5000
