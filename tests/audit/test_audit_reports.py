"""Export, the incident timeline and the compliance reports (deadlines, 三个不放过), and who may read them."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from tests.audit.conftest import T0

DISCOVERED = "2026-03-02T09:00:00+08:00"  # = T0


def _ready(env, instance_id, element_id):
    tasks = env.api.get(f"/api/v1/instances/{instance_id}").get_json()["ready_tasks"]
    return next(t["id"] for t in tasks if t["element_id"] == element_id)


def _deadline(env, key, minutes):
    res = env.api.start("deadline", key, {"discovered_at": DISCOVERED, "deadline_minutes": minutes})
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def _complete(env, instance_id, element_id, as_="duty", data=None):
    res = env.api.post(
        f"/api/v1/tasks/{_ready(env, instance_id, element_id)}/complete", as_=as_, json={"data": data or {}}
    )
    assert res.status_code == 200, res.get_json()


# --------------------------------------------------------------------------------------------------- export
def test_history_exports_as_csv_and_json(env):
    env.deploy("triage.bpmn")
    _, token = env.services.users.add('=HYPERLINK("http://x")', "responder", ["duty_officer"])
    env.api.tokens["formula"] = token
    inst = env.api.start("triage", "INC-CSV", {"source": "热线"}, as_="formula").get_json()
    history = env.history(inst["id"])

    res = env.api.get(f"/api/v1/instances/{inst['id']}/history/export?format=csv", as_="auditor")
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert f"instance-{inst['id']}-history.csv" in res.headers["Content-Disposition"]
    text = res.get_data(as_text=True)
    assert text.startswith("\ufeff")  # spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in history]
    assert [r["hash"] for r in rows] == [e["hash"] for e in history]
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert json.loads(rows[0]["payload"])["data"] == {"source": "热线"}
    assert rows[0]["actor"] == "'" + '=HYPERLINK("http://x")'  # not run as a formula when opened
    assert rows[0]["definition_key"] == "triage" and rows[0]["definition_version"] == "1"

    exported = env.api.get(f"/api/v1/instances/{inst['id']}/history/export", as_="auditor").get_json()
    assert [(e["seq"], e["hash"], e["payload"]) for e in exported] == [
        (e["seq"], e["hash"], e["payload"]) for e in history
    ]
    assert exported[1]["prev_hash"] == exported[0]["hash"] and exported[0]["instance_id"] == inst["id"]
    assert env.api.get("/api/v1/instances/999/history/export", as_="auditor").status_code == 404
    bad = env.api.get(f"/api/v1/instances/{inst['id']}/history/export?format=xls", as_="auditor")
    assert bad.status_code == 422 and "format" in bad.get_json()["error"]["details"]


def test_timeline_merges_the_instances_of_an_incident(env):
    env.deploy("response.bpmn", "investigation.bpmn", "deadline.bpmn")
    api = env.api
    parent = api.start("response", "INC-T", {"discovered_at": DISCOVERED}).get_json()["id"]
    env.clock.advance(minutes=10)
    late = _deadline(env, "INC-T", 120)
    env.clock.advance(minutes=10)
    _complete(env, parent, "Task_Report", data={"deaths": 0})
    api.start("deadline", "INC-OTHER", {"discovered_at": DISCOVERED, "deadline_minutes": 60})

    events = api.get("/api/v1/timeline/INC-T", as_="auditor").get_json()
    [child] = {e["instance_id"] for e in events} - {parent, late}
    assert [(e["at"], e["instance_id"], e["seq"]) for e in events] == sorted(
        (e["at"], e["instance_id"], e["seq"]) for e in events
    )
    by_instance = {}
    for e in events:
        by_instance.setdefault(e["instance_id"], []).append(e)
    assert {i: len(v) for i, v in by_instance.items()} == {i: len(env.history(i)) for i in (parent, late, child)}
    assert {(e["definition_key"], e["definition_version"]) for e in by_instance[child]} == {
        ("investigation_accountability", 1)
    }
    assert {(e["parent_id"], e["link_kind"]) for e in by_instance[child]} == {(parent, "investigation")}
    kinds = [(e["instance_id"], e["kind"]) for e in events if e["kind"] != "task_state"]
    assert kinds == [
        (parent, "instance_started"),
        (late, "instance_started"),
        (parent, "task_completed"),
        (parent, "escalation_evaluated"),
        (parent, "linked_instance_started"),
        (child, "instance_started"),
    ]
    missing = api.get("/api/v1/timeline/INC-NONE", as_="auditor")
    assert missing.status_code == 404 and "INC-NONE" in missing.get_json()["error"]["message"]


# ------------------------------------------------------------------------------------------------ deadlines
@pytest.fixture
def deadlines(env):
    """Initial-report deadlines met, missed (fired, then reported late), missed (overdue, not yet fired), open
    and cancelled, plus two plain delays."""
    env.deploy("deadline.bpmn", "two_timers.bpmn")
    clock, api = env.clock, env.api
    ids = {
        key: _deadline(env, key, minutes)
        for key, minutes in (("INC-MET", 120), ("INC-LATE", 120), ("INC-OPEN", 600), ("INC-CANCELLED", 120))
    }
    ids["INC-WAIT"] = api.start(
        "two_timers", "INC-WAIT", {"due_a": "2026-03-02T09:30:00+08:00", "due_b": "2026-03-03T09:00:00+08:00"}
    ).get_json()["id"]
    clock.set(T0 + timedelta(hours=1))
    _complete(env, ids["INC-MET"], "Task_Report")
    clock.set(T0 + timedelta(hours=1, minutes=10))
    api.post(f"/api/v1/instances/{ids['INC-CANCELLED']}/cancel", json={"reason": "误报"})
    clock.set(T0 + timedelta(hours=2, seconds=5))
    assert env.services.timers.run_due() == 2  # INC-LATE's deadline and INC-WAIT's first delay
    clock.set(T0 + timedelta(hours=2, minutes=10))
    _complete(env, ids["INC-LATE"], "Task_Report")
    ids["INC-OVERDUE"] = _deadline(env, "INC-OVERDUE", 135)  # due at T0 + 2h15m; no worker fires it
    clock.set(T0 + timedelta(hours=3))
    return ids


def _report(env, query=""):
    res = env.api.get(f"/api/v1/reports/deadlines{query}", as_="auditor")
    assert res.status_code == 200, res.get_json()
    return {entry["business_key"]: entry for entry in res.get_json()}


def test_deadline_report_says_met_or_missed_for_each_incident(env, deadlines):
    report = _report(env)
    assert set(report) == {"INC-MET", "INC-LATE", "INC-OPEN", "INC-CANCELLED", "INC-OVERDUE", "INC-WAIT"}

    def only(key):
        [deadline] = report[key]["deadlines"]
        assert deadline["instance_id"] == deadlines[key]
        assert (deadline["timer_element_id"], deadline["timer_name"], deadline["timer_kind"]) == (
            "Timer_ReportOverdue",
            "初报超时",
            "boundary",
        )
        assert (deadline["guards"], deadline["guards_name"]) == ("Task_Report", "初报")
        assert (deadline["definition_key"], deadline["definition_version"]) == ("deadline", 1)
        return deadline

    due = "2026-03-02T03:00:00+00:00"
    met = only("INC-MET")
    assert (met["due_at"], met["done_at"], met["outcome"], met["late_seconds"]) == (
        due,
        "2026-03-02T02:00:00+00:00",
        "met",
        0.0,
    )
    assert met["cancelled_at"] == met["done_at"] and met["fired_at"] is None
    late = only("INC-LATE")
    assert (late["done_at"], late["outcome"], late["late_seconds"]) == ("2026-03-02T03:10:00+00:00", "missed", 600.0)
    assert late["fired_at"] == "2026-03-02T03:00:05+00:00"
    overdue = only("INC-OVERDUE")
    assert (overdue["due_at"], overdue["done_at"], overdue["outcome"], overdue["late_seconds"]) == (
        "2026-03-02T03:15:00+00:00",
        None,
        "missed",
        2700.0,
    )
    opened = only("INC-OPEN")
    assert (opened["outcome"], opened["done_at"], opened["late_seconds"]) == ("open", None, None)
    cancelled = only("INC-CANCELLED")
    assert (cancelled["outcome"], cancelled["done_at"]) == ("cancelled", "2026-03-02T02:10:00+00:00")
    assert report["INC-MET"]["summary"] == {"met": 1, "missed": 0, "open": 0, "cancelled": 0, "elapsed": 0}

    waits = {d["timer_element_id"]: d for d in report["INC-WAIT"]["deadlines"]}
    assert {k: (d["timer_kind"], d["guards"], d["outcome"]) for k, d in waits.items()} == {
        "Timer_A": ("wait", None, "elapsed"),
        "Timer_B": ("wait", None, "open"),
    }
    assert waits["Timer_A"]["done_at"] == "2026-03-02T03:00:05+00:00"


def test_deadline_report_filters(env, deadlines):
    assert set(_report(env, "?business_key=INC-LATE")) == {"INC-LATE"}
    missed = _report(env, "?outcome=missed")
    assert set(missed) == {"INC-LATE", "INC-OVERDUE"}
    assert _report(env, "?business_key=INC-MET&outcome=missed") == {}
    bad = env.api.get("/api/v1/reports/deadlines?outcome=late", as_="auditor")
    assert bad.status_code == 422 and "outcome" in bad.get_json()["error"]["details"]


# ------------------------------------------------------------------------------------------------ 三个不放过
def test_three_no_let_go_lists_open_investigations_and_what_still_fails(env):
    env.deploy("investigation.bpmn")
    api = env.api

    def investigation(key, **found):
        inst = api.start("investigation_accountability", key).get_json()["id"]
        if found:
            _complete(env, inst, "Task_Investigate", as_="office", data=found)
        return inst

    fresh = investigation("INC-1")
    partial = investigation("INC-2", cause_established=True, responsible_dealt_with=True, rectification_done=False)
    closed = investigation("INC-3", cause_established=True, responsible_dealt_with=True, rectification_done=True)
    _complete(env, closed, "Task_Close", as_="office")
    held = investigation("INC-4", cause_established=True)
    api.post(f"/api/v1/instances/{held}/suspend", json={"reason": "司法程序"})

    res = api.get("/api/v1/reports/three-no-let-go", as_="auditor")
    assert res.status_code == 200
    rows = {r["instance_id"]: r for r in res.get_json()}
    assert set(rows) == {fresh, partial, held}  # the completed one has let nothing go
    assert rows[fresh]["failing"] == ["cause_established", "responsible_dealt_with", "rectification_done"]
    assert rows[partial]["failing"] == ["rectification_done"]
    assert rows[partial]["conditions"] == {
        "cause_established": True,
        "responsible_dealt_with": True,
        "rectification_done": False,
    }
    assert (rows[held]["status"], rows[held]["failing"]) == (
        "suspended",
        ["responsible_dealt_with", "rectification_done"],
    )
    assert rows[partial]["business_key"] == "INC-2" and rows[partial]["parent_id"] is None


# ------------------------------------------------------------------------------------------------------ roles
def test_only_auditors_and_administrators_may_read_the_audit_endpoints(env):
    env.deploy("triage.bpmn")
    inst = env.api.start("triage", "INC-R").get_json()["id"]
    paths = [
        f"/api/v1/instances/{inst}/history/verify",
        f"/api/v1/instances/{inst}/replay",
        f"/api/v1/instances/{inst}/replay?to=1",
        f"/api/v1/instances/{inst}/history/export?format=csv",
        "/api/v1/timeline/INC-R",
        "/api/v1/reports/deadlines",
        "/api/v1/reports/three-no-let-go",
    ]
    doc = env.api.get("/api/v1/openapi.json", as_=None).get_json()["paths"]
    for path in paths:
        for user in ("auditor", "admin"):
            assert env.api.get(path, as_=user).status_code == 200, (path, user)
        for user in ("duty", "allhands"):
            res = env.api.get(path, as_=user)
            assert res.status_code == 403 and res.get_json()["error"]["code"] == "forbidden", (path, user)
        assert env.api.get(path, as_=None).status_code == 401
        template = path.split("?")[0].replace(f"/{inst}/", "/{instance_id}/").replace("/INC-R", "/{business_key}")
        assert doc[template]["get"]["x-roles"] == ["administrator", "auditor"], template
