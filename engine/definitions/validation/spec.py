"""Building the spec with SpiffWorkflow (through ``engine.bpmn.parser``) once the document's own checks are done.

Its parser stops at its first error, so that error is reported only when nothing else was found; lanes are read
from the tree, because the spec knows only their names.
"""

from __future__ import annotations

from typing import cast

from lxml import etree

from engine.bpmn.parser import SpecParseError, parse_spec
from engine.definitions.validation.problems import ERROR, ParsedDefinition
from engine.definitions.validation.state import ValidatorState
from engine.definitions.validation.vocabulary import _CONTAINERS, FLOW_NODES, _children, _is_bpmn, _local, _q, _text


class SpecParsing(ValidatorState):
    """The spec of the executable process, SpiffWorkflow's own parse error, and the lanes."""

    def _parse_with_spiff(self, tree: etree._ElementTree, key_process: etree._Element) -> ParsedDefinition | None:
        key = key_process.get("id")
        if not key:  # without this check a document validated and its deployment failed on the NOT NULL key
            self.add(
                "process_without_id",
                "the executable process has no id; emflow deploys and starts a process under its id: give it one "
                '(e.g. id="Incident_1")',
                key_process,
            )
            return None
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
            line=cast("int | None", element.sourceline) if element is not None else None,  # lxml-stubs: untyped
        )

    def _lanes(self, root: etree._Element) -> dict[str, tuple[str | None, str | None]]:
        """Flow node id -> (lane id, lane name): the innermost lane wins, sub-process contents inherit."""
        lanes: dict[str, tuple[str | None, str | None]] = {}
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
                lanes[element_id] = lanes[parent.get("id")]  # type: ignore[index]  # the loop found it in lanes
        return lanes
