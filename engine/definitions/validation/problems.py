"""What validation reports: one ``Problem`` per thing wrong, and the ``ParsedDefinition`` of a sound document.

Severities decide deployment: errors block it, warnings are reported alongside.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engine.bpmn.parser import ProcessSpec

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, worded for the administrator who must fix the diagram."""

    code: str
    message: str
    element_id: str | None = None
    line: int | None = None
    severity: str = ERROR

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ParsedDefinition:
    """What may happen: the parsed, immutable spec of the document's one executable process."""

    key: str
    name: str | None
    spec: ProcessSpec
    subprocess_specs: dict[str, ProcessSpec]
    lanes: dict[str, tuple[str | None, str | None]]
    documentation: str | None
    warnings: tuple[Problem, ...] = ()
