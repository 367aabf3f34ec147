"""The sandbox in detail: every refused and allowed construct, the size guards at their exact limits, safe
methods by exact type, the namespace the code runs in, and where a refusal points.

``tests/engine/test_sandbox.py`` shows the sandbox holding against attacks and whole diagrams; this file pins
each rule down so that loosening or tightening any of them fails a test.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import pytest
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.bpmn.script_engine import SandboxedEnvironment, make_script_engine
from engine.sandbox import (
    ALLOWED_FUNCTIONS,
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_RANGE,
    MAX_SEQUENCE_LENGTH,
    MAX_SOURCE_CHARS,
    SAFE_METHODS,
    ForbiddenExpression,
    check_expression,
    clear_caches,
)

TOO_BIG = "exceeds the sandbox limit"


@pytest.fixture(autouse=True)
def _fresh_compile_cache() -> Iterator[None]:
    """Compiled code is cached across calls; each test must check and rewrite its own (mutation testing too)."""
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def env() -> SandboxedEnvironment:
    environment = make_script_engine().environment
    assert isinstance(environment, SandboxedEnvironment)
    return environment


def refused(source: str, mode: str = "eval", **kwargs: Any) -> ForbiddenExpression:
    with pytest.raises(ForbiddenExpression) as caught:
        check_expression(source, mode, **kwargs)
    return caught.value


def refused_at_run_time(env: SandboxedEnvironment, expression: str, context: dict[str, Any]) -> str:
    with pytest.raises(ForbiddenExpression) as caught:
        env.evaluate(expression, context)
    return caught.value.message


# ------------------------------------------------------------------------------------------- the error


def test_the_error_carries_message_code_line_and_column() -> None:
    error = refused("x = 1\ny = (\n  a +\n  _secret)", "exec")
    assert error.message == "names starting with '_' are not allowed (_secret)"
    assert str(error) == error.message
    assert (error.line, error.column) == (4, 3)
    assert error.details == {"line": 4, "column": 3}
    assert error.code == "forbidden_expression"


@pytest.mark.parametrize(
    ("source", "line", "column"),
    [
        ("_x", 1, 1),
        ("a + _x", 1, 5),
        ("[a,\n b, _x]", 2, 5),
        ("    a + _x", 1, 5),  # the uniform indent of pretty-printed XML is removed first
        ("a.__class__", 1, 1),
        ("f(a)", 1, 1),
        ("'a' * 10**9", 1, 1),
    ],
)
def test_the_column_is_one_based(source: str, line: int, column: int) -> None:
    error = refused(source)
    assert (error.line, error.column) == (line, column)


def test_errors_without_a_position() -> None:
    error = ForbiddenExpression("no position")
    assert (error.line, error.column, error.details) == (None, None, {"line": None, "column": None})
    too_long = refused("1" + " " * MAX_SOURCE_CHARS)
    assert (too_long.line, too_long.column) == (None, None)


# -------------------------------------------------------------------------------------- the source text


def test_source_length_limit_is_exact() -> None:
    check_expression("1" + " " * (MAX_SOURCE_CHARS - 1))
    error = refused("1" + " " * MAX_SOURCE_CHARS)
    assert error.message == "the code is 100,001 characters long; the limit is 100,000"


def test_source_must_be_text() -> None:
    assert refused(b"1").message == "expected Python source text, got bytes"  # type: ignore[arg-type]
    assert refused(None).message == "expected Python source text, got NoneType"  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["single", "func_type", "", "EVAL"])
def test_mode_is_eval_or_exec(mode: str) -> None:
    with pytest.raises(ValueError, match=f"^mode must be 'eval' or 'exec', not '{mode}'$"):
        check_expression("1", mode)


def test_modes_parse_differently() -> None:
    check_expression("x = 1", "exec")
    with pytest.raises(SyntaxError):
        check_expression("x = 1", "eval")
    with pytest.raises(SyntaxError):
        check_expression("x = 1")  # eval is the default


def test_deep_nesting_is_refused_not_a_crash() -> None:
    error = refused("1" + "+1" * 5_000)
    assert error.message == "the code is nested too deeply"


def test_indented_scripts_are_dedented(env: SandboxedEnvironment) -> None:
    context: dict[str, Any] = {}
    env.execute("\n        a = 1\n        if a:\n            b = a + 1\n    ", context)
    assert context == {"a": 1, "b": 2}


# ------------------------------------------------------------------------------------- refused constructs


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import os", "imports are not allowed"),
        ("from os import path", "imports are not allowed"),
        ("f = lambda: 1", "lambda is not allowed"),
        ("def f():\n    pass", "defining functions is not allowed"),
        ("async def f():\n    pass", "defining functions is not allowed"),
        ("class A:\n    pass", "defining classes is not allowed"),
        ("return 1", "return is not allowed"),
        (
            "while x:\n    pass",
            "while loops are not allowed (they cannot be bounded); loop with for over a list or range()",
        ),
        ("with a as b:\n    pass", "with is not allowed"),
        ("async with a as b:\n    pass", "with is not allowed"),
        ("async for a in b:\n    pass", "async for is not allowed"),
        ("try:\n    pass\nexcept E:\n    pass", "try/except is not allowed"),
        ("try:\n    pass\nexcept* E:\n    pass", "try/except is not allowed"),
        ("raise E", "raise is not allowed; use assert condition, 'message'"),
        ("global x", "global is not allowed"),
        ("nonlocal x", "nonlocal is not allowed"),
        ("yield 1", "yield is not allowed"),
        ("yield from x", "yield is not allowed"),
        ("await x", "await is not allowed"),
        ("y = (x := 1)", "the := operator is not allowed"),
        ("x: int = 1", "annotated assignment is not allowed"),
        ("match x:\n    case 1:\n        pass", "match is not allowed"),
        ("y = a @ b", "the @ operator is not allowed"),
        ("y = [x async for x in z]", "async comprehensions are not allowed"),
        ("y = __x", "names starting with '_' are not allowed (__x)"),
        ("y = _x", "names starting with '_' are not allowed (_x)"),
        ("y = a._x", "attributes starting with '_' are not allowed (._x)"),
        ("y = a.__class__", "attributes starting with '_' are not allowed (.__class__)"),
        ("a.x = 1", "assigning or deleting attributes is not allowed (.x); use subscripts, e.g. x['x'] = ..."),
        ("del a.get", "assigning or deleting attributes is not allowed (.get); use subscripts, e.g. x['get'] = ..."),
        ("a.x += 1", "assigning or deleting attributes is not allowed (.x); use subscripts, e.g. x['x'] = ..."),
        ("a[1:] = []", "slice assignment is not allowed; build a new list instead"),
        ("a[:] += [1]", "slice assignment is not allowed; build a new list instead"),
        ("y = dir(a)", "dir() is allowed only without arguments"),
        ("y = dir(x=1)", "dir() is allowed only without arguments"),
        ("y = f[0]()", "only named functions and data methods may be called"),
        ("y = (a or b)()", "only named functions and data methods may be called"),
        ("y = (lambda: 1)()", "lambda is not allowed"),  # what is inside says more than the call
        ("y = f'{a:{w}}'", "computed f-string format specifications are not allowed"),
    ],
)
def test_refused_constructs(source: str, message: str) -> None:
    error = refused(source, "exec")
    assert error.message == message
    assert error.line == 1


def test_refused_inside_any_statement() -> None:
    for source, line in (
        ("if a:\n    x = _y", 2),
        ("for i in a:\n    x = _y", 2),
        ("if a:\n    pass\nelse:\n    x = _y", 4),
    ):
        error = refused(source, "exec")
        assert (error.message, error.line, error.column) == ("names starting with '_' are not allowed (_y)", line, 9)


def test_the_innermost_offence_is_reported_first() -> None:
    assert refused("__import__('os').system('id')").message.startswith("calling __import__() is not allowed")
    assert refused("_a.__class__").message == "names starting with '_' are not allowed (_a)"
    assert refused("a.__class__.mro").message == "attributes starting with '_' are not allowed (.__class__)"


def test_attribute_reads_are_limited_to_the_safe_method_names() -> None:
    error = refused("a.pop('k')")
    methods = ", ".join(sorted(frozenset().union(*SAFE_METHODS.values())))
    assert error.message == (
        f"attribute access .pop is not allowed; read data with subscripts, e.g. x['pop'] (methods allowed: {methods})"
    )
    assert "get, index, intersection" in methods
    for name in ("format", "format_map", "append", "update", "setdefault", "mro", "encode"):
        assert refused(f"a.{name}").message.startswith(f"attribute access .{name} is not allowed")


def test_only_allowed_functions_may_be_called() -> None:
    error = refused("print(1)")
    assert error.message == (
        "calling print() is not allowed; allowed functions: abs, all, any, bool, dict, dir, enumerate, float, int, "
        "isinstance, len, list, max, min, range, reversed, round, set, sorted, str, sum, tuple, zip"
    )
    assert (error.line, error.column) == (1, 1)
    for name in ALLOWED_FUNCTIONS:
        if name != "dir":
            check_expression(f"{name}(x)")


def test_host_functions_extend_the_allowed_calls() -> None:
    check_expression("notify('leader') and add_days(t, 1)", functions=["notify", "add_days"])
    error = refused("notify('leader')", functions=["add_days"])
    assert error.message.startswith("calling notify() is not allowed; allowed functions: abs, add_days, all, ")
    check_expression("len(x)", functions=[])


@pytest.mark.parametrize(
    "source",
    [
        "_ = 1",
        "x = _",
        "x = dir()",
        "x = 'k' in dir()",
        "x = a.get('k', 1)",
        "x = a['k']",
        "a['k'] = 1",
        "a[0] += 1",
        "del a['k']",
        "del x",
        "x = a[1:2]",
        "x = a[::2]",
        "x, y = 1, 2",
        "x = [*a, *b]",
        "x = {**a}",
        "x = {1, 2}",
        "x = {k: v for k, v in a.items()}",
        "x = {v for v in a}",
        "x = sum(v for v in a)",
        "x = [v for v in a if v]",
        "x = 1 if a else 2",
        "x = not a and b or c",
        "x = -a + +b - ~c",
        "x = a < b <= c != d is not e",
        "x = a in b and a not in c",
        "x = f'{a!r:>10}{b}'",
        "x = a % b // c / d - e & f | g ^ h >> i",
        "for i in a:\n    if i:\n        continue\n    break\nelse:\n    pass",
        "assert a, 'message'",
        "x = len(a)",
        "x = a.strip().lower().split(',')",
    ],
)
def test_allowed_constructs(source: str) -> None:
    check_expression(source, "exec")


# ----------------------------------------------------------------------------- constant folding at deploy


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("'a' * 10**9", "a result of 1,000,000,000 items exceeds the sandbox limit"),
        ("10**10**10", "the power 10**10000000000 exceeds the sandbox limit"),
        ("-(2**13001)", "the power 2**13001 exceeds the sandbox limit"),
        ("1 << 13000", "the shift 1 << 13000 exceeds the sandbox limit"),
        ("(1 << 6500) * (1 << 6499)", "an integer product exceeds the sandbox limit"),
        ("'ab' * 500_000 + 'c'", "a result of 1,000,001 items exceeds the sandbox limit"),
        ("'%1001d' % 1", "%-format widths above 1000 are not allowed"),
        ("x + 'a' * 1_000_001", "a result of 1,000,001 items exceeds the sandbox limit"),
        ("'a' * +(10**9)", "a result of 1,000,000,000 items exceeds the sandbox limit"),  # unary operators fold
        ("'ab' * -(-500_001)", "a result of 1,000,002 items exceeds the sandbox limit"),
        ("'a' * (10**9 - 1)", "a result of 999,999,999 items exceeds the sandbox limit"),  # and unguarded ones
        ("'a' * (2**21 // 2)", "a result of 1,048,576 items exceeds the sandbox limit"),
        ("'a' * (2**41 >> 20)", "a result of 2,097,152 items exceeds the sandbox limit"),
        ("'a' * (2**20 | 1)", "a result of 1,048,577 items exceeds the sandbox limit"),
    ],
)
def test_constant_expressions_are_folded_and_refused_at_deploy(source: str, message: str) -> None:
    error = refused(source)
    assert error.message == message
    assert error.line == 1


@pytest.mark.parametrize(
    "source",
    [
        "1 / 0",  # fails at run time, reported by the validator
        "~1.5",
        "-'a'",
        "'a' - 1",
        "2**13000 - 1",
        "(1 << 6499) * (1 << 6499)",
        "'a' * 1_000_000",
        "not 'a' * 1_000_000",
        "(2**13000 + 1) // 3 & 7 | 1 ^ 2 >> 1",
    ],
)
def test_constant_expressions_within_the_limits_deploy(source: str) -> None:
    check_expression(source)


# -------------------------------------------------------------------------------- guards at their limits


@pytest.mark.parametrize(
    ("expression", "context", "expected"),
    [
        ("a * b", {"a": "a", "b": MAX_SEQUENCE_LENGTH}, MAX_SEQUENCE_LENGTH),
        ("b * a", {"a": "a", "b": MAX_SEQUENCE_LENGTH}, MAX_SEQUENCE_LENGTH),
        ("a * b", {"a": [0, 1], "b": MAX_SEQUENCE_LENGTH // 2}, MAX_SEQUENCE_LENGTH),
        ("a * b", {"a": (0,), "b": MAX_SEQUENCE_LENGTH}, MAX_SEQUENCE_LENGTH),
        ("a * b", {"a": "abc", "b": -5}, 0),
        ("a * b", {"a": "abc", "b": 0}, 0),
        ("a + b", {"a": "a" * 500_000, "b": "b" * 500_000}, MAX_SEQUENCE_LENGTH),
        ("a + b", {"a": [0] * 999_999, "b": [1]}, MAX_SEQUENCE_LENGTH),
        ("len(range(n))", {"n": MAX_RANGE}, MAX_RANGE),
        ("len(range(0, 2 * n, 2))", {"n": MAX_RANGE}, MAX_RANGE),
        ("len(range(n, 0, -1))", {"n": MAX_RANGE}, MAX_RANGE),
    ],
)
def test_sequences_up_to_the_limit_are_built(
    env: SandboxedEnvironment, expression: str, context: dict[str, Any], expected: int
) -> None:
    result = env.evaluate(expression, context)
    assert (result if isinstance(result, int) else len(result)) == expected


@pytest.mark.parametrize(
    ("expression", "context", "message"),
    [
        ("a * b", {"a": "a", "b": MAX_SEQUENCE_LENGTH + 1}, "a result of 1,000,001 items exceeds the sandbox limit"),
        ("b * a", {"a": "a", "b": MAX_SEQUENCE_LENGTH + 1}, "a result of 1,000,001 items exceeds the sandbox limit"),
        ("a * b", {"a": [0, 1], "b": 500_001}, "a result of 1,000,002 items exceeds the sandbox limit"),
        ("b * a", {"a": (0, 1), "b": 500_001}, "a result of 1,000,002 items exceeds the sandbox limit"),
        ("a + b", {"a": "a" * 500_000, "b": "b" * 500_001}, "a result of 1,000,001 items exceeds the sandbox limit"),
        ("a + b", {"a": [0] * 999_999, "b": [1, 2]}, "a result of 1,000,001 items exceeds the sandbox limit"),
        ("a + b", {"a": (0,) * 999_999, "b": (1, 2)}, "a result of 1,000,001 items exceeds the sandbox limit"),
        ("range(n)", {"n": MAX_RANGE + 1}, "range() of 100,001 items exceeds the limit of 100,000"),
        ("range(0, 2 * n + 2, 2)", {"n": MAX_RANGE}, "range() of 100,001 items exceeds the limit of 100,000"),
        ("range(n, -1, -1)", {"n": MAX_RANGE}, "range() of 100,001 items exceeds the limit of 100,000"),
    ],
)
def test_sequences_past_the_limit_are_refused(
    env: SandboxedEnvironment, expression: str, context: dict[str, Any], message: str
) -> None:
    assert refused_at_run_time(env, expression, context) == message


def test_bytes_are_sequences_too(env: SandboxedEnvironment) -> None:
    assert len(env.evaluate("b * n", {"b": b"x", "n": MAX_SEQUENCE_LENGTH})) == MAX_SEQUENCE_LENGTH
    assert refused_at_run_time(env, "b * n", {"b": b"x", "n": MAX_SEQUENCE_LENGTH + 1}).endswith(TOO_BIG)
    assert refused_at_run_time(env, "b + b", {"b": b"x" * 500_001}).endswith(TOO_BIG)


def test_integer_products_are_limited_by_bits(env: SandboxedEnvironment) -> None:
    half = 1 << (MAX_INT_BITS // 2 - 1)  # bit_length MAX_INT_BITS / 2
    assert (half * half).bit_length() == MAX_INT_BITS - 1
    assert env.evaluate("a * b", {"a": half, "b": half}) == half * half
    assert env.evaluate("a * b", {"a": -half, "b": half}) == -half * half
    assert refused_at_run_time(env, "a * b", {"a": half * 2, "b": half}) == "an integer product " + TOO_BIG
    assert refused_at_run_time(env, "a * b", {"a": half, "b": -half * 2}) == "an integer product " + TOO_BIG
    assert env.evaluate("a * b", {"a": 2.5, "b": 1e300}) == 2.5e300  # floats cannot grow
    assert env.evaluate("a * b", {"a": 2.5, "b": 3}) == 7.5
    assert env.evaluate("a * b", {"a": 3, "b": 2.5}) == 7.5


def test_the_guards_estimate_the_result_not_the_operands(env: SandboxedEnvironment) -> None:
    """Task data may hold values beyond the limits; only results are checked."""
    long = "x" * (MAX_SEQUENCE_LENGTH + 1)
    assert env.evaluate("a * b", {"a": long, "b": 0}) == ""
    assert env.evaluate("b * a", {"a": long, "b": -1}) == ""
    assert env.evaluate("a.join([])", {"a": long}) == ""
    assert env.evaluate("a.join(['y'])", {"a": long}) == "y"
    huge = 1 << (MAX_INT_BITS + 1)  # log2 above the limit
    assert env.evaluate("a ** 1", {"a": 1 << MAX_INT_BITS}) == 1 << MAX_INT_BITS
    assert refused_at_run_time(env, "a ** 1", {"a": huge}).endswith(f"**1 {TOO_BIG}")
    assert env.evaluate("a ** 0", {"a": huge}) == 1


def test_unguarded_type_errors_are_pythons(env: SandboxedEnvironment) -> None:
    with pytest.raises(TypeError, match="can only concatenate str"):
        env.evaluate("a + b", {"a": "x", "b": 1})
    with pytest.raises(TypeError, match="unsupported operand"):
        env.evaluate("a + b", {"a": 1, "b": "x"})


def test_powers_are_limited_by_bits(env: SandboxedEnvironment) -> None:
    assert env.evaluate("a ** b", {"a": 2, "b": MAX_INT_BITS}) == 2**MAX_INT_BITS
    assert env.evaluate("a ** b", {"a": -2, "b": MAX_INT_BITS}) == 2**MAX_INT_BITS
    assert refused_at_run_time(env, "a ** b", {"a": 2, "b": MAX_INT_BITS + 1}) == f"the power 2**13001 {TOO_BIG}"
    assert refused_at_run_time(env, "a ** b", {"a": -2, "b": MAX_INT_BITS + 1}) == f"the power -2**13001 {TOO_BIG}"
    assert refused_at_run_time(env, "a ** b", {"a": 3, "b": 8203}) == f"the power 3**8203 {TOO_BIG}"
    assert env.evaluate("a ** b", {"a": 3, "b": 8202}) == 3**8202  # log2(3) * 8202 = 12999.8
    for base in (1, -1, 0):
        assert env.evaluate("a ** b", {"a": base, "b": 10**9}) == base**10**9
    assert env.evaluate("a ** b", {"a": 10, "b": -(10**9)}) == 0.0
    assert env.evaluate("a ** b", {"a": 2.0, "b": 10}) == 1024.0


def test_shifts_are_limited_by_bits(env: SandboxedEnvironment) -> None:
    assert env.evaluate("a << b", {"a": 1, "b": MAX_INT_BITS - 1}) == 1 << (MAX_INT_BITS - 1)
    assert env.evaluate("a << b", {"a": 3, "b": MAX_INT_BITS - 2}) == 3 << (MAX_INT_BITS - 2)
    assert refused_at_run_time(env, "a << b", {"a": 1, "b": MAX_INT_BITS}) == f"the shift 1 << 13000 {TOO_BIG}"
    assert refused_at_run_time(env, "a << b", {"a": 3, "b": MAX_INT_BITS - 1}) == f"the shift 3 << 12999 {TOO_BIG}"
    assert env.evaluate("a >> b", {"a": 1 << 100, "b": 10**9}) == 0  # only left shifts grow


@pytest.mark.parametrize(
    ("fmt", "args", "expected_length"),
    [
        ("%1000d", 1, 1000),
        ("%-1000s", "x", 1000),
        ("%.1000f", 1.0, 1002),
        ("%(a)1000s", {"a": 1}, 1000),
        ("%01000d", 7, 1000),
        ("%s and %d%%", ("a", 1), 8),
    ],
)
def test_percent_format_up_to_the_width_limit(
    env: SandboxedEnvironment, fmt: str, args: Any, expected_length: int
) -> None:
    assert len(env.evaluate("f % a", {"f": fmt, "a": args})) == expected_length
    if isinstance(args, (int, float)):
        assert len(env.evaluate("f % a", {"f": fmt.encode(), "a": args})) == expected_length


@pytest.mark.parametrize(
    ("fmt", "args"),
    [
        ("%1001d", 1),
        ("%-1001s", "x"),
        ("%.1001f", 1.0),
        ("%(a)1001s", {"a": 1}),
        ("%*d", (5, 1)),
        ("%.*f", (2, 1.0)),
        ("%s %1001s", ("a", "b")),
        pytest.param("%" + "9" * 5000 + "d", 1, id="more digits than int() converts"),
    ],
)
def test_percent_format_past_the_width_limit(env: SandboxedEnvironment, fmt: str, args: Any) -> None:
    message = "%-format widths above 1000 are not allowed"
    assert refused_at_run_time(env, "f % a", {"f": fmt, "a": args}) == message
    assert refused_at_run_time(env, "f % a", {"f": fmt.encode(), "a": args}) == message


def test_modulo_of_numbers_is_arithmetic(env: SandboxedEnvironment) -> None:
    assert env.evaluate("a % b", {"a": 17, "b": 5}) == 2
    assert env.evaluate("a % b", {"a": 1001, "b": 7}) == 0


@pytest.mark.parametrize(
    ("spec", "length"),
    [(">1000", 1000), ("<1000", 1000), (".1000f", 1002), ("0>5", 5), ("_>999", 999), (">01000", 1000), ("05", 5)],
)
def test_f_string_widths_up_to_the_limit(env: SandboxedEnvironment, spec: str, length: int) -> None:
    source = f"f'{{x:{spec}}}'"
    check_expression(source)
    assert len(env.evaluate(source, {"x": 1})) == length


@pytest.mark.parametrize(
    "spec", [">1001", "<9999", ".1001f", ">10000", ">01001", pytest.param(">" + "9" * 5000, id="5000 digits")]
)
def test_f_string_widths_past_the_limit(spec: str) -> None:
    error = refused(f"f'{{x:{spec}}}'")
    assert error.message == f"f-string widths above {MAX_FORMAT_WIDTH} are not allowed"
    assert (error.line, error.column) == (1, 1)


# ---------------------------------------------------------------------------------- str.replace, str.join


def test_replace_is_checked_before_it_grows(env: SandboxedEnvironment) -> None:
    s = "a" * 500_000
    assert env.evaluate("s.replace('a', 'bb')", {"s": s}) == "bb" * 500_000
    assert refused_at_run_time(env, "s.replace('a', 'bb')", {"s": s + "a"}).endswith(TOO_BIG)
    big = "a" * (MAX_SEQUENCE_LENGTH - 1)
    assert len(env.evaluate("s.replace('a', 'bb', 1)", {"s": big})) == MAX_SEQUENCE_LENGTH
    assert refused_at_run_time(env, "s.replace('a', 'bb', 2)", {"s": big}).endswith(TOO_BIG)
    assert env.evaluate("s.replace('a', 'bb', 0)", {"s": big}) == big
    assert env.evaluate("s.replace('a', 'b', 2)", {"s": "aaaa"}) == "bbaa"
    assert env.evaluate("s.replace('aa', '')", {"s": "aaaaa"}) == "a"
    assert env.evaluate("s.replace('x', 'yyyy')", {"s": big}) == big  # no occurrence, no growth


def test_join_is_checked_before_it_grows(env: SandboxedEnvironment) -> None:
    assert len(env.evaluate("''.join(p)", {"p": ["a"] * MAX_SEQUENCE_LENGTH})) == MAX_SEQUENCE_LENGTH
    assert len(env.evaluate("'-'.join(p)", {"p": ["a"] * 500_000})) == MAX_SEQUENCE_LENGTH - 1
    assert refused_at_run_time(env, "'-'.join(p)", {"p": ["a"] * 500_001}).endswith(TOO_BIG)
    assert refused_at_run_time(env, "'--'.join(p)", {"p": ["ab"] * 250_001}).endswith(TOO_BIG)
    assert env.evaluate("'-'.join(str(i) for i in range(3))", {}) == "0-1-2"  # a generator is read once
    assert env.evaluate("s.join([])", {"s": "x" * 1000}) == ""
    assert env.evaluate("s.join(['a'])", {"s": "x" * 1000}) == "a"
    with pytest.raises(TypeError):
        env.evaluate("','.join([1, 2])", {})


# ------------------------------------------------------------------------------ methods by exact type


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("d.get('a')", 1),
        ("d.get('z', 9)", 9),
        ("sorted(d.keys())", ["a", "b"]),
        ("sorted(d.values())", [1, 2]),
        ("sorted(d.items())", [("a", 1), ("b", 2)]),
        ("l.count(1)", 2),
        ("l.index(3)", 2),
        ("t.count('x')", 1),
        ("t.index('y')", 1),
        ("s.union({3}) == {1, 2, 3}", True),
        ("s.intersection({2, 5})", {2}),
        ("s.difference({2})", {1}),
        ("s.symmetric_difference({2, 4})", {1, 4}),
        ("s.isdisjoint({7})", True),
        ("s.issubset({1, 2, 3})", True),
        ("s.issuperset({1})", True),
        ("fs.union({3}) == {1, 3}", True),
        ("' Ab c '.strip().casefold().title().split()", ["Ab", "C"]),
        ("'a,b'.rsplit(',', 1) + 'x\\ny'.splitlines()", ["a", "b", "x", "y"]),
        ("'abc'.upper().lower().capitalize()", "Abc"),
        ("[' a'.lstrip(), 'a '.rstrip(), 'abca'.find('c'), 'aa'.count('a')]", ["a", "a", 2, 2]),
        ("['a1'.isalnum(), 'a'.isalpha(), '1'.isdigit(), ' '.isspace()]", [True, True, True, True]),
        ("['ab'.startswith('a'), 'ab'.endswith('b')]", [True, True]),
    ],
)
def test_safe_methods_of_plain_data(env: SandboxedEnvironment, expression: str, expected: Any) -> None:
    context = {"d": {"a": 1, "b": 2}, "l": [1, 1, 3], "t": ("x", "y"), "s": {1, 2}, "fs": frozenset({1})}
    assert env.evaluate(expression, context) == expected


def test_every_safe_method_is_reachable(env: SandboxedEnvironment) -> None:
    samples = {dict: {"a": 1}, list: [1], tuple: (1,), str: "a", set: {1}, frozenset: frozenset({1})}
    for kind, names in SAFE_METHODS.items():
        for name in names:
            assert callable(env.evaluate(f"v.{name}", {"v": samples[kind]})), (kind, name)


@pytest.mark.parametrize(
    ("value", "name", "message"),
    [
        ([1], "get", "'.get' is not available on list values in diagram code; methods allowed on list: count, index"),
        (
            {"a": 1},
            "count",
            "'.count' is not available on dict values in diagram code; methods allowed on dict: get, items, keys, "
            "values; read keys with subscripts, e.g. x['count']",
        ),
        (5, "lower", "'.lower' is not available on int values in diagram code"),
        (None, "get", "'.get' is not available on NoneType values in diagram code"),
        (
            collections.OrderedDict(a=1),
            "get",
            "'.get' is not available on OrderedDict values in diagram code; read keys with subscripts, e.g. x['get']",
        ),
        (collections.defaultdict(int), "keys", None),
        (collections.UserDict(a=1), "get", "'.get' is not available on UserDict values in diagram code"),
        ("s", "union", None),
        (frozenset(), "get", None),
    ],
)
def test_methods_are_allowed_by_exact_type(
    env: SandboxedEnvironment, value: Any, name: str, message: str | None
) -> None:
    error = refused_at_run_time(env, f"v.{name}", {"v": value})
    if message is not None:
        assert error == message
    else:
        assert error.startswith(f"'.{name}' is not available on {type(value).__name__} values in diagram code")


def test_subclasses_of_plain_types_get_no_methods(env: SandboxedEnvironment) -> None:
    class Text(str):
        pass

    class Items(list):  # type: ignore[type-arg]
        pass

    assert refused_at_run_time(env, "v.upper()", {"v": Text("a")}).startswith("'.upper' is not available on Text")
    assert refused_at_run_time(env, "v.count(1)", {"v": Items()}).startswith("'.count' is not available on Items")


# ---------------------------------------------------------------------------------------- the namespace


def test_builtins_are_exactly_the_allow_list(env: SandboxedEnvironment) -> None:
    assert env.evaluate("len([1, 2]) + abs(-1)", {}) == 3
    assert env.evaluate("len", {}) is len
    assert env.evaluate("range", {}) is not range  # the bounded one
    for name in ("open", "getattr", "type", "print"):
        with pytest.raises(NameError):
            env.execute(f"x = {name}", {})  # check_expression does not look at bare names: the namespace does


def test_builtins_and_guards_are_put_back_last(env: SandboxedEnvironment) -> None:
    def hostile(*args: Any) -> str:
        return "pwned"

    evil = {"__builtins__": {"len": hostile}, "__emflow_getattr__": hostile, "__emflow_binop__": hostile}
    for context, external in ((evil, None), ({}, evil)):
        assert env.evaluate("len([1]) + 1", dict(context), external) == 2
        assert env.evaluate("'a'.upper() + 'b' * 2", dict(context), external) == "Abb"
    # execute refuses task data named like the guards (SpiffWorkflow's check_for_overwrite), so only these two:
    for context, external in (({"__builtins__": {"len": hostile}}, None), ({}, evil)):
        data: dict[str, Any] = dict(context)
        env.execute("n = len([1, 2]) * 3\ns = 'a'.upper() + 'b' * 2", data, external)
        assert data == {"n": 6, "s": "Abb"}


def test_context_comes_before_external_context(env: SandboxedEnvironment) -> None:
    assert env.evaluate("x", {"x": 1}, {"x": 2}) == 1
    assert env.evaluate("x + y", {"x": 1}, {"y": 10}) == 11
    assert env.evaluate("x", {"x": 1}) == 1


def test_execute_leaves_only_task_data(env: SandboxedEnvironment) -> None:
    context: dict[str, Any] = {"a": 1}
    assert env.execute("b = a + 1\nc = ext * 2", context, {"ext": 21}) is True
    assert context == {"a": 1, "b": 2, "c": 42}


def test_execute_cleans_up_after_a_failure(env: SandboxedEnvironment) -> None:
    context: dict[str, Any] = {"a": 1}
    with pytest.raises(AssertionError, match="too small"):
        env.execute("b = 2\nassert a > 5, 'too small'", context, {"ext": 1})
    assert context == {"a": 1, "b": 2}
    context["n"] = 10**9
    with pytest.raises(ForbiddenExpression):
        env.execute("c = 'a' * n", context)
    assert context == {"a": 1, "b": 2, "n": 10**9}


def test_execute_of_nothing(env: SandboxedEnvironment) -> None:
    context: dict[str, Any] = {"a": 1}
    assert env.execute(None, context) is True  # type: ignore[arg-type]
    assert env.execute("", context) is True
    assert context == {"a": 1}


def test_the_run_time_check_uses_the_environments_functions() -> None:
    plain, hosted = make_script_engine().environment, make_script_engine({"notify": str.upper}).environment
    assert hosted.evaluate("notify('x')", {}) == "X"
    with pytest.raises(ForbiddenExpression, match="calling notify"):
        plain.evaluate("notify('x')", {"notify": str.upper})  # compiled for hosted: not for plain
    assert hosted.callable_names == frozenset(ALLOWED_FUNCTIONS) | {"notify"}
    with pytest.raises(ForbiddenExpression, match="calling notify"):
        plain.execute("y = notify('x')", {})


def test_run_time_checks_refuse_what_the_validator_would(env: SandboxedEnvironment) -> None:
    with pytest.raises(ForbiddenExpression, match="the := operator"):
        env.evaluate("(y := 1)", {})
    with pytest.raises(ForbiddenExpression, match="imports"):
        env.execute("import os", {})


@pytest.mark.parametrize(
    ("functions", "message"),
    [
        ({"a-b": len}, "function name 'a-b' must be an identifier not starting with '_'"),
        ({"_hidden": len}, "function name '_hidden' must be an identifier not starting with '_'"),
        ({"2go": len}, "function name '2go' must be an identifier not starting with '_'"),
        ({"sorted": len}, "function name 'sorted' would shadow the built-in allow-list"),
        ({"limit": 5}, "'limit' is not callable"),
    ],
)
def test_host_functions_are_checked(functions: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as refused_functions:
        SandboxedEnvironment(functions)
    assert str(refused_functions.value) == message


def test_make_script_engine_gives_a_sandboxed_engine() -> None:
    engine = make_script_engine({"double": lambda x: 2 * x})
    assert isinstance(engine, PythonScriptEngine)
    assert isinstance(engine.environment, SandboxedEnvironment)
    assert engine.environment.evaluate("double(21)", {}) == 42
    assert make_script_engine().environment.callable_names == frozenset(ALLOWED_FUNCTIONS)
    assert make_script_engine(None).environment.globals.keys() == {"__emflow_getattr__", "__emflow_binop__"}


# ---------------------------------------------------------------------------- augmented assignment


def test_augmented_assignment_rebinds_and_is_guarded(env: SandboxedEnvironment) -> None:
    items = [1]
    context: dict[str, Any] = {"items": items, "n": 5, "d": {"k": 1}, "s": "ab", "b": 3, "m": 7, "f": "%d"}
    env.execute(
        "items += [2]\nn -= 1\nn *= 3\nn **= 2\nd['k'] += 1\ns *= 2\nb <<= 2\nm %= 4\nf %= 9\nn //= 5\nb >>= 1",
        context,
    )
    assert items == [1]  # the original list is not extended in place
    assert context == {"items": [1, 2], "n": 28, "d": {"k": 2}, "s": "abab", "b": 6, "m": 3, "f": "9"}


@pytest.mark.parametrize(
    ("script", "context"),
    [
        ("s *= n", {"s": "a", "n": MAX_SEQUENCE_LENGTH + 1}),
        ("s += t", {"s": "a" * MAX_SEQUENCE_LENGTH, "t": "b"}),
        ("n **= m", {"n": 2, "m": MAX_INT_BITS + 1}),
        ("n <<= m", {"n": 1, "m": MAX_INT_BITS}),
        ("f %= 1", {"f": "%1001d"}),
        ("d['k'] *= n", {"d": {"k": "a"}, "n": MAX_SEQUENCE_LENGTH + 1}),
    ],
)
def test_augmented_assignment_past_the_limits_is_refused(
    env: SandboxedEnvironment, script: str, context: dict[str, Any]
) -> None:
    with pytest.raises(ForbiddenExpression):
        env.execute(script, dict(context))
