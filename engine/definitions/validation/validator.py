"""The entry points and the run: parse the XML safely, apply every group of checks in order, then build the spec.

Problems are sorted by line at the end, so the order in which the checks run decides only ties on one line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from lxml import etree

from engine.definitions.validation.code import CodeChecks
from engine.definitions.validation.forms import FormChecks
from engine.definitions.validation.problems import ERROR, WARNING, ParsedDefinition, Problem
from engine.definitions.validation.services import ServiceChecks
from engine.definitions.validation.spec import SpecParsing
from engine.definitions.validation.structure import StructureChecks
from engine.definitions.validation.vocabulary import BPMN_NS, _children, _is_bpmn
from engine.definitions.xmlsafe import XmlRejected, parse_xml
from engine.errors import DefinitionInvalid


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


@dataclass
class _Result:
    problems: list[Problem]
    parsed: ParsedDefinition | None


class _Validator(StructureChecks, CodeChecks, FormChecks, ServiceChecks, SpecParsing):
    """One validation of one document: the checks of every part, run in order by ``run``."""

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
