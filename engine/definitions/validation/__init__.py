"""Deploy-time validation of BPMN documents (moved to ``validator``; split into modules in the next commit)."""

from engine.definitions.validation.validator import (
    BPMN_NS,
    CAMUNDA_NS,
    ERROR,
    FLOW_NODES,
    RESERVED_IDS,
    UNSUPPORTED,
    WARNING,
    ParsedDefinition,
    Problem,
    check,
    parse_definition,
)

__all__ = [
    "BPMN_NS",
    "CAMUNDA_NS",
    "ERROR",
    "FLOW_NODES",
    "RESERVED_IDS",
    "UNSUPPORTED",
    "WARNING",
    "ParsedDefinition",
    "Problem",
    "check",
    "parse_definition",
]
