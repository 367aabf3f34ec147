"""SIGKILL the server in the middle of a stream of completions: every acknowledged completion survives the restart
and every instance still loads (its snapshot restores and it can be worked on)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


class Server:
    def __init__(self, env: dict[str, str], port: int, log: Path):
        self.url = f"http://127.0.0.1:{port}/api/v1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--threads", "4"],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start: {log.read_text()[-2000:]}")

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


def test_sigkill_loses_nothing_acknowledged(database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url}
    admin = _cli(env, "users", "add", "admin", "--role", "administrator").strip().splitlines()[-1]
    duty = (
        _cli(
            env, "users", "add", "duty", "--role", "responder", "--lane", "duty_officer", "--lane", "monitoring_station"
        )
        .strip()
        .splitlines()[-1]
    )
    _cli(env, "deploy", str(ROOT / "tests" / "fixtures" / "triage.bpmn"))
    port = _free_port()
    server = Server(env, port, tmp_path / "server.log")
    h_admin = {"Authorization": f"Bearer {admin}"}
    h_duty = {"Authorization": f"Bearer {duty}"}

    instances = []
    for n in range(40):
        res = requests.post(
            f"{server.url}/instances",
            headers=h_duty,
            timeout=10,
            json={"definition_key": "triage", "business_key": f"CRASH-{n}", "data": {}},
        )
        assert res.status_code == 201
        instances.append(res.json()["id"])

    acknowledged: list[str] = []
    stop = threading.Event()

    def stream() -> None:
        session = requests.Session()
        for instance_id in instances:
            for _ in range(2):  # Task_Record, then Task_Monitor
                if stop.is_set():
                    return
                try:
                    inst = session.get(f"{server.url}/instances/{instance_id}", headers=h_admin, timeout=5).json()
                    task_id = inst["ready_tasks"][0]["id"]
                    data = {"severity": 1, "channel": "written"} if len(inst["ready_tasks"][0]["form"]) else {}
                    res = session.post(
                        f"{server.url}/tasks/{task_id}/complete", headers=h_duty, timeout=5, json={"data": data}
                    )
                except (requests.ConnectionError, requests.Timeout, KeyError, ValueError):
                    return
                if 200 <= res.status_code < 300:
                    acknowledged.append(task_id)

    worker = threading.Thread(target=stream)
    worker.start()
    while len(acknowledged) < 25:
        time.sleep(0.005)
    server.kill()
    stop.set()
    worker.join(30)
    assert 25 <= len(acknowledged) < 80

    server = Server(env, port, tmp_path / "server.log")
    try:
        for task_id in acknowledged:
            task = requests.get(f"{server.url}/tasks/{task_id}", headers=h_admin, timeout=5).json()
            assert task["state"] == "COMPLETED", task
        for instance_id in instances:
            inst = requests.get(f"{server.url}/instances/{instance_id}", headers=h_admin, timeout=5)
            assert inst.status_code == 200
            body = inst.json()
            history = requests.get(f"{server.url}/instances/{instance_id}/history", headers=h_admin, timeout=5).json()
            assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
            # loading the snapshot: work the instance on to the end of its user tasks
            for task in body["ready_tasks"]:
                data = {"severity": 1, "channel": "written"} if task["form"] else {}
                res = requests.post(
                    f"{server.url}/tasks/{task['id']}/complete", headers=h_duty, timeout=5, json={"data": data}
                )
                assert res.status_code == 200, res.text
            res = requests.post(
                f"{server.url}/instances/{instance_id}/messages",
                headers=h_duty,
                timeout=5,
                json={"name": "no_such_message"},
            )
            assert res.status_code == 409  # the restored workflow answers: it waits for something else
    finally:
        server.kill()
