"""Errors the engine raises on purpose.

Every message is written for the person who must fix the input; ``details`` names the field, the BPMN element or
the line. The API maps ``code``-bearing classes to HTTP status codes in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Problem(Protocol):
    """One problem of a document (``engine.definitions.validation.Problem`` is the one the validator reports)."""

    @property
    def element_id(self) -> str | None: ...

    @property
    def message(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class EmflowError(Exception):
    """Base of errors whose message is meant for the person who must fix the input."""

    code = "error"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


class DefinitionInvalid(EmflowError):
    """A BPMN document that cannot be deployed; ``problems`` lists every problem found."""

    code = "invalid_definition"

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        head = "; ".join((f"{p.element_id}: " if p.element_id else "") + p.message for p in self.problems[:3])
        more = f" (and {len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"invalid BPMN: {head}{more}", [p.to_dict() for p in self.problems])


class NotFound(EmflowError):
    code = "not_found"


class Conflict(EmflowError):
    """The command lost a race or does not fit the current state (completed twice, stale, suspended)."""

    code = "conflict"


class DataInvalid(EmflowError):
    """Submitted data does not fit a form or a schema; ``details`` maps each bad field to its message."""

    code = "invalid_data"

    def __init__(self, errors: dict[str, str], message: str | None = None):
        fields = ", ".join(sorted(errors))
        super().__init__(message or f"invalid data in field(s): {fields}", errors)
        self.errors = errors


class ProcessError(EmflowError):
    """The diagram failed while running (a script or condition raised); the instance is left as it was."""

    code = "process_error"


class Forbidden(EmflowError):
    code = "forbidden"


class Unauthenticated(EmflowError):
    code = "unauthenticated"
