"""investigation_accountability walked through the HTTP API on the steps O32 and RAD Art.42 ask for (docs/PROCEDURES.md
section 2): publication beside the follow-up after the team leader's consent (O32 Art.6, Art.17), the case file
archived before the case closes (Art.8), the checklists of Art.11 and Art.12, the hand-over to a higher authority
that organises a level Ⅰ–Ⅲ investigation (Art.4), a radiation accident's on-site investigation (RAD Art.42) and the
litigation referral by loss or social impact. D-numbers are the decisions of docs/DECISIONS.md."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.scenarios.test_investigation_scenarios import DISCOVERED, ENDED, LEVEL_III, PARALLEL

# O32 Art.11 and Art.12, word for word: what the investigation must establish about the unit and the authority
ART11 = [
    "（一）建立环境应急管理制度、明确责任人和职责的情况",
    "（二）环境风险防范设施建设及运行的情况",
    "（三）定期排查环境安全隐患并及时落实环境风险防控措施的情况",
    "（四）环境应急预案的编制、备案、管理及实施情况",
    "（五）突发环境事件发生后的信息报告或者通报情况",
    "（六）突发环境事件发生后，启动环境应急预案，并采取控制或者切断污染源防止污染扩散的情况",
    "（七）突发环境事件发生后，服从应急指挥机构统一指挥，并按要求采取预防、处置措施的情况",
    "（八）生产安全事故、交通事故、自然灾害等其他突发事件发生后，采取预防次生突发环境事件措施的情况",
    "（九）突发环境事件发生后，是否存在伪造、故意破坏事发现场，或者销毁证据阻碍调查的情况",
]
ART12 = [
    "（一）按规定编制环境应急预案和对预案进行评估、备案、演练等的情况，以及按规定对突发环境事件发生单位环境应急预案"
    "实施备案管理的情况",
    "（二）按规定赶赴现场并及时报告的情况",
    "（三）按规定组织开展环境应急监测的情况",
    "（四）按职责向履行统一领导职责的人民政府提出突发环境事件处置或者信息发布建议的情况",
    "（五）突发环境事件已经或者可能涉及相邻行政区域时，事发地环境保护主管部门向相邻行政区域环境保护主管部门的通报情况",
    "（六）接到相邻行政区域突发环境事件信息后，相关环境保护主管部门按规定调查了解并报告的情况",
    "（七）按规定开展突发环境事件污染损害评估的情况",
]
FINDINGS = [("no_problem", "未发现问题"), ("problem_found", "发现问题"), ("not_applicable", "不涉及")]
ASSESSMENT = "生态环境损害数额约26万元，沟渠底泥需开展修复"


def start(desk, bk: str, **data: Any) -> int:
    """The organising authority opens a level Ⅲ investigation by hand (no reporting bureau named: its own case)."""
    start_data = {
        "escalation": LEVEL_III,
        "emergency_ended_at": ENDED,
        "discovered_at": DISCOVERED,
        "direct_loss_yuan": 8_000_000.0,
        "incident_unit": "江城新材料有限公司",
        **data,
    }
    return desk.start("investigation_accountability", bk, start_data, as_="leader")["id"]


def investigate_and_submit(desk, inv: int) -> None:
    """Team, plan, the parallel steps, cause established, report written and submitted on time."""
    desk.complete("leader", "Task_FormInvestigationTeam", inv, no_conflict_of_interest=True)
    desk.complete("team", "Task_InvestigationPlan", inv)
    for element in PARALLEL:
        desk.complete("team", element, inv)
    desk.complete("team", "Task_DetermineCause", inv, cause_established=True)
    for element in (
        "Task_DetermineResponsibility",
        "Task_RectificationMeasures",
        "Task_InvestigationReport",
        "Task_ReportToAuthorities",
    ):
        desk.complete("team", element, inv)


def submitted(desk, inv: int, element: str) -> dict[str, Any]:
    """The data recorded with the last completion of ``element`` (a parallel branch's data reaches the instance's
    data only at the join)."""
    return desk.events(inv, "task_completed", element)[-1]["payload"]["data"]


def refused(desk, user: str, element: str, inv: int, data: dict[str, Any]) -> dict[str, Any]:
    task = desk.task(user, element, inv)
    res = desk.api.post(f"/api/v1/tasks/{task['id']}/complete", as_=user, json={"data": data})
    assert res.status_code == 422, res.get_json()
    return res.get_json()


# ----------------------------------------------------------------------------- publication, consent, archive
def test_conclusions_are_published_while_rectification_is_still_being_verified(desk):
    """O32 Art.17 publication follows the submitted report, beside the follow-up; Art.6: nothing is released before
    the team leader consents; Art.8: the case file is archived before the case closes; 三个不放过 still holds."""
    inv = start(desk, "LJ-2026-0414-31")
    investigate_and_submit(desk, inv)
    assert (
        desk.data(inv)["pollution_damage_assessment_conclusion"]
        == desk.FORM_VALUES["pollution_damage_assessment_conclusion"]
    )

    # right after submission: the leader's consent and the follow-up, side by side; the press office has nothing yet
    assert desk.ready(inv) == {"Task_TeamLeaderConsent": "leader", "Task_FollowUpAccountability": "enforcement"}
    assert desk.inbox("press", inv) == []
    desk.complete("leader", "Task_TeamLeaderConsent", inv)
    assert desk.ready(inv)["Task_PublishConclusions"] == "press_office"

    # the assessment's conclusion is published with the investigation's (five_firsts no longer publishes it)
    form = {f["id"]: f for f in desk.task("press", "Task_PublishConclusions", inv)["form"]}
    assert form["published_assessment_result"]["required"] is True
    data = {f: desk.FORM_VALUES[f] for f in ("publication_channel", "published_content")}
    body = refused(desk, "press", "Task_PublishConclusions", inv, {**data, "conclusions_published_at": desk.now_cst()})
    assert "published_assessment_result" in json.dumps(body)
    desk.complete("press", "Task_PublishConclusions", inv, published_assessment_result=ASSESSMENT)
    assert submitted(desk, inv, "Task_PublishConclusions")["published_assessment_result"] == ASSESSMENT

    # published, but the rectification is not carried out: the case stays open at the rectification check
    desk.complete("enforcement", "Task_FollowUpAccountability", inv, responsible_dealt_with=True)
    desk.complete("enforcement", "Task_VerifyRectification", inv, rectification_done=False)
    assert desk.ready(inv) == {"Task_VerifyRectification": "enforcement"}
    assert desk.instance(inv)["status"] == "running"
    desk.complete("enforcement", "Task_VerifyRectification", inv, rectification_done=True)

    # all three hold: the case review, then the case file, then closed
    assert desk.ready(inv) == {"Task_CaseReview": "emergency_office"}
    desk.complete("office", "Task_CaseReview", inv, start_plan_revision=False)
    assert desk.ready(inv) == {"Task_ArchiveCaseFile": "emergency_office"}
    assert desk.instance(inv)["status"] == "running"
    closed = desk.complete("office", "Task_ArchiveCaseFile", inv)
    assert closed["status"] == "completed" and "End_CaseClosed" in desk.touched(inv)
    assert closed["data"]["case_file_no"] == desk.FORM_VALUES["case_file_no"]

    done = desk.completed_elements(inv)
    assert done.index("Task_TeamLeaderConsent") < done.index("Task_PublishConclusions")
    assert done.index("Task_PublishConclusions") < done.index("Task_VerifyRectification")
    assert done[-2:] == ["Task_CaseReview", "Task_ArchiveCaseFile"]
    [consent] = desk.events(inv, "task_completed", "Task_TeamLeaderConsent")
    assert consent["actor"] == "leader"


# ------------------------------------------------------------------------------------------------ checklists
@pytest.mark.parametrize(
    ("element", "wording", "problem_field"),
    [
        ("Task_ExamineIncidentUnit", ART11, "unit_evidence_integrity"),
        ("Task_ExamineAuthorityDuties", ART12, "authority_neighbour_notification"),
    ],
)
def test_the_team_establishes_each_point_of_art11_and_art12_on_a_form(desk, element, wording, problem_field):
    """One required finding per point, labelled with the article's own words, in the article's order."""
    inv = start(desk, "LJ-2026-0414-32")
    desk.complete("leader", "Task_FormInvestigationTeam", inv, no_conflict_of_interest=True)
    desk.complete("team", "Task_InvestigationPlan", inv)
    assert desk.ready(inv)[element] == "investigation_team"

    form = desk.task("team", element, inv)["form"]
    points = [f for f in form if f["type"] == "enum"]
    assert [f["label"] for f in points] == wording
    assert all(f["required"] for f in points)
    assert all([(o["id"], o["name"]) for o in f["enum"]] == FINDINGS for f in points)

    # every point must be answered, with one of the findings
    answers = {f["id"]: "no_problem" for f in points}
    notes = next(f["id"] for f in form if f["type"] == "string")
    body = refused(
        desk, "team", element, inv, {**{k: v for k, v in answers.items() if k != problem_field}, notes: "略"}
    )
    assert list(body["error"]["details"]) == [problem_field]
    body = refused(desk, "team", element, inv, {**answers, problem_field: "yes", notes: "略"})
    assert list(body["error"]["details"]) == [problem_field]

    desk.complete("team", element, inv, **{problem_field: "problem_found"})
    data = submitted(desk, inv, element)
    assert data[problem_field] == "problem_found"
    assert {data[f["id"]] for f in points if f["id"] != problem_field} == {"no_problem"}


# ------------------------------------------------------------------------------------------ O32 Art.4 paths
@pytest.mark.parametrize(
    ("given", "bureau", "led_by_higher", "first"),
    [
        ({"reporting_authority": "county"}, "county_eeb", True, "Task_InvestigationHandover"),
        ({"reporting_authority": "city"}, "city_eeb", True, "Task_InvestigationHandover"),
        ({"reporting_authority": "county", "bureau_authority": "provincial_eeb"}, "provincial_eeb", False, None),
        ({}, "provincial_eeb", False, None),  # started by hand: the organising authority's own case
    ],
)
def test_a_level_iii_investigation_belongs_to_the_provincial_department(desk, given, bureau, led_by_higher, first):
    """O32 Art.4: the provincial department organises level Ⅲ; a county or city bureau hands it over."""
    inv = start(desk, "LJ-2026-0414-33", **given)
    data = desk.data(inv)
    assert (data["investigation_lead"], data["bureau_authority"]) == ("provincial_eeb", bureau)
    assert data["investigation_led_by_higher_authority"] is led_by_higher
    assert desk.ready(inv) == ({first: "leader"} if first else {"Task_FormInvestigationTeam": "leader"})


@pytest.mark.parametrize("escalation", [None, {"level": "III"}, "III"])
def test_an_investigation_started_without_a_usable_decision_is_refused_naming_the_step(desk, escalation):
    """Who organises the investigation is read from the decision first: without it the start is a 4xx that names
    the step, and no instance is left behind."""
    data = {"emergency_ended_at": ENDED, "direct_loss_yuan": 0.0}
    if escalation is not None:
        data["escalation"] = escalation
    res = desk.api.start("investigation_accountability", "LJ-2026-0414-38", data, as_="leader")
    assert res.status_code == 422, res.get_json()
    assert res.get_json()["error"]["details"]["element_id"] == "Script_DetermineInvestigationLead"
    assert desk.by_business_key("LJ-2026-0414-38") == []


def test_a_county_bureau_hands_over_and_assists_the_province_instead_of_investigating(desk):
    """Art.4: the bureau records the hand-over, then assists and carries out what the province's report asks of it;
    it forms no team and runs no investigation clock of its own."""
    bk = "LJ-2026-0414-34"
    inv = start(desk, bk, reporting_authority="county")
    handover = desk.task("leader", "Task_InvestigationHandover", inv)
    assert {f["id"] for f in handover["form"] if f["required"]} == {
        "higher_authority_name",
        "handover_at",
        "handover_materials",
        "delegated_to_bureau",
    }
    desk.complete("leader", "Task_InvestigationHandover", inv, delegated_to_bureau=False)
    assert desk.ready(inv) == {"Task_AssistHigherInvestigation": "enforcement"}
    desk.complete("enforcement", "Task_AssistHigherInvestigation", inv)
    assert desk.ready(inv) == {"Task_ImplementHigherConclusions": "enforcement"}
    done = desk.complete(
        "enforcement",
        "Task_ImplementHigherConclusions",
        inv,
        penalty_status="江环罚〔2026〕30号行政处罚决定书已送达",
        received_supervision_notice_no="浙环督〔2026〕2号",
    )
    assert done["status"] == "completed"
    assert done["data"]["received_supervision_notice_no"] == "浙环督〔2026〕2号"
    path = desk.touched(inv)
    assert "End_LedByHigherAuthority" in path
    assert not path & {"Task_FormInvestigationTeam", "Task_InvestigationReport", "Task_PublishConclusions"}
    assert "investigation_report_due_at" not in done["data"]
    assert desk.events(inv, "timer_due") == []


def test_a_level_iii_investigation_delegated_to_the_county_bureau_is_run_by_it(desk):
    """Art.4 ¶2: the province may delegate; from five_firsts (county reporter) the delegated bureau then runs the
    whole investigation under the level's time limit, with the delegation on record."""
    bk = "LJ-2026-0414-35"
    _, inv = desk.respond_and_close(bk, DISCOVERED, ENDED, evacuated=6000)
    data = desk.data(inv)
    assert data["escalation"]["level"] == "III" and data["reporting_authority"] == "county"
    assert desk.ready(inv) == {"Task_InvestigationHandover": "leader"}
    desk.complete(
        "leader",
        "Task_InvestigationHandover",
        inv,
        delegated_to_bureau=True,
        delegation_document_no="浙环函〔2026〕9号",
    )
    assert desk.ready(inv) == {"Task_FormInvestigationTeam": "leader"}
    data = desk.data(inv)
    assert data["delegation_document_no"] == "浙环函〔2026〕9号"
    assert data["investigation_time_limit_days"] == 30
    assert "Task_AssistHigherInvestigation" not in desk.touched(inv)


# --------------------------------------------------------------------------------------------- RAD Art.42
def test_a_radiation_accident_investigated(desk):
    """A class-Ⅳ source lost: the environment authority investigates on site until the source is under control and
    the accident's effects are removed (RAD Art.42), then reports; no O32 investigation (O32 Art.2, D8)."""
    bk = "LJ-2026-0414-36"
    _, inv = desk.respond_and_close(bk, DISCOVERED, ENDED, radioactive_source_class="IV")
    assert desk.data(inv)["escalation"]["radiation_event"] is True
    assert desk.ready(inv) == {"Task_RadiationSiteInvestigation": "enforcement"}

    # first visit: the source is still missing → the site investigation and the search go on
    desk.complete(
        "enforcement",
        "Task_RadiationSiteInvestigation",
        inv,
        radiation_impact_controlled=False,
        radiation_control_measures="划定搜寻范围，沿途巡测，发布协查通告",
    )
    assert desk.ready(inv) == {"Task_RadiationSiteInvestigation": "enforcement"}
    # found and secured: the authority reports the investigation to the government, police and health authorities
    desk.complete("enforcement", "Task_RadiationSiteInvestigation", inv, radiation_impact_controlled=True)
    assert desk.ready(inv) == {"Task_ReportRadiationAccident": "leader"}
    done = desk.complete("leader", "Task_ReportRadiationAccident", inv)

    assert done["status"] == "completed"
    path = desk.touched(inv)
    assert "End_RadiationCarvedOut" in path
    assert not path & {"Task_FormInvestigationTeam", "Task_DecideWhetherToInvestigate", "Task_InvestigationHandover"}
    assert desk.completed_elements(inv) == [
        "Task_RadiationSiteInvestigation",
        "Task_RadiationSiteInvestigation",
        "Task_ReportRadiationAccident",
    ]
    assert "investigation_time_limit_days" not in done["data"]
    assert done["data"]["radiation_reported_to"] == desk.FORM_VALUES["radiation_reported_to"]


# ------------------------------------------------------------------------------------------------ litigation
@pytest.mark.parametrize(
    ("loss", "mass_incident", "large_social_impact", "referred"),
    [
        (8_000_000.0, False, False, False),
        (25_000_000.0, False, False, True),  # a major economic loss
        (8_000_000.0, True, False, True),  # the pollution triggered a mass incident (docs/ESCALATION.md, §Facts)
        (8_000_000.0, False, True, True),  # the leader judges the social impact large
    ],
)
def test_litigation_is_considered_for_a_large_loss_or_a_large_social_impact(
    desk, loss, mass_incident, large_social_impact, referred
):
    inv = start(desk, "LJ-2026-0414-37", direct_loss_yuan=loss, mass_incident=mass_incident)
    investigate_and_submit(desk, inv)
    desk.complete("leader", "Task_TeamLeaderConsent", inv, large_social_impact=large_social_impact)
    desk.complete("press", "Task_PublishConclusions", inv)
    ready = desk.ready(inv)
    assert ("Task_PublicInterestLitigationReferral" in ready) is referred
    if referred:
        assert ready["Task_PublicInterestLitigationReferral"] == "leader"
        desk.complete("leader", "Task_PublicInterestLitigationReferral", inv, litigation_supported=True)
    desk.complete("enforcement", "Task_FollowUpAccountability", inv, responsible_dealt_with=True)
    desk.complete("enforcement", "Task_VerifyRectification", inv, rectification_done=True)
    assert desk.ready(inv) == {"Task_CaseReview": "emergency_office"}
