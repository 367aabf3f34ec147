"""The condition language of rulesets: syntax tree, validation, and how a fired condition reads in a reason.

A condition is one of::

    {fact: deaths, op: ">=", value: 30}          # a comparison
    {all: [<condition>, ...]}                    # every one holds
    {any: [<condition>, ...]}                    # at least one holds
    always                                       # holds for every incident

Operators by fact type:

* counts and amounts: ``==  !=  <  <=  >  >=  in  not_in`` with numbers
* enums (and the optional radioactive source class, whose "none" is ``null``): ``==  !=  in  not_in``
* booleans: ``==  !=``
* lists (``sensitive_receptors``, ``art4_triggers``): ``contains`` a value, ``not_empty`` (no value)

Conditions are never evaluated in Python: ``compiler`` turns them into durable-rules JSON.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rules.facts import FactSpec

NUMERIC_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in")
OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "count": NUMERIC_OPS,
    "amount": NUMERIC_OPS,
    "enum": ("==", "!=", "in", "not_in"),
    "optional_enum": ("==", "!=", "in", "not_in"),
    "bool": ("==", "!="),
    "strings": ("contains", "not_empty"),
}
_SYMBOL = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


@dataclass(frozen=True)
class Comparison:
    fact: str
    op: str
    value: Any  # a scalar, a tuple for in/not_in, None for not_empty


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Always:
    pass


Condition = Comparison | AllOf | AnyOf | Always


def facts_read(condition: Condition) -> set[str]:
    """Every fact name a condition mentions (the compiler orders rules by the derived ones)."""
    if isinstance(condition, Comparison):
        return {condition.fact}
    if isinstance(condition, (AllOf, AnyOf)):
        return set().union(*(facts_read(item) for item in condition.items))
    return set()


def required_values(condition: Condition) -> dict[str, frozenset[Any]]:
    """Values an enum or boolean fact must take for the condition to hold, where the syntax makes it certain.

    Used to tell whether two rules can fire for the same incident: if one needs ``radiation_event == true``
    and the other ``radiation_event == false``, they cannot. Anything less certain is left out (the answer is
    "they might").
    """
    if isinstance(condition, Comparison):
        if condition.op == "==" and _symbolic(condition.value):
            return {condition.fact: frozenset([condition.value])}
        if condition.op == "in" and all(_symbolic(v) for v in condition.value):
            return {condition.fact: frozenset(condition.value)}
        return {}
    if isinstance(condition, AllOf):
        out: dict[str, frozenset[Any]] = {}
        for item in condition.items:
            for fact, values in required_values(item).items():
                out[fact] = out[fact] & values if fact in out else values
        return out
    return {}


def _symbolic(value: object) -> bool:
    return value is None or isinstance(value, (str, bool))


def may_fire_together(a: Condition, b: Condition) -> bool:
    """False only when the two conditions demand different values of one enum or boolean fact."""
    need_a, need_b = required_values(a), required_values(b)
    return all(need_a[fact] & need_b[fact] for fact in need_a.keys() & need_b.keys())


class ConditionParser:
    """Builds a ``Condition`` from YAML/JSON data, collecting every problem with its path."""

    def __init__(self, facts: Mapping[str, FactSpec]):
        self.facts = facts
        self.problems: list[tuple[str, str]] = []  # (path, message)

    def parse(self, data: object, path: str) -> Condition | None:
        if data == "always":
            return Always()
        if not isinstance(data, dict):
            self._fail(path, "must be 'always', {fact, op, value}, {all: [...]} or {any: [...]}")
            return None
        if set(data) in ({"all"}, {"any"}):
            key = next(iter(data))
            items = data[key]
            if not isinstance(items, list) or not items:
                self._fail(f"{path}.{key}", "must be a non-empty list of conditions")
                return None
            parsed = [self.parse(item, f"{path}.{key}[{i}]") for i, item in enumerate(items)]
            valid = tuple(p for p in parsed if p is not None)
            if len(valid) != len(parsed):
                return None
            return AllOf(valid) if key == "all" else AnyOf(valid)
        if "fact" in data or "op" in data:
            return self._comparison(data, path)
        self._fail(path, f"unknown condition keys {sorted(data)}; use fact/op/value, all or any")
        return None

    def _fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))
        return None

    def _comparison(self, data: dict[str, Any], path: str) -> Comparison | None:
        extra = sorted(set(data) - {"fact", "op", "value"})
        if extra:
            self._fail(path, f"unknown keys {extra} in a comparison")
            return None
        fact, op = data.get("fact"), data.get("op")
        spec = self.facts.get(fact) if isinstance(fact, str) else None
        if spec is None or not isinstance(fact, str):  # the second test only tells mypy what the first implies
            self._fail(f"{path}.fact", f"unknown fact {fact!r}; known: {', '.join(self.facts)}")
            return None
        allowed = OPS_BY_KIND[spec.kind]
        if op not in allowed:
            self._fail(
                f"{path}.op",
                f"operator {op!r} does not apply to {fact} ({spec.kind}); use one of {' '.join(allowed)}",
            )
            return None
        if op == "not_empty":
            if "value" in data:
                self._fail(f"{path}.value", "not_empty takes no value")
                return None
            return Comparison(fact, op, None)
        if "value" not in data:
            self._fail(f"{path}.value", "missing value")
            return None
        value = data["value"]
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                self._fail(f"{path}.value", f"{op} needs a non-empty list of values")
                return None
            problems = [self._value_problem(spec, v) for v in value]
            bad = next((p for p in problems if p), None)
            if bad:
                self._fail(f"{path}.value", bad)
                return None
            if len(set(map(repr, value))) != len(value):
                self._fail(f"{path}.value", "lists a value twice")
                return None
            return Comparison(fact, op, tuple(value))
        problem = self._value_problem(spec, value, element=op == "contains")
        if problem:
            self._fail(f"{path}.value", problem)
            return None
        return Comparison(fact, op, value)

    @staticmethod
    def _value_problem(spec: FactSpec, value: object, element: bool = False) -> str | None:
        kind = spec.kind
        if kind in ("count", "amount"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"{spec.name} is a number; got {value!r}"
            if kind == "count" and not isinstance(value, int):
                return f"{spec.name} is a whole count; got {value!r}"
            if not math.isfinite(value) or value < 0:
                return f"{spec.name} thresholds must be finite and >= 0; got {value!r}"
            return None
        if kind == "bool":
            return None if isinstance(value, bool) else f"{spec.name} is true or false; got {value!r}"
        if kind == "optional_enum" and value is None:
            return None
        if kind == "strings" and element:
            if not isinstance(value, str) or not value:
                return f"{spec.name} holds non-empty strings; got {value!r}"
            if spec.choices and value not in spec.choices:
                return f"{spec.name} holds {', '.join(spec.choices)}; got {value!r}"
            return None
        if not isinstance(value, str) or value not in spec.choices:
            nullable = " or null" if kind == "optional_enum" else ""
            return f"{spec.name} is one of {', '.join(spec.choices)}{nullable}; got {value!r}"
        return None


def format_value(value: object) -> str:
    """Values as a reason shows them: JSON words for true/false/null, whole numbers without '.0'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def _test(comparison: Comparison) -> str | None:
    """The threshold part of a comparison; None when the value shown says it (``heavy_metal=true``)."""
    op, value = comparison.op, comparison.value
    if op == "==" and (value is None or isinstance(value, (str, bool))):
        return None
    if op in _SYMBOL:
        return f"{_SYMBOL[op]} {format_value(value)}"
    if op in ("in", "not_in"):
        return f"{op.replace('_', ' ')} {', '.join(format_value(v) for v in value)}"
    if op == "contains":
        return f"contains {format_value(value)}"
    return "not empty"


@dataclass(frozen=True)
class Wording:
    """How ``describe`` puts a condition into words. One walk over the condition, two languages: the English of
    the contract's ``reasons`` (``ENGLISH``) and the Chinese of ``reasons_zh`` (``rules.zh.CHINESE``), so the two
    renderings of a reason can never say different things."""

    every_incident: str
    and_joiner: str
    or_joiner: str
    test_joiner: str
    with_tests: str  # "{shown}" and "{tests}": a fact's value with the thresholds it was tested against
    nested: str  # "{text}": a group of conditions inside another
    shown: Callable[[str, object], str]  # (fact, value) -> the fact with its value
    test: Callable[[Comparison], str | None]  # the threshold part, None when the value shown says it


ENGLISH = Wording(
    every_incident="every incident",
    and_joiner=", ",
    or_joiner=" or ",
    test_joiner=", ",
    with_tests="{shown} ({tests})",
    nested="({text})",
    shown=lambda fact, value: f"{fact}={format_value(value)}",
    test=_test,
)


def describe(condition: Condition, values: Mapping[str, Any], wording: Wording = ENGLISH) -> str:
    """Render a condition with the incident's values, e.g. ``deaths=12 (≥ 10, < 30)``."""
    if isinstance(condition, Always):
        return wording.every_incident
    if isinstance(condition, Comparison):
        return _describe_group(condition.fact, [condition], values, wording)
    joiner = wording.and_joiner if isinstance(condition, AllOf) else wording.or_joiner
    chunks: list[list[Comparison] | Condition] = []
    for item in condition.items:
        last = chunks[-1] if chunks else None
        # Consecutive comparisons of one fact under "all" read as one range: deaths=12 (≥ 10, < 30).
        if (
            isinstance(condition, AllOf)
            and isinstance(item, Comparison)
            and isinstance(last, list)
            and last[0].fact == item.fact
        ):
            last.append(item)
        else:
            chunks.append([item] if isinstance(item, Comparison) else item)
    parts = []
    for chunk in chunks:
        if isinstance(chunk, list):
            parts.append(_describe_group(chunk[0].fact, chunk, values, wording))
        else:
            text = describe(chunk, values, wording)
            nested = isinstance(chunk, (AllOf, AnyOf)) and len(chunk.items) > 1
            parts.append(wording.nested.format(text=text) if nested else text)
    return joiner.join(parts)


def _describe_group(fact: str, group: list[Comparison], values: Mapping[str, Any], wording: Wording) -> str:
    tests = [t for t in (wording.test(c) for c in group) if t]
    shown = wording.shown(fact, values.get(fact))
    return wording.with_tests.format(shown=shown, tests=wording.test_joiner.join(tests)) if tests else shown
