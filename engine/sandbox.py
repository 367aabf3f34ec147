"""The restricted Python that diagrams may run: conditions, scripts, timer expressions, form defaults.

SpiffWorkflow evaluates every expression in a diagram with ``eval``/``exec``. Diagrams are uploaded over the
network, and removing builtins is not enough (``().__class__.__base__.__subclasses__()`` reaches ``os``), so:

1. **An AST allow-list**, applied at deploy time by the validator *and again* every time the engine evaluates
   or executes something (a definition stored before a rule tightened, or one that bypassed the validator,
   is still refused). Allowed: literals, names, arithmetic/boolean/comparison operators, ``x if c else y``,
   subscripts and slices, list/dict/set displays and comprehensions, f-strings, and in scripts assignment,
   ``if``, ``for``, ``del``, ``assert``, ``pass``/``break``/``continue``. Refused: imports,
   ``def``/``lambda``/``class``, ``while``, ``with``, ``try``/``raise``, ``global``/``nonlocal``,
   ``yield``/``await``/``async``, ``:=``, ``match``, ``@``, any name starting with ``_`` (except ``_``
   itself), any attribute starting with ``_``, assignment to attributes, slice assignment.
2. **Calls only to allow-listed functions** (``ALLOWED_FUNCTIONS`` plus the host's own, see
   ``engine.bpmn.script_engine``) or to a small set of methods of plain data (``SAFE_METHODS``, e.g. ``d.get('k')``,
   ``s.lower()``). ``dir()`` is allowed only without arguments (the ``'x' in dir()`` "is it set" idiom).
3. **Attribute access is checked at run time by type**: ``x.get`` is rewritten to a guard that allows it
   only if ``type(x)`` is exactly a plain data type (dict, list, tuple, str, set, frozenset) and the name is
   one of that type's safe methods, so a host object that happens to have a ``.get`` is never reachable.
4. ``__builtins__`` is exactly the allow-list; it is put back last so task data cannot replace it.
5. **Cheap guards against resource exhaustion**: ``+``, ``*``, ``**``, ``<<`` and ``%``-formatting go
   through a guard that refuses results beyond ``MAX_SEQUENCE_LENGTH`` items or ``MAX_INT_BITS`` bits
   *before* computing them (so ``'a' * 10**9`` and ``10**10**10`` fail fast; constant cases already at
   deploy time), ``range`` is capped at ``MAX_RANGE`` items, ``while`` is refused, f-string/``%`` widths and
   source lengths are capped. ``x += y`` becomes ``x = x + y`` through the guard (so lists are rebound, not
   extended in place). Nested loops over large ranges can still burn CPU: these guards make accidents and
   crude abuse fail fast; they are not a CPU quota.
"""

from __future__ import annotations

import ast
import copy
import functools
import math
import operator
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, cast

from engine.errors import EmflowError

MAX_SOURCE_CHARS = 100_000
MAX_SEQUENCE_LENGTH = 1_000_000
MAX_INT_BITS = 13_000  # below Python's 4,300-digit str() limit, so every integer round-trips through JSON
MAX_RANGE = 100_000
MAX_FORMAT_WIDTH = 1_000


class ForbiddenExpression(EmflowError):
    """Diagram code that the sandbox refuses; ``line``/``column`` are relative to the expression (1-based)."""

    code = "forbidden_expression"

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message, {"line": line, "column": column})
        self.line = line
        self.column = column


def _bounded_range(*args: int) -> range:
    """``range`` that refuses more than MAX_RANGE items (a loop bound is the cheapest CPU guard we have)."""
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ForbiddenExpression(f"range() of {len(result):,} items exceeds the limit of {MAX_RANGE:,}")
    return result


# Why these and no others: each is a pure function of its arguments over plain data. Excluded on purpose:
# getattr/setattr/vars/dir(x)/type/object/globals/locals (reflection: the road to __subclasses__),
# eval/exec/compile/__import__/open/input/print/breakpoint (code loading, I/O), format/str.format (format
# strings can walk attributes: '{0.__class__}'), iter/next/map/filter (not needed; generators suffice).
ALLOWED_FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        "abs": abs,
        "all": all,
        "any": any,
        "bool": bool,
        "dict": dict,
        "dir": dir,
        "enumerate": enumerate,
        "float": float,
        "int": int,
        "isinstance": isinstance,
        "len": len,
        "list": list,
        "max": max,
        "min": min,
        "range": _bounded_range,
        "reversed": reversed,
        "round": round,
        "set": set,
        "sorted": sorted,
        "str": str,
        "sum": sum,
        "tuple": tuple,
        "zip": zip,
    }
)

_SET_METHODS = frozenset(
    {"difference", "intersection", "isdisjoint", "issubset", "issuperset", "symmetric_difference", "union"}
)
# Methods whose result is bounded by their input (replace and join are wrapped below to check that too) and
# that cannot mutate a collection while a loop iterates it.
SAFE_METHODS: Mapping[type, frozenset[str]] = MappingProxyType(
    {
        dict: frozenset({"get", "keys", "values", "items"}),
        list: frozenset({"count", "index"}),
        tuple: frozenset({"count", "index"}),
        str: frozenset(
            {
                "capitalize",
                "casefold",
                "count",
                "endswith",
                "find",
                "isalnum",
                "isalpha",
                "isdigit",
                "isspace",
                "join",
                "lower",
                "lstrip",
                "replace",
                "rsplit",
                "rstrip",
                "split",
                "splitlines",
                "startswith",
                "strip",
                "title",
                "upper",
            }
        ),
        set: _SET_METHODS,
        frozenset: _SET_METHODS,
    }
)
_SAFE_METHOD_NAMES = frozenset().union(*SAFE_METHODS.values())

_GETATTR = "__emflow_getattr__"
_BINOP = "__emflow_binop__"

_REFUSED: dict[type, str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.FunctionDef: "defining functions is not allowed",
    ast.AsyncFunctionDef: "defining functions is not allowed",
    ast.ClassDef: "defining classes is not allowed",
    ast.Return: "return is not allowed",
    ast.While: "while loops are not allowed (they cannot be bounded); loop with for over a list or range()",
    ast.With: "with is not allowed",
    ast.AsyncWith: "with is not allowed",
    ast.AsyncFor: "async for is not allowed",
    ast.Try: "try/except is not allowed",
    ast.Raise: "raise is not allowed; use assert condition, 'message'",
    ast.Global: "global is not allowed",
    ast.Nonlocal: "nonlocal is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Await: "await is not allowed",
    ast.NamedExpr: "the := operator is not allowed",
    ast.AnnAssign: "annotated assignment is not allowed",
    ast.Match: "match is not allowed",
    ast.MatMult: "the @ operator is not allowed",
}
if hasattr(ast, "TryStar"):
    _REFUSED[ast.TryStar] = "try/except is not allowed"

_ALLOWED_NODES: tuple[type, ...] = (
    ast.Module,
    ast.Expression,
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.If,
    ast.For,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Delete,
    ast.Assert,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.IfExp,
    ast.Dict,
    ast.Set,
    ast.List,
    ast.Tuple,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.Compare,
    ast.Call,
    ast.keyword,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Name,
    ast.Starred,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.expr_context,
    ast.boolop,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)
_GUARDED_OPS: dict[type, str] = {ast.Add: "add", ast.Mult: "mult", ast.Pow: "pow", ast.LShift: "lshift", ast.Mod: "mod"}
_NUMBER = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _too_wide(number: str) -> bool:
    """A format width or precision above MAX_FORMAT_WIDTH (its length first: int() refuses 4,300+ digits)."""
    digits = number.lstrip("0")
    return len(digits) > len(str(MAX_FORMAT_WIDTH)) or int(digits or "0") > MAX_FORMAT_WIDTH


def _refuse(node: ast.AST, message: str) -> ForbiddenExpression:
    return ForbiddenExpression(
        message, getattr(node, "lineno", None), (node.col_offset + 1) if hasattr(node, "col_offset") else None
    )


class _Checker(ast.NodeVisitor):
    def __init__(self, callable_names: frozenset[str]):
        self.callable_names = callable_names

    def generic_visit(self, node: ast.AST) -> None:
        refused = _REFUSED.get(type(node))
        if refused:
            raise _refuse(node, refused)
        if not isinstance(node, _ALLOWED_NODES):
            raise _refuse(node, f"{type(node).__name__} is not allowed in diagram expressions")
        super().generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("_") and node.id != "_":
            raise _refuse(node, f"names starting with '_' are not allowed ({node.id})")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)  # innermost first: report __import__ in __import__('os').system, not .system
        if node.attr.startswith("_"):
            raise _refuse(node, f"attributes starting with '_' are not allowed (.{node.attr})")
        if not isinstance(node.ctx, ast.Load):
            raise _refuse(
                node,
                f"assigning or deleting attributes is not allowed (.{node.attr}); "
                f"use subscripts, e.g. x['{node.attr}'] = ...",
            )
        if node.attr not in _SAFE_METHOD_NAMES:
            methods = ", ".join(sorted(_SAFE_METHOD_NAMES))
            raise _refuse(
                node,
                f"attribute access .{node.attr} is not allowed; read data with subscripts, "
                f"e.g. x['{node.attr}'] (methods allowed: {methods})",
            )

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in self.callable_names:
                raise _refuse(
                    node,
                    f"calling {func.id}() is not allowed; allowed functions: {', '.join(sorted(self.callable_names))}",
                )
            if func.id == "dir" and (node.args or node.keywords):
                raise _refuse(node, "dir() is allowed only without arguments")
        elif not isinstance(func, ast.Attribute):
            self.generic_visit(node)  # a lambda or __import__ inside says more than the generic refusal
            raise _refuse(node, "only named functions and data methods may be called")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Store) and isinstance(node.slice, ast.Slice):
            raise _refuse(node, "slice assignment is not allowed; build a new list instead")
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        spec = cast("ast.JoinedStr | None", node.format_spec)  # typeshed says expr; Python builds a JoinedStr
        if spec is not None:
            if not all(isinstance(v, ast.Constant) for v in spec.values):
                raise _refuse(node, "computed f-string format specifications are not allowed")
            text = "".join(str(v.value) for v in spec.values)  # type: ignore[attr-defined]  # all Constants (above)
            if any(_too_wide(number) for number in _NUMBER.findall(text)):
                raise _refuse(node, f"f-string widths above {MAX_FORMAT_WIDTH} are not allowed")
        self.visit(node.value)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            raise _refuse(node.target, "async comprehensions are not allowed")
        self.generic_visit(node)

    # Constant folding: visits return _Const(value) for constant sub-expressions, so that 'a' * 10**9 or
    # 10**10**10 is refused at deploy time (with its line) by the same guard that refuses it at run time.
    def visit_Constant(self, node: ast.Constant) -> _Const:
        return _Const(node.value)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> _Const | None:
        operand = self.visit(node.operand)
        if isinstance(operand, _Const):
            try:
                return _Const(_UNARY[type(node.op)](operand.value))
            except Exception:  # e.g. ~1.5: a run-time error, not a sandbox matter
                return None
        return None

    def visit_BinOp(self, node: ast.BinOp) -> _Const | None:
        refused = _REFUSED.get(type(node.op))
        if refused:
            raise _refuse(node, refused)
        left, right = self.visit(node.left), self.visit(node.right)
        if not (isinstance(left, _Const) and isinstance(right, _Const)):
            return None
        name = _GUARDED_OPS.get(type(node.op))
        try:
            value = _binop(name, left.value, right.value) if name else _BINARY[type(node.op)](left.value, right.value)
        except ForbiddenExpression as exc:
            raise _refuse(node, exc.message) from None
        except Exception:  # 1/0 fails at run time; the validator reports it
            return None
        return _Const(value)


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
    ast.Not: operator.not_,
    ast.Invert: operator.invert,
}
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Sub: operator.sub,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}


def check_expression(source: str, mode: str = "eval", *, functions: Iterable[str] = ()) -> None:
    """Refuse diagram code outside the allow-list: raise ForbiddenExpression, or SyntaxError if not Python.

    ``mode`` is 'eval' for conditions, timer expressions and form defaults, 'exec' for scripts. ``functions``
    names the host's extra callables (the same names given to ``make_script_engine``).
    """
    _parse_and_check(source, mode, frozenset(ALLOWED_FUNCTIONS) | frozenset(functions))


def _parse_and_check(source: str, mode: str, callable_names: frozenset[str]) -> ast.AST:
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if not isinstance(source, str):
        raise ForbiddenExpression(f"expected Python source text, got {type(source).__name__}")
    if len(source) > MAX_SOURCE_CHARS:
        raise ForbiddenExpression(f"the code is {len(source):,} characters long; the limit is {MAX_SOURCE_CHARS:,}")
    # Pretty-printed XML indents expressions and scripts: a uniform indent is no error (dedent keeps lines).
    try:
        tree = ast.parse(textwrap.dedent(source), mode=mode)
        _Checker(callable_names).visit(tree)
    except RecursionError:
        raise ForbiddenExpression("the code is nested too deeply") from None
    return tree


class _Rewriter(ast.NodeTransformer):
    """Routes attribute reads and size-sensitive operators through the run-time guards."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        value = self.visit(node.value)
        call = ast.Call(ast.Name(_GETATTR, ast.Load()), [value, ast.Constant(node.attr)], [])
        return ast.copy_location(call, node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        name = _GUARDED_OPS.get(type(node.op))
        if name is None:
            return node
        call = ast.Call(ast.Name(_BINOP, ast.Load()), [ast.Constant(name), node.left, node.right], [])
        return ast.copy_location(call, node)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        name = _GUARDED_OPS.get(type(node.op))
        if name is None:
            return node
        current = copy.deepcopy(node.target)
        current.ctx = ast.Load()
        call = ast.Call(ast.Name(_BINOP, ast.Load()), [ast.Constant(name), current, node.value], [])
        return ast.copy_location(ast.Assign([node.target], call), node)


@functools.lru_cache(maxsize=2048)
def compile_checked(source: str, mode: str, callable_names: frozenset[str]) -> Any:
    """Diagram code checked against the allow-list and rewritten through the guards, compiled (cached: the same
    expression runs in every instance). Run it only in a namespace holding ``GUARDS`` and the allow-listed
    builtins, as ``engine.bpmn.script_engine.SandboxedEnvironment`` does."""
    tree = _parse_and_check(source, mode, callable_names)
    tree = ast.fix_missing_locations(_Rewriter().visit(tree))
    # '<string>' is what SpiffWorkflow looks for in tracebacks to report the failing script line.
    return compile(tree, "<string>", mode)


def _too_big(what: str) -> ForbiddenExpression:
    return ForbiddenExpression(f"{what} exceeds the sandbox limit")


def _check_length(n: int) -> None:
    if n > MAX_SEQUENCE_LENGTH:
        raise _too_big(f"a result of {n:,} items")


def _is_sequence(x: Any) -> bool:
    return isinstance(x, (str, bytes, list, tuple))


def _binop(op: str, a: Any, b: Any) -> Any:
    """The guarded operators: estimate the size of the result and refuse it before it is computed."""
    if op == "add":
        if _is_sequence(a) and _is_sequence(b):
            _check_length(len(a) + len(b))
        return a + b
    if op == "mult":
        if isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > MAX_INT_BITS:
                raise _too_big("an integer product")
        elif _is_sequence(a) and isinstance(b, int):
            _check_length(len(a) * max(b, 0))
        elif _is_sequence(b) and isinstance(a, int):
            _check_length(len(b) * max(a, 0))
        return a * b
    if op == "pow":
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            if math.log2(abs(a)) * b > MAX_INT_BITS:
                raise _too_big(f"the power {a}**{b}")
        return a**b
    if op == "lshift":
        if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b > MAX_INT_BITS:
            raise _too_big(f"the shift {a} << {b}")
        return a << b
    if op == "mod":
        if isinstance(a, (str, bytes)):
            spec = a if isinstance(a, str) else a.decode("latin-1")
            for width, precision in _PERCENT_SPEC.findall(spec):
                for number in (width, precision):
                    if number == "*" or (number and _too_wide(number)):
                        raise ForbiddenExpression(f"%-format widths above {MAX_FORMAT_WIDTH} are not allowed")
        return a % b
    raise AssertionError(op)


def _guarded_replace(s: str, old: str, new: str, count: int = -1) -> str:
    occurrences = s.count(old) if count < 0 else min(count, s.count(old))
    _check_length(len(s) + occurrences * (len(new) - len(old)))
    return s.replace(old, new, count)


def _guarded_join(sep: str, items: Iterable[str]) -> str:
    items = list(items)
    _check_length(len(sep) * max(len(items) - 1, 0) + sum(len(i) for i in items if isinstance(i, str)))
    return sep.join(items)


def _getattr(obj: Any, name: str) -> Any:
    """Attribute reads from diagram code: only the safe methods of plain data types, decided by exact type."""
    allowed = SAFE_METHODS.get(type(obj))
    if allowed is None or name not in allowed:
        kind = type(obj).__name__
        hint = f"; methods allowed on {kind}: {', '.join(sorted(allowed))}" if allowed else ""
        if isinstance(obj, dict):
            hint += f"; read keys with subscripts, e.g. x['{name}']"
        raise ForbiddenExpression(f"'.{name}' is not available on {kind} values in diagram code{hint}")
    if type(obj) is str and name == "replace":
        return functools.partial(_guarded_replace, obj)
    if type(obj) is str and name == "join":
        return functools.partial(_guarded_join, obj)
    return getattr(obj, name)


GUARDS: Mapping[str, Callable[..., Any]] = MappingProxyType({_GETATTR: _getattr, _BINOP: _binop})
"""The functions rewritten code calls for attribute reads and size-guarded operators, by their reserved names."""


def clear_caches() -> None:
    """Forget compiled expressions (tests clear it so that one test's compiled code never hides another's bug)."""
    compile_checked.cache_clear()


__all__ = [
    "ALLOWED_FUNCTIONS",
    "GUARDS",
    "MAX_INT_BITS",
    "MAX_RANGE",
    "MAX_SEQUENCE_LENGTH",
    "MAX_SOURCE_CHARS",
    "SAFE_METHODS",
    "ForbiddenExpression",
    "check_expression",
    "clear_caches",
    "compile_checked",
]
