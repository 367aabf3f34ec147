"""Engine services that diagrams call from service tasks (``camunda:topic``) and functions their expressions may
call. Each writes its result into the task's data and records what it decided in the command's history.

* ``escalation.evaluate`` — the rules layer decides level, reporting deadline and recipients from the incident
  facts in the data; stores the decision as ``escalation`` and the due time as ``initial_report_due_at``.
* ``escalation.reevaluate`` — later facts (续报): a stricter decision replaces the old one and re-opens reporting
  (``level_change = "raised"``, ``rereport_due_at``); a laxer one is never applied silently (docs/DECISIONS.md,
  D11): it waits in ``escalation_pending`` (``level_change = "lowered_pending"``) for a person to confirm.
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
    """A radiation event has no minutes: it is reported immediately (RAD Art.42), i.e. due at once."""
    return calendar_cn.add_minutes(start, minutes or 0)


def evaluate_escalation(task: Any, properties: Mapping[str, str]) -> None:
    ctx = _ctx()
    facts = incident_facts(task.data)
    decision = _decide(task, facts)
    discovered_at = task.data.get("discovered_at") or ctx.now.isoformat()
    task.data["escalation"] = decision
    task.data["initial_report_due_at"] = _due(discovered_at, decision.get("initial_report_deadline_minutes"))
    ctx.events.append(
        PendingEvent(
            "escalation_evaluated", {"facts": facts, "decision": decision}, task.task_spec.bpmn_id, str(task.id)
        )
    )


def _strictness(decision: Mapping[str, Any]) -> tuple[int, bool]:
    return _LEVEL_RANK.get(decision.get("level", "IV"), 0), bool(decision.get("treat_as_major_for_reporting"))


def reevaluate_escalation(task: Any, properties: Mapping[str, str]) -> None:
    ctx = _ctx()
    facts = incident_facts(task.data)
    new = _decide(task, facts)
    old = task.data.get("escalation") or {}
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
