"""Escalation decisions and rulesets: facts in, decision out; administrators deploy new ruleset versions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from api.auth import ADMIN, AUDITOR, EVERYONE, RESPONDER, requires
from api.context import BadRequest, actor, json_object, query, request_body, services
from api.rules_schemas import DecisionSchema, RulesetInfoSchema, RulesetQuery

bp = Blueprint("rules", __name__)


@bp.post("/escalation/evaluate")
@requires(ADMIN, RESPONDER, AUDITOR)
def evaluate() -> Any:
    """Decide level, reporting deadline and recipients, response and investigation lead for incident facts.
    ---
    post:
      tags: [rules]
      parameters: [{in: query, schema: RulesetQuery}]
      requestBody:
        required: true
        content:
          application/json: {schema: {type: object, description: "the incident facts of docs/ESCALATION.md, §Facts"}}
      responses:
        200: {content: {application/json: {schema: DecisionSchema}}}
        400: {content: {application/json: {schema: ErrorSchema}}}
        404: {content: {application/json: {schema: ErrorSchema}}}
        422: {description: a fact is missing or invalid (named), content: {application/json: {schema: ErrorSchema}}}
    """
    args = query(RulesetQuery())
    facts = json_object()
    decision = services().rulesets.decide(facts, args["ruleset"], args["version"])
    return DecisionSchema().dump(decision)


@bp.get("/rulesets")
@requires(*EVERYONE)
def list_rulesets() -> Any:
    """Every deployed ruleset version (baselines and jurisdiction overlays).
    ---
    get:
      tags: [rules]
      responses:
        200: {content: {application/json: {schema: {type: array, items: RulesetInfoSchema}}}}
    """
    return RulesetInfoSchema(many=True).dump(services().rulesets.list())


@bp.post("/rulesets")
@requires(ADMIN)
def deploy_ruleset() -> Any:
    """Deploy a ruleset version (YAML or JSON body); identical to the stored version: no-op (200).
    ---
    post:
      tags: [rules]
      requestBody:
        required: true
        content:
          application/yaml: {schema: {type: string}}
          application/json: {schema: {type: object}}
      responses:
        201: {content: {application/json: {schema: RulesetInfoSchema}}}
        200: {content: {application/json: {schema: RulesetInfoSchema}}}
        400: {description: invalid ruleset naming rule and field, content: {application/json: {schema: ErrorSchema}}}
        409: {description: that version exists with other rules, content: {application/json: {schema: ErrorSchema}}}
    """
    body = request_body()
    if not body:
        raise BadRequest("empty body: send the ruleset as YAML or JSON")
    info, created = services().rulesets.deploy(body, actor().name)
    return RulesetInfoSchema().dump(info), 201 if created else 200
