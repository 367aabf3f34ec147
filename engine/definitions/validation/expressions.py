"""One piece of diagram code through syntax, the sandbox's allow-list and constant division.

It also records the names each piece reads and sets, so that names nothing in the diagram sets can be reported.
"""

from __future__ import annotations

import ast
import textwrap
from typing import TypeGuard, cast

from lxml import etree

from engine.definitions.validation.problems import WARNING
from engine.definitions.validation.state import ValidatorState
from engine.definitions.validation.vocabulary import _JUEL, _quote
from engine.sandbox import ForbiddenExpression, check_expression


class ExpressionChecks(ValidatorState):
    """The sandbox check of one piece of code, and the names read that nothing sets."""

    def _check_expression(
        self,
        element: etree._Element,
        source: str | None,
        what: str,
        syntax_code: str,
        mode: str = "eval",
        owner: etree._Element | None = None,
    ) -> ast.AST | None:
        """Syntax, sandbox and constant-division checks of one piece of diagram code; its AST if sound."""
        owner = owner if owner is not None else element
        owner_id = self._owner_id(owner)
        base = cast("int | None", element.sourceline) or 1  # lxml-stubs 0.5.1 leaves sourceline untyped
        if source is None or not source.strip():
            self.add(syntax_code, f"the {what} is empty", element, owner_id)
            return None
        try:
            check_expression(source, mode, functions=self.functions)
        except SyntaxError as exc:
            hint = ""
            if _JUEL.search(source):
                hint = (
                    " (this looks like a Camunda ${...} expression: emflow expressions are plain "
                    "Python, e.g. severity >= 3)"
                )
            self.add(
                syntax_code,
                f"{what} is not valid Python: {exc.msg}{hint}: {source.strip()[:200]!r}",
                element,
                owner_id,
                line=base + (exc.lineno or 1) - 1,
            )
            return None
        except ForbiddenExpression as exc:
            self.add(
                "forbidden_expression",
                f"{what} is refused by the sandbox: {exc.message}",
                element,
                owner_id,
                line=base + (exc.line or 1) - 1,
            )
            return None
        tree = ast.parse(textwrap.dedent(source), mode=mode)
        for node in ast.walk(tree):
            if _divides_by_zero(node):
                self.add(
                    "division_by_zero",
                    f"{what} divides by zero; it would always fail when it runs",
                    element,
                    owner_id,
                    line=base + node.lineno - 1,
                )
            elif isinstance(node, ast.Name):
                if isinstance(node.ctx, (ast.Store, ast.Del)):
                    self.defined.add(node.id)
                elif node.id not in self.callable_names:
                    self.reads.append((node.id, what, element, owner_id or ""))
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self.reads.append((node.target.id, what, element, owner_id or ""))
        return tree

    # ---- names read but never set
    def _check_undefined_names(self) -> None:
        reported: set[tuple[str, str]] = set()
        for name, what, element, owner_id in self.reads:
            if name in self.defined or name == "_" or (owner_id, name) in reported:
                continue
            reported.add((owner_id, name))
            self.add(
                "undefined_name",
                f"{what} of {_quote(owner_id)} reads {_quote(name)}, which no form field, script, "
                "multi-instance or message in this diagram sets: unless the instance is started with "
                "it, this will fail at run time",
                element,
                owner_id,
                severity=WARNING,
            )


def _divides_by_zero(node: ast.AST) -> TypeGuard[ast.BinOp]:
    """``x / 0``, ``x // 0``, ``x % 0`` always fail when reached (``'%d' % 0`` formats, not divides)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod))):
        return False
    right, left = node.right, node.left
    if not isinstance(right, ast.Constant) or isinstance(right.value, (str, bytes)) or right.value != 0:
        return False
    return not (isinstance(left, ast.Constant) and isinstance(left.value, (str, bytes)))
