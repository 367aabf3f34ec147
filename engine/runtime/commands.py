"""The commands an instance takes, each one function, run alike by live commands and by replay.

A command is what its history event records (``Command``: kind, payload, element and task). ``execute`` checks
that the instance may take it, applies it to the workflow through the BPMN boundary, runs until the workflow
waits, and returns what it caused (``Outcome``): the consequence events, the new status, the task-projection and
timer-row changes and the linked instances it asked for. ``engine.runtime.instances`` writes an outcome in the
command's transaction; ``engine.audit.replay`` compares it with what history recorded. Both call ``execute`` with
the same ``Command``, so a change to a command cannot be made in one path only (the way Temporal's replayer drives
the very code that runs live). See docs/ARCHITECTURE.md, "The flow of a command".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine import command_context
from engine.bpmn import workflow as wf
from engine.bpmn.effects import (
    TaskChanges,
    TimerChanges,
    fired_timer_events,
    task_changes,
    task_states,
    timer_changes,
    timer_row,
    timers_fired_on_arrival,
    transition_events,
    waiting_timers,
)
from engine.bpmn.prune import prune_finished
from engine.command_context import CommandContext, LinkRequest
from engine.definitions.service import LoadedDefinition
from engine.errors import Conflict, DataInvalid
from engine.events import PendingEvent, json_safe
from engine.names import EventKind, InstanceStatus

_ONE_MICROSECOND = timedelta(microseconds=1)

SEMANTICS = 3
"""The engine behaviour new instances run under, recorded in their ``instance_started`` event. Replay re-executes
an instance under the semantics it was started with, so a history keeps replaying exactly after the engine's
behaviour is corrected (as Temporal versions workflow code with patch markers). A history without the field was
written under semantics 1.

1. the original behaviour;
2. a timer already due when it is reached (an incident recorded after its reporting deadline passed) still leaves
   its deadline behind: the guarded task's ``due_at``, a ``timer`` row fired at once and a ``timer_fired`` event
   with the lateness — before, it fired inside the command and left no trace but the escalation it opened;
3. a deadline already passed when it is reached leaves its trace also when SpiffWorkflow had predicted the timer
   before the command (a boundary timer behind a parallel split, as the five firsts' initial report has: semantics
   2 missed it there); and the escalation services (``engine.runtime.service_tasks``) follow docs/DECISIONS.md
   D17, D21 and D22: "immediately" has a grace and is never "already overdue" (an immediate report is due the
   ruleset's grace after the incident was recorded, not at ``discovered_at``); grading records when the incident
   was recorded and the due times of the five firsts' targets and of publication; re-evaluation compares whole
   decisions, not levels (``decision_changes``; a decision that changes only what the response needs is
   ``level_change = "changed"``, one that tightens reporting at the same level is ``"raised"``).
"""


@dataclass(frozen=True)
class Command:
    """A command as history records it: the first event of the group of events the command writes."""

    kind: EventKind
    payload: dict[str, Any] = field(default_factory=dict)
    element_id: str | None = None
    task_id: str | None = None

    def event(self) -> PendingEvent:
        return PendingEvent(self.kind, self.payload, self.element_id, self.task_id)


@dataclass
class Execution:
    """The instance a command runs on: its definition, status and workflow.

    ``workflow`` is None before ``instance_started``. Commands that change no workflow state (suspend, resume)
    never read it; a live caller may leave it None and give ``load`` to fetch it only when a command needs it.
    """

    loaded: LoadedDefinition
    script_engine: Any
    status: InstanceStatus = InstanceStatus.RUNNING
    instance_id: int | None = None
    workflow: wf.Workflow | None = None
    load: Callable[[], wf.Workflow] | None = None
    semantics: int = 1  # set by instance_started (SEMANTICS); live commands read it from the history's first event

    def the_workflow(self) -> wf.Workflow:
        if self.workflow is None and self.load is not None:
            self.workflow = self.load()
        if self.workflow is None:
            raise Conflict(f"instance {self.instance_id} has not been started")
        return self.workflow


@dataclass
class Outcome:
    """What a command caused, before anything is written or compared."""

    events: list[PendingEvent]  # the consequences, in the order history records them after the command
    status: InstanceStatus
    tasks: TaskChanges
    timers: TimerChanges
    links: list[LinkRequest]
    changed_workflow: bool


Apply = Callable[[Execution, Command], InstanceStatus | None]


@dataclass(frozen=True)
class _Kind:
    apply: Apply
    allowed: frozenset[InstanceStatus]  # the statuses an instance may take this command in
    changes_workflow: bool = True
    prunes: bool = True  # finished tasks are pruned after the command (not after a start: nothing finished yet)


def execute(execution: Execution, command: Command, ctx: CommandContext) -> Outcome:
    """Check, apply and run one command; what it caused. Raises Conflict, DataInvalid or ProcessError."""
    kind = _KINDS.get(command.kind)
    if kind is None:
        raise DataInvalid({"kind": f"{command.kind!r} is not a command"})
    if execution.status not in kind.allowed:
        raise Conflict(
            f"instance {execution.instance_id} is {execution.status}: it cannot take {command.kind}",
            {"status": execution.status},
        )
    if command.kind == EventKind.TIMER_DUE:  # a timer fires as of its own due time (catch-up keeps due order)
        ctx.timer_now = _due_at(command) + _ONE_MICROSECOND
    ctx.semantics = execution.semantics  # instance_started sets both from its payload
    if not kind.changes_workflow:
        with command_context.running(ctx):
            status = kind.apply(execution, command)
        execution.status = status or execution.status
        return Outcome([], execution.status, TaskChanges([], [], []), TimerChanges([], [], []), [], False)
    workflow = execution.workflow if command.kind == EventKind.INSTANCE_STARTED else execution.the_workflow()
    before = task_states(workflow) if workflow is not None else {}
    timers_before = waiting_timers(workflow) if workflow is not None else {}
    with command_context.running(ctx):
        status = kind.apply(execution, command)
    workflow = execution.the_workflow()
    on_arrival = timers_fired_on_arrival(workflow, before, execution.semantics >= 3) if execution.semantics >= 2 else {}
    events = ctx.events + fired_timer_events(workflow, timers_before, ctx.now)
    events += fired_timer_events(workflow, on_arrival, ctx.now)
    events += transition_events(execution.loaded, workflow, before)
    status = status or (InstanceStatus.COMPLETED if wf.is_completed(workflow) else execution.status)
    tasks = task_changes(
        execution.instance_id, execution.loaded, workflow, before, ctx.now, ctx.actor, execution.semantics >= 2
    )
    timers = timer_changes(execution.instance_id, timers_before, workflow, ctx.now)
    timers.added += [
        timer_row(execution.instance_id, tid, element, due, fired_at=ctx.now)
        for tid, (element, due) in on_arrival.items()
    ]
    if kind.prunes:
        prune_finished(workflow)
    execution.status = status
    return Outcome(events, status, tasks, timers, list(ctx.links), True)


def linked_events(links: list[LinkRequest], instance_ids: list[int | None]) -> list[PendingEvent]:
    """The events announcing the linked instances a command started, in the parent's history."""
    return [
        PendingEvent(
            EventKind.LINKED_INSTANCE_STARTED,
            {"instance_id": iid, "definition_key": link.definition_key, "link_kind": link.link_kind},
            link.element_id,
        )
        for link, iid in zip(links, instance_ids, strict=True)
    ]


# ---------------------------------------------------------------------------------------------- the commands
def _start(execution: Execution, command: Command) -> InstanceStatus | None:
    if execution.workflow is not None:
        raise Conflict(f"instance {execution.instance_id} is already started")
    parsed = execution.loaded.parsed
    data = json_safe(command.payload.get("data") or {})
    semantics = command.payload.get("semantics", 1)
    if not isinstance(semantics, int) or not 1 <= semantics <= SEMANTICS:
        raise DataInvalid({"semantics": f"this engine runs semantics 1 to {SEMANTICS}, not {semantics!r}"})
    execution.semantics = semantics
    ctx = command_context.current()
    if ctx is not None:
        ctx.semantics = semantics
    execution.workflow = wf.new_workflow(parsed.spec, parsed.subprocess_specs, execution.script_engine, data)
    wf.run(execution.workflow)
    return None


def _complete_task(execution: Execution, command: Command) -> InstanceStatus | None:
    workflow = execution.the_workflow()
    task = _task_in(workflow, command, wf.READY)
    wf.complete(workflow, task, json_safe(command.payload.get("data") or {}))
    return None


def _deliver_message(execution: Execution, command: Command) -> InstanceStatus | None:
    name = command.payload.get("name")
    if not isinstance(name, str):
        raise DataInvalid({"name": "a message needs a name"})
    if not wf.deliver_message(execution.the_workflow(), name, json_safe(command.payload.get("payload"))):
        raise Conflict(f"instance {execution.instance_id} is not waiting for message '{name}'", {"name": name})
    return None


def _fire_timer(execution: Execution, command: Command) -> InstanceStatus | None:
    workflow = execution.the_workflow()
    _task_in(workflow, command, wf.WAITING)
    wf.fire_timers(workflow)
    return None


def _cancel(execution: Execution, command: Command) -> InstanceStatus | None:
    wf.cancel(execution.the_workflow())
    return InstanceStatus.CANCELLED


def _suspend(execution: Execution, command: Command) -> InstanceStatus | None:
    return InstanceStatus.SUSPENDED


def _resume(execution: Execution, command: Command) -> InstanceStatus | None:
    return InstanceStatus.RUNNING


def _claim(execution: Execution, command: Command) -> InstanceStatus | None:
    _task_in(execution.the_workflow(), command, wf.READY)
    return None


_RUNNING = frozenset({InstanceStatus.RUNNING})
_NOT_ENDED = frozenset({InstanceStatus.RUNNING, InstanceStatus.SUSPENDED})
_KINDS: dict[str, _Kind] = {
    EventKind.INSTANCE_STARTED: _Kind(_start, _RUNNING, prunes=False),
    EventKind.TASK_COMPLETED: _Kind(_complete_task, _RUNNING),
    EventKind.MESSAGE_RECEIVED: _Kind(_deliver_message, _RUNNING),
    EventKind.TIMER_DUE: _Kind(_fire_timer, _RUNNING),
    EventKind.INSTANCE_CANCELLED: _Kind(_cancel, _NOT_ENDED),
    EventKind.INSTANCE_SUSPENDED: _Kind(_suspend, _RUNNING, changes_workflow=False),
    EventKind.INSTANCE_RESUMED: _Kind(_resume, frozenset({InstanceStatus.SUSPENDED}), changes_workflow=False),
    EventKind.TASK_CLAIMED: _Kind(_claim, _NOT_ENDED, changes_workflow=False),
}
"""Every command kind: how it applies, the statuses it is allowed in, and whether it changes the workflow."""


# ------------------------------------------------------------------------------------------------- helpers
def _task_in(workflow: wf.Workflow, command: Command, state: Any) -> Any:
    task = wf.find_task(workflow, str(command.task_id))
    if task is None or task.state != state:
        now = "does not exist" if task is None else f"is {wf.state_name(task)}"
        wanted = "ready" if state == wf.READY else "waiting"
        raise Conflict(
            f"{command.kind}: task {command.task_id} ({command.element_id}) {now}, not {wanted}",
            {"task_id": command.task_id},
        )
    return task


def _due_at(command: Command) -> datetime:
    try:
        return datetime.fromisoformat(command.payload["due_at"])
    except (KeyError, TypeError, ValueError):
        raise DataInvalid({"due_at": "timer_due without a valid due_at"}) from None
