"""A ruleset problem in Chinese says what is wrong where: the rule (or the document) and the field."""

from __future__ import annotations

import pytest

from rules import problem_zh


@pytest.mark.parametrize(
    ("rule", "field", "text"),
    [
        (None, "$", "规则集文档有误"),
        (None, "version", "规则集的 version 有误"),
        ("deaths-I", "$", "规则 deaths-I 有误"),
        ("deaths-I", "then.level", "规则 deaths-I 的 then.level 有误"),
        ("rules[0]", "id", "规则 rules[0] 的 id 有误"),
    ],
)
def test_what_and_where(rule: str | None, field: str, text: str) -> None:
    assert problem_zh({"rule": rule, "field": field, "message": "detail"}) == text
