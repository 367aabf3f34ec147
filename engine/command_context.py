"""What the command being executed knows: its time, its actor, and what diagram code asked for on the way.

SpiffWorkflow calls into emflow from deep inside ``do_engine_steps`` (service tasks, timer checks, expression
functions). A context variable carries the command's clock and collectors there without globals shared between
threads, so that service tasks can append history events and request linked instances that the command then
writes in its own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.actors import Actor
from engine.events import PendingEvent


@dataclass(frozen=True)
class LinkRequest:
    """A diagram asked to start another definition for the same business key."""

    definition_key: str
    link_kind: str | None
    data: dict[str, Any]
    element_id: str


@dataclass
class CommandContext:
    """``seed`` and ``seq`` make the task ids this command creates a function of the history (for replay)."""

    now: datetime
    actor: Actor
    timer_now: datetime | None = None  # the time timers are checked against (a due time while catching up)
    business_key: str | None = None
    instance_id: int | None = None
    events: list[PendingEvent] = field(default_factory=list)
    links: list[LinkRequest] = field(default_factory=list)
    seed: str | None = None
    seq: int = 0
    decisions: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    """Where rule decisions come from: None asks the rules layer; replay hands over the recorded ones
    (``engine.audit.replay.RecordedDecisions``), so a ruleset deployed later never rewrites a replayed past."""
    semantics: int = 1
    """The engine semantics of the instance (``engine.runtime.commands.SEMANTICS``), for engine services whose
    behaviour was corrected: they behave as the instance's semantics says, live and in replay."""
    _counter: int = 0

    def next_uuid(self) -> uuid.UUID:
        """Task ids are uuid5(instance seed, command sequence number, n): replaying the history recreates them."""
        if self.seed is None:
            return uuid.uuid4()
        self._counter += 1
        return uuid.uuid5(uuid.NAMESPACE_URL, f"emflow:{self.seed}:{self.seq}:{self._counter}")


_current: ContextVar[CommandContext | None] = ContextVar("emflow_command", default=None)


def current() -> CommandContext | None:
    return _current.get()


@contextmanager
def running(ctx: CommandContext) -> Iterator[CommandContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
