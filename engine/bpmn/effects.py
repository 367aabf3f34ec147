"""What a command did to a workflow, read off the workflow itself.

SpiffWorkflow has no callbacks for task state changes, cancellations or timers, so the engine compares the task
states before and after a command: the history events (state transitions, fired timers), the task-projection
rows, the timer rows and the instance's data all come from here. Live commands and replay use the same functions,
so a replayed command produces exactly what the live one recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import calendar_cn
from engine.actors import SYSTEM, Actor
from engine.errors import EmflowError, ProcessError
from engine.events import PendingEvent, json_safe
from engine.names import TaskRowState


class Definition(Protocol):
    """What effects need to know of a deployed definition (``engine.definitions.service.LoadedDefinition``)."""

    @property
    def forms(self) -> Mapping[str, Sequence[Any]]: ...

    def lane_of(self, element_id: str) -> tuple[str | None, str | None]: ...


RECORDED = TaskState.WAITING | TaskState.READY | TaskState.STARTED | TaskState.FINISHED_MASK


@dataclass
class TaskChanges:
    new_rows: list[dict[str, Any]]
    ended: list[dict[str, Any]]
    ready: list[tuple[str, str]]


@dataclass
class TimerChanges:
    added: list[dict[str, Any]]
    fired: list[dict[str, Any]]
    cancelled: list[dict[str, Any]]


def transition_events(loaded: Definition, workflow: BpmnWorkflow, before: dict[UUID, int]) -> list[PendingEvent]:
    """One event per task whose state changed (predictions left out), with the data a completed task changed."""
    events = []
    for task in all_tasks(workflow):
        spec = task.task_spec
        if not getattr(spec, "bpmn_id", None) or not (task.state & RECORDED):
            continue
        old = before.get(task.id)
        if old == task.state:
            continue
        payload: dict[str, Any] = {
            "from": TaskState.get_name(old) if old is not None else None,
            "to": TaskState.get_name(task.state),
            "name": spec.bpmn_name,
            "lane": loaded.lane_of(spec.bpmn_id)[0],
        }
        if task.state == TaskState.COMPLETED and task.parent is not None:
            delta = {k: v for k, v in task.data.items() if task.parent.data.get(k, _MISSING) != v}
            if delta:
                payload["data_delta"] = delta
        events.append(PendingEvent("task_state", payload, spec.bpmn_id, str(task.id)))
    return events


def task_changes(
    instance_id: int | None,
    loaded: Definition,
    workflow: BpmnWorkflow,
    before: dict[UUID, int],
    now: datetime,
    actor: Actor,
    count_fired_deadlines: bool = False,
) -> TaskChanges:
    """Task rows for user tasks that became READY or left READY, and the READY ones.

    ``count_fired_deadlines``: a deadline that already passed when the task became ready is still its deadline
    (engine semantics 2, ``engine.runtime.commands.SEMANTICS``)."""
    changes = TaskChanges([], [], [])
    for task in all_tasks(workflow):
        spec = task.task_spec
        if not getattr(spec, "manual", False):
            continue
        if task.state == TaskState.READY:
            changes.ready.append((str(task.id), spec.bpmn_id))
        old = before.get(task.id)
        if old == task.state:
            continue
        if task.state == TaskState.READY:
            lane, lane_name = loaded.lane_of(spec.bpmn_id)
            changes.new_rows.append(
                {
                    "id": str(task.id),
                    "instance_id": instance_id,
                    "element_id": spec.bpmn_id,
                    "name": spec.bpmn_name,
                    "lane": lane,
                    "lane_name": lane_name or getattr(spec, "lane", None),
                    "state": TaskRowState.READY,
                    "form": [f.to_dict() for f in loaded.forms.get(spec.bpmn_id, [])],
                    "assignee": None,
                    "due_at": deadline_of(task, count_fired_deadlines),
                    "created_at": now,
                    "ended_at": None,
                    "ended_by": None,
                    **immediacy(task, now),
                }
            )
        elif old == TaskState.READY and task.state & TaskState.FINISHED_MASK:
            done = task.state == TaskState.COMPLETED
            changes.ended.append(
                {
                    "tid": str(task.id),
                    "st": TaskRowState.COMPLETED if done else TaskRowState.CANCELLED,
                    "at": now,
                    "by": actor.name if done else SYSTEM.name,
                }
            )
    return changes


IMMEDIATE = "immediate"
"""The ``camunda:property`` of a user task whose value, a condition on the task's data, marks the task immediate."""
IMMEDIATE_SINCE = "immediate_since"
"""The ``camunda:property`` whose value, an expression on the task's data, gives the ISO 8601 moment an immediate
task's elapsed time counts from (without it, or when it gives None: when the task became ready)."""


def immediacy(task: Any, now: datetime) -> dict[str, Any]:
    """``immediate`` and ``immediate_since`` of a task row, from the diagram's properties on the user task.

    Work "at the first moment" has no deadline of its own, yet it is the most urgent work there is; the diagram
    says which tasks are such work (a property, not a list of element ids in code), and when their clock started.
    """
    properties = getattr(task.task_spec, "extensions", None) or {}
    condition = properties.get(IMMEDIATE)
    if not condition or not _evaluate(task, IMMEDIATE, condition):
        return {"immediate": False, "immediate_since": None}
    since_expression = properties.get(IMMEDIATE_SINCE)
    if not since_expression:
        return {"immediate": True, "immediate_since": now}
    since = _evaluate(task, IMMEDIATE_SINCE, since_expression)
    if since is None:
        return {"immediate": True, "immediate_since": now}
    try:
        moment = calendar_cn.parse_instant(since)
    except (TypeError, ValueError):
        raise ProcessError(
            f"the camunda:property {IMMEDIATE_SINCE} of {task.task_spec.bpmn_id} gave {since!r}, not an ISO 8601 time",
            {"element_id": task.task_spec.bpmn_id},
        ) from None
    return {"immediate": True, "immediate_since": moment}


def _evaluate(task: Any, name: str, expression: str) -> Any:
    try:
        return task.workflow.script_engine.evaluate(task, expression)
    except EmflowError:
        raise
    except Exception as exc:  # SpiffWorkflow wraps the diagram's NameError, TypeError ... in WorkflowTaskException
        raise ProcessError(
            f"the camunda:property {name} of {task.task_spec.bpmn_id} could not be evaluated: {exc}",
            {"element_id": task.task_spec.bpmn_id},
        ) from None


def timer_row(
    instance_id: int | None, task_id: str, element_id: str, due: datetime, fired_at: datetime | None = None
) -> dict[str, Any]:
    """A new row of the ``timer`` table (fired at once when the timer was already due when reached)."""
    return {
        "instance_id": instance_id,
        "task_id": task_id,
        "element_id": element_id,
        "due_at": due,
        "fired_at": fired_at,
        "cancelled_at": None,
    }


def timer_changes(
    instance_id: int | None, before: dict[str, tuple[str, datetime]], workflow: BpmnWorkflow, now: datetime
) -> TimerChanges:
    """How the ``timer`` table must change so that it equals the workflow's waiting timers."""
    after = waiting_timers(workflow)
    added = [timer_row(instance_id, tid, element, due) for tid, (element, due) in after.items() if tid not in before]
    fired: list[dict[str, Any]] = []
    cancelled: list[dict[str, Any]] = []
    gone = [tid for tid in before if tid not in after]
    if gone:
        states = {str(t.id): t.state for t in all_tasks(workflow)}
        for tid in gone:
            did_fire = states.get(tid, TaskState.CANCELLED) & (TaskState.READY | TaskState.COMPLETED)
            (fired if did_fire else cancelled).append({"iid": instance_id, "tid": tid, "at": now})
    return TimerChanges(added, fired, cancelled)


_MISSING = object()


def all_tasks(workflow: BpmnWorkflow) -> list[Any]:
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


def task_states(workflow: BpmnWorkflow) -> dict[UUID, int]:
    return {t.id: t.state for t in all_tasks(workflow)}


def fired_timer_events(
    workflow: BpmnWorkflow, before: dict[str, tuple[str, datetime]], now: datetime
) -> list[PendingEvent]:
    """A timer that fired is a deadline that passed: history keeps its due time and how late it was noticed."""
    events = []
    for task in all_tasks(workflow):
        tid = str(task.id)
        if tid in before and task.state & (TaskState.READY | TaskState.COMPLETED):
            element, due = before[tid]
            events.append(
                PendingEvent(
                    "timer_fired",
                    {
                        "due_at": due.isoformat(),
                        "fired_at": now.isoformat(),
                        "late_seconds": round(max(0.0, (now - due).total_seconds()), 3),
                        "attached_to": attached_element(task),
                    },
                    element,
                    tid,
                )
            )
    return events


def timers_fired_on_arrival(
    workflow: BpmnWorkflow, before: dict[UUID, int], predicted_too: bool = False
) -> dict[str, tuple[str, datetime]]:
    """Timers reached and fired within one command (already due when they were reached): task id -> (element id,
    due time). They never waited, so neither ``waiting_timers`` nor ``fired_timer_events`` sees them.

    ``predicted_too`` (engine semantics 3): also a timer SpiffWorkflow had laid out ahead before the command (a
    predicted or future task, e.g. the boundary timer of a task behind a parallel split) — semantics 2 saw only
    timers created by the command, so the five firsts' late report left no trace of its fired deadline."""
    not_reached = TaskState.PREDICTED_MASK | TaskState.FUTURE
    out = {}
    for task in all_tasks(workflow):
        old = before.get(task.id)
        if old is not None and not (predicted_too and old & not_reached):
            continue
        if not task.state & (TaskState.READY | TaskState.COMPLETED):
            continue
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            due = timer_due(task)
            if due is not None:
                out[str(task.id)] = (task.task_spec.bpmn_id, due)
    return out


def attached_element(task: Any) -> str | None:
    """The BPMN id of the activity a boundary timer is attached to (None for other timers)."""
    parent = task.parent
    if parent is None or type(parent.task_spec).__name__ != "BoundaryEventSplit":
        return None
    for sibling in parent.children:
        if sibling is not task and type(sibling.task_spec).__name__ != "BoundaryEvent":
            bpmn_id: str | None = sibling.task_spec.bpmn_id
            return bpmn_id
    return None


def deadline_of(task: Any, count_fired: bool = False) -> datetime | None:
    """A user task's due time: the earliest timer boundary event attached to it (waiting, or with ``count_fired``
    also one that has already fired — a deadline that passed before the task was even ready)."""
    parent = task.parent
    if parent is None or type(parent.task_spec).__name__ != "BoundaryEventSplit":
        return None
    states = TaskState.WAITING | (TaskState.READY | TaskState.COMPLETED if count_fired else 0)
    dues = [timer_due(s) for s in parent.children if s is not task and s.state & states]
    dues = [d for d in dues if d is not None]
    return min(dues) if dues else None


@dataclass(frozen=True)
class ReadyUserTask:
    id: str
    element_id: str
    name: str | None
    lane: str | None  # the lane SpiffWorkflow's parser gave the task spec


def ready_user_tasks(workflow: BpmnWorkflow) -> list[ReadyUserTask]:
    """The READY user tasks of a workflow (what the task projection holds as READY)."""
    return [
        ReadyUserTask(str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name, getattr(t.task_spec, "lane", None))
        for t in all_tasks(workflow)
        if t.state == TaskState.READY and getattr(t.task_spec, "manual", False)
    ]


def waiting_timers(workflow: BpmnWorkflow) -> dict[str, tuple[str, datetime]]:
    """Waiting timer tasks: task id -> (element id, due time)."""
    out = {}
    for task in all_tasks(workflow):
        if task.state == TaskState.WAITING:
            due = timer_due(task)
            if due is not None:
                out[str(task.id)] = (task.task_spec.bpmn_id, due)
    return out


def live_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance's data as of its latest step: workflow data overlaid with the live branches' task data."""
    data = dict(workflow.data)
    live = [t for t in all_tasks(workflow) if t.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED)]
    if not live and workflow.last_task is not None:
        live = [workflow.last_task]
    for task in sorted(live, key=lambda t: t.last_state_change):
        data.update(task.data)
    safe: dict[str, Any] = json_safe(data)
    return safe


def timer_due(task: Any) -> Any:
    """When a WAITING timer task fires, from what SpiffWorkflow stored when it first evaluated the timer."""
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return None
    value = task.internal_data.get("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        return TimerEventDefinition.get_datetime(value["next"])
    parsed = TimerEventDefinition.parse_time_or_duration(value)
    return parsed if hasattr(parsed, "tzinfo") else None
