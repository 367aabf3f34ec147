"""History as replay reads it: the recorded commands, grouped with their consequences, and the recorded rule
decisions that replay hands to the escalation services instead of asking today's rules."""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.audit.divergence import Diverged, Divergence, event_json
from engine.audit.verify import StoredEvent
from engine.command_context import CommandContext
from engine.events import json_safe
from engine.names import COMMAND_KINDS, CONSEQUENCE_KINDS, ESCALATION_KINDS
from engine.store.history import CANONICAL, upgrade_payload


def decisions_from_history() -> bool:
    """True once ``CommandContext`` carries the ``decisions`` hook (and the services consult it)."""
    return any(f.name == "decisions" for f in dataclasses.fields(CommandContext))


class RecordedDecisions:
    """Hands the escalation services of one command the decisions that history recorded, in recorded order.

    The decision is only valid for the facts it was made on: facts that differ from the recorded ones are a
    divergence at that event, as is a service call that history does not know about.
    """

    def __init__(self, events: Sequence[StoredEvent]):
        self._events = deque(e for e in events if e.kind in ESCALATION_KINDS)

    def __call__(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        if not self._events:
            raise Diverged(
                Divergence(
                    0,
                    "decision",
                    "replay asked the rules for a decision that the history does not record",
                    None,
                    json_safe(dict(facts)),
                )
            )
        event = self._events.popleft()
        if event.payload.get("facts") != json_safe(dict(facts)):
            raise Diverged(
                Divergence(
                    event.seq,
                    "decision",
                    f"the facts given to the rules at {event.element_id} differ from the recorded ones",
                    event.payload.get("facts"),
                    json_safe(dict(facts)),
                )
            )
        decision = event.payload.get("decision" if event.kind == "escalation_evaluated" else "new")
        safe: dict[str, Any] = json_safe(decision)
        return safe


@dataclass
class Record:
    """What the database holds for one instance."""

    instance_id: int
    definition_id: int
    definition_key: str
    definition_version: int
    business_key: str
    status: str
    snapshot: str
    data: dict[str, Any]
    seed: str | None
    events: list[StoredEvent]
    semantics: int = 1


def current_format(event: StoredEvent) -> StoredEvent:
    """An event as the current format has it: replay re-executes and compares current payloads only."""
    if event.format not in CANONICAL:
        return event  # an unknown format is reported by _commands
    return dataclasses.replace(event, payload=upgrade_payload(event.kind, event.payload, event.format))


def grouped_commands(events: Sequence[StoredEvent]) -> Iterator[list[StoredEvent] | Divergence]:
    """Events grouped by the command that wrote them: a command event and the consequences after it."""
    group: list[StoredEvent] = []
    for event in events:
        if event.format not in CANONICAL:  # the command it belongs to cannot be compared: replay stops before it
            yield Divergence(
                event.seq,
                "unknown_event",
                f"event {event.seq} ({event.kind}) is written in history format {event.format}, which this code "
                "does not know",
                event_json(event),
            )
            return
        if event.kind in COMMAND_KINDS:
            if group:
                yield group
            group = [event]
        elif event.kind in CONSEQUENCE_KINDS and group:
            group.append(event)
        else:
            if group:
                yield group
            why = (
                "is not a command that replay knows how to re-execute"
                if event.kind not in CONSEQUENCE_KINDS
                else "comes before any command"
            )
            yield Divergence(event.seq, "unknown_event", f"event {event.seq} ({event.kind}) {why}", event_json(event))
            return
    if group:
        yield group
