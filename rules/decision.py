"""The decision: the output half of the escalation contract (docs/ESCALATION.md, §Decision), assembled from the
rules durable-rules fired.

Assembly only combines outputs, each by a fixed policy (see ``rules.outputs``); it never tests a fact. Fired
rules are taken in plan order (baseline rules as written, then each overlay's), so equal facts and equal
ruleset versions give an identical decision, down to list order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypedDict, TypeVar

from rules.compiler import Plan, PlannedRule
from rules.conditions import Condition, describe
from rules.outputs import (
    FIRSTS,
    INVESTIGATION_LEADS,
    LEVEL_RANK,
    LEVELS,
    RESPONSE_LEADS,
    Investigation,
    OnwardReport,
)
from rules.zh import CHINESE, cites_zh, target_zh

# Fields added later (reasons_zh, immediate_report, immediate_report_grace_minutes, first_targets_minutes,
# publication_deadline_minutes, press_conference_deadline_minutes) sit beside their kin; the fields that were
# there before keep their order.
DECISION_FIELDS = (
    "level",
    "reasons",
    "reasons_zh",
    "art4_triggers",
    "treat_as_major_for_reporting",
    "radiation_event",
    "initial_report_deadline_minutes",
    "deadline_rule",
    "immediate_report",
    "immediate_report_grace_minutes",
    "report_to",
    "onward_reports",
    "notify_adjacent_regions",
    "response_level",
    "response_lead",
    "investigation",
    "dispatch_city_work_group",
    "leader_on_scene",
    "first_targets_minutes",
    "publication_deadline_minutes",
    "press_conference_deadline_minutes",
    "ruleset",
)
NO_INVESTIGATION = Investigation(None, None, False)
_T = TypeVar("_T")


class DerivedValues(TypedDict):
    """The outputs later layers may read as facts (``outputs.DERIVED_FACT_SPECS``), as durable-rules sees them."""

    level: str
    art4_triggers: list[str]
    radiation_event: bool
    treat_as_major_for_reporting: bool


@dataclass(frozen=True)
class RuleRef:
    """Which rule of which ruleset version produced a value (the deadline's, for docs/DECISIONS.md, D16)."""

    ruleset: str
    version: int
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"ruleset": self.ruleset, "version": self.version, "rule": self.rule}


@dataclass(frozen=True)
class RulesetRef:
    name: str
    version: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


@dataclass(frozen=True)
class Reason:
    """One line of ``reasons``: a rule that set a level or an O17 Art.4 trigger, or the floor, kept as data and
    rendered twice, in English (``reasons``, the contract) and in Chinese (``reasons_zh``, what people read). Both
    come from the same rule, facts and citation, so the two lines cannot say different things."""

    condition: Condition | None  # None: the floor, no grading criterion met
    values: Mapping[str, Any]
    targets: tuple[tuple[str, str], ...]  # (output, value), e.g. ("level", "II"), ("art4_trigger", "art4_3")
    cites: str

    def english(self) -> str:
        """E.g. ``evacuated=49999 (≥ 10000, < 50000) → II, NP2014 Annex 1 II-2``."""
        facts = "no grading criterion met" if self.condition is None else describe(self.condition, self.values)
        return f"{facts} → {', '.join(value for _, value in self.targets)}, {self.cites}"

    def chinese(self) -> str:
        """E.g. ``疏散转移人员 49999 人（≥ 10000，< 50000） → Ⅱ级（NP2014 附件1 Ⅱ-2）``."""
        facts = "未达到任何分级标准" if self.condition is None else describe(self.condition, self.values, CHINESE)
        result = "，".join(target_zh(output, value) for output, value in self.targets)
        return f"{facts} → {result}（{cites_zh(self.cites)}）"


@dataclass(frozen=True)
class Decision:
    """How an incident escalates, and on whose authority; ``to_dict()`` is the JSON stored and returned."""

    level: str
    reasons: tuple[str, ...]
    reasons_zh: tuple[str, ...]
    art4_triggers: tuple[str, ...]
    treat_as_major_for_reporting: bool
    radiation_event: bool
    initial_report_deadline_minutes: int | None
    deadline_rule: RuleRef | None
    immediate_report: bool
    immediate_report_grace_minutes: int | None
    report_to: tuple[str, ...]
    onward_reports: tuple[OnwardReport, ...]
    notify_adjacent_regions: bool
    response_level: str | None
    response_lead: str | None
    investigation: Investigation
    dispatch_city_work_group: bool
    leader_on_scene: bool
    first_targets_minutes: Mapping[str, int]
    publication_deadline_minutes: int | None
    press_conference_deadline_minutes: int | None
    ruleset: RulesetRef
    overlays: tuple[RulesetRef, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "reasons": list(self.reasons),
            "reasons_zh": list(self.reasons_zh),
            "art4_triggers": list(self.art4_triggers),
            "treat_as_major_for_reporting": self.treat_as_major_for_reporting,
            "radiation_event": self.radiation_event,
            "initial_report_deadline_minutes": self.initial_report_deadline_minutes,
            "deadline_rule": self.deadline_rule.to_dict() if self.deadline_rule else None,
            "immediate_report": self.immediate_report,
            "immediate_report_grace_minutes": self.immediate_report_grace_minutes,
            "report_to": list(self.report_to),
            "onward_reports": [report.to_dict() for report in self.onward_reports],
            "notify_adjacent_regions": self.notify_adjacent_regions,
            "response_level": self.response_level,
            "response_lead": self.response_lead,
            "investigation": self.investigation.to_dict(),
            "dispatch_city_work_group": self.dispatch_city_work_group,
            "leader_on_scene": self.leader_on_scene,
            "first_targets_minutes": dict(self.first_targets_minutes),
            "publication_deadline_minutes": self.publication_deadline_minutes,
            "press_conference_deadline_minutes": self.press_conference_deadline_minutes,
            "ruleset": {**self.ruleset.to_dict(), "overlays": [o.to_dict() for o in self.overlays]},
        }


def derived_values(fired: Iterable[PlannedRule], floor_level: str) -> DerivedValues:
    """The outputs later layers may read, from the rules fired so far (order does not matter for these)."""
    level = floor_level
    art4: set[str] = set()
    radiation = major = False
    for planned in fired:
        then = planned.rule.then
        if "level" in then and LEVEL_RANK[then["level"]] > LEVEL_RANK[level]:
            level = then["level"]
        if "art4_trigger" in then:
            art4.add(then["art4_trigger"])
        radiation = radiation or "radiation_event" in then
        major = major or "treat_as_major_for_reporting" in then
    return {
        "level": level,
        "art4_triggers": sorted(art4),
        "radiation_event": radiation,
        "treat_as_major_for_reporting": major,
    }


def _ordered_union(lists: Iterable[Sequence[_T]]) -> tuple[_T, ...]:
    seen: dict[_T, None] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item, None)
    return tuple(seen)


def _most_senior(values: Iterable[str | None], order: Sequence[str]) -> str | None:
    """The value earliest in ``order`` (e.g. provincial before city government); None ranks last."""
    rank = {value: i for i, value in enumerate(order)}
    best: str | None = None
    for value in values:
        if best is None or (value is not None and rank[value] < rank[best]):
            best = value
    return best


def _shortest(candidates: Sequence[tuple[PlannedRule, int]]) -> int | None:
    """The strictest of some numbers of minutes; None when no fired rule set any."""
    return min(minutes for _, minutes in candidates) if candidates else None


def assemble(plan: Plan, facts: Mapping[str, Any], fired: Sequence[PlannedRule]) -> Decision:
    """Combine the outputs of ``fired`` (in plan order) into a decision; ``facts`` holds the incident."""
    floor = plan.base.floor
    assert floor is not None  # a baseline always has one (ruleset validation)
    derived = derived_values(fired, floor.level)
    values = {**facts, **derived}

    by_output: dict[str, list[tuple[PlannedRule, Any]]] = {}
    for planned in fired:
        for key, value in planned.rule.then.items():
            by_output.setdefault(key, []).append((planned, value))

    def outputs(key: str) -> list[tuple[PlannedRule, Any]]:
        return by_output.get(key, [])

    reasons = []
    for planned in fired:
        then = planned.rule.then
        targets = tuple((k, then[k]) for k in ("level", "art4_trigger") if k in then)
        if targets:
            reasons.append(Reason(planned.rule.when, values, targets, planned.rule.cites))
    if not outputs("level"):
        reasons.insert(0, Reason(None, values, (("level", floor.level),), floor.cites))

    deadline, deadline_rule = None, None
    candidates = outputs("initial_report_deadline_minutes")
    if candidates:
        # Strictest wins; None is "immediately", stricter than any number. Ties keep the earlier rule.
        planned, deadline = min(candidates, key=lambda c: (c[1] is not None, c[1] or 0))
        deadline_rule = RuleRef(planned.ruleset.name, planned.ruleset.version, planned.rule.id)
    # D17: "immediately" is a deadline a rule set to null, not the absence of one; its grace is the shortest any
    # fired rule gives (None when no rule gives one, as in rulesets written before D17).
    immediate = deadline_rule is not None and deadline is None
    grace = _shortest(outputs("immediate_report_grace_minutes")) if immediate else None
    targets_by_first: dict[str, int] = {}
    for _, first_targets in outputs("first_targets_minutes"):
        for first, minutes in first_targets.items():
            targets_by_first[first] = min(minutes, targets_by_first.get(first, minutes))

    response_levels = [v for _, v in outputs("response_level")]
    investigations = [v for _, v in outputs("investigation")]
    investigation = NO_INVESTIGATION
    if investigations:
        lead = _most_senior([i.lead for i in investigations], INVESTIGATION_LEADS)
        investigation = next(i for i in investigations if i.lead == lead)

    return Decision(
        level=derived["level"],
        reasons=tuple(reason.english() for reason in reasons),
        reasons_zh=tuple(reason.chinese() for reason in reasons),
        art4_triggers=tuple(derived["art4_triggers"]),
        treat_as_major_for_reporting=derived["treat_as_major_for_reporting"],
        radiation_event=derived["radiation_event"],
        initial_report_deadline_minutes=deadline,
        deadline_rule=deadline_rule,
        immediate_report=immediate,
        immediate_report_grace_minutes=grace,
        report_to=_ordered_union(v for _, v in outputs("report_to")),
        onward_reports=_ordered_union(v for _, v in outputs("onward_reports")),
        notify_adjacent_regions=bool(outputs("notify_adjacent_regions")),
        response_level=min(response_levels, key=LEVELS.index) if response_levels else None,
        response_lead=_most_senior([v for _, v in outputs("response_lead")], RESPONSE_LEADS),
        investigation=investigation,
        dispatch_city_work_group=bool(outputs("dispatch_city_work_group")),
        leader_on_scene=bool(outputs("leader_on_scene")),
        first_targets_minutes=MappingProxyType({f: targets_by_first[f] for f in FIRSTS if f in targets_by_first}),
        publication_deadline_minutes=_shortest(outputs("publication_deadline_minutes")),
        press_conference_deadline_minutes=_shortest(outputs("press_conference_deadline_minutes")),
        ruleset=RulesetRef(plan.base.name, plan.base.version, plan.base.sha256),
        overlays=tuple(RulesetRef(o.name, o.version, o.sha256) for o in plan.overlays),
    )
