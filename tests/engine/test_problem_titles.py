"""Validator problems are shown to people in Chinese first: every kind of problem a check can report has a Chinese
title, and the Chinese text says where the problem is.

The codes are read from the validator's source (the first argument of ``add`` and of ``Problem``, the syntax codes
passed to the expression check, the codes of the XML guards), so a check added with a new code fails here until it
gets its title.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.definitions.validation.problems import TITLES_ZH, WARNING, Problem

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "engine/definitions/validation").glob("*.py")), ROOT / "engine/definitions/xmlsafe.py"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def reported_codes() -> set[str]:
    codes: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'\.add\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'Problem\(\s*"([a-z_]+)"', text))
        codes |= set(re.findall(r'\bcode = "([a-z_]+)"', text))
        codes |= set(re.findall(r'"([a-z]+_syntax|timer_expression)"', text))
    return codes


def test_the_scan_finds_the_codes_of_every_kind_of_check() -> None:
    codes = reported_codes()
    assert {"xml_syntax", "script_syntax", "timer_expression", "unreachable_element", "parse_error"} <= codes
    assert len(codes) >= 35


@pytest.mark.parametrize("code", sorted(reported_codes()))
def test_every_code_has_a_chinese_title(code: str) -> None:
    assert CJK.search(TITLES_ZH.get(code, "")), f"{code} has no Chinese title in TITLES_ZH"


def test_no_title_is_left_for_a_code_nothing_reports() -> None:
    assert set(TITLES_ZH) - reported_codes() == set()


def test_the_chinese_message_says_what_and_where() -> None:
    assert Problem("script_syntax", "invalid syntax", "Task_A", 12).message_zh == "脚本有误（元素 Task_A，第 12 行）"
    assert Problem("xml_syntax", "mismatched tag", None, 3).message_zh == "XML 语法错误（第 3 行）"
    assert (
        Problem("missing_start_event", "no start event", "Process_1").message_zh == "流程缺少开始事件（元素 Process_1）"
    )
    assert Problem("not_bpmn", "not BPMN").message_zh == "不是 BPMN 2.0 文档"
    assert Problem("brand_new_check", "x").message_zh == "流程图有问题"


def test_the_dict_a_client_gets_carries_both_languages() -> None:
    problem = Problem("unreachable_element", "Task_B cannot be reached", "Task_B", 40, WARNING)
    assert problem.to_dict() == {
        "code": "unreachable_element",
        "message": "Task_B cannot be reached",
        "element_id": "Task_B",
        "line": 40,
        "severity": "warning",
        "message_zh": "元素不可达（元素 Task_B，第 40 行）",
    }
