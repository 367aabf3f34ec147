"""The inbox in the browser for work "at the first moment" (docs/DECISIONS.md D17, D21): the five firsts and a
radiation event's report read 立即 with the time elapsed since the incident was recorded (ticking), never 无时限;
the immediate report also counts down its grace; immediate work is listed above work that merely has a deadline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.browser.conftest import FACTS, FIRST_INFORMATION


def _row(instance_id: int, element_id: str) -> str:
    return f"#inbox tr[data-instance='{instance_id}'][data-element='{element_id}']"


def test_immediate_work_reads_immediately_with_the_time_elapsed_and_comes_first(
    page: Any, server: Any, recorded_incident: Any
) -> None:
    services = server.app.extensions["emflow"]
    server.tokens["chief"] = services.users.add("chief", "responder", ["duty_officer", "emergency_office"])[1]
    ordinary = recorded_incident("LJ-2026-IMM-1", report_due_in=timedelta(hours=3))
    started = server.api(
        "POST",
        "/instances",
        as_="chief",
        json={"definition_key": "five_firsts", "business_key": "RAD-2026-IMM-2", "data": FIRST_INFORMATION},
    )
    [record] = started["ready_tasks"]
    discovered = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()  # a class IV source, lost 20 minutes ago
    data = {**FIRST_INFORMATION, **FACTS, "radioactive_source_class": "IV", "discovered_at": discovered}
    radiation = server.api("POST", f"/tasks/{record['id']}/complete", as_="chief", json={"data": data})

    page.goto("/ui/")
    page.fill("#token", server.tokens["chief"])
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#inbox")

    report = page.locator(f"{_row(radiation['id'], 'Task_InitialReport')} td:nth-child(4)")
    text = report.inner_text()
    assert re.search(r"立即 已过 00:00:\d\d", text), text  # immediate, counted from the recording, not late
    assert re.search(r"剩余 00:[45]\d:\d\d", text), text  # its grace of 60 minutes counts down
    assert "已超时" not in text
    dispatch = page.locator(f"{_row(radiation['id'], 'Task_DispatchToScene')} td:nth-child(4)")
    first = dispatch.inner_text()
    assert re.fullmatch(r"立即 已过 00:00:\d\d", first.strip()), first
    assert "无时限" not in first
    assert "immediate" in page.get_attribute(_row(radiation["id"], "Task_DispatchToScene"), "class")
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel).textContent !== text",
        arg=[f"{_row(radiation['id'], 'Task_DispatchToScene')} td:nth-child(4)", first],
    )  # the elapsed time ticks

    rows = page.eval_on_selector_all(
        "#inbox tbody tr", "rows => rows.map(r => [Number(r.dataset.instance), r.dataset.element])"
    )
    assert rows.index([radiation["id"], "Task_InitialReport"]) < rows.index([ordinary["id"], "Task_InitialReport"])
    assert rows.index([ordinary["id"], "Task_DispatchToScene"]) < rows.index([ordinary["id"], "Task_InitialReport"])

    page.click(f"{_row(radiation['id'], 'Task_DispatchToScene')} a")
    page.wait_for_selector(".task-meta")
    assert re.search(r"时限： 立即 已过 00:0\d:\d\d", page.inner_text(".task-meta")), page.inner_text(".task-meta")
    assert not page.errors, page.errors
