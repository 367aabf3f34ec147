"""What a rule may set (its ``then``), how each value is checked, and which outputs later rules may read.

Python never decides *whether* a rule applies; it only combines the outputs of the rules durable-rules fired.
The combination is fixed per output and always leans to the stricter side: the highest level, the strictest
deadline, the union of recipients, "any" for the yes/no duties. That is what lets an overlay only ever tighten
(docs/DECISIONS.md, D16; docs/ESCALATION.md, §Overlays).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any

from rules.facts import FactSpec

LEVELS = ("I", "II", "III", "IV")  # highest first
LEVEL_RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}  # IV=0 … I=3
ART4_CODES = ("art4_1", "art4_2", "art4_3", "art4_4", "art4_5")
RESPONSE_LEADS = ("provincial_government", "city_government", "county_government")  # most senior first
INVESTIGATION_LEADS = ("mee", "provincial_eeb", "city_eeb")  # most senior first
# The firsts besides the report that a ruleset may give target minutes (docs/DECISIONS.md, D21): 第一时间赶赴现场,
# 开展监测 (the monitoring plan), 发布信息, 组织开展调查. The report has its own deadline.
FIRSTS = ("dispatch", "monitoring", "publication", "investigation")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Investigation:
    """Who investigates under O32 and how long they have (days counted as docs/DECISIONS.md, D14 says)."""

    lead: str | None
    time_limit_days: int | None
    mandatory: bool

    def to_dict(self) -> dict[str, Any]:
        return {"lead": self.lead, "time_limit_days": self.time_limit_days, "mandatory": self.mandatory}


@dataclass(frozen=True)
class OnwardReport:
    """A report the recipient must pass further up; ``within_minutes`` None means "promptly" (及时)."""

    sender: str
    recipients: tuple[str, ...]
    within_minutes: int | None
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.sender,
            "to": list(self.recipients),
            "within_minutes": self.within_minutes,
            "basis": self.basis,
        }


# Outputs later rules may read as facts, under these names. A rule reading one runs after every rule setting
# it.
DERIVED_FACT_SPECS: tuple[FactSpec, ...] = (
    FactSpec("level", "enum", LEVELS),
    FactSpec("art4_triggers", "strings", ART4_CODES),
    FactSpec("radiation_event", "bool"),
    FactSpec("treat_as_major_for_reporting", "bool"),
)
DERIVED_BY_OUTPUT = {
    "level": "level",
    "art4_trigger": "art4_triggers",
    "radiation_event": "radiation_event",
    "treat_as_major_for_reporting": "treat_as_major_for_reporting",
}

# Outputs an overlay may set: each can only add duties or shorten the clock, never take one away.
OVERLAY_OUTPUTS = frozenset(
    {
        "initial_report_deadline_minutes",
        "immediate_report_grace_minutes",
        "first_targets_minutes",
        "publication_deadline_minutes",
        "press_conference_deadline_minutes",
        "report_to",
        "onward_reports",
        "notify_adjacent_regions",
        "dispatch_city_work_group",
        "leader_on_scene",
    }
)

# Outputs that are a number of minutes and combine to the smallest: a longer one in an overlay would loosen the
# baseline (``ruleset.check_overlay``). ``first_targets_minutes`` holds one such number per first.
CLOCK_OUTPUTS = (
    "initial_report_deadline_minutes",
    "immediate_report_grace_minutes",
    "publication_deadline_minutes",
    "press_conference_deadline_minutes",
)

# Outputs a baseline must set somewhere, or a decision field would silently fall back to its default.
REQUIRED_BASELINE_OUTPUTS = (
    "level",
    "art4_trigger",
    "radiation_event",
    "treat_as_major_for_reporting",
    "initial_report_deadline_minutes",
    "report_to",
    "notify_adjacent_regions",
    "response_level",
    "response_lead",
    "investigation",
    "dispatch_city_work_group",
    "leader_on_scene",
)


class OutputProblem(ValueError):
    """A bad ``then`` value; the message names what is expected. ``path`` is relative to the output key."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.path = path


def _choice(choices: tuple[str, ...], value: object, cites: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise OutputProblem(f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def _true(value: object, cites: str) -> bool:
    # Yes/no duties combine with "any": writing false could never take effect and would mislead a reader.
    if value is not True:
        raise OutputProblem(f"can only be true (a duty is added, never removed), got {value!r}")
    return True


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise OutputProblem(f"{what} must be a positive integer, got {value!r}")
    return value


def _deadline(value: object, cites: str) -> int | None:
    if value is None:  # "immediately" (立即), e.g. RAD Art.42; stricter than any number of minutes
        return None
    return _positive_int(value, "a deadline in minutes (or null for immediately)")


def _minutes(value: object, cites: str) -> int:
    return _positive_int(value, "a number of minutes")


def _first_targets(value: object, cites: str) -> Mapping[str, int]:
    """Target minutes per first (D21), in ``FIRSTS`` order whatever the order written."""
    if not isinstance(value, dict) or not value:
        raise OutputProblem(f"must be a non-empty mapping of {', '.join(FIRSTS)} to minutes")
    for first in value:
        if first not in FIRSTS:
            raise OutputProblem(f"unknown first {first!r}; known: {', '.join(FIRSTS)}", f".{first}")
    targets = {}
    for first in FIRSTS:
        if first in value:
            try:
                targets[first] = _positive_int(value[first], "a target in minutes")
            except OutputProblem as exc:
                raise OutputProblem(str(exc), f".{first}") from None
    return MappingProxyType(targets)


def _identifier(value: object, path: str) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise OutputProblem(f"must be a snake_case authority name, got {value!r}", path)
    return value


def _recipients(value: object, cites: str, path: str = "") -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise OutputProblem("must be a non-empty list of authority names", path)
    out = tuple(_identifier(item, f"{path}[{i}]") for i, item in enumerate(value))
    if len(set(out)) != len(out):
        raise OutputProblem("lists a recipient twice", path)
    return out


def _onward(value: object, cites: str) -> tuple[OnwardReport, ...]:
    if not isinstance(value, list) or not value:
        raise OutputProblem("must be a non-empty list of {from, to, within_minutes}")
    reports = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise OutputProblem("must be an object {from, to, within_minutes}", f"[{i}]")
        extra = sorted(set(item) - {"from", "to", "within_minutes"})
        missing = [k for k in ("from", "to", "within_minutes") if k not in item]
        if extra or missing:
            raise OutputProblem(
                f"needs exactly from, to, within_minutes (missing {missing}, unknown {extra})", f"[{i}]"
            )
        minutes = item["within_minutes"]
        if minutes is not None:
            try:
                _positive_int(minutes, "within_minutes")
            except OutputProblem as exc:
                raise OutputProblem(str(exc), f"[{i}].within_minutes") from None
        reports.append(
            OnwardReport(
                _identifier(item["from"], f"[{i}].from"),
                _recipients(item["to"], cites, f"[{i}].to"),
                minutes,
                cites,
            )
        )
    return tuple(reports)


def _investigation(value: object, cites: str) -> Investigation:
    if not isinstance(value, dict) or set(value) != {"lead", "time_limit_days", "mandatory"}:
        raise OutputProblem("must be an object with exactly lead, time_limit_days, mandatory")
    lead, days, mandatory = value["lead"], value["time_limit_days"], value["mandatory"]
    if lead is not None and lead not in INVESTIGATION_LEADS:
        raise OutputProblem(f"must be one of {', '.join(INVESTIGATION_LEADS)} or null, got {lead!r}", ".lead")
    if days is not None:
        try:
            _positive_int(days, "time_limit_days")
        except OutputProblem as exc:
            raise OutputProblem(str(exc), ".time_limit_days") from None
    if not isinstance(mandatory, bool):
        raise OutputProblem(f"must be true or false, got {mandatory!r}", ".mandatory")
    if lead is None and (days is not None or mandatory):
        raise OutputProblem("an investigation without a lead has no time limit and is not mandatory")
    return Investigation(lead, days, mandatory)


# Each check takes the value as parsed from YAML/JSON and the rule's cites, and returns the value a rule holds.
# (``partial``, not a closure made at import: the check's code must be the module function at call time.)
OUTPUT_CHECKS: dict[str, Callable[[object, str], object]] = {
    "level": partial(_choice, LEVELS),
    "art4_trigger": partial(_choice, ART4_CODES),
    "radiation_event": _true,
    "treat_as_major_for_reporting": _true,
    "initial_report_deadline_minutes": _deadline,
    "immediate_report_grace_minutes": _minutes,
    "first_targets_minutes": _first_targets,
    "publication_deadline_minutes": _minutes,
    "press_conference_deadline_minutes": _minutes,
    "report_to": _recipients,
    "onward_reports": _onward,
    "notify_adjacent_regions": _true,
    "response_level": partial(_choice, LEVELS),
    "response_lead": partial(_choice, RESPONSE_LEADS),
    "investigation": _investigation,
    "dispatch_city_work_group": _true,
    "leader_on_scene": _true,
}
