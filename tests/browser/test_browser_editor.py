"""The administrator's editor in the browser: open a deployed diagram, start a new one from the template, add a
user task with a form field in the properties panel, see a validation problem on its element, deploy, start an
instance, and compare two versions."""

from __future__ import annotations

from typing import Any

ADD_USER_TASK = """() => {
  // the structural edit through bpmn-js's modeling API: a user task between the template's task and its end
  const modeler = window.emflow.modeler;
  const registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling');
  const record = registry.get('Task_Record');
  const end = registry.get('EndEvent_1');
  modeling.removeConnection(registry.get('Flow_Record_End'));
  modeling.moveElements([end], { x: 180, y: 0 });
  const shape = modeler.get('elementFactory').createShape({ type: 'bpmn:UserTask' });
  const task = modeling.createShape(shape, { x: 570, y: 205 }, record.parent);
  modeling.connect(record, task);
  modeling.connect(task, end);
  return task.id;
}"""


def _panel(element_id: str, name: str) -> str:
    return f"#bio-properties-panel-{element_id}-{name}"


def _open_group(page: Any, group: str) -> None:
    """Expand a group of the properties panel (they start collapsed; the panel remembers what is open)."""
    header = page.locator(f"[data-group-id='group-{group}'] .bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def _validate(page: Any) -> str:
    page.click("#validate")
    status = page.locator("#editor-status .notice")
    status.wait_for()
    return status.inner_text()


def test_administrator_edits_validates_deploys_and_starts(page: Any, server: Any, login: Any) -> None:
    login("admin")
    page.wait_for_selector("#canvas [data-element-id='Task_Record']")  # a new diagram from the template

    # open a deployed definition
    page.select_option("#definition-key", "five_firsts")
    page.click("#open")
    page.wait_for_selector("#canvas [data-element-id='Task_RecordIncident']")
    assert "five_firsts" in page.inner_text("#current-definition")

    # a new diagram: the template is valid as it is
    page.click("#new")
    page.wait_for_selector("#canvas [data-element-id='Task_Record']")
    key = page.get_attribute("#current-definition", "data-key")
    assert key and key.startswith("process_")
    assert "校验通过" in _validate(page)

    # add a user task, then give it an id, a name and a form field in the properties panel
    task_id = page.evaluate(ADD_USER_TASK)
    page.click(f"#canvas [data-element-id='{task_id}']")
    _open_group(page, "general")
    page.fill("#bio-properties-panel-id", "End")  # reserved by SpiffWorkflow: the validator refuses it
    page.fill("#bio-properties-panel-name", "确认处置结果")
    _open_group(page, "CamundaPlatform__Form")
    page.select_option("#bio-properties-panel-formType", "formData")
    page.click("[data-group-id='group-CamundaPlatform__FormData'] .bio-properties-panel-add-entry")  # opens it
    page.fill(_panel("End", "formField-0-formFieldID"), "handled")
    page.fill(_panel("End", "formField-0-formFieldLabel"), "是否已妥善处置")
    page.select_option(_panel("End", "formField-0-formFieldType"), "boolean")

    # the problem is shown on the element it concerns
    assert "1 个问题" in _validate(page)
    page.wait_for_selector("#canvas .problem-badge[data-element='End']")
    assert "emf-problem" in (page.get_attribute("#canvas g.djs-element[data-element-id='End']", "class") or "")
    assert "reserved_id" in page.inner_text("#problems")
    assert "使用了保留的标识（元素 End" in page.inner_text("#problems")  # Chinese first, then the detail

    # edits survive a switch of language, which rebuilds the page (the draft waits in sessionStorage)
    page.click("#language")
    page.wait_for_selector("#editor-status:has-text('Restored the changes not yet deployed.')")
    assert page.inner_text("#validate") == "Validate"
    page.click("#language")
    page.wait_for_selector("#editor-status:has-text('已恢复上次未部署的修改')")
    assert "已修改" in page.inner_text("#current-definition")

    page.click("#canvas [data-element-id='End']")
    _open_group(page, "general")
    page.fill("#bio-properties-panel-id", "Task_ConfirmHandled")
    assert "校验通过" in _validate(page)
    assert page.locator("#canvas .problem-badge").count() == 0

    # deploy: version 1 of the new key
    page.click("#deploy")
    page.wait_for_selector(f"#editor-status .notice.ok:has-text('已部署 {key} 第 1 版')")
    assert page.input_value("#definition-key") == key
    xml = server.api("GET", f"/definitions/{key}/xml", as_="admin")
    assert 'camunda:formField id="handled" label="是否已妥善处置" type="boolean"' in xml

    # start an instance from the editor; the responder's inbox gets the template's task, then the new one
    page.click("#start")
    page.wait_for_selector("#start-form")
    assert page.input_value("#start-key") == key
    page.fill("#business-key", "ADMIN-TEST-1")
    page.click("#start-submit")
    page.wait_for_selector("#started-link")
    instance_id = int(page.get_attribute("#started-link", "href").rsplit("/", 1)[1])
    [first] = server.api("GET", f"/tasks?instance_id={instance_id}", as_="duty")
    assert first["element_id"] == "Task_Record" and first["lane"] == "duty_officer"
    server.api("POST", f"/tasks/{first['id']}/complete", as_="duty", json={"data": {"summary": "已核实"}})
    [added] = server.api("GET", f"/tasks?instance_id={instance_id}", as_="duty")
    assert (added["element_id"], added["name"], added["lane"]) == (
        "Task_ConfirmHandled",
        "确认处置结果",
        "duty_officer",
    )
    assert [(f["id"], f["label"], f["type"]) for f in added["form"]] == [("handled", "是否已妥善处置", "boolean")]

    # a second version with a renamed task, then the comparison marks exactly that element as changed
    page.goto(f"/ui/#/editor?key={key}")
    page.wait_for_selector("#canvas [data-element-id='Task_ConfirmHandled']")
    page.click("#canvas [data-element-id='Task_ConfirmHandled']")
    _open_group(page, "general")
    page.fill("#bio-properties-panel-name", "确认处置结果并归档")
    page.click("#deploy")
    page.wait_for_selector(f"#editor-status .notice.ok:has-text('已部署 {key} 第 2 版')")
    page.click("#compare")
    page.wait_for_selector("#compare-result tr.diff-changed")
    rows = page.eval_on_selector_all(
        "#compare-result tbody tr", "rows => rows.map(r => [r.className, r.dataset.element])"
    )
    assert rows == [["diff-changed", "Task_ConfirmHandled"]]
    for side in ("#compare-left", "#compare-right"):
        marked = page.get_attribute(f"{side} g.djs-element[data-element-id='Task_ConfirmHandled']", "class") or ""
        assert "emf-changed" in marked, side
    assert not page.errors, page.errors
