"""Events as commands compute them, before they are written, and the JSON discipline they are stored under.

An event's payload is hashed into the history chain, so what is stored must be exactly what is read back: every
value goes through ``json_safe`` first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PendingEvent:
    """An event computed by a command, written in the command's transaction."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    element_id: str | None = None
    task_id: str | None = None


class DataNotStorable(ValueError):
    """A value JSON cannot hold exactly (NaN, infinity, a lone surrogate, an integer past 4,300 digits)."""


def json_safe(value: Any) -> Any:
    """A JSON round trip: what is stored and hashed must be exactly what is read back."""
    try:
        text = json.dumps(value, default=str, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
        return json.loads(text)
    except (ValueError, UnicodeEncodeError) as exc:
        raise DataNotStorable(str(exc)) from None
