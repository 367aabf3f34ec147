"""The responder's inbox and task pages in the browser: report a five_firsts incident, record it through its form
(the API's field errors appear next to the fields), then see the escalation decision with its reasons on the next
task; the inbox puts the most urgent deadline first and its countdown turns overdue while the page is open."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

FACT_CHOICES = {
    "water_source_interruption": "none",
    "radioactive_source_class": "none",
    "radiation_wide_severe_contamination": "false",
    "ecological_damage": "none",
    "cross_boundary": "none",
    "heavy_metal": "false",
    "affects_drinking_water_source": "false",
    "mass_incident": "false",
    "sensitive_period": "false",
    "reporting_authority": "county",
}
NUMBERS = ("deaths", "injured_or_poisoned", "evacuated", "direct_loss_yuan")


def _row(instance_id: int, element_id: str) -> str:
    return f"#inbox tr[data-instance='{instance_id}'][data-element='{element_id}']"


def test_responder_works_a_five_firsts_incident_from_the_inbox(
    page: Any, server: Any, login: Any, recorded_incident: Any
) -> None:
    late = recorded_incident("LJ-2026-LATE", report_due_in=timedelta(seconds=6))  # falls due while we work
    login("duty")
    page.wait_for_selector("#inbox")

    # a new incident reported from the start page lands in the inbox
    page.click("header nav a[href='#/start']")
    page.select_option("#start-key", "five_firsts")
    page.fill("#business-key", "LJ-2026-0414-01")
    page.fill(
        "#start-data",
        json.dumps(
            {"source": "12369环保举报热线", "place": "临江县滨江化工园区", "description": "苯乙烯储罐泄漏"},
            ensure_ascii=False,
        ),
    )
    page.click("#start-submit")
    record_row = page.locator("#inbox tr.highlight[data-element='Task_RecordIncident']")
    record_row.wait_for()
    instance_id = int(record_row.get_attribute("data-instance"))

    # the task page renders the form from camunda:formData, prefilled with what the report already said
    record_row.locator("a").click()
    page.wait_for_selector("#task-form")
    assert page.inner_text("label[for='field-source']").startswith("信息来源")
    assert page.input_value("#field-source") == "12369环保举报热线"
    assert page.locator("#task-form .field").count() == 25  # 19 facts and more: D18-D20, the other receptor
    assert page.locator("#field-water_source_interruption option").all_inner_texts()[:2] == ["请选择", "无取水中断"]

    # the API's 422 names the fields; each message appears next to its field
    page.fill("#field-deaths", "-1")
    page.click("#complete")
    page.wait_for_selector("#task-status .notice.error")
    assert page.inner_text("#field-deaths-error") == "不得小于 0"
    assert page.inner_text("#field-heavy_metal-error") == "必填"
    assert page.inner_text("#field-source-error") == ""
    assert "invalid" in page.get_attribute("[data-field='deaths']", "class")

    for name in NUMBERS:
        page.fill(f"#field-{name}", "0")
    for name, value in FACT_CHOICES.items():
        page.select_option(f"#field-{name}", value)
    page.click("[data-field='discovered_at'] button.now")
    page.click("#complete")
    page.wait_for_selector(".notice.ok:has-text('已完成任务「核实并记录事件信息」')")

    # most urgent first: the late incident's report (due in seconds) above this one's (due in four hours)
    ours, theirs = _row(instance_id, "Task_InitialReport"), _row(late["id"], "Task_InitialReport")
    rows = page.eval_on_selector_all(
        "#inbox tbody tr", "rows => rows.map(r => [Number(r.dataset.instance), r.dataset.element])"
    )
    assert rows.index([late["id"], "Task_InitialReport"]) < rows.index([instance_id, "Task_InitialReport"])
    countdown = page.locator(f"{ours} .countdown")
    first = countdown.inner_text()
    assert re.fullmatch(r"剩余 0[34]:\d\d:\d\d", first), first
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel).textContent !== text", arg=[f"{ours} .countdown", first]
    )  # it ticks
    page.wait_for_selector(f"{theirs} .countdown.overdue", timeout=15_000)  # and turns overdue on the open page
    assert page.inner_text(f"{theirs} .countdown").startswith("已超时")

    # the next task shows the incident and the escalation decision with its reasons
    page.click(f"{ours} a")
    page.wait_for_selector("#escalation-reasons li")
    assert page.inner_text("#escalation-level") == "一般（Ⅳ级）"
    reasons = page.locator("#escalation-reasons li").all_inner_texts()
    assert reasons and all("Ⅳ级" in reason for reason in reasons), reasons  # the Chinese rendering (reasons_zh)
    assert "240 分钟内" in page.inner_text("#escalation")
    assert "临江县滨江化工园区" in page.inner_text("#incident")
    assert re.search(r"剩余 0[34]:\d\d:\d\d", page.inner_text(".task-meta"))

    # English on request; the diagram's own labels stay as written
    page.click("#language")
    page.wait_for_selector("#escalation h2:has-text('Escalation decision')")
    assert page.inner_text("#escalation-level") == "Level IV (general)"
    english = page.locator("#escalation-reasons li").all_inner_texts()
    assert len(english) == len(reasons) and all("→ IV" in reason for reason in english), english
    assert page.inner_text("label[for='field-occurred_at']").startswith("事件发生时间")
    assert not page.errors, page.errors
