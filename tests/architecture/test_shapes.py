"""The shape of a task is declared once (``engine.runtime.views.TaskView``): the task table, the rows the engine
writes into it, and the API's task schema all follow it."""

from __future__ import annotations

import dataclasses

from api.schemas import TaskSchema
from engine.actors import SYSTEM
from engine.bpmn import effects
from engine.runtime import commands
from engine.runtime.views import TaskView
from engine.services import build_services
from engine.store import tables
from tests.conftest import FIXTURES

VIEW_FIELDS = [f.name for f in dataclasses.fields(TaskView)]


def test_the_task_table_holds_exactly_the_view_without_what_is_computed_at_read_time():
    assert set(tables.tasks.c.keys()) == set(VIEW_FIELDS) - {"overdue"}


def test_the_api_schema_has_one_field_per_view_field():
    assert list(TaskSchema._declared_fields) == VIEW_FIELDS


def test_the_rows_a_command_writes_are_the_view_fields(sqlite_url, monkeypatch):
    """Run a diagram to its first user task and look at the row the engine computed for the projection."""
    services = build_services(sqlite_url)
    services.definitions.deploy((FIXTURES / "triage.bpmn").read_bytes(), "test")
    seen: list[dict[str, object]] = []
    original = effects.task_changes

    def spy(*args, **kwargs):
        changes = original(*args, **kwargs)
        seen.extend(changes.new_rows)
        return changes

    monkeypatch.setattr(commands, "task_changes", spy)
    try:
        services.instances.start("triage", "INC-SHAPE-1", {}, SYSTEM)
    finally:
        services.close()
    assert seen and all(set(row) == set(VIEW_FIELDS) - {"overdue"} for row in seen)
