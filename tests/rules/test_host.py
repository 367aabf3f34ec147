"""``rules.host``: registering once, one fresh session per evaluation, durable-rules failures as RulesEngineError."""

from __future__ import annotations

from typing import Any

import pytest

from rules import RulesEngineError
from rules.compiler import MARKER, SENTINEL
from rules.host import RulesHost, clear_caches, get_host

SENTINEL_RULE: tuple[str, dict[str, Any]] = (SENTINEL, {"all": [{"m": {MARKER: 1}}]})


def rules_over_deaths() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("some", {"all": [{"m": {"$gte": {"deaths": 1}}}]}),
        ("many", {"all": [{"m": {"$gte": {"deaths": 10}}}]}),
        SENTINEL_RULE,
    ]


def test_each_evaluation_reports_only_its_own_rules_in_rule_order() -> None:
    host = RulesHost()
    host.register("test:deaths", rules_over_deaths())
    assert sorted(host.evaluate("test:deaths", {"deaths": 12, MARKER: 1})) == [0, 1, 2]
    assert host.evaluate("test:deaths", {"deaths": 0, MARKER: 1}) == [2]
    assert sorted(host.evaluate("test:deaths", {"deaths": 3, MARKER: 1})) == [0, 2]


def test_registering_a_name_again_is_a_no_op() -> None:
    host = RulesHost()
    host.register("test:twice", rules_over_deaths())
    host.register("test:twice", [SENTINEL_RULE])  # ignored: the first definition stays
    assert sorted(host.evaluate("test:twice", {"deaths": 12, MARKER: 1})) == [0, 1, 2]


def test_sessions_are_deleted_after_each_evaluation() -> None:
    host = RulesHost()  # durable-rules runs out after 1,024 live sessions
    host.register("test:sessions", rules_over_deaths())
    for i in range(1500):
        assert host.evaluate("test:sessions", {"deaths": i % 2, MARKER: 1})[-1] == 2


def test_a_bad_definition_is_a_rules_engine_error() -> None:
    with pytest.raises(RulesEngineError, match="durable-rules refused ruleset 'test:bad'"):
        RulesHost().register("test:bad", [("broken", {"all": "not a list"})])


def test_facts_no_rule_handles_are_a_rules_engine_error() -> None:
    host = RulesHost()
    host.register("test:no-sentinel", [("many", {"all": [{"m": {"$gte": {"deaths": 10}}}]})])
    with pytest.raises(RulesEngineError, match="did not handle the facts"):
        host.evaluate("test:no-sentinel", {"deaths": 0, MARKER: 1})


def test_the_process_host_is_one_until_cleared() -> None:
    host = get_host()
    assert get_host() is host
    assert isinstance(host, RulesHost)
    clear_caches()
    assert get_host() is not host


def test_a_durable_rules_failure_while_evaluating_is_a_rules_engine_error() -> None:
    host = RulesHost()
    host.register("test:failure", rules_over_deaths())
    with pytest.raises(RulesEngineError, match="durable-rules failed on ruleset 'test:failure': "):
        host.evaluate("test:failure", {"deaths": object(), MARKER: 1})  # not JSON
    assert host.evaluate("test:failure", {"deaths": 0, MARKER: 1}) == [2]  # the host goes on working
