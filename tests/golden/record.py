"""Record the golden histories: ``python -m tests.golden.record [NAME ...]``.

Only re-run deliberately: the files are evidence of what older code wrote. ``tests/audit/test_golden_histories.py``
loads them into empty databases and checks that every later version of the engine still verifies their hash
chains and replays them byte for byte; re-recording with newer code would replace that evidence with whatever the
newer code writes, and the test would prove nothing. Re-record only when a change of the stored format is
intended and reviewed — and say so in the commit.

Each scenario runs the engine's own services (``engine.services.build_services``) and its HTTP API on a fresh
SQLite database in a temporary directory, with a ``FixedClock`` that the scenario moves (the scheduler's part is
played by ``TimerService.run_due``). The paths through the bundled procedures are the ones the scenario tests
(``tests/scenarios/``) drive, with their responders and form values. Before a file is written, every instance is
verified and replayed in the recording database; a history that today's code cannot replay is not recorded.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api import create_app
from engine.clock import FixedClock
from engine.services import build_services
from engine.store.migrate import upgrade
from tests.conftest import FIXTURES, Api
from tests.golden.loader import GOLDEN_FORMAT, HISTORIES, SECTIONS, opened, read_tables
from tests.scenarios.conftest import LANE_USERS, PROCESSES, USER_OF_LANE, Desk

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 4, 14, 1, 0, tzinfo=UTC)  # Tuesday 14 April 2026, 09:00 China Standard Time
DISCOVERED = "2026-04-14T08:40:00+08:00"
ENDED = "2026-04-15T18:00:00+08:00"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Recording:
    """A fresh database with the engine's services and API on a FixedClock, users for every lane."""

    def __init__(self, directory: Path):
        self.url = f"sqlite:///{directory / 'golden.sqlite3'}"
        upgrade(self.url)
        self.clock = FixedClock(T0)
        self.services = build_services(self.url, clock=self.clock)
        app = create_app({"DATABASE_URL": self.url, "TESTING": True}, services=self.services)
        tokens = {
            "admin": self.services.users.add("admin", "administrator", [])[1],
            "auditor": self.services.users.add("auditor", "auditor", [])[1],
        }
        for name, lane in LANE_USERS.items():
            tokens[name] = self.services.users.add(name, "responder", [lane])[1]
        self.api = Api(app, tokens)
        self.desk = Desk(self.api, self.services, self.clock)

    def close(self) -> None:
        self.services.close()

    # ------------------------------------------------------------------------------------------- commands
    def deploy(self, *paths: Path) -> None:
        for path in paths:
            res = self.api.deploy(path.read_bytes())
            assert res.status_code == 201, (path.name, res.get_json())

    def admin(self, instance_id: int, action: str, reason: str | None = None) -> dict[str, Any]:
        res = self.api.post(f"/api/v1/instances/{instance_id}/{action}", as_="admin", json={"reason": reason})
        assert res.status_code == 200, res.get_json()
        return res.get_json()

    def claim(self, user: str, element_id: str, instance_id: int) -> None:
        task = self.desk.task(user, element_id, instance_id)
        res = self.api.post(f"/api/v1/tasks/{task['id']}/claim", as_=user)
        assert res.status_code == 200 and res.get_json()["assignee"] == user, res.get_json()

    def fire_due(self, expected: int | None = None) -> int:
        fired = self.desk.fire_due_timers()
        assert expected is None or fired == expected, (fired, expected)
        return fired

    def drive(
        self,
        instance_id: int,
        answers: dict[str, dict[str, Any]],
        until: tuple[str, ...] = (),
        step_minutes: float = 7,
        max_steps: int = 120,
    ) -> dict[str, Any]:
        """Like ``Desk.drive`` (oldest READY task first, each lane's usual entries plus ``answers``), but the
        clock moves ``step_minutes`` before each task and what falls due meanwhile fires, as the scheduler would.
        An answer given as a list is used one value per visit of its task."""
        visits: dict[str, int] = {}
        for _ in range(max_steps):
            inst = self.desk.instance(instance_id)
            tasks = inst["ready_tasks"]
            if not tasks or any(t["element_id"] in until for t in tasks):
                return inst
            self.clock.advance(minutes=step_minutes)
            if self.fire_due():
                tasks = self.desk.instance(instance_id)["ready_tasks"]  # a timer may have changed what is ready
            task = min(tasks, key=lambda t: (t["created_at"], t["element_id"]))
            element = task["element_id"]
            seen = visits.get(element, 0)
            visits[element] = seen + 1
            given = {
                name: value[min(seen, len(value) - 1)] if isinstance(value, list) else value
                for name, value in answers.get(element, {}).items()
            }
            self.desk.complete(USER_OF_LANE[task["lane"]], element, instance_id, **given)
        raise AssertionError(f"instance {instance_id} did not settle in {max_steps} steps")


# ---------------------------------------------------------------------------------------------- scenarios
def triage(rec: Recording) -> str:
    rec.deploy(FIXTURES / "triage.bpmn")
    desk, clock = rec.desk, rec.clock
    high = desk.start("triage", "INC-2026-0414-T1", {"source": "12369"}, as_="duty")["id"]
    clock.advance(minutes=4)
    rec.claim("duty", "Task_Record", high)
    clock.advance(minutes=6)
    desk.complete("duty", "Task_Record", high, severity=4, channel="phone", heavy_metal=True, note="苯乙烯泄漏")
    clock.advance(minutes=15)
    rec.admin(high, "suspend", "等待监测数据核实")
    clock.advance(minutes=40)
    rec.admin(high, "resume")
    clock.advance(minutes=5)
    desk.complete("leader", "Task_Escalate", high, signed_by="李建国")
    clock.advance(hours=2)
    desk.send(high, "situation_update", {"deaths": 0, "trend": "浓度下降", "evacuated": [120, 35]}, as_="duty")
    clock.advance(minutes=30)
    desk.complete("office", "Task_Close", high)

    low = desk.start("triage", "INC-2026-0414-T2", {"source": "巡查"}, as_="duty")["id"]
    clock.advance(minutes=8)
    desk.complete("duty", "Task_Record", low, severity=1, channel="written")
    clock.advance(minutes=20)
    desk.complete("monitor", "Task_Monitor", low)
    clock.advance(hours=1)
    rec.admin(low, "cancel", "重复接报，并入 INC-2026-0414-T1")
    return (
        "triage.bpmn: INC-2026-0414-T1 claimed, recorded with severity 4, suspended and resumed, escalated by the "
        "leader, a situation_update message, closed (completed); INC-2026-0414-T2 low severity, monitored, then "
        "cancelled while waiting for the message."
    )


def timers(rec: Recording) -> str:
    rec.deploy(FIXTURES / "two_timers.bpmn", FIXTURES / "deadline.bpmn")
    desk, clock = rec.desk, rec.clock
    # two timers due while the scheduler is down: they fire late, earliest first, each at its own due time
    both = desk.start(
        "two_timers",
        "INC-2026-0414-W1",
        {"due_a": "2026-04-14T11:00:00+08:00", "due_b": "2026-04-14T10:30:00+08:00"},
        as_="duty",
    )["id"]
    clock.set(utc(2026, 4, 14, 3, 5, 30))
    rec.fire_due(2)
    clock.advance(minutes=3)
    desk.complete("duty", "Task_AfterB", both)
    clock.advance(minutes=3)
    desk.complete("duty", "Task_AfterA", both)
    # one timer fires, the instance is cancelled with the other still waiting (its timer row is cancelled)
    clock.set(T0 + timedelta(hours=3))
    one = desk.start(
        "two_timers",
        "INC-2026-0414-W2",
        {"due_a": "2026-04-14T12:30:00+08:00", "due_b": "2026-04-15T09:00:00+08:00"},
        as_="duty",
    )["id"]
    clock.set(utc(2026, 4, 14, 4, 30, 0, 250000))
    rec.fire_due(1)
    clock.advance(minutes=10)
    desk.complete("duty", "Task_AfterA", one)
    clock.advance(minutes=1)
    rec.admin(one, "cancel", "事件已并案处理")

    # deadline: reported late (the boundary timer fires, the leader follows up) ...
    clock.set(T0)
    late = desk.start(
        "deadline", "INC-2026-0414-D1", {"discovered_at": DISCOVERED, "deadline_minutes": 60}, as_="duty"
    )["id"]
    clock.set(utc(2026, 4, 14, 1, 40, 45))  # due 09:40 CST, noticed 45 s late
    rec.fire_due(1)
    clock.advance(minutes=5)
    desk.complete("leader", "Task_Overdue", late)
    clock.advance(minutes=2)
    desk.complete("duty", "Task_Report", late)
    # ... and reported in time (the boundary timer is cancelled with its task)
    on_time = desk.start(
        "deadline",
        "INC-2026-0414-D2",
        {"discovered_at": "2026-04-14T09:30:00+08:00", "deadline_minutes": 120},
        as_="duty",
    )["id"]
    clock.advance(minutes=25)
    desk.complete("duty", "Task_Report", on_time)
    assert rec.fire_due() == 0
    return (
        "two_timers.bpmn: INC-2026-0414-W1 both timers fire late after downtime, earliest first, then both tasks "
        "(completed); INC-2026-0414-W2 one timer fires, cancelled with the other timer waiting. deadline.bpmn: "
        "INC-2026-0414-D1 reported late (boundary timer fires, leader's overdue task), INC-2026-0414-D2 reported "
        "in time (boundary timer cancelled)."
    )


def loop(rec: Recording) -> str:
    rec.deploy(FIXTURES / "loop_n.bpmn")
    desk, clock = rec.desk, rec.clock
    done = desk.start("loop_n", "INC-2026-0414-L1", {"target": 6}, as_="duty")["id"]
    for n in range(6):
        clock.advance(hours=1)
        desk.complete("duty", "Task_FollowUp", done, trend=f"第{n + 1}次续报：浓度持续下降")
    clock.set(T0)
    running = desk.start("loop_n", "INC-2026-0414-L2", {"target": 1000}, as_="duty")["id"]
    for _ in range(10):
        clock.advance(minutes=30)
        desk.complete("duty", "Task_FollowUp", running)
    assert desk.instance(done)["status"] == "completed" and desk.instance(running)["status"] == "running"
    return (
        "loop_n.bpmn: INC-2026-0414-L1 6 follow-up reports then completed; INC-2026-0414-L2 10 of 1,000 "
        "follow-up reports, still running (finished tasks pruned after every command)."
    )


def procedures(rec: Recording) -> str:
    """One incident through all three bundled procedures, plus a duplicate report that is cancelled."""
    rec.deploy(*sorted(PROCESSES.glob("*.bpmn")))
    rec.services.rulesets.deploy_bundled("system")  # what `emflow serve` deploys
    desk, clock = rec.desk, rec.clock
    bk = "LJ-2026-0414-GOLD"

    # five_firsts: graded level IV by the rules; the initial report is claimed, the instance suspended and resumed,
    # the report misses its deadline (the overdue timer fires), a follow-up report raises the level to II
    iid = desk.record_incident(bk, DISCOVERED)
    clock.advance(minutes=5)
    rec.claim("duty", "Task_InitialReport", iid)
    clock.advance(minutes=10)
    rec.admin(iid, "suspend", "等待监测数据核实")
    clock.advance(minutes=20)
    rec.admin(iid, "resume")
    for element, user in (
        ("Task_DispatchToScene", "office"),
        ("Task_MonitoringPlan", "monitor"),
        ("Task_ArriveOnScene", "enforcement"),
    ):
        clock.advance(minutes=6)
        desk.complete(user, element, iid)
    clock.set(utc(2026, 4, 14, 4, 40, 30))  # 12:40 CST + 30 s: the initial report is overdue
    rec.fire_due(1)
    clock.advance(minutes=10)
    desk.complete("duty", "Task_InitialReport", iid, channel="written")
    clock.advance(minutes=5)
    desk.complete("leader", "Task_OverdueReportEscalation", iid)
    clock.advance(minutes=5)
    desk.complete("leader", "Task_LeaderSignOff", iid)
    clock.set(utc(2026, 4, 14, 6, 0))
    raised = desk.facts(evacuated=12000)
    desk.complete("duty", "Task_FollowUpReport", iid, propose_emergency_end=False, **raised)
    assert desk.data(iid)["level_change"] == "raised"
    clock.advance(minutes=40)
    desk.complete("duty", "Task_ReReportAtNewLevel", iid)  # in time: its deadline timer is cancelled
    clock.advance(minutes=15)
    desk.complete(
        "leader",
        "Task_AdjustResponseToNewLevel",
        iid,
        city_work_group_dispatched=True,
        leader_on_scene_arranged=True,
        press_conference_arranged=True,
    )
    done = rec.drive(
        iid,
        answers={
            "Task_FollowUpReport": {**raised, "propose_emergency_end": [False, True]},
            "Task_DeclareEmergencyEnded": {"emergency_ended_at": ENDED},
            "Task_HoldPressConference": {"press_conference_held": True},
            "Task_MonitoringResults": {"pollution_under_control": True},
            "Task_PublishInformation": {"press_conference_held": False, "information_updates_pending": False},
        },
    )
    assert done["status"] == "completed", done["ready_tasks"]

    # investigation_accountability, started by five_firsts (process.start): one 三个不放过 round goes back to the
    # cause; the case review starts plan_revision
    [inv] = [i["id"] for i in desk.by_business_key(bk) if i["definition_key"] == "investigation_accountability"]
    done = rec.drive(
        inv,
        answers={
            "Task_FormInvestigationTeam": {"no_conflict_of_interest": True},
            "Task_DetermineCause": {"cause_established": [False, True]},
            "Task_DetermineResponsibility": {"responsible_dealt_with": True},
            "Task_VerifyRectification": {"rectification_done": True},
            "Task_CaseReview": {"start_plan_revision": True},
        },
        step_minutes=60 * 24,
    )
    assert done["status"] == "completed", done["ready_tasks"]

    # plan_revision, started by the case review: a major revision whose draft the experts send back once; signed
    # and issued, it is left running with the filing due in 20 working days (a waiting deadline timer)
    [plan] = [i["id"] for i in desk.by_business_key(bk) if i["definition_key"] == "plan_revision"]
    waiting = rec.drive(
        plan,
        answers={
            "Task_RecordRevisionTrigger": {"revision_trigger": "incident_lessons"},
            "Task_RetrospectiveAssessment": {"revision_decision": "major_revision"},
            "Task_ExpertReview": {"review_passed": [False, True]},
        },
        until=("Task_SubmitFiling",),
        step_minutes=60 * 24,
    )
    assert waiting["status"] == "running", waiting
    assert [t["element_id"] for t in waiting["ready_tasks"]] == ["Task_SubmitFiling"], waiting["ready_tasks"]

    # a later report of the same incident: graded, then cancelled as a duplicate with its five firsts open and the
    # initial report's deadline timer waiting
    clock.advance(minutes=30)
    duplicate = desk.record_incident("LJ-2026-0414-DUP", desk.now_cst(minutes=-20), evacuated=6000)
    clock.advance(minutes=12)
    rec.admin(duplicate, "cancel", "重复接报，并入 LJ-2026-0414-GOLD")
    return (
        "the three bundled procedures (processes/) with the bundled baseline ruleset. LJ-2026-0414-GOLD: "
        "five_firsts graded level IV, initial report claimed, suspended and resumed, the initial report's "
        "deadline timer fires, a follow-up report raises the level to II (re-report in time, its timer "
        "cancelled), completed; investigation_accountability started by it (process.start), one 三个不放过 round "
        "back to the cause, the case review starts plan_revision; plan_revision major revision, expert review "
        "failed once, signed and issued, left running with Task_SubmitFiling READY and its deadline timer "
        "waiting. LJ-2026-0414-DUP: five_firsts level III, cancelled as a "
        "duplicate with the five firsts open."
    )


SCENARIOS: dict[str, Callable[[Recording], str]] = {
    "triage": triage,
    "timers": timers,
    "loop": loop,
    "procedures": procedures,
}


# ------------------------------------------------------------------------------------------------ writing
def _recorded_with() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_engine_changes": bool(git("status", "--porcelain", "--", "engine", "rules", "api", "processes")),
        "python": platform.python_version(),
        "spiffworkflow": importlib.metadata.version("SpiffWorkflow"),
        "sqlalchemy": importlib.metadata.version("SQLAlchemy"),
        "database": "sqlite",
    }


def check_recording(url: str) -> None:
    """Today's code must verify and replay what it just wrote, byte for byte, or nothing is recorded."""
    with opened(url) as golden:
        for instance_id in golden.instance_ids():
            chain = golden.verify(instance_id)
            assert chain.intact, (instance_id, chain.message)
            replay = golden.replay(instance_id)
            assert replay.consistent and replay.checked_end, (instance_id, replay.divergence)
    tables = read_tables(url)
    stored = {row["id"]: row["snapshot"] for row in tables["instances"]}
    with opened(url) as golden:
        for instance_id, snapshot in stored.items():
            assert golden.replay(instance_id).snapshot == snapshot, f"instance {instance_id}: snapshot bytes differ"


def dumps(golden: dict[str, Any]) -> str:
    """Stable, reviewable JSON: one table row per line."""
    lines = ["{"]
    items = list(golden.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(value, list):
            rows = [json.dumps(row, ensure_ascii=False) for row in value]
            body = ",\n".join(f"    {row}" for row in rows)
            lines.append(f"  {json.dumps(key)}: [\n{body}\n  ]{comma}" if rows else f"  {json.dumps(key)}: []{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def record(name: str, out: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix=f"golden-{name}-") as tmp:
        rec = Recording(Path(tmp))
        try:
            description = SCENARIOS[name](rec)
        finally:
            rec.close()
        check_recording(rec.url)
        golden: dict[str, Any] = {
            "format": GOLDEN_FORMAT,
            "name": name,
            "description": description,
            "recorded_with": _recorded_with(),
        }
        golden.update(read_tables(rec.url))
    assert [key for key, _ in SECTIONS] == list(golden)[4:]
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(dumps(golden), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"scenarios to record (default: all of {', '.join(SCENARIOS)})")
    parser.add_argument("--out", type=Path, default=HISTORIES, help="directory of the golden files")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    for name in args.names or list(SCENARIOS):
        path = record(name, args.out)
        golden = json.loads(path.read_text(encoding="utf-8"))
        counts = ", ".join(
            f"{i['id']} {i['definition_key']} {i['status']} {i['history_seq']} events" for i in golden["instances"]
        )
        print(f"{path}: {path.stat().st_size // 1024} KB; {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
