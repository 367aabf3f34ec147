"""Scenario tests: the three bundled procedures walked through the HTTP API as the people in their lanes do it.

Each responder works only from their own inbox (GET /api/v1/tasks) and completes a task with the data a user enters
into its form: the form comes from the task in the API response; every required field is filled with a realistic
value (``FORM_VALUES``, chosen by field id) unless the scenario enters its own (``overrides``). A required field
that drives a decision and has no sensible default must be given by the scenario — the helper refuses to guess.

Time is an injected ``FixedClock``: the scenario moves it, and ``Desk.fire_due_timers`` lets the timer service fire
what is due, as the scheduler would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from api import create_app
from engine.clock import FixedClock
from engine.services import build_services
from tests.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 4, 14, 1, 0, tzinfo=UTC)  # Tuesday 14 April 2026, 09:00 China Standard Time

# One user per lane, so that completing a task as its user proves the task sits in that lane.
LANE_USERS = {
    "duty": "duty_officer",
    "leader": "leader",
    "monitor": "monitoring_station",
    "office": "emergency_office",
    "enforcement": "enforcement",
    "press": "press_office",
    "team": "investigation_team",
    "owner": "plan_owner",
    "authority": "filing_authority",
    "expert": "expert",
}

USER_OF_LANE = {lane: user for user, lane in LANE_USERS.items()}
FACT_FIELDS = (
    "deaths",
    "injured_or_poisoned",
    "evacuated",
    "direct_loss_yuan",
    "water_source_interruption",
    "radioactive_source_class",
    "radiation_wide_severe_contamination",
    "ecological_damage",
    "cross_boundary",
    "heavy_metal",
    "affects_drinking_water_source",
    "sensitive_receptors",
    "mass_incident",
    "sensitive_period",
    "reporting_authority",
)

# What a user typically enters, by field id (the same id means the same datum in every diagram). Dates are not
# listed: they default to the clock's "now" in China Standard Time (``DATE_OFFSETS`` shifts a few into the future).
# Decision-driving booleans and enums with no safe default (revision_decision, investigate, confirm_lower_level,
# cause_established ...) are deliberately absent: the scenario must enter them.
FORM_VALUES: dict[str, Any] = {
    # five_firsts: first information and the incident facts of docs/ESCALATION.md, §Facts (a first report that
    # knows of no harm yet)
    "source": "12369环保举报热线群众举报",
    "place": "临江县滨江化工园区江城新材料有限公司厂区东侧雨水排口",
    "description": "企业苯乙烯储罐区发生泄漏，部分物料经雨水管网流入厂外沟渠，现场有刺激性气味",
    "deaths": 0,
    "injured_or_poisoned": 0,
    "evacuated": 0,
    "direct_loss_yuan": 0,
    "water_source_interruption": "none",
    "radioactive_source_class": "none",
    "radiation_wide_severe_contamination": False,
    "ecological_damage": "none",
    "cross_boundary": "none",
    "heavy_metal": False,
    "affects_drinking_water_source": False,
    "mass_incident": False,
    "sensitive_period": False,
    "reporting_authority": "county",
    # initial report (O17 Art.12)
    "cause_and_nature": "储罐底部法兰垫片老化破损导致苯乙烯泄漏，属生产安全事故次生的突发环境事件",
    "course_of_events": "8时40分企业巡检发现泄漏，8时50分关闭雨水排口闸阀，9时接群众举报后县局核实",
    "main_pollutants": "苯乙烯，泄漏量约2吨，其中约0.3吨进入厂外沟渠",
    "casualties": "暂无人员伤亡",
    "sensitive_points_impact": "下游5公里内无集中式饮用水水源地，沟渠汇入临江前已筑坝拦截",
    "trend": "泄漏源已控制，沟渠水体苯乙烯浓度呈下降趋势",
    "measures_taken": "封堵雨水排口，沟渠筑坝拦截，投加活性炭吸附",
    "planned_measures": "持续开展沟渠及临江入河口监测，转移处置拦截的污染水体",
    "next_step_recommendations": "请县政府协调应急、水利部门加强下游巡查",
    "channel": "written",
    "reported_to": "临江县人民政府、江城市生态环境局",
    "reporting_unit": "江城市生态环境局临江分局",
    "contact_person": "王海涛",
    "contact_phone": "0571-88886666",
    "sensitive_points_map": "附件1：敏感点分布示意图",
    "written_report_form": "fax",
    "signing_official": "李建国（分局局长）",
    "sign_off_opinion": "同意报送",
    "overdue_reason": "值班人员现场核实耗时过长，未先行电话报告",
    "overdue_action": "立即电话报告并指定专人在30分钟内补报书面材料",
    # every recipient of a written report is confirmed one by one (送达确认)
    "delivered": True,
    # the bureau's proposal of a response level (ERL2024 Art.71-72) and the neighbours' notice (O17 Art.8)
    "adopt_decided_response_level": True,
    "response_proposal_to": "临江县人民政府",
    "adjacent_regions_notified": "临海县生态环境分局（下游相邻县）",
    "adjacent_overdue_reason": "值班人员未及时掌握污染团已进入相邻县界",
    "adjacent_overdue_action": "立即电话通报并补发书面通报",
    # follow-up reports and level changes
    "response_progress": "沟渠拦截坝运行正常，活性炭吸附持续进行，厂区雨水排口已封堵",
    "propose_emergency_end": False,
    "rereported_to": "临江县人民政府、浙东省生态环境厅、生态环境部",
    "rereport_content": "经续报核实，事件级别上升，现按新级别重新报告事件基本情况和处置进展",
    "rereport_signing_official": "李建国（分局局长）",
    "rereport_overdue_reason": "新增疏散人数统计滞后",
    "rereport_overdue_action": "责成值班室立即按新级别补报",
    "adjustment_notes": "已按新级别派出市局工作组，带班领导赶赴现场，安排召开新闻发布会",
    "lower_level_opinion": "经核实疏散人数统计有误，同意按较低级别响应",
    "end_requested": True,
    "end_requested_to": "临江县人民政府",
    "end_request_basis": "污染源已切断，连续三次监测达标，威胁和危害已得到控制",
    "emergency_ended": True,
    "end_declared_by": "临江县人民政府（临政发〔2026〕12号）",
    "end_declaration_basis": "污染源已切断，连续三次监测达标，次生风险已消除",
    # scene
    "dispatched_personnel": "应急科张明、赵磊，执法大队陈刚、刘洋",
    "dispatch_tasks": "核实泄漏情况，指导企业封堵排口，配合开展监测和调查取证",
    "work_group_leader": "周立新（市生态环境局副局长）",
    "work_group_members": "市局应急处孙伟、环评处吴静、监测站郑浩",
    "leader_on_scene_name": "李建国（分局局长）",
    "on_scene_instructions": "成立现场指挥部，统筹封堵拦截、监测和群众疏散安置",
    "on_scene_personnel": "执法大队陈刚、刘洋",
    "source_cut_off": True,
    "scene_situation": "储罐泄漏点已用堵漏工具封堵，沟渠已筑坝两道",
    # monitoring
    "characteristic_pollutants": "苯乙烯、化学需氧量、pH",
    "diffusion_trend": "沿厂外沟渠向东南方向扩散，流速约0.2米/秒",
    "monitoring_points": "雨水排口、沟渠拦截坝上下游各1个、临江入河口上下游各500米",
    "monitoring_frequency": "每2小时一次",
    "monitoring_results": "拦截坝下游苯乙烯0.01mg/L，低于地表水标准限值0.02mg/L",
    "exceeds_standard": False,
    "pollution_under_control": True,
    # information
    "msg_type": "Alert",
    "headline": "关于临江县滨江化工园区苯乙烯泄漏事件的情况通报",
    "information_content": "泄漏已得到控制，下游水体监测结果正常，未对饮用水安全造成影响",
    "instruction": "请周边群众暂勿在沟渠取水、垂钓",
    "area_desc": "临江县滨江化工园区及下游沟渠沿线",
    "urgency": "Immediate",
    "certainty": "Observed",
    "via_website": True,
    "via_weibo": True,
    "via_wechat": True,
    "press_conference_held": False,
    "information_updates_pending": False,
    "spokesperson": "市生态环境局新闻发言人赵敏",
    "press_conference_experts": "省环境应急专家孙教授",
    # preliminary investigation
    "incident_unit": "江城新材料有限公司",
    "investigators": "执法大队陈刚、刘洋（执法证号3301001、3301002）",
    "evidence_preserved": True,
    "evidence_list": "沟渠水样6份、现场照片48张、执法记录仪录像2段、现场检查笔录1份",
    "preliminary_cause": "储罐底部法兰垫片老化破损，企业未按规定开展隐患排查",
    # closing the response
    "measures_process_results": "泄漏源封堵，污染水体全部拦截并转移处置，下游监测达标",
    "potential_indirect_harm": "沟渠底泥可能残留苯乙烯，需跟踪监测",
    "losses": "应急处置费用约18万元",
    "social_impact": "未引发群体性事件，网络舆情平稳",
    "remaining_problems": "沟渠底泥清理和生态修复",
    "accountability": "已立案调查，依法追究企业责任",
    "assessment_institution": "浙东省环境科学研究院",
    "environmental_impact": "沟渠约1.2公里水体受到短时污染，未影响临江干流",
    "loss_assessment": "直接经济损失约26万元",
    "damage_assessment_conclusion": "事件造成的环境损害已得到控制，需开展底泥修复",
    "assessment_publication_channel": "江城市生态环境局门户网站",
    # investigation_accountability
    "investigation_decision_reason": "事件污染范围小，企业已主动处置，依法立案查处即可",
    "team_leader": "周立新（市生态环境局副局长）",
    "team_members": "市局执法支队陈刚、应急处孙伟、监测站郑浩，特邀专家孙教授",
    "investigator_count": 4,
    "experts_engaged": "省环境应急专家孙教授",
    "departments_invited": "市应急管理局、市公安局",
    "no_conflict_of_interest": True,
    "division_of_duties": "执法组调查取证，技术组分析原因，综合组起草报告",
    "methods_and_steps": "现场勘查、调取监控、询问相关人员、委托损害评估",
    "schedule": "第一周完成取证，第二周完成原因分析，第四周形成报告",
    "inspectors": "陈刚、刘洋",
    "inspector_count": 2,
    "samples_taken": True,
    "photos_taken": True,
    "video_recorded": True,
    "site_record_made": True,
    "evidence_summary": "水样、底泥样、照片、录像和现场笔录齐全",
    "interviewees": "企业安全环保部经理、当班操作工、储罐区巡检员",
    "interviewer_count": 2,
    "interview_records": "询问笔录XW-2026-011至XW-2026-013",
    "interview_findings": "企业未按隐患排查制度对储罐法兰开展定期检查",
    "unit_plan_filed": True,
    "unit_plan_implementation": "企业启动了预案但未及时关闭雨水排口",
    "government_plan_implementation": "县政府按预案组织了应急处置",
    "eeb_plan_implementation": "县分局按预案及时赶赴现场并开展监测",
    "assessment_report_no": "浙环科评〔2026〕17号",
    "pollution_damage_assessment_conclusion": "生态环境损害数额约26万元，需开展底泥修复",
    "cause": "储罐底部法兰垫片老化破损，隐患排查流于形式",
    "nature": "企业违法导致的一般突发环境事件",
    "responsible_units": "江城新材料有限公司",
    "responsible_persons": "企业安全环保部经理张某、储罐区主管刘某",
    "handling_administrative_penalty": True,
    "handling_judicial_transfer": False,
    "handling_sanction_proposal": False,
    "handling_talks": False,
    "handling_credit_record": True,
    "handling_details": "依法处以罚款并责令改正，记入企业环境信用档案",
    "rectification_measures": "更换全部储罐法兰垫片，雨水排口加装自动切断阀，修订企业应急预案",
    "measure_owners": "江城新材料有限公司",
    "unit_profile_and_course": "企业主要生产苯乙烯衍生物；事件经过见初报和续报",
    "casualties_loss_and_damage": "无人员伤亡，直接经济损失约26万元，沟渠1.2公里水体受污染",
    "unit_prevention_and_handling": "企业隐患排查不到位，应急处置基本及时",
    "government_supervision_and_response": "县政府和有关部门监管和处置符合规定",
    "responsibility_and_handling_proposals": "企业负主要责任，建议罚款并记入信用档案",
    "prevention_and_rectification_proposals": "园区企业储罐区开展专项排查",
    "report_submitted_to": "临江县人民政府、江城市生态环境局",
    "all_recipients_reported": True,
    "supervision_notice_no": "江环督〔2026〕5号",
    "written_feedback_received": True,
    "verification_result": "现场核查整改措施已全部落实",
    "publication_channel": "江城市生态环境局门户网站",
    "published_content": "事件调查结论、环境影响和损失评估结果",
    "litigation_support_notes": "损失重大，支持省环保联合会提起环境民事公益诉讼",
    "supported_organisation": "浙东省环境保护联合会",
    "typical_case": True,
    "lessons_learned": "企业雨水排口缺少自动切断装置，应急预案未覆盖储罐区泄漏情景",
    "rectification_and_policy_proposals": "在全市化工园区推广雨水排口自动切断",
    "warning_education": "印发事件通报，组织园区企业开展案例回放",
    "investigation_overdue_reason": "损害评估机构出具报告延迟",
    "investigation_overdue_action": "责成调查组一周内完成报告并说明情况",
    "penalty_status": "江环罚〔2026〕21号行政处罚决定书已送达，罚款50万元",
    "submission_overdue_reason": "报告经集体审议后未及时报送",
    "submission_overdue_action": "责成调查组当日报送并说明逾期原因",
    # the checklists of O32 Art.11 (the unit) and Art.12 (the environment authority): nothing wrong found
    **dict.fromkeys(
        (
            "unit_emergency_management_system",
            "unit_risk_prevention_facilities",
            "unit_hazard_inspection",
            "unit_emergency_plan",
            "unit_information_reporting",
            "unit_plan_activation_and_source_control",
            "unit_command_compliance",
            "unit_secondary_event_prevention",
            "unit_evidence_integrity",
            "authority_emergency_plans",
            "authority_on_scene_and_reporting",
            "authority_emergency_monitoring",
            "authority_advice_to_government",
            "authority_neighbour_notification",
            "authority_neighbour_follow_up",
            "authority_damage_assessment",
        ),
        "no_problem",
    ),
    "unit_findings_notes": "调取企业制度文件、预案备案回执和巡检记录，询问当班人员，逐项核实",
    "authority_findings_notes": "调取分局值班记录、监测报告和信息报告记录，逐项核实",
    "release_consent_opinion": "同意公开调查结论和污染损害评估结论",
    "large_social_impact": False,
    "published_assessment_result": "生态环境损害数额约26万元，沟渠底泥需开展修复",
    "case_file_no": "江环调卷〔2026〕3号",
    "case_file_contents": "调查方案、现场勘查笔录、询问笔录、证据材料、污染损害评估报告、调查报告",
    "archiving_authority": "江城市生态环境局",
    # Art.4: a higher authority organises the investigation
    "higher_authority_name": "浙东省生态环境厅",
    "handover_materials": "初步调查报告、现场检查笔录、监测报告、应急处置记录",
    "assisting_personnel": "执法支队陈刚、刘洋，监测站郑浩",
    "assistance_provided": "配合现场勘查和采样，提供企业环评、排污许可和日常监管档案",
    "higher_report_handling": "建议对企业依法处罚并记入环境信用档案，督促园区开展储罐区专项排查",
    "rectification_feedback": "园区储罐区专项排查已完成，整改情况已书面报送省厅",
    # a radiation accident (RAD Art.42)
    "radiation_investigators": "辐射安全监管科赵明、钱磊",
    "police_and_health_on_scene": True,
    "radiation_exposure_situation": "未发现人员受到超过年剂量限值的照射，现场周边剂量率正常",
    "radiation_cause_and_course": "探伤公司运输途中放射源容器固定不牢，途经临江大桥时遗失",
    "radiation_control_measures": "划定搜寻范围并开展巡测，发布协查通告，对沿途道路开展剂量率监测",
    "radiation_reported_to": "临江县人民政府、江城市生态环境局、江城市公安局、江城市卫生健康委员会",
    "radiation_report_content": "放射源已找回并收贮，无人员受照，现场调查情况和处置措施见附件",
    # plan_revision
    "plan_name": "江城新材料有限公司突发环境事件应急预案",
    "plan_owner_unit": "江城新材料有限公司",
    "revision_trigger_details": "事件调查发现预案未覆盖储罐区泄漏情景",
    "implementation_review": "预案自2023年备案以来开展演练3次",
    "assessment_findings": "储罐区泄漏情景缺失，应急物资清单未更新",
    "decision_reason": "环境风险和应急措施发生重大变化",
    "drafting_group_leader": "企业总经理黄志强",
    "drafting_group_members": "安全环保部、生产部、设备部负责人及技术服务单位",
    "risk_level": "relatively_major",
    "risk_assessment_report_no": "FX-2026-003",
    "risk_assessment_summary": "企业环境风险等级为较大",
    "resource_survey_report_no": "ZY-2026-003",
    "resource_survey_summary": "应急物资基本满足需要，需补充围油栏和吸附棉",
    "draft_version": "2026版（送审稿）",
    "draft_summary": "新增储罐区泄漏和雨水排口切断处置方案",
    "explanatory_note": "编制过程、重点内容、征求意见及采纳情况见编制说明",
    "opinions_solicited": True,
    "drill_content": "储罐区苯乙烯泄漏及雨水排口切断实战演练",
    "drill_participants": "企业应急队伍32人，园区消防站，县分局监测人员",
    "drill_report_no": "YL-2026-002",
    "review_experts": "孙教授、吴高工、郑研究员",
    "residents_representatives_invited": True,
    "review_opinion": "预案内容基本完整，建议补充下游敏感点分布图",
    "company_meeting_deliberated": True,
    "principal_signatory": "黄志强（总经理）",
    "plan_version": "2026版",
    "filing_kind": "change_filing",
    "submission_form": "paper_and_electronic",
    "submission_notes": "按告知书要求提交",
    "check_notes": "按备案材料清单逐项核对",
    "notice_no": "临环备告〔2026〕8号",
    "notice_notes": "补齐后重新提交",
    "filing_no": "330122-2026-036-M",
    "sealed_filing_form_issued": True,
    "plan_publication_channel": "临江县人民政府门户网站",
    "adjusted_items": "应急指挥部成员及联系方式、应急物资储备点",
    "adjustment_reason": "企业组织机构调整",
    "change_notice_no": "江新材函〔2026〕12号",
    "change_notice_content": "预案个别内容调整情况及调整后的相关章节",
    "overdue_filing_action": "责令企业限期备案",
    "overdue_change_notice_action": "电话督促企业书面告知",
    "overdue_check_reason": "经办人员出差",
    "overdue_check_action": "责成当日完成核对",
}
DATE_OFFSETS = {"measure_deadline": timedelta(days=60)}


def fill_form(form: list[dict[str, Any]], overrides: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The data a user submits: every required field (realistic value by id, dates "now"), plus the overrides."""
    ids = {f["id"] for f in form}
    unknown = set(overrides) - ids
    assert not unknown, f"not fields of this form: {sorted(unknown)}"
    data: dict[str, Any] = {}
    for field in form:
        fid = field["id"]
        if fid in overrides:
            if overrides[fid] is not None:
                data[fid] = overrides[fid]
            continue
        if not field["required"]:
            continue
        if field["type"] == "date":
            data[fid] = (now + DATE_OFFSETS.get(fid, timedelta())).astimezone(CST).isoformat()
            continue
        assert fid in FORM_VALUES, f"the scenario must enter the required field {fid} ({field['label']})"
        value = FORM_VALUES[fid]
        if field["type"] == "enum":
            chosen = value if field.get("multiple") else [value]
            assert all(v in [o["id"] for o in field["enum"]] for v in chosen), f"{value} is not an option of {fid}"
        data[fid] = value
    return data


class Desk:
    """The HTTP API as the responders use it, with the clock and the timer service of the same engine."""

    def __init__(self, api: Api, services: Any, clock: FixedClock):
        self.api = api
        self.services = services
        self.clock = clock

    FORM_VALUES = FORM_VALUES

    @staticmethod
    def parse(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    # ------------------------------------------------------------------------------------------------- time
    def now_cst(self, **delta: float) -> str:
        return (self.clock.now() + timedelta(**delta)).astimezone(CST).isoformat()

    def fire_due_timers(self) -> int:
        return self.services.timers.run_due()

    # -------------------------------------------------------------------------------------------- commands
    def start(self, key: str, business_key: str, data: dict[str, Any], as_: str = "duty") -> dict[str, Any]:
        res = self.api.start(key, business_key, data, as_=as_)
        assert res.status_code == 201, res.get_json()
        return res.get_json()

    def inbox(self, user: str, instance_id: int | None = None) -> list[dict[str, Any]]:
        query = f"?instance_id={instance_id}" if instance_id is not None else ""
        res = self.api.get(f"/api/v1/tasks{query}", as_=user)
        assert res.status_code == 200, res.get_json()
        return res.get_json()

    def task(self, user: str, element_id: str, instance_id: int) -> dict[str, Any]:
        """The one READY task ``element_id`` of the instance, as found in ``user``'s inbox."""
        found = [t for t in self.inbox(user, instance_id) if t["element_id"] == element_id]
        assert len(found) == 1, (
            f"{user} ({LANE_USERS.get(user)}) should see one {element_id}, sees "
            f"{[t['element_id'] for t in self.inbox(user, instance_id)]}"
        )
        return found[0]

    def complete(self, user: str, element_id: str, instance_id: int, **overrides: Any) -> dict[str, Any]:
        """``user`` opens ``element_id`` from their inbox, fills its form and submits it; returns the instance."""
        task = self.task(user, element_id, instance_id)
        assert task["lane"] == LANE_USERS[user]
        data = fill_form(task["form"], overrides, self.clock.now())
        res = self.api.post(f"/api/v1/tasks/{task['id']}/complete", as_=user, json={"data": data})
        assert res.status_code == 200, (element_id, res.get_json())
        return res.get_json()

    def send(self, instance_id: int, name: str, payload: Any, as_: str) -> dict[str, Any]:
        res = self.api.post(
            f"/api/v1/instances/{instance_id}/messages", as_=as_, json={"name": name, "payload": payload}
        )
        assert res.status_code == 200, res.get_json()
        return res.get_json()

    # --------------------------------------------------------------------------------------------- queries
    def instance(self, instance_id: int) -> dict[str, Any]:
        res = self.api.get(f"/api/v1/instances/{instance_id}", as_="auditor")
        assert res.status_code == 200, res.get_json()
        return res.get_json()

    def ready(self, instance_id: int) -> dict[str, str]:
        """READY user tasks of the instance: element id -> lane (one task per element while nothing repeats)."""
        tasks = self.instance(instance_id)["ready_tasks"]
        ids = [t["element_id"] for t in tasks]
        assert len(ids) == len(set(ids)), ids
        return {t["element_id"]: t["lane"] for t in tasks}

    def ready_task(self, instance_id: int, element_id: str) -> dict[str, Any]:
        [task] = [t for t in self.instance(instance_id)["ready_tasks"] if t["element_id"] == element_id]
        return task

    def data(self, instance_id: int) -> dict[str, Any]:
        return self.instance(instance_id)["data"]

    def by_business_key(self, business_key: str) -> list[dict[str, Any]]:
        res = self.api.get(f"/api/v1/instances?business_key={business_key}", as_="auditor")
        assert res.status_code == 200, res.get_json()
        return res.get_json()

    def history(self, instance_id: int) -> list[dict[str, Any]]:
        res = self.api.get(f"/api/v1/instances/{instance_id}/history", as_="auditor")
        assert res.status_code == 200, res.get_json()
        return res.get_json()

    def events(self, instance_id: int, kind: str, element_id: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.history(instance_id)
            if e["kind"] == kind and (element_id is None or e["element_id"] == element_id)
        ]

    def completed_elements(self, instance_id: int) -> list[str]:
        """User tasks completed, in order (from the history)."""
        return [e["element_id"] for e in self.events(instance_id, "task_completed")]

    # ------------------------------------------------------------------------------------- five_firsts paths
    @staticmethod
    def facts(**changes: Any) -> dict[str, Any]:
        """The incident facts (docs/ESCALATION.md, §Facts) as the duty officer enters them: nothing harmful known,
        except ``changes``."""
        unknown = set(changes) - set(FACT_FIELDS)
        assert not unknown, unknown
        values = {name: FORM_VALUES[name] for name in FACT_FIELDS if name != "sensitive_receptors"}
        values["sensitive_receptors"] = []
        values.update(changes)
        return values

    def record_incident(self, business_key: str, discovered_at: str, **fact_changes: Any) -> int:
        """The duty officer receives a report (first information), then checks and completes it with the facts."""
        first = {
            "source": FORM_VALUES["source"],
            "discovered_at": discovered_at,
            "place": FORM_VALUES["place"],
            "description": FORM_VALUES["description"],
        }
        started = self.start("five_firsts", business_key, first, as_="duty")
        assert {t["element_id"]: t["lane"] for t in started["ready_tasks"]} == {"Task_RecordIncident": "duty_officer"}
        self.complete(
            "duty", "Task_RecordIncident", started["id"], discovered_at=discovered_at, **self.facts(**fact_changes)
        )
        return started["id"]

    def drive(
        self,
        instance_id: int,
        until: tuple[str, ...] = (),
        answers: dict[str, dict[str, Any]] | None = None,
        max_steps: int = 80,
    ) -> dict[str, Any]:
        """The people of each lane complete whatever is READY (oldest first, then by element id) with their usual
        entries plus ``answers[element_id]``, until an element of ``until`` is READY or nothing is; returns the
        instance."""
        answers = answers or {}
        for _ in range(max_steps):
            inst = self.instance(instance_id)
            tasks = inst["ready_tasks"]
            if not tasks or any(t["element_id"] in until for t in tasks):
                return inst
            task = min(tasks, key=lambda t: (t["created_at"], t["element_id"]))  # same order on every run
            self.complete(
                USER_OF_LANE[task["lane"]], task["element_id"], instance_id, **answers.get(task["element_id"], {})
            )
        raise AssertionError(f"instance {instance_id} did not settle in {max_steps} steps")

    def sign_and_send_initial(self, instance_id: int, **sign_off: Any) -> dict[str, Any]:
        """The leader signs the written initial report off (O17 Art.14), then the duty officer sends it and
        confirms its delivery to every recipient of the decision (one checklist item each)."""
        self.complete("leader", "Task_LeaderSignOff", instance_id, **sign_off)
        sent = self.complete("duty", "Task_SendInitialReport", instance_id)
        for _ in sent["data"]["escalation"]["report_to"]:
            sent = self.complete("duty", "Task_ConfirmInitialReportDelivery", instance_id)
        return sent

    def follow_up(self, instance_id: int, **report: Any) -> dict[str, Any]:
        """A follow-up report (续报): written by the duty officer, signed off by the leader, then sent."""
        self.complete("duty", "Task_FollowUpReport", instance_id, **report)
        self.complete("leader", "Task_SignOffFollowUpReport", instance_id)
        return self.complete("duty", "Task_SendFollowUpReport", instance_id)

    def respond_and_close(
        self, business_key: str, discovered_at: str, ended_at: str, **fact_changes: Any
    ) -> tuple[int, int]:
        """A whole five_firsts response on its usual path: every lane does its part, one follow-up report with the
        same facts proposes the end, the leader requests it and the government declares it at ``ended_at``.
        Returns (five_firsts id, investigation_accountability id)."""
        iid = self.record_incident(business_key, discovered_at, **fact_changes)
        done = self.drive(
            iid,
            answers={
                "Task_FollowUpReport": {**self.facts(**fact_changes), "propose_emergency_end": True},
                "Task_RecordEndDeclaration": {"emergency_ended_at": ended_at},
                "Task_HoldPressConference": {"press_conference_held": True},
            },
        )
        assert done["status"] == "completed", done["ready_tasks"]
        [child] = [i for i in self.by_business_key(business_key) if i["parent_id"] == iid]
        assert child["definition_key"] == "investigation_accountability" and child["link_kind"] == "investigation"
        return iid, child["id"]

    def touched(self, instance_id: int) -> set[str]:
        """Elements that became READY or COMPLETED at some point (the paths the instance took)."""
        return {
            e["element_id"]
            for e in self.events(instance_id, "task_state")
            if e["payload"]["to"] in ("READY", "COMPLETED")
        }


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def desk(database_url: str, clock: FixedClock) -> Iterator[Desk]:
    services = build_services(database_url, clock=clock)
    app = create_app({"DATABASE_URL": database_url, "TESTING": True}, services=services)
    tokens = {
        "admin": services.users.add("admin", "administrator", [])[1],
        "auditor": services.users.add("auditor", "auditor", [])[1],
    }
    for name, lane in LANE_USERS.items():
        tokens[name] = services.users.add(name, "responder", [lane])[1]
    api = Api(app, tokens)
    for path in sorted(PROCESSES.glob("*.bpmn")):
        res = api.deploy(path.read_bytes())
        assert res.status_code == 201, (path.name, res.get_json())
    yield Desk(api, services, clock)
    services.close()
