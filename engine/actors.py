"""Who acts: every command names its actor, and history records it."""

from __future__ import annotations

from dataclasses import dataclass

from engine.names import Role


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    lanes: tuple[str, ...] = ()

    def works_lane(self, lane: str | None) -> bool:
        """Responders act only on tasks of their lanes; the engine itself (timers, links) acts everywhere."""
        if self.role == Role.SYSTEM:
            return True
        return self.role == Role.RESPONDER and lane is not None and lane in self.lanes


SYSTEM = Actor("system", Role.SYSTEM)
