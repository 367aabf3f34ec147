"""What readers of instances and tasks get back: the shape of a task and of an instance, declared once.

``TaskView`` mirrors a row of the ``task`` projection plus ``overdue`` (computed at read time); the API's task
schema is derived from it (``api.schemas``), so a field added here appears in the API and its OpenAPI document.

``immediate`` and ``immediate_since`` come from the diagram (the user task's ``camunda:property`` ``immediate``,
see ``engine.bpmn.effects.immediacy``): work to be done "at the first moment" (第一时间, docs/DECISIONS.md D21;
立即报告, D17) has no deadline of its own and is never shown as having "no time limit": it is shown as immediate,
with the time elapsed since ``immediate_since`` (for the five firsts: when the incident was recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from engine.names import InstanceStatus, TaskRowState


@dataclass(frozen=True)
class TaskView:
    """A user task as the task projection holds it."""

    id: str
    instance_id: int
    element_id: str
    name: str | None
    lane: str | None
    lane_name: str | None
    state: TaskRowState
    form: list[dict[str, Any]]
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    immediate: bool
    immediate_since: datetime | None
    overdue: bool = False

    @classmethod
    def of(cls, row: Any, now: datetime | None = None) -> TaskView:
        overdue = bool(now and row.state == TaskRowState.READY and row.due_at is not None and row.due_at <= now)
        return cls(  # type: ignore[misc]  # _ROW_COLUMNS leaves out overdue
            *(getattr(row, name) for name in _ROW_COLUMNS), overdue=overdue
        )


_ROW_COLUMNS = tuple(f.name for f in fields(TaskView) if f.name != "overdue")
"""The columns of a task row, in ``TaskView`` order (the projection stores exactly these)."""


@dataclass(frozen=True)
class InstanceView:
    id: int
    definition_key: str
    definition_version: int
    business_key: str
    status: InstanceStatus
    version: int
    data: dict[str, Any]
    parent_id: int | None
    link_kind: str | None
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    ready_tasks: list[TaskView] = field(default_factory=list)

    @classmethod
    def of(cls, row: Any, tasks: Any, now: datetime | None = None) -> InstanceView:
        return cls(
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


@dataclass(frozen=True)
class CommandResult:
    """What a command changed, known without another read; the API renders ``get`` for people."""

    instance_id: int
    version: int
    status: InstanceStatus
    ready_tasks: list[tuple[str, str]]  # (task id, element id) of READY user tasks
