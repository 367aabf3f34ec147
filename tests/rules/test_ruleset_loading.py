"""Reading a ruleset: what an administrator is told when the text is wrong, and finding bundled rulesets.

A refusal must let the person fix the file in one go: a duplicate key names the key *and its line*, a document
that is not YAML names the whole document (``$``), and a missing bundled ruleset names what was asked for.
"""

from __future__ import annotations

import re

import pytest

from rules import Ruleset, RulesetInvalid, bundled, check_overlay, default_ruleset
from rules.errors import RulesetNotFound

DUPLICATE_THEN = """\
name: dup-test
version: 1
kind: overlay
base: cn-national-2015
description: test
rules:
  - id: twice
    cites: local
    when: always
    then: {initial_report_deadline_minutes: 60}
    then: {initial_report_deadline_minutes: 600}
"""


def refusal(source: str) -> list[dict]:
    with pytest.raises(RulesetInvalid) as caught:
        Ruleset.parse(source)
    return caught.value.problems


def test_a_duplicate_key_is_refused_naming_the_key_and_its_line() -> None:
    (problem,) = refusal(DUPLICATE_THEN)
    assert problem["rule"] is None
    assert problem["field"] == "$"
    assert "duplicate key 'then'" in problem["message"]
    assert re.search(r"line 11, column 5", problem["message"]), problem["message"]


def test_a_duplicate_key_in_a_nested_mapping_is_refused_too() -> None:
    text = DUPLICATE_THEN.replace(
        "    then: {initial_report_deadline_minutes: 60}\n    then: {initial_report_deadline_minutes: 600}\n",
        "    then:\n      initial_report_deadline_minutes: 60\n      initial_report_deadline_minutes: 30\n",
    )
    (problem,) = refusal(text)
    assert "duplicate key 'initial_report_deadline_minutes'" in problem["message"]
    assert "line 12" in problem["message"]


def test_text_that_is_not_yaml_names_the_whole_document() -> None:
    (problem,) = refusal("name: [unclosed\n")
    assert problem == {"rule": None, "field": "$", "message": problem["message"]}
    assert problem["message"].startswith("not valid YAML or JSON: ")


def test_nested_mappings_are_read_whole() -> None:
    text = DUPLICATE_THEN.replace("    then: {initial_report_deadline_minutes: 600}\n", "")
    ruleset = Ruleset.parse(text)
    assert dict(ruleset.rules[0].then) == {"initial_report_deadline_minutes": 60}


def test_a_missing_bundled_ruleset_is_named_with_the_version_asked_for() -> None:
    with pytest.raises(RulesetNotFound) as caught:
        bundled("no-such-ruleset")
    assert str(caught.value) == "no bundled ruleset 'no-such-ruleset'"
    with pytest.raises(RulesetNotFound) as caught:
        bundled("cn-national-2015", 99)
    assert str(caught.value) == "no bundled ruleset 'cn-national-2015' version 99"


def test_the_highest_version_is_the_default_and_a_version_picks_its_own() -> None:
    baseline = default_ruleset()
    newer = Ruleset.parse({**baseline.body, "version": baseline.version + 1})
    rulesets = [newer, baseline]
    assert bundled(baseline.name, rulesets=rulesets) is newer
    assert bundled(baseline.name, rulesets=list(reversed(rulesets))) is newer
    assert bundled(baseline.name, baseline.version, rulesets=rulesets) is baseline


def test_a_loosening_deadline_after_a_rule_without_one_is_still_refused() -> None:
    """Every overlay rule is checked, not only those before the first rule that sets no deadline."""
    overlay = Ruleset.parse(
        {
            "name": "loosening-later",
            "version": 1,
            "kind": "overlay",
            "base": "cn-national-2015",
            "description": "test",
            "rules": [
                {"id": "no-deadline", "cites": "local", "when": "always", "then": {"leader_on_scene": True}},
                {"id": "loose", "cites": "local", "when": "always", "then": {"initial_report_deadline_minutes": 600}},
            ],
        }
    )
    with pytest.raises(RulesetInvalid) as caught:
        check_overlay(default_ruleset(), overlay)
    assert [p["rule"] for p in caught.value.problems] == ["loose"]
