"""Reading instances, tasks and history: the read side of ``InstanceService``, which never loads a workflow.

Task lists read the ``task`` projection only; responders see the tasks of their lanes and are refused (not
silently filtered) when they ask for another lane.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, select

from engine.actors import Actor
from engine.clock import Clock
from engine.errors import Forbidden, NotFound
from engine.names import Role, TaskRowState
from engine.runtime.views import InstanceView, TaskView
from engine.store import history
from engine.store import tables as t
from engine.store.db import Database

ALL_STATES = "ALL"
"""The task-state filter that lists tasks in every state."""


def _urgency(now: datetime) -> tuple[Any, ...]:
    """The inbox order: overdue, then immediate, then by due time, then the longest waiting."""
    c = t.tasks.c
    overdue = and_(c.state == TaskRowState.READY, c.due_at.is_not(None), c.due_at <= now)
    group = case((overdue, 0), (c.immediate.is_(True), 1), else_=2)
    return (group, c.due_at.is_(None), c.due_at, c.immediate_since, c.created_at, c.id)


class InstanceQueries:
    db: Database
    clock: Clock

    def get(self, instance_id: int) -> InstanceView:
        with self.db.connect() as conn:
            row = conn.execute(self._instance_query().where(t.instances.c.id == instance_id)).first()
            if row is None:
                raise NotFound(f"no process instance {instance_id}", {"instance_id": instance_id})
            tasks = conn.execute(
                select(t.tasks)
                .where(t.tasks.c.instance_id == instance_id, t.tasks.c.state == TaskRowState.READY)
                .order_by(t.tasks.c.created_at, t.tasks.c.id)
            ).all()
        return InstanceView.of(row, tasks, self.clock.now())

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
            query = query.where(t.instances.c.definition_key == definition_key)
        if status:
            query = query.where(t.instances.c.status == status)
        if business_key:
            query = query.where(t.instances.c.business_key == business_key)
        with self.db.connect() as conn:
            rows = conn.execute(query.order_by(t.instances.c.id).limit(limit).offset(offset)).all()
        return [InstanceView.of(r, []) for r in rows]

    @staticmethod
    def _instance_query() -> Select[Any]:
        cols = [c for c in t.instances.c if c.name != "snapshot"]
        return select(*cols, t.definitions.c.version.label("definition_version")).join(
            t.definitions, t.definitions.c.id == t.instances.c.definition_id
        )

    def get_task(self, task_id: str) -> TaskView:
        with self.db.connect() as conn:
            row = conn.execute(select(t.tasks).where(t.tasks.c.id == task_id)).first()
        if row is None:
            raise NotFound(f"no task {task_id}", {"task_id": task_id})
        return TaskView.of(row, self.clock.now())

    def task_for(self, actor: Actor, task_id: str) -> TaskView:
        """A task as ``actor`` may see it: responders only those of their lanes."""
        view = self.get_task(task_id)
        if actor.role == Role.RESPONDER and not actor.works_lane(view.lane):
            raise Forbidden(f"task {task_id} belongs to lane '{view.lane}', not to your lanes", {"lane": view.lane})
        return view

    def tasks_for(
        self,
        actor: Actor,
        lane: str | None = None,
        state: str | None = TaskRowState.READY,
        instance_id: int | None = None,
        limit: int = 200,
        offset: int = 0,
        overdue: bool | None = None,
    ) -> builtins.list[TaskView]:
        """Task lists as ``actor`` may see them: a responder asking for another lane is refused, not filtered."""
        lanes: list[str] | None = [lane] if lane else None
        if actor.role == Role.RESPONDER:
            if lane and lane not in actor.lanes:
                raise Forbidden(f"lane '{lane}' is not one of your lanes", {"lane": lane})
            lanes = [lane] if lane else list(actor.lanes)
        return self.list_tasks(None if state == ALL_STATES else state, lanes, instance_id, limit, offset, overdue)

    def list_tasks(
        self,
        state: str | None = TaskRowState.READY,
        lanes: builtins.list[str] | None = None,
        instance_id: int | None = None,
        limit: int = 200,
        offset: int = 0,
        overdue: bool | None = None,
    ) -> builtins.list[TaskView]:
        """Tasks, most urgent first: overdue ones (the longest overdue first), then immediate ones (the first
        moment, docs/DECISIONS.md D17/D21: those with a target by their due time, then the longest waiting), then
        by deadline (tasks without one last, oldest first)."""
        now = self.clock.now()
        c = t.tasks.c
        query = select(t.tasks)
        if overdue is True:
            query = query.where(c.state == TaskRowState.READY, c.due_at <= now)
        elif overdue is False:
            query = query.where((c.due_at.is_(None)) | (c.due_at > now) | (c.state != TaskRowState.READY))
        if state:
            query = query.where(c.state == state)
        if lanes is not None:
            query = query.where(c.lane.in_(lanes))
        if instance_id is not None:
            query = query.where(c.instance_id == instance_id)
        with self.db.connect() as conn:
            rows = conn.execute(query.order_by(*_urgency(now)).limit(limit).offset(offset)).all()
        return [TaskView.of(r, now) for r in rows]

    def history(self, instance_id: int) -> builtins.list[dict[str, Any]]:
        self.get(instance_id)
        with self.db.connect() as conn:
            rows = conn.execute(
                select(t.history).where(t.history.c.instance_id == instance_id).order_by(t.history.c.seq)
            ).all()
        return [history.row_to_dict(r) for r in rows]
