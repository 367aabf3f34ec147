"""Timers: the engine evaluates them as Python, so an unquoted ISO 8601 value fails only when the timer starts.

Quoted values, and the literal branches of computed ones, are checked as ISO 8601 at deploy.
"""

from __future__ import annotations

import ast
import re
import textwrap

from lxml import etree

from engine.bpmn.parser import iso_timer_error
from engine.definitions.validation.expressions import ExpressionChecks
from engine.definitions.validation.vocabulary import _local

_LOOKS_ISO = re.compile(r"^(R\d*/)?PT?\d[0-9A-Z.,]*$|^\d{4}-\d{2}", re.I)


class TimerChecks(ExpressionChecks):
    """timeDate, timeDuration and timeCycle: quoting, ISO 8601, and computed timers through the sandbox."""

    def _check_timer(self, element: etree._Element) -> None:
        kind = _local(element)
        parent = element.getparent()
        owner = parent.getparent() if parent is not None else element
        text = element.text or ""
        stripped = text.strip()
        if not stripped:
            self.add("timer_expression", f"the {kind} of this timer is empty", element, self._owner_id(owner))
            return
        tree: ast.Expression | None = None
        syntax_error = ""
        try:
            tree = ast.parse(textwrap.dedent(text), mode="eval")
        except (SyntaxError, RecursionError, MemoryError) as exc:
            syntax_error = getattr(exc, "msg", None) or type(exc).__name__
        if tree is not None and isinstance(tree.body, ast.Constant):
            value = tree.body.value
            if not isinstance(value, str):
                self.add(
                    "timer_expression",
                    f'{kind} {stripped} must be an ISO 8601 string, e.g. "PT1H"',
                    element,
                    self._owner_id(owner),
                )
                return
            self._check_iso(element, owner, kind, value)
            return
        if iso_timer_error(kind, stripped) is None or _LOOKS_ISO.match(stripped):
            problem = iso_timer_error(kind, stripped)
            self.add(
                "timer_expression",
                f"{kind} {stripped} is not quoted: the engine evaluates timer expressions as Python, so "
                f'it would read {stripped} as code and fail when the timer starts; write "{stripped}"'
                + (f" (and note: {problem})" if problem else ""),
                element,
                self._owner_id(owner),
            )
            return
        if tree is None:
            self.add(
                "timer_expression",
                f'{kind} {stripped[:100]!r} is neither a quoted ISO 8601 value (e.g. "PT1H") nor a '
                f"Python expression ({syntax_error})",
                element,
                self._owner_id(owner),
            )
            return
        # A computed timer, e.g. "PT1H" if level == 'I' else "PT4H": sandbox it, check the literal branches.
        if self._check_expression(element, text, f"{kind} expression", "timer_expression", owner=owner) is None:
            return
        for value in _literal_branches(tree.body):
            self._check_iso(element, owner, kind, value)

    def _check_iso(self, element: etree._Element, owner: etree._Element | None, kind: str, value: str) -> None:
        problem = iso_timer_error(kind, value)
        if problem:
            self.add("timer_expression", f"{kind} {value!r}: {problem}", element, self._owner_id(owner))


def _literal_branches(node: ast.AST) -> list[str]:
    """String literals a computed timer can evaluate to (through ``a if c else b``), checked at deploy."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal_branches(node.body) + _literal_branches(node.orelse)
    return []
