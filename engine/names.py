"""The names the engine writes into rows and history: event kinds, instance statuses, task states and roles.

Each is a ``StrEnum``, so a member *is* its string: it compares equal to what is stored, serializes to JSON as the
plain value and hashes into the history chain exactly as the literal did. Stored rows and histories written before
these enums existed read back unchanged. Nothing else in ``engine/`` or ``api/`` spells these values as literals.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What a history event records. Commands come first in their group; consequences follow them."""

    # commands: what a person, a timer or another system asked for
    INSTANCE_STARTED = "instance_started"
    TASK_COMPLETED = "task_completed"
    MESSAGE_RECEIVED = "message_received"
    TIMER_DUE = "timer_due"
    INSTANCE_CANCELLED = "instance_cancelled"
    INSTANCE_SUSPENDED = "instance_suspended"
    INSTANCE_RESUMED = "instance_resumed"
    TASK_CLAIMED = "task_claimed"
    # consequences: what the command caused, computed by the engine
    TASK_STATE = "task_state"
    TIMER_FIRED = "timer_fired"
    ESCALATION_EVALUATED = "escalation_evaluated"
    ESCALATION_REEVALUATED = "escalation_reevaluated"
    LINKED_INSTANCE_STARTED = "linked_instance_started"


COMMAND_KINDS = frozenset(
    {
        EventKind.INSTANCE_STARTED,
        EventKind.TASK_COMPLETED,
        EventKind.MESSAGE_RECEIVED,
        EventKind.TIMER_DUE,
        EventKind.INSTANCE_CANCELLED,
        EventKind.INSTANCE_SUSPENDED,
        EventKind.INSTANCE_RESUMED,
        EventKind.TASK_CLAIMED,
    }
)
CONSEQUENCE_KINDS = frozenset(set(EventKind) - COMMAND_KINDS)
ESCALATION_KINDS = (EventKind.ESCALATION_EVALUATED, EventKind.ESCALATION_REEVALUATED)


class InstanceStatus(StrEnum):
    RUNNING = "running"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ENDED = frozenset({InstanceStatus.COMPLETED, InstanceStatus.CANCELLED})
"""An ended instance takes no more commands."""


class TaskRowState(StrEnum):
    """The state of a row of the ``task`` projection (user tasks only; SpiffWorkflow's own states are finer)."""

    READY = "READY"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Role(StrEnum):
    """Who may call what. ``SYSTEM`` is the engine itself (timers, linked starts), never a user's role."""

    ADMINISTRATOR = "administrator"
    RESPONDER = "responder"
    AUDITOR = "auditor"
    SYSTEM = "system"
    REPLAY = "replay"  # re-executing recorded commands: acts for the recorded actor, decides nothing itself


USER_ROLES = (Role.ADMINISTRATOR, Role.RESPONDER, Role.AUDITOR)
"""The roles a user can be given (``SYSTEM`` is not one of them)."""
