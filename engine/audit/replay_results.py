"""What replay returns: the instance as it stood after an event, and whether its history reproduced it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.audit.divergence import Divergence


@dataclass(frozen=True)
class ReplayTask:
    id: str
    element_id: str
    name: str | None
    lane: str | None
    lane_name: str | None
    assignee: str | None
    due_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class LinkedInstance:
    instance_id: int
    definition_key: str
    link_kind: str | None
    element_id: str | None
    seq: int


@dataclass(frozen=True)
class ReplayState:
    """The instance as it stood after event ``seq``: what ``GET /instances/<id>`` showed at that moment."""

    instance_id: int
    definition_key: str
    definition_version: int
    business_key: str
    seq: int  # the last event of the command that ``to`` falls in: its events were committed together
    at: datetime
    status: str
    data: dict[str, Any]
    ready_tasks: list[ReplayTask]
    escalation: dict[str, Any] | None
    escalation_pending: dict[str, Any] | None
    linked_instances: list[LinkedInstance]


@dataclass(frozen=True)
class ReplayResult:
    instance_id: int
    to: int  # the event asked for
    last_seq: int  # the last event of the history
    commands: int  # commands re-executed
    state: ReplayState | None  # None when the history could not be re-executed up to ``to``
    divergence: Divergence | None
    decisions: str  # "recorded" (taken from history) or "re-evaluated" (compared with history)
    checked_end: bool  # the stored snapshot, status, data, task and timer rows were compared too
    snapshot: str | None = None  # the replayed snapshot, exactly as the engine would store it (whole histories)

    @property
    def consistent(self) -> bool:
        return self.divergence is None
