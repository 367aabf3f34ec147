"""plan_revision (应急预案修订与备案, docs/PROCEDURES.md section 3) walked through the HTTP API: a major revision
filed after a one-time notice of every missing document, the 20-working-day filing deadline across the Spring
Festival, an item adjustment notified in writing, a plan the company meeting did not pass (never signed), and a
first plan (首次编制) filed before its project goes into production."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

PLAN = "江城新材料有限公司突发环境事件应急预案"
OWNER = "江城新材料有限公司"
# every document F2015 asks of a filing, checked as present
ALL_FILING_DOCUMENTS = dict.fromkeys(
    (
        "doc_filing_form",
        "doc_plan_and_explanatory_note",
        "doc_risk_assessment_report",
        "doc_resource_survey_report",
        "doc_review_opinion",
    ),
    True,
)
MEETING_PASSED = {"company_meeting_passed": True, "company_meeting_opinion": "经总经理办公会审议，同意发布实施"}
MAJOR_REVISION = {
    "Task_RetrospectiveAssessment": {"revision_decision": "major_revision"},
    "Task_ExpertReview": {"review_passed": True},
    "Task_CompanyMeeting": MEETING_PASSED,
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def start_revision(desk, business_key: str, trigger: str, details: str) -> int:
    """The plan owner reports a revision trigger (F2015 Art.12) directly through the API."""
    started = desk.start(
        "plan_revision",
        business_key,
        {"plan_name": PLAN, "plan_owner_unit": OWNER, "revision_trigger": trigger, "revision_trigger_details": details},
        as_="owner",
    )
    assert started["status"] == "running"
    assert desk.ready(started["id"]) == {"Task_RecordRevisionTrigger": "plan_owner"}
    desk.complete(
        "owner",
        "Task_RecordRevisionTrigger",
        started["id"],
        plan_name=PLAN,
        plan_owner_unit=OWNER,
        revision_trigger=trigger,
        revision_trigger_details=details,
    )
    assert desk.ready(started["id"]) == {"Task_RetrospectiveAssessment": "plan_owner"}
    return started["id"]


def test_filing_with_missing_documents_is_notified_at_once_then_filed(desk):
    bk = "PLAN-330122-2023-036"
    plan = start_revision(desk, bk, "drill_findings", "2026年3月演练发现雨水排口切断程序缺失")
    assert desk.inbox("authority", plan) == [] and desk.inbox("expert", plan) == []
    desk.complete(
        "owner", "Task_RetrospectiveAssessment", plan, revision_decision="major_revision", assessed_at="2026-04-14"
    )
    for element in ("Task_FormDraftingGroup", "Task_RiskAssessment", "Task_ResourceSurvey", "Task_DraftPlan"):
        assert desk.ready(plan) == {element: "plan_owner"}
        desk.complete("owner", element, plan)
    assert desk.ready(plan) == {"Task_Drill": "plan_owner", "Task_ExpertReview": "expert"}

    # the experts do not pass the draft: it is revised, then reviewed and drilled again
    desk.complete(
        "expert",
        "Task_ExpertReview",
        plan,
        review_passed=False,
        review_opinion="未明确雨水排口切断责任人，需修改后重新评审",
    )
    desk.complete("owner", "Task_Drill", plan)
    assert desk.ready(plan) == {"Task_DraftPlan": "plan_owner"}
    desk.complete("owner", "Task_DraftPlan", plan, draft_version="2026版（修改稿）")
    assert desk.ready(plan) == {"Task_Drill": "plan_owner", "Task_ExpertReview": "expert"}
    desk.complete("owner", "Task_Drill", plan)  # the drill comes first this time (the other order: below)
    # the join waits for the experts (SpiffWorkflow alone counted round one's arrival again and fired early)
    assert desk.ready(plan) == {"Task_ExpertReview": "expert"}
    desk.complete("expert", "Task_ExpertReview", plan, review_passed=True, residents_representatives_invited=True)
    assert desk.ready(plan) == {"Task_CompanyMeeting": "plan_owner"}
    assert [
        e["payload"]["data"]["review_passed"] for e in desk.events(plan, "task_completed", "Task_ExpertReview")
    ] == [False, True]
    desk.complete("owner", "Task_CompanyMeeting", plan, **MEETING_PASSED)
    assert desk.ready(plan) == {"Task_SignAndIssue": "plan_owner"}
    issued_at = "2026-04-14T10:00:00+08:00"
    desk.complete("owner", "Task_SignAndIssue", plan, issued_at=issued_at)
    submit = desk.ready_task(plan, "Task_SubmitFiling")
    assert submit["lane"] == "plan_owner"
    assert desk.parse(submit["due_at"]) == desk.parse(desk.data(plan)["filing_due_at"])

    desk.clock.set(utc(2026, 4, 20, 1, 0))  # Monday 20 April, 09:00 CST: the owner files
    desk.complete("owner", "Task_SubmitFiling", plan, filing_kind="change_filing")
    check = desk.ready_task(plan, "Task_CheckFilingMaterials")
    assert check["lane"] == "filing_authority"
    assert desk.parse(check["due_at"]) == utc(2026, 4, 27, 1, 0)  # 5 working days: 21, 22, 23, 24, 27 April
    assert [f["id"] for f in check["form"] if f["type"] == "boolean"] == [
        "doc_filing_form",
        "doc_plan_and_explanatory_note",
        "doc_risk_assessment_report",
        "doc_resource_survey_report",
        "doc_review_opinion",
    ]

    # two of the five documents are missing: one notice names both
    desk.complete(
        "authority",
        "Task_CheckFilingMaterials",
        plan,
        doc_filing_form=True,
        doc_plan_and_explanatory_note=True,
        doc_risk_assessment_report=False,
        doc_resource_survey_report=True,
        doc_review_opinion=False,
    )
    assert desk.ready(plan) == {"Task_NotifyMissingMaterials": "filing_authority"}
    data = desk.data(plan)
    assert data["missing_documents"] == ["doc_risk_assessment_report", "doc_review_opinion"]
    assert data["missing_documents_text"] == "环境风险评估报告、环境应急预案评审意见"
    assert "filing_status" not in data
    desk.clock.set(utc(2026, 4, 21, 1, 0))
    desk.complete("authority", "Task_NotifyMissingMaterials", plan, resubmission_working_days=5)
    resubmit = desk.ready_task(plan, "Task_SubmitFiling")
    assert resubmit["lane"] == "plan_owner"
    assert desk.parse(resubmit["due_at"]) == utc(2026, 4, 28, 1, 0)  # 5 working days from the notice

    desk.clock.set(utc(2026, 4, 23, 1, 0))
    desk.complete(
        "owner",
        "Task_SubmitFiling",
        plan,
        filing_kind="change_filing",
        submission_notes="按临环备告〔2026〕8号补齐环境风险评估报告和评审意见",
    )
    desk.complete(
        "authority",
        "Task_CheckFilingMaterials",
        plan,
        **ALL_FILING_DOCUMENTS,
    )
    assert desk.ready(plan) == {"Task_IssueFilingReceipt": "filing_authority"}
    assert desk.data(plan)["missing_documents"] == []
    desk.complete("authority", "Task_IssueFilingReceipt", plan, sealed_filing_form_issued=True)
    data = desk.data(plan)
    assert data["filing_status"] == "filed"
    assert desk.ready(plan) == {"Task_PublishFiledPlan": "filing_authority"}
    waiting = desk.complete("authority", "Task_PublishFiledPlan", plan)

    # filed, never "approved"; the plan waits for its next trigger, the retrospective due three years on
    assert waiting["status"] == "running" and waiting["ready_tasks"] == []
    assert "approved" not in json.dumps(waiting).lower()
    assert "approved" not in json.dumps(desk.history(plan)).lower()
    assert desk.completed_elements(plan).count("Task_NotifyMissingMaterials") == 1
    assert desk.completed_elements(plan).count("Task_CheckFilingMaterials") == 2
    assert desk.parse(waiting["data"]["retrospective_due_at"]) == desk.parse(issued_at) + timedelta(days=1095)

    # the next trigger (a risk change) opens the next cycle of the same plan
    again = desk.send(plan, "revision_trigger", "risk_changed", as_="owner")
    assert again["data"]["revision_trigger"] == "risk_changed"
    assert desk.ready(plan) == {"Task_RecordRevisionTrigger": "plan_owner"}


def test_filing_deadline_counts_20_working_days_across_the_spring_festival(desk):
    desk.clock.set(utc(2026, 2, 2, 1, 0))
    plan = start_revision(desk, "PLAN-330122-2023-041", "risk_changed", "新增一条苯乙烯生产线")
    desk.drive(plan, until=("Task_SignAndIssue",), answers=MAJOR_REVISION)
    assert desk.ready(plan) == {"Task_SignAndIssue": "plan_owner"}
    desk.clock.set(utc(2026, 2, 10, 2, 0))
    desk.complete("owner", "Task_SignAndIssue", plan, issued_at="2026-02-10T10:00:00+08:00")

    # from Tue 10 Feb: 11-13, Sat 14 (adjusted working day), then the holiday 15-23 Feb; 24-28 (Sat 28 adjusted),
    # 2-6 and 9-13 March, Mon 16 March is the 20th working day (plain weekdays would give 10 March)
    due = utc(2026, 3, 16, 2, 0)
    assert desk.parse(desk.data(plan)["filing_due_at"]) == due
    assert desk.data(plan)["filing_due_at"] == "2026-03-16T10:00:00+08:00"
    assert desk.parse(desk.ready_task(plan, "Task_SubmitFiling")["due_at"]) == due

    desk.clock.set(due - timedelta(seconds=1))
    assert desk.fire_due_timers() == 0
    desk.clock.set(due + timedelta(seconds=1))
    assert desk.fire_due_timers() == 1
    assert desk.ready(plan) == {"Task_SubmitFiling": "plan_owner", "Task_OverdueFiling": "filing_authority"}
    assert [t["element_id"] for t in desk.inbox("authority", plan)] == ["Task_OverdueFiling"]
    [fired] = desk.events(plan, "timer_fired")
    assert fired["element_id"] == "Timer_FilingOverdue" and fired["payload"]["attached_to"] == "Task_SubmitFiling"
    assert desk.parse(fired["payload"]["due_at"]) == due
    desk.complete("authority", "Task_OverdueFiling", plan)
    desk.complete("owner", "Task_SubmitFiling", plan, filing_kind="change_filing")
    assert desk.ready(plan) == {"Task_CheckFilingMaterials": "filing_authority"}


def test_item_adjustment_is_notified_in_writing_within_20_working_days(desk):
    bk = "PLAN-330122-2023-052"
    plan = start_revision(desk, bk, "organisation_changed", "企业安全环保部负责人调整")
    desk.complete(
        "owner",
        "Task_RetrospectiveAssessment",
        plan,
        revision_decision="item_adjustment",
        assessed_at="2026-04-14",
        decision_reason="仅应急指挥部成员及联系方式发生变化，属个别内容调整",
    )
    assert desk.ready(plan) == {"Task_AdjustItems": "plan_owner"}
    desk.complete("owner", "Task_AdjustItems", plan, issued_at="2026-04-14")

    # a date without a time: the deadline is the end of the 20th working day after it — Labour Day (1-5 May) is
    # skipped and Saturday 9 May is an adjusted working day: 15-17, 20-24, 27-30 April, 6-9, 11-14 May
    notice = desk.ready_task(plan, "Task_WrittenChangeNotice")
    assert notice["lane"] == "plan_owner"
    assert desk.data(plan)["change_notice_due_at"] == "2026-05-15T00:00:00+08:00"
    assert desk.parse(notice["due_at"]) == utc(2026, 5, 14, 16, 0)
    desk.clock.set(utc(2026, 4, 28, 1, 0))
    desk.complete("owner", "Task_WrittenChangeNotice", plan)
    assert desk.ready(plan) == {"Task_PublishFiledPlan": "filing_authority"}
    waiting = desk.complete("authority", "Task_PublishFiledPlan", plan)
    assert waiting["status"] == "running" and waiting["ready_tasks"] == []
    assert desk.parse(waiting["data"]["retrospective_due_at"]) == utc(2029, 4, 12, 16, 0)  # assessed + 1095 days

    # the simplified procedure: no drafting, review or filing check
    path = desk.touched(plan)
    assert not path & {
        "Task_FormDraftingGroup",
        "Task_ExpertReview",
        "Task_SignAndIssue",
        "Task_SubmitFiling",
        "Task_CheckFilingMaterials",
        "Task_IssueFilingReceipt",
        "Task_OverdueChangeNotice",
    }
    assert desk.completed_elements(plan) == [
        "Task_RecordRevisionTrigger",
        "Task_RetrospectiveAssessment",
        "Task_AdjustItems",
        "Task_WrittenChangeNotice",
        "Task_PublishFiledPlan",
    ]
    desk.clock.set(utc(2026, 5, 20, 1, 0))
    assert desk.fire_due_timers() == 0  # notified in time: the change-notice timer was cancelled

    # the enterprise closes: the plan is withdrawn and the instance ends
    ended = desk.send(plan, "plan_withdrawn", {"reason": "企业停产关闭"}, as_="owner")
    assert ended["status"] == "completed"
    assert "End_PlanWithdrawn" in desk.touched(plan)


def test_passed_second_review_leads_to_signature_when_the_drill_finishes_last(desk):
    """Regression: after a failed review, the drill branch carried the old ``review_passed = False`` to the join
    and, finishing after the experts, overwrote their new verdict; Script_ClearReviewVerdict clears it."""
    plan = start_revision(desk, "PLAN-330122-2023-037", "drill_findings", "演练发现问题")
    desk.complete(
        "owner", "Task_RetrospectiveAssessment", plan, revision_decision="major_revision", assessed_at="2026-04-14"
    )
    for element in ("Task_FormDraftingGroup", "Task_RiskAssessment", "Task_ResourceSurvey", "Task_DraftPlan"):
        desk.complete("owner", element, plan)
    desk.complete("expert", "Task_ExpertReview", plan, review_passed=False, review_opinion="需修改")
    desk.complete("owner", "Task_Drill", plan)
    desk.complete("owner", "Task_DraftPlan", plan, draft_version="修改稿")
    desk.complete("expert", "Task_ExpertReview", plan, review_passed=True, residents_representatives_invited=True)
    desk.complete("owner", "Task_Drill", plan)  # the drill finishes last this time
    assert desk.ready(plan) == {"Task_CompanyMeeting": "plan_owner"}  # the passed plan goes to the company meeting
    assert desk.data(plan)["review_passed"] is True


# ---------------------------------------------------------------------------------------- the company meeting


def test_a_plan_the_company_meeting_did_not_pass_is_not_signed_or_filed(desk):
    """F2015 Art.10 (5): deliberation at a company meeting, then signature and issue. A plan the meeting does not
    pass goes back to the draft, is reviewed, drilled and deliberated again; signing is never offered for it."""
    plan = start_revision(desk, "PLAN-330122-2023-044", "risk_changed", "新增危险废物暂存库")
    desk.drive(plan, until=("Task_CompanyMeeting",), answers=MAJOR_REVISION)
    meeting = desk.task("owner", "Task_CompanyMeeting", plan)
    by_id = {f["id"]: f for f in meeting["form"]}
    assert by_id["company_meeting_passed"]["type"] == "boolean" and by_id["company_meeting_passed"]["required"]
    assert by_id["company_meeting_opinion"]["multiline"] is True  # the opinion is a narrative: a textarea

    # the meeting cannot be recorded without its verdict
    missing = desk.api.post(
        f"/api/v1/tasks/{meeting['id']}/complete",
        as_="owner",
        json={"data": {"company_meeting_at": desk.now_cst(), "company_meeting_opinion": "未形成结论"}},
    )
    assert missing.status_code == 422
    assert missing.get_json()["error"]["details"] == {"company_meeting_passed": "required (「单位会议审议通过」必填)"}
    assert desk.ready(plan) == {"Task_CompanyMeeting": "plan_owner"}

    # not passed: back to the draft, and nothing is signed, issued or due
    desk.complete(
        "owner",
        "Task_CompanyMeeting",
        plan,
        company_meeting_passed=False,
        company_meeting_opinion="应急物资储备清单与实际不符，雨水排口切断责任人未落实，修改后重新审议",
    )
    assert desk.ready(plan) == {"Task_DraftPlan": "plan_owner"}
    data = desk.data(plan)
    assert not {"issued_at", "filing_due_at", "principal_signatory"} & set(data)
    assert "Task_SignAndIssue" not in desk.touched(plan)

    # the changed plan is reviewed, drilled and deliberated again; passed, it is signed and its filing falls due
    desk.complete("owner", "Task_DraftPlan", plan, draft_version="2026版（会议修改稿）")
    assert desk.ready(plan) == {"Task_Drill": "plan_owner", "Task_ExpertReview": "expert"}
    desk.complete("expert", "Task_ExpertReview", plan, review_passed=True)
    desk.complete("owner", "Task_Drill", plan)
    assert desk.ready(plan) == {"Task_CompanyMeeting": "plan_owner"}
    desk.complete("owner", "Task_CompanyMeeting", plan, **MEETING_PASSED)
    sign = desk.task("owner", "Task_SignAndIssue", plan)
    assert [f["id"] for f in sign["form"]] == ["principal_signatory", "plan_version", "issued_at"]
    desk.complete("owner", "Task_SignAndIssue", plan, issued_at="2026-04-20T10:00:00+08:00")
    assert desk.ready(plan) == {"Task_SubmitFiling": "plan_owner"}
    assert desk.data(plan)["filing_due_at"] == "2026-05-20T10:00:00+08:00"  # 20 working days, Labour Day skipped
    meetings = desk.events(plan, "task_completed", "Task_CompanyMeeting")
    assert [e["payload"]["data"]["company_meeting_passed"] for e in meetings] == [False, True]
    assert desk.completed_elements(plan).count("Task_ExpertReview") == 2
    assert desk.completed_elements(plan).count("Task_SignAndIssue") == 1


# ------------------------------------------------------------------------------------------------ first plan
FIRST_PLAN_DATA = {"plan_stage": "first_plan", "plan_name": PLAN, "plan_owner_unit": OWNER}
PROJECT = {
    "first_plan_reason": "construction_project",
    "project_name": "江城新材料有限公司年产5万吨苯乙烯衍生物扩建项目",
}


def start_first_plan(desk, business_key: str, planned_production_at: str) -> int:
    """A unit without a plan (a new construction project) starts plan_revision through the API: 首次编制."""
    started = desk.start("plan_revision", business_key, FIRST_PLAN_DATA, as_="owner")
    assert started["status"] == "running"
    assert desk.ready(started["id"]) == {"Task_RecordFirstPlan": "plan_owner"}
    desk.complete(
        "owner",
        "Task_RecordFirstPlan",
        started["id"],
        plan_name=PLAN,
        plan_owner_unit=OWNER,
        planned_production_at=planned_production_at,
        **PROJECT,
    )
    return started["id"]


def test_a_first_plan_is_drafted_and_filed_before_production_starts(desk):
    first = desk.start("plan_revision", "PLAN-330122-2026-101", FIRST_PLAN_DATA, as_="owner")
    task = desk.task("owner", "Task_RecordFirstPlan", first["id"])
    described = {f["id"]: (f["type"], f["required"], f["multiline"]) for f in task["form"]}
    assert described["planned_production_at"] == ("date", True, False)
    assert described["first_plan_details"] == ("string", False, True)
    assert {o["id"] for o in next(f for f in task["form"] if f["id"] == "first_plan_reason")["enum"]} == {
        "new_unit",
        "construction_project",
    }
    desk.complete(
        "owner",
        "Task_RecordFirstPlan",
        first["id"],
        planned_production_at="2026-06-01",
        first_plan_details="委托技术服务单位编制\n2026年4月启动风险评估和资源调查",
        **PROJECT,
    )
    plan = first["id"]

    # no plan to assess yet: straight into the drafting steps of F2015 Art.10, meeting and signature included
    assert desk.ready(plan) == {"Task_FormDraftingGroup": "plan_owner"}
    desk.drive(plan, until=("Task_SignAndIssue",), answers=MAJOR_REVISION)
    desk.clock.set(utc(2026, 5, 6, 2, 0))  # Wednesday 6 May
    desk.complete("owner", "Task_SignAndIssue", plan, issued_at="2026-05-06T10:00:00+08:00")

    # due before production starts on 1 June (a revision would have 20 working days: until 2 June, 10:00)
    data = desk.data(plan)
    assert data["filing_due_at"] == "2026-06-01T00:00:00+08:00"
    submit = desk.ready_task(plan, "Task_SubmitFiling")
    assert desk.parse(submit["due_at"]) == utc(2026, 5, 31, 16, 0)

    desk.clock.set(utc(2026, 5, 20, 1, 0))
    desk.complete("owner", "Task_SubmitFiling", plan, filing_kind="first_filing")
    desk.complete(
        "authority",
        "Task_CheckFilingMaterials",
        plan,
        **ALL_FILING_DOCUMENTS,
    )
    desk.complete("authority", "Task_IssueFilingReceipt", plan, filing_no="330122-2026-101-L")
    waiting = desk.complete("authority", "Task_PublishFiledPlan", plan)
    assert waiting["status"] == "running" and waiting["ready_tasks"] == []
    assert waiting["data"]["filing_status"] == "filed"
    assert waiting["data"]["plan_stage"] == "revision"  # the plan exists now: later cycles are revisions
    assert desk.parse(waiting["data"]["retrospective_due_at"]) == utc(2026, 5, 6, 2, 0) + timedelta(days=1095)
    desk.clock.set(utc(2026, 6, 2, 1, 0))
    assert desk.fire_due_timers() == 0  # filed in time: no overdue filing once production has started
    assert desk.completed_elements(plan) == [
        "Task_RecordFirstPlan",
        "Task_FormDraftingGroup",
        "Task_RiskAssessment",
        "Task_ResourceSurvey",
        "Task_DraftPlan",
        "Task_Drill",
        "Task_ExpertReview",
        "Task_CompanyMeeting",
        "Task_SignAndIssue",
        "Task_SubmitFiling",
        "Task_CheckFilingMaterials",
        "Task_IssueFilingReceipt",
        "Task_PublishFiledPlan",
    ]
    assert [e["payload"]["data"]["filing_kind"] for e in desk.events(plan, "task_completed", "Task_SubmitFiling")] == [
        "first_filing"
    ]

    # the next cycle is a revision: its filing is due 20 working days after issue, not at a production start
    desk.clock.set(utc(2026, 9, 1, 1, 0))
    desk.send(plan, "revision_trigger", "drill_findings", as_="owner")
    assert desk.ready(plan) == {"Task_RecordRevisionTrigger": "plan_owner"}
    desk.complete("owner", "Task_RecordRevisionTrigger", plan, revision_trigger="drill_findings")
    desk.drive(plan, until=("Task_SignAndIssue",), answers=MAJOR_REVISION)
    desk.complete("owner", "Task_SignAndIssue", plan, issued_at="2026-09-01T10:00:00+08:00")
    # 2-4, 7-11, 14-18 September, Sunday 20 (an adjusted working day), 21-24 (25 is 中秋节), 28 and 29
    assert desk.data(plan)["filing_due_at"] == "2026-09-29T10:00:00+08:00"


def test_a_first_plans_filing_deadline_is_the_planned_production_start(desk):
    # issued on Tuesday 14 April, production from 1 September: filed any time before then, not within 20 working days
    plan = start_first_plan(desk, "PLAN-330122-2026-102", "2026-09-01")
    desk.drive(plan, until=("Task_SignAndIssue",), answers=MAJOR_REVISION)
    desk.complete("owner", "Task_SignAndIssue", plan, issued_at="2026-04-14T10:00:00+08:00")
    due = utc(2026, 8, 31, 16, 0)  # 1 September, 00:00 China Standard Time
    assert desk.parse(desk.ready_task(plan, "Task_SubmitFiling")["due_at"]) == due

    desk.clock.set(utc(2026, 5, 14, 3, 0))  # past 20 working days after issue (14 May, 10:00): no false alarm
    assert desk.fire_due_timers() == 0
    assert desk.inbox("authority", plan) == []
    desk.clock.set(due - timedelta(seconds=1))
    assert desk.fire_due_timers() == 0
    desk.clock.set(due + timedelta(seconds=1))
    assert desk.fire_due_timers() == 1
    assert desk.ready(plan) == {"Task_SubmitFiling": "plan_owner", "Task_OverdueFiling": "filing_authority"}
    [fired] = desk.events(plan, "timer_fired")
    assert fired["element_id"] == "Timer_FilingOverdue" and desk.parse(fired["payload"]["due_at"]) == due
    assert [t["element_id"] for t in desk.inbox("authority", plan)] == ["Task_OverdueFiling"]
    desk.complete("authority", "Task_OverdueFiling", plan, overdue_filing_action="责令企业投产前补办备案，暂缓投产")
    desk.complete("owner", "Task_SubmitFiling", plan, filing_kind="first_filing")
    assert desk.ready(plan) == {"Task_CheckFilingMaterials": "filing_authority"}


def test_a_first_plan_issued_after_production_started_is_overdue_at_once(desk):
    plan = start_first_plan(desk, "PLAN-330122-2026-103", "2026-04-01")  # production began two weeks ago
    desk.drive(plan, until=("Task_SignAndIssue",), answers=MAJOR_REVISION)
    desk.complete("owner", "Task_SignAndIssue", plan, issued_at="2026-04-14T10:00:00+08:00")
    submit = desk.ready_task(plan, "Task_SubmitFiling")
    assert desk.parse(submit["due_at"]) == utc(2026, 3, 31, 16, 0)
    assert desk.ready(plan) == {"Task_SubmitFiling": "plan_owner", "Task_OverdueFiling": "filing_authority"}
    [fired] = desk.events(plan, "timer_fired")
    assert fired["element_id"] == "Timer_FilingOverdue"
    assert desk.parse(fired["payload"]["due_at"]) == utc(2026, 3, 31, 16, 0)


def test_without_a_plan_stage_an_instance_is_a_revision(desk):
    for business_key, data in (
        ("PLAN-330122-2026-104", {"plan_name": PLAN}),
        ("PLAN-330122-2026-105", {"plan_stage": "revision", "revision_trigger": "risk_changed"}),
        ("PLAN-330122-2026-106", {"plan_stage": "FIRST_PLAN"}),
    ):
        started = desk.start("plan_revision", business_key, data, as_="owner")
        assert desk.ready(started["id"]) == {"Task_RecordRevisionTrigger": "plan_owner"}, data
