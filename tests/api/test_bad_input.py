"""Bad input gets a clear 4xx naming the problem, never a 500, and nothing half-written stays behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FIX = Path(__file__).resolve().parent.parent / "engine" / "fixtures"
MALFORMED = FIX / "malformed"


def _definitions(api):
    return api.get("/api/v1/definitions?all_versions=true").get_json()


@pytest.mark.parametrize(
    ("path", "code", "element"),
    [
        (MALFORMED / "not_XML.bpmn", "xml_syntax", None),
        (MALFORMED / "truncated_XML.bpmn", "xml_syntax", None),
        (MALFORMED / "missing_start_event.bpmn", "missing_start_event", None),
        (MALFORMED / "unsupported_BPMN_element__complexGateway.bpmn", "unsupported_element", True),
        (MALFORMED / "unknown_element__reachable.bpmn", "unknown_element", True),
        (FIX / "timers_unquoted.bpmn", "timer_expression", True),
        (FIX / "script_injection.bpmn", "forbidden_expression", True),
        (FIX / "subclass_escape.bpmn", "forbidden_expression", True),
        (MALFORMED / "bad_condition_syntax.bpmn", "condition_syntax", True),
    ],
)
def test_bad_diagrams_are_400_naming_the_problem(api, path, code, element):
    res = api.deploy(path.read_bytes())
    assert res.status_code == 400, res.get_json()
    error = res.get_json()["error"]
    assert error["code"] == "invalid_definition"
    codes = {p["code"] for p in error["details"]}
    assert code in codes, error
    problem = next(p for p in error["details"] if p["code"] == code)
    if element:
        assert problem["element_id"], problem
        assert problem["element_id"] in error["message"]
        assert isinstance(problem["line"], int) and problem["line"] > 0
    assert _definitions(api) == []
    checked = api.post("/api/v1/definitions/validate", data=path.read_bytes(), content_type="application/xml")
    assert checked.status_code == 200
    assert checked.get_json()["valid"] is False
    assert code in {p["code"] for p in checked.get_json()["problems"]}
    for shown in (problem, *checked.get_json()["problems"]):  # Chinese first, for the person fixing the diagram
        assert shown["message_zh"] and re.search(r"[\u4e00-\u9fff]", shown["message_zh"]), shown
        if shown["element_id"]:
            assert f"元素 {shown['element_id']}" in shown["message_zh"]


def test_validate_accepts_a_good_diagram_without_deploying(api, triage_xml):
    res = api.post("/api/v1/definitions/validate", data=triage_xml, content_type="application/xml")
    assert res.get_json() == {"valid": True, "problems": []}
    assert _definitions(api) == []


def test_multipart_upload(api, triage_xml):
    import io

    res = api.post(
        "/api/v1/definitions",
        data={"file": (io.BytesIO(triage_xml), "triage.bpmn")},
        content_type="multipart/form-data",
    )
    assert res.status_code == 201
    wrong = api.post(
        "/api/v1/definitions", data={"other": (io.BytesIO(triage_xml), "x.bpmn")}, content_type="multipart/form-data"
    )
    assert wrong.status_code == 400 and "'file'" in wrong.get_json()["error"]["message"]


def test_over_large_body_is_413(api):
    res = api.post("/api/v1/definitions", data=b"<" * (11 * 1024 * 1024), content_type="application/xml")
    assert res.status_code == 413
    assert res.get_json()["error"]["code"] == "request_entity_too_large"


@pytest.mark.parametrize(
    ("body", "kwargs", "status", "field"),
    [
        (None, {"data": "{not json", "content_type": "application/json"}, 400, None),
        (None, {"data": "definition_key=x", "content_type": "application/x-www-form-urlencoded"}, 400, None),
        ({"business_key": "X"}, {}, 422, "definition_key"),
        ({"definition_key": "triage", "business_key": ""}, {}, 422, "business_key"),
        ({"definition_key": "triage", "business_key": "X", "data": [1]}, {}, 422, "data"),
        ({"definition_key": "triage", "business_key": "X", "extra": 1}, {}, 422, "extra"),
        ({"definition_key": "triage", "business_key": "X", "version": 0}, {}, 422, "version"),
        ({"definition_key": "nope", "business_key": "X"}, {}, 404, None),
    ],
)
def test_bad_start_requests(api, triage_xml, body, kwargs, status, field):
    api.deploy(triage_xml)
    if body is not None:
        kwargs = {"json": body}
    res = api.post("/api/v1/instances", as_="duty", **kwargs)
    assert res.status_code == status, res.get_json()
    error = res.get_json()["error"]
    assert error["message"]
    if field:
        assert field in error["details"]
    assert api.get("/api/v1/instances").get_json() == []


def test_unknown_ids_are_404(api):
    assert api.get("/api/v1/instances/999").status_code == 404
    assert api.get("/api/v1/tasks/nope").status_code == 404
    assert api.post("/api/v1/tasks/nope/complete", as_="duty", json={"data": {}}).status_code == 404
    assert api.get("/api/v1/definitions/nope").status_code == 404
    assert api.get("/api/v1/definitions/nope/xml").status_code == 404
    assert api.post("/api/v1/instances/999/cancel").status_code == 404
    assert api.get("/api/v1/no/such/route").status_code == 404
    assert api.get("/api/v1/instances?status=bogus").status_code == 422
    assert api.get("/api/v1/tasks?state=bogus").status_code == 422


RUNTIME_FAILURE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="divide" isExecutable="true">
    <bpmn:laneSet id="LS"><bpmn:lane id="duty_officer" name="duty">
      <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_Enter</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>Script_Divide</bpmn:flowNodeRef><bpmn:flowNodeRef>EndEvent_1</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_Enter" name="enter"><bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="Script_Divide" scriptFormat="python"><bpmn:incoming>F2</bpmn:incoming>
      <bpmn:outgoing>F3</bpmn:outgoing><bpmn:script>ratio = 1 / divisor</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent_1" targetRef="Task_Enter" />
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Enter" targetRef="Script_Divide" />
    <bpmn:sequenceFlow id="F3" sourceRef="Script_Divide" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_failing_script_is_422_naming_the_element_and_changes_nothing(api):
    assert api.deploy(RUNTIME_FAILURE).status_code == 201
    inst = api.start("divide", data={"divisor": 0}).get_json()
    task_id = inst["ready_tasks"][0]["id"]
    for _ in range(2):  # the second attempt proves the cached workflow was not left half-run
        res = api.post(f"/api/v1/tasks/{task_id}/complete", as_="duty", json={"data": {}})
        assert res.status_code == 422
        error = res.get_json()["error"]
        assert error["code"] == "process_error"
        assert error["details"]["element_id"] == "Script_Divide"
    after = api.get(f"/api/v1/instances/{inst['id']}").get_json()
    assert after["version"] == inst["version"] and after["status"] == "running"
    assert [t["id"] for t in after["ready_tasks"]] == [task_id]


@pytest.mark.parametrize(
    ("script", "start_data"),
    [
        ("ratio = divisor * 10.0", {"divisor": 1e308}),  # infinity: JSON cannot hold it
        ("ratio = divisor ** 4000", {"divisor": 10}),  # an integer too large to round-trip
    ],
)
def test_values_json_cannot_hold_are_a_422_and_change_nothing(api, script, start_data):
    xml = RUNTIME_FAILURE.replace(b"ratio = 1 / divisor", script.encode()).replace(b'id="divide"', b'id="bigval"')
    assert api.deploy(xml).status_code == 201
    inst = api.start("bigval", data=start_data).get_json()
    task_id = inst["ready_tasks"][0]["id"]
    res = api.post(f"/api/v1/tasks/{task_id}/complete", as_="duty", json={"data": {}})
    assert res.status_code == 422, res.get_json()
    assert res.get_json()["error"]["code"] == "process_error"
    after = api.get(f"/api/v1/instances/{inst['id']}").get_json()
    assert after["version"] == inst["version"] and [t["id"] for t in after["ready_tasks"]] == [task_id]
