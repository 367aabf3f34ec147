"""The complete list of problems a wrong ruleset gets back: each one exactly, and nothing else.

An administrator fixes a refused ruleset from this list alone, so each entry must name the right rule (or none for
the document), the right field and say what is wrong; a missing entry hides a mistake, an extra one sends the
person after a mistake they did not make. Each case below starts from the valid bundled baseline (or a valid
overlay) and breaks one thing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from rules import Ruleset, RulesetInvalid, default_ruleset
from rules.outputs import OUTPUT_CHECKS, OVERLAY_OUTPUTS

Body = dict[str, Any]


def baseline() -> Body:
    return copy.deepcopy(dict(default_ruleset().body))


def overlay() -> Body:
    return {
        "name": "problems-test",
        "version": 1,
        "kind": "overlay",
        "base": "cn-national-2015",
        "description": "test",
        "rules": [
            {"id": "local-60", "cites": "local rule", "when": "always", "then": {"initial_report_deadline_minutes": 60}}
        ],
    }


def first_rule(body: Body) -> Body:
    rule: Body = body["rules"][0]
    return rule


def problems_of(body: Body) -> list[dict[str, Any]]:
    with pytest.raises(RulesetInvalid) as caught:
        Ruleset.parse(body)
    return caught.value.problems


def test_the_starting_points_are_valid() -> None:
    assert Ruleset.parse(baseline()).kind == "baseline"
    assert Ruleset.parse(overlay()).kind == "overlay"


def _set(key: str, value: Any) -> Callable[[Body], None]:
    return lambda body: body.__setitem__(key, value)


def _drop(key: str) -> Callable[[Body], None]:
    return lambda body: body.pop(key)


FIRST = "deaths-I"  # the bundled baseline's first rule


def _rule(key: str, value: Any) -> Callable[[Body], None]:
    return lambda body: first_rule(body).__setitem__(key, value)


def _rule_drop(key: str) -> Callable[[Body], None]:
    return lambda body: first_rule(body).pop(key)


BASELINE_CASES: list[tuple[str, Callable[[Body], None], list[tuple[str | None, str, str]]]] = [
    (
        "no floor",
        _drop("floor"),
        [(None, "floor", "a baseline needs floor: {level, cites} (the level when no grading rule fires)")],
    ),
    (
        "floor with an extra key",
        _set("floor", {"level": "IV", "cites": "NP2014", "note": "x"}),
        [(None, "floor", "a baseline needs floor: {level, cites} (the level when no grading rule fires)")],
    ),
    (
        "floor not a mapping",
        _set("floor", "IV"),
        [(None, "floor", "a baseline needs floor: {level, cites} (the level when no grading rule fires)")],
    ),
    (
        "floor level V",
        _set("floor", {"level": "V", "cites": "NP2014"}),
        [(None, "floor.level", "must be one of I, II, III, IV, got 'V'")],
    ),
    (
        "floor cites empty",
        _set("floor", {"level": "IV", "cites": ""}),
        [(None, "floor.cites", "must name the article")],
    ),
    (
        "floor cites blank",
        _set("floor", {"level": "IV", "cites": "  "}),
        [(None, "floor.cites", "must name the article")],
    ),
    (
        "floor cites a number",
        _set("floor", {"level": "IV", "cites": 4}),
        [(None, "floor.cites", "must name the article")],
    ),
    ("rules not a list", _set("rules", {"a": 1}), [(None, "rules", "must be a non-empty list of rules")]),
    ("no rules", _drop("rules"), [(None, "rules", "must be a non-empty list of rules")]),
    ("unknown top-level key", _set("author", "me"), [(None, "author", "unknown top-level key")]),
    ("a base in a baseline", _set("base", "x"), [(None, "base", "only an overlay has a base")]),
    ("kind", _set("kind", "patch"), [(None, "kind", "must be baseline or overlay, got 'patch'")]),
    ("description blank", _set("description", " "), [(None, "description", "must be a non-empty string")]),
    ("description a number", _set("description", 3), [(None, "description", "must be a non-empty string")]),
    ("version zero", _set("version", 0), [(None, "version", "must be a positive integer, got 0")]),
    ("version true", _set("version", True), [(None, "version", "must be a positive integer, got True")]),
    ("version text", _set("version", "1"), [(None, "version", "must be a positive integer, got '1'")]),
    (
        "name upper case",
        _set("name", "CN"),
        [(None, "name", "must be lower-case letters, digits, '.', '_' or '-' (≤ 64), got 'CN'")],
    ),
    (
        "a rule that is not a mapping",
        lambda b: b["rules"].insert(0, "deaths >= 30"),
        [("rules[0]", "$", "a rule must be a mapping with id, cites, when, then")],
    ),
    (
        "rule id with a space",
        _rule("id", "deaths I"),
        [("rules[0]", "id", "must be letters, digits, '.', '_' or '-', got 'deaths I'")],
    ),
    (
        "rule id missing",
        _rule_drop("id"),
        [("rules[0]", "id", "must be letters, digits, '.', '_' or '-', got None"), ("rules[0]", "id", "missing")],
    ),
    (
        "duplicate rule id",
        lambda b: b["rules"][1].__setitem__("id", FIRST),
        [(FIRST, "id", "duplicate rule id (also rules[0])")],
    ),
    ("unknown rule key", _rule("severity", "high"), [(FIRST, "severity", "unknown rule key")]),
    ("rule cites missing", _rule_drop("cites"), [(FIRST, "cites", "missing")]),
    ("rule cites blank", _rule("cites", " "), [(FIRST, "cites", "must name the article the rule implements")]),
    ("rule cites a number", _rule("cites", 7), [(FIRST, "cites", "must name the article the rule implements")]),
    ("rule description a number", _rule("description", 7), [(FIRST, "description", "must be a string")]),
    ("rule when missing", _rule_drop("when"), [(FIRST, "when", "missing")]),
    (
        "rule when wrong",
        _rule("when", {"fact": "deaths", "op": "=>", "value": 30}),
        [(FIRST, "when.op", None)],
    ),
    ("rule then missing", _rule_drop("then"), [(FIRST, "then", "missing")]),
    ("rule then empty", _rule("then", {}), [(FIRST, "then", "must be a non-empty mapping of outputs")]),
    ("rule then a list", _rule("then", ["level"]), [(FIRST, "then", "must be a non-empty mapping of outputs")]),
    (
        "unknown output",
        _rule("then", {"level": "I", "colour": "red"}),
        [(FIRST, "then.colour", f"unknown output; known: {', '.join(OUTPUT_CHECKS)}")],
    ),
    ("bad output value", _rule("then", {"level": "V"}), [(FIRST, "then.level", None)]),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [(c[1], c[2]) for c in BASELINE_CASES], ids=[c[0] for c in BASELINE_CASES]
)
def test_a_broken_baseline_gets_exactly_its_problems(
    mutate: Callable[[Body], None], expected: list[tuple[str | None, str, str | None]]
) -> None:
    body = baseline()
    mutate(body)
    got = problems_of(body)
    assert [(p["rule"], p["field"]) for p in got] == [(rule, field) for rule, field, _ in expected], got
    for problem, (_, _, message) in zip(got, expected, strict=True):
        assert isinstance(problem["message"], str) and problem["message"]
        if message is not None:
            assert problem["message"] == message


OVERLAY_CASES: list[tuple[str, Callable[[Body], None], list[tuple[str | None, str, str]]]] = [
    (
        "a floor in an overlay",
        _set("floor", {"level": "IV", "cites": "x"}),
        [(None, "floor", "only a baseline has a floor level")],
    ),
    ("no base", _drop("base"), [(None, "base", "an overlay must name the baseline it applies to")]),
    (
        "base not a name",
        _set("base", "CN National"),
        [(None, "base", "an overlay must name the baseline it applies to")],
    ),
    (
        "an output overlays may not set",
        _rule("then", {"level": "I"}),
        [("local-60", "then.level", f"an overlay may only tighten: it can set {', '.join(sorted(OVERLAY_OUTPUTS))}")],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"), [(c[1], c[2]) for c in OVERLAY_CASES], ids=[c[0] for c in OVERLAY_CASES]
)
def test_a_broken_overlay_gets_exactly_its_problems(
    mutate: Callable[[Body], None], expected: list[tuple[str | None, str, str]]
) -> None:
    body = overlay()
    mutate(body)
    got = problems_of(body)
    assert [(p["rule"], p["field"], p["message"]) for p in got] == expected


def test_an_overlay_needs_no_floor_and_no_rule_for_each_decision_field() -> None:
    parsed = Ruleset.parse(overlay())
    assert parsed.floor is None
    assert parsed.base == "cn-national-2015"


def test_a_baseline_has_no_base_and_keeps_its_floor() -> None:
    parsed = Ruleset.parse(baseline())
    assert parsed.base is None
    assert parsed.floor is not None and (parsed.floor.level, parsed.floor.cites) == (
        default_ruleset().body["floor"]["level"],
        default_ruleset().body["floor"]["cites"],
    )


def test_the_document_is_named_in_the_refusal() -> None:
    body = baseline()
    body["version"] = 0
    with pytest.raises(RulesetInvalid) as caught:
        Ruleset.parse(body)
    assert body["name"] in str(caught.value)
