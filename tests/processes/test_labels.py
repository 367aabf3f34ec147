"""One label, one thing: what a responder reads on a form or a diagram never names two different things.

Two fields of one procedure with the same label (评估结论 for both the retrospective assessment's verdict and the
risk assessment's summary) make a person, an auditor reading a history or a report built from the data confuse
them; two steps with the same name (已督促 for two different overdue follow-ups) make a timeline ambiguous.
"""

from __future__ import annotations

from collections import defaultdict

from tests.processes.test_diagrams import diagrams, load


@diagrams
def test_a_label_names_one_field_of_a_procedure(key: str) -> None:
    d = load(key)
    fields_of: dict[str, set[str]] = defaultdict(set)
    for task in d.of_kind("userTask"):
        for field_id, form_field in d.form(task.get("id")).items():
            fields_of[form_field.get("label")].add(field_id)
    assert {label: ids for label, ids in fields_of.items() if len(ids) > 1} == {}


@diagrams
def test_a_name_names_one_step_of_a_procedure(key: str) -> None:
    d = load(key)
    steps_of: dict[str, set[str]] = defaultdict(set)
    for element_id, node in d.nodes.items():
        if node.get("name"):
            steps_of[node.get("name")].add(element_id)
    assert {name: ids for name, ids in steps_of.items() if len(ids) > 1} == {}
