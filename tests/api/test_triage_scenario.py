"""A multi-lane diagram with a form, an exclusive gateway and a message, driven through the HTTP API to the end."""

from __future__ import annotations


def _ready(api, instance_id, as_="admin"):
    body = api.get(f"/api/v1/instances/{instance_id}", as_=as_).get_json()
    return {t["element_id"]: t for t in body["ready_tasks"]}


def test_high_severity_path_runs_to_the_end(api, triage_xml):
    deployed = api.deploy(triage_xml)
    assert deployed.status_code == 201, deployed.get_json()
    assert deployed.get_json()["key"] == "triage" and deployed.get_json()["version"] == 1

    started = api.start("triage", "INC-2026-001", {"source": "hotline"})
    assert started.status_code == 201, started.get_json()
    inst = started.get_json()
    assert inst["status"] == "running" and inst["business_key"] == "INC-2026-001"
    [record] = inst["ready_tasks"]
    assert record["element_id"] == "Task_Record"
    assert record["lane"] == "duty_officer" and record["lane_name"] == "值班员"
    fields = {f["id"]: f for f in record["form"]}
    assert fields["severity"]["type"] == "long" and fields["severity"]["required"] is True
    assert fields["severity"]["label"] == "严重程度"
    assert [o["id"] for o in fields["channel"]["enum"]] == ["phone", "written"]
    assert fields["note"]["required"] is False

    # the duty officer sees it in the lane's inbox; the monitoring station does not
    assert [t["id"] for t in api.get("/api/v1/tasks", as_="duty").get_json()] == [record["id"]]
    assert api.get("/api/v1/tasks", as_="monitor").get_json() == []

    done = api.post(
        f"/api/v1/tasks/{record['id']}/complete",
        as_="duty",
        json={"data": {"severity": 4, "channel": "phone", "heavy_metal": True}},
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["data"]["severity"] == 4
    ready = _ready(api, inst["id"])
    assert set(ready) == {"Task_Escalate"}  # severity >= 3 takes the conditional flow
    assert ready["Task_Escalate"]["lane"] == "leader"

    esc = api.post(
        f"/api/v1/tasks/{ready['Task_Escalate']['id']}/complete", as_="leader", json={"data": {"signed_by": "张局长"}}
    )
    assert esc.status_code == 200
    assert esc.get_json()["ready_tasks"] == []  # now waiting for the message

    wrong = api.post(
        f"/api/v1/instances/{inst['id']}/messages", as_="duty", json={"name": "no_such_message", "payload": {}}
    )
    assert wrong.status_code == 409
    assert "no_such_message" in wrong.get_json()["error"]["message"]

    msg = api.post(
        f"/api/v1/instances/{inst['id']}/messages",
        as_="duty",
        json={"name": "situation_update", "payload": {"deaths": 0, "trend": "稳定"}},
    )
    assert msg.status_code == 200, msg.get_json()
    ready = _ready(api, inst["id"])
    assert set(ready) == {"Task_Close"}
    assert msg.get_json()["data"]["situation_update"] == {"deaths": 0, "trend": "稳定"}

    close = api.post(f"/api/v1/tasks/{ready['Task_Close']['id']}/complete", as_="office", json={"data": {}})
    assert close.status_code == 200
    final = api.get(f"/api/v1/instances/{inst['id']}").get_json()
    assert final["status"] == "completed" and final["ready_tasks"] == [] and final["ended_at"]
    assert final["data"]["signed_by"] == "张局长"

    history = api.get(f"/api/v1/instances/{inst['id']}/history", as_="auditor").get_json()
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
    commands = [(e["kind"], e["actor"]) for e in history if e["kind"] != "task_state"]
    assert commands == [
        ("instance_started", "duty"),
        ("task_completed", "duty"),
        ("task_completed", "leader"),
        ("message_received", "duty"),
        ("task_completed", "office"),
    ]
    completed = [e for e in history if e["kind"] == "task_state" and e["payload"]["to"] == "COMPLETED"]
    assert [e["element_id"] for e in completed if e["element_id"].startswith("Task_")] == [
        "Task_Record",
        "Task_Escalate",
        "Task_Close",
    ]
    record_done = next(e for e in completed if e["element_id"] == "Task_Record")
    assert record_done["payload"]["data_delta"] == {"severity": 4, "channel": "phone", "heavy_metal": True}
    assert record_done["payload"]["lane"] == "duty_officer"


def test_low_severity_takes_the_default_flow(api, triage_xml):
    api.deploy(triage_xml)
    inst = api.start("triage").get_json()
    task = inst["ready_tasks"][0]
    api.post(f"/api/v1/tasks/{task['id']}/complete", as_="duty", json={"data": {"severity": 1, "channel": "written"}})
    assert set(_ready(api, inst["id"])) == {"Task_Monitor"}


def test_form_errors_name_the_field_and_change_nothing(api, triage_xml):
    api.deploy(triage_xml)
    inst = api.start("triage").get_json()
    task_id = inst["ready_tasks"][0]["id"]
    cases = [
        ({"channel": "phone"}, "severity"),  # required missing
        ({"severity": "4", "channel": "phone"}, "severity"),  # wrong type
        ({"severity": True, "channel": "phone"}, "severity"),  # bool is not an integer
        ({"severity": 4, "channel": "fax"}, "channel"),  # not an enum value
        ({"severity": 4, "channel": "phone", "heavy_metal": "yes"}, "heavy_metal"),
        ({"severity": 4, "channel": "phone", "discovered_on": "yesterday"}, "discovered_on"),
        ({"severity": 4, "channel": "phone", "bogus": 1}, "bogus"),  # not a field of the form
    ]
    for data, field in cases:
        res = api.post(f"/api/v1/tasks/{task_id}/complete", as_="duty", json={"data": data})
        assert res.status_code == 422, (data, res.get_json())
        assert field in res.get_json()["error"]["details"], (data, res.get_json())
    after = api.get(f"/api/v1/instances/{inst['id']}").get_json()
    assert after["version"] == inst["version"]
    assert [t["id"] for t in after["ready_tasks"]] == [task_id]
    history = api.get(f"/api/v1/instances/{inst['id']}/history", as_="auditor").get_json()
    assert not any(e["kind"] == "task_completed" for e in history)


def test_completing_twice_is_a_conflict(api, triage_xml):
    api.deploy(triage_xml)
    inst = api.start("triage").get_json()
    task_id = inst["ready_tasks"][0]["id"]
    body = {"data": {"severity": 1, "channel": "written"}}
    assert api.post(f"/api/v1/tasks/{task_id}/complete", as_="duty", json=body).status_code == 200
    again = api.post(f"/api/v1/tasks/{task_id}/complete", as_="duty", json=body)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict"


def test_suspend_blocks_work_until_resumed_and_cancel_ends_it(api, triage_xml):
    api.deploy(triage_xml)
    inst = api.start("triage").get_json()
    task_id = inst["ready_tasks"][0]["id"]
    body = {"data": {"severity": 1, "channel": "written"}}
    assert (
        api.post(f"/api/v1/instances/{inst['id']}/suspend", json={"reason": "核实中"}).get_json()["status"]
        == "suspended"
    )
    blocked = api.post(f"/api/v1/tasks/{task_id}/complete", as_="duty", json=body)
    assert blocked.status_code == 409 and "suspended" in blocked.get_json()["error"]["message"]
    assert api.post(f"/api/v1/instances/{inst['id']}/suspend").status_code == 409
    assert api.post(f"/api/v1/instances/{inst['id']}/resume").get_json()["status"] == "running"
    assert api.post(f"/api/v1/tasks/{task_id}/complete", as_="duty", json=body).status_code == 200
    cancelled = api.post(f"/api/v1/instances/{inst['id']}/cancel", json={"reason": "误报"})
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled" and cancelled.get_json()["ready_tasks"] == []
    monitor = api.get(f"/api/v1/tasks?instance_id={inst['id']}&state=CANCELLED").get_json()
    assert [t["element_id"] for t in monitor] == ["Task_Monitor"]
    assert api.post(f"/api/v1/instances/{inst['id']}/resume").status_code == 409
    kinds = [e["kind"] for e in api.get(f"/api/v1/instances/{inst['id']}/history", as_="auditor").get_json()]
    assert {"instance_suspended", "instance_resumed", "instance_cancelled"} <= set(kinds)


def test_claim_reserves_the_task(api, triage_xml):
    api.deploy(triage_xml)
    inst = api.start("triage").get_json()
    task_id = inst["ready_tasks"][0]["id"]
    claimed = api.post(f"/api/v1/tasks/{task_id}/claim", as_="duty")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "duty"
    assert api.post(f"/api/v1/tasks/{task_id}/claim", as_="allhands").status_code == 409
    other = api.post(
        f"/api/v1/tasks/{task_id}/complete", as_="allhands", json={"data": {"severity": 1, "channel": "written"}}
    )
    assert other.status_code == 409 and "claimed by duty" in other.get_json()["error"]["message"]


def test_redeploy_identical_is_noop_and_instances_keep_their_version(api, triage_xml):
    assert api.deploy(triage_xml).status_code == 201
    again = api.deploy(triage_xml)
    assert again.status_code == 200 and again.get_json()["version"] == 1
    inst = api.start("triage").get_json()
    v2 = triage_xml.replace('name="开展监测"'.encode(), 'name="开展应急监测"'.encode())
    assert api.deploy(v2).get_json()["version"] == 2
    assert api.get("/api/v1/definitions/triage").get_json()["version"] == 2
    assert (
        api.get("/api/v1/definitions/triage?version=1").get_json()["sha256"]
        != api.get("/api/v1/definitions/triage").get_json()["sha256"]
    )
    assert api.get("/api/v1/definitions/triage/xml?version=1").data == triage_xml
    old = api.get(f"/api/v1/instances/{inst['id']}").get_json()
    assert old["definition_version"] == 1
    task_id = old["ready_tasks"][0]["id"]
    api.post(f"/api/v1/tasks/{task_id}/complete", as_="duty", json={"data": {"severity": 1, "channel": "written"}})
    assert _ready(api, inst["id"])["Task_Monitor"]["name"] == "开展监测"  # still version 1
    new = api.start("triage", "INC-2").get_json()
    assert new["definition_version"] == 2
    listed = api.get("/api/v1/instances?definition_key=triage&business_key=INC-2").get_json()
    assert [i["id"] for i in listed] == [new["id"]]
