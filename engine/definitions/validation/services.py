"""Service tasks call engine services by ``camunda:topic``; a missing or unknown topic would fail only at run time."""

from __future__ import annotations

from lxml import etree

from engine.definitions.validation.state import ValidatorState
from engine.definitions.validation.vocabulary import CAMUNDA_NS, _q, _quote


class ServiceChecks(ValidatorState):
    """Every ``bpmn:serviceTask`` names a known engine service."""

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
