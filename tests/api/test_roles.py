"""Each role against each endpoint, read from the OpenAPI document's ``x-roles`` (the same declaration the
``requires`` decorator enforces): allowed roles get past authorization, the others get 403 and an audit entry,
and no token at all gets 401."""

from __future__ import annotations

import pytest

ROLE_USER = {"administrator": "admin", "responder": "allhands", "auditor": "auditor"}


def _operations(api):
    doc = api.get("/api/v1/openapi.json", as_=None).get_json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def _concrete(path, ids):
    return (
        path.replace("{instance_id}", str(ids["instance"])).replace("{task_id}", ids["task"]).replace("{key}", "triage")
    )


@pytest.fixture
def ids(api, triage_xml):
    api.deploy(triage_xml)
    inst = api.start("triage", as_="duty").get_json()
    return {"instance": inst["id"], "task": inst["ready_tasks"][0]["id"]}


PUBLIC = {"/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs"}


def test_every_operation_declares_its_roles(api):
    ops = list(_operations(api))
    assert len(ops) >= 19
    assert PUBLIC <= {path for path, _, _ in ops}
    for path, method, op in ops:
        if path in PUBLIC:  # an empty x-roles with an empty security requirement: no token needed
            assert op["x-roles"] == [] and op["security"] == [], (path, method)
            assert api.get(path, as_=None).status_code == 200
            continue
        assert op["x-roles"] and set(op["x-roles"]) <= set(ROLE_USER), (path, method)
        assert op["security"] == [{"bearer": []}]
        assert {"401", "403"} <= set(op["responses"]), (path, method)


def test_roles_against_every_endpoint(api, ids):
    checked = 0
    for path, method, op in _operations(api):
        roles = op.get("x-roles")
        if not roles:
            continue
        url = _concrete(path, ids)
        call = getattr(api, method)
        anonymous = call(url, as_=None, json={})
        assert anonymous.status_code == 401, (method, url)
        assert anonymous.get_json()["error"]["code"] == "unauthenticated"
        for role, user in ROLE_USER.items():
            res = call(url, as_=user, json={})
            if role in roles:
                assert res.status_code not in (401, 403), (role, method, url, res.get_json())
            else:
                assert res.status_code == 403, (role, method, url, res.status_code)
                assert res.get_json()["error"]["code"] == "forbidden"
            checked += 1
    assert checked >= 50
    denied = [e for e in api.app.extensions["emflow"].users.audit_log(1000) if e["outcome"] == "denied"]
    assert any(e["actor"] == "auditor" and e["action"].startswith("POST /api/v1/definitions") for e in denied)
    assert any(e["actor"] == "allhands" and "/suspend" in e["action"] for e in denied)


def test_bad_tokens_are_401(api):
    for header in ("Bearer nope", "Basic abc", "Bearer ", "token"):
        res = api.client.get("/api/v1/definitions", headers={"Authorization": header})
        assert res.status_code == 401, header
        assert res.headers["WWW-Authenticate"].startswith("Bearer")


def test_responder_cannot_touch_another_lanes_task(api, ids):
    # the ready task is Task_Record in lane duty_officer; 'leader' works only the leader lane
    assert api.get(f"/api/v1/tasks/{ids['task']}", as_="leader").status_code == 403
    res = api.post(
        f"/api/v1/tasks/{ids['task']}/complete", as_="leader", json={"data": {"severity": 1, "channel": "written"}}
    )
    assert res.status_code == 403
    assert "duty_officer" in res.get_json()["error"]["message"]
    assert api.post(f"/api/v1/tasks/{ids['task']}/claim", as_="leader").status_code == 403
    assert api.get("/api/v1/tasks?lane=duty_officer", as_="leader").status_code == 403
    assert api.get("/api/v1/tasks", as_="leader").get_json() == []
    inst = api.get(f"/api/v1/instances/{ids['instance']}").get_json()
    assert [t["state"] for t in inst["ready_tasks"]] == ["READY"] and inst["version"] == 1
    denied = [e for e in api.app.extensions["emflow"].users.audit_log() if e["actor"] == "leader"]
    assert len(denied) == 4 and all(e["outcome"] == "denied" for e in denied)
    # the audit says what was attempted and why it was refused; the history holds no trace of the attempt
    completion = next(e for e in denied if e["action"] == f"POST /api/v1/tasks/{ids['task']}/complete")
    assert "duty_officer" in completion["detail"]["reason"]
    history = api.get(f"/api/v1/instances/{ids['instance']}/history", as_="auditor").get_json()
    assert {e["actor"] for e in history} == {"duty"}
    assert not any(e["kind"] in ("task_completed", "task_claimed") for e in history)
    # a responder of the right lane still can: the refusal was about the lane, not the task
    assert (
        api.post(
            f"/api/v1/tasks/{ids['task']}/complete", as_="duty", json={"data": {"severity": 1, "channel": "written"}}
        ).status_code
        == 200
    )
