"""Rulesets as data: loading, identity, validation naming the rule and field, versions side by side."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules import Ruleset, RulesetInvalid, RulesetNotFound, bundled, decide, default_ruleset, load_bundled
from rules.evaluator import plan_for
from tests.rules.incidents import incident

ROOT = Path(__file__).resolve().parents[2]
BASELINE_FILE = ROOT / "rules" / "rulesets" / "cn-national-2015-v2.yaml"


def baseline_body() -> dict[str, Any]:
    return copy.deepcopy(dict(default_ruleset().body))


def rule(body: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in body["rules"] if r["id"] == rule_id)


def test_bundled_rulesets() -> None:
    found = [(r.name, r.version, r.kind) for r in load_bundled()]
    assert found == [
        ("cn-national-2015", 1, "baseline"),
        ("cn-national-2015", 2, "baseline"),
        ("city-60-30", 1, "overlay"),
        ("city-60-30", 2, "overlay"),
    ]
    base = bundled("cn-national-2015")
    assert base.version == 2 and bundled("cn-national-2015", 1).version == 1
    assert base is default_ruleset()
    assert base.floor is not None and base.floor.level == "IV"
    assert len(base.rules) == len({r.id for r in base.rules}) > 50
    with pytest.raises(RulesetNotFound):
        bundled("cn-national-2015", version=9)


def test_sha256_is_of_the_canonical_body_whatever_the_notation() -> None:
    base = default_ruleset()
    canonical = json.dumps(base.body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert base.canonical_json() == canonical
    assert base.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    text = BASELINE_FILE.read_text(encoding="utf-8")
    assert Ruleset.parse("# a comment\n" + text).sha256 == base.sha256
    assert Ruleset.parse(json.dumps(base.body, indent=2)).sha256 == base.sha256  # JSON text
    assert Ruleset.parse(text.encode()).sha256 == base.sha256  # bytes
    assert Ruleset.parse(text) == base and hash(Ruleset.parse(text)) == hash(base)  # identity is the sha256
    changed = baseline_body()
    changed["description"] += " (edited)"
    assert Ruleset.parse(changed).sha256 != base.sha256


def test_parsed_body_is_a_private_copy() -> None:
    body = baseline_body()
    parsed = Ruleset.parse(body)
    body["rules"][0]["then"]["level"] = "IV"
    assert parsed.body["rules"][0]["then"]["level"] == "I"


Mutation = Callable[[dict[str, Any]], None]


def _set(rule_id: str, path: str, value: Any) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        target: Any = rule(body, rule_id)
        *parents, last = path.split(".")
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value

    return mutate


def _drop_rules(*rule_ids: str) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        body["rules"] = [r for r in body["rules"] if r["id"] not in rule_ids]

    return mutate


INVALID = [
    (_set("deaths-I", "when.fact", "death"), "deaths-I", "when.fact", "unknown fact 'death'"),
    (_set("deaths-I", "when.op", "=>"), "deaths-I", "when.op", "operator '=>'"),
    (_set("deaths-I", "when.value", "30"), "deaths-I", "when.value", "is a number"),
    (_set("deaths-I", "when.value", True), "deaths-I", "when.value", "is a number"),
    (_set("deaths-I", "when.value", 2.5), "deaths-I", "when.value", "whole count"),
    (_set("deaths-I", "when.value", -1), "deaths-I", "when.value", ">= 0"),
    (_set("deaths-II", "when.all.1.fact", "deaths_total"), "deaths-II", "when.all[1].fact", "unknown fact"),
    (_set("water-intake-I", "when.value", "metropolis"), "water-intake-I", "when.value", "one of none"),
    (
        _set("art4-3-heavy-metal", "when.all.0.op", ">="),
        "art4-3-heavy-metal",
        "when.all[0].op",
        "does not apply",
    ),
    (
        _set("art4-3-heavy-metal", "when.all.0.value", "yes"),
        "art4-3-heavy-metal",
        "when.all[0].value",
        "true or false",
    ),
    (_set("radiation-II", "when.value", []), "radiation-II", "when.value", "non-empty list"),
    (_set("dispatch-by-art4", "when.value", 1), "dispatch-by-art4", "when.value", "takes no value"),
    (
        _set("ecology-I", "when", {"fact": "ecological_damage", "op": "=="}),
        "ecology-I",
        "when.value",
        "missing value",
    ),
    (_set("ecology-I", "when", {"every": []}), "ecology-I", "when", "unknown condition keys"),
    (_set("ecology-I", "when", {"all": []}), "ecology-I", "when.all", "non-empty list"),
    (_set("ecology-I", "when", "sometimes"), "ecology-I", "when", "must be 'always'"),
    (_set("deaths-I", "then", {"levle": "I"}), "deaths-I", "then.levle", "unknown output"),
    (_set("deaths-I", "then", {"level": "V"}), "deaths-I", "then.level", "one of I, II, III, IV"),
    (
        _set("deadline-major-120", "then", {"initial_report_deadline_minutes": 0}),
        "deadline-major-120",
        "then.initial_report_deadline_minutes",
        "positive integer",
    ),
    (
        _set("deadline-major-120", "then", {"initial_report_deadline_minutes": "2h"}),
        "deadline-major-120",
        "then.initial_report_deadline_minutes",
        "positive integer",
    ),
    (
        _set("dispatch-by-level", "then", {"dispatch_city_work_group": False}),
        "dispatch-by-level",
        "then.dispatch_city_work_group",
        "can only be true",
    ),
    (
        _set("report-major-procedure", "then", {"report_to": ["Provincial EEB"]}),
        "report-major-procedure",
        "then.report_to[0]",
        "snake_case",
    ),
    (
        _set("onward-province-to-mee", "then", {"onward_reports": [{"from": "provincial_eeb", "to": ["mee"]}]}),
        "onward-province-to-mee",
        "then.onward_reports[0]",
        "missing ['within_minutes']",
    ),
    (
        _set("investigation-mee", "then.investigation.lead", "county_eeb"),
        "investigation-mee",
        "then.investigation.lead",
        "one of mee",
    ),
    (
        _set("investigation-mee", "then.investigation.time_limit_days", 0),
        "investigation-mee",
        "then.investigation.time_limit_days",
        "positive integer",
    ),
    (_set("deaths-I", "cites", ""), "deaths-I", "cites", "article"),
    (_set("deaths-I", "severity", "high"), "deaths-I", "severity", "unknown rule key"),
    (_set("deaths-II", "id", "deaths-I"), "deaths-I", "id", "duplicate rule id"),
    (_set("deaths-I", "id", "deaths I!"), "rules[0]", "id", "must be letters"),
    (_set("major-by-level", "then", {"level": "II"}), "major-by-level", "when", "cycle"),
    (
        _drop_rules("response-I", "response-II", "response-III", "response-IV"),
        None,
        "rules",
        "no rule sets response_lead",
    ),
]


@pytest.mark.parametrize(("mutate", "rule_id", "field", "message"), INVALID)
def test_invalid_ruleset_names_the_rule_and_field(
    mutate: Mutation, rule_id: str | None, field: str, message: str
) -> None:
    body = baseline_body()
    mutate(body)
    with pytest.raises(RulesetInvalid) as caught:
        Ruleset.parse(body)
    matching = [p for p in caught.value.problems if p["rule"] == rule_id and p["field"] == field]
    assert any(message in p["message"] for p in matching), caught.value.problems


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("version", "1", "positive integer"),
        ("version", 0, "positive integer"),
        ("version", True, "positive integer"),
        ("name", "CN National", "lower-case"),
        ("description", "", "non-empty"),
        ("kind", "patch", "baseline or overlay"),
        ("floor", None, "floor: {level, cites}"),
        ("base", "cn-national-2015", "only an overlay"),
        ("author", "me", "unknown top-level key"),
        ("rules", [], "non-empty list"),
    ],
)
def test_invalid_top_level_fields(key: str, value: Any, message: str) -> None:
    body = baseline_body()
    body[key] = value
    with pytest.raises(RulesetInvalid) as caught:
        Ruleset.parse(body)
    assert any(p["field"] == key and message in p["message"] for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once() -> None:
    body = baseline_body()
    rule(body, "deaths-I")["when"]["op"] = "=>"
    rule(body, "loss-II")["then"] = {"level": "VI"}
    body["version"] = "two"
    with pytest.raises(RulesetInvalid) as caught:
        Ruleset.parse(body)
    assert {(p["rule"], p["field"]) for p in caught.value.problems} == {
        (None, "version"),
        ("deaths-I", "when.op"),
        ("loss-II", "then.level"),
    }
    assert "deaths-I" in str(caught.value) and "loss-II" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\nname: b\n", "duplicate key 'name'"),
        ("rules: [unclosed\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("name: x\ndescription: 2015-06-05\n", "not JSON"),
    ],
)
def test_unusable_documents(text: str, message: str) -> None:
    with pytest.raises(RulesetInvalid, match=message):
        Ruleset.parse(text)


def test_two_versions_coexist_in_one_process() -> None:
    v2_body = baseline_body()
    v2_body["version"] = 2
    rule(v2_body, "deaths-I")["when"]["value"] = 20
    rule(v2_body, "deaths-II")["when"]["all"][1]["value"] = 20
    v1, v2 = default_ruleset(), Ruleset.parse(yaml.safe_dump(v2_body, allow_unicode=True))
    for _ in range(3):  # interleaved, each keeps its own compiled rules
        assert decide(incident(deaths=20), v1).level == "II"
        assert decide(incident(deaths=20), v2).level == "I"
        assert decide(incident(deaths=20), v2).to_dict()["ruleset"]["version"] == 2
    names_v1 = {layer.name for layer in plan_for(v1).layers}
    names_v2 = {layer.name for layer in plan_for(v2).layers}
    assert not names_v1 & names_v2
    assert all(v1.sha256 in name for name in names_v1) and all(v2.sha256 in name for name in names_v2)


def test_rules_imports_neither_engine_nor_api_nor_web_or_database_libraries() -> None:
    code = (
        "import sys, rules; rules.decide(" + repr(incident(deaths=3)) + "); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'engine', 'api', 'flask', 'sqlalchemy'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
