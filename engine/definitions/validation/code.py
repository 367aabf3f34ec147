"""Finds every piece of code in the diagram — conditions, scripts, timers, multi-instance, correlation and
message expressions — and checks each as the kind of code it is; notes the names the diagram sets.
"""

from __future__ import annotations

from typing import cast

from lxml import etree

from engine.bpmn.effects import IMMEDIATE, IMMEDIATE_SINCE
from engine.definitions.validation.problems import WARNING
from engine.definitions.validation.timers import TimerChecks
from engine.definitions.validation.vocabulary import CAMUNDA_NS, _is_bpmn, _local, _q, _quote, _text

_PYTHON_FORMATS = frozenset({"", "python", "python3", "py", "text/x-python"})
_TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")


class CodeChecks(TimerChecks):
    """The walk over all diagram code; timers and expressions are checked by the classes this one extends."""

    def _check_code(self, root: etree._Element) -> None:
        for element in root.iter(etree.Element):
            if not _is_bpmn(element):
                if etree.QName(element).namespace == CAMUNDA_NS and _local(element) == "property":
                    self._check_task_property(element)
                elif etree.QName(element).namespace == CAMUNDA_NS and _local(element) in (
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
            elif (
                local == "script"
                and element.getparent() is not None
                and _is_bpmn(
                    element.getparent(),  # type: ignore[arg-type]  # checked just before
                    "scriptTask",
                )
            ):
                self._check_script(element)
            elif local in _TIMER_KINDS:
                self._check_timer(element)
            elif local == "condition" and _is_bpmn(
                element.getparent(),  # type: ignore[arg-type]  # every element below the root has a parent
                "conditionalEventDefinition",
            ):
                self._check_expression(element, element.text, "condition", "condition_syntax")
            elif local in ("loopCardinality", "completionCondition", "loopCondition"):
                self._check_expression(element, element.text, local, "expression_syntax")
            elif local in ("messagePath", "formalExpression") and _is_bpmn(
                element.getparent(),  # type: ignore[arg-type]  # every element below the root has a parent
                "correlationPropertyRetrievalExpression",
            ):
                self._check_expression(element, element.text, "correlation expression", "expression_syntax")
            elif local == "messageEventDefinition":
                payload = element.get(_q("expression", CAMUNDA_NS))
                if payload is not None:
                    self._check_expression(
                        element, payload, "message payload expression", "expression_syntax", owner=element.getparent()
                    )
            self._collect_definitions(element)

    def _check_task_property(self, element: etree._Element) -> None:
        """The user-task properties the engine evaluates (``immediate``, ``immediate_since``) are diagram code."""
        name = element.get("name")
        if name not in (IMMEDIATE, IMMEDIATE_SINCE):
            return
        properties = element.getparent()
        extensions = properties.getparent() if properties is not None else None
        task = extensions.getparent() if extensions is not None else None
        if task is None or not _is_bpmn(task, "userTask"):
            self.add(
                "misplaced_property",
                f"camunda:property {_quote(name)} marks user tasks; on this element the engine ignores it",
                element,
                self._owner_id(task if task is not None else element),
                severity=WARNING,
            )
            return
        what = "condition" if name == IMMEDIATE else "expression"
        self._check_expression(
            element, element.get("value"), f"camunda:property {name} {what}", "expression_syntax", owner=task
        )

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
        task = cast(etree._Element, element.getparent())  # _check_code calls this for the script of a scriptTask
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
