"""The shape of the diagram the engine depends on: ids, which process runs, elements, flows, gateways, references.

Checked on the tree itself, so that every problem is found at once, with its line, also in parts of the diagram that
no start event reaches.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from engine.definitions.validation.problems import WARNING
from engine.definitions.validation.state import ValidatorState
from engine.definitions.validation.vocabulary import (
    _CONTAINERS,
    BPMN_NS,
    CAMUNDA_NS,
    FLOW_NODES,
    RESERVED_IDS,
    UNSUPPORTED,
    _bpmn_element_names,
    _children,
    _is_bpmn,
    _local,
    _q,
    _quote,
    _text,
)

_CONDITIONAL_GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway"})
# SpiffWorkflow accepts several outgoing flows only from gateways and start events (TaskParser).
_MULTI_OUTGOING = frozenset(
    {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway", "startEvent"}
)
_REFS = {"messageRef": "message", "signalRef": "signal", "errorRef": "error", "escalationRef": "escalation"}


class StructureChecks(ValidatorState):
    """Ids, process selection, element vocabulary, containers, sequence flows, gateways and references."""

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

        outgoing: dict[str | None, list[etree._Element]] = {}
        incoming: set[str | None] = set()
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
