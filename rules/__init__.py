"""The rules layer: how an environmental emergency escalates by severity and sensitivity.

The contract (incident facts in, decision out, and the law behind each rule) is docs/ESCALATION.md; its sections
are cited below as "§Facts", "§Decision" and so on. D-numbers (D1, D16 ...) in this package are the project's
decisions in docs/DECISIONS.md.

Rulesets are data (``rules/rulesets/*.yaml``) compiled into durable-rules; durable-rules is reached only
through ``rules.host``. The rest of the project uses what is exported here and nothing else.
"""

from rules.decision import DECISION_FIELDS, Decision, RuleRef, RulesetRef
from rules.errors import FactsInvalid, RulesEngineError, RulesError, RulesetInvalid, RulesetNotFound, problem_zh
from rules.evaluator import DEFAULT_BASELINE, decide, default_ruleset
from rules.facts import FACT_SPECS, OPTIONAL_FACT_SPECS, IncidentFacts
from rules.facts import parse as parse_facts
from rules.outputs import Investigation, OnwardReport
from rules.ruleset import Rule, Ruleset, bundled, check_overlay, load_bundled, parse_ruleset

__all__ = [
    "DECISION_FIELDS",
    "DEFAULT_BASELINE",
    "FACT_SPECS",
    "OPTIONAL_FACT_SPECS",
    "Decision",
    "FactsInvalid",
    "IncidentFacts",
    "Investigation",
    "OnwardReport",
    "Rule",
    "RuleRef",
    "RulesEngineError",
    "RulesError",
    "Ruleset",
    "RulesetInvalid",
    "RulesetNotFound",
    "RulesetRef",
    "bundled",
    "check_overlay",
    "decide",
    "default_ruleset",
    "load_bundled",
    "parse_facts",
    "parse_ruleset",
    "problem_zh",
]
