"""The bundled diagrams (processes/*.bpmn): deployable, laid out, and faithful to docs/PROCEDURES.md.

The stable element ids and their lanes are the product's contract (reports, compliance queries and migrations rely
on them), so they are listed here once more and checked against sections 1–3 of docs/PROCEDURES.md, and the
supporting elements of its section 4 against the diagrams, so none of the three can drift without a failing test.
The incident facts are those of docs/ESCALATION.md, §Facts; D-numbers are the decisions of docs/DECISIONS.md.
"""

from __future__ import annotations

import inspect
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
import SpiffWorkflow.bpmn.parser as bpmn_parser
from lxml import etree
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from engine.bpmn.script_engine import SandboxedEnvironment
from engine.definitions import validation
from engine.definitions.forms import FIELD_TYPES

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ROOT / "processes"
PROCEDURES_MD = ROOT / "docs/PROCEDURES.md"
KEYS = ("five_firsts", "investigation_accountability", "plan_revision")
FUNCTIONS = ("add_minutes", "add_days", "add_working_days", "minutes_between", "now_iso")
TOPICS = ("escalation.evaluate", "escalation.reevaluate", "process.start")

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
CAMUNDA = f"{{{NS['camunda']}}}"
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "userTask",
    "serviceTask",
    "scriptTask",
    "task",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
)
LANES = (
    "duty_officer",
    "emergency_office",
    "leader",
    "monitoring_station",
    "enforcement",
    "press_office",
    "investigation_team",
    "plan_owner",
    "filing_authority",
    "expert",
)
CJK = re.compile(r"[\u4e00-\u9fff]")

# docs/PROCEDURES.md sections 1–3: every stable id, with the lane the spec states or implies (None: any lane).
SPEC: dict[str, dict[str, str | None]] = {
    "five_firsts": {
        "Start_IncidentReported": None,
        "Task_RecordIncident": "duty_officer",
        "Service_EvaluateEscalation": None,
        "Task_InitialReport": "duty_officer",
        "Task_WrittenInitialReport": "duty_officer",
        "Task_LeaderSignOff": "leader",
        "Task_SendInitialReport": "duty_officer",
        "Task_ConfirmInitialReportDelivery": "duty_officer",
        "Task_SignOffFollowUpReport": "leader",
        "Task_SendFollowUpReport": "duty_officer",
        "Task_SignOffFinalReport": "leader",
        "Task_SendFinalReport": "duty_officer",
        "Task_OverdueReportEscalation": "leader",
        "Task_ProposeResponseLevel": "leader",
        "Task_NotifyAdjacentRegions": "emergency_office",
        "Task_DispatchToScene": "emergency_office",
        "Task_DispatchCityWorkGroup": "emergency_office",
        "Task_LeaderOnScene": "leader",
        "Task_ArriveOnScene": "enforcement",
        "Task_MonitoringPlan": "monitoring_station",
        "Task_MonitoringResults": "monitoring_station",
        "Task_PublishInformation": "press_office",
        "Task_PreliminaryInvestigation": "enforcement",
        "Task_FollowUpReport": "duty_officer",
        "Service_ReEvaluateEscalation": None,
        "Task_ReReportAtNewLevel": "duty_officer",
        "Task_RequestEmergencyEnd": "leader",
        "Task_RecordEndDeclaration": "emergency_office",
        "Task_FinalReport": "duty_officer",
        "Task_ConfirmFinalReportDelivery": "duty_officer",
        "End_ResponseClosed": None,
    },
    "investigation_accountability": {
        "Task_RadiationSiteInvestigation": "enforcement",  # RAD Art.42
        "Task_ReportRadiationAccident": "leader",
        "Task_DecideWhetherToInvestigate": "leader",  # the city EEB's leader (O32 Art.4)
        "Task_InvestigationHandover": "leader",  # O32 Art.4: a higher authority organises the investigation
        "Task_AssistHigherInvestigation": "enforcement",
        "Task_ImplementHigherConclusions": "enforcement",
        "Task_FormInvestigationTeam": "leader",
        "Task_InvestigationPlan": "investigation_team",
        "Task_SiteInspection": "investigation_team",
        "Task_Interviews": "investigation_team",
        "Task_ReviewPlanImplementation": "investigation_team",
        "Task_ExamineIncidentUnit": "investigation_team",  # O32 Art.11
        "Task_ExamineAuthorityDuties": "investigation_team",  # O32 Art.12
        "Task_PollutionDamageAssessment": "investigation_team",
        "Task_DetermineCause": "investigation_team",
        "Task_DetermineResponsibility": "investigation_team",
        "Task_RectificationMeasures": "investigation_team",
        "Task_InvestigationReport": "investigation_team",
        "Task_ReportToAuthorities": "investigation_team",
        "Task_FollowUpAccountability": "enforcement",
        "Task_VerifyRectification": "enforcement",
        "Gateway_ThreeNoLetGo": None,
        "Task_TeamLeaderConsent": "leader",  # O32 Art.6
        "Task_PublishConclusions": "press_office",
        "Task_PublicInterestLitigationReferral": "leader",
        "Task_CaseReview": "emergency_office",
        "Task_ArchiveCaseFile": "emergency_office",  # O32 Art.8
    },
    "plan_revision": {
        "Task_RecordRevisionTrigger": "plan_owner",
        "Task_RetrospectiveAssessment": "plan_owner",
        "Task_FormDraftingGroup": "plan_owner",
        "Task_RiskAssessment": "plan_owner",
        "Task_ResourceSurvey": "plan_owner",
        "Task_DraftPlan": "plan_owner",
        "Task_ExpertReview": "expert",
        "Task_Drill": "plan_owner",
        "Task_CompanyMeeting": "plan_owner",
        "Task_SignAndIssue": "plan_owner",
        "Task_SubmitFiling": "plan_owner",
        "Task_CheckFilingMaterials": "filing_authority",
        "Task_IssueFilingReceipt": "filing_authority",
        "Task_NotifyMissingMaterials": "filing_authority",
        "Task_AdjustItems": "plan_owner",
        "Task_WrittenChangeNotice": "plan_owner",
        "Task_PublishFiledPlan": "filing_authority",
        "Task_RecordFirstPlan": "plan_owner",
    },
}
SECTIONS = {"five_firsts": 1, "investigation_accountability": 2, "plan_revision": 3}
SUPPORTING_SECTION = 4

# docs/ESCALATION.md, §Facts: the incident facts, by their contract names.
FACTS = {
    "deaths": ("long", None),
    "injured_or_poisoned": ("long", None),
    "evacuated": ("long", None),
    "direct_loss_yuan": ("double", None),
    "water_source_interruption": ("enum", {"none", "township", "county", "city"}),
    "radioactive_source_class": ("enum", {"none", "I", "II", "III", "IV", "V"}),
    "radiation_wide_severe_contamination": ("boolean", None),
    "ecological_damage": (
        "enum",
        {"none", "protected_species_damaged", "partial_loss_or_mass_death", "function_loss_or_extinction"},
    ),
    "cross_boundary": ("enum", {"none", "county", "city", "province", "national"}),
    "heavy_metal": ("boolean", None),
    "affects_drinking_water_source": ("boolean", None),
    "sensitive_receptors": ("enum", {"school", "hospital", "residential", "other"}),
    "mass_incident": ("boolean", None),
    "sensitive_period": ("boolean", None),
    "reporting_authority": ("enum", {"county", "city"}),
}
FILING_DOCUMENTS = (
    "doc_filing_form",
    "doc_plan_and_explanatory_note",
    "doc_risk_assessment_report",
    "doc_resource_survey_report",
    "doc_review_opinion",
)


# ------------------------------------------------------------------------------------------------------ model
@dataclass
class Shape:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Shape) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )

    def contains(self, other: Shape) -> bool:
        return (
            self.x <= other.x
            and other.x + other.w <= self.x + self.w
            and self.y <= other.y
            and other.y + other.h <= self.y + self.h
        )

    def touches(self, px: float, py: float, tolerance: float = 1.0) -> bool:
        inside_x = self.x - tolerance <= px <= self.x + self.w + tolerance
        inside_y = self.y - tolerance <= py <= self.y + self.h + tolerance
        return inside_x and inside_y


@dataclass
class Diagram:
    key: str
    xml: bytes
    root: etree._Element
    process: etree._Element
    nodes: dict[str, etree._Element] = field(default_factory=dict)
    flows: dict[str, etree._Element] = field(default_factory=dict)
    lane_of: dict[str, str] = field(default_factory=dict)
    shapes: dict[str, Shape] = field(default_factory=dict)
    edges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def kind(self, element_id: str) -> str:
        return etree.QName(self.nodes[element_id]).localname

    def of_kind(self, *kinds: str) -> list[etree._Element]:
        return [n for i, n in self.nodes.items() if self.kind(i) in kinds]

    def outgoing(self, element_id: str) -> list[etree._Element]:
        return [f for f in self.flows.values() if f.get("sourceRef") == element_id]

    def form(self, task_id: str) -> dict[str, etree._Element]:
        return {f.get("id"): f for f in self.nodes[task_id].iter(f"{CAMUNDA}formField")}

    def script(self, task_id: str) -> str:
        return self.nodes[task_id].findtext("bpmn:script", namespaces=NS)

    def condition(self, flow: etree._Element) -> str | None:
        text = flow.findtext("bpmn:conditionExpression", namespaces=NS)
        return text.strip() if text and text.strip() else None


@cache
def load(key: str) -> Diagram:
    xml = (PROCESSES / f"{key}.bpmn").read_bytes()
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    process = root.find("bpmn:process", NS)
    d = Diagram(key, xml, root, process)
    for element in process:
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local in FLOW_NODES:
            d.nodes[element.get("id")] = element
        elif local == "sequenceFlow":
            d.flows[element.get("id")] = element
    for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS):
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            d.lane_of[ref.text.strip()] = lane.get("id")
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        bounds = shape.find("dc:Bounds", NS)
        d.shapes[shape.get("bpmnElement")] = Shape(*(float(bounds.get(a)) for a in ("x", "y", "width", "height")))
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        d.edges[edge.get("bpmnElement")] = [
            (float(w.get("x")), float(w.get("y"))) for w in edge.iterfind("di:waypoint", NS)
        ]
    return d


def spec_sections() -> dict[int, str]:
    text = PROCEDURES_MD.read_text(encoding="utf-8")
    parts = re.split(r"^## (\d+)\. ", text, flags=re.M)
    return {int(number): body for number, body in zip(parts[1::2], parts[2::2], strict=True)}


def supporting_elements() -> dict[str, dict[str, str]]:
    """Section 4 of docs/PROCEDURES.md: per diagram, the rows ``| `element` | lane | ...`` of its table."""
    parts = re.split(r"^### `(\w+)`", spec_sections()[SUPPORTING_SECTION], flags=re.M)
    return {
        key: dict(re.findall(r"^\| `(\w+)` \| (\w+) \|", body, flags=re.M))
        for key, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def cjk(text: str | None) -> bool:
    return bool(text) and CJK.search(text) is not None


def sandbox(**functions) -> SandboxedEnvironment:
    return SandboxedEnvironment(functions)


def _add_days(iso: str, days: float) -> str:
    return (datetime.fromisoformat(iso) + timedelta(days=days)).isoformat()


def _minutes_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60


def _add_minutes(iso: str, minutes: float) -> str:
    return (datetime.fromisoformat(iso) + timedelta(minutes=minutes)).isoformat()


diagrams = pytest.mark.parametrize("key", KEYS)


# ---------------------------------------------------------------------------------------------- deployability
def test_processes_holds_the_three_diagrams() -> None:
    assert sorted(p.stem for p in PROCESSES.glob("*.bpmn")) == sorted(KEYS)


@diagrams
def test_diagram_passes_the_deploy_time_validator(key: str) -> None:
    """No errors from engine.definitions.validation.check, which also has CamundaParser build the spec."""
    kwargs = {"functions": FUNCTIONS}
    if "topics" in inspect.signature(validation.check).parameters:
        kwargs["topics"] = TOPICS
    problems = validation.check(load(key).xml, **kwargs)
    assert problems == [], "\n".join(f"line {p.line} {p.element_id}: {p.code}: {p.message}" for p in problems)


@diagrams
def test_diagram_is_schema_valid_bpmn_and_parses_with_camunda_parser(key: str) -> None:
    """Standard BPMN 2.0 with DI (the OMG schema SpiffWorkflow ships), and a spec CamundaParser can build."""
    schema_dir = Path(bpmn_parser.__file__).parent / "schema"
    schema = etree.XMLSchema(etree.parse(str(schema_dir / "BPMN20.xsd")))
    tree = etree.ElementTree(load(key).root)
    assert schema.validate(tree), "\n".join(f"line {e.line}: {e.message}" for e in schema.error_log)
    parser = CamundaParser()
    parser.add_bpmn_xml(tree)
    assert parser.get_spec(key).name == key


@diagrams
def test_one_executable_process_keyed_like_the_file(key: str) -> None:
    d = load(key)
    assert d.process.get("id") == key
    assert d.process.get("isExecutable") == "true"
    assert len(d.root.findall("bpmn:process", NS)) == 1
    assert not {"Start", "End", "Root"} & set(d.nodes), "SpiffWorkflow's internal task names"


@diagrams
def test_documentation_says_in_english_what_was_decided(key: str) -> None:
    text = load(key).process.findtext("bpmn:documentation", namespaces=NS) or ""
    assert len(text) > 1500
    assert "Decisions where the spec is silent" in text
    ascii_share = sum(ch.isascii() for ch in text) / len(text)
    assert ascii_share > 0.9, "the documentation is English (Chinese quotations of the sources are fine)"


# -------------------------------------------------------------------------------------------- diagram interchange
@diagrams
def test_every_element_is_laid_out(key: str) -> None:
    d = load(key)
    participants = d.root.findall("bpmn:collaboration/bpmn:participant", NS)
    assert [p.get("processRef") for p in participants] == [key]
    assert cjk(participants[0].get("name"))
    plane = d.root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    assert plane.get("bpmnElement") == d.root.find("bpmn:collaboration", NS).get("id")
    lanes = [lane.get("id") for lane in d.process.iterfind("bpmn:laneSet/bpmn:lane", NS)]
    missing = [i for i in [participants[0].get("id"), *lanes, *d.nodes] if i not in d.shapes]
    assert missing == [], f"no BPMNShape for {missing}"
    for flow_id in d.flows:
        assert len(d.edges.get(flow_id, [])) >= 2, f"no BPMNEdge with waypoints for {flow_id}"


@diagrams
def test_shapes_do_not_overlap_and_sit_in_their_lanes(key: str) -> None:
    d = load(key)
    for a, b in itertools.combinations(d.nodes, 2):
        if d.nodes[a].get("attachedToRef") == b or d.nodes[b].get("attachedToRef") == a:
            continue
        assert not d.shapes[a].overlaps(d.shapes[b]), f"{a} overlaps {b}"
    pool = d.shapes[d.root.find("bpmn:collaboration/bpmn:participant", NS).get("id")]
    for node_id, lane in d.lane_of.items():
        assert pool.contains(d.shapes[lane])
        if d.kind(node_id) != "boundaryEvent":
            assert d.shapes[lane].contains(d.shapes[node_id]), f"{node_id} is drawn outside lane {lane}"
    lane_shapes = sorted((d.shapes[lane] for lane in set(d.lane_of.values())), key=lambda s: s.y)
    for upper, lower in itertools.pairwise(lane_shapes):
        assert upper.y + upper.h <= lower.y, "lanes are stacked horizontally, without overlap"


@diagrams
def test_edges_are_orthogonal_connect_their_shapes_and_run_left_to_right(key: str) -> None:
    """Flows go right except the loops, which go back into a merging exclusive gateway."""
    d = load(key)
    for flow_id, flow in d.flows.items():
        points = d.edges[flow_id]
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2, f"{flow_id} has a diagonal segment"
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        assert d.shapes[source].touches(*points[0]), f"{flow_id} does not start at {source}"
        assert d.shapes[target].touches(*points[-1]), f"{flow_id} does not end at {target}"
        if d.shapes[target].x < d.shapes[source].x:
            assert d.kind(target) == "exclusiveGateway" and len(d.outgoing(target)) == 1, (
                f"{flow_id} runs right to left into {target}, which is not a loop's merging gateway"
            )


# ---------------------------------------------------------------------------------------- the spec's elements
@diagrams
def test_lanes_are_the_roles_of_procedures(key: str) -> None:
    d = load(key)
    lanes = d.process.findall("bpmn:laneSet/bpmn:lane", NS)
    assert {lane.get("id") for lane in lanes} <= set(LANES)
    assert all(cjk(lane.get("name")) for lane in lanes)
    assert set(d.lane_of) == set(d.nodes), "every flow node is in exactly one lane"


def canonical_lane_names() -> dict[str, str]:
    """docs/PROCEDURES.md, §Roles: the one name of each lane, the same in every diagram."""
    text = PROCEDURES_MD.read_text(encoding="utf-8")
    roles = text[text.index("## Roles") : text.index("## 1. ")]
    return {m[0]: m[1] for m in re.findall(r"^\| `(\w+)` \|.*\| ([^|]+?) \|$", roles, flags=re.M)}


@diagrams
def test_lane_names_are_the_canonical_list(key: str) -> None:
    names = canonical_lane_names()
    assert set(names) == set(LANES)
    for lane in load(key).process.iterfind("bpmn:laneSet/bpmn:lane", NS):
        assert lane.get("name") == names[lane.get("id")], lane.get("id")


@diagrams
def test_spec_element_ids_exist_in_their_lanes(key: str) -> None:
    d = load(key)
    for element_id, lane in SPEC[key].items():
        assert element_id in d.nodes, f"{element_id} is missing from {key}"
        prefix = element_id.split("_", 1)[0]
        expected = {
            "Task": ("userTask",),
            "Service": ("serviceTask",),
            "Start": ("startEvent",),
            "End": ("endEvent",),
            "Gateway": ("exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"),
        }[prefix]
        assert d.kind(element_id) in expected
        if lane is not None:
            assert d.lane_of[element_id] == lane, f"{element_id} is in lane {d.lane_of[element_id]}, not {lane}"


@diagrams
def test_spec_table_matches_procedures_md(key: str) -> None:
    """Every id docs/PROCEDURES.md names in the diagram's section is in SPEC, with the lane the spec states; and
    every id of SPEC is named there, every lane of SPEC stated."""
    body = spec_sections()[SECTIONS[key]]
    named = set(re.findall(r"`((?:Task|Service|Gateway|Start|End)_[A-Za-z]+)`", body))
    assert named, "no ids found: has the format of docs/PROCEDURES.md changed?"
    assert named <= set(SPEC[key]), f"named in docs/PROCEDURES.md but not checked here: {named - set(SPEC[key])}"
    assert set(SPEC[key]) <= named, f"stable ids docs/PROCEDURES.md does not name: {set(SPEC[key]) - named}"
    stated = {m[0]: m[1] for m in re.findall(r"`(Task_[A-Za-z]+)`\s*\((\w+)", body) if m[1] in LANES}
    for element_id, lane in stated.items():
        assert SPEC[key][element_id] == lane
        assert load(key).lane_of[element_id] == lane
    unstated = {i for i, lane in SPEC[key].items() if lane is not None and i.startswith("Task_")} - set(stated)
    assert not unstated, f"docs/PROCEDURES.md names these tasks without their lane: {unstated}"


@diagrams
def test_supporting_elements_of_procedures_md_are_in_the_diagram(key: str) -> None:
    """Section 4 of docs/PROCEDURES.md lists every named element outside SPEC, in the lane the diagram has."""
    d = load(key)
    listed = supporting_elements()[key]
    for element_id, lane in listed.items():
        assert element_id in d.nodes, f"docs/PROCEDURES.md lists {element_id}, which {key} does not have"
        assert d.lane_of[element_id] == lane, f"{element_id} is in lane {d.lane_of[element_id]}, not {lane}"
    unlisted = {i for i, node in d.nodes.items() if node.get("name") and i not in SPEC[key]} - set(listed)
    assert not unlisted, f"named elements of {key} that docs/PROCEDURES.md does not list: {unlisted}"


# ------------------------------------------------------------------------------------------------- people
@diagrams
def test_people_see_chinese_names(key: str) -> None:
    d = load(key)
    for node_id, node in d.nodes.items():
        kind = d.kind(node_id)
        is_merge = kind.endswith("Gateway") and len(d.outgoing(node_id)) == 1
        if not is_merge:
            assert cjk(node.get("name")), f"{node_id} needs a Chinese name"
    for flow_id, flow in d.flows.items():
        if d.condition(flow) or d.nodes[flow.get("sourceRef")].get("default") == flow_id:
            assert cjk(flow.get("name")), f"{flow_id} leaves a decision: it needs a Chinese name"


@diagrams
def test_user_tasks_have_forms_with_chinese_labels(key: str) -> None:
    d = load(key)
    for task in d.of_kind("userTask"):
        fields = d.form(task.get("id"))
        assert fields, f"{task.get('id')} has no camunda:formData"
        assert any(f.find(".//camunda:constraint[@name='required']", NS) is not None for f in fields.values())
        for field_id, form_field in fields.items():
            assert field_id.isidentifier() and not field_id.startswith("_")
            assert cjk(form_field.get("label")), f"{task.get('id')}.{field_id} needs a Chinese label"
            assert form_field.get("type") in FIELD_TYPES
            values = form_field.findall("camunda:value", NS)
            assert bool(values) == (form_field.get("type") == "enum")
            assert all(cjk(v.get("name")) for v in values), f"{task.get('id')}.{field_id}: Chinese enum names"


@diagrams
def test_a_field_id_means_one_datum(key: str) -> None:
    """The same id in two forms of one diagram has the same type (it is the same datum)."""
    d = load(key)
    types: dict[str, set[str]] = {}
    for task in d.of_kind("userTask"):
        for field_id, form_field in d.form(task.get("id")).items():
            types.setdefault(field_id, set()).add(form_field.get("type"))
    assert {k: v for k, v in types.items() if len(v) > 1} == {}


def test_no_name_calls_a_filing_approved() -> None:
    """D13: a filing confirms completeness; nothing shown to people says 批准 or approved."""
    for key in KEYS:
        d = load(key)
        shown = [n.get("name") or "" for n in d.root.iter() if isinstance(n.tag, str)]
        shown += [f.get("label") or "" for f in d.root.iter(f"{CAMUNDA}formField")]
        assert not [s for s in shown if "批准" in s or "审批" in s or "approv" in s.lower()]


# -------------------------------------------------------------------------------------------------- gateways
@diagrams
def test_exclusive_gateways_decide_with_conditions_and_a_default(key: str) -> None:
    d = load(key)
    for gateway in d.of_kind("exclusiveGateway"):
        out = d.outgoing(gateway.get("id"))
        if len(out) < 2:
            continue
        default = gateway.get("default")
        assert default in {f.get("id") for f in out}, f"{gateway.get('id')} needs a default flow"
        for flow in out:
            assert (d.condition(flow) is None) == (flow.get("id") == default), flow.get("id")


def outcome(d: Diagram, gateway_id: str, data: dict) -> str:
    """The flow a gateway takes for ``data``, asserting that at most one condition holds."""
    env = sandbox()
    taken = [f for f in d.outgoing(gateway_id) if d.condition(f) and env.evaluate(d.condition(f), dict(data))]
    assert len(taken) <= 1, f"{gateway_id}: conditions not mutually exclusive for {data}"
    if taken:
        return taken[0].get("targetRef")
    return next(f.get("targetRef") for f in d.outgoing(gateway_id) if f.get("id") == d.nodes[gateway_id].get("default"))


def after_merges(d: Diagram, element_id: str) -> str:
    while d.kind(element_id) == "exclusiveGateway" and len(d.outgoing(element_id)) == 1:
        element_id = d.outgoing(element_id)[0].get("targetRef")
    return element_id


@pytest.mark.parametrize(("cause", "responsible", "rectified"), list(itertools.product((True, False), repeat=3)))
def test_three_no_let_go_loops_back_to_the_owner_of_the_first_failed_condition(
    cause: bool, responsible: bool, rectified: bool
) -> None:
    """The cause is checked when the report is submitted (Gateway_CauseEstablished), before anything is published or
    followed up; the responsibility and the rectification at the gate the case must pass to close."""
    d = load("investigation_accountability")
    data = {"cause_established": cause, "responsible_dealt_with": responsible, "rectification_done": rectified}
    assert d.outgoing("Task_ReportToAuthorities")[0].get("targetRef") == "Gateway_CauseEstablished"
    after_submission = outcome(d, "Gateway_CauseEstablished", data)
    if after_submission == "Gateway_SubmissionSplit":
        follow_up = [f.get("targetRef") for f in d.outgoing("Gateway_SubmissionSplit")]
        assert sorted(after_merges(d, t) for t in follow_up) == [
            "Task_FollowUpAccountability",
            "Task_TeamLeaderConsent",
        ]
        target = after_merges(d, outcome(d, "Gateway_ThreeNoLetGo", data))
    else:
        target = after_merges(d, after_submission)
    owners = {
        "cause_established": "Task_DetermineCause",
        "responsible_dealt_with": "Task_FollowUpAccountability",
        "rectification_done": "Task_VerifyRectification",
    }
    failed = [owner for name, owner in owners.items() if not data[name]]
    assert target == (failed[0] if failed else "Gateway_ClosingJoin")
    assert [f.get("targetRef") for f in d.outgoing("Gateway_ClosingJoin")] == ["Task_CaseReview"]
    for name, owner in owners.items():
        assert name in d.form(owner), f"{owner} sets {name}"


@pytest.mark.parametrize("written_late", [True, False])
def test_a_late_submission_is_escalated_once(written_late: bool) -> None:
    """O32 Art.16: the deadline covers writing and submitting; a late writing already escalated the miss."""
    d = load("investigation_accountability")
    expected = "End_SubmissionOverdueCovered" if written_late else "Task_OverdueReportSubmission"
    assert outcome(d, "Gateway_ReportAlreadyEscalated", {"report_written_late": written_late}) == expected
    assert d.lane_of["Task_OverdueReportSubmission"] == "leader"
    for due, written, late in (
        ("2026-05-15T18:00:00+08:00", "2026-05-15T10:01:00+00:00", True),
        ("2026-05-15T18:00:00+08:00", "2026-05-15T09:59:00+00:00", False),
    ):
        data = {"investigation_report_due_at": due}
        env = sandbox(now_iso=lambda written=written: written, minutes_between=_minutes_between)
        env.execute(d.script("Script_RecordReportWritten"), data)
        assert data["report_written_late"] is late


def test_following_up_penalties_does_not_rewrite_the_report() -> None:
    """Only a new cause leads back through the report; the responsibility and rectification loops stay after it."""
    d = load("investigation_accountability")
    report_path = {"Task_InvestigationReport", "Task_ReportToAuthorities", "Task_RectificationMeasures"}
    for data in (
        {"cause_established": True, "responsible_dealt_with": False, "rectification_done": True},
        {"cause_established": True, "responsible_dealt_with": True, "rectification_done": False},
    ):
        element, seen = after_merges(d, outcome(d, "Gateway_ThreeNoLetGo", data)), set()
        while element != "Gateway_ThreeNoLetGo":
            seen.add(element)
            [flow] = d.outgoing(element)
            element = flow.get("targetRef")
        assert not seen & report_path, seen


@pytest.mark.parametrize(
    ("level", "radiation", "higher", "expected"),
    [
        ("I", False, False, "Script_PrepareInvestigation"),
        ("II", False, False, "Script_PrepareInvestigation"),
        ("III", False, False, "Script_PrepareInvestigation"),
        ("III", False, True, "Task_InvestigationHandover"),
        ("IV", False, False, "Task_DecideWhetherToInvestigate"),
        ("IV", False, True, "Task_DecideWhetherToInvestigate"),  # D12: the city EEB decides for level IV
        ("IV", True, False, "Task_RadiationSiteInvestigation"),
        ("II", True, True, "Task_RadiationSiteInvestigation"),
    ],
)
def test_only_level_iv_asks_whether_to_investigate(level: str, radiation: bool, higher: bool, expected: str) -> None:
    d = load("investigation_accountability")
    data = {
        "escalation": {"level": level, "radiation_event": radiation},
        "investigation_led_by_higher_authority": higher,
    }
    assert after_merges(d, outcome(d, "Gateway_InvestigationScope", data)) == expected
    assert outcome(d, "Gateway_InvestigateDecision", {"investigate": False}) == "End_NotInvestigated"
    assert (
        d.form("Task_DecideWhetherToInvestigate")["investigation_decision_reason"].find(
            ".//camunda:constraint[@name='required']", NS
        )
        is not None
    )


@pytest.mark.parametrize(
    ("level", "held", "expected"),
    [
        ("I", False, "Task_HoldPressConference"),
        ("II", False, "Task_HoldPressConference"),
        ("II", True, "Gateway_PressConferenceMerge"),
        ("III", False, "Gateway_PressConferenceMerge"),
        ("IV", False, "Gateway_PressConferenceMerge"),
    ],
)
def test_level_ii_and_above_require_a_press_conference(level: str, held: bool, expected: str) -> None:
    d = load("five_firsts")
    data = {"escalation": {"level": level}, "press_conference_held": held}
    assert outcome(d, "Gateway_PressConferenceRequired", data) == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("raised", "Task_ReReportAtNewLevel"),
        ("lowered_pending", "Task_ConfirmLowerLevel"),
        ("unchanged", "Gateway_LevelChangeMerge"),
    ],
)
def test_follow_up_reports_reopen_reporting_when_raised_and_never_lower_silently(change: str, expected: str) -> None:
    d = load("five_firsts")
    assert outcome(d, "Gateway_LevelChange", {"level_change": change}) == expected
    assert d.lane_of["Task_ConfirmLowerLevel"] == "leader"
    assert "confirm_lower_level" in d.form("Task_ConfirmLowerLevel")
    data = {"escalation": {"level": "IV"}, "escalation_pending": {"level": "IV"}}
    sandbox().execute(d.script("Script_ApplyLowerLevel"), data)
    assert data["escalation"] == {"level": "IV"} and "escalation_pending" not in data


def test_phone_reports_are_followed_by_a_written_one() -> None:
    d = load("five_firsts")
    channel = d.form("Task_InitialReport")["channel"]
    assert {v.get("id") for v in channel.findall("camunda:value", NS)} == {"phone", "written", "online"}
    assert outcome(d, "Gateway_InitialReportChannel", {"channel": "phone"}) == "Task_WrittenInitialReport"
    for other in ("written", "online"):
        assert after_merges(d, outcome(d, "Gateway_InitialReportChannel", {"channel": other})) == "Task_LeaderSignOff"


# ---------------------------------------------------------------------------------------------------- forms
@pytest.mark.parametrize("task", ["Task_RecordIncident", "Task_FollowUpReport"])
def test_incident_facts_use_the_escalation_contract_names(task: str) -> None:
    fields = load("five_firsts").form(task)
    for name, (field_type, values) in FACTS.items():
        assert name in fields, f"{task} lacks {name}"
        assert fields[name].get("type") == field_type, name
        if values is not None:
            assert {v.get("id") for v in fields[name].findall("camunda:value", NS)} == values, name


def test_initial_report_carries_the_o17_contents() -> None:
    fields = load("five_firsts").form("Task_InitialReport")
    labels = "".join(f.get("label") for f in fields.values())
    for content in (
        "发生时间",
        "地点",
        "信息来源",
        "起因和性质",
        "基本过程",
        "主要污染物",
        "监测数据",
        "人员受害",
        "饮用水水源地",
        "发展趋势",
        "处置情况",
        "拟采取的措施",
        "下一步工作建议",
        "示意图",
    ):
        assert content in labels, content


def test_investigation_report_has_the_eight_sections_of_o32_art15() -> None:
    labels = [f.get("label") for f in load("investigation_accountability").form("Task_InvestigationReport").values()]
    numbered = [label for label in labels if re.match(r"[一二三四五六七八]、", label)]
    assert [label[0] for label in numbered] == list("一二三四五六七八")
    for content in ("概况", "人身伤亡", "原因和性质", "防范", "监管", "责任认定", "整改措施建议", "其他"):
        assert any(content in label for label in numbered), content


def test_investigation_team_needs_two_investigators_and_no_conflict_of_interest() -> None:
    d = load("investigation_accountability")
    count = d.form("Task_FormInvestigationTeam")["investigator_count"]
    assert count.find(".//camunda:constraint[@name='min']", NS).get("config") == "2"
    assert outcome(d, "Gateway_NoConflictOfInterest", {"no_conflict_of_interest": False}) == "Gateway_TeamMerge"
    assert after_merges(d, "Gateway_TeamMerge") == "Task_FormInvestigationTeam"


# --------------------------------------------------------------------------------------------- filing (F2015)
def test_filing_check_is_a_checklist_of_the_five_documents() -> None:
    fields = load("plan_revision").form("Task_CheckFilingMaterials")
    for document in FILING_DOCUMENTS:
        assert fields[document].get("type") == "boolean"


@pytest.mark.parametrize("present", list(itertools.product((True, False), repeat=5)))
def test_every_missing_document_is_notified_at_once(present: tuple[bool, ...]) -> None:
    """一次性告知: the notice's list is computed from the whole checklist, not one item per round."""
    d = load("plan_revision")
    data = dict(zip(FILING_DOCUMENTS, present, strict=True))
    sandbox().execute(d.script("Script_ListMissingDocuments"), data)
    missing = [doc for doc, ok in zip(FILING_DOCUMENTS, present, strict=True) if not ok]
    assert data["missing_documents"] == missing
    assert data["missing_documents_text"].count("、") == max(len(missing) - 1, 0)
    assert "checklist" not in data
    expected = "Task_IssueFilingReceipt" if not missing else "Task_NotifyMissingMaterials"
    assert outcome(d, "Gateway_FilingComplete", data) == expected
    if missing:
        assert after_merges(d, d.outgoing("Script_SetResubmissionDeadline")[0].get("targetRef")) == "Task_SubmitFiling"


def test_filed_means_filed() -> None:
    data: dict = {}
    sandbox().execute(load("plan_revision").script("Script_MarkFiled"), data)
    assert data == {"filing_status": "filed"}


def test_revision_triggers_are_those_of_f2015_art12() -> None:
    d = load("plan_revision")
    trigger = d.form("Task_RecordRevisionTrigger")["revision_trigger"]
    kinds = {v.get("id") for v in trigger.findall("camunda:value", NS)}
    assert {
        "incident_lessons",
        "drill_findings",
        "risk_changed",
        "organisation_changed",
        "procedures_changed",
        "resources_changed",
        "higher_level_plan_changed",
        "other",
        "periodic_review",
    } <= kinds
    messages = {m.get("name"): m.get("id") for m in d.root.findall("bpmn:message", NS)}
    assert "revision_trigger" in messages
    caught = {e.get("messageRef") for e in d.process.iterfind(".//bpmn:messageEventDefinition", NS)}
    assert messages["revision_trigger"] in caught
    decision = d.form("Task_RetrospectiveAssessment")["revision_decision"]
    assert {v.get("id") for v in decision.findall("camunda:value", NS)} == {
        "major_revision",
        "item_adjustment",
        "no_change",
    }


def test_the_next_retrospective_falls_due_three_years_on() -> None:
    d = load("plan_revision")
    for decision, expected in (("major_revision", "2028-09-25T00:00:00"), ("no_change", "2029-01-01T00:00:00")):
        data = {"revision_decision": decision, "issued_at": "2025-09-26T00:00:00", "assessed_at": "2026-01-02T00:00:00"}
        sandbox(add_days=_add_days).execute(d.script("Script_ScheduleNextRetrospective"), data)
        assert data["retrospective_due_at"] == expected


# ------------------------------------------------------------------------------------------ deadlines, timers
TIMERS = {
    "five_firsts": [
        ("Task_InitialReport", "initial_report_due_at", "Task_OverdueReportEscalation", "leader"),
        ("Task_ReReportAtNewLevel", "rereport_due_at", "Task_OverdueReReportEscalation", "leader"),
        ("Task_NotifyAdjacentRegions", "adjacent_notification_due_at", "Task_OverdueAdjacentNotification", "leader"),
    ],
    "investigation_accountability": [
        ("Task_InvestigationReport", "investigation_report_due_at", "Task_OverdueInvestigationReport", "leader"),
        ("Task_ReportToAuthorities", "investigation_report_due_at", "Gateway_ReportAlreadyEscalated", "leader"),
    ],
    "plan_revision": [
        ("Task_SubmitFiling", "filing_due_at", "Task_OverdueFiling", "filing_authority"),
        ("Task_CheckFilingMaterials", "check_due_at", "Task_OverdueFilingCheck", "leader"),
        ("Task_WrittenChangeNotice", "change_notice_due_at", "Task_OverdueChangeNotice", "filing_authority"),
    ],
}


@diagrams
def test_deadlines_are_non_interrupting_timers_that_escalate(key: str) -> None:
    d = load(key)
    boundaries = {b.get("attachedToRef"): b for b in d.of_kind("boundaryEvent")}
    for task, variable, overdue, lane in TIMERS[key]:
        timer = boundaries[task]
        assert timer.get("cancelActivity") == "false", "the late work must still be done"
        assert timer.findtext("bpmn:timerEventDefinition/bpmn:timeDate", namespaces=NS).strip() == variable
        assert d.outgoing(timer.get("id"))[0].get("targetRef") == overdue
        assert d.lane_of[overdue] == lane


@pytest.mark.parametrize(
    ("script", "expression"),
    [
        ("Script_ComputeFilingDeadline", "filing_due_at = add_working_days(issued_at, 20)"),
        ("Script_StartFilingCheckClock", "check_due_at = add_working_days(filing_received_at, 5)"),
        ("Script_ComputeChangeNoticeDeadline", "change_notice_due_at = add_working_days(issued_at, 20)"),
    ],
)
def test_filing_deadlines_count_working_days(script: str, expression: str) -> None:
    assert expression in load("plan_revision").script(script)


@pytest.mark.parametrize(
    ("started", "ended", "paused_minutes"),
    [
        ("2025-03-20T09:00:00+08:00", "2025-03-30T11:30:00+08:00", 10 * 1440 + 150),
        ("2028-02-28T23:00:00+08:00", "2028-03-01T01:00:00+08:00", 26 * 60),  # leap day
        ("2025-12-31T23:50:00+08:00", "2026-01-01T00:10:00+08:00", 20),
        ("2025-05-06T10:00:00+08:00", "2025-05-06T10:00:00+08:00", 0),
    ],
)
def test_investigation_clock_pauses_while_the_damage_assessment_runs(
    started: str, ended: str, paused_minutes: int
) -> None:
    """O32 Art.16 / D14: due = emergency_ended_at + 60 or 30 days + the assessment's duration."""
    d = load("investigation_accountability")
    data = {
        "assessment_started_at": started,
        "emergency_ended_at": "2025-03-10T18:00:00+08:00",
        "investigation_time_limit_days": 60,
    }
    env = sandbox(add_days=_add_days, add_minutes=_add_minutes, now_iso=lambda: ended)
    env.execute(d.script("Script_ResumeInvestigationClock"), data)
    assert data["assessment_paused_minutes"] == paused_minutes
    expected = datetime.fromisoformat("2025-05-09T18:00:00+08:00") + timedelta(minutes=paused_minutes)
    assert datetime.fromisoformat(data["investigation_report_due_at"]) == expected
    assert {"stamps", "stamp", "year", "days"}.isdisjoint(data), "the script leaves no scratch variables behind"


@pytest.mark.parametrize(
    ("level", "days", "recipients"),
    [
        ("II", 60, 4),
        ("III", 30, 4),
        ("IV", 30, 2),
    ],
)
def test_investigation_time_limit_and_recipients_follow_the_level(level: str, days: int, recipients: int) -> None:
    d = load("investigation_accountability")
    data = {"escalation": {"level": level, "investigation": {"time_limit_days": days}}}
    sandbox().execute(d.script("Script_PrepareInvestigation"), data)
    assert data["investigation_time_limit_days"] == days
    assert len(data["report_recipients"]) == recipients


# ---------------------------------------------------------------------------------------------- engine services
@diagrams
def test_service_tasks_call_engine_services(key: str) -> None:
    d = load(key)
    for task in d.of_kind("serviceTask"):
        assert task.get(f"{CAMUNDA}type") == "external"
        assert task.get(f"{CAMUNDA}topic") in TOPICS


def properties(d: Diagram, task_id: str) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in d.nodes[task_id].iterfind(".//camunda:property", NS)}


def test_five_firsts_grades_with_the_rules_and_ends_by_starting_the_investigation() -> None:
    d = load("five_firsts")
    assert d.nodes["Service_EvaluateEscalation"].get(f"{CAMUNDA}topic") == "escalation.evaluate"
    assert d.nodes["Service_ReEvaluateEscalation"].get(f"{CAMUNDA}topic") == "escalation.reevaluate"
    assert d.nodes["Service_StartInvestigation"].get(f"{CAMUNDA}topic") == "process.start"
    props = properties(d, "Service_StartInvestigation")
    assert props["definition_key"] == "investigation_accountability"
    assert props["link_kind"] == "investigation"
    passed = props["variables"].split(",")
    assert {"escalation", "emergency_ended_at", "direct_loss_yuan", *FACTS} <= set(passed)
    # the investigation starts once the declared end has joined the five firsts, before the final report
    assert [f.get("targetRef") for f in d.outgoing("Service_StartInvestigation")] == ["Task_FinalReport"]
    split = d.outgoing("Gateway_FiveFirstsSplit")
    assert d.kind("Gateway_FiveFirstsSplit") == "parallelGateway" and len(split) == 7  # the five firsts, plus:
    assert {after_merges(d, f.get("targetRef")) for f in split} >= {
        "Task_ProposeResponseLevel",
        "Gateway_AdjacentNotificationRequired",
    }


def test_case_review_can_start_plan_revision_with_incident_lessons() -> None:
    d = load("investigation_accountability")
    assert d.form("Task_CaseReview")["start_plan_revision"].get("type") == "boolean"
    assert outcome(d, "Gateway_StartPlanRevision", {"start_plan_revision": True}) == "Script_SetRevisionTrigger"
    data = {"lessons_learned": "夜间泄漏未纳入预案"}
    sandbox().execute(d.script("Script_SetRevisionTrigger"), data)
    assert data["revision_trigger"] == "incident_lessons"
    props = properties(d, "Service_StartPlanRevision")
    assert props["definition_key"] == "plan_revision" and props["link_kind"] == "plan_revision"
    assert "revision_trigger" in props["variables"].split(",")
    assert [f.get("targetRef") for f in d.outgoing("Script_SetRevisionTrigger")] == ["Service_StartPlanRevision"]


def test_follow_up_reporting_can_end_so_the_five_firsts_can_join() -> None:
    """A parallel join waits for every branch: the follow-up loop ends when the government's declaration of the
    end, which the bureau requested, is recorded (ERL2024 Art.86)."""
    d = load("five_firsts")
    assert outcome(d, "Gateway_EndProposed", {"propose_emergency_end": False}) == "Gateway_FollowUpMerge"
    assert outcome(d, "Gateway_EndProposed", {"propose_emergency_end": True}) == "Task_RequestEmergencyEnd"
    assert outcome(d, "Gateway_EndRequested", {"end_requested": False}) == "Gateway_FollowUpMerge"
    assert outcome(d, "Gateway_EndRequested", {"end_requested": True}) == "Task_RecordEndDeclaration"
    assert outcome(d, "Gateway_EmergencyEnded", {"emergency_ended": False}) == "Gateway_FollowUpMerge"
    assert outcome(d, "Gateway_EmergencyEnded", {"emergency_ended": True}) == "Script_CarryLatestSituation"
    assert "emergency_ended_at" in d.form("Task_RecordEndDeclaration")


def test_the_latest_facts_and_decision_survive_the_join() -> None:
    """SpiffWorkflow merges parallel branches' data in arrival order; the report branch's latest values win."""
    d = load("five_firsts")
    latest = {"escalation": {"level": "II"}, "source": "续报", "place": "下游", **{k: 7 for k in FACTS}}
    branch = dict(latest)
    sandbox().execute(d.script("Script_CarryLatestSituation"), branch)
    stale = {
        "escalation": {"level": "IV"},
        "source": "初报",
        "place": "上游",
        **{k: 0 for k in FACTS},
        "latest_situation": branch["latest_situation"],
    }
    sandbox().execute(d.script("Script_RestoreLatestSituation"), stale)
    assert {k: stale[k] for k in latest} == latest
    assert "latest_situation" not in stale
