"""The sandbox: what diagram code may do, what it may not, and that refusals hold at run time too."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from engine.bpmn.script_engine import SandboxedEnvironment, make_script_engine
from engine.sandbox import ALLOWED_FUNCTIONS, ForbiddenExpression, check_expression

FIXTURES = Path(__file__).parent / "fixtures"

DATA: dict[str, Any] = {
    "level": "II",
    "severity": 4,
    "escalation": {"level": "I", "notified": ["leader"]},
    "sensitive_receptors": ["水源地", "school"],
    "concentration": 12.5,
    "name": "  Yangtze ",
}


@pytest.fixture
def env() -> SandboxedEnvironment:
    environment = make_script_engine().environment
    assert isinstance(environment, SandboxedEnvironment)
    return environment


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("severity * 2 + 1 > 8", True),
        ("concentration / 5 >= 2.5 and not severity < 3", True),
        ("level in ('I', 'II')", True),
        ("escalation['level'] == 'I'", True),
        ("len(sensitive_receptors) > 0", True),
        ("'school' in sensitive_receptors", True),
        ("escalation.get('missing', 'none')", "none"),
        ("name.strip().lower()", "yangtze"),
        ("max(severity, 2) if level != 'I' else 0", 4),
        ("sorted(escalation['notified'] + ['office'])", ["leader", "office"]),
        ("sum(x * x for x in range(4))", 14),
        ("{k: v for k, v in escalation.items() if k == 'level'}", {"level": "I"}),
        ("f'{severity:>3}级'", "  4级"),
        ("'%s-%03d' % (level, severity)", "II-004"),
        ("round(concentration) ** 2", 144),
        ("isinstance(severity, int) and str(severity) == '4'", True),
        ("'undefined_var' in dir()", False),
        ("\n      severity >= 3\n    ", True),  # pretty-printed XML indents conditions
        ("escalation['notified'][0:1]", ["leader"]),
    ],
)
def test_legitimate_expressions_evaluate(env: SandboxedEnvironment, expression: str, expected: Any) -> None:
    check_expression(expression)
    assert env.evaluate(expression, dict(DATA)) == expected


def test_scripts_assign_into_task_data_and_leave_no_machinery_behind(env: SandboxedEnvironment) -> None:
    context: dict[str, Any] = {"count": 1, "notified": ["leader"], "by_level": {"I": 0}}
    env.execute(
        """
        count += 1
        for who in ['office', 'station']:
            notified += [who]
        by_level['I'] += 1
        summary = f"{count}:{','.join(notified)}"
        del who
        assert count == 2, 'count is wrong'
        """,
        context,
    )
    assert context == {
        "count": 2,
        "notified": ["leader", "office", "station"],
        "by_level": {"I": 1},
        "summary": "2:leader,office,station",
    }


def test_augmented_assignment_rebinds_the_list_a_loop_iterates(env: SandboxedEnvironment) -> None:
    context: dict[str, Any] = {"items": [1, 2]}
    env.execute("for x in items:\n    items += [x]", context)  # would never end if extended in place
    assert context["items"] == [1, 2, 1, 2]


@pytest.mark.parametrize(
    ("source", "mode", "fragment"),
    [
        ("__import__('os').system('id')", "eval", "__import__"),
        ("().__class__.__base__.__subclasses__()", "eval", "__class__"),
        ("[c for c in ().__class__.__bases__[0].__subclasses__()]", "eval", "__class__"),
        ("escalation.__class__", "eval", "__class__"),
        ("getattr(escalation, 'get')", "eval", "getattr"),
        ("type(escalation)", "eval", "type"),
        ("open('/etc/passwd').read()", "eval", "open"),
        ("eval('1')", "eval", "eval"),
        ("(lambda: 1)()", "eval", "lambda"),
        ("'{0.__class__}'.format(level)", "eval", ".format"),
        ("level.upper.__self__", "eval", "__self__"),
        ("_secret", "eval", "_secret"),
        ("escalation.pop('level')", "eval", ".pop"),
        ("dir(level)", "eval", "without arguments"),
        ("(x := 1)", "eval", ":="),
        ("globals()", "eval", "globals"),
        ("fns[0]()", "eval", "only named functions"),
        ("import os", "exec", "imports"),
        ("from os import system", "exec", "imports"),
        ("def f():\n    pass", "exec", "functions"),
        ("class A:\n    pass", "exec", "classes"),
        ("while True:\n    pass", "exec", "while"),
        ("with open('x') as f:\n    pass", "exec", "with"),
        ("try:\n    x = 1\nexcept Exception:\n    pass", "exec", "try"),
        ("raise ValueError('x')", "exec", "raise"),
        ("global level", "exec", "global"),
        ("level.upper = 1", "exec", "assigning"),
        ("items[0:] = [1]", "exec", "slice assignment"),
        ("x = 'a' * 10**9", "exec", "exceeds"),
        ("x = 10**10**10", "exec", "exceeds"),
        ("x = f'{level:>99999}'", "exec", "f-string widths"),
    ],
)
def test_hostile_code_is_refused_before_it_runs(source: str, mode: str, fragment: str) -> None:
    with pytest.raises(ForbiddenExpression) as refused:
        check_expression(source, mode)
    assert fragment in refused.value.message
    assert refused.value.code == "forbidden_expression"
    assert refused.value.line == 1


def test_refusals_carry_the_line_inside_the_script() -> None:
    with pytest.raises(ForbiddenExpression) as refused:
        check_expression("a = 1\nb = 2\nc = __import__('os')", "exec")
    assert refused.value.line == 3


def test_syntax_errors_are_syntax_errors() -> None:
    with pytest.raises(SyntaxError):
        check_expression("x >>= 1")
    with pytest.raises(SyntaxError):
        check_expression("a = 1\nb = (a +", "exec")


def test_the_run_time_check_does_not_depend_on_the_validator(env: SandboxedEnvironment) -> None:
    with pytest.raises(ForbiddenExpression):
        env.evaluate("__import__('os').getcwd()", {})
    with pytest.raises(ForbiddenExpression):
        env.execute("x = ().__class__.__base__.__subclasses__()", {})


@pytest.mark.parametrize(
    "source",
    [
        "n = 10**9\ns = 'a' * n",
        "s = 'ab' * 500_000\nt = s + s + s",
        "n = 100_000_000\nx = 2 ** n",
        "n = 10**6\nx = 1 << n",
        "n = 10**9\nr = list(range(n))",
        "w = '%' + str(10**6) + 'd'\ns = w % 1",
        "s = 'a' * 1_000_000\nt = s.replace('', 'bb')",
        "parts = ['x'] * 1_000_000\ns = ('y' * 1000).join(parts)",
    ],
)
def test_resource_guards_fail_fast_at_run_time(env: SandboxedEnvironment, source: str) -> None:
    started = time.monotonic()
    with pytest.raises(ForbiddenExpression, match=r"limit|not allowed"):
        env.execute(source, {})
    assert time.monotonic() - started < 2


def test_task_data_cannot_replace_the_restricted_builtins(env: SandboxedEnvironment) -> None:
    hostile = {"__builtins__": {"len": lambda _: "pwned"}, "items": [1, 2]}
    assert env.evaluate("len(items)", hostile) == 2


def test_host_objects_are_never_reachable_through_attributes() -> None:
    class Service:
        def __call__(self) -> str:
            return "called"

        def get(self, url: str) -> str:  # a method name that dicts have too
            raise AssertionError("reached the host object")

    env = make_script_engine({"service": Service()}).environment
    assert env.evaluate("service()", {}) == "called"
    with pytest.raises(ForbiddenExpression, match="not available on Service"):
        env.evaluate("service.get('http://example.invalid')", {})


def test_host_functions_are_allow_listed_and_validated() -> None:
    env = make_script_engine({"notify": lambda lane: f"notified {lane}"}).environment
    assert env.evaluate("notify('leader')", {}) == "notified leader"
    check_expression("notify('leader')", functions={"notify"})
    with pytest.raises(ForbiddenExpression, match="notify"):
        check_expression("notify('leader')")
    for bad in ({"_hidden": len}, {"len": len}, {"x": 1}):
        with pytest.raises(ValueError):
            make_script_engine(bad)


def test_allow_list_holds_no_reflection_or_io() -> None:
    forbidden = {
        "getattr",
        "setattr",
        "vars",
        "type",
        "object",
        "globals",
        "locals",
        "eval",
        "exec",
        "compile",
        "__import__",
        "open",
        "input",
        "print",
        "format",
        "breakpoint",
    }
    assert not forbidden & set(ALLOWED_FUNCTIONS)


# ---------------------------------------------------------------------------------------- whole workflows


def _hostile(fixture: str, tmp_path: Path) -> bytes:
    """A probe diagram whose payload writes into tmp_path (instead of /tmp) so the test can look for it."""
    text = (FIXTURES / fixture).read_text()
    return text.replace("/tmp/probe_pwned_", f"{tmp_path}/pwned_").encode()


def _run(xml: bytes, process_id: str, engine: PythonScriptEngine) -> BpmnWorkflow:
    """Parse WITHOUT the validator, as if a bad definition had slipped into the database."""
    parser = CamundaParser()
    parser.add_bpmn_str(xml)
    workflow = BpmnWorkflow(parser.get_spec(process_id), script_engine=engine)
    workflow.do_engine_steps()
    return workflow


@pytest.mark.parametrize(
    ("fixture", "process_id"), [("script_injection.bpmn", "Evil"), ("subclass_escape.bpmn", "Escape")]
)
def test_hostile_diagram_fails_at_run_time_and_never_reaches_the_os(
    tmp_path: Path, fixture: str, process_id: str
) -> None:
    with pytest.raises(WorkflowTaskException, match="ForbiddenExpression"):
        _run(_hostile(fixture, tmp_path), process_id, make_script_engine())
    assert list(tmp_path.iterdir()) == []


def test_hostile_condition_fails_at_run_time_and_never_reaches_the_os(tmp_path: Path) -> None:
    marker = tmp_path / "pwned_condition.txt"
    xml = (
        _hostile("script_injection.bpmn", tmp_path)
        .replace(b"rc = __import__('os').system(", b"rc = 0 # (")
        .replace(b"&gt; /tmp", b"")
    )
    with pytest.raises(WorkflowTaskException, match="Error evaluating expression"):
        _run(xml, "Evil", make_script_engine())
    assert not marker.exists()
    assert list(tmp_path.iterdir()) == []


def test_control_the_same_payload_does_reach_the_os_without_the_sandbox(tmp_path: Path) -> None:
    """Proves the tests above test something: SpiffWorkflow's default engine runs any diagram code."""
    marker = tmp_path / "control.txt"
    xml = (
        (FIXTURES / "linear10.bpmn")
        .read_bytes()
        .replace(b"incident_id = 42", f"incident_id = __import__('pathlib').Path('{marker}').write_text('x')".encode())
    )
    _run(xml, "Linear10", PythonScriptEngine())
    assert marker.exists()


def test_run_time_script_errors_report_the_script_line(tmp_path: Path) -> None:
    xml = (FIXTURES / "linear10.bpmn").read_bytes().replace(b"steps = 0", b"steps = 0\nn = 10**9\npad = 'a' * n")
    with pytest.raises(WorkflowTaskException) as failed:
        _run(xml, "Linear10", make_script_engine())
    assert failed.value.line_number == 4
    assert "exceeds the sandbox limit" in str(failed.value)


def test_a_valid_diagram_runs_under_the_sandbox() -> None:
    from SpiffWorkflow.util.task import TaskState

    from engine.definitions.validation import parse_definition

    xml = (
        (FIXTURES / "incident_collab.bpmn")
        .read_bytes()
        .replace(b'name="Hospital intake" isExecutable="true"', b'name="Hospital intake" isExecutable="false"')
    )
    parsed = parse_definition(xml)
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=make_script_engine())
    workflow.do_engine_steps()
    triage = workflow.get_next_task(state=TaskState.READY, manual=True)
    triage.data.update(severity=5, trapped=True)
    triage.run()
    workflow.do_engine_steps()
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert [t.task_spec.bpmn_id for t in ready] == ["DispatchUnit"]
    assert ready[0].data["priority"] == 55
    assert "__builtins__" not in ready[0].data
