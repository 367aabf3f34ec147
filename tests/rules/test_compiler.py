"""The compiled conditions mean what the ruleset language says, as durable-rules evaluates them.

A reference evaluator written here (tests only; production never evaluates conditions in Python) is compared
with the rules durable-rules fires, for every operator and for every rule of the bundled rulesets on random
incidents.
"""

from __future__ import annotations

import itertools
import operator
import random
from collections.abc import Mapping
from typing import Any

import pytest

from rules import bundled, default_ruleset
from rules.compiler import MARKER, SENTINEL, compile_condition
from rules.conditions import AllOf, AnyOf, Comparison, Condition, ConditionParser
from rules.evaluator import evaluate, plan_for
from rules.facts import parse
from rules.host import get_host
from rules.ruleset import CONDITION_FACTS
from tests.rules.incidents import random_incident

_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def holds(condition: Condition, facts: Mapping[str, Any]) -> bool:
    """The language's meaning, independently of durable-rules."""
    if isinstance(condition, AllOf):
        return all(holds(item, facts) for item in condition.items)
    if isinstance(condition, AnyOf):
        return any(holds(item, facts) for item in condition.items)
    if not isinstance(condition, Comparison):
        return True
    value, op, threshold = facts[condition.fact], condition.op, condition.value
    if op in _OPS:
        return _OPS[op](value, threshold)
    if op == "in":
        return value in threshold
    if op == "not_in":
        return value not in threshold
    if op == "contains":
        return threshold in value
    return len(value) > 0  # not_empty


CONDITIONS = [
    {"fact": "deaths", "op": "==", "value": 3},
    {"fact": "deaths", "op": "!=", "value": 3},
    {"fact": "deaths", "op": "<", "value": 3},
    {"fact": "deaths", "op": "<=", "value": 3},
    {"fact": "deaths", "op": ">", "value": 3},
    {"fact": "deaths", "op": ">=", "value": 3},
    {"fact": "deaths", "op": "in", "value": [0, 2, 4]},
    {"fact": "deaths", "op": "not_in", "value": [0, 2, 4]},
    {"fact": "direct_loss_yuan", "op": ">=", "value": 5000000},
    {"fact": "direct_loss_yuan", "op": "<", "value": 5000000},
    {"fact": "direct_loss_yuan", "op": ">", "value": 0},
    {"fact": "direct_loss_yuan", "op": "<=", "value": 4999999.5},
    {"fact": "radioactive_source_class", "op": "==", "value": None},
    {"fact": "radioactive_source_class", "op": "!=", "value": None},
    {"fact": "radioactive_source_class", "op": "!=", "value": "III"},
    {"fact": "radioactive_source_class", "op": "in", "value": ["I", None]},
    {"fact": "radioactive_source_class", "op": "not_in", "value": ["IV", "V"]},
    {"fact": "cross_boundary", "op": "!=", "value": "none"},
    {"fact": "cross_boundary", "op": "not_in", "value": ["none", "county"]},
    {"fact": "heavy_metal", "op": "==", "value": False},
    {"fact": "heavy_metal", "op": "!=", "value": False},
    {"fact": "sensitive_receptors", "op": "contains", "value": "school"},
    {"fact": "sensitive_receptors", "op": "not_empty"},
    {"fact": "art4_triggers", "op": "contains", "value": "art4_2"},
    {"fact": "art4_triggers", "op": "not_empty"},
    {"fact": "level", "op": "in", "value": ["I", "II"]},
    {"fact": "treat_as_major_for_reporting", "op": "==", "value": True},
    {
        "any": [
            {"fact": "deaths", "op": ">=", "value": 10},
            {
                "all": [
                    {"fact": "heavy_metal", "op": "==", "value": True},
                    {"fact": "evacuated", "op": "<", "value": 5000},
                ]
            },
        ]
    },
    {
        "all": [
            {
                "any": [
                    {"fact": "mass_incident", "op": "==", "value": True},
                    {"fact": "sensitive_period", "op": "==", "value": True},
                ]
            },
            {"fact": "reporting_authority", "op": "==", "value": "city"},
        ]
    },
    "always",
]


def _message(rng: random.Random) -> dict[str, Any]:
    message = parse(random_incident(rng)).to_dict()
    message["deaths"] = rng.choice([0, 2, 3, 4, message["deaths"]])
    message["direct_loss_yuan"] = rng.choice([0, 4999999.5, 5000000, message["direct_loss_yuan"]])
    message["level"] = rng.choice(["I", "II", "III", "IV"])
    message["art4_triggers"] = sorted(rng.sample(["art4_1", "art4_2", "art4_3", "art4_4", "art4_5"], rng.randrange(3)))
    message["radiation_event"] = rng.random() < 0.5
    message["treat_as_major_for_reporting"] = rng.random() < 0.5
    message[MARKER] = 1
    return message


def test_every_operator_compiles_to_what_it_means() -> None:
    parser = ConditionParser(CONDITION_FACTS)
    conditions = [parser.parse(data, f"c{i}") for i, data in enumerate(CONDITIONS)]
    assert not parser.problems
    host = get_host()
    name = "test:operators:" + str(id(conditions))
    host.register(
        name,
        [(f"c{i}", {"all": [{"m": compile_condition(c)}]}) for i, c in enumerate(conditions)]
        + [(SENTINEL, {"all": [{"m": {MARKER: 1}}]})],
    )
    rng = random.Random(4)
    seen_true = [0] * len(conditions)
    for _ in range(1500):
        message = _message(rng)
        fired = {i for i in host.evaluate(name, message) if i < len(conditions)}
        expected = {i for i, c in enumerate(conditions) if holds(c, message)}
        assert fired == expected, (message, sorted(fired ^ expected))
        for i in fired:
            seen_true[i] += 1
    assert all(0 < n < 1500 or CONDITIONS[i] == "always" for i, n in enumerate(seen_true)), seen_true


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], list[int]]] = []

    def evaluate(self, name: str, message: Mapping[str, Any]) -> list[int]:
        fired = get_host().evaluate(name, message)
        self.calls.append((name, dict(message), fired))
        return fired


@pytest.mark.parametrize("with_overlay", [False, True])
def test_bundled_rules_fire_exactly_when_their_conditions_hold(with_overlay: bool) -> None:
    overlays = [bundled("city-60-30")] if with_overlay else []
    plan = plan_for(default_ruleset(), overlays)
    rng = random.Random(2015)
    fired_count = dict.fromkeys(
        itertools.chain.from_iterable((p.rule.id for p in layer.rules) for layer in plan.layers), 0
    )
    for _ in range(400):
        recorder = _Recorder()
        evaluate(plan, parse(random_incident(rng)), host=recorder)
        assert [call[0] for call in recorder.calls] == [layer.name for layer in plan.layers]
        for layer, (_, message, fired) in zip(plan.layers, recorder.calls, strict=True):
            expected = {i for i, p in enumerate(layer.rules) if holds(p.rule.when, message)}
            assert set(fired) - {len(layer.rules)} == expected, [layer.rules[i].rule.id for i in set(fired) ^ expected]
            assert len(layer.rules) in fired  # the sentinel always fires: no session is left behind
            for i in expected:
                fired_count[layer.rules[i].rule.id] += 1
    never = [rule_id for rule_id, n in fired_count.items() if n == 0]
    assert never == [], f"rules the random incidents never exercised: {never}"


def test_layers_read_only_what_earlier_layers_decided() -> None:
    plan = plan_for(default_ruleset(), [bundled("city-60-30")])
    # grading and `always` first; Art.4 after radiation_event; major (and the overlay's "major or sensitive", which
    # reads the level and the Art.4 triggers) after Art.4; deadlines after major
    assert [len(layer.rules) for layer in plan.layers] == [47, 21, 3, 6]
    setters: dict[str, int] = {}
    for planned in plan.rules:
        for fact in planned.rule.sets_derived:
            setters[fact] = max(setters.get(fact, 0), planned.layer)
    for layer in plan.layers:
        for planned in layer.rules:
            assert all(setters.get(fact, 0) < layer.number for fact in planned.rule.reads_derived), planned.rule.id
            assert set(planned.rule.reads_derived) <= set(layer.inputs)
