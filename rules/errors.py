"""Exceptions of the rules layer.

Each one carries the structured list the API turns into ``{"error": {..., "details": [...]}}``: the person who
must fix the input needs to see every bad field or rule at once, not one per round trip.
"""

from __future__ import annotations

from typing import TypedDict


class FieldError(TypedDict):
    """One bad incident fact: ``field`` is its name (``$`` for the whole document)."""

    field: str
    message: str


class Problem(TypedDict):
    """One problem of a ruleset: the rule id (None for the document), the path inside it, the message."""

    rule: str | None
    field: str
    message: str


def problem_zh(problem: Problem) -> str:
    """What and where of a ruleset problem in Chinese, for the administrator reading the pages in Chinese; the
    English ``message`` keeps the detail (the value found, the values allowed)."""
    rule, where = problem["rule"], problem["field"]
    if rule is None:
        return "规则集文档有误" if where == "$" else f"规则集的 {where} 有误"
    return f"规则 {rule} 有误" if where == "$" else f"规则 {rule} 的 {where} 有误"


class RulesError(Exception):
    """Base class for everything the rules layer raises on purpose."""


class FactsInvalid(RulesError, ValueError):
    """Incident facts that do not satisfy the contract of docs/ESCALATION.md, §Facts.

    ``errors`` is a list of ``{"field": ..., "message": ...}``, one per bad field, in contract order.
    """

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        super().__init__(f"invalid incident facts: {summary}")


class RulesetInvalid(RulesError, ValueError):
    """A ruleset (or a ruleset combination) that must not be deployed or evaluated.

    ``problems`` is a list of ``{"rule": rule id or None, "field": path inside the rule or document,
    "message": ...}``.
    """

    def __init__(self, problems: list[Problem], name: str | None = None):
        self.problems = problems
        self.name = name
        where = f"ruleset {name!r}" if name else "ruleset"
        summary = "; ".join(f"{p['rule'] + ': ' if p['rule'] else ''}{p['field']}: {p['message']}" for p in problems)
        super().__init__(f"invalid {where}: {summary}")


class RulesEngineError(RulesError, RuntimeError):
    """durable-rules failed while evaluating; this is a bug or a resource problem, never bad input."""


class RulesetNotFound(RulesError, LookupError):
    """No ruleset with that name (and version) is known."""
