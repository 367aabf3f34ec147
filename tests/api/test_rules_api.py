"""Escalation through the API: decisions, rulesets deployed as versioned data, overlays that only tighten."""

from __future__ import annotations

from pathlib import Path

import yaml

RULESETS = Path(__file__).resolve().parent.parent.parent / "rules" / "rulesets"
QUIET = {
    "deaths": 0,
    "injured_or_poisoned": 0,
    "evacuated": 0,
    "direct_loss_yuan": 0,
    "water_source_interruption": "none",
    "radioactive_source_class": None,
    "radiation_wide_severe_contamination": False,
    "ecological_damage": "none",
    "cross_boundary": "none",
    "heavy_metal": False,
    "affects_drinking_water_source": False,
    "sensitive_receptors": [],
    "mass_incident": False,
    "sensitive_period": False,
    "reporting_authority": "county",
}


def _deploy(api, text, as_="admin"):
    return api.post("/api/v1/rulesets", as_=as_, data=text.encode(), content_type="application/yaml")


def test_evaluate_returns_the_contract_fields(api):
    res = api.post("/api/v1/escalation/evaluate", as_="duty", json={**QUIET, "evacuated": 49999})
    assert res.status_code == 200, res.get_json()
    decision = res.get_json()
    assert decision["level"] == "II"
    assert decision["initial_report_deadline_minutes"] == 120
    assert decision["report_to"] == ["county_government", "provincial_eeb", "mee"]
    assert decision["investigation"] == {"lead": "mee", "time_limit_days": 60, "mandatory": True}
    assert any("evacuated=49999" in r and "II-2" in r for r in decision["reasons"])
    assert decision["ruleset"]["name"] == "cn-national-2015"


def test_bad_facts_name_the_field(api):
    cases = [
        ({k: v for k, v in QUIET.items() if k != "deaths"}, "deaths"),
        ({**QUIET, "deaths": -1}, "deaths"),
        ({**QUIET, "deaths": "2"}, "deaths"),
        ({**QUIET, "cross_boundary": "planet"}, "cross_boundary"),
        ({**QUIET, "heavy_metal": 1}, "heavy_metal"),
    ]
    for facts, field in cases:
        res = api.post("/api/v1/escalation/evaluate", as_="duty", json=facts)
        assert res.status_code == 422, facts
        assert field in res.get_json()["error"]["details"]
    assert api.post("/api/v1/escalation/evaluate", as_="duty", json=[1]).status_code == 400


def test_rulesets_are_versioned_data_and_overlays_tighten(api):
    baseline = (RULESETS / "cn-national-2015.yaml").read_text(encoding="utf-8")
    overlay = (RULESETS / "overlay-city-60-30.yaml").read_text(encoding="utf-8")
    early = _deploy(api, overlay)
    assert early.status_code == 400  # its base is not deployed yet
    assert early.get_json()["error"]["details"][0]["message_zh"].startswith("规则集的 base 有误")
    created = _deploy(api, baseline)
    assert created.status_code == 201 and created.get_json()["version"] == 1
    assert _deploy(api, baseline).status_code == 200  # identical: no-op
    assert _deploy(api, baseline, as_="auditor").status_code == 403
    assert _deploy(api, overlay).status_code == 201
    listed = {(r["name"], r["version"], r["kind"]) for r in api.get("/api/v1/rulesets", as_="auditor").get_json()}
    assert listed == {("cn-national-2015", 1, "baseline"), ("city-60-30", 1, "overlay")}

    quiet = api.post("/api/v1/escalation/evaluate", as_="duty", json=QUIET).get_json()
    assert quiet["initial_report_deadline_minutes"] == 60
    assert quiet["deadline_rule"]["rule"] == "every-event-60"
    school = api.post("/api/v1/escalation/evaluate", as_="duty", json={**QUIET, "sensitive_receptors": ["school"]})
    assert school.get_json()["initial_report_deadline_minutes"] == 30
    assert [o["name"] for o in school.get_json()["ruleset"]["overlays"]] == ["city-60-30"]

    # the same version number with other rules is a conflict; a new version is deployed and takes over
    body = yaml.safe_load(baseline)
    body["description"] = "changed"
    assert _deploy(api, yaml.safe_dump(body, allow_unicode=True)).status_code == 409
    body["version"] = 2
    assert _deploy(api, yaml.safe_dump(body, allow_unicode=True)).status_code == 201
    again = api.post("/api/v1/escalation/evaluate?ruleset=cn-national-2015&version=1", as_="duty", json=QUIET)
    assert again.get_json()["ruleset"]["version"] == 1
    assert api.post("/api/v1/escalation/evaluate", as_="duty", json=QUIET).get_json()["ruleset"]["version"] == 2


def test_an_overlay_that_loosens_or_a_broken_ruleset_is_refused_naming_the_rule(api):
    _deploy(api, (RULESETS / "cn-national-2015.yaml").read_text(encoding="utf-8"))
    loose = yaml.safe_load((RULESETS / "overlay-city-60-30.yaml").read_text(encoding="utf-8"))
    loose["name"] = "lax"
    loose["rules"] = [
        {"id": "lax-300", "cites": "none", "when": "always", "then": {"initial_report_deadline_minutes": 300}}
    ]
    res = _deploy(api, yaml.safe_dump(loose, allow_unicode=True))
    assert res.status_code == 400
    assert any(p.get("rule") == "lax-300" for p in res.get_json()["error"]["details"])
    # Chinese first for the administrator: what and where, beside the English detail
    assert {p["message_zh"] for p in res.get_json()["error"]["details"]} == {
        "规则 lax-300 的 then.initial_report_deadline_minutes 有误"
    }
    broken = {
        "name": "broken",
        "version": 1,
        "kind": "baseline",
        "description": "x",
        "floor": {"level": "IV", "cites": "x"},
        "rules": [
            {"id": "r1", "cites": "x", "when": {"fact": "no_such_fact", "op": "==", "value": 1}, "then": {"level": "I"}}
        ],
    }
    res = _deploy(api, yaml.safe_dump(broken))
    assert res.status_code == 400
    assert any(p.get("rule") == "r1" for p in res.get_json()["error"]["details"])
    assert "规则 r1 的 when.fact 有误" in {p["message_zh"] for p in res.get_json()["error"]["details"]}
    assert _deploy(api, "{not: [valid").status_code == 400
    assert {r["name"] for r in api.get("/api/v1/rulesets").get_json()} == {"cn-national-2015"}


def test_the_service_task_uses_the_rules_in_force(api):
    """five_firsts' Service_EvaluateEscalation decides with the deployed overlay: 60 minutes, not 240."""
    from engine.services import BUNDLED_PROCESSES

    api.deploy((BUNDLED_PROCESSES / "five_firsts.bpmn").read_bytes())
    _deploy(api, (RULESETS / "cn-national-2015.yaml").read_text(encoding="utf-8"))
    _deploy(api, (RULESETS / "overlay-city-60-30.yaml").read_text(encoding="utf-8"))
    inst = api.start("five_firsts", "INC-OVERLAY", {"discovered_at": "2026-05-01T08:00:00+08:00"}).get_json()
    [record] = inst["ready_tasks"]
    data = {f["id"]: _value(f) for f in record["form"] if f["required"]}
    res = api.post(f"/api/v1/tasks/{record['id']}/complete", as_="duty", json={"data": data})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["data"]["escalation"]["initial_report_deadline_minutes"] == 60
    assert body["data"]["initial_report_due_at"].startswith("2026-05-01T09:00:00")
    history = api.get(f"/api/v1/instances/{inst['id']}/history", as_="auditor").get_json()
    [evaluated] = [e for e in history if e["kind"] == "escalation_evaluated"]
    assert evaluated["payload"]["decision"]["ruleset"]["overlays"][0]["name"] == "city-60-30"


def _value(field):
    if field["type"] == "enum":
        ids = [o["id"] for o in field["enum"]]
        return "none" if "none" in ids else ids[0]
    return {"long": 0, "double": 0, "boolean": False, "date": "2026-05-01T08:00:00+08:00"}.get(field["type"], "测试")
