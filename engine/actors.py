"""Who acts: every command names its actor, and history records it."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("administrator", "responder", "auditor")


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    lanes: tuple[str, ...] = ()

    def works_lane(self, lane: str | None) -> bool:
        """Responders act only on tasks of their lanes; the engine itself (timers, links) acts everywhere."""
        if self.role == "system":
            return True
        return self.role == "responder" and lane is not None and lane in self.lanes


SYSTEM = Actor("system", "system")
