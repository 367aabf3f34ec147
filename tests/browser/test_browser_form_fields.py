"""Form field properties in the browser: a ``multiline`` string is a textarea, a ``multiple`` enum a group of
checkboxes; what is ticked and typed (line breaks included) reaches the instance's data, and the API's refusal of
an empty required choice appears next to the group."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Server

FORM_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="D" targetNamespace="http://emflow.example/bpmn">
  <bpmn:process id="browser_form_fields" name="表单字段" isExecutable="true">
    <bpmn:laneSet id="Lanes">
      <bpmn:lane id="duty_officer" name="生态环境局应急值班室（24小时值守）">
        <bpmn:flowNodeRef>Start_Reported</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_Record</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_Done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_Reported"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_Record" name="记录敏感目标" camunda:formKey="record">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="course_of_events" label="基本过程" type="string">
          <camunda:properties><camunda:property id="multiline" value="true"/></camunda:properties>
          <camunda:validation><camunda:constraint name="required"/></camunda:validation>
        </camunda:formField>
        <camunda:formField id="sensitive_receptors" label="周边敏感目标" type="enum">
          <camunda:value id="school" name="学校"/><camunda:value id="hospital" name="医院"/>
          <camunda:value id="residential" name="居民聚居区"/><camunda:value id="other" name="其他"/>
          <camunda:properties><camunda:property id="multiple" value="true"/></camunda:properties>
          <camunda:validation><camunda:constraint name="required"/></camunda:validation>
        </camunda:formField>
        <camunda:formField id="place" label="地点" type="string"/>
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End_Done" name="完成"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Start_Reported" targetRef="Task_Record"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Task_Record" targetRef="End_Done"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _deploy(server: Server) -> None:
    res = server.session.post(
        f"{server.url}/api/v1/definitions",
        data=FORM_DIAGRAM.encode(),
        headers={"Authorization": f"Bearer {server.tokens['admin']}", "Content-Type": "application/xml"},
        timeout=30,
    )
    assert res.status_code in (200, 201), res.text[:500]


def test_a_multiple_choice_and_a_textarea_are_rendered_and_submitted(page: Any, server: Server, login: Any) -> None:
    _deploy(server)
    started = server.api(
        "POST",
        "/instances",
        as_="duty",
        json={"definition_key": "browser_form_fields", "business_key": "FORM-1", "data": {"place": "临江县"}},
    )
    [task] = started["ready_tasks"]
    form = server.api("GET", f"/tasks/{task['id']}", "duty")["form"]
    described = {f["id"]: (f["multiline"], f["multiple"]) for f in form}
    assert described == {
        "course_of_events": (True, False),
        "sensitive_receptors": (False, True),
        "place": (False, False),
    }

    login("duty")
    page.goto(f"/ui/#/task/{task['id']}")
    page.wait_for_selector("#task-form")
    assert page.eval_on_selector("#field-course_of_events", "el => el.tagName") == "TEXTAREA"
    assert page.eval_on_selector("#field-place", "el => el.tagName") == "INPUT"  # a plain string stays one line
    group = page.locator("#field-sensitive_receptors[role='group'] input[type='checkbox']")
    assert group.count() == 4
    names = [text.strip() for text in page.locator("#field-sensitive_receptors label.choice").all_inner_texts()]
    assert names == ["学校", "医院", "居民聚居区", "其他"]
    assert page.get_attribute("#field-sensitive_receptors", "aria-labelledby") == "field-sensitive_receptors-label"
    assert page.inner_text("#field-sensitive_receptors-label").startswith("周边敏感目标")

    # nothing ticked: the API asks for at least one, and the message stands next to the group
    page.fill("#field-course_of_events", "8时40分巡检发现泄漏\n8时50分关闭雨水排口")
    page.click("#complete")
    page.wait_for_selector("#task-status .notice.error")
    assert page.inner_text("#field-sensitive_receptors-error") == "至少选择一项"
    assert page.inner_text("#field-course_of_events-error") == ""
    assert "invalid" in page.get_attribute("[data-field='sensitive_receptors']", "class")

    page.check("#field-sensitive_receptors-hospital")
    page.check("#field-sensitive_receptors-school")
    page.click("#complete")
    page.wait_for_selector(".notice.ok:has-text('已完成任务「记录敏感目标」')")
    data = server.api("GET", f"/instances/{started['id']}", "duty")["data"]
    assert data["sensitive_receptors"] == ["school", "hospital"]  # in the order of the options
    assert data["course_of_events"] == "8时40分巡检发现泄漏\n8时50分关闭雨水排口"
    assert not page.errors, page.errors
