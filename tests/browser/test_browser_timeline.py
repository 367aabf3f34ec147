"""The auditor's instance timeline in the browser: the diagram marked completed / active / overdue, the history
beside it, the hash chain verified, a replay to an earlier event that re-marks the diagram, and the CSV export."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

MARKED = """sel => Object.fromEntries([...document.querySelectorAll(sel + ' g.djs-element')]
  .map(g => [g.dataset.elementId, [...g.classList].find(c => c.startsWith('emf-'))])
  .filter(([, marker]) => marker))"""


def _marks_at(page: Any, seq: int) -> dict[str, str]:
    page.wait_for_selector(f"#timeline-canvas[data-seq='{seq}']")
    return page.evaluate(MARKED, "#timeline-canvas")


def test_auditor_replays_an_instance_on_its_diagram(page: Any, server: Any, login: Any, recorded_incident: Any) -> None:
    instance = recorded_incident("LJ-2026-AUDIT", report_due_in=timedelta(seconds=1))
    history = server.api("GET", f"/instances/{instance['id']}/history", as_="auditor")
    last = history[-1]["seq"]
    time.sleep(1.2)  # the initial report's deadline has passed (no scheduler fires it): READY and overdue
    login("auditor")
    page.wait_for_selector("#instances")
    page.click(f"#instances a[href='#/instance/{instance['id']}']")

    marks = _marks_at(page, last)
    assert marks["Start_IncidentReported"] == "emf-completed"
    assert marks["Task_RecordIncident"] == "emf-completed"
    assert marks["Service_EvaluateEscalation"] == "emf-completed"
    assert marks["Task_DispatchToScene"] == "emf-active"
    assert marks["Task_InitialReport"] == "emf-overdue"
    assert page.locator("#history li").count() == len(history)
    assert page.inner_text("#chain") == f"哈希链完整（{len(history)} 条事件）"
    assert "回放完整复现了存储状态" in page.inner_text("#replay-info")

    # back to the first event: the first command (start) is what the diagram shows now
    page.focus("#replay-slider")
    page.keyboard.press("Home")
    recorded = next(e["seq"] for e in history if e["kind"] == "task_completed")
    start_command = recorded - 1  # a command's events commit together: replay shows the state after the command
    earlier = _marks_at(page, start_command)
    assert earlier == {"Start_IncidentReported": "emf-completed", "Task_RecordIncident": "emf-active"}
    assert page.locator("#history li.future").count() == len(history) - start_command
    assert "核实并记录事件信息" in page.inner_text("#replay-info")

    # a click on the history's task_completed event replays the recording: the diagram is re-marked again
    page.click(f"#history li[data-seq='{recorded}']")
    assert _marks_at(page, last) == marks

    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename == f"instance-{instance['id']}-history.csv"
    csv = Path(download.path()).read_bytes().decode("utf-8")
    assert csv.startswith("\ufeffinstance_id,definition_key") and csv.count("\r\n") == len(history) + 1
    assert not page.errors, page.errors
