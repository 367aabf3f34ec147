"""The schema: definitions, instances, the task projection, timers, the history, rulesets and users.

Names read as the domain. Migrations (``engine/store/migrations``) create these tables; ``create_all`` is never used
outside throw-away test databases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on both backends (SQLite drops the zone; we store and return UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; the engine works in UTC")

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class ProcessDefinition(Base):
    """An immutable deployed version of one executable BPMN process."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_definition_key_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    documentation: Mapped[str | None] = mapped_column(Text)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(200))


class ProcessInstance(Base):
    """One run of a definition version; ``version`` guards every write (optimistic locking)."""

    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_instance_definition_status", "definition_key", "status"),
        Index("ix_instance_business_key", "business_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    definition_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    snapshot: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    link_kind: Mapped[str | None] = mapped_column(String(100))
    history_seq: Mapped[int]
    history_head: Mapped[str] = mapped_column(String(64))
    seed: Mapped[str | None] = mapped_column(String(32))
    semantics: Mapped[int] = mapped_column(Integer, server_default="1")  # engine.runtime.commands.SEMANTICS
    started_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Task(Base):
    """Projection of user tasks for queries; task lists never deserialize workflows."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_state_lane", "state", "lane"),
        Index("ix_task_instance", "instance_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(500))
    lane: Mapped[str | None] = mapped_column(String(200))
    lane_name: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20))
    form: Mapped[list[Any]]
    assignee: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(200))
    immediate: Mapped[bool] = mapped_column(Boolean, server_default=false())  # engine.runtime.views.TaskView
    immediate_since: Mapped[datetime | None]


class Timer(Base):
    """A waiting timer; the scheduler reads this table, not the snapshots."""

    __tablename__ = "timer"
    __table_args__ = (Index("ix_timer_due", "fired_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]


class HistoryEvent(Base):
    """Append-only, hash-chained per instance: never updated, never deleted."""

    __tablename__ = "history_event"
    __table_args__ = (UniqueConstraint("instance_id", "seq", name="uq_history_instance_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    seq: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    element_id: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    payload: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    format: Mapped[int] = mapped_column(Integer, server_default="1")


class Ruleset(Base):
    """A deployed ruleset version; every decision names the version that made it."""

    __tablename__ = "ruleset"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_ruleset_name_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(200))


class User(Base):
    """A person or system calling the API; only the token's hash is kept."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    lanes: Mapped[list[Any]]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """Security-relevant events that belong to no instance: denied requests, user creation."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]]
