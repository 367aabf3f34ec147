"""Everything that reaches into SpiffWorkflow 3.2 internals lives here, pinned by tests.

* Snapshots leave the process spec out: specs are immutable, stored once per definition version and cached, so
  each command only serializes the task tree (the spec is ~70% of SpiffWorkflow's own serialized form).
* The task iterator's ``max_depth=1000`` default makes long loops vanish (ARCHITECTURE.md); it is lifted once.
* SpiffWorkflow reads the wall clock in its timer module; it is pointed at the running command's clock so that
  tests move time, and catch-up after downtime fires timers at their own due times, in due order.
* ``serviceTask`` with ``camunda:topic`` calls an engine service (SpiffWorkflow's own ServiceTask does nothing
  and parks the task in STARTED).
"""

from __future__ import annotations

import json
import time as _time
from typing import Any
from uuid import UUID
from uuid import uuid4 as _uuid4

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _timer_module
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, CamundaTaskParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine import command_context

SNAPSHOT_FORMAT = 1


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; restores it onto the cached spec the caller provides."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec = dct.pop("spec")
        subprocess_specs = dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_registry() -> Any:
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    return BpmnWorkflowSerializer.configure(config)


_REGISTRY = _make_registry()


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """The live state of a workflow as compact JSON (no spec)."""
    dct = _REGISTRY.convert(workflow)
    dct["format"] = SNAPSHOT_FORMAT
    return json.dumps(dct, separators=(",", ":"), ensure_ascii=False)


def load_workflow(
    snapshot: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec], script_engine: Any
) -> BpmnWorkflow:
    dct = json.loads(snapshot)
    if dct.pop("format", None) != SNAPSHOT_FORMAT:
        raise ValueError("unknown snapshot format")
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    workflow = _REGISTRY.restore(dct)
    workflow.script_engine = script_engine
    return workflow


def to_plain(value: Any) -> Any:
    """Task data converted the way the serializer stores it (datetimes etc. become tagged dicts)."""
    return _REGISTRY.convert(value)


def lift_iterator_depth_limit(max_depth: int = 10**9) -> None:
    """SpiffWorkflow 3.2 stops iterating task trees 1,000 levels deep, which silently loses loop tasks."""
    for cls in (TaskIterator, BpmnTaskIterator):
        defaults = list(cls.__init__.__defaults__ or ())
        if len(defaults) > 1 and defaults[1] != max_depth:
            defaults[1] = max_depth
            cls.__init__.__defaults__ = tuple(defaults)


lift_iterator_depth_limit()


# ------------------------------------------------------------------------------------------------------ clock
_RealDatetime = _timer_module.datetime


class _CommandClockDatetime(_RealDatetime):  # type: ignore[misc, valid-type]
    """``datetime`` as SpiffWorkflow's timer module sees it: the running command's timer clock."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:
        ctx = command_context.current()
        if ctx is None:
            return _RealDatetime.now(tz)
        moment = ctx.timer_now or ctx.now
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


_timer_module.datetime = _CommandClockDatetime


def timer_due(task: Any) -> Any:
    """When a WAITING timer task fires, from what SpiffWorkflow stored when it first evaluated the timer."""
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
        CycleTimerEventDefinition,
        TimerEventDefinition,
    )

    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return None
    value = task.internal_data.get("event_value")
    if value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        return TimerEventDefinition.get_datetime(value["next"])
    parsed = TimerEventDefinition.parse_time_or_duration(value)
    return parsed if hasattr(parsed, "tzinfo") else None


# --------------------------------------------------------------------------------------- ids and task times
import SpiffWorkflow.task as _task_module  # noqa: E402 - patched below, with the timer clock above


def _command_uuid4() -> Any:
    ctx = command_context.current()
    return ctx.next_uuid() if ctx is not None else _uuid4()


class _CommandTime:
    """``time`` as SpiffWorkflow.task sees it (only ``time()`` is used, for ``last_state_change``)."""

    @staticmethod
    def time() -> float:
        ctx = command_context.current()
        return ctx.now.timestamp() if ctx is not None else _time.time()


_task_module.uuid4 = _command_uuid4
_task_module.time = _CommandTime


# ------------------------------------------------------------------------------------------------ service tasks
class EngineServiceTask(ServiceTask):
    """A service task that calls the engine service named by its ``camunda:topic``."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str | None = None, **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic

    def _run_hook(self, task: Any) -> bool:
        task.workflow.script_engine.call_service(
            task, topic=self.topic, properties=dict(getattr(self, "extensions", {}) or {})
        )
        return True


class _ServiceTaskParser(CamundaTaskParser):
    def create_task(self) -> EngineServiceTask:
        topic = self.node.get(f"{{{CAMUNDA_MODEL_NS}}}topic")
        return self.spec_class(self.spec, self.bpmn_id, topic=topic, **self.bpmn_attributes)


class EmflowParser(CamundaParser):
    """CamundaParser whose service tasks call engine services."""

    OVERRIDE_PARSER_CLASSES = {  # noqa: RUF012 - SpiffWorkflow reads this class attribute
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (_ServiceTaskParser, EngineServiceTask),
    }


class EmflowScriptEngine(PythonScriptEngine):
    """The sandboxed script engine plus the engine services service tasks call by topic."""

    def __init__(self, environment: Any, services: dict[str, Any], rulesets: Any = None):
        super().__init__(environment=environment)
        self.services = services
        self.rulesets = rulesets  # engine.runtime.rulesets.RulesetService: the rules in force

    def call_service(
        self, task: Any, topic: str | None = None, properties: dict[str, str] | None = None, **_: Any
    ) -> None:
        from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

        handler = self.services.get(topic or "")
        if handler is None:
            raise WorkflowTaskException(f"no engine service for topic {topic!r}", task=task)
        try:
            handler(task, properties or {})
        except WorkflowTaskException:
            raise
        except Exception as exc:  # a failing service fails its task, with the element named
            from engine.errors import EmflowError

            if isinstance(exc, EmflowError):
                raise
            raise WorkflowTaskException(f"service {topic} failed: {exc}", task=task, exception=exc) from exc


# ----------------------------------------------------------------------------------------------- data merging
from copy import deepcopy  # noqa: E402

from SpiffWorkflow.util.deep_merge import DeepMerge  # noqa: E402

_shallow_merge = DeepMerge.merge


def _merge_without_sharing(a: dict[str, Any], b: dict[str, Any], path: list[str] | None = None) -> dict[str, Any]:
    """SpiffWorkflow merges data (a task inheriting its parent's, a join gathering its branches) with shallow
    copies, so tasks share nested dicts and lists: a later merge or script then changes another task's data in
    place — at a parallel join a branch's stale copy of a decision rewrote the fields of the current one.
    Merging a deep copy keeps every task's data its own."""
    return _shallow_merge(a, deepcopy(b), path)


DeepMerge.merge = staticmethod(_merge_without_sharing)


# --------------------------------------------------------------------------------------------- live snapshot
PRUNE_THRESHOLD = 0  # prune on every command: the snapshot always holds live state only


def prune_finished(workflow: BpmnWorkflow, threshold: int = PRUNE_THRESHOLD) -> int:
    """Drop the finished tasks that can no longer influence the run; returns how many were dropped.

    SpiffWorkflow keeps every task it ever created, so a loop makes the tree — and every command's cost — grow
    without bound, also inside one branch of a parallel region (hourly follow-up reports while the other four
    "firsts" wait at the join). What the engine still reads of finished tasks is kept:

    * the parent of every unfinished task (a task inherits its parent's data when it becomes ready; a join's
      parent tells which incoming flow arrived);
    * every ``…Split`` ancestor of an unfinished task (boundary-event and start-event joins look for them);
    * while a parallel/inclusive join still waits, its finished instances that are not ancestors of unfinished
      tasks, with their parents (branches that already arrived, and the data they bring). Once the join has
      fired they are dropped: SpiffWorkflow would otherwise count a previous loop round's arrivals again and
      fire the join of the next round early (seen in plan_revision's review-and-drill loop);
    * the root.

    Every other finished task is spliced out: kept tasks hang from their nearest kept ancestor, in tree order.
    The history table already holds what the dropped tasks did.
    """
    from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin

    tasks = workflow.tasks
    if len(tasks) < threshold:
        return 0
    root = workflow.task_tree
    keep = {root.id}
    seen: set[Any] = set()
    for task in tasks.values():
        if task.state & TaskState.FINISHED_MASK:
            continue
        keep.add(task.id)
        node, is_parent = task.parent, True
        while node is not None:
            if is_parent:
                keep.add(node.id)
                is_parent = False
            if node.id in seen:
                break
            seen.add(node.id)
            if type(node.task_spec).__name__.endswith("Split"):
                keep.add(node.id)
            node = node.parent
    joining = {
        t.task_spec
        for t in tasks.values()
        if isinstance(t.task_spec, UnstructuredJoin) and t.state == TaskState.WAITING
    }
    for task in tasks.values():
        if task.task_spec in joining and task.state & TaskState.FINISHED_MASK and task.id not in seen:
            keep.add(task.id)
            if task.parent is not None:
                keep.add(task.parent.id)
    if len(keep) == len(tasks):
        return 0
    kept_children: dict[Any, list[Any]] = {tid: [] for tid in keep}
    new_parent: dict[Any, Any] = {}
    stack: list[tuple[Any, Any]] = [(root, None)]
    while stack:  # preorder, so children keep their order
        node, kept_ancestor = stack.pop()
        if node.id in keep:
            if kept_ancestor is not None:
                kept_children[kept_ancestor].append(node.id)
                new_parent[node.id] = kept_ancestor
            kept_ancestor = node.id
        stack.extend((child, kept_ancestor) for child in reversed(node.children))
    for tid in keep:
        task = tasks[tid]
        task._children = kept_children[tid]
        if tid != root.id:
            task._parent = new_parent[tid]
    dropped = len(tasks) - len(keep)
    workflow.tasks = {tid: task for tid, task in tasks.items() if tid in keep}
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = None
    return dropped
