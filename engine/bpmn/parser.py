"""Parsing diagrams: SpiffWorkflow's ``CamundaParser`` with service tasks that call engine services.

SpiffWorkflow's own ``ServiceTask`` does nothing and parks the task in STARTED; here a ``serviceTask`` with
``camunda:topic`` calls the engine service of that name through the script engine. The other functions read what
the engine needs to know of a parsed spec, so that no code outside this package touches SpiffWorkflow's classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, CamundaTaskParser

ProcessSpec = BpmnProcessSpec
"""The parsed, immutable spec of one process (the type other packages may name)."""


class EngineServiceTask(ServiceTask):
    """A service task that calls the engine service named by its ``camunda:topic``."""

    def __init__(self, wf_spec: Any, bpmn_id: str, topic: str | None = None, **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic

    def _run_hook(self, task: Any) -> bool:
        task.workflow.script_engine.call_service(
            task, topic=self.topic, properties=dict(getattr(self, "extensions", {}) or {})
        )
        return True


class _ServiceTaskParser(CamundaTaskParser):
    def create_task(self) -> EngineServiceTask:
        topic = self.node.get(f"{{{CAMUNDA_MODEL_NS}}}topic")
        task_spec: EngineServiceTask = self.spec_class(self.spec, self.bpmn_id, topic=topic, **self.bpmn_attributes)
        return task_spec


class EmflowParser(CamundaParser):
    """CamundaParser whose service tasks call engine services."""

    OVERRIDE_PARSER_CLASSES = {  # noqa: RUF012 - SpiffWorkflow reads this class attribute
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (_ServiceTaskParser, EngineServiceTask),
    }


def schema_dir() -> Path:
    """The folder of the BPMN 2.0 XML schemas SpiffWorkflow ships (trusted files, read by the validator)."""
    import SpiffWorkflow.bpmn.parser as bpmn_parser

    return Path(bpmn_parser.__file__).parent / "schema"


class SpecParseError(Exception):
    """SpiffWorkflow's parser refused the document; ``element_id`` is the element it names, if any."""

    def __init__(self, message: str, element_id: str | None):
        super().__init__(message)
        self.element_id = element_id


def parse_spec(tree: etree._ElementTree, key: str) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """The spec of process ``key`` and its subprocess specs, or SpecParseError."""
    try:
        parser = EmflowParser()
        parser.add_bpmn_xml(tree)
        return parser.get_spec(key), parser.get_subprocess_specs(key)
    except ValidationException as exc:
        raise SpecParseError(str(exc).strip(), getattr(exc, "id", None) or None) from None
    except Exception as exc:  # the parser raises bare exceptions for some input
        raise SpecParseError(f"{type(exc).__name__}: {exc}", None) from None


def iso_timer_error(kind: str, value: str) -> str | None:
    """Why SpiffWorkflow would reject ``value`` for this timer kind at run time, or None if it is fine."""
    try:
        if kind == "timeDuration":
            if not TimerEventDefinition.parse_iso_duration(value):
                return 'an empty duration; write e.g. "PT30M"'
        elif kind == "timeDate":
            if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
                return 'timeDate needs a date-time such as "2024-06-01T08:00:00+08:00"; for a delay use timeDuration'
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # SpiffWorkflow raises bare Exception, AttributeError...
        examples = {
            "timeDuration": 'an ISO 8601 duration such as "PT30M" or "P1D"',
            "timeDate": 'an ISO 8601 date-time such as "2024-06-01T08:00:00+08:00"',
            "timeCycle": 'an ISO 8601 repeating interval such as "R3/PT10M"',
        }
        return f"not {examples[kind]}"
    return None


@dataclass(frozen=True)
class TimerElementSpec:
    """A timer element of a spec: a boundary timer names the activity it guards; ``after_event_gateway`` says
    whether it races other events behind an event-based gateway."""

    element_id: str
    name: str | None
    boundary: bool
    activity_id: str | None = None
    activity_name: str | None = None
    after_event_gateway: bool = False


def timer_elements(specs: list[BpmnProcessSpec]) -> list[TimerElementSpec]:
    """Every timer element of the given specs, in spec order."""
    out = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if not getattr(task_spec, "bpmn_id", None) or not _is_timer(task_spec):
                continue
            name = getattr(task_spec, "bpmn_name", None)
            previous = task_spec.inputs[0] if task_spec.inputs else None
            kind = type(previous).__name__ if previous is not None else ""
            if type(task_spec).__name__ == "BoundaryEvent" and previous is not None:
                activity = next(
                    (o for o in previous.outputs if o is not task_spec and type(o).__name__ != "BoundaryEvent"),
                    None,
                )
                out.append(
                    TimerElementSpec(
                        task_spec.bpmn_id,
                        name,
                        True,
                        getattr(activity, "bpmn_id", None),
                        getattr(activity, "bpmn_name", None),
                    )
                )
            else:
                out.append(
                    TimerElementSpec(task_spec.bpmn_id, name, False, after_event_gateway=kind == "EventBasedGateway")
                )
    return out


def user_task_specs(specs: list[BpmnProcessSpec]) -> list[Any]:
    """The user-task specs of the given specs (their forms are read by ``engine.definitions.forms.form_of``)."""
    return [
        ts
        for spec in specs
        for ts in spec.task_specs.values()
        if getattr(ts, "bpmn_id", None) and getattr(ts, "manual", False)
    ]


def _is_timer(task_spec: Any) -> bool:
    return isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)
