"""Driving a workflow: what the engine's commands do to SpiffWorkflow, and nothing else.

The commands (``engine.runtime.commands``) say *what* happens — start, complete a task, deliver a message, fire a
timer, cancel — and call these functions for *how* SpiffWorkflow does it. A diagram that fails while running
(a script raises, a condition cannot be evaluated) becomes ``ProcessError`` naming the element, here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.patches import install
from engine.errors import EmflowError, ProcessError

Workflow = BpmnWorkflow
"""A running workflow (the type other packages may name)."""

READY, WAITING = TaskState.READY, TaskState.WAITING


def new_workflow(
    spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec], script_engine: Any, data: dict[str, Any]
) -> BpmnWorkflow:
    """A new workflow of ``spec`` whose start event carries ``data`` (not run yet)."""
    install()
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    return workflow


def run(workflow: BpmnWorkflow, action: Callable[[], Any] | None = None) -> None:
    """Apply ``action`` (if any) and run until the workflow waits; diagram failures become ProcessError."""
    try:
        if action is not None:
            action()
        workflow.do_engine_steps()
    except EmflowError:
        raise
    except WorkflowException as exc:
        task = getattr(exc, "task", None)
        element = task.task_spec.bpmn_id if task is not None else None
        line = getattr(exc, "line_number", None)
        raise ProcessError(
            f"the process failed at {element or 'an element'}: {exc}", {"element_id": element, "line": line}
        ) from None


def find_task(workflow: BpmnWorkflow, task_id: str) -> Any:
    """The task with this id, or None (also for ids that are not UUIDs)."""
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except Exception:  # SpiffWorkflow raises TaskNotFoundException; a malformed id raises ValueError
        return None


def state_name(task: Any) -> str:
    return str(TaskState.get_name(task.state))


def complete(workflow: BpmnWorkflow, task: Any, data: dict[str, Any]) -> None:
    """Complete a READY user task with the data submitted for it, and run on."""
    task.data.update(data)
    run(workflow, task.run)


def deliver_message(workflow: BpmnWorkflow, name: str, payload: Any) -> bool:
    """Deliver a message and run on; False when no element waits for it (nothing changed then)."""
    event = BpmnEvent(MessageEventDefinition(name), {"payload": payload, "result_var": name})
    try:
        run(workflow, lambda: workflow.send_event(event))
    except ProcessError as exc:
        if "not waiting for" in exc.message:
            return False
        raise
    return True


def fire_timers(workflow: BpmnWorkflow) -> None:
    """Let every timer that is due at the command's timer clock fire, and run on."""
    run(workflow, workflow.refresh_timers)


def cancel(workflow: BpmnWorkflow) -> None:
    workflow.cancel()


def is_completed(workflow: BpmnWorkflow) -> bool:
    return bool(workflow.is_completed())
