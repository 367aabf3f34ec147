"""Process instances: the write side — every command in one transaction, optimistic locking, history alongside.

The flow of every command (docs/ARCHITECTURE.md, "The flow of a command"): read the instance row and its
``version``; build the ``Command`` exactly as history will record it; let ``engine.runtime.commands.execute``
check it, apply it and run the workflow until it waits (the workflow comes from the cache or is restored from the
snapshot only when the command needs it); then write, in one transaction guarded by ``WHERE version = :old``, the
new snapshot, the task projection, the timer rows and the history (the command and every consequence). A lost
race changes nothing and raises Conflict; nothing is acknowledged before the commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import Connection, bindparam, insert, select, update

from engine.actors import SYSTEM, Actor
from engine.bpmn.effects import TaskChanges, TimerChanges, live_data
from engine.bpmn.script_engine import EmflowScriptEngine, SandboxedEnvironment
from engine.bpmn.snapshot import dump_workflow, load_workflow
from engine.bpmn.workflow import Workflow
from engine.clock import Clock
from engine.command_context import CommandContext
from engine.definitions.forms import FormField, validate
from engine.definitions.service import DefinitionService, LoadedDefinition
from engine.errors import Conflict, DataInvalid, Forbidden, NotFound, ProcessError
from engine.events import DataNotStorable, PendingEvent
from engine.names import ENDED, EventKind, InstanceStatus, Role, TaskRowState
from engine.runtime import commands
from engine.runtime.commands import Command, Execution, Outcome
from engine.runtime.queries import InstanceQueries
from engine.runtime.service_tasks import FUNCTIONS, SERVICES
from engine.runtime.views import CommandResult
from engine.runtime.workflow_cache import WorkflowCache
from engine.store import history
from engine.store import tables as t
from engine.store.db import Database

_I, _T, _H, _TM = t.instances, t.tasks, t.history, t.timers
_HEAD = (
    _I.c.version,
    _I.c.status,
    _I.c.history_seq,
    _I.c.history_head,
    _I.c.definition_id,
    _I.c.seed,
    _I.c.semantics,
)
# Statements of the hot path are built once; only their parameters change from command to command.
_END_TASK = (
    update(_T)
    .where(_T.c.id == bindparam("tid"))
    .values(state=bindparam("st"), ended_at=bindparam("at"), ended_by=bindparam("by"))
)
_SELECT_HEAD = select(*_HEAD).where(_I.c.id == bindparam("iid"))
_SELECT_TASK_AND_HEAD = (
    select(_T.c.lane, _T.c.state, _T.c.assignee, _T.c.form, _T.c.instance_id, _T.c.element_id, *_HEAD)
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
_INSERT_TIMER = insert(_TM)
_MARK_TIMER = update(_TM).where(
    _TM.c.instance_id == bindparam("iid"),
    _TM.c.task_id == bindparam("tid"),
    _TM.c.fired_at.is_(None),
    _TM.c.cancelled_at.is_(None),
)
_INSERT_TASK = insert(_T)


@dataclass
class _NewInstance:
    """A new instance run until it waits, with the linked instances it asked for, before anything is written."""

    definition_id: int
    definition_key: str
    business_key: str
    link_kind: str | None
    loaded: LoadedDefinition
    workflow: Workflow
    events: list[PendingEvent]
    outcome: Outcome
    children: list[_NewInstance]
    seed: str
    ready: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Head:
    """The instance row as a command reads it: the version it guards on and the chain it continues."""

    instance_id: int
    version: int
    status: InstanceStatus
    seq: int
    head: str
    definition_id: int
    seed: str | None
    semantics: int

    @classmethod
    def of(cls, instance_id: int, row: Any) -> _Head:
        return cls(
            instance_id,
            row.version,
            InstanceStatus(row.status),
            row.history_seq,
            row.history_head,
            row.definition_id,
            row.seed,
            row.semantics,
        )


class InstanceService(InstanceQueries):
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

    # ---------------------------------------------------------------------------------------------- commands
    def start(
        self, definition_key: str, business_key: str, data: dict[str, Any], actor: Actor, version: int | None = None
    ) -> CommandResult:
        if not isinstance(data, dict):
            raise DataInvalid({"data": "must be a JSON object"})
        now = self.clock.now()
        prepared = self._prepare_new(definition_key, business_key, data, now, actor, version)
        self._pending_wakeups.clear()
        with self.db.transaction() as conn:
            instance_id = self._insert_new(conn, prepared, now, actor)
        self._wake_schedulers()
        self.cache.put(instance_id, 1, prepared.workflow)
        return CommandResult(instance_id, 1, prepared.outcome.status, prepared.ready)

    def complete_task(self, task_id: str, data: dict[str, Any], actor: Actor) -> CommandResult:
        with self.db.connect() as conn:
            row = conn.execute(_SELECT_TASK_AND_HEAD, {"tid": task_id}).first()
        if row is None:
            raise NotFound(f"no task {task_id}", {"task_id": task_id})
        if not actor.works_lane(row.lane):
            raise Forbidden(f"task {task_id} belongs to lane '{row.lane}', not to your lanes", {"lane": row.lane})
        if row.state != TaskRowState.READY:
            raise Conflict(f"task {task_id} is already {row.state.lower()}", {"state": row.state})
        if row.assignee and row.assignee != actor.name and actor.role != Role.SYSTEM:
            raise Conflict(f"task {task_id} is claimed by {row.assignee}", {"assignee": row.assignee})
        clean = validate([FormField(**f) for f in row.form], data)
        command = Command(EventKind.TASK_COMPLETED, {"data": clean}, row.element_id, task_id)
        return self._run(_Head.of(row.instance_id, row), actor, command)

    def claim_task(self, task_id: str, actor: Actor) -> Any:
        row = self.get_task(task_id)
        if not actor.works_lane(row.lane):
            raise Forbidden(f"task {task_id} belongs to lane '{row.lane}', not to your lanes", {"lane": row.lane})
        if row.state != TaskRowState.READY:
            raise Conflict(f"task {task_id} is already {row.state.lower()}", {"state": row.state})
        if row.assignee == actor.name:
            return row
        if row.assignee:
            raise Conflict(f"task {task_id} is claimed by {row.assignee}", {"assignee": row.assignee})

        def guard(conn: Connection) -> None:
            res = conn.execute(
                update(_T)
                .where(_T.c.id == task_id, _T.c.assignee.is_(None), _T.c.state == TaskRowState.READY)
                .values(assignee=actor.name)
            )
            if res.rowcount != 1:
                raise Conflict(f"task {task_id} was claimed or completed meanwhile")

        command = Command(EventKind.TASK_CLAIMED, {"assignee": actor.name}, row.element_id, task_id)
        self._run(self._head(row.instance_id), actor, command, guard)
        return self.get_task(task_id)

    def send_message(self, instance_id: int, name: str, payload: Any, actor: Actor) -> CommandResult:
        command = Command(EventKind.MESSAGE_RECEIVED, {"name": name, "payload": payload})
        return self._run(self._head(instance_id), actor, command)

    def cancel(self, instance_id: int, actor: Actor, reason: str | None = None) -> CommandResult:
        command = Command(EventKind.INSTANCE_CANCELLED, {"reason": reason})
        return self._run(self._head(instance_id), actor, command)

    def fire_timer(
        self, instance_id: int, task_id: str, due_at: datetime, element_id: str | None = None
    ) -> CommandResult:
        """Fire one waiting timer as of its own due time, so that catch-up after downtime keeps due order."""
        if element_id is None:
            with self.db.connect() as conn:
                element_id = conn.execute(
                    select(_TM.c.element_id).where(_TM.c.instance_id == instance_id, _TM.c.task_id == task_id)
                ).scalar()
        command = Command(EventKind.TIMER_DUE, {"due_at": due_at.isoformat()}, element_id, task_id)
        return self._run(self._head(instance_id), SYSTEM, command)

    def suspend(self, instance_id: int, actor: Actor, reason: str | None = None) -> CommandResult:
        command = Command(EventKind.INSTANCE_SUSPENDED, {"reason": reason})
        return self._run(self._head(instance_id), actor, command)

    def resume(self, instance_id: int, actor: Actor, reason: str | None = None) -> CommandResult:
        command = Command(EventKind.INSTANCE_RESUMED, {"reason": reason})
        return self._run(self._head(instance_id), actor, command)

    # -------------------------------------------------------------------------------------- running commands
    def _run(
        self, head: _Head, actor: Actor, command: Command, guard: Callable[[Connection], None] | None = None
    ) -> CommandResult:
        """Execute ``command`` on the instance ``head`` names, then write what it caused in one transaction."""
        loaded = self.definitions.load(head.definition_id)
        execution = Execution(
            loaded,
            self.script_engine,
            head.status,
            head.instance_id,
            load=lambda: self._workflow(head, loaded),
            semantics=head.semantics,
        )
        ctx = CommandContext(
            now=self.clock.now(), actor=actor, instance_id=head.instance_id, seed=head.seed, seq=head.seq + 1
        )
        outcome = commands.execute(execution, command, ctx)
        if not outcome.changed_workflow:
            return self._record_only(head, ctx.now, actor, command, outcome.status, guard, execution.workflow)
        workflow = execution.the_workflow()
        children = []
        if outcome.links:
            business_key = self._business_key(head.instance_id)
            children = [
                self._prepare_new(
                    link.definition_key, business_key, link.data, ctx.now, actor, link_kind=link.link_kind
                )
                for link in outcome.links
            ]
        now, status = ctx.now, outcome.status
        events = [command.event(), *outcome.events]
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
                    "ended": now if status in ENDED else None,
                },
            )
            if res.rowcount != 1:
                raise Conflict(
                    f"instance {head.instance_id} was changed by another command; reload and retry",
                    {"instance_id": head.instance_id},
                )
            if children:  # their ids are known only now: the announcing events continue the chain
                more = self._insert_children(conn, children, outcome, now, actor, head.instance_id)
                extra, seq, chain_head = _history_rows(head.instance_id, seq, chain_head, now, actor.name, more)
                rows += extra
                conn.execute(_SET_CHAIN, {"iid": head.instance_id, "seq": seq, "head": chain_head})
            conn.execute(_INSERT_HISTORY, rows)
            if guard:
                guard(conn)
            self._write_tasks(conn, outcome.tasks)
            self._write_timers(conn, outcome.timers)
        self._wake_schedulers()
        self.cache.put(head.instance_id, head.version + 1, workflow)
        return CommandResult(head.instance_id, head.version + 1, status, outcome.tasks.ready)

    def _record_only(
        self,
        head: _Head,
        now: datetime,
        actor: Actor,
        command: Command,
        status: InstanceStatus,
        guard: Callable[[Connection], None] | None,
        workflow: Workflow | None,
    ) -> CommandResult:
        """A command that changes no workflow state: bump the version, append history, keep the snapshot."""
        rows, seq, chain_head = history.build_rows(
            head.instance_id, head.seq, head.head, now, actor.name, [command.event()]
        )
        values: dict[str, Any] = {
            "version": head.version + 1,
            "history_seq": seq,
            "history_head": chain_head,
            "updated_at": now,
            "status": status,
        }
        with self.db.transaction() as conn:
            res = conn.execute(
                update(_I).where(_I.c.id == head.instance_id, _I.c.version == head.version).values(**values)
            )
            if res.rowcount != 1:
                raise Conflict(f"instance {head.instance_id} was changed by another command; reload and retry")
            if guard:
                guard(conn)
            conn.execute(_INSERT_HISTORY, rows)
            ready = [
                (r.id, r.element_id)
                for r in conn.execute(
                    select(_T.c.id, _T.c.element_id).where(
                        _T.c.instance_id == head.instance_id, _T.c.state == TaskRowState.READY
                    )
                )
            ]
        if workflow is None:
            workflow = self.cache.take(head.instance_id, head.version)
        if workflow is not None:
            self.cache.put(head.instance_id, head.version + 1, workflow)
        return CommandResult(head.instance_id, head.version + 1, status, ready)

    def _prepare_new(
        self,
        definition_key: str,
        business_key: str,
        data: dict[str, Any],
        now: datetime,
        actor: Actor,
        version: int | None = None,
        link_kind: str | None = None,
    ) -> _NewInstance:
        """Run a new instance until it waits, in memory; nothing is written yet."""
        info = self.definitions.get(definition_key, version)
        loaded = self.definitions.load(info.id)
        seed = uuid4().hex
        command = Command(
            EventKind.INSTANCE_STARTED,
            {
                "definition_key": info.key,
                "definition_version": info.version,
                "business_key": business_key,
                "data": data,
                "seed": seed,
                "parent_id": None,
                "link_kind": link_kind,
                "semantics": commands.SEMANTICS,
            },
        )
        execution = Execution(loaded, self.script_engine)
        ctx = CommandContext(now=now, actor=actor, business_key=business_key, seed=seed, seq=1)
        outcome = commands.execute(execution, command, ctx)
        children = [
            self._prepare_new(link.definition_key, business_key, link.data, now, actor, link_kind=link.link_kind)
            for link in outcome.links
        ]
        workflow = execution.the_workflow()
        events = [command.event(), *outcome.events]
        return _NewInstance(
            info.id, info.key, business_key, link_kind, loaded, workflow, events, outcome, children, seed
        )

    def _insert_new(
        self, conn: Connection, new: _NewInstance, now: datetime, actor: Actor, parent_id: int | None = None
    ) -> int:
        status = new.outcome.status
        new_id: int = conn.execute(
            insert(_I)
            .values(
                definition_id=new.definition_id,
                definition_key=new.definition_key,
                business_key=new.business_key,
                status=status,
                version=1,
                snapshot=dump_workflow(new.workflow),
                data=_data_of(new.workflow),
                parent_id=parent_id,
                link_kind=new.link_kind,
                history_seq=0,
                history_head=history.GENESIS,
                seed=new.seed,
                semantics=commands.SEMANTICS,
                started_by=actor.name,
                created_at=now,
                updated_at=now,
                ended_at=now if status == InstanceStatus.COMPLETED else None,
            )
            .returning(_I.c.id)
        ).scalar_one()
        events = new.events + self._insert_children(conn, new.children, new.outcome, now, actor, new_id)
        if parent_id is not None:
            events[0].payload["parent_id"] = parent_id
        rows, seq, head = _history_rows(new_id, 0, history.GENESIS, now, actor.name, events)
        conn.execute(update(_I).where(_I.c.id == new_id).values(history_seq=seq, history_head=head))
        conn.execute(_INSERT_HISTORY, rows)
        tasks, timers = new.outcome.tasks, new.outcome.timers
        for row in tasks.new_rows + timers.added:  # the id exists only now
            row["instance_id"] = new_id
        self._write_tasks(conn, tasks)
        self._write_timers(conn, timers)
        new.ready = tasks.ready
        return new_id

    def _insert_children(
        self,
        conn: Connection,
        children: list[_NewInstance],
        outcome: Outcome,
        now: datetime,
        actor: Actor,
        parent_id: int,
    ) -> list[PendingEvent]:
        """Linked instances a command started: written in its transaction, announced in the parent's history."""
        ids: list[int | None] = []
        for child in children:
            child_id = self._insert_new(conn, child, now, actor, parent_id=parent_id)
            ids.append(child_id)
            self.cache.put(child_id, 1, child.workflow)
        return commands.linked_events(outcome.links, ids)

    # -------------------------------------------------------------------------------------------- machinery
    def _head(self, instance_id: int) -> _Head:
        with self.db.connect() as conn:
            row = conn.execute(_SELECT_HEAD, {"iid": instance_id}).first()
        if row is None:
            raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
        return _Head.of(instance_id, row)

    def _workflow(self, head: _Head, loaded: LoadedDefinition) -> Workflow:
        workflow = self.cache.take(head.instance_id, head.version)
        if workflow is not None:
            return workflow
        with self.db.connect() as conn:
            snapshot = conn.execute(_SELECT_SNAPSHOT, {"iid": head.instance_id, "v": head.version}).scalar()
        if snapshot is None:
            raise Conflict(f"instance {head.instance_id} was changed by another command; reload and retry")
        return load_workflow(snapshot, loaded.parsed.spec, loaded.parsed.subprocess_specs, self.script_engine)

    @property
    def _pending_wakeups(self) -> list[datetime]:
        if not hasattr(self._wakeups, "dues"):
            self._wakeups.dues = []
        dues: list[datetime] = self._wakeups.dues
        return dues

    def _wake_schedulers(self) -> None:
        """After a commit that added timers: a scheduler asleep until a later time must wake up earlier."""
        dues, self._wakeups.dues = self._pending_wakeups, []
        if dues:
            for listener in self.timer_listeners:
                listener(min(dues))

    def _business_key(self, instance_id: int) -> str:
        with self.db.connect() as conn:
            key: str = conn.execute(select(_I.c.business_key).where(_I.c.id == instance_id)).scalar_one()
        return key

    def _write_timers(self, conn: Connection, changes: TimerChanges) -> None:
        if changes.added:
            conn.execute(_INSERT_TIMER, changes.added)
            waiting = [row["due_at"] for row in changes.added if row["fired_at"] is None]
            if waiting:
                earliest = min(waiting)
                if conn.dialect.name == "postgresql":  # wakes schedulers in other processes, on commit
                    conn.exec_driver_sql(f"NOTIFY emflow_timers, '{earliest.isoformat()}'")
                self._pending_wakeups.append(earliest)
        if changes.fired:
            conn.execute(_MARK_TIMER.values(fired_at=bindparam("at")), changes.fired)
        if changes.cancelled:
            conn.execute(_MARK_TIMER.values(cancelled_at=bindparam("at")), changes.cancelled)

    @staticmethod
    def _write_tasks(conn: Connection, changes: TaskChanges) -> None:
        if changes.new_rows:
            conn.execute(_INSERT_TASK, changes.new_rows)
        if changes.ended:
            conn.execute(_END_TASK, changes.ended)


def _history_rows(
    instance_id: int, seq: int, head: str, now: datetime, actor: str | None, events: list[PendingEvent]
) -> tuple[list[dict[str, Any]], int, str]:
    try:
        return history.build_rows(instance_id, seq, head, now, actor, events)
    except DataNotStorable as exc:
        raise ProcessError(
            f"the process data holds a value that cannot be stored ({exc}); check the scripts that set it",
            {"element_id": None, "line": None},
        ) from None


def data_of(workflow: Workflow) -> dict[str, Any]:
    """The instance's data as stored in its row (a ProcessError when a script put a value JSON cannot hold)."""
    try:
        return live_data(workflow)
    except DataNotStorable as exc:
        raise ProcessError(
            f"the process data holds a value that cannot be stored ({exc}); check the scripts that set it",
            {"element_id": None, "line": None},
        ) from None


_data_of = data_of
