"""Twenty people complete the same task at once: exactly one wins, the others get 409, history has one completion."""

from __future__ import annotations

import threading

from api import create_app
from tests.conftest import make_users


def test_twenty_threads_complete_the_same_task(database_url, triage_xml):
    app = create_app({"DATABASE_URL": database_url})
    tokens = make_users(app.extensions["emflow"])
    client = app.test_client()
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    duty = {"Authorization": f"Bearer {tokens['duty']}"}
    assert (
        client.post("/api/v1/definitions", data=triage_xml, headers=admin, content_type="application/xml").status_code
        == 201
    )
    inst = client.post(
        "/api/v1/instances", headers=duty, json={"definition_key": "triage", "business_key": "RACE", "data": {}}
    ).get_json()
    task_id = inst["ready_tasks"][0]["id"]

    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        c = app.test_client()
        barrier.wait()
        res = c.post(
            f"/api/v1/tasks/{task_id}/complete", headers=duty, json={"data": {"severity": n % 5, "channel": "phone"}}
        )
        with lock:
            statuses.append(res.status_code)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(statuses) == [200] + [409] * 19, statuses
    history = client.get(
        f"/api/v1/instances/{inst['id']}/history", headers={"Authorization": f"Bearer {tokens['admin']}"}
    ).get_json()
    completions = [e for e in history if e["kind"] == "task_completed"]
    assert len(completions) == 1
    final = client.get(f"/api/v1/instances/{inst['id']}", headers=admin).get_json()
    assert final["version"] == inst["version"] + 1
    winner = completions[0]["payload"]["data"]["severity"]
    assert final["data"]["severity"] == winner
    task = client.get(f"/api/v1/tasks/{task_id}", headers=admin).get_json()
    assert task["state"] == "COMPLETED"
    app.extensions["emflow"].close()
