"""``reasons_zh``: each line of ``reasons`` rendered in Chinese from the same rule, facts and citation (one source,
two renderings; ``rules.decision.Reason``), with the Chinese words of ``rules.zh``."""

from __future__ import annotations

import copy
import random
import re
from typing import Any

import pytest

from rules import Ruleset, bundled, decide, default_ruleset
from rules.conditions import ENGLISH, AllOf, Always, AnyOf, Comparison, describe
from rules.decision import Reason
from rules.facts import ALL_FACT_SPECS
from rules.outputs import ART4_CODES, DERIVED_FACT_SPECS, LEVELS
from rules.zh import (
    ART4_LABELS,
    CHINESE,
    FACT_LABELS,
    LEVEL_LABELS,
    VALUE_LABELS,
    chinese_number,
    cites_zh,
    target_zh,
    value_label,
)
from tests.rules.incidents import incident, random_incident

_SNAKE = re.compile(r"[a-z]+_[a-z_]+")


@pytest.mark.parametrize(
    ("facts", "english", "chinese"),
    [
        (
            {"evacuated": 49999},
            "evacuated=49999 (≥ 10000, < 50000) → II, NP2014 Annex 1 II-2",
            "疏散转移人员 49999 人（≥ 10000，< 50000） → Ⅱ级（NP2014 附件1 Ⅱ-2）",
        ),
        (
            {"direct_loss_yuan": 4999999.5},
            "direct_loss_yuan=4999999.5 (> 0, < 5000000) → IV, NP2014 Annex 1 IV-3",
            "直接经济损失 4999999.5 元（> 0，< 5000000） → Ⅳ级（NP2014 附件1 Ⅳ-3）",
        ),
        (
            {"radioactive_source_class": "II"},
            "radioactive_source_class=II (in I, II) → II, NP2014 Annex 1 II-6",
            "丢失、被盗或失控的放射源：Ⅱ类放射源（属于Ⅰ类放射源、Ⅱ类放射源） → Ⅱ级（NP2014 附件1 Ⅱ-6）",
        ),
        (
            {"water_source_interruption": "county"},
            "water_source_interruption=county → II, NP2014 Annex 1 II-5",
            "集中式饮用水水源地取水中断：县级城市 → Ⅱ级（NP2014 附件1 Ⅱ-5）",
        ),
        (
            {"radiation_acute_deaths": 3},
            "radiation_acute_deaths=3 (≥ 3) → I, NP2014 Annex 1 I-6; RAD Art.40",
            "辐射导致急性死亡 3 人（≥ 3） → Ⅰ级（NP2014 附件1 Ⅰ-6；RAD 第四十条）",
        ),
        (
            {"radiation_leak_extent": "facility"},
            "radiation_leak_extent=facility → IV, NP2014 Annex 1 IV-5",
            "放射性物质泄漏造成的辐射污染范围：厂区内或设施内局部 → Ⅳ级（NP2014 附件1 Ⅳ-5）",
        ),
    ],
)
def test_a_grading_reason_in_both_languages(facts: dict[str, Any], english: str, chinese: str) -> None:
    decision = decide(incident(**facts))
    assert decision.reasons[0] == english
    assert decision.reasons_zh[0] == chinese


def test_the_floor_and_the_art4_circumstances_in_both_languages() -> None:
    decision = decide(incident(affects_drinking_water_source=True, cross_boundary_possible="national"))
    assert decision.reasons == (
        "no grading criterion met → IV, NP2014 Annex 1 IV-6",
        "(affects_drinking_water_source=true or water_source_interruption=none (≠ none)), radiation_event=false "
        "→ art4_1, O17 Art.4(1)",
        "cross_boundary_possible=national (in province, national), radiation_event=false → art4_4, O17 Art.4(4); D19",
    )
    assert decision.reasons_zh == (
        "未达到任何分级标准 → Ⅳ级（NP2014 附件1 Ⅳ-6）",
        "（饮用水水源保护区受到或可能受到影响：是 或 集中式饮用水水源地取水中断：无（≠ 无）），辐射事件：否 "
        "→ 对饮用水水源保护区造成或者可能造成影响（O17 第四条第（一）项）",
        "可能产生的跨区域影响：跨国境影响（属于跨省级行政区域、跨国境影响），辐射事件：否 "
        "→ 有可能产生跨省或者跨国影响（O17 第四条第（四）项；D19）",
    )


def test_an_open_list_shows_unknown_words_as_written() -> None:
    decision = decide(incident(sensitive_receptors=["school", "kindergarten"], mass_incident=True))
    assert decision.reasons_zh[1:] == (
        "涉及的敏感区域和敏感人群：学校、kindergarten（不为空），辐射事件：否 "
        "→ 涉及居民聚居区、学校、医院等敏感区域和敏感人群（O17 第四条第（二）项）",
        "引发群体性事件或社会影响较大：是，辐射事件：否 "
        "→ 因环境污染引发群体性事件，或者社会影响较大（O17 第四条第（五）项）",
    )


def _pairs_agree(english: str, chinese: str) -> None:
    facts_en, result_en = english.split(" → ")
    result, cites = result_en.split(", ", 1)
    assert chinese.endswith(f"（{cites_zh(cites)}）"), (english, chinese)
    label = LEVEL_LABELS.get(result) or ART4_LABELS[result]
    assert f" → {label}（" in chinese, (english, chinese)
    assert ("未达到任何分级标准" in chinese) is (facts_en == "no grading criterion met")
    assert not _SNAKE.search(chinese.replace("kindergarten", "")), chinese  # no fact name left in English


@pytest.mark.parametrize("ruleset_version", [1, 2])
def test_every_fired_reason_has_both_renderings(ruleset_version: int) -> None:
    base = bundled("cn-national-2015", ruleset_version)
    rng = random.Random(8)
    lines = 0
    for _ in range(300):
        decision = decide(random_incident(rng), base, [bundled("city-60-30")])
        assert len(decision.reasons_zh) == len(decision.reasons) >= 1
        for english, chinese in zip(decision.reasons, decision.reasons_zh, strict=True):
            _pairs_agree(english, chinese)
            lines += 1
    assert lines > 600


def test_a_reason_renders_its_own_data_twice() -> None:
    condition = AllOf((Comparison("deaths", ">=", 3), Comparison("deaths", "<", 10)))
    reason = Reason(condition, {"deaths": 4}, (("level", "III"), ("art4_trigger", "art4_5")), "NP2014 Annex 1 III-1")
    assert reason.english() == "deaths=4 (≥ 3, < 10) → III, art4_5, NP2014 Annex 1 III-1"
    assert reason.chinese() == (
        "因环境污染直接导致死亡 4 人（≥ 3，< 10） → Ⅲ级，因环境污染引发群体性事件，或者社会影响较大（NP2014 附件1 Ⅲ-1）"
    )
    floor = Reason(None, {}, (("level", "IV"),), "x")
    assert (floor.english(), floor.chinese()) == ("no grading criterion met → IV, x", "未达到任何分级标准 → Ⅳ级（x）")


def test_a_rule_for_every_incident_reads_so_in_both_languages() -> None:
    body: dict[str, Any] = copy.deepcopy(dict(default_ruleset().body))
    body["rules"].append({"id": "always-iii", "cites": "local Art.2", "when": "always", "then": {"level": "III"}})
    decision = decide(incident(), Ruleset.parse(body))
    assert decision.reasons == ("every incident → III, local Art.2",)
    assert decision.reasons_zh == ("所有事件 → Ⅲ级（local 第二条）",)


@pytest.mark.parametrize(
    ("condition", "values", "english", "chinese"),
    [
        (Comparison("deaths", "==", 3), {"deaths": 3}, "deaths=3 (= 3)", "因环境污染直接导致死亡 3 人（= 3）"),
        (Comparison("deaths", "!=", 0), {"deaths": 2}, "deaths=2 (≠ 0)", "因环境污染直接导致死亡 2 人（≠ 0）"),
        (Comparison("deaths", "<=", 2), {"deaths": 2}, "deaths=2 (≤ 2)", "因环境污染直接导致死亡 2 人（≤ 2）"),
        (Comparison("deaths", ">", 1), {"deaths": 2}, "deaths=2 (> 1)", "因环境污染直接导致死亡 2 人（> 1）"),
        (
            Comparison("cross_boundary", "not_in", ("none", "county")),
            {"cross_boundary": "city"},
            "cross_boundary=city (not in none, county)",
            "已造成的跨区域影响：跨设区的市级行政区域（不属于无、跨县级行政区域）",
        ),
        (
            Comparison("deaths", "in", (1, 2)),
            {"deaths": 1},
            "deaths=1 (in 1, 2)",
            "因环境污染直接导致死亡 1 人（属于1、2）",
        ),
        (
            Comparison("sensitive_receptors", "contains", "hospital"),
            {"sensitive_receptors": ["hospital"]},
            "sensitive_receptors=[hospital] (contains hospital)",
            "涉及的敏感区域和敏感人群：医院（包含医院）",
        ),
        (
            Comparison("art4_triggers", "not_empty", None),
            {"art4_triggers": []},
            "art4_triggers=[] (not empty)",
            "《突发环境事件信息报告办法》第四条情形：无（不为空）",
        ),
        (
            Comparison("radioactive_source_class", "==", None),
            {"radioactive_source_class": None},
            "radioactive_source_class=null",
            "丢失、被盗或失控的放射源：无",
        ),
        (
            Comparison("level_determined", "==", True),
            {"level_determined": True},
            "level_determined=true",
            "已判明事件级别：是",
        ),
        (
            AnyOf((Comparison("heavy_metal", "==", True), AllOf((Comparison("level", "==", "II"), Always())))),
            {"heavy_metal": False, "level": "II"},
            "heavy_metal=false or (level=II, every incident)",
            "重金属或类金属污染：否 或 （事件级别：Ⅱ级，所有事件）",
        ),
        (
            AllOf(
                (
                    AnyOf((Comparison("treat_as_major_for_reporting", "==", False),)),
                    Comparison("radiation_event", "==", True),
                )
            ),
            {"treat_as_major_for_reporting": False, "radiation_event": True},
            "treat_as_major_for_reporting=false, radiation_event=true",
            "按重大、特别重大事件程序报告：否，辐射事件：是",
        ),
    ],
)
def test_one_walk_two_wordings(condition: Any, values: dict[str, Any], english: str, chinese: str) -> None:
    assert describe(condition, values) == describe(condition, values, ENGLISH) == english
    assert describe(condition, values, CHINESE) == chinese


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (None, "无"),
        (True, "是"),
        (False, "否"),
        ([], "无"),
        (("school", "residential"), "学校、居民聚居区"),
        (5.0, "5"),
        (7, "7"),
    ],
)
def test_value_labels(value: object, label: str) -> None:
    assert value_label("sensitive_receptors", value) == label


def test_an_unknown_value_or_fact_shows_as_written() -> None:
    assert value_label("cross_boundary", "moon") == "moon"
    assert value_label("no_such_fact", "x") == "x"
    assert describe(Comparison("no_such_fact", "==", "x"), {"no_such_fact": "x"}, CHINESE) == "no_such_fact：x"


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (1, "一"),
        (4, "四"),
        (9, "九"),
        (10, "十"),
        (11, "十一"),
        (16, "十六"),
        (20, "二十"),
        (42, "四十二"),
        (99, "九十九"),
        (100, "100"),
        (-3, "-3"),
    ],
)
def test_chinese_numbers_as_articles_are_numbered(n: int, text: str) -> None:
    assert chinese_number(n) == text


@pytest.mark.parametrize(
    ("cites", "text"),
    [
        ("NP2014 Annex 1 II-2", "NP2014 附件1 Ⅱ-2"),
        ("NP2014 Annex 1 I-6; RAD Art.40", "NP2014 附件1 Ⅰ-6；RAD 第四十条"),
        ("NP2014 Annex 1 III-7", "NP2014 附件1 Ⅲ-7"),
        ("NP2014 Annex 1 IV-5", "NP2014 附件1 Ⅳ-5"),
        ("NP2014 Annex 1 V-1", "NP2014 附件1 Ⅴ-1"),
        ("O17 Art.4(3)", "O17 第四条第（三）项"),
        ("O17 Art.4(4); D19", "O17 第四条第（四）项；D19"),
        ("O17 Art.3 ¶3", "O17 第三条第三款"),
        ("O17 Art.3 ¶2-3; RAD Art.42", "O17 第三条第二至三款；RAD 第四十二条"),
        ("O32 Art.4, Art.16", "O32 第四条、第十六条"),
        ("NP2014 §4.1", "NP2014 §4.1"),
        ("seed city rule: 1小时上报 (D16)", "seed city rule: 1小时上报 (D16)"),
        ("ISO-9001 and VI-2", "ISO-9001 and VI-2"),  # not an annex item
    ],
)
def test_citations_in_chinese(cites: str, text: str) -> None:
    assert cites_zh(cites) == text


def test_every_fact_value_level_and_circumstance_has_its_chinese_words() -> None:
    for spec in (*ALL_FACT_SPECS, *DERIVED_FACT_SPECS):
        label, unit = FACT_LABELS[spec.name]
        assert label and not _SNAKE.search(label)
        assert bool(unit) is (spec.kind in ("count", "amount")), spec.name
        for choice in spec.choices:
            assert VALUE_LABELS[spec.name][choice], (spec.name, choice)
    assert set(FACT_LABELS) == {spec.name for spec in (*ALL_FACT_SPECS, *DERIVED_FACT_SPECS)}
    assert set(VALUE_LABELS["radioactive_source_class"]) == {"I", "II", "III", "IV", "V"}
    assert [target_zh("level", level) for level in LEVELS] == ["Ⅰ级", "Ⅱ级", "Ⅲ级", "Ⅳ级"]
    assert [target_zh("art4_trigger", code) for code in ART4_CODES] == [ART4_LABELS[c] for c in ART4_CODES]
    assert VALUE_LABELS["cross_boundary"]["national"] == "重大跨国境影响"  # has: a major impact (D6)
    assert VALUE_LABELS["cross_boundary_possible"]["national"] == "跨国境影响"  # may: any (O17 Art.4(4))
