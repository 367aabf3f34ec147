"""Everything that reaches into SpiffWorkflow 3.2 internals lives here, pinned by tests.

* Snapshots leave the process spec out: specs are immutable, stored once per definition version and cached, so
  each command only serializes the task tree (the spec is ~70% of SpiffWorkflow's own serialized form).
* The task iterator's ``max_depth=1000`` default makes long loops vanish (ARCHITECTURE.md); it is lifted once.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskIterator

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
