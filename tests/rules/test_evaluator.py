"""``rules.evaluator``: the message each layer is asked about, the floor later layers read, the plan cache."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from rules import Ruleset, RulesetInvalid, bundled, decide, default_ruleset
from rules.compiler import MARKER
from rules.evaluator import clear_caches, incident_message, plan_for
from rules.facts import parse
from rules.host import RulesHost, get_host
from tests.rules.incidents import OPTIONAL, incident


def test_the_message_is_every_fact_as_json_data_and_the_marker() -> None:
    facts = incident(deaths=2, sensitive_receptors=["school", "hospital"], radioactive_source_class="III")
    message = incident_message(parse(facts))
    assert message == {**facts, **OPTIONAL, MARKER: 1}  # optional facts not sent: their defaults
    assert message["sensitive_receptors"] == ["school", "hospital"]
    assert type(message["sensitive_receptors"]) is list


def baseline_with_floor(level: str) -> Ruleset:
    """The bundled baseline with another floor and one rule that reads the level: it fires at the floor."""
    body: dict[str, Any] = copy.deepcopy(dict(default_ruleset().body))
    body["name"] = "floor-test"
    body["floor"] = {"level": level, "cites": "test floor"}
    body["rules"].append(
        {
            "id": "at-the-floor",
            "cites": "test",
            "when": {"fact": "level", "op": "==", "value": level},
            "then": {"leader_on_scene": True},
        }
    )
    return Ruleset.parse(body)


def test_later_layers_read_the_floor_level_when_no_grading_rule_fires() -> None:
    quiet = incident()
    assert decide(quiet).leader_on_scene is False
    decision = decide(quiet, baseline_with_floor("III"))
    assert decision.level == "III"
    assert decision.leader_on_scene is True
    graded = decide(incident(deaths=3), baseline_with_floor("III"))  # deaths >= 3: level III by a rule
    assert graded.level == "III" and graded.leader_on_scene is True


def test_a_plan_is_built_and_registered_once_and_then_reused() -> None:
    base = default_ruleset()
    first = plan_for(base)
    assert plan_for(base) is first
    assert plan_for(base, ()) is first
    clear_caches()
    assert plan_for(base) is not first


class _SlowHost(RulesHost):
    """A host whose first registration lets another thread ask for the same plan while the plan is built."""

    def __init__(self, others: Sequence[threading.Thread]) -> None:
        super().__init__()
        self.others = others
        self.started = False

    def register(self, name: str, rules: Any) -> None:
        if not self.started:
            self.started = True
            for other in self.others:
                other.start()
            time.sleep(0.3)  # the others find no plan yet and wait for the lock
        super().register(name, rules)


def test_threads_asking_for_a_plan_being_built_get_that_plan() -> None:
    base = default_ruleset()
    got: list[object] = []
    others = [threading.Thread(target=lambda: got.append(plan_for(base, (), get_host()))) for _ in range(3)]
    host = _SlowHost(others)
    plan = plan_for(base, (), host)
    for other in others:
        other.join()
    assert got == [plan, plan, plan]
    assert all(p is plan for p in got)


def test_a_decision_without_a_deadline_rule_says_so() -> None:
    decision = decide(incident())
    assert decision.to_dict()["deadline_rule"] == decision.deadline_rule.to_dict()  # type: ignore[union-attr]
    without = dataclasses.replace(decision, deadline_rule=None)
    assert without.to_dict()["deadline_rule"] is None
    assert {k: v for k, v in without.to_dict().items() if k != "deadline_rule"} == {
        k: v for k, v in decision.to_dict().items() if k != "deadline_rule"
    }


def test_an_overlay_alone_is_not_a_plan() -> None:
    with pytest.raises(RulesetInvalid) as caught:
        plan_for(bundled("city-60-30"))
    assert caught.value.name == "city-60-30"
    assert caught.value.problems == [
        {"rule": None, "field": "kind", "message": "city-60-30 is an overlay, not a baseline"}
    ]


def test_the_same_overlay_twice_is_refused_naming_the_overlays() -> None:
    city = bundled("city-60-30")
    with pytest.raises(RulesetInvalid) as caught:
        plan_for(default_ruleset(), [city, city])
    assert caught.value.problems == [
        {"rule": None, "field": "overlays", "message": "the same overlay is applied twice"}
    ]
