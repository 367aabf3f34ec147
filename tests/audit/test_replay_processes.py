"""The bundled procedures end to end: a five_firsts incident (graded by the rules, reported late so the overdue
timer fires, re-graded by a follow-up report) that starts its investigation_accountability (whose 三个不放过 check
sends it back once), driven through the API; then every event of both histories is replayed and compared with
the state captured live."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.runtime.service_tasks import FACT_DEFAULTS
from tests.audit.conftest import ROOT_PROCESSES, Recorder, _replay, _view

INCIDENT = "INC-2026-0315"
LANES = (
    "duty_officer",
    "leader",
    "emergency_office",
    "enforcement",
    "monitoring_station",
    "press_office",
    "investigation_team",
)
# answers that move the incident forward; a list is used one value per visit (the first visit fails a check)
ANSWERS: dict[str, Any] = {
    "information_updates_pending": False,
    "start_plan_revision": False,
    "responsible_dealt_with": [False, True],
}
TASK_ANSWERS: dict[str, dict[str, Any]] = {
    "Task_RecordIncident": {"deaths": 2, "discovered_at": "2026-03-02T09:00:00+08:00"},
    "Task_FollowUpReport": {"evacuated": 60000},  # raises the level: re-report and adjust the response
}
REPORTED_LATE = "Task_InitialReport"
MAX_COMMANDS = 120


class Responder:
    """Fills every form the way a diligent but hurried duty team would; counts visits for list answers."""

    def __init__(self, env: Any):
        self.env = env
        self.visits: dict[str, int] = {}

    def answer(self, task: dict[str, Any]) -> dict[str, Any]:
        now = self.env.clock.now().isoformat()
        data: dict[str, Any] = {}
        for field in task["form"]:
            if field["readonly"]:
                continue
            kind, constraints = field["type"], field["constraints"]
            if field["id"] in FACT_DEFAULTS and isinstance(FACT_DEFAULTS[field["id"]], bool):
                value: Any = FACT_DEFAULTS[field["id"]]
            elif kind == "boolean":
                value = True
            elif kind == "long":
                value = int(float(constraints.get("min", 0)))
            elif kind == "double":
                value = float(constraints.get("min", 0))
            elif kind == "date":
                value = now
            elif kind == "enum" and field.get("multiple"):
                value = []  # a multiple choice: none chosen
            elif kind == "enum":
                options = [o["id"] for o in field["enum"]]
                value = "none" if "none" in options else options[0]
            else:
                value = "已核实" * max(1, int(constraints.get("minlength", 1)))
            answer = ANSWERS.get(field["id"], value)
            if field["id"] in ANSWERS and isinstance(answer, list):
                seen = self.visits.get(field["id"], 0)
                self.visits[field["id"]] = seen + 1
                answer = answer[min(seen, len(answer) - 1)]
            data[field["id"]] = answer
        data.update({k: v for k, v in TASK_ANSWERS.get(task["element_id"], {}).items() if k in data})
        return data


def test_five_firsts_and_its_investigation_replay_to_every_step(env):
    for name in ("five_firsts.bpmn", "investigation_accountability.bpmn"):
        assert env.api.deploy((ROOT_PROCESSES / name).read_bytes()).status_code in (200, 201)
    _, env.api.tokens["team"] = env.services.users.add("team", "responder", list(LANES))
    api, clock, rec, responder = env.api, env.clock, Recorder(env), Responder(env)

    first = rec(api.start("five_firsts", INCIDENT, {"source": "12369 热线"}, as_="team"))["id"]
    commands, late = 1, False
    while commands < MAX_COMMANDS:
        tasks = api.get("/api/v1/tasks", as_="team").get_json()
        if not tasks:
            due = env.services.timers.next_due()
            if due is None:
                break
            clock.set(due + timedelta(seconds=30))
            assert env.services.timers.run_due() >= 1
            rec()
            commands += 1
            continue
        task = tasks[0]
        if task["element_id"] == REPORTED_LATE and not late:  # the initial report misses its deadline
            late = True
            clock.set(datetime.fromisoformat(task["due_at"]) + timedelta(minutes=10))
            assert env.services.timers.run_due() == 1
            rec()
            commands += 1
            continue
        clock.advance(minutes=7)
        rec(api.post(f"/api/v1/tasks/{task['id']}/complete", as_="team", json={"data": responder.answer(task)}))
        commands += 1

    instances = {i["definition_key"]: i for i in api.get(f"/api/v1/instances?business_key={INCIDENT}").get_json()}
    assert {k: i["status"] for k, i in instances.items()} == {
        "five_firsts": "completed",
        "investigation_accountability": "completed",
    }
    investigation = instances["investigation_accountability"]["id"]
    assert instances["investigation_accountability"]["parent_id"] == first
    kinds = {e["kind"] for i in (first, investigation) for e in env.history(i)}
    assert {
        "timer_due",
        "timer_fired",
        "escalation_evaluated",
        "escalation_reevaluated",
        "linked_instance_started",
    } <= kinds
    assert responder.visits["responsible_dealt_with"] == 2  # 三个不放过 sent it back once

    for instance_id in (first, investigation):
        last = rec.captures[instance_id][-1][0]
        for seq in range(1, last + 1):
            body = _replay(env, instance_id, seq).get_json()
            assert body["consistent"] is True, (instance_id, seq, body["divergence"])
            assert _view(body["state"]) == rec.expected(instance_id, seq), (instance_id, seq)
        assert body["checked_end"] is True
