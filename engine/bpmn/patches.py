"""The corrections emflow makes to SpiffWorkflow 3.2's behaviour, applied once by ``install()``.

Nothing is patched as a side effect of importing a module: the service factory (``engine.services.build_services``)
calls ``install()``, and so does every other entry point that runs workflows (the BPMN boundary's ``workflow``
module calls it before creating or restoring one). ``install()`` is idempotent and thread-safe. ``PATCHES`` lists
each correction with the SpiffWorkflow behaviour it corrects and the test that proves it; SpiffWorkflow is pinned
(setup.cfg) because these reach into its internals.
"""

from __future__ import annotations

import threading
import time as _time
from copy import deepcopy
from dataclasses import dataclass
from typing import Any
from uuid import uuid4 as _uuid4

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module
import SpiffWorkflow.task as _task_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskIterator

from engine import command_context


@dataclass(frozen=True)
class Patch:
    name: str
    corrects: str
    proven_by: str


PATCHES = (
    Patch(
        "iterator_depth",
        "TaskIterator and BpmnTaskIterator stop 1,000 levels deep (max_depth=1000), so a loop's later tasks "
        "silently vanish from every query and are never run",
        "tests/engine/test_long_loops.py::test_the_iterator_depth_limit_is_lifted, "
        "::test_five_thousand_iterations_through_the_api",
    ),
    Patch(
        "timer_clock",
        "the timer module reads the wall clock (datetime.now), so timers cannot be tested with a fixed clock and a "
        "catch-up after downtime would evaluate every overdue timer at the same 'now' instead of its own due time",
        "tests/engine/test_timers.py::test_catch_up_after_an_outage_fires_in_due_order, "
        "::test_late_report_goes_to_the_leader_and_history_shows_the_miss",
    ),
    Patch(
        "deterministic_ids_and_times",
        "tasks get random uuid4 ids and wall-clock last_state_change times, so re-executing a history cannot "
        "recreate the same task ids or snapshot",
        "tests/audit/test_replay.py::test_replay_to_every_event_matches_the_state_captured_live, "
        "tests/audit/test_golden_histories.py",
    ),
    Patch(
        "timer_without_date",
        "a timeDate expression that evaluates to None fails deep in SpiffWorkflow (NoneType has no attribute "
        "'upper'); emflow reads None as 'no date': the timer never fires, so a deadline a decision may or may not "
        "set (a first's target minutes, D21) is one boundary timer with a computed date",
        "tests/engine/test_timer_without_date.py",
    ),
    Patch(
        "deep_merge_without_sharing",
        "DeepMerge.merge copies shallowly, so tasks share nested dicts and lists and a parallel join's stale branch "
        "rewrote the nested fields of a raised escalation decision in place",
        "tests/scenarios/test_five_firsts_scenarios.py::"
        "test_raised_decision_reaches_the_investigation_intact_when_the_emergency_is_ended_last",
    ),
)
"""Every correction ``install()`` applies, in order."""

_lock = threading.Lock()
_installed = False
_RealDatetime = _timer_module.datetime
_shallow_merge = DeepMerge.merge
_time_date_has_fired = TimeDateEventDefinition.has_fired


def install() -> None:
    """Apply every patch in ``PATCHES`` once; later calls do nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        _lift_iterator_depth_limit()
        _timer_module.datetime = _CommandClockDatetime
        TimeDateEventDefinition.has_fired = _has_fired_unless_without_date
        _task_module.uuid4 = _command_uuid4
        _task_module.time = _CommandTime
        DeepMerge.merge = staticmethod(_merge_without_sharing)
        _installed = True


def installed() -> bool:
    return _installed


# ------------------------------------------------------------------------------------------- iterator depth
def _lift_iterator_depth_limit(max_depth: int = 10**9) -> None:
    for cls in (TaskIterator, BpmnTaskIterator):
        defaults = list(cls.__init__.__defaults__ or ())
        if len(defaults) > 1 and defaults[1] != max_depth:
            defaults[1] = max_depth
            cls.__init__.__defaults__ = tuple(defaults)


# ---------------------------------------------------------------------------------------------- timer clock
class _CommandClockDatetime(_RealDatetime):  # type: ignore[misc, valid-type]  # subclass of a module attribute
    """``datetime`` as SpiffWorkflow's timer module sees it: the running command's timer clock."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        ctx = command_context.current()
        if ctx is None:
            return _RealDatetime.now(tz)
        moment = ctx.timer_now or ctx.now
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


def _has_fired_unless_without_date(self: TimeDateEventDefinition, my_task: Any) -> bool:
    """A timeDate that evaluates to None has no date and never fires (see PATCHES: timer_without_date); any other
    value is stored and compared as SpiffWorkflow does. The expression is evaluated again at each check until it
    gives a date, which it never does for the same task data."""
    if my_task._get_internal_data("event_value") is None:
        value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        if value is None:
            return False
        my_task._set_internal_data(event_value=value)
    return bool(_time_date_has_fired(self, my_task))


# ----------------------------------------------------------------------------------- ids and task times
def _command_uuid4() -> Any:
    ctx = command_context.current()
    return ctx.next_uuid() if ctx is not None else _uuid4()


class _CommandTime:
    """``time`` as SpiffWorkflow.task sees it (only ``time()`` is used, for ``last_state_change``)."""

    @staticmethod
    def time() -> float:
        ctx = command_context.current()
        return ctx.now.timestamp() if ctx is not None else _time.time()


# ------------------------------------------------------------------------------------------- data merging
def _merge_without_sharing(a: dict[str, Any], b: dict[str, Any], path: list[str] | None = None) -> dict[str, Any]:
    """Merging a deep copy keeps every task's data its own (see PATCHES: deep_merge_without_sharing)."""
    return _shallow_merge(a, deepcopy(b), path)  # type: ignore[no-any-return]  # SpiffWorkflow is untyped
