"""The BPMN the validator knows: namespaces, element names, what the engine cannot run, and tree helpers.

Every part of the validation reads the document through these, so they live apart from any one check.
"""

from __future__ import annotations

import functools
import re

from lxml import etree

from engine.bpmn.parser import schema_dir

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
RESERVED_IDS = frozenset({"Start", "End", "Root"})
_XSD_NS = "http://www.w3.org/2001/XMLSchema"


def _q(local: str, ns: str = BPMN_NS) -> str:
    return f"{{{ns}}}{local}"


@functools.cache
def _bpmn_element_names() -> frozenset[str]:
    """Concrete element names of BPMN 2.0, from the schema SpiffWorkflow ships (trusted, parsed safely)."""
    schemas = schema_dir()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    names: set[str] = set()
    abstract_types: set[str] = set()
    declared: list[tuple[str, str]] = []
    for filename in ("Semantic.xsd", "BPMN20.xsd"):
        schema = etree.parse(str(schemas / filename), parser)
        for ctype in schema.iter(_q("complexType", _XSD_NS)):
            if ctype.get("abstract") == "true" and (abstract_name := ctype.get("name")):
                abstract_types.add(abstract_name)
        for element in schema.iter(_q("element", _XSD_NS)):
            if (element_name := element.get("name")) and element.get("abstract") != "true":
                declared.append((element_name, (element.get("type") or "").split(":")[-1]))
    for name, type_name in declared:
        if type_name not in abstract_types:
            names.add(name)
    return frozenset(names)


# Known BPMN that SpiffWorkflow 3.2 (CamundaParser) cannot execute, or executes wrongly without saying so.
UNSUPPORTED: dict[str, str] = {
    "complexGateway": "complex gateways are not supported by the engine; use exclusive, inclusive or parallel gateways",
    "implicitThrowEvent": "implicit throw events are not supported by the engine",
    "choreographyTask": "choreographies are not executable",
    "callChoreography": "choreographies are not executable",
    "subChoreography": "choreographies are not executable",
    "linkEventDefinition": "link events are not supported by the engine (it would treat them as plain "
    "events); connect the sequence flow directly",
    "compensateEventDefinition": "compensation events are not supported by the engine (it would treat them "
    "as plain events)",
    "businessRuleTask": "business rule tasks (DMN) are not supported: emflow's rules layer is separate from "
    "the diagrams; ask it from a service task",
    "dataStore": "data stores are not supported by the engine",
}

FLOW_NODES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
        "complexGateway",
        "implicitThrowEvent",
    }
)
_CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
_JUEL = re.compile(r"[$#]\{")  # a Camunda ${...} / #{...} expression, which emflow does not evaluate


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _is_bpmn(element: etree._Element, *names: str) -> bool:
    qname = etree.QName(element)
    return qname.namespace == BPMN_NS and (not names or qname.localname in names)


def _children(element: etree._Element, *names: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and _is_bpmn(c, *names)]


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text if element.text.strip() else None


def _quote(value: str | None) -> str:
    return f"'{value}'"
