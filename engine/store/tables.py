"""The tables as SQLAlchemy Core ``Table`` objects, named once for the whole engine.

The engine speaks Core, not ORM sessions: every command is a handful of prebuilt statements in one transaction
(the hot path of a command is ~1 ms, and an identity map or unit of work would add bookkeeping that nothing reads),
and the statements say exactly what SQL runs. ``engine.store.models`` declares the schema (alembic compares
against it); these are its tables.
"""

from __future__ import annotations

from sqlalchemy import Table

from engine.store.models import AuditEntry, HistoryEvent, ProcessDefinition, ProcessInstance, Ruleset, Task, Timer, User

definitions: Table = ProcessDefinition.__table__  # type: ignore[assignment]  # declarative __table__ is a Table
instances: Table = ProcessInstance.__table__  # type: ignore[assignment]  # declarative __table__ is a Table
tasks: Table = Task.__table__  # type: ignore[assignment]  # declarative __table__ is a Table
timers: Table = Timer.__table__  # type: ignore[assignment]  # declarative __table__ is a Table
history: Table = HistoryEvent.__table__  # type: ignore[assignment]  # declarative __table__ is a Table
rulesets: Table = Ruleset.__table__  # type: ignore[assignment]  # declarative __table__ is a Table
users: Table = User.__table__  # type: ignore[assignment]  # declarative __table__ is a Table
audit_log: Table = AuditEntry.__table__  # type: ignore[assignment]  # declarative __table__ is a Table
