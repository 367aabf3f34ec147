"""Deploy-time validation of BPMN documents: every problem at once, each naming the element and its line.

SpiffWorkflow's parser stops at the first problem, reports no line numbers, skips whatever is not
reachable from a start event, and checks nothing inside conditions, scripts or timers: a bad condition, an
unquoted timer or ``__import__('os')`` surfaces only when an incident reaches it. This module reads the
document itself (parsed safely by ``engine.definitions.xmlsafe``), checks the structure the engine depends on and every
piece of diagram code (through the sandbox's allow-list), and only then lets ``CamundaParser`` build the spec
from the same tree.

Problems with ``severity == 'error'`` block deployment; warnings (e.g. a condition reading a variable that
nothing in the diagram sets, which is fine if the instance is started with it) are reported but do not.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from lxml import etree

from engine.bpmn.parser import ProcessSpec, SpecParseError, iso_timer_error, parse_spec
from engine.definitions.forms import FIELD_TYPES
from engine.definitions.xmlsafe import XmlRejected, parse_xml
from engine.errors import DefinitionInvalid
from engine.sandbox import ALLOWED_FUNCTIONS, ForbiddenExpression, check_expression

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
RESERVED_IDS = frozenset({"Start", "End", "Root"})
_XSD_NS = "http://www.w3.org/2001/XMLSchema"

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, worded for the administrator who must fix the diagram."""

    code: str
    message: str
    element_id: str | None = None
    line: int | None = None
    severity: str = ERROR

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ParsedDefinition:
    """What may happen: the parsed, immutable spec of the document's one executable process."""

    key: str
    name: str | None
    spec: ProcessSpec
    subprocess_specs: dict[str, ProcessSpec]
    lanes: dict[str, tuple[str, str | None]]
    documentation: str | None
    warnings: tuple[Problem, ...] = ()


def check(
    xml: bytes, *, include_warnings: bool = False, functions: Iterable[str] = (), topics: Iterable[str] | None = None
) -> list[Problem]:
    """All problems that block deploying ``xml`` ([] when it is deployable), sorted by line.

    ``include_warnings`` adds the non-blocking ones. ``functions`` names host callables the script engine will
    offer (``make_script_engine(functions=...)``), so diagrams may call them.
    """
    result = _Validator(xml, frozenset(functions), topics=topics).run()
    return [p for p in result.problems if include_warnings or p.severity == ERROR]


def parse_definition(
    xml: bytes, *, functions: Iterable[str] = (), validate: bool = True, topics: Iterable[str] | None = None
) -> ParsedDefinition:
    """Validate and parse; raises DefinitionInvalid(problems) if anything blocks deployment.

    ``validate=False`` skips the checks beyond what parsing itself needs (XML safety, one executable process,
    SpiffWorkflow's own parse) — for re-loading definitions that were validated when they were deployed, so
    that a rule added later cannot make a stored version unloadable.
    """
    result = _Validator(xml, frozenset(functions), full=validate, topics=topics).run()
    errors = [p for p in result.problems if p.severity == ERROR]
    if errors or result.parsed is None:
        raise DefinitionInvalid(errors or [Problem("parse_error", "the document could not be parsed")])
    return result.parsed


# ------------------------------------------------------------------------------------------------ vocabulary


def _q(local: str, ns: str = BPMN_NS) -> str:
    return f"{{{ns}}}{local}"


@functools.cache
def _bpmn_element_names() -> frozenset[str]:
    """Concrete element names of BPMN 2.0, from the schema SpiffWorkflow ships (trusted, parsed safely)."""
    import SpiffWorkflow.bpmn.parser as bpmn_parser

    schema_dir = os.path.join(os.path.dirname(bpmn_parser.__file__), "schema")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    names: set[str] = set()
    abstract_types: set[str] = set()
    declared: list[tuple[str, str]] = []
    for filename in ("Semantic.xsd", "BPMN20.xsd"):
        schema = etree.parse(os.path.join(schema_dir, filename), parser)
        for ctype in schema.iter(_q("complexType", _XSD_NS)):
            if ctype.get("abstract") == "true" and ctype.get("name"):
                abstract_types.add(ctype.get("name"))
        for element in schema.iter(_q("element", _XSD_NS)):
            if element.get("name") and element.get("abstract") != "true":
                declared.append((element.get("name"), (element.get("type") or "").split(":")[-1]))
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
_CONDITIONAL_GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway"})
# SpiffWorkflow accepts several outgoing flows only from gateways and start events (TaskParser).
_MULTI_OUTGOING = frozenset(
    {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway", "startEvent"}
)
_PYTHON_FORMATS = frozenset({"", "python", "python3", "py", "text/x-python"})
_TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
_FORM_CONSTRAINTS = frozenset({"required", "readonly", "min", "max", "minlength", "maxlength"})
_NUMERIC_CONSTRAINTS = frozenset({"min", "max", "minlength", "maxlength"})
_LOOKS_ISO = re.compile(r"^(R\d*/)?PT?\d[0-9A-Z.,]*$|^\d{4}-\d{2}", re.I)
_JUEL = re.compile(r"[$#]\{")
_REFS = {"messageRef": "message", "signalRef": "signal", "errorRef": "error", "escalationRef": "escalation"}


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


def _quote(value: str) -> str:
    return f"'{value}'"


# -------------------------------------------------------------------------------------------------- the run


@dataclass
class _Result:
    problems: list[Problem]
    parsed: ParsedDefinition | None


class _Validator:
    def __init__(self, xml: bytes, functions: frozenset[str], full: bool = True, topics: Iterable[str] | None = None):
        self.xml = xml
        self.topics = frozenset(topics) if topics is not None else None
        self.functions = functions
        self.callable_names = frozenset(ALLOWED_FUNCTIONS) | functions
        self.full = full
        self.problems: list[Problem] = []
        self.by_id: dict[str, etree._Element] = {}
        self.defined: set[str] = set()
        self.reads: list[tuple[str, str, etree._Element, str]] = []  # (name, what, element, owner id)

    # ---- recording
    def add(
        self,
        code: str,
        message: str,
        element: etree._Element | None = None,
        element_id: str | None = None,
        line: int | None = None,
        severity: str = ERROR,
    ) -> None:
        if element is not None:
            element_id = element_id or self._owner_id(element)
            line = line or element.sourceline
        self.problems.append(Problem(code, message, element_id, line, severity))

    def _owner_id(self, element: etree._Element) -> str | None:
        node: etree._Element | None = element
        while node is not None:
            if node.get("id"):
                return node.get("id")
            node = node.getparent()
        return None

    # ---- entry point
    def run(self) -> _Result:
        try:
            tree = parse_xml(self.xml)
        except XmlRejected as exc:
            return _Result([Problem(exc.code, exc.message, None, exc.line)], None)
        root = tree.getroot()
        if not _is_bpmn(root, "definitions"):
            qname = etree.QName(root)
            self.add(
                "not_bpmn",
                f"the root element is <{qname.localname}> in namespace "
                f"{qname.namespace or '(none)'}; a BPMN document starts with <bpmn:definitions "
                f'xmlns:bpmn="{BPMN_NS}">',
                root,
            )
            return _Result(self.problems, None)

        self._index(root)
        key_process, runnable = self._select_process(root, _children(root, "process"))
        if self.full:
            self._check_vocabulary(root)
            for process in runnable:
                for container in self._containers(process):
                    self._check_container(container)
            self._check_references(root)
            self._check_code(root)
            self._check_forms(root)
            self._check_services(root)
            self._check_undefined_names()
        parsed = self._parse_with_spiff(tree, key_process) if key_process is not None else None
        self.problems.sort(key=lambda p: p.line or 0)
        if parsed is not None and any(p.severity == ERROR for p in self.problems):
            parsed = None
        if parsed is not None:
            parsed = replace(parsed, warnings=tuple(p for p in self.problems if p.severity == WARNING))
        return _Result(self.problems, parsed)

    def _index(self, root: etree._Element) -> None:
        for element in root.iter(etree.Element):
            element_id = element.get("id")
            if not element_id or etree.QName(element).namespace == CAMUNDA_NS:
                continue  # camunda:formField / camunda:value ids name data, and repeat across forms by design
            if element_id in RESERVED_IDS:
                self.add(
                    "reserved_id",
                    f"id {_quote(element_id)} is reserved: SpiffWorkflow names its own "
                    f"internal tasks {', '.join(sorted(RESERVED_IDS))}; rename it (e.g. "
                    f"{element_id}Event_1)",
                    element,
                    element_id,
                )
            if element_id in self.by_id:
                first = self.by_id[element_id]
                self.add(
                    "duplicate_id",
                    f"id {_quote(element_id)} is used twice (first at line "
                    f"{first.sourceline}); element ids must be unique in the document",
                    element,
                    element_id,
                )
            else:
                self.by_id[element_id] = element

    # ---- processes
    def _select_process(
        self, root: etree._Element, processes: list[etree._Element]
    ) -> tuple[etree._Element | None, list[etree._Element]]:
        """The one executable process emflow runs, plus the processes it calls (executable too).

        Without a unique one, the candidates are still returned so their structure gets checked in the same
        round (the administrator will flip isExecutable and should not meet a second list of problems).
        """
        if not processes:
            self.add("no_executable_process", "the document contains no <bpmn:process>", root)
            return None, []
        # SpiffWorkflow's rule: a process without isExecutable counts as executable.
        executable = [p for p in processes if p.get("isExecutable", "true") == "true"]
        called = {ca.get("calledElement") for ca in root.iter(_q("callActivity"))}
        top = [p for p in executable if p.get("id") not in called]
        if not top:
            process = processes[0]
            self.add(
                "no_executable_process",
                f"no process is executable: process {_quote(process.get('id'))} has "
                f'isExecutable="{process.get("isExecutable")}". bpmn.io and Camunda Modeler write '
                'isExecutable="false" by default: tick "Executable" in the process properties (or '
                'set isExecutable="true") on the one process emflow should run',
                process,
            )
            return None, processes
        if len(top) > 1:
            ids = ", ".join(_quote(p.get("id")) for p in top)
            for process in top:
                self.add(
                    "multiple_executable_processes",
                    f"process {_quote(process.get('id'))} is one of {len(top)} executable processes "
                    f'({ids}); emflow runs exactly one process per document: set isExecutable="false" '
                    "on the others (pools of other organisations) or deploy them as separate documents",
                    process,
                )
            return None, top
        key_process = top[0]
        runnable, pending = [key_process], [key_process]
        while pending:
            process = pending.pop()
            for call in process.iter(_q("callActivity")):
                target_id = call.get("calledElement")
                target = self.by_id.get(target_id) if target_id else None
                if not target_id:
                    self.add("call_target_missing", "call activity has no calledElement", call)
                elif target is None or not _is_bpmn(target, "process"):
                    self.add(
                        "call_target_missing",
                        f"call activity calls process {_quote(target_id)}, which is not in this "
                        "document; a deployed document must contain every process it calls",
                        call,
                    )
                elif target.get("isExecutable", "true") != "true":
                    self.add(
                        "call_target_not_executable",
                        f"call activity calls process {_quote(target_id)}, which has "
                        'isExecutable="false"; called processes must be executable',
                        call,
                    )
                elif target not in runnable:
                    runnable.append(target)
                    pending.append(target)
        return key_process, runnable

    def _containers(self, process: etree._Element) -> Iterator[etree._Element]:
        yield process
        for element in process.iter(etree.Element):
            if element is not process and _is_bpmn(element) and _local(element) in _CONTAINERS:
                yield element

    # ---- vocabulary
    def _check_vocabulary(self, root: etree._Element) -> None:
        known = _bpmn_element_names()
        for element in root.iter(etree.Element):
            qname = etree.QName(element)
            if qname.namespace == BPMN_NS:
                if qname.localname not in known:
                    self.add("unknown_element", f"<{qname.localname}> is not a BPMN 2.0 element", element)
                elif qname.localname in UNSUPPORTED:
                    self.add("unsupported_element", f"<{qname.localname}>: {UNSUPPORTED[qname.localname]}", element)
            else:
                parent = element.getparent()
                if parent is not None and _is_bpmn(parent) and _local(parent) in _CONTAINERS:
                    self.add(
                        "unknown_element",
                        f"<{qname.localname}> (namespace {qname.namespace or 'none'}) is not a BPMN "
                        "element; extensions belong inside <bpmn:extensionElements>",
                        element,
                    )

    # ---- structure of one process or sub-process
    def _check_container(self, container: etree._Element) -> None:
        kind = _local(container)
        cid = container.get("id")
        members = {c.get("id"): c for c in container if c.get("id") and not _is_bpmn(c, "sequenceFlow")}
        nodes = {i: c for i, c in members.items() if _is_bpmn(c) and _local(c) in FLOW_NODES}
        flows = _children(container, "sequenceFlow")
        starts = _children(container, "startEvent")
        if kind == "process" and not starts:
            self.add("missing_start_event", f"process {_quote(cid)} has no start event", container)
        elif kind in ("subProcess", "transaction"):
            if len(starts) != 1:
                self.add(
                    "missing_start_event" if not starts else "multiple_start_events",
                    f"sub-process {_quote(cid)} must contain exactly one start event, it has {len(starts)}",
                    container,
                )
            if not _children(container, "endEvent"):
                self.add("missing_end_event", f"sub-process {_quote(cid)} has no end event", container)
        elif kind == "adHocSubProcess":
            for event in _children(container, "startEvent", "endEvent"):
                self.add("unsupported_element", "ad-hoc sub-processes may not contain start or end events", event)
            if container.get("ordering") == "sequential":
                self.add(
                    "unsupported_element", "sequential ad-hoc sub-processes are not supported by the engine", container
                )

        outgoing: dict[str, list[etree._Element]] = {}
        incoming: set[str] = set()
        for flow in flows:
            fid = flow.get("id")
            for attr, code, word in (
                ("sourceRef", "flow_source_missing", "comes from"),
                ("targetRef", "flow_target_missing", "goes to"),
            ):
                ref = flow.get(attr)
                if not ref:
                    self.add(code, f"sequence flow {_quote(fid)} has no {attr}", flow)
                elif ref not in self.by_id:
                    self.add(code, f"sequence flow {_quote(fid)} {word} {_quote(ref)}, which does not exist", flow)
                elif ref not in members:
                    self.add(
                        code,
                        f"sequence flow {_quote(fid)} {word} {_quote(ref)}, which is not part of "
                        f"{kind} {_quote(cid)} (sequence flows cannot cross process or sub-process "
                        "borders)",
                        flow,
                    )
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
            if flow.get("targetRef") in members:
                incoming.add(flow.get("targetRef"))

        for node_id, node in nodes.items():
            local = _local(node)
            out = outgoing.get(node_id, [])
            if len(out) > 1 and local not in _MULTI_OUTGOING:
                self.add(
                    "multiple_outgoing",
                    f"{local} {_quote(node_id)} has {len(out)} outgoing sequence flows; the engine "
                    "accepts only one from a task or event: split with a parallel or exclusive gateway",
                    node,
                )
            if local in _CONDITIONAL_GATEWAYS:
                self._check_gateway(node, out)
            else:
                for flow in out:
                    if _children(flow, "conditionExpression"):
                        self.add(
                            "ignored_condition",
                            f"the condition on sequence flow {_quote(flow.get('id'))} is ignored: the "
                            "engine evaluates conditions only on flows leaving exclusive and inclusive "
                            "gateways",
                            flow,
                            severity=WARNING,
                        )
            if (
                node_id not in incoming
                and local not in ("startEvent", "boundaryEvent")
                and kind != "adHocSubProcess"
                and node.get("triggeredByEvent") != "true"
                and node.get("isForCompensation") != "true"
            ):
                self.add(
                    "unreachable_element",
                    f"{local} {_quote(node_id)} has no incoming sequence flow, so it can never run",
                    node,
                    severity=WARNING,
                )
            if local == "boundaryEvent":
                if not any(_local(c).endswith("EventDefinition") for c in _children(node)):
                    self.add(
                        "missing_event_definition",
                        f"boundary event {_quote(node_id)} has no event definition (timer, message, "
                        "error, signal, escalation, conditional or cancel)",
                        node,
                    )
                attached = node.get("attachedToRef")
                if attached not in nodes:
                    self.add(
                        "attached_to_missing",
                        f"boundary event {_quote(node_id)} is attached to {_quote(attached or '')}, "
                        f"which is not an activity of {kind} {_quote(cid)}",
                        node,
                    )
            for loop in _children(node, "multiInstanceLoopCharacteristics"):
                if not _children(loop, "loopCardinality") and not loop.get(_q("collection", CAMUNDA_NS)):
                    self.add(
                        "multi_instance",
                        f"multi-instance {local} {_quote(node_id)} needs camunda:collection (with "
                        "camunda:elementVariable) or a loopCardinality: the Camunda dialect the engine "
                        "reads ignores loopDataInputRef",
                        loop,
                        node_id,
                    )
            if local == "scriptTask":
                script = _children(node, "script")
                if len(script) != 1 or _text(script[0]) is None:
                    self.add("script_syntax", f"script task {_quote(node_id)} has no script", node)

    def _check_gateway(self, gateway: etree._Element, out: list[etree._Element]) -> None:
        gid = gateway.get("id")
        default = gateway.get("default")
        out_ids = {f.get("id") for f in out}
        if default and default not in out_ids:
            self.add(
                "invalid_default",
                f"gateway {_quote(gid)} names {_quote(default)} as its default flow, which is not one "
                "of its outgoing sequence flows",
                gateway,
            )
        if len(out) <= 1:
            return  # SpiffWorkflow makes a single unconditional outgoing flow the default
        unconditional = [
            f
            for f in out
            if f.get("id") != default and _text(next(iter(_children(f, "conditionExpression")), None)) is None
        ]
        for flow in unconditional:
            self.add(
                "missing_condition",
                f"sequence flow {_quote(flow.get('id'))} leaves gateway {_quote(gid)} without a "
                "condition and is not the gateway's default flow: give it a condition or make it the "
                "default",
                flow,
            )
        if not default and not unconditional and _local(gateway) == "exclusiveGateway":
            self.add(
                "no_default_flow",
                f"exclusive gateway {_quote(gid)} has no default flow: if no condition is true at run "
                "time the instance stops with an error",
                gateway,
                severity=WARNING,
            )

    def _check_references(self, root: etree._Element) -> None:
        """messageRef, signalRef, errorRef, escalationRef must name the right root element."""
        for element in root.iter(etree.Element):
            if not _is_bpmn(element):
                continue
            local = _local(element)
            if not (local.endswith("EventDefinition") or local in ("sendTask", "receiveTask")):
                continue
            for attr, kind in _REFS.items():
                ref = element.get(attr)
                if ref and not (ref in self.by_id and _is_bpmn(self.by_id[ref], kind)):
                    self.add(
                        "reference_missing",
                        f"{attr}={_quote(ref)} does not name a <bpmn:{kind}> of this document",
                        element,
                    )

    # ---- diagram code
    def _check_code(self, root: etree._Element) -> None:
        for element in root.iter(etree.Element):
            if not _is_bpmn(element):
                if etree.QName(element).namespace == CAMUNDA_NS and _local(element) in (
                    "executionListener",
                    "taskListener",
                ):
                    self.add(
                        "ignored_extension",
                        f"camunda:{_local(element)} is ignored by the engine (SpiffWorkflow does not "
                        "run listeners); use a script task",
                        element,
                        severity=WARNING,
                    )
                continue
            local = _local(element)
            if local == "conditionExpression":
                self._check_condition(element)
            elif local == "script" and element.getparent() is not None and _is_bpmn(element.getparent(), "scriptTask"):
                self._check_script(element)
            elif local in _TIMER_KINDS:
                self._check_timer(element)
            elif local == "condition" and _is_bpmn(element.getparent(), "conditionalEventDefinition"):
                self._check_expression(element, element.text, "condition", "condition_syntax")
            elif local in ("loopCardinality", "completionCondition", "loopCondition"):
                self._check_expression(element, element.text, local, "expression_syntax")
            elif local in ("messagePath", "formalExpression") and _is_bpmn(
                element.getparent(), "correlationPropertyRetrievalExpression"
            ):
                self._check_expression(element, element.text, "correlation expression", "expression_syntax")
            elif local == "messageEventDefinition":
                payload = element.get(_q("expression", CAMUNDA_NS))
                if payload is not None:
                    self._check_expression(
                        element, payload, "message payload expression", "expression_syntax", owner=element.getparent()
                    )
            self._collect_definitions(element)

    def _collect_definitions(self, element: etree._Element) -> None:
        local = _local(element)
        if local in ("loopDataOutputRef", "loopDataInputRef") and element.text:
            self.defined.add(element.text.strip())
        elif local in ("inputDataItem", "outputDataItem", "dataObject", "dataInput", "dataOutput"):
            self.defined.update(v for v in (element.get("name"), element.get("id")) if v)
        for attr in ("resultVariable", "elementVariable", "collection"):
            value = element.get(_q(attr, CAMUNDA_NS))
            if value:
                self.defined.add(value)

    def _check_condition(self, element: etree._Element) -> None:
        language = element.get("language")
        if language and language.lower() not in _PYTHON_FORMATS:
            self.add(
                "unsupported_language",
                f"condition language {_quote(language)} is not supported; emflow conditions are Python expressions",
                element,
            )
            return
        text = _text(element)
        if text is None:
            return  # an empty condition is a missing one; the gateway check reports it
        self._check_expression(element, text, "condition", "condition_syntax")

    def _check_script(self, element: etree._Element) -> None:
        task = element.getparent()
        script_format = (task.get("scriptFormat") or "").strip().lower()
        if script_format not in _PYTHON_FORMATS:
            self.add(
                "unsupported_language",
                f"scriptFormat {_quote(task.get('scriptFormat'))} is not supported; emflow scripts are Python",
                task,
            )
            return
        text = _text(element)
        if text is not None:
            self._check_expression(element, text, "script", "script_syntax", mode="exec", owner=task)

    def _check_expression(
        self,
        element: etree._Element,
        source: str | None,
        what: str,
        syntax_code: str,
        mode: str = "eval",
        owner: etree._Element | None = None,
    ) -> ast.AST | None:
        """Syntax, sandbox and constant-division checks of one piece of diagram code; its AST if sound."""
        owner = owner if owner is not None else element
        owner_id = self._owner_id(owner)
        base = element.sourceline or 1
        if source is None or not source.strip():
            self.add(syntax_code, f"the {what} is empty", element, owner_id)
            return None
        try:
            check_expression(source, mode, functions=self.functions)
        except SyntaxError as exc:
            hint = ""
            if _JUEL.search(source):
                hint = (
                    " (this looks like a Camunda ${...} expression: emflow expressions are plain "
                    "Python, e.g. severity >= 3)"
                )
            self.add(
                syntax_code,
                f"{what} is not valid Python: {exc.msg}{hint}: {source.strip()[:200]!r}",
                element,
                owner_id,
                line=base + (exc.lineno or 1) - 1,
            )
            return None
        except ForbiddenExpression as exc:
            self.add(
                "forbidden_expression",
                f"{what} is refused by the sandbox: {exc.message}",
                element,
                owner_id,
                line=base + (exc.line or 1) - 1,
            )
            return None
        tree = ast.parse(textwrap.dedent(source), mode=mode)
        for node in ast.walk(tree):
            if _divides_by_zero(node):
                self.add(
                    "division_by_zero",
                    f"{what} divides by zero; it would always fail when it runs",
                    element,
                    owner_id,
                    line=base + node.lineno - 1,
                )
            elif isinstance(node, ast.Name):
                if isinstance(node.ctx, (ast.Store, ast.Del)):
                    self.defined.add(node.id)
                elif node.id not in self.callable_names:
                    self.reads.append((node.id, what, element, owner_id or ""))
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self.reads.append((node.target.id, what, element, owner_id or ""))
        return tree

    # ---- timers
    def _check_timer(self, element: etree._Element) -> None:
        kind = _local(element)
        owner = element.getparent().getparent() if element.getparent() is not None else element
        text = element.text or ""
        stripped = text.strip()
        if not stripped:
            self.add("timer_expression", f"the {kind} of this timer is empty", element, self._owner_id(owner))
            return
        tree: ast.Expression | None = None
        syntax_error = ""
        try:
            tree = ast.parse(textwrap.dedent(text), mode="eval")
        except (SyntaxError, RecursionError, MemoryError) as exc:
            syntax_error = getattr(exc, "msg", None) or type(exc).__name__
        if tree is not None and isinstance(tree.body, ast.Constant):
            value = tree.body.value
            if not isinstance(value, str):
                self.add(
                    "timer_expression",
                    f'{kind} {stripped} must be an ISO 8601 string, e.g. "PT1H"',
                    element,
                    self._owner_id(owner),
                )
                return
            self._check_iso(element, owner, kind, value)
            return
        if iso_timer_error(kind, stripped) is None or _LOOKS_ISO.match(stripped):
            problem = iso_timer_error(kind, stripped)
            self.add(
                "timer_expression",
                f"{kind} {stripped} is not quoted: the engine evaluates timer expressions as Python, so "
                f'it would read {stripped} as code and fail when the timer starts; write "{stripped}"'
                + (f" (and note: {problem})" if problem else ""),
                element,
                self._owner_id(owner),
            )
            return
        if tree is None:
            self.add(
                "timer_expression",
                f'{kind} {stripped[:100]!r} is neither a quoted ISO 8601 value (e.g. "PT1H") nor a '
                f"Python expression ({syntax_error})",
                element,
                self._owner_id(owner),
            )
            return
        # A computed timer, e.g. "PT1H" if level == 'I' else "PT4H": sandbox it, check the literal branches.
        if self._check_expression(element, text, f"{kind} expression", "timer_expression", owner=owner) is None:
            return
        for value in _literal_branches(tree.body):
            self._check_iso(element, owner, kind, value)

    def _check_iso(self, element: etree._Element, owner: etree._Element, kind: str, value: str) -> None:
        problem = iso_timer_error(kind, value)
        if problem:
            self.add("timer_expression", f"{kind} {value!r}: {problem}", element, self._owner_id(owner))

    # ---- forms
    def _check_forms(self, root: etree._Element) -> None:
        for form in root.iter(_q("formData", CAMUNDA_NS)):
            seen: dict[str, int | None] = {}
            owner_id = self._owner_id(form)
            for field in form.iter(_q("formField", CAMUNDA_NS)):
                self._check_form_field(field, owner_id, seen)

    def _check_form_field(self, field: etree._Element, owner_id: str | None, seen: dict[str, int | None]) -> None:
        field_id = field.get("id")
        if not field_id:
            self.add("form_field", "a form field has no id", field, owner_id)
            return
        self.defined.add(field_id)
        label = f"form field {_quote(field_id)}"
        if field_id in seen:
            self.add(
                "form_field",
                f"{label} is defined twice in the same form (first at line {seen[field_id]})",
                field,
                owner_id,
            )
        seen[field_id] = field.sourceline
        if not field_id.isidentifier() or field_id.startswith("_"):
            self.add(
                "form_field",
                f"{label}: the id is not a Python identifier (or starts with '_'), so "
                "conditions and scripts cannot read the value",
                field,
                owner_id,
                severity=WARNING,
            )
        field_type = field.get("type") or "string"
        if field_type not in FIELD_TYPES:
            self.add(
                "form_field",
                f"{label} has type {_quote(field_type)}; supported types: {', '.join(FIELD_TYPES)}",
                field,
                owner_id,
            )
            return
        options = [v.get("id") for v in field if isinstance(v.tag, str) and v.tag == _q("value", CAMUNDA_NS)]
        if field_type == "enum":
            if not options:
                self.add("form_field", f"{label} is an enum without values", field, owner_id)
            duplicates = sorted({o for o in options if options.count(o) > 1 and o})
            if duplicates:
                self.add("form_field", f"{label} lists enum value(s) {', '.join(duplicates)} twice", field, owner_id)
        for constraint in field.iter(_q("constraint", CAMUNDA_NS)):
            name, config = constraint.get("name"), constraint.get("config")
            if name not in _FORM_CONSTRAINTS:
                self.add(
                    "form_field",
                    f"{label}: constraint {_quote(name or '')} is not enforced by emflow "
                    f"(supported: {', '.join(sorted(_FORM_CONSTRAINTS))})",
                    constraint,
                    owner_id,
                    severity=WARNING,
                )
            elif name in _NUMERIC_CONSTRAINTS and not _is_number(config):
                self.add(
                    "form_field", f"{label}: constraint {name} needs a number, not {config!r}", constraint, owner_id
                )
        default = field.get("defaultValue")
        if default is not None:
            self._check_form_default(field, owner_id, label, field_type, default, options)

    def _check_form_default(
        self,
        field: etree._Element,
        owner_id: str | None,
        label: str,
        field_type: str,
        default: str,
        options: list[str | None],
    ) -> None:
        """Defaults are literals for the form, but one that is Python code must still pass the sandbox.

        (a bare word such as ``_draft`` or ``待定`` is text; ``__import__('os')`` is code whatever the field).
        """
        if _JUEL.search(default):
            self.add(
                "form_field",
                f"{label}: default {default!r} is a Camunda expression, which emflow does "
                "not evaluate; use a literal value",
                field,
                owner_id,
            )
            return
        try:
            body = ast.parse(textwrap.dedent(default), mode="eval").body
        except (SyntaxError, RecursionError, MemoryError):
            body = None  # plain text
        if body is not None and not isinstance(body, (ast.Name, ast.Constant)):
            try:
                check_expression(default, "eval", functions=self.functions)
            except (SyntaxError, ForbiddenExpression) as exc:
                reason = exc.message if isinstance(exc, ForbiddenExpression) else exc.msg
                self.add(
                    "forbidden_expression",
                    f"{label}: default value is refused by the sandbox: {reason}",
                    field,
                    owner_id,
                )
                return
        value = default.strip()
        wrong = {
            "long": lambda: re.fullmatch(r"[-+]?\d+", value) is None,
            "double": lambda: not _is_number(value),
            "boolean": lambda: value.lower() not in ("true", "false"),
            "date": lambda: not _is_iso_date(value),
            "enum": lambda: value not in options,
        }.get(field_type, lambda: False)()
        if wrong:
            expected = {
                "long": "an integer",
                "double": "a number",
                "boolean": "true or false",
                "date": "an ISO 8601 date",
                "enum": f"one of {', '.join(o or '' for o in options)}",
            }
            self.add("form_field", f"{label}: default {default!r} is not {expected[field_type]}", field, owner_id)

    # ---- names read but never set
    def _check_undefined_names(self) -> None:
        reported: set[tuple[str, str]] = set()
        for name, what, element, owner_id in self.reads:
            if name in self.defined or name == "_" or (owner_id, name) in reported:
                continue
            reported.add((owner_id, name))
            self.add(
                "undefined_name",
                f"{what} of {_quote(owner_id)} reads {_quote(name)}, which no form field, script, "
                "multi-instance or message in this diagram sets: unless the instance is started with "
                "it, this will fail at run time",
                element,
                owner_id,
                severity=WARNING,
            )

    # ---- SpiffWorkflow
    def _check_services(self, root: etree._Element) -> None:
        """Service tasks call engine services by ``camunda:topic``; an unknown topic would fail at run time."""
        for task in root.iter(_q("serviceTask")):
            topic = task.get(f"{{{CAMUNDA_NS}}}topic")
            if not topic:
                self.add(
                    "service_topic",
                    'a service task needs camunda:type="external" and a camunda:topic '
                    "naming the engine service it calls",
                    task,
                )
            elif self.topics is not None and topic not in self.topics:
                known = ", ".join(sorted(self.topics)) or "(none)"
                self.add("service_topic", f"no engine service for topic {_quote(topic)}; known topics: {known}", task)

    def _parse_with_spiff(self, tree: etree._ElementTree, key_process: etree._Element) -> ParsedDefinition | None:
        key = key_process.get("id")
        try:
            spec, subprocess_specs = parse_spec(tree, key)
        except SpecParseError as exc:
            self._add_parser_problem(str(exc), exc.element_id)
            return None
        documentation = _text(next(iter(_children(key_process, "documentation")), None))
        return ParsedDefinition(
            key=key,
            name=key_process.get("name"),
            spec=spec,
            subprocess_specs=subprocess_specs,
            lanes=self._lanes(tree.getroot()),
            documentation=documentation.strip() if documentation else None,
        )

    def _add_parser_problem(self, message: str, element_id: str | None) -> None:
        """The parser stops at its first error, which is almost always a consequence of one already found."""
        if any(p.severity == ERROR for p in self.problems):
            return
        element = self.by_id.get(element_id) if element_id else None
        message = message if len(message) <= 300 else message[:300] + "…"
        self.add(
            "parse_error",
            f"the engine cannot parse the diagram: {message}",
            element_id=element_id,
            line=element.sourceline if element is not None else None,
        )

    def _lanes(self, root: etree._Element) -> dict[str, tuple[str, str | None]]:
        """Flow node id -> (lane id, lane name): the innermost lane wins, sub-process contents inherit."""
        lanes: dict[str, tuple[str, str | None]] = {}
        for lane in root.iter(_q("lane")):
            for ref in _children(lane, "flowNodeRef"):
                if ref.text and ref.text.strip():
                    lanes[ref.text.strip()] = (lane.get("id"), lane.get("name"))
        for element in root.iter(etree.Element):
            element_id = element.get("id")
            if not element_id or element_id in lanes or not _is_bpmn(element):
                continue
            if _local(element) not in FLOW_NODES:
                continue
            parent = element.getparent()
            while parent is not None and not (parent.get("id") in lanes and _local(parent) in _CONTAINERS):
                parent = parent.getparent()
            if parent is not None:
                lanes[element_id] = lanes[parent.get("id")]
        return lanes


# ------------------------------------------------------------------------------------------------- helpers


def _literal_branches(node: ast.AST) -> list[str]:
    """String literals a computed timer can evaluate to (through ``a if c else b``), checked at deploy."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal_branches(node.body) + _literal_branches(node.orelse)
    return []


def _divides_by_zero(node: ast.AST) -> bool:
    """``x / 0``, ``x // 0``, ``x % 0`` always fail when reached (``'%d' % 0`` formats, not divides)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod))):
        return False
    right, left = node.right, node.left
    if not isinstance(right, ast.Constant) or isinstance(right.value, (str, bytes)) or right.value != 0:
        return False
    return not (isinstance(left, ast.Constant) and isinstance(left.value, (str, bytes)))


def _is_number(text: str | None) -> bool:
    try:
        float(text or "")
    except ValueError:
        return False
    return True


def _is_iso_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
