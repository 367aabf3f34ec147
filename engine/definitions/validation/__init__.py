"""Deploy-time validation of BPMN documents: every problem at once, each naming the element and its line.

SpiffWorkflow's parser stops at the first problem, reports no line numbers, skips whatever is not
reachable from a start event, and checks nothing inside conditions, scripts or timers: a bad condition, an
unquoted timer or ``__import__('os')`` surfaces only when an incident reaches it. This package reads the
document itself (parsed safely by ``engine.definitions.xmlsafe``), checks the structure the engine depends on and every
piece of diagram code (through the sandbox's allow-list), and only then lets ``CamundaParser`` build the spec
from the same tree.

Problems with ``severity == 'error'`` block deployment; warnings (e.g. a condition reading a variable that
nothing in the diagram sets, which is fine if the instance is started with it) are reported but do not.

The checks are split along the document's seams: ``problems`` (what is reported), ``vocabulary`` (BPMN names
and tree helpers), ``state`` (what one run collects), ``structure``, ``expressions``, ``timers``, ``code``,
``forms``, ``services`` and ``spec`` (each one part of the diagram), and ``validator``, which runs them in order.
"""

from engine.definitions.validation.problems import ERROR, WARNING, ParsedDefinition, Problem
from engine.definitions.validation.validator import check, parse_definition
from engine.definitions.validation.vocabulary import BPMN_NS, CAMUNDA_NS, FLOW_NODES, RESERVED_IDS, UNSUPPORTED

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
