"""How replay reports where it parts from history: the first differing event, and both sides of it."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from engine.audit.verify import StoredEvent
from engine.errors import Conflict
from engine.events import PendingEvent, json_safe

DIVERGENCE_KINDS = (
    "missing_event",
    "unexpected_event",
    "event_mismatch",
    "command_failed",
    "unknown_event",
    "definition",
    "linked_instance",
    "decision",
    "snapshot",
    "status",
    "data",
    "task_rows",
    "timer_rows",
)


@dataclass(frozen=True)
class Divergence:
    """Where replay and history part: the first event that differs, and both sides of the difference."""

    seq: int
    kind: str
    message: str
    recorded: Any = None
    replayed: Any = None


class ReplayDiverged(Conflict):
    """History that cannot be re-executed up to the asked event: the state there is not known."""

    code = "replay_diverged"

    def __init__(self, instance_id: int, divergence: Divergence):
        super().__init__(
            f"replay of instance {instance_id} diverges from its history at seq {divergence.seq}: {divergence.message}",
            json_safe(dataclasses.asdict(divergence)),
        )
        self.divergence = divergence


class Diverged(Exception):
    """Stops the run at the first divergence (raised from deep inside a command, too)."""

    def __init__(self, divergence: Divergence):
        super().__init__(divergence.message)
        self.divergence = divergence


def divergence_in(exc: BaseException | None) -> Divergence | None:
    """A divergence raised from a service task reaches here wrapped by SpiffWorkflow; unwrap it."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, Diverged):
            return exc.divergence
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
        seen += 1
    return None


def describe(kind: str, element_id: str | None) -> str:
    return f"{kind} {element_id}" if element_id else kind


def event_json(event: StoredEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "kind": event.kind,
        "element_id": event.element_id,
        "task_id": event.task_id,
        "payload": event.payload,
    }


def pending_json(event: PendingEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "element_id": event.element_id,
        "task_id": event.task_id,
        "payload": json_safe(event.payload),
    }


def short(value: Any, limit: int = 200) -> Any:
    """A value small enough for a report: itself, or its JSON cut short."""
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return value if len(text) <= limit else text[: limit - 1] + "…"


def text(value: Any, limit: int = 120) -> str:
    """A value as JSON for a message (so that "1" and 1 read differently), cut short."""
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_ABSENT = "<absent>"


def first_difference(old: Any, new: Any, path: str = "") -> tuple[str, Any, Any]:
    """The first path (in sorted key order) where two JSON values differ, with both values there."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if key not in old or key not in new:
                return f"{path}.{key}".lstrip("."), old.get(key, _ABSENT), new.get(key, _ABSENT)
            if json.dumps(old[key], sort_keys=True) != json.dumps(new[key], sort_keys=True):
                return first_difference(old[key], new[key], f"{path}.{key}")
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            if json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True):
                return first_difference(a, b, f"{path}[{index}]")
    return path.lstrip("."), old, new
