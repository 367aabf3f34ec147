"""API users and their tokens (only sha256 hashes are stored), and the security audit log."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.actors import ROLES, Actor
from engine.clock import Clock
from engine.errors import Conflict, DataInvalid
from engine.events import json_safe
from engine.store.db import Database
from engine.store.models import AuditEntry, User

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
        if role not in ROLES:
            errors["role"] = f"must be one of {', '.join(ROLES)}"
        if lanes and role != "responder":
            errors["lanes"] = "only responders work in lanes"
        if role == "responder" and not lanes:
            errors["lanes"] = "a responder needs at least one lane"
        if errors:
            raise DataInvalid(errors)
        token = "emf_" + secrets.token_urlsafe(32)
        now = self.clock.now()
        try:
            with self.db.write() as s:
                row = User(
                    name=name, role=role, lanes=list(dict.fromkeys(lanes)), token_hash=hash_token(token), created_at=now
                )
                s.add(row)
                s.flush()
                s.add(
                    AuditEntry(
                        at=now,
                        actor="cli",
                        action="user.add",
                        outcome="ok",
                        detail={"name": name, "role": role, "lanes": list(lanes)},
                    )
                )
                info = UserInfo(row.id, row.name, row.role, row.lanes, row.created_at)
        except IntegrityError:
            raise Conflict(f"a user named '{name}' already exists", {"name": name}) from None
        return info, token

    def authenticate(self, token: str) -> Actor | None:
        with self.db.read() as s:
            row = s.scalars(select(User).where(User.token_hash == hash_token(token))).first()
        if row is None:
            return None
        return Actor(row.name, row.role, tuple(row.lanes))

    def count(self) -> int:
        with self.db.read() as s:
            return s.scalar(select(func.count()).select_from(User)) or 0

    def list(self) -> list[UserInfo]:
        with self.db.read() as s:
            return [
                UserInfo(r.id, r.name, r.role, r.lanes, r.created_at) for r in s.scalars(select(User).order_by(User.id))
            ]

    def audit(self, actor: str | None, action: str, outcome: str, detail: dict[str, Any]) -> None:
        """Record an action; ``action`` often holds a caller's URL path, so it is made storable first.

        Control characters are percent-encoded again (PostgreSQL refuses NUL) and the text is cut to its
        VARCHAR(200) column: a longer path must not turn a refusal into a 500 and lose the audit entry.
        """
        with self.db.write() as s:
            s.add(
                AuditEntry(
                    at=self.clock.now(),
                    actor=_storable(actor),
                    action=_storable(action) or "",
                    outcome=outcome,
                    detail=json_safe(detail),
                )
            )

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        with self.db.read() as s:
            rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()
            return [
                {"at": r.at.isoformat(), "actor": r.actor, "action": r.action, "outcome": r.outcome, "detail": r.detail}
                for r in rows
            ]
