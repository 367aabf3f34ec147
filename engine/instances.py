"""Process instances: start, complete tasks, messages, suspend/resume/cancel — one transaction per command.

The flow of every command (ARCHITECTURE.md): read the instance row and its ``version``; take the live workflow
from the cache or restore it from the snapshot; apply the command and run the engine until it waits; then write,
in one transaction guarded by ``WHERE version = :old``, the new snapshot, the task projection and the history
(the command itself and every task state transition it caused). A lost race changes nothing and raises Conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update

from engine import history
from engine.actors import SYSTEM, Actor
from engine.clock import Clock
from engine.db import Database
from engine.definitions import DefinitionService, LoadedDefinition
from engine.errors import Conflict, DataInvalid, EmflowError, Forbidden, NotFound, ProcessError
from engine.forms import FormField, validate
from engine.history import PendingEvent, json_safe
from engine.models import ProcessInstance, Task
from engine.sandbox import make_script_engine
from engine.spiff_compat import dump_workflow, load_workflow
from engine.workflow_cache import WorkflowCache

RUNNING, SUSPENDED, COMPLETED, CANCELLED = "running", "suspended", "completed", "cancelled"
STATUSES = (RUNNING, SUSPENDED, COMPLETED, CANCELLED)
TASK_STATES = ("READY", "COMPLETED", "CANCELLED")
_RECORDED = TaskState.WAITING | TaskState.READY | TaskState.STARTED | TaskState.FINISHED_MASK


@dataclass(frozen=True)
class TaskView:
    id: str
    instance_id: int
    element_id: str
    name: str | None
    lane: str | None
    lane_name: str | None
    state: str
    form: list[dict[str, Any]]
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    ended_at: datetime | None
    ended_by: str | None

    @classmethod
    def of(cls, row: Task) -> TaskView:
        return cls(row.id, row.instance_id, row.element_id, row.name, row.lane, row.lane_name, row.state,
                   row.form, row.assignee, row.due_at, row.created_at, row.ended_at, row.ended_by)


@dataclass(frozen=True)
class InstanceView:
    id: int
    definition_key: str
    definition_version: int
    business_key: str
    status: str
    version: int
    data: dict[str, Any]
    parent_id: int | None
    link_kind: str | None
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    ready_tasks: list[TaskView] = field(default_factory=list)


@dataclass
class _Step:
    """What one command did to a workflow, before it is written."""

    events: list[PendingEvent]
    status: str | None = None


class InstanceService:
    def __init__(self, db: Database, definitions: DefinitionService, clock: Clock,
                 cache: WorkflowCache | None = None):
        self.db = db
        self.definitions = definitions
        self.clock = clock
        self.cache = cache if cache is not None else WorkflowCache()
        self.script_engine = make_script_engine()

    # ----------------------------------------------------------------------------------------------- queries
    def get(self, instance_id: int) -> InstanceView:
        with self.db.read() as s:
            row = s.get(ProcessInstance, instance_id)
            if row is None:
                raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
            tasks = s.scalars(
                select(Task).where(Task.instance_id == instance_id, Task.state == "READY").order_by(Task.created_at)
            ).all()
            return self._view(row, tasks)

    def list(self, definition_key: str | None = None, status: str | None = None,
             business_key: str | None = None, limit: int = 100, offset: int = 0) -> list[InstanceView]:
        with self.db.read() as s:
            query = select(ProcessInstance)
            if definition_key:
                query = query.where(ProcessInstance.definition_key == definition_key)
            if status:
                query = query.where(ProcessInstance.status == status)
            if business_key:
                query = query.where(ProcessInstance.business_key == business_key)
            rows = s.scalars(query.order_by(ProcessInstance.id).limit(limit).offset(offset)).all()
            return [self._view(r, []) for r in rows]

    def _view(self, row: ProcessInstance, tasks: Any) -> InstanceView:
        info = self.definitions.load(row.definition_id).info
        return InstanceView(row.id, row.definition_key, info.version, row.business_key, row.status, row.version,
                            row.data, row.parent_id, row.link_kind, row.created_at, row.updated_at, row.ended_at,
                            [TaskView.of(t) for t in tasks])

    # ---------------------------------------------------------------------------------------------- commands
    def start(self, definition_key: str, business_key: str, data: dict[str, Any], actor: Actor,
              version: int | None = None, parent_id: int | None = None,
              link_kind: str | None = None) -> InstanceView:
        if not isinstance(data, dict):
            raise DataInvalid({"data": "must be a JSON object"})
        info = self.definitions.get(definition_key, version)
        loaded = self.definitions.load(info.id)
        now = self.clock.now()
        workflow = BpmnWorkflow(loaded.parsed.spec, loaded.parsed.subprocess_specs, script_engine=self.script_engine)
        start_task = workflow.get_tasks(state=TaskState.READY)[0]
        start_task.data.update(json_safe(data))
        before: dict[UUID, int] = {}
        self._run_engine(workflow, lambda: None)
        events = [PendingEvent("instance_started", {"definition_key": info.key, "definition_version": info.version,
                                                    "business_key": business_key, "data": data,
                                                    "parent_id": parent_id, "link_kind": link_kind})]
        events += self._transitions(loaded, workflow, before)
        status = COMPLETED if workflow.is_completed() else RUNNING
        with self.db.write() as s:
            row = ProcessInstance(
                definition_id=info.id, definition_key=info.key, business_key=business_key, status=status,
                version=1, snapshot=dump_workflow(workflow), data=_data_of(workflow), parent_id=parent_id,
                link_kind=link_kind, history_seq=0, history_head=history.GENESIS, started_by=actor.name,
                created_at=now, updated_at=now, ended_at=now if status == COMPLETED else None,
            )
            s.add(row)
            s.flush()
            rows, row.history_seq, row.history_head = history.build_rows(row.id, 0, history.GENESIS, now,
                                                                         actor.name, events)
            s.add_all(rows)
            self._project_tasks(s, row.id, loaded, workflow, before, now, actor)
            instance_id = row.id
        self.cache.put(instance_id, 1, workflow)
        return self.get(instance_id)

    def complete_task(self, task_id: str, data: dict[str, Any], actor: Actor) -> InstanceView:
        row = self._task_row(task_id)
        if not actor.works_lane(row.lane):
            raise Forbidden(f"task {task_id} belongs to lane '{row.lane}', not to your lanes",
                            {"lane": row.lane})
        if row.state != "READY":
            raise Conflict(f"task {task_id} is already {row.state.lower()}", {"state": row.state})
        if row.assignee and row.assignee != actor.name and actor.role != "system":
            raise Conflict(f"task {task_id} is claimed by {row.assignee}", {"assignee": row.assignee})
        clean = validate([FormField(**f) for f in row.form], data)

        def apply(workflow: BpmnWorkflow, loaded: LoadedDefinition) -> _Step:
            task = workflow.get_task_from_id(UUID(task_id))
            if task is None or task.state != TaskState.READY:
                raise Conflict(f"task {task_id} is no longer ready")
            task.data.update(clean)
            self._run_engine(workflow, task.run)
            return _Step([PendingEvent("task_completed", {"data": clean}, task.task_spec.bpmn_id, task_id)])

        return self._execute(row.instance_id, actor, apply)

    def claim_task(self, task_id: str, actor: Actor) -> TaskView:
        row = self._task_row(task_id)
        if not actor.works_lane(row.lane):
            raise Forbidden(f"task {task_id} belongs to lane '{row.lane}', not to your lanes", {"lane": row.lane})
        if row.state != "READY":
            raise Conflict(f"task {task_id} is already {row.state.lower()}", {"state": row.state})
        if row.assignee == actor.name:
            return TaskView.of(row)
        if row.assignee:
            raise Conflict(f"task {task_id} is claimed by {row.assignee}", {"assignee": row.assignee})
        event = PendingEvent("task_claimed", {"assignee": actor.name}, row.element_id, task_id)

        def guard(s: Any) -> None:
            res = s.execute(update(Task).where(Task.id == task_id, Task.assignee.is_(None), Task.state == "READY")
                            .values(assignee=actor.name))
            if res.rowcount != 1:
                raise Conflict(f"task {task_id} was claimed or completed meanwhile")

        self._record_only(row.instance_id, actor, [event], extra=guard)
        return self.get_task(task_id)

    def send_message(self, instance_id: int, name: str, payload: Any, actor: Actor) -> InstanceView:
        def apply(workflow: BpmnWorkflow, loaded: LoadedDefinition) -> _Step:
            event = BpmnEvent(MessageEventDefinition(name), {"payload": json_safe(payload), "result_var": name})
            try:
                self._run_engine(workflow, lambda: workflow.send_event(event))
            except ProcessError as exc:
                if "not waiting for" in exc.message:
                    raise Conflict(f"instance {instance_id} is not waiting for message '{name}'",
                                   {"name": name}) from None
                raise
            return _Step([PendingEvent("message_received", {"name": name, "payload": payload})])

        return self._execute(instance_id, actor, apply)

    def cancel(self, instance_id: int, actor: Actor, reason: str | None = None) -> InstanceView:
        def apply(workflow: BpmnWorkflow, loaded: LoadedDefinition) -> _Step:
            workflow.cancel()
            return _Step([PendingEvent("instance_cancelled", {"reason": reason})], status=CANCELLED)

        return self._execute(instance_id, actor, apply, allow_suspended=True)

    def suspend(self, instance_id: int, actor: Actor, reason: str | None = None) -> InstanceView:
        self._set_status(instance_id, actor, RUNNING, SUSPENDED, "instance_suspended", reason)
        return self.get(instance_id)

    def resume(self, instance_id: int, actor: Actor, reason: str | None = None) -> InstanceView:
        self._set_status(instance_id, actor, SUSPENDED, RUNNING, "instance_resumed", reason)
        return self.get(instance_id)

    def get_task(self, task_id: str) -> TaskView:
        return TaskView.of(self._task_row(task_id))

    def task_for(self, actor: Actor, task_id: str) -> TaskView:
        """A task as ``actor`` may see it: responders only those of their lanes."""
        view = self.get_task(task_id)
        if actor.role == "responder" and not actor.works_lane(view.lane):
            raise Forbidden(f"task {task_id} belongs to lane '{view.lane}', not to your lanes", {"lane": view.lane})
        return view

    def tasks_for(self, actor: Actor, lane: str | None = None, state: str | None = "READY",
                  instance_id: int | None = None, limit: int = 200, offset: int = 0) -> list[TaskView]:
        """Task lists as ``actor`` may see them: a responder asking for another lane is refused, not filtered."""
        lanes: list[str] | None = [lane] if lane else None
        if actor.role == "responder":
            if lane and lane not in actor.lanes:
                raise Forbidden(f"lane '{lane}' is not one of your lanes", {"lane": lane})
            lanes = [lane] if lane else list(actor.lanes)
        return self.list_tasks(None if state == "ALL" else state, lanes, instance_id, limit, offset)

    def list_tasks(self, state: str | None = "READY", lanes: list[str] | None = None,
                   instance_id: int | None = None, limit: int = 200, offset: int = 0) -> list[TaskView]:
        with self.db.read() as s:
            query = select(Task)
            if state:
                query = query.where(Task.state == state)
            if lanes is not None:
                query = query.where(Task.lane.in_(lanes))
            if instance_id is not None:
                query = query.where(Task.instance_id == instance_id)
            rows = s.scalars(query.order_by(Task.created_at, Task.id).limit(limit).offset(offset)).all()
            return [TaskView.of(r) for r in rows]

    def history(self, instance_id: int) -> list[dict[str, Any]]:
        from engine.models import HistoryEvent

        self.get(instance_id)
        with self.db.read() as s:
            rows = s.scalars(select(HistoryEvent).where(HistoryEvent.instance_id == instance_id)
                             .order_by(HistoryEvent.seq)).all()
            return [history.row_to_dict(r) for r in rows]

    # -------------------------------------------------------------------------------------------- machinery
    def _task_row(self, task_id: str) -> Task:
        with self.db.read() as s:
            row = s.get(Task, task_id)
        if row is None:
            raise NotFound(f"no task {task_id}", {"task_id": task_id})
        return row

    def _execute(self, instance_id: int, actor: Actor,
                 apply: Callable[[BpmnWorkflow, LoadedDefinition], _Step], allow_suspended: bool = False
                 ) -> InstanceView:
        with self.db.read() as s:
            row = s.get(ProcessInstance, instance_id)
            if row is None:
                raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
            version, status = row.version, row.status
            seq, head, definition_id = row.history_seq, row.history_head, row.definition_id
            workflow = self.cache.take(instance_id, version)
            loaded = self.definitions.load(definition_id)
            if workflow is None:
                workflow = load_workflow(row.snapshot, loaded.parsed.spec, loaded.parsed.subprocess_specs,
                                         self.script_engine)
        if status in (COMPLETED, CANCELLED):
            raise Conflict(f"instance {instance_id} is {status}", {"status": status})
        if status == SUSPENDED and not allow_suspended:
            raise Conflict(f"instance {instance_id} is suspended", {"status": status})
        before = _states(workflow)
        step = apply(workflow, loaded)
        now = self.clock.now()
        events = step.events + self._transitions(loaded, workflow, before)
        new_status = step.status or (COMPLETED if workflow.is_completed() else status)
        snapshot = dump_workflow(workflow)
        with self.db.write() as s:
            rows, new_seq, new_head = history.build_rows(instance_id, seq, head, now, actor.name, events)
            res = s.execute(
                update(ProcessInstance)
                .where(ProcessInstance.id == instance_id, ProcessInstance.version == version)
                .values(version=version + 1, snapshot=snapshot, status=new_status, data=_data_of(workflow),
                        history_seq=new_seq, history_head=new_head, updated_at=now,
                        ended_at=now if new_status in (COMPLETED, CANCELLED) else None)
            )
            if res.rowcount != 1:
                raise Conflict(f"instance {instance_id} was changed by another command; reload and retry",
                               {"instance_id": instance_id})
            s.add_all(rows)
            self._project_tasks(s, instance_id, loaded, workflow, before, now, actor)
        self.cache.put(instance_id, version + 1, workflow)
        return self.get(instance_id)

    def _record_only(self, instance_id: int, actor: Actor, events: list[PendingEvent],
                     extra: Callable[[Any], None] | None = None, status: str | None = None) -> None:
        """A command that changes no workflow state: bump the version, append history, keep the snapshot."""
        with self.db.read() as s:
            row = s.get(ProcessInstance, instance_id)
            if row is None:
                raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
            version, seq, head = row.version, row.history_seq, row.history_head
        now = self.clock.now()
        with self.db.write() as s:
            rows, new_seq, new_head = history.build_rows(instance_id, seq, head, now, actor.name, events)
            values: dict[str, Any] = {"version": version + 1, "history_seq": new_seq, "history_head": new_head,
                                      "updated_at": now}
            if status:
                values["status"] = status
            res = s.execute(update(ProcessInstance)
                            .where(ProcessInstance.id == instance_id, ProcessInstance.version == version)
                            .values(**values))
            if res.rowcount != 1:
                raise Conflict(f"instance {instance_id} was changed by another command; reload and retry")
            if extra:
                extra(s)
            s.add_all(rows)
        workflow = self.cache.take(instance_id, version)
        if workflow is not None:
            self.cache.put(instance_id, version + 1, workflow)

    def _set_status(self, instance_id: int, actor: Actor, expected: str, new: str, kind: str,
                    reason: str | None) -> None:
        current = self.get(instance_id).status
        if current != expected:
            raise Conflict(f"instance {instance_id} is {current}, not {expected}", {"status": current})
        self._record_only(instance_id, actor, [PendingEvent(kind, {"reason": reason})], status=new)

    def _run_engine(self, workflow: BpmnWorkflow, action: Callable[[], Any]) -> None:
        """Apply an action and run until the workflow waits, turning diagram failures into ProcessError."""
        try:
            action()
            workflow.do_engine_steps()
        except EmflowError:
            raise
        except WorkflowException as exc:
            task = getattr(exc, "task", None)
            element = task.task_spec.bpmn_id if task is not None else None
            line = getattr(exc, "line_number", None)
            raise ProcessError(f"the process failed at {element or 'an element'}: {exc}",
                               {"element_id": element, "line": line}) from None

    def _transitions(self, loaded: LoadedDefinition, workflow: BpmnWorkflow,
                     before: dict[UUID, int]) -> list[PendingEvent]:
        events = []
        for task in _all_tasks(workflow):
            spec = task.task_spec
            if not getattr(spec, "bpmn_id", None) or not (task.state & _RECORDED):
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

    def _project_tasks(self, s: Any, instance_id: int, loaded: LoadedDefinition, workflow: BpmnWorkflow,
                       before: dict[UUID, int], now: datetime, actor: Actor) -> None:
        for task in _all_tasks(workflow):
            spec = task.task_spec
            if not getattr(spec, "manual", False):
                continue
            old = before.get(task.id)
            if old == task.state:
                continue
            if task.state == TaskState.READY:
                lane, lane_name = loaded.lane_of(spec.bpmn_id)
                s.add(Task(id=str(task.id), instance_id=instance_id, element_id=spec.bpmn_id,
                           name=spec.bpmn_name, lane=lane, lane_name=lane_name or getattr(spec, "lane", None),
                           state="READY", form=[f.to_dict() for f in loaded.forms.get(spec.bpmn_id, [])],
                           assignee=None, due_at=None, created_at=now))
            elif old == TaskState.READY and task.state & TaskState.FINISHED_MASK:
                state = "COMPLETED" if task.state == TaskState.COMPLETED else "CANCELLED"
                s.execute(update(Task).where(Task.id == str(task.id))
                          .values(state=state, ended_at=now,
                                  ended_by=actor.name if state == "COMPLETED" else SYSTEM.name))


_MISSING = object()


def _all_tasks(workflow: BpmnWorkflow) -> list[Any]:
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


def _states(workflow: BpmnWorkflow) -> dict[UUID, int]:
    return {t.id: t.state for t in _all_tasks(workflow)}


def _data_of(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance's data as of its latest step: workflow data overlaid with the live branches' task data."""
    data = dict(workflow.data)
    live = [t for t in _all_tasks(workflow) if t.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED)]
    if not live and workflow.last_task is not None:
        live = [workflow.last_task]
    for task in sorted(live, key=lambda t: t.last_state_change):
        data.update(task.data)
    return json_safe(data)
