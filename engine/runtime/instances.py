"""Process instances: start, complete tasks, messages, suspend/resume/cancel — one transaction per command.

The flow of every command (ARCHITECTURE.md): read the instance row and its ``version``; take the live workflow
from the cache or restore it from the snapshot; apply the command and run the engine until it waits; then write,
in one transaction guarded by ``WHERE version = :old``, the new snapshot, the task projection and the history
(the command itself and every task state transition it caused). A lost race changes nothing and raises Conflict.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Connection, bindparam, insert, select, update

from engine import command_context
from engine.actors import SYSTEM, Actor
from engine.bpmn.compat import EmflowScriptEngine, dump_workflow, load_workflow, prune_finished
from engine.bpmn.effects import (
    TaskChanges,
    TimerChanges,
    fired_timer_events,
    live_data,
    task_changes,
    task_states,
    timer_changes,
    transition_events,
    waiting_timers,
)
from engine.clock import Clock
from engine.command_context import CommandContext
from engine.definitions.forms import FormField, validate
from engine.definitions.service import DefinitionService, LoadedDefinition
from engine.errors import Conflict, DataInvalid, EmflowError, Forbidden, NotFound, ProcessError
from engine.runtime.service_tasks import FUNCTIONS, SERVICES
from engine.runtime.workflow_cache import WorkflowCache
from engine.sandbox import SandboxedEnvironment
from engine.store import history
from engine.store.db import Database
from engine.store.history import PendingEvent, json_safe
from engine.store.models import HistoryEvent, ProcessDefinition, ProcessInstance, Task, Timer

RUNNING, SUSPENDED, COMPLETED, CANCELLED = "running", "suspended", "completed", "cancelled"
STATUSES = (RUNNING, SUSPENDED, COMPLETED, CANCELLED)
TASK_STATES = ("READY", "COMPLETED", "CANCELLED")


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
    overdue: bool = False

    @classmethod
    def of(cls, row: Any, now: datetime | None = None) -> TaskView:
        overdue = bool(now and row.state == "READY" and row.due_at is not None and row.due_at <= now)
        return cls(
            row.id,
            row.instance_id,
            row.element_id,
            row.name,
            row.lane,
            row.lane_name,
            row.state,
            row.form,
            row.assignee,
            row.due_at,
            row.created_at,
            row.ended_at,
            row.ended_by,
            overdue,
        )


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


@dataclass(frozen=True)
class CommandResult:
    """What a command changed, known without another read; the API renders ``get`` for people."""

    instance_id: int
    version: int
    status: str
    ready_tasks: list[tuple[str, str]]  # (task id, element id) of READY user tasks


_I = ProcessInstance.__table__
_T = Task.__table__
_H = HistoryEvent.__table__
_D = ProcessDefinition.__table__
_HEAD = (_I.c.version, _I.c.status, _I.c.history_seq, _I.c.history_head, _I.c.definition_id, _I.c.seed)
_END_TASK = (
    update(_T)
    .where(_T.c.id == bindparam("tid"))
    .values(state=bindparam("st"), ended_at=bindparam("at"), ended_by=bindparam("by"))
)
# Statements of the hot path are built once; only their parameters change from command to command.
_SELECT_HEAD = select(*_HEAD).where(_I.c.id == bindparam("iid"))
_SELECT_TASK_AND_HEAD = (
    select(_T.c.lane, _T.c.state, _T.c.assignee, _T.c.form, _T.c.instance_id, *_HEAD)
    .join(_I, _I.c.id == _T.c.instance_id)
    .where(_T.c.id == bindparam("tid"))
)
_SELECT_SNAPSHOT = select(_I.c.snapshot).where(_I.c.id == bindparam("iid"), _I.c.version == bindparam("v"))
_ADVANCE = (
    update(_I)
    .where(_I.c.id == bindparam("iid"), _I.c.version == bindparam("v"))
    .values(
        version=bindparam("new_v"),
        snapshot=bindparam("snapshot"),
        status=bindparam("status"),
        data=bindparam("data", type_=_I.c.data.type),
        history_seq=bindparam("seq"),
        history_head=bindparam("head"),
        updated_at=bindparam("now", type_=_I.c.updated_at.type),
        ended_at=bindparam("ended", type_=_I.c.ended_at.type),
    )
)
_SET_CHAIN = (
    update(_I).where(_I.c.id == bindparam("iid")).values(history_seq=bindparam("seq"), history_head=bindparam("head"))
)
_INSERT_HISTORY = insert(_H)
_INSERT_TIMER = insert(Timer.__table__)
_MARK_TIMER = update(Timer.__table__).where(
    Timer.__table__.c.instance_id == bindparam("iid"),
    Timer.__table__.c.task_id == bindparam("tid"),
    Timer.__table__.c.fired_at.is_(None),
    Timer.__table__.c.cancelled_at.is_(None),
)
_INSERT_TASK = insert(_T)


@dataclass
class _NewInstance:
    """A new instance run until it waits, with the linked instances it asked for, before anything is written."""

    definition_id: int
    definition_key: str
    business_key: str
    parent_id: int | None
    link_kind: str | None
    loaded: LoadedDefinition
    workflow: BpmnWorkflow
    events: list[PendingEvent]
    status: str
    children: list[_NewInstance]
    link_elements: list[str]
    seed: str
    ready: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Head:
    """The instance row as a command reads it: the version it guards on and the chain it continues."""

    instance_id: int
    version: int
    status: str
    seq: int
    head: str
    definition_id: int
    seed: str | None


class InstanceService:
    def __init__(
        self,
        db: Database,
        definitions: DefinitionService,
        clock: Clock,
        cache: WorkflowCache | None = None,
        rulesets: Any = None,
    ):
        self.db = db
        self.definitions = definitions
        self.clock = clock
        self.cache = cache if cache is not None else WorkflowCache()
        self.script_engine = EmflowScriptEngine(SandboxedEnvironment(FUNCTIONS), SERVICES, rulesets)
        self.timer_listeners: list[Callable[[datetime], None]] = []  # told after commit of a new timer
        self._wakeups = threading.local()

    # ----------------------------------------------------------------------------------------------- queries
    def get(self, instance_id: int) -> InstanceView:
        with self.db.connect() as conn:
            row = conn.execute(self._instance_query().where(_I.c.id == instance_id)).first()
            if row is None:
                raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
            tasks = conn.execute(
                select(_T)
                .where(_T.c.instance_id == instance_id, _T.c.state == "READY")
                .order_by(_T.c.created_at, _T.c.id)
            ).all()
        return _instance_view(row, tasks, self.clock.now())

    def list(
        self,
        definition_key: str | None = None,
        status: str | None = None,
        business_key: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[InstanceView]:
        query = self._instance_query()
        if definition_key:
            query = query.where(_I.c.definition_key == definition_key)
        if status:
            query = query.where(_I.c.status == status)
        if business_key:
            query = query.where(_I.c.business_key == business_key)
        with self.db.connect() as conn:
            rows = conn.execute(query.order_by(_I.c.id).limit(limit).offset(offset)).all()
        return [_instance_view(r, []) for r in rows]

    @staticmethod
    def _instance_query() -> Any:
        cols = [c for c in _I.c if c.name != "snapshot"]
        return select(*cols, _D.c.version.label("definition_version")).join(_D, _D.c.id == _I.c.definition_id)

    def get_task(self, task_id: str) -> TaskView:
        with self.db.connect() as conn:
            row = conn.execute(select(_T).where(_T.c.id == task_id)).first()
        if row is None:
            raise NotFound(f"no task {task_id}", {"task_id": task_id})
        return TaskView.of(row, self.clock.now())

    def task_for(self, actor: Actor, task_id: str) -> TaskView:
        """A task as ``actor`` may see it: responders only those of their lanes."""
        view = self.get_task(task_id)
        if actor.role == "responder" and not actor.works_lane(view.lane):
            raise Forbidden(f"task {task_id} belongs to lane '{view.lane}', not to your lanes", {"lane": view.lane})
        return view

    def tasks_for(
        self,
        actor: Actor,
        lane: str | None = None,
        state: str | None = "READY",
        instance_id: int | None = None,
        limit: int = 200,
        offset: int = 0,
        overdue: bool | None = None,
    ) -> list[TaskView]:
        """Task lists as ``actor`` may see them: a responder asking for another lane is refused, not filtered."""
        lanes: list[str] | None = [lane] if lane else None
        if actor.role == "responder":
            if lane and lane not in actor.lanes:
                raise Forbidden(f"lane '{lane}' is not one of your lanes", {"lane": lane})
            lanes = [lane] if lane else list(actor.lanes)
        return self.list_tasks(None if state == "ALL" else state, lanes, instance_id, limit, offset, overdue)

    def list_tasks(
        self,
        state: str | None = "READY",
        lanes: list[str] | None = None,
        instance_id: int | None = None,
        limit: int = 200,
        offset: int = 0,
        overdue: bool | None = None,
    ) -> list[TaskView]:
        """Tasks, most urgent deadline first (tasks without a deadline last, oldest first)."""
        now = self.clock.now()
        query = select(_T)
        if overdue is True:
            query = query.where(_T.c.state == "READY", _T.c.due_at <= now)
        elif overdue is False:
            query = query.where((_T.c.due_at.is_(None)) | (_T.c.due_at > now) | (_T.c.state != "READY"))
        if state:
            query = query.where(_T.c.state == state)
        if lanes is not None:
            query = query.where(_T.c.lane.in_(lanes))
        if instance_id is not None:
            query = query.where(_T.c.instance_id == instance_id)
        with self.db.connect() as conn:
            rows = conn.execute(
                query.order_by(_T.c.due_at.is_(None), _T.c.due_at, _T.c.created_at, _T.c.id).limit(limit).offset(offset)
            ).all()
        return [TaskView.of(r, now) for r in rows]

    def history(self, instance_id: int) -> list[dict[str, Any]]:
        self.get(instance_id)
        with self.db.connect() as conn:
            rows = conn.execute(select(_H).where(_H.c.instance_id == instance_id).order_by(_H.c.seq)).all()
        return [history.row_to_dict(r) for r in rows]

    # ---------------------------------------------------------------------------------------------- commands
    def start(
        self, definition_key: str, business_key: str, data: dict[str, Any], actor: Actor, version: int | None = None
    ) -> CommandResult:
        if not isinstance(data, dict):
            raise DataInvalid({"data": "must be a JSON object"})
        ctx = CommandContext(now=self.clock.now(), actor=actor, business_key=business_key)
        prepared = self._prepare_new(definition_key, business_key, data, ctx, version)
        self._pending_wakeups.clear()
        with self.db.transaction() as conn:
            instance_id = self._insert_new(conn, prepared, ctx)
        self._wake_schedulers()
        self.cache.put(instance_id, 1, prepared.workflow)
        return CommandResult(instance_id, 1, prepared.status, prepared.ready)

    def _prepare_new(
        self,
        definition_key: str,
        business_key: str,
        data: dict[str, Any],
        ctx: CommandContext,
        version: int | None = None,
        parent_id: int | None = None,
        link_kind: str | None = None,
        seed: str | None = None,
    ) -> _NewInstance:
        """Run a new instance until it waits, in memory; nothing is written yet."""
        info = self.definitions.get(definition_key, version)
        loaded = self.definitions.load(info.id)
        seed = seed or uuid4().hex
        own = CommandContext(now=ctx.now, actor=ctx.actor, business_key=business_key, seed=seed, seq=1)
        with command_context.running(own):
            workflow = BpmnWorkflow(
                loaded.parsed.spec, loaded.parsed.subprocess_specs, script_engine=self.script_engine
            )
            workflow.get_tasks(state=TaskState.READY)[0].data.update(json_safe(data))
            self._run_engine(workflow, lambda: None)
        events = [
            PendingEvent(
                "instance_started",
                {
                    "definition_key": info.key,
                    "definition_version": info.version,
                    "business_key": business_key,
                    "data": data,
                    "seed": seed,
                    "parent_id": parent_id,
                    "link_kind": link_kind,
                },
            )
        ]
        events += own.events + transition_events(loaded, workflow, {})
        status = COMPLETED if workflow.is_completed() else RUNNING
        children = [
            self._prepare_new(link.definition_key, business_key, link.data, ctx, link_kind=link.link_kind)
            for link in own.links
        ]
        return _NewInstance(
            info.id,
            info.key,
            business_key,
            parent_id,
            link_kind,
            loaded,
            workflow,
            events,
            status,
            children,
            [link.element_id for link in own.links],
            seed,
        )

    def _insert_new(
        self, conn: Connection, new: _NewInstance, ctx: CommandContext, parent_id: int | None = None
    ) -> int:
        now, actor = ctx.now, ctx.actor
        new_id = conn.execute(
            insert(_I)
            .values(
                definition_id=new.definition_id,
                definition_key=new.definition_key,
                business_key=new.business_key,
                status=new.status,
                version=1,
                snapshot=dump_workflow(new.workflow),
                data=_data_of(new.workflow),
                parent_id=parent_id,
                link_kind=new.link_kind,
                history_seq=0,
                history_head=history.GENESIS,
                seed=new.seed,
                started_by=actor.name,
                created_at=now,
                updated_at=now,
                ended_at=now if new.status == COMPLETED else None,
            )
            .returning(_I.c.id)
        ).scalar_one()
        events = new.events + self._insert_children(conn, new.children, new.link_elements, ctx, new_id)
        if parent_id is not None:
            events[0].payload["parent_id"] = parent_id
        rows, seq, head = _history_rows(new_id, 0, history.GENESIS, now, actor.name, events)
        conn.execute(update(_I).where(_I.c.id == new_id).values(history_seq=seq, history_head=head))
        conn.execute(_INSERT_HISTORY, rows)
        tasks = task_changes(new_id, new.loaded, new.workflow, {}, now, actor)
        timers = timer_changes(new_id, {}, new.workflow, now)
        self._write_tasks(conn, tasks)
        self._write_timers(conn, timers)
        new.ready = tasks.ready
        return new_id

    def _insert_children(
        self, conn: Connection, children: list[_NewInstance], elements: list[str], ctx: CommandContext, parent_id: int
    ) -> list[PendingEvent]:
        """Linked instances a command started: written in its transaction, announced in the parent's history."""
        events = []
        for child, element in zip(children, elements, strict=True):
            child_id = self._insert_new(conn, child, ctx, parent_id=parent_id)
            events.append(
                PendingEvent(
                    "linked_instance_started",
                    {
                        "instance_id": child_id,
                        "definition_key": child.definition_key,
                        "link_kind": child.link_kind,
                    },
                    element,
                )
            )
            self.cache.put(child_id, 1, child.workflow)
        return events

    def complete_task(self, task_id: str, data: dict[str, Any], actor: Actor) -> CommandResult:
        with self.db.connect() as conn:
            row = conn.execute(_SELECT_TASK_AND_HEAD, {"tid": task_id}).first()
        if row is None:
            raise NotFound(f"no task {task_id}", {"task_id": task_id})
        if not actor.works_lane(row.lane):
            raise Forbidden(f"task {task_id} belongs to lane '{row.lane}', not to your lanes", {"lane": row.lane})
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

        head = _Head(
            row.instance_id, row.version, row.status, row.history_seq, row.history_head, row.definition_id, row.seed
        )
        return self._execute(head, actor, apply)

    def claim_task(self, task_id: str, actor: Actor) -> TaskView:
        row = self.get_task(task_id)
        if not actor.works_lane(row.lane):
            raise Forbidden(f"task {task_id} belongs to lane '{row.lane}', not to your lanes", {"lane": row.lane})
        if row.state != "READY":
            raise Conflict(f"task {task_id} is already {row.state.lower()}", {"state": row.state})
        if row.assignee == actor.name:
            return row
        if row.assignee:
            raise Conflict(f"task {task_id} is claimed by {row.assignee}", {"assignee": row.assignee})
        event = PendingEvent("task_claimed", {"assignee": actor.name}, row.element_id, task_id)

        def guard(conn: Connection) -> None:
            res = conn.execute(
                update(_T)
                .where(_T.c.id == task_id, _T.c.assignee.is_(None), _T.c.state == "READY")
                .values(assignee=actor.name)
            )
            if res.rowcount != 1:
                raise Conflict(f"task {task_id} was claimed or completed meanwhile")

        self._record_only(row.instance_id, actor, [event], extra=guard)
        return self.get_task(task_id)

    def send_message(self, instance_id: int, name: str, payload: Any, actor: Actor) -> CommandResult:
        def apply(workflow: BpmnWorkflow, loaded: LoadedDefinition) -> _Step:
            event = BpmnEvent(MessageEventDefinition(name), {"payload": json_safe(payload), "result_var": name})
            try:
                self._run_engine(workflow, lambda: workflow.send_event(event))
            except ProcessError as exc:
                if "not waiting for" in exc.message:
                    raise Conflict(
                        f"instance {instance_id} is not waiting for message '{name}'", {"name": name}
                    ) from None
                raise
            return _Step([PendingEvent("message_received", {"name": name, "payload": payload})])

        return self._execute(self._head(instance_id), actor, apply)

    def cancel(self, instance_id: int, actor: Actor, reason: str | None = None) -> CommandResult:
        def apply(workflow: BpmnWorkflow, loaded: LoadedDefinition) -> _Step:
            workflow.cancel()
            return _Step([PendingEvent("instance_cancelled", {"reason": reason})], status=CANCELLED)

        return self._execute(self._head(instance_id), actor, apply, allow_suspended=True)

    def fire_timer(self, instance_id: int, task_id: str, due_at: datetime) -> CommandResult:
        """Fire one waiting timer as of its own due time, so that catch-up after downtime keeps due order."""

        def apply(workflow: BpmnWorkflow, loaded: LoadedDefinition) -> _Step:
            task = workflow.get_task_from_id(UUID(task_id))
            if task is None or task.state != TaskState.WAITING:
                raise Conflict(f"timer {task_id} of instance {instance_id} is no longer waiting")
            self._run_engine(workflow, workflow.refresh_timers)
            return _Step([PendingEvent("timer_due", {"due_at": due_at.isoformat()}, task.task_spec.bpmn_id, task_id)])

        return self._execute(self._head(instance_id), SYSTEM, apply, timer_now=due_at + timedelta(microseconds=1))

    def suspend(self, instance_id: int, actor: Actor, reason: str | None = None) -> CommandResult:
        return self._set_status(instance_id, actor, RUNNING, SUSPENDED, "instance_suspended", reason)

    def resume(self, instance_id: int, actor: Actor, reason: str | None = None) -> CommandResult:
        return self._set_status(instance_id, actor, SUSPENDED, RUNNING, "instance_resumed", reason)

    # -------------------------------------------------------------------------------------------- machinery
    def _head(self, instance_id: int) -> _Head:
        with self.db.connect() as conn:
            row = conn.execute(_SELECT_HEAD, {"iid": instance_id}).first()
        if row is None:
            raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
        return _Head(
            instance_id, row.version, row.status, row.history_seq, row.history_head, row.definition_id, row.seed
        )

    def _workflow(self, head: _Head, loaded: LoadedDefinition) -> BpmnWorkflow:
        workflow = self.cache.take(head.instance_id, head.version)
        if workflow is not None:
            return workflow
        with self.db.connect() as conn:
            snapshot = conn.execute(_SELECT_SNAPSHOT, {"iid": head.instance_id, "v": head.version}).scalar()
        if snapshot is None:
            raise Conflict(f"instance {head.instance_id} was changed by another command; reload and retry")
        return load_workflow(snapshot, loaded.parsed.spec, loaded.parsed.subprocess_specs, self.script_engine)

    def _execute(
        self,
        head: _Head,
        actor: Actor,
        apply: Callable[[BpmnWorkflow, LoadedDefinition], _Step],
        allow_suspended: bool = False,
        timer_now: datetime | None = None,
    ) -> CommandResult:
        if head.status in (COMPLETED, CANCELLED):
            raise Conflict(f"instance {head.instance_id} is {head.status}", {"status": head.status})
        if head.status == SUSPENDED and not allow_suspended:
            raise Conflict(f"instance {head.instance_id} is suspended", {"status": head.status})
        loaded = self.definitions.load(head.definition_id)
        workflow = self._workflow(head, loaded)
        before = task_states(workflow)
        timers_before = waiting_timers(workflow)
        ctx = CommandContext(
            now=self.clock.now(),
            actor=actor,
            timer_now=timer_now,
            instance_id=head.instance_id,
            seed=head.seed,
            seq=head.seq + 1,
        )
        with command_context.running(ctx):
            step = apply(workflow, loaded)
        children = []
        if ctx.links:
            business_key = self._business_key(head.instance_id)
            children = [
                self._prepare_new(link.definition_key, business_key, link.data, ctx, link_kind=link.link_kind)
                for link in ctx.links
            ]
        now = ctx.now
        events = step.events + ctx.events + fired_timer_events(workflow, timers_before, now)
        events += transition_events(loaded, workflow, before)
        status = step.status or (COMPLETED if workflow.is_completed() else head.status)
        tasks = task_changes(head.instance_id, loaded, workflow, before, now, actor)
        timers = timer_changes(head.instance_id, timers_before, workflow, now)
        prune_finished(workflow)
        snapshot = dump_workflow(workflow)
        data = _data_of(workflow)
        rows, seq, chain_head = _history_rows(head.instance_id, head.seq, head.head, now, actor.name, events)
        self._pending_wakeups.clear()
        with self.db.transaction() as conn:
            res = conn.execute(
                _ADVANCE,
                {
                    "iid": head.instance_id,
                    "v": head.version,
                    "new_v": head.version + 1,
                    "snapshot": snapshot,
                    "status": status,
                    "data": data,
                    "seq": seq,
                    "head": chain_head,
                    "now": now,
                    "ended": now if status in (COMPLETED, CANCELLED) else None,
                },
            )
            if res.rowcount != 1:
                raise Conflict(
                    f"instance {head.instance_id} was changed by another command; reload and retry",
                    {"instance_id": head.instance_id},
                )
            if children:  # their ids are known only now: the announcing events continue the chain
                more = self._insert_children(
                    conn, children, [link.element_id for link in ctx.links], ctx, head.instance_id
                )
                extra, seq, chain_head = _history_rows(head.instance_id, seq, chain_head, now, actor.name, more)
                rows += extra
                conn.execute(_SET_CHAIN, {"iid": head.instance_id, "seq": seq, "head": chain_head})
            conn.execute(_INSERT_HISTORY, rows)
            self._write_tasks(conn, tasks)
            self._write_timers(conn, timers)
        self._wake_schedulers()
        self.cache.put(head.instance_id, head.version + 1, workflow)
        return CommandResult(head.instance_id, head.version + 1, status, tasks.ready)

    @property
    def _pending_wakeups(self) -> list[datetime]:
        if not hasattr(self._wakeups, "dues"):
            self._wakeups.dues = []
        return self._wakeups.dues

    def _wake_schedulers(self) -> None:
        """After a commit that added timers: a scheduler asleep until a later time must wake up earlier."""
        dues, self._wakeups.dues = self._pending_wakeups, []
        if dues:
            for listener in self.timer_listeners:
                listener(min(dues))

    def _business_key(self, instance_id: int) -> str:
        with self.db.connect() as conn:
            return conn.execute(select(_I.c.business_key).where(_I.c.id == instance_id)).scalar_one()

    def _write_timers(self, conn: Connection, changes: TimerChanges) -> None:
        if changes.added:
            conn.execute(_INSERT_TIMER, changes.added)
            earliest = min(row["due_at"] for row in changes.added)
            if conn.dialect.name == "postgresql":  # wakes schedulers in other processes, on commit
                conn.exec_driver_sql(f"NOTIFY emflow_timers, '{earliest.isoformat()}'")
            self._pending_wakeups.append(earliest)
        if changes.fired:
            conn.execute(_MARK_TIMER.values(fired_at=bindparam("at")), changes.fired)
        if changes.cancelled:
            conn.execute(_MARK_TIMER.values(cancelled_at=bindparam("at")), changes.cancelled)

    def _record_only(
        self,
        instance_id: int,
        actor: Actor,
        events: list[PendingEvent],
        extra: Callable[[Connection], None] | None = None,
        status: str | None = None,
    ) -> CommandResult:
        """A command that changes no workflow state: bump the version, append history, keep the snapshot."""
        head = self._head(instance_id)
        now = self.clock.now()
        rows, seq, chain_head = history.build_rows(instance_id, head.seq, head.head, now, actor.name, events)
        values: dict[str, Any] = {
            "version": head.version + 1,
            "history_seq": seq,
            "history_head": chain_head,
            "updated_at": now,
            "status": status or head.status,
        }
        with self.db.transaction() as conn:
            res = conn.execute(update(_I).where(_I.c.id == instance_id, _I.c.version == head.version).values(**values))
            if res.rowcount != 1:
                raise Conflict(f"instance {instance_id} was changed by another command; reload and retry")
            if extra:
                extra(conn)
            conn.execute(_INSERT_HISTORY, rows)
            ready = [
                (r.id, r.element_id)
                for r in conn.execute(
                    select(_T.c.id, _T.c.element_id).where(_T.c.instance_id == instance_id, _T.c.state == "READY")
                )
            ]
        workflow = self.cache.take(instance_id, head.version)
        if workflow is not None:
            self.cache.put(instance_id, head.version + 1, workflow)
        return CommandResult(instance_id, head.version + 1, values["status"], ready)

    def _set_status(
        self, instance_id: int, actor: Actor, expected: str, new: str, kind: str, reason: str | None
    ) -> CommandResult:
        current = self._head(instance_id).status
        if current != expected:
            raise Conflict(f"instance {instance_id} is {current}, not {expected}", {"status": current})
        return self._record_only(instance_id, actor, [PendingEvent(kind, {"reason": reason})], status=new)

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
            raise ProcessError(
                f"the process failed at {element or 'an element'}: {exc}", {"element_id": element, "line": line}
            ) from None

    @staticmethod
    def _write_tasks(conn: Connection, changes: TaskChanges) -> None:
        if changes.new_rows:
            conn.execute(_INSERT_TASK, changes.new_rows)
        if changes.ended:
            conn.execute(_END_TASK, changes.ended)


def _instance_view(row: Any, tasks: Any, now: datetime | None = None) -> InstanceView:
    return InstanceView(
        row.id,
        row.definition_key,
        row.definition_version,
        row.business_key,
        row.status,
        row.version,
        row.data,
        row.parent_id,
        row.link_kind,
        row.created_at,
        row.updated_at,
        row.ended_at,
        [TaskView.of(t, now) for t in tasks],
    )


def _history_rows(
    instance_id: int, seq: int, head: str, now: datetime, actor: str | None, events: list[PendingEvent]
) -> tuple[list[dict[str, Any]], int, str]:
    try:
        return history.build_rows(instance_id, seq, head, now, actor, events)
    except history.DataNotStorable as exc:
        raise ProcessError(
            f"the process data holds a value that cannot be stored ({exc}); check the scripts that set it",
            {"element_id": None, "line": None},
        ) from None


def _data_of(workflow: BpmnWorkflow) -> dict[str, Any]:
    try:
        return live_data(workflow)
    except history.DataNotStorable as exc:
        raise ProcessError(
            f"the process data holds a value that cannot be stored ({exc}); check the scripts that set it",
            {"element_id": None, "line": None},
        ) from None
