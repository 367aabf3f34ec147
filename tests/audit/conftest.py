"""Fixtures for the audit tests: an app on an injected clock, the test diagrams, and direct table access for
tampering (what an attacker with database access could do, bypassing the engine)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from engine.clock import FixedClock
from engine.services import Services, build_services
from engine.store.models import HistoryEvent, ProcessInstance
from tests.conftest import FIXTURES, Api, make_users

AUDIT_FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT_PROCESSES = Path(__file__).resolve().parent.parent.parent / "processes"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 China Standard Time
H = HistoryEvent.__table__
I = ProcessInstance.__table__  # noqa: E741 - the instance table, as in the engine


class AuditEnv:
    """An API on a FixedClock plus the services behind it, for driving histories and tampering with tables."""

    def __init__(self, services: Services, clock: FixedClock, api: Api):
        self.services = services
        self.clock = clock
        self.api = api

    def deploy(self, *names: str) -> None:
        for name in names:
            path = AUDIT_FIXTURES / name if (AUDIT_FIXTURES / name).exists() else FIXTURES / name
            res = self.api.deploy(path.read_bytes())
            assert res.status_code in (200, 201), res.get_json()

    def history(self, instance_id: int) -> list[dict[str, Any]]:
        res = self.api.get(f"/api/v1/instances/{instance_id}/history", as_="auditor")
        assert res.status_code == 200, res.get_json()
        return res.get_json()

    def seq_of(self, instance_id: int, kind: str, element_id: str | None = None, nth: int = 0) -> int:
        found = [
            e["seq"]
            for e in self.history(instance_id)
            if e["kind"] == kind and (element_id is None or e["element_id"] == element_id)
        ]
        return found[nth]

    def execute(self, statement: Any) -> Any:
        with self.services.db.transaction() as conn:
            return conn.execute(statement)

    def event(self, instance_id: int, seq: int) -> Any:
        with self.services.db.connect() as conn:
            return conn.execute(select(H).where(H.c.instance_id == instance_id, H.c.seq == seq)).first()

    def set_event(self, instance_id: int, at_seq: int, **values: Any) -> None:
        self.execute(update(H).where(H.c.instance_id == instance_id, H.c.seq == at_seq).values(**values))

    def forget_cache(self) -> None:
        """After tampering, the next command must not reuse a live workflow cached before it."""
        self.services.instances.cache.clear()


TASK_FIELDS = ("id", "element_id", "name", "lane", "lane_name", "assignee", "due_at", "created_at")


class Recorder:
    """Captures every instance's live state (as ``GET /instances/<id>`` shows it) after every command."""

    def __init__(self, env: Any):
        self.env = env
        self.captures: dict[int, list[tuple[int, dict[str, Any]]]] = {}

    def __call__(self, response: Any = None) -> Any:
        if response is not None:
            assert response.status_code in (200, 201), response.get_json()
        with self.env.services.db.connect() as conn:
            heads = conn.execute(select(I.c.id, I.c.history_seq)).all()
        for instance_id, seq in heads:
            seen = self.captures.setdefault(instance_id, [])
            if not seen or seen[-1][0] != seq:
                live = self.env.api.get(f"/api/v1/instances/{instance_id}").get_json()
                seen.append((seq, _view(live)))
        return response.get_json() if response is not None else None

    def expected(self, instance_id: int, seq: int) -> dict[str, Any]:
        """The live state after event ``seq``: captured after the command whose events include it."""
        return next(state for last, state in self.captures[instance_id] if last >= seq)


def _view(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": state["status"],
        "data": state["data"],
        "ready_tasks": [{k: t[k] for k in TASK_FIELDS} for t in state["ready_tasks"]],
    }


def _replay(env, instance_id, to=None, as_="auditor"):
    url = f"/api/v1/instances/{instance_id}/replay" + (f"?to={to}" if to is not None else "")
    return env.api.get(url, as_=as_)


@pytest.fixture
def env(database_url: str) -> Iterator[AuditEnv]:
    from api import create_app

    clock = FixedClock(T0)
    services = build_services(database_url, clock=clock)
    app = create_app({"TESTING": True}, services=services)
    yield AuditEnv(services, clock, Api(app, make_users(services)))
    services.close()
