"""What one validation run collects — problems, elements by id, names set and read — and how it records a problem.

Each group of checks is a mixin on this state; ``validator._Validator`` combines them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from lxml import etree

from engine.definitions.validation.problems import ERROR, Problem
from engine.sandbox import ALLOWED_FUNCTIONS


class ValidatorState:
    """The state every group of checks reads and adds to."""

    def __init__(self, xml: bytes, functions: frozenset[str], full: bool = True, topics: Iterable[str] | None = None):
        self.xml = xml
        self.topics = frozenset(topics) if topics is not None else None
        self.functions = functions
        self.callable_names = frozenset(ALLOWED_FUNCTIONS) | functions
        self.full = full
        self.problems: list[Problem] = []
        self.by_id: dict[str, etree._Element] = {}
        self.defined: set[str] = set()
        self.reads: list[tuple[str, str, etree._Element, str]] = []  # (name, what, element, owner id)

    # ---- recording
    def add(
        self,
        code: str,
        message: str,
        element: etree._Element | None = None,
        element_id: str | None = None,
        line: int | None = None,
        severity: str = ERROR,
    ) -> None:
        if element is not None:
            element_id = element_id or self._owner_id(element)
            line = line or cast("int | None", element.sourceline)  # lxml-stubs 0.5.1 leaves sourceline untyped
        self.problems.append(Problem(code, message, element_id, line, severity))

    def _owner_id(self, element: etree._Element | None) -> str | None:
        node: etree._Element | None = element
        while node is not None:
            if node.get("id"):
                return node.get("id")
            node = node.getparent()
        return None
