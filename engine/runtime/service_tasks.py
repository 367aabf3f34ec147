"""Engine services that diagrams call from service tasks (``camunda:topic``) and functions their expressions may
call. Each writes its result into the task's data and records what it decided in the command's history.

* ``escalation.evaluate`` — the rules layer decides level, reporting deadline and recipients from the incident
  facts in the data; stores the decision as ``escalation`` and the due time as ``initial_report_due_at``. Under
  engine semantics 3 (``engine.runtime.commands.SEMANTICS``) it also records when the incident was recorded
  (``incident_recorded_at``), whether the report is immediate (``initial_report_immediate``: due the grace after
  recording, never "already overdue", docs/DECISIONS.md D17) and the due times of the five firsts' targets
  (``firsts_due_at``, D21) and of the press conference (``press_conference_due_at``, D22).
* ``escalation.reevaluate`` — later facts (续报): a stricter decision replaces the old one and re-opens reporting
  (``level_change = "raised"``, ``rereport_due_at``); a laxer one is never applied silently (docs/DECISIONS.md,
  D11): it waits in ``escalation_pending`` (``level_change = "lowered_pending"``) for a person to confirm. Under
  semantics 3 whole decisions are compared, not levels: ``decision_changes`` names every output that differs,
  stricter reporting at the same level (deadline, recipients, the 2-hour procedure) is ``"raised"``, and a
  decision that changes only what the response needs (work group, leader on scene, neighbours …) is
  ``"changed"`` — the diagram then arranges what is newly required.
* ``process.start`` — start another definition for the same business key, in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from engine import calendar_cn, command_context
from engine.command_context import LinkRequest
from engine.errors import DataInvalid, EmflowError
from engine.events import PendingEvent, json_safe
from rules.facts import OPTIONAL_FACT_SPECS

FACT_DEFAULTS: dict[str, Any] = {
    "deaths": 0,
    "injured_or_poisoned": 0,
    "evacuated": 0,
    "direct_loss_yuan": 0,
    "water_source_interruption": "none",
    "radioactive_source_class": None,
    "radiation_wide_severe_contamination": False,
    "ecological_damage": "none",
    "cross_boundary": "none",
    "heavy_metal": False,
    "affects_drinking_water_source": False,
    "sensitive_receptors": [],
    "mass_incident": False,
    "sensitive_period": False,
    "reporting_authority": "county",
}
_LEVEL_RANK = {"IV": 0, "III": 1, "II": 2, "I": 3}
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")


def incident_facts(data: Mapping[str, Any]) -> dict[str, Any]:
    """The incident facts (docs/ESCALATION.md, §Facts) from task data; a first report rarely knows everything, so
    missing facts take defaults (nothing happened, county reporter) and are re-evaluated when follow-up reports
    bring them."""
    facts = {name: data.get(name, default) for name, default in FACT_DEFAULTS.items()}
    # The optional facts (D18-D20) only when the data has them: facts recorded before they existed stay as they
    # were, so their histories replay against the same facts.
    facts.update({spec.name: data[spec.name] for spec in OPTIONAL_FACT_SPECS if spec.name in data})
    if facts["radioactive_source_class"] in ("", "none"):
        facts["radioactive_source_class"] = None
    receptors = facts["sensitive_receptors"]
    if isinstance(receptors, str):
        facts["sensitive_receptors"] = [r for r in _LIST_SEPARATORS.split(receptors) if r]
    return facts


def _decide(task: Any, facts: dict[str, Any]) -> dict[str, Any]:
    recorded = _ctx().decisions
    if recorded is not None:  # replay: the decision history recorded, made by the ruleset version of its time
        return recorded(facts)
    rulesets = getattr(task.workflow.script_engine, "rulesets", None)
    if rulesets is not None:  # the versions deployed in the database
        decision: dict[str, Any] = rulesets.decide(facts)
        return decision
    import rules

    try:
        return rules.decide(facts).to_dict()
    except rules.FactsInvalid as exc:
        raise DataInvalid(
            {e["field"]: e["message"] for e in exc.errors}, f"the incident facts cannot be graded: {exc}"
        ) from None


def _ctx() -> command_context.CommandContext:
    ctx = command_context.current()
    if ctx is None:
        raise EmflowError("engine services run only inside a command")
    return ctx


def _due(start: str, minutes: int | None) -> str:
    """Semantics 1 and 2: a radiation event has no minutes and was due at once — so it was overdue the moment it
    was recorded (corrected by semantics 3, ``_report_due``)."""
    return calendar_cn.add_minutes(start, minutes or 0)


DEFAULT_IMMEDIATE_GRACE_MINUTES = 60
"""D17's baseline grace for an immediate report, for decisions of rulesets that predate the grace output."""
CORRECTED_SEMANTICS = 3
"""The engine semantics from which these services behave as D17, D21 and D22 say (see the module docstring)."""


def is_immediate(decision: Mapping[str, Any]) -> bool:
    """An immediate report (立即报告, RAD Art.42): the decision says so, or (rulesets before D17) has no minutes."""
    return bool(decision.get("immediate_report", decision.get("initial_report_deadline_minutes") is None))


def _report_due(discovered_at: str, recorded_at: str, decision: Mapping[str, Any]) -> str:
    """When the report is due: ``discovered_at`` plus the deadline (D4), and for an immediate report the grace
    after the incident was recorded (D17) — the earlier of the two when a decision has both. "Immediately" is
    never "already overdue"; a deadline of its own that passed before recording still is."""
    minutes = decision.get("initial_report_deadline_minutes")
    dues = [] if minutes is None else [calendar_cn.add_minutes(discovered_at, minutes)]
    if is_immediate(decision) or not dues:
        grace = decision.get("immediate_report_grace_minutes")
        dues.append(calendar_cn.add_minutes(recorded_at, DEFAULT_IMMEDIATE_GRACE_MINUTES if grace is None else grace))
    return min(dues, key=calendar_cn.parse_instant)


def firsts_due(recorded_at: str, decision: Mapping[str, Any]) -> dict[str, str]:
    """The due time of each first with a target (D21: ``first_targets_minutes``, counted from the recording);
    publication's is the stricter of its target and the decision's ``publication_deadline_minutes`` (D22)."""
    targets = {
        key: minutes for key, minutes in (decision.get("first_targets_minutes") or {}).items() if minutes is not None
    }
    publication = decision.get("publication_deadline_minutes")
    if publication is not None:
        targets["publication"] = min(targets.get("publication", publication), publication)
    return {key: calendar_cn.add_minutes(recorded_at, minutes) for key, minutes in sorted(targets.items())}


def _due_after(recorded_at: str, minutes: int | None) -> str | None:
    return None if minutes is None else calendar_cn.add_minutes(recorded_at, minutes)


def evaluate_escalation(task: Any, properties: Mapping[str, str]) -> None:
    ctx = _ctx()
    facts = incident_facts(task.data)
    decision = _decide(task, facts)
    discovered_at = task.data.get("discovered_at") or ctx.now.isoformat()
    task.data["escalation"] = decision
    if ctx.semantics >= CORRECTED_SEMANTICS:
        recorded_at = ctx.now.isoformat()
        task.data["incident_recorded_at"] = recorded_at
        task.data["initial_report_immediate"] = is_immediate(decision)
        task.data["initial_report_due_at"] = _report_due(discovered_at, recorded_at, decision)
        task.data["firsts_due_at"] = firsts_due(recorded_at, decision)
        task.data["press_conference_due_at"] = _due_after(
            recorded_at, decision.get("press_conference_deadline_minutes")
        )
    else:
        task.data["initial_report_due_at"] = _due(discovered_at, decision.get("initial_report_deadline_minutes"))
    ctx.events.append(
        PendingEvent(
            "escalation_evaluated", {"facts": facts, "decision": decision}, task.task_spec.bpmn_id, str(task.id)
        )
    )


def _strictness(decision: Mapping[str, Any]) -> tuple[int, bool]:
    return _LEVEL_RANK.get(decision.get("level", "IV"), 0), bool(decision.get("treat_as_major_for_reporting"))


_NOT_COMPARED = frozenset({"reasons", "reasons_zh", "deadline_rule", "ruleset"})
"""Outputs that explain or cite a decision rather than require anything (whole decisions are compared without)."""


def decision_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The outputs in which two decisions differ, by name (what a follow-up report changed)."""
    return sorted(k for k in set(old) | set(new) if k not in _NOT_COMPARED and old.get(k) != new.get(k))


def _deadline_rank(decision: Mapping[str, Any]) -> float:
    """Smaller is stricter: an immediate report, then the fewest minutes."""
    minutes = decision.get("initial_report_deadline_minutes")
    return -1.0 if is_immediate(decision) or minutes is None else float(minutes)


def _reporting_direction(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[bool, bool]:
    """Whether the new decision asks more of reporting than the old (the 2-hour procedure, a shorter deadline,
    a recipient or onward report the old did not have) and whether it asks less."""
    stricter = laxer = False
    major_old, major_new = bool(old.get("treat_as_major_for_reporting")), bool(new.get("treat_as_major_for_reporting"))
    stricter |= major_new and not major_old
    laxer |= major_old and not major_new
    stricter |= _deadline_rank(new) < _deadline_rank(old)
    laxer |= _deadline_rank(new) > _deadline_rank(old)
    for key in ("report_to", "onward_reports"):
        before = [json_safe(v) for v in old.get(key) or []]
        after = [json_safe(v) for v in new.get(key) or []]
        stricter |= any(v not in before for v in after)
        laxer |= any(v not in after for v in before)
    return stricter, laxer


def compare_decisions(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, list[str]]:
    """Semantics 3: ``(level_change, decision_changes)``. A higher level, or stricter reporting at the same level,
    re-opens reporting (``raised``); a lower level or laxer reporting waits for confirmation (``lowered_pending``,
    D11; stricter wins when a decision is both); any other difference is ``changed``."""
    changes = decision_changes(old, new)
    rank_old = _LEVEL_RANK.get(old.get("level", "IV"), 0)
    rank_new = _LEVEL_RANK.get(new.get("level", "IV"), 0)
    if rank_new != rank_old:
        return ("raised" if rank_new > rank_old else "lowered_pending"), changes
    stricter, laxer = _reporting_direction(old, new)
    if stricter:
        return "raised", changes
    if laxer:
        return "lowered_pending", changes
    return ("changed" if changes else "unchanged"), changes


def reevaluate_escalation(task: Any, properties: Mapping[str, str]) -> None:
    ctx = _ctx()
    facts = incident_facts(task.data)
    new = _decide(task, facts)
    old = task.data.get("escalation") or {}
    if ctx.semantics >= CORRECTED_SEMANTICS:
        _reevaluate_whole_decision(task, ctx, facts, old, new)
        return
    before, after = _strictness(old), _strictness(new)
    if after > before and (after[0] > before[0] or after[1] > before[1]):
        change = "raised"
        task.data["escalation"] = new
        task.data["rereport_due_at"] = _due(ctx.now.isoformat(), new.get("initial_report_deadline_minutes"))
        task.data.pop("escalation_pending", None)
    elif after[0] < before[0] or (after[0] == before[0] and after[1] < before[1]):
        change = "lowered_pending"
        task.data["escalation_pending"] = new
    else:
        change = "unchanged"
        task.data["escalation"] = new
    task.data["level_change"] = change
    ctx.events.append(
        PendingEvent(
            "escalation_reevaluated",
            {"facts": facts, "old": old, "new": new, "level_change": change},
            task.task_spec.bpmn_id,
            str(task.id),
        )
    )


def _reevaluate_whole_decision(
    task: Any, ctx: command_context.CommandContext, facts: dict[str, Any], old: dict[str, Any], new: dict[str, Any]
) -> None:
    change, changes = compare_decisions(old, new)
    if change == "raised":
        task.data["escalation"] = new
        now = ctx.now.isoformat()
        task.data["rereport_due_at"] = _report_due(now, now, new)
        task.data.pop("escalation_pending", None)
    elif change == "lowered_pending":
        task.data["escalation_pending"] = new
    else:
        task.data["escalation"] = new
    task.data["level_change"] = change
    task.data["decision_changes"] = changes
    ctx.events.append(
        PendingEvent(
            "escalation_reevaluated",
            {"facts": facts, "old": old, "new": new, "level_change": change, "changes": changes},
            task.task_spec.bpmn_id,
            str(task.id),
        )
    )


def start_linked_process(task: Any, properties: Mapping[str, str]) -> None:
    ctx = _ctx()
    key = properties.get("definition_key")
    if not key:
        raise EmflowError(f"service task {task.task_spec.bpmn_id} needs a camunda:property definition_key")
    names = [n.strip() for n in properties.get("variables", "").split(",") if n.strip()]
    data = {n: task.data[n] for n in names if n in task.data}
    ctx.links.append(LinkRequest(key, properties.get("link_kind"), json_safe(data), task.task_spec.bpmn_id))


SERVICES: dict[str, Callable[[Any, Mapping[str, str]], None]] = {
    "escalation.evaluate": evaluate_escalation,
    "escalation.reevaluate": reevaluate_escalation,
    "process.start": start_linked_process,
}


def now_iso() -> str:
    """The command's time (recorded in history, so replay sees the same value)."""
    return _ctx().now.isoformat()


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "add_minutes": calendar_cn.add_minutes,
    "add_days": calendar_cn.add_days,
    "add_working_days": calendar_cn.add_working_days,
    "minutes_between": calendar_cn.minutes_between,
    "now_iso": now_iso,
}
