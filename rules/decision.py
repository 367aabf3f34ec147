"""The decision: the output half of the escalation contract (docs/ESCALATION.md, §Decision), assembled from the
rules durable-rules fired.

Assembly only combines outputs, each by a fixed policy (see ``rules.outputs``); it never tests a fact. Fired
rules are taken in plan order (baseline rules as written, then each overlay's), so equal facts and equal
ruleset versions give an identical decision, down to list order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar

from rules.compiler import Plan, PlannedRule
from rules.conditions import describe
from rules.outputs import (
    INVESTIGATION_LEADS,
    LEVEL_RANK,
    LEVELS,
    RESPONSE_LEADS,
    Investigation,
    OnwardReport,
)

DECISION_FIELDS = (
    "level",
    "reasons",
    "art4_triggers",
    "treat_as_major_for_reporting",
    "radiation_event",
    "initial_report_deadline_minutes",
    "deadline_rule",
    "report_to",
    "onward_reports",
    "notify_adjacent_regions",
    "response_level",
    "response_lead",
    "investigation",
    "dispatch_city_work_group",
    "leader_on_scene",
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
class Decision:
    """How an incident escalates, and on whose authority; ``to_dict()`` is the JSON stored and returned."""

    level: str
    reasons: tuple[str, ...]
    art4_triggers: tuple[str, ...]
    treat_as_major_for_reporting: bool
    radiation_event: bool
    initial_report_deadline_minutes: int | None
    deadline_rule: RuleRef | None
    report_to: tuple[str, ...]
    onward_reports: tuple[OnwardReport, ...]
    notify_adjacent_regions: bool
    response_level: str | None
    response_lead: str | None
    investigation: Investigation
    dispatch_city_work_group: bool
    leader_on_scene: bool
    ruleset: RulesetRef
    overlays: tuple[RulesetRef, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "reasons": list(self.reasons),
            "art4_triggers": list(self.art4_triggers),
            "treat_as_major_for_reporting": self.treat_as_major_for_reporting,
            "radiation_event": self.radiation_event,
            "initial_report_deadline_minutes": self.initial_report_deadline_minutes,
            "deadline_rule": self.deadline_rule.to_dict() if self.deadline_rule else None,
            "report_to": list(self.report_to),
            "onward_reports": [report.to_dict() for report in self.onward_reports],
            "notify_adjacent_regions": self.notify_adjacent_regions,
            "response_level": self.response_level,
            "response_lead": self.response_lead,
            "investigation": self.investigation.to_dict(),
            "dispatch_city_work_group": self.dispatch_city_work_group,
            "leader_on_scene": self.leader_on_scene,
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
        targets = [then[k] for k in ("level", "art4_trigger") if k in then]
        if targets:
            reasons.append(f"{describe(planned.rule.when, values)} → {', '.join(targets)}, {planned.rule.cites}")
    if not outputs("level"):
        reasons.insert(0, f"no grading criterion met → {floor.level}, {floor.cites}")

    deadline, deadline_rule = None, None
    candidates = outputs("initial_report_deadline_minutes")
    if candidates:
        # Strictest wins; None is "immediately", stricter than any number. Ties keep the earlier rule.
        planned, deadline = min(candidates, key=lambda c: (c[1] is not None, c[1] or 0))
        deadline_rule = RuleRef(planned.ruleset.name, planned.ruleset.version, planned.rule.id)

    response_levels = [v for _, v in outputs("response_level")]
    investigations = [v for _, v in outputs("investigation")]
    investigation = NO_INVESTIGATION
    if investigations:
        lead = _most_senior([i.lead for i in investigations], INVESTIGATION_LEADS)
        investigation = next(i for i in investigations if i.lead == lead)

    return Decision(
        level=derived["level"],
        reasons=tuple(reasons),
        art4_triggers=tuple(derived["art4_triggers"]),
        treat_as_major_for_reporting=derived["treat_as_major_for_reporting"],
        radiation_event=derived["radiation_event"],
        initial_report_deadline_minutes=deadline,
        deadline_rule=deadline_rule,
        report_to=_ordered_union(v for _, v in outputs("report_to")),
        onward_reports=_ordered_union(v for _, v in outputs("onward_reports")),
        notify_adjacent_regions=bool(outputs("notify_adjacent_regions")),
        response_level=min(response_levels, key=LEVELS.index) if response_levels else None,
        response_lead=_most_senior([v for _, v in outputs("response_lead")], RESPONSE_LEADS),
        investigation=investigation,
        dispatch_city_work_group=bool(outputs("dispatch_city_work_group")),
        leader_on_scene=bool(outputs("leader_on_scene")),
        ruleset=RulesetRef(plan.base.name, plan.base.version, plan.base.sha256),
        overlays=tuple(RulesetRef(o.name, o.version, o.sha256) for o in plan.overlays),
    )
