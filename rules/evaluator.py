"""``decide()``: facts in, decision out, through the compiled plan of a baseline and its overlays.

Plans are compiled and registered with the durable host once per process per combination of ruleset sha256s,
so two versions of a ruleset (or the same baseline with and without an overlay) coexist and never share state.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from rules.compiler import MARKER, Plan, PlannedRule, build_plan, plan_key
from rules.decision import Decision, assemble, derived_values
from rules.facts import ALL_FACT_SPECS, IncidentFacts, parse
from rules.host import Evaluates, RulesHost, get_host
from rules.host import clear_caches as clear_host
from rules.ruleset import Ruleset, bundled

DEFAULT_BASELINE = "cn-national-2015"
_FACT_NAMES = tuple(spec.name for spec in ALL_FACT_SPECS)
_plans: dict[tuple[str, ...], Plan] = {}
_plans_lock = threading.Lock()


def plan_for(base: Ruleset, overlays: Sequence[Ruleset] = (), host: RulesHost | None = None) -> Plan:
    """The compiled plan for ``base`` + ``overlays``, built, checked and registered on first use."""
    key = plan_key(base, overlays)
    plan = _plans.get(key)
    if plan is None:
        with _plans_lock:
            plan = _plans.get(key)
            if plan is None:
                plan = build_plan(base, overlays)
                target = host or get_host()
                for layer in plan.layers:
                    target.register(layer.name, layer.durable_rules())
                _plans[key] = plan
    return plan


def clear_caches() -> None:
    """Forget every compiled plan and the host they were registered on (tests use this between tests).

    The next ``plan_for`` builds, checks, compiles and registers its plan afresh on a new host. Both go
    together: a plan is only usable on the host that registered its layers.
    """
    with _plans_lock:
        _plans.clear()
        clear_host()


def incident_message(facts: IncidentFacts) -> dict[str, Any]:
    """The facts as the durable-rules message every layer starts from."""
    message: dict[str, Any] = {name: getattr(facts, name) for name in _FACT_NAMES}
    message["sensitive_receptors"] = list(facts.sensitive_receptors)
    message[MARKER] = 1
    return message


def evaluate(plan: Plan, facts: IncidentFacts, host: Evaluates | None = None) -> Decision:
    """Run the layers in order, feeding each the derived facts it reads, and assemble the decision."""
    host = host or get_host()
    message = incident_message(facts)
    floor = plan.base.floor
    assert floor is not None  # a baseline always has one (ruleset validation)
    fired: list[PlannedRule] = []
    for layer in plan.layers:
        if layer.inputs:
            derived: Mapping[str, object] = derived_values(fired, floor.level)  # read by name below
            layer_message = {**message, **{name: derived[name] for name in layer.inputs}}
        else:
            layer_message = message
        for i in host.evaluate(layer.name, layer_message):
            if i < len(layer.rules):  # number len(layer.rules) is the sentinel
                fired.append(layer.rules[i])
    fired.sort(key=lambda p: p.index)
    return assemble(plan, message, fired)


def default_ruleset() -> Ruleset:
    """The bundled baseline ``cn-national-2015``, highest version (docs/DECISIONS.md, D1)."""
    return bundled(DEFAULT_BASELINE)


def decide(
    facts: Mapping[str, Any] | IncidentFacts, ruleset: Ruleset | None = None, overlays: Sequence[Ruleset] = ()
) -> Decision:
    """Decide how an incident escalates (docs/ESCALATION.md).

    ``facts`` is a mapping (validated here; ``FactsInvalid`` names every bad field) or ``IncidentFacts``.
    ``ruleset`` defaults to the bundled baseline; ``overlays`` must be overlays of it that only tighten
    (``RulesetInvalid`` otherwise). Thread-safe; the result depends only on the facts and the rulesets'
    sha256.
    """
    incident = facts if isinstance(facts, IncidentFacts) else parse(facts)
    plan = plan_for(ruleset if ruleset is not None else default_ruleset(), tuple(overlays))
    return evaluate(plan, incident)
