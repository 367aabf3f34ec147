"""Rulesets as data: parsing, validation, identity (name, version, sha256) and the bundled files.

A ruleset document (YAML or JSON)::

    name: cn-national-2015
    version: 1
    kind: baseline            # or: overlay, with  base: <baseline name>
    description: ...
    floor: {level: IV, cites: ...}   # baseline only: the level when no grading rule fires
    rules:
      - id: deaths-I
        cites: NP2014 Annex 1 I-1
        when: {fact: deaths, op: ">=", value: 30}     # see rules.conditions
        then: {level: I}                              # see rules.outputs

Validation reports every problem at once, each naming the rule id and the field, because the person deploying
a ruleset fixes them in one pass. The sha256 is taken over the canonical JSON of the document, so the same
rules written as YAML or JSON, with or without comments, have the same identity.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from rules.conditions import Condition, ConditionParser, facts_read, may_fire_together
from rules.errors import Problem, RulesetInvalid, RulesetNotFound
from rules.facts import ALL_FACT_SPECS
from rules.outputs import (
    CLOCK_OUTPUTS,
    DERIVED_BY_OUTPUT,
    DERIVED_FACT_SPECS,
    LEVELS,
    OUTPUT_CHECKS,
    OVERLAY_OUTPUTS,
    REQUIRED_BASELINE_OUTPUTS,
    OutputProblem,
)

BUNDLED_DIR = Path(__file__).resolve().parent / "rulesets"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_TOP_KEYS = {"name", "version", "kind", "base", "description", "floor", "rules"}
_RULE_KEYS = {"id", "cites", "description", "when", "then"}
CONDITION_FACTS = {spec.name: spec for spec in (*ALL_FACT_SPECS, *DERIVED_FACT_SPECS)}
DERIVED_FACTS = frozenset(spec.name for spec in DERIVED_FACT_SPECS)

Report = Callable[[str | None, str, str], None]  # (rule id, field, message)


@dataclass(frozen=True, eq=False)
class Rule:
    """One rule: when ``when`` holds (as durable-rules decides), it contributes ``then`` to the decision."""

    id: str
    cites: str
    when: Condition
    then: Mapping[str, Any]
    description: str = ""

    @property
    def reads_derived(self) -> frozenset[str]:
        return frozenset(facts_read(self.when) & DERIVED_FACTS)

    @property
    def sets_derived(self) -> frozenset[str]:
        return frozenset(DERIVED_BY_OUTPUT[key] for key in self.then if key in DERIVED_BY_OUTPUT)


@dataclass(frozen=True)
class Floor:
    """The level of an incident no grading rule fires for (NP2014 Annex 1 IV-6, the residual row)."""

    level: str
    cites: str


@dataclass(frozen=True, eq=False)
class Ruleset:
    """A validated ruleset. Two objects with the same ``sha256`` are the same rules."""

    name: str
    version: int
    kind: Literal["baseline", "overlay"]
    description: str
    rules: tuple[Rule, ...]
    body: Mapping[str, Any] = field(repr=False)
    sha256: str
    base: str | None = None
    floor: Floor | None = None

    @classmethod
    def parse(cls, source: str | bytes | Mapping[str, Any], *, base: Ruleset | None = None) -> Ruleset:
        """Parse YAML/JSON text or a mapping; with ``base``, also check that an overlay only tightens it."""
        return parse_ruleset(source, base=base)

    @classmethod
    def load(cls, path: str | Path) -> Ruleset:
        return parse_ruleset(Path(path).read_text(encoding="utf-8"))

    def canonical_json(self) -> str:
        """The body as stored in the database; its sha256 is ``self.sha256``."""
        return canonical_json(self.body)

    def ref(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "sha256": self.sha256}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ruleset) and other.sha256 == self.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)

    def __repr__(self) -> str:
        return f"<Ruleset {self.name} v{self.version} {self.kind} {self.sha256[:12]}>"


def canonical_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: YAML would otherwise keep the last ``then:`` without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _load_text(text: str) -> object:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise RulesetInvalid([{"rule": None, "field": "$", "message": f"not valid YAML or JSON: {exc}"}]) from None


def _json_problem(value: object, path: str) -> tuple[str, str] | None:
    """Find a value JSON cannot hold (YAML turns 2015-06-05 into a date); the sha256 needs canonical JSON."""
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, "not a finite number")
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _json_problem(item, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return (path, f"key {key!r} is not a string")
            found = _json_problem(item, f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    return (path, f"{type(value).__name__} value {value!r} is not JSON (quote it)")


def parse_ruleset(source: str | bytes | Mapping[str, Any], *, base: Ruleset | None = None) -> Ruleset:
    """Validate a ruleset document into a ``Ruleset``; raise ``RulesetInvalid`` listing every problem."""
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    data = _load_text(source) if isinstance(source, str) else source
    if not isinstance(data, Mapping):
        raise RulesetInvalid([{"rule": None, "field": "$", "message": "a ruleset must be a mapping"}])
    bad_json = _json_problem(dict(data), "")
    if bad_json:
        raise RulesetInvalid([{"rule": None, "field": bad_json[0] or "$", "message": bad_json[1]}])
    # A private, plain-JSON copy: the caller's mapping may change later, the ruleset must not.
    body = json.loads(canonical_json(data))
    problems: list[Problem] = []

    def problem(rule: str | None, where: str, message: str) -> None:
        problems.append({"rule": rule, "field": where, "message": message})

    for key in sorted(set(body) - _TOP_KEYS):
        problem(None, key, "unknown top-level key")
    name = body.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        problem(None, "name", f"must be lower-case letters, digits, '.', '_' or '-' (≤ 64), got {name!r}")
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problem(None, "version", f"must be a positive integer, got {version!r}")
    description = body.get("description")
    if not isinstance(description, str) or not description.strip():
        problem(None, "description", "must be a non-empty string")
    kind = body.get("kind", "baseline")
    if kind not in ("baseline", "overlay"):
        problem(None, "kind", f"must be baseline or overlay, got {kind!r}")
    base_name = body.get("base")
    if kind == "overlay" and (not isinstance(base_name, str) or not _NAME.fullmatch(base_name)):
        problem(None, "base", "an overlay must name the baseline it applies to")
    if kind == "baseline" and "base" in body:
        problem(None, "base", "only an overlay has a base")
    floor = _parse_floor(body, kind, problem)

    rules = _parse_rules(body.get("rules"), kind, problem)
    if kind == "baseline" and rules:
        set_somewhere = {key for rule in rules for key in rule.then}
        for key in REQUIRED_BASELINE_OUTPUTS:
            if key not in set_somewhere:
                problem(None, "rules", f"no rule sets {key}; every decision field needs a rule (docs/ESCALATION.md)")
    if rules:
        _, cyclic = assign_layers(rules)
        for i in cyclic:
            problem(rules[i].id, "when", "reads a derived fact that depends on this rule's own output (a cycle)")
    if problems:
        raise RulesetInvalid(problems, name if isinstance(name, str) else None)
    ruleset = Ruleset(
        name=name,
        version=version,
        kind=kind,
        description=description,
        rules=tuple(rules),
        body=body,
        sha256=hashlib.sha256(canonical_json(body).encode()).hexdigest(),
        base=base_name if kind == "overlay" else None,
        floor=floor,
    )
    if base is not None and kind == "overlay":
        check_overlay(base, ruleset)
    return ruleset


def _parse_floor(body: Mapping[str, Any], kind: str, problem: Report) -> Floor | None:
    raw = body.get("floor")
    if kind == "overlay":
        if raw is not None:
            problem(None, "floor", "only a baseline has a floor level")
        return None
    if not isinstance(raw, dict) or set(raw) != {"level", "cites"}:
        problem(None, "floor", "a baseline needs floor: {level, cites} (the level when no grading rule fires)")
        return None
    if raw["level"] not in LEVELS:
        problem(None, "floor.level", f"must be one of {', '.join(LEVELS)}, got {raw['level']!r}")
    if not isinstance(raw["cites"], str) or not raw["cites"].strip():
        problem(None, "floor.cites", "must name the article")
    return Floor(raw["level"], raw["cites"])


def _parse_rules(raw: object, kind: str, problem: Report) -> list[Rule]:
    if not isinstance(raw, list) or not raw:
        problem(None, "rules", "must be a non-empty list of rules")
        return []
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        label = f"rules[{index}]"
        if not isinstance(item, dict):
            problem(label, "$", "a rule must be a mapping with id, cites, when, then")
            continue
        rule_id = item.get("id")
        if isinstance(rule_id, str) and _RULE_ID.fullmatch(rule_id):
            label = rule_id
            if rule_id in seen:
                problem(rule_id, "id", f"duplicate rule id (also rules[{seen[rule_id]}])")
            seen.setdefault(rule_id, index)
        else:
            problem(label, "id", f"must be letters, digits, '.', '_' or '-', got {rule_id!r}")
        for key in sorted(set(item) - _RULE_KEYS):
            problem(label, key, "unknown rule key")
        for key in ("id", "cites", "when", "then"):
            if key not in item:
                problem(label, key, "missing")
        cites = item.get("cites")
        if "cites" in item and (not isinstance(cites, str) or not cites.strip()):
            problem(label, "cites", "must name the article the rule implements")
        description = item.get("description", "")
        if not isinstance(description, str):
            problem(label, "description", "must be a string")
        parser = ConditionParser(CONDITION_FACTS)
        when = parser.parse(item["when"], "when") if "when" in item else None
        for where, message in parser.problems:
            problem(label, where, message)
        then = (
            _parse_then(item.get("then"), label, cites if isinstance(cites, str) else "", kind, problem)
            if "then" in item
            else None
        )
        if when is not None and then is not None and isinstance(cites, str) and isinstance(rule_id, str):
            text = description if isinstance(description, str) else ""
            rules.append(Rule(rule_id, cites, when, MappingProxyType(then), text))
    return rules


def _parse_then(raw: object, label: str, cites: str, kind: str, problem: Report) -> dict[str, Any] | None:
    if not isinstance(raw, dict) or not raw:
        problem(label, "then", "must be a non-empty mapping of outputs")
        return None
    out: dict[str, Any] = {}
    for key, value in raw.items():
        check = OUTPUT_CHECKS.get(key)
        if check is None:
            problem(label, f"then.{key}", f"unknown output; known: {', '.join(OUTPUT_CHECKS)}")
            continue
        if kind == "overlay" and key not in OVERLAY_OUTPUTS:
            problem(
                label,
                f"then.{key}",
                f"an overlay may only tighten: it can set {', '.join(sorted(OVERLAY_OUTPUTS))}",
            )
            continue
        try:
            out[key] = check(value, cites)
        except OutputProblem as exc:
            problem(label, f"then.{key}{exc.path}", str(exc))
    return out if len(out) == len(raw) else None


def assign_layers(rules: Sequence[Rule]) -> tuple[list[int], list[int]]:
    """Order rules into layers: a rule reading a derived fact runs after every rule that sets it.

    Returns each rule's layer (1 = reads incident facts only) and the indexes of rules found on a cycle.
    """
    setters: dict[str, list[int]] = defaultdict(list)
    for i, rule in enumerate(rules):
        for fact in rule.sets_derived:
            setters[fact].append(i)
    layers = [0] * len(rules)
    state = [0] * len(rules)  # 0 new, 1 on the current path, 2 done
    cyclic: set[int] = set()

    def visit(i: int) -> int:
        if state[i] == 2:
            return layers[i]
        if state[i] == 1:
            cyclic.add(i)
            return 0
        state[i] = 1
        deps = [visit(j) for fact in sorted(rules[i].reads_derived) for j in setters.get(fact, ())]
        layers[i] = 1 + max(deps, default=0)
        state[i] = 2
        return layers[i]

    for i in range(len(rules)):
        visit(i)
    return layers, sorted(cyclic)


def _clocks(rule: Rule) -> dict[str, int]:
    """The numbers of minutes a rule sets, by output; a first's target as ``first_targets_minutes.<first>``.

    ``null`` ("immediately") is left out: no number can be stricter, and it always wins.
    """
    clocks = {key: rule.then[key] for key in CLOCK_OUTPUTS if rule.then.get(key) is not None}
    for first, minutes in rule.then.get("first_targets_minutes", {}).items():
        clocks[f"first_targets_minutes.{first}"] = minutes
    return clocks


def check_overlay(base: Ruleset, overlay: Ruleset) -> None:
    """Raise ``RulesetInvalid`` unless ``overlay`` is an overlay of ``base`` that can only tighten it
    (docs/DECISIONS.md, D16).

    At run time the strictest clock always wins, so an overlay cannot loosen anything in effect. This check
    refuses, at deploy time, an overlay number of minutes (a deadline, the grace of an immediate report, a
    publication deadline, a first's target: ``outputs.CLOCK_OUTPUTS`` and each key of ``first_targets_minutes``)
    that is longer than the base's for the same output and for incidents both rules could apply to (their
    conditions do not demand different values of one enum or boolean fact): such a rule says something the engine
    will not do. "Immediately" (null) base deadlines are left out: no number can be stricter, and they always win.
    """
    problems: list[Problem] = []
    if base.kind != "baseline":
        problems.append({"rule": None, "field": "base", "message": f"{base.name} is not a baseline"})
    if overlay.kind != "overlay":
        problems.append({"rule": None, "field": "kind", "message": f"{overlay.name} is not an overlay"})
    elif overlay.base != base.name:
        problems.append(
            {
                "rule": None,
                "field": "base",
                "message": f"{overlay.name} applies to {overlay.base}, not to {base.name}",
            }
        )
    base_clocks = [(base_rule, _clocks(base_rule)) for base_rule in base.rules]
    for rule in overlay.rules:
        for key, minutes in _clocks(rule).items():
            for base_rule, clocks in base_clocks:
                if key in clocks and clocks[key] < minutes and may_fire_together(rule.when, base_rule.when):
                    problems.append(
                        {
                            "rule": rule.id,
                            "field": f"then.{key}",
                            "message": f"{minutes} minutes would loosen {base.name} rule {base_rule.id!r} "
                            f"({clocks[key]} minutes) for the same incidents; an overlay "
                            "may only tighten (D16)",
                        }
                    )
                    break
    if problems:
        raise RulesetInvalid(problems, overlay.name)


@lru_cache(maxsize=1)
def load_bundled() -> tuple[Ruleset, ...]:
    """The rulesets shipped in ``rules/rulesets/``: baselines, then overlays, each by name and version."""
    rulesets = [
        parse_ruleset(path.read_text(encoding="utf-8"))
        for path in sorted(BUNDLED_DIR.iterdir())
        if path.suffix in (".yaml", ".yml", ".json")
    ]
    rulesets.sort(key=lambda r: (r.kind != "baseline", r.name, r.version))
    for overlay in (r for r in rulesets if r.kind == "overlay"):
        check_overlay(bundled(overlay.base or "", rulesets=rulesets), overlay)
    return tuple(rulesets)


def clear_caches() -> None:
    """Forget the parsed bundled rulesets, so the next ``load_bundled`` reads and validates the files again."""
    load_bundled.cache_clear()


def bundled(name: str, version: int | None = None, *, rulesets: Sequence[Ruleset] | None = None) -> Ruleset:
    """A bundled ruleset by name; the highest version unless ``version`` is given."""
    candidates = [
        r
        for r in (load_bundled() if rulesets is None else rulesets)
        if r.name == name and (version is None or r.version == version)
    ]
    if not candidates:
        raise RulesetNotFound(f"no bundled ruleset {name!r}" + (f" version {version}" if version else ""))
    return max(candidates, key=lambda r: r.version)
