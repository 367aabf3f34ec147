"""The layers are enforced: the project's own tree obeys the import rules, and the checker catches each kind of
forbidden import when one is planted in a copy of a tree (the test of the test)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.architecture.layers import check

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_project_obeys_the_layer_rules():
    violations = check(ROOT)
    assert not violations, "\n".join(map(str, violations))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    base = {
        "engine/__init__.py": "",
        "engine/errors.py": "class EmflowError(Exception): ...\n",
        "engine/bpmn/__init__.py": "",
        "engine/bpmn/workflow.py": "from SpiffWorkflow.bpmn import workflow\nfrom engine.errors import EmflowError\n",
        "engine/store/__init__.py": "",
        "engine/store/db.py": "import sqlalchemy\n",
        "engine/runtime/__init__.py": "",
        "engine/runtime/instances.py": "from engine.bpmn import workflow\nfrom engine.store.db import sqlalchemy\n",
        "rules/__init__.py": "",
        "rules/decision.py": "import json\n",
        "api/__init__.py": "from flask import Flask\nfrom engine.runtime import instances\n",
    }
    for name, text in {**base, **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def test_a_clean_tree_passes(tmp_path):
    assert check(_tree(tmp_path, {})) == []


@pytest.mark.parametrize(
    ("path", "text", "rule"),
    [
        ("engine/runtime/commands.py", "from SpiffWorkflow.util.task import TaskState\n", "only engine/bpmn/"),
        ("engine/runtime/lazy.py", "def f():\n    import SpiffWorkflow\n", "only engine/bpmn/"),
        ("api/views.py", "import SpiffWorkflow.bpmn\n", "only engine/bpmn/"),
        ("engine/runtime/web.py", "from flask import g\n", "engine/ imports no web framework"),
        ("rules/web.py", "import werkzeug\n", "rules/ imports no web framework"),
        ("rules/uses_engine.py", "from engine.errors import EmflowError\n", "rules/ imports neither engine nor api"),
        ("engine/uses_api.py", "import api\n", "engine/ does not import api"),
        (
            "engine/store/up.py",
            "from engine.runtime import instances\n",
            "layer 'store' may not import layer 'runtime'",
        ),
        ("engine/bpmn/side.py", "from engine.store import db\n", "layer 'bpmn' may not import layer 'store'"),
        ("engine/errors2.py", "from engine.bpmn import workflow\n", "layer 'foundation' may not import layer 'bpmn'"),
    ],
)
def test_each_forbidden_import_is_caught(tmp_path, path, text, rule):
    violations = check(_tree(tmp_path, {path: text}))
    assert [v.path for v in violations] == [path], violations
    assert rule in violations[0].rule


def test_an_import_cycle_is_caught_even_under_type_checking(tmp_path):
    tree = _tree(
        tmp_path,
        {
            "engine/errors.py": "import typing\nif typing.TYPE_CHECKING:\n    from engine.events import E\n",
            "engine/events.py": "from engine.errors import EmflowError\n",
        },
    )
    violations = check(tree)
    assert [v.rule for v in violations] == ["import cycle"]
    assert "engine.errors" in violations[0].imported and "engine.events" in violations[0].imported
