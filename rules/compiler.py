"""Compile rulesets into durable-rules JSON rulesets, layered so derived facts are known before they are read.

Conditions may read outputs of other rules (``level``, ``art4_triggers``, ``radiation_event``,
``treat_as_major_for_reporting``). A rule reading one must see its final value, so the rules of a baseline and
its overlays are put in layers (``ruleset.assign_layers``): layer 1 reads incident facts only, layer n reads
what layers < n decided. Each layer is one durable-rules ruleset; an evaluation asserts the facts into each
layer in turn and adds what fired to the next layer's facts. Which rules fire is always durable-rules' answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rules.conditions import AllOf, AnyOf, Comparison, Condition
from rules.errors import RulesetInvalid
from rules.outputs import DERIVED_BY_OUTPUT
from rules.ruleset import CONDITION_FACTS, DERIVED_FACTS, Rule, Ruleset, assign_layers, check_overlay

# Every message carries MARKER = 1 and every layer has a sentinel rule on it: durable-rules leaks the session
# of a fact no rule matches, and segfaults deleting it (see rules.host). ``always`` compiles to the same test.
MARKER = "_emflow"
SENTINEL = "_sentinel"
# durable-rules 2.0 is known to break somewhere near 480 rules in one ruleset; refuse well before that.
MAX_RULES_PER_LAYER = 400

_ORDER_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}


def _domain(fact: str) -> tuple[str | bool | None, ...] | None:
    """Every value a symbolic fact can take (None for numbers and lists)."""
    spec = CONDITION_FACTS[fact]
    if spec.kind == "bool":
        return (True, False)
    if spec.kind == "enum":
        return spec.choices
    if spec.kind == "optional_enum":
        return (*spec.choices, None)
    return None


def compile_condition(condition: Condition) -> dict[str, Any]:
    """A condition as a durable-rules expression on the message ``m``.

    Only constructs measured to behave on 2.0.28 are emitted: equality, ``$lt``/``$lte``/``$gt``/``$gte``,
    ``$and``, ``$or`` and ``$iany`` over list items. Not ``$neq``: it is false whenever the fact is null, so
    ``radioactive_source_class != III`` would fail for an incident without a source; ``!=`` and ``not_in`` on
    an enum or boolean become equality with the rest of its values, and on a number ``< x or > x``. Never
    ``$ex``/``$nex`` (they loop on the session state).
    """
    if isinstance(condition, AllOf):
        return {"$and": [compile_condition(item) for item in condition.items]}
    if isinstance(condition, AnyOf):
        return {"$or": [compile_condition(item) for item in condition.items]}
    if not isinstance(condition, Comparison):  # Always
        return {MARKER: 1}
    fact, op, value = condition.fact, condition.op, condition.value
    if op in ("!=", "not_in"):
        excluded = (value,) if op == "!=" else value
        domain = _domain(fact)
        if domain is None:
            return {"$and": [{"$or": [{"$lt": {fact: v}}, {"$gt": {fact: v}}]} for v in excluded]}
        return _one_of(fact, [v for v in domain if v not in excluded])
    if op == "==":
        return {fact: value}
    if op in _ORDER_OPS:
        return {_ORDER_OPS[op]: {fact: value}}
    if op == "in":
        return _one_of(fact, list(value))
    if op == "contains":
        return {"$iany": {fact: {"$i": value}}}
    if op == "not_empty":
        return {"$iany": {fact: {"$mt": {"$i": ".*"}}}}
    raise ValueError(f"no compilation for operator {op!r}")  # the parser lets no other operator through


def _one_of(fact: str, values: Sequence[object]) -> dict[str, Any]:
    if not values:  # e.g. not_in listing every value: a test that never holds
        return {"$and": [{fact: True}, {fact: False}]}
    return {"$or": [{fact: v} for v in values]}


@dataclass(frozen=True, eq=False)
class PlannedRule:
    """A rule in a plan; ``index`` is its position across the baseline and then each overlay."""

    index: int
    ruleset: Ruleset
    rule: Rule
    layer: int


@dataclass(frozen=True, eq=False)
class Layer:
    """One durable-rules ruleset: its name, rules (rule ``i`` reports ``i``), derived facts it reads."""

    number: int
    name: str
    rules: tuple[PlannedRule, ...]
    inputs: tuple[str, ...]

    def durable_rules(self) -> list[tuple[str, dict[str, Any]]]:
        compiled = [
            (f"{p.ruleset.name}/{p.rule.id}", {"all": [{"m": compile_condition(p.rule.when)}]}) for p in self.rules
        ]
        compiled.append((SENTINEL, {"all": [{"m": {MARKER: 1}}]}))
        return compiled


@dataclass(frozen=True, eq=False)
class Plan:
    """How to evaluate a baseline with its overlays: the rules in order, grouped into layers."""

    base: Ruleset
    overlays: tuple[Ruleset, ...]
    rules: tuple[PlannedRule, ...]
    layers: tuple[Layer, ...]

    @property
    def key(self) -> tuple[str, ...]:
        return plan_key(self.base, self.overlays)


def plan_key(base: Ruleset, overlays: Sequence[Ruleset]) -> tuple[str, ...]:
    return (base.sha256, *(o.sha256 for o in overlays))


def build_plan(base: Ruleset, overlays: Sequence[Ruleset] = ()) -> Plan:
    """Check the combination, order its rules into layers and name each layer after the rulesets' sha256."""
    for overlay in overlays:
        check_overlay(base, overlay)
    if base.kind != "baseline":  # check_overlay only sees this when there are overlays
        raise RulesetInvalid(
            [{"rule": None, "field": "kind", "message": f"{base.name} is an overlay, not a baseline"}],
            base.name,
        )
    if len({o.sha256 for o in overlays}) != len(overlays):
        raise RulesetInvalid([{"rule": None, "field": "overlays", "message": "the same overlay is applied twice"}])
    pairs = [(rs, rule) for rs in (base, *overlays) for rule in rs.rules]
    layers_of, cyclic = assign_layers([rule for _, rule in pairs])
    if cyclic:
        raise RulesetInvalid(
            [
                {
                    "rule": pairs[i][1].id,
                    "field": "when",
                    "message": "reads a derived fact that depends on its own output (with the overlays)",
                }
                for i in cyclic
            ]
        )
    planned = tuple(PlannedRule(i, rs, rule, layers_of[i]) for i, (rs, rule) in enumerate(pairs))
    final_layer = {fact: 0 for fact in DERIVED_FACTS}
    for p in planned:
        for key in p.rule.then:
            if key in DERIVED_BY_OUTPUT:
                fact = DERIVED_BY_OUTPUT[key]
                final_layer[fact] = max(final_layer[fact], p.layer)
    prefix = "emflow:" + "+".join(f"{rs.name}@{rs.version}:{rs.sha256}" for rs in (base, *overlays))
    layers = []
    for number in range(1, max(layers_of) + 1):
        members = tuple(p for p in planned if p.layer == number)
        if len(members) > MAX_RULES_PER_LAYER:
            raise RulesetInvalid(
                [
                    {
                        "rule": None,
                        "field": "rules",
                        "message": f"layer {number} has {len(members)} rules; durable-rules allows at most "
                        f"{MAX_RULES_PER_LAYER} per ruleset",
                    }
                ]
            )
        reads = set().union(*(p.rule.reads_derived for p in members))
        inputs = tuple(sorted(f for f in reads if final_layer[f] < number))
        layers.append(Layer(number, f"{prefix}/L{number}", members, inputs))
    return Plan(base, tuple(overlays), planned, tuple(layers))
