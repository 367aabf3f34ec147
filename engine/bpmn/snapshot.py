"""The stored form of a workflow's live state: compact JSON without the spec, carrying its format version.

Specs are immutable, stored once per definition version and cached, so each command serializes only the task tree
(the spec is ~70% of SpiffWorkflow's own serialized form). Like SpiffWorkflow's serializer, a snapshot names its
format and ``load_workflow`` migrates older formats step by step (``MIGRATIONS``) before restoring it; a format newer
than this code, or one without a migration path, is refused rather than guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

SNAPSHOT_FORMAT = 1
"""The format ``dump_workflow`` writes. Raise it together with an entry in ``MIGRATIONS`` when the stored form
changes; stored snapshots and the golden histories under ``tests/golden/`` keep loading."""

MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""``MIGRATIONS[n]`` turns a format-``n`` snapshot (a dict) into a format-``n + 1`` one. Empty while format 1 is the
only one ever written."""


class SnapshotFormatError(ValueError):
    """A snapshot this code cannot read: a newer format, or an older one without a migration path."""


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; restores it onto the cached spec the caller provides."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
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
    """The live state of a workflow as compact JSON (no spec), in the current format."""
    dct = _REGISTRY.convert(workflow)
    dct["format"] = SNAPSHOT_FORMAT
    return json.dumps(dct, separators=(",", ":"), ensure_ascii=False)


def migrate(dct: dict[str, Any]) -> dict[str, Any]:
    """A snapshot dict of any known format brought to ``SNAPSHOT_FORMAT`` (the ``format`` key removed)."""
    version = dct.pop("format", None)
    if not isinstance(version, int) or version > SNAPSHOT_FORMAT:
        raise SnapshotFormatError(f"unknown snapshot format {version!r} (this code writes {SNAPSHOT_FORMAT})")
    while version < SNAPSHOT_FORMAT:
        step = MIGRATIONS.get(version)
        if step is None:
            raise SnapshotFormatError(f"no migration from snapshot format {version} to {version + 1}")
        dct = step(dct)
        version += 1
    return dct


def load_workflow(
    snapshot: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec], script_engine: Any
) -> BpmnWorkflow:
    """Restore a workflow from its snapshot onto the cached spec of its definition version."""
    dct = migrate(json.loads(snapshot))
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    workflow = _REGISTRY.restore(dct)
    workflow.script_engine = script_engine
    return workflow


def to_plain(value: Any) -> Any:
    """Task data converted the way the serializer stores it (datetimes etc. become tagged dicts)."""
    return _REGISTRY.convert(value)
