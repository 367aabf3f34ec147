"""API users and their tokens (only sha256 hashes are stored), and the security audit log."""

from __future__ import annotations

import builtins
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from engine.actors import Actor
from engine.clock import Clock
from engine.errors import Conflict, DataInvalid
from engine.events import json_safe
from engine.names import USER_ROLES, Role
from engine.store import tables as t
from engine.store.db import Database

LANE_IDS = (
    "duty_officer",
    "emergency_office",
    "leader",
    "monitoring_station",
    "enforcement",
    "press_office",
    "investigation_team",
    "plan_owner",
    "filing_authority",
    "expert",
)


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    lanes: list[str]
    created_at: datetime


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_AUDIT_TEXT_LENGTH = 200  # audit_log.actor and audit_log.action are VARCHAR(200)


def _storable(text: str | None) -> str | None:
    if text is None:
        return None
    text = _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", text)
    return text if len(text) <= _AUDIT_TEXT_LENGTH else text[: _AUDIT_TEXT_LENGTH - 1] + "…"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserService:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock

    def add(self, name: str, role: str, lanes: list[str] | tuple[str, ...] = ()) -> tuple[UserInfo, str]:
        """Create a user; returns it with its token, which is shown once and never stored."""
        errors = {}
        if not name or len(name) > 200:
            errors["name"] = "must be 1 to 200 characters"
        if role not in USER_ROLES:
            errors["role"] = f"must be one of {', '.join(USER_ROLES)}"
        if lanes and role != Role.RESPONDER:
            errors["lanes"] = "only responders work in lanes"
        if role == Role.RESPONDER and not lanes:
            errors["lanes"] = "a responder needs at least one lane"
        if errors:
            raise DataInvalid(errors)
        token = "emf_" + secrets.token_urlsafe(32)
        now = self.clock.now()
        try:
            with self.db.transaction() as conn:
                unique_lanes = list(dict.fromkeys(lanes))
                user_id = conn.execute(
                    insert(t.users)
                    .values(name=name, role=role, lanes=unique_lanes, token_hash=hash_token(token), created_at=now)
                    .returning(t.users.c.id)
                ).scalar_one()
                conn.execute(
                    insert(t.audit_log).values(
                        at=now,
                        actor="cli",
                        action="user.add",
                        outcome="ok",
                        detail={"name": name, "role": role, "lanes": list(lanes)},
                    )
                )
                info = UserInfo(user_id, name, role, unique_lanes, now)
        except IntegrityError:
            raise Conflict(f"a user named '{name}' already exists", {"name": name}) from None
        return info, token

    def authenticate(self, token: str) -> Actor | None:
        with self.db.connect() as conn:
            row = conn.execute(select(t.users).where(t.users.c.token_hash == hash_token(token))).first()
        if row is None:
            return None
        return Actor(row.name, row.role, tuple(row.lanes))

    def count(self) -> int:
        with self.db.connect() as conn:
            return conn.execute(select(func.count()).select_from(t.users)).scalar() or 0

    def list(self) -> list[UserInfo]:
        with self.db.connect() as conn:
            rows = conn.execute(select(t.users).order_by(t.users.c.id)).all()
        return [UserInfo(r.id, r.name, r.role, r.lanes, r.created_at) for r in rows]

    def audit(self, actor: str | None, action: str, outcome: str, detail: dict[str, Any]) -> None:
        """Record an action; ``action`` often holds a caller's URL path, so it is made storable first.

        Control characters are percent-encoded again (PostgreSQL refuses NUL) and the text is cut to its
        VARCHAR(200) column: a longer path must not turn a refusal into a 500 and lose the audit entry.
        """
        with self.db.transaction() as conn:
            conn.execute(
                insert(t.audit_log).values(
                    at=self.clock.now(),
                    actor=_storable(actor),
                    action=_storable(action) or "",
                    outcome=outcome,
                    detail=json_safe(detail),
                )
            )

    def audit_log(self, limit: int = 200) -> builtins.list[dict[str, Any]]:
        with self.db.connect() as conn:
            rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.id.desc()).limit(limit)).all()
            return [
                {"at": r.at.isoformat(), "actor": r.actor, "action": r.action, "outcome": r.outcome, "detail": r.detail}
                for r in rows
            ]
