"""The Chinese rendering of a decision's reasons (``reasons_zh``): people read the reasons in Chinese, the contract
keeps them in English (``reasons``).

Nothing here decides anything. ``rules.decision`` builds each reason once (the rule that fired, the facts it
read, what it set, its ``cites``) and renders it twice: ``conditions.describe`` walks the condition with the
``ENGLISH`` or the ``CHINESE`` wording. This module only holds the Chinese words: a label (and unit) per fact, a
label per enum value, the levels and the O17 Art.4 circumstances, and the translation of a citation
("NP2014 Annex 1 II-2" → "NP2014 附件1 Ⅱ-2", "O17 Art.4(3)" → "O17 第四条第（三）项"). ``tests/rules`` checks that
every fact and every value has its words, so a new fact cannot silently show its English name.
"""

from __future__ import annotations

import re

from rules.conditions import Comparison, Wording, format_value
from rules.facts import CROSS_BOUNDARY

LEVEL_LABELS = {"I": "Ⅰ级", "II": "Ⅱ级", "III": "Ⅲ级", "IV": "Ⅳ级"}
ART4_LABELS = {
    "art4_1": "对饮用水水源保护区造成或者可能造成影响",
    "art4_2": "涉及居民聚居区、学校、医院等敏感区域和敏感人群",
    "art4_3": "涉及重金属或者类金属污染",
    "art4_4": "有可能产生跨省或者跨国影响",
    "art4_5": "因环境污染引发群体性事件，或者社会影响较大",
}
_ROMAN = {"I": "Ⅰ", "II": "Ⅱ", "III": "Ⅲ", "IV": "Ⅳ", "V": "Ⅴ"}
_BOUNDARY_WORDS = ("无", "跨县级行政区域", "跨设区的市级行政区域", "跨省级行政区域", "重大跨国境影响")
_BOUNDARY = dict(zip(CROSS_BOUNDARY, _BOUNDARY_WORDS, strict=True))

# fact -> (label, unit); a unit marks a number, shown as "疏散转移人员 49999 人".
FACT_LABELS: dict[str, tuple[str, str]] = {
    "deaths": ("因环境污染直接导致死亡", "人"),
    "injured_or_poisoned": ("中毒或重伤", "人"),
    "evacuated": ("疏散转移人员", "人"),
    "direct_loss_yuan": ("直接经济损失", "元"),
    "water_source_interruption": ("集中式饮用水水源地取水中断", ""),
    "radioactive_source_class": ("丢失、被盗或失控的放射源", ""),
    "radiation_wide_severe_contamination": ("大范围严重辐射污染", ""),
    "ecological_damage": ("生态环境破坏", ""),
    "cross_boundary": ("已造成的跨区域影响", ""),
    "heavy_metal": ("重金属或类金属污染", ""),
    "affects_drinking_water_source": ("饮用水水源保护区受到或可能受到影响", ""),
    "sensitive_receptors": ("涉及的敏感区域和敏感人群", ""),
    "mass_incident": ("引发群体性事件或社会影响较大", ""),
    "sensitive_period": ("处于敏感时期", ""),
    "reporting_authority": ("报告部门", ""),
    "radiation_acute_deaths": ("辐射导致急性死亡", "人"),
    "radiation_sickness_cases": ("急性重度放射病、局部器官残疾", "人"),
    "radiation_leak_extent": ("放射性物质泄漏造成的辐射污染范围", ""),
    "cross_boundary_possible": ("可能产生的跨区域影响", ""),
    "level_determined": ("已判明事件级别", ""),
    # outputs later rules read (outputs.DERIVED_FACT_SPECS)
    "level": ("事件级别", ""),
    "art4_triggers": ("《突发环境事件信息报告办法》第四条情形", ""),
    "radiation_event": ("辐射事件", ""),
    "treat_as_major_for_reporting": ("按重大、特别重大事件程序报告", ""),
}

# fact -> {value: label} for enums and lists; booleans read 是/否, null 无.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "water_source_interruption": {
        "none": "无",
        "township": "乡镇",
        "county": "县级城市",
        "city": "设区的市级以上城市",
    },
    "radioactive_source_class": {c: f"{_ROMAN[c]}类放射源" for c in _ROMAN},
    "ecological_damage": {
        "none": "无",
        "protected_species_damaged": "国家重点保护的动植物物种受到破坏",
        "partial_loss_or_mass_death": "区域生态功能部分丧失或国家重点保护野生动植物种群大批死亡",
        "function_loss_or_extinction": "区域生态功能丧失或国家重点保护物种灭绝",
    },
    "cross_boundary": _BOUNDARY,
    "cross_boundary_possible": {**_BOUNDARY, "national": "跨国境影响"},
    "sensitive_receptors": {"school": "学校", "hospital": "医院", "residential": "居民聚居区", "other": "其他"},
    "reporting_authority": {"county": "县级生态环境部门", "city": "设区的市级生态环境部门"},
    "radiation_leak_extent": {
        "none": "无",
        "facility": "厂区内或设施内局部",
        "small": "小范围",
        "large": "较大范围",
        "wide": "大范围",
    },
    "level": LEVEL_LABELS,
    "art4_triggers": ART4_LABELS,
}

_SYMBOL = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def value_label(fact: str, value: object) -> str:
    """A value in Chinese: 是/否, 无 for null or an empty list, the enum's label, a list joined with 、."""
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(value_label(fact, item) for item in value) or "无"
    if isinstance(value, str):
        return VALUE_LABELS.get(fact, {}).get(value, value)  # an open list (receptors) may hold any word
    return format_value(value)


def _shown(fact: str, value: object) -> str:
    label, unit = FACT_LABELS.get(fact, (fact, ""))
    if unit:  # a count or an amount
        return f"{label} {format_value(value)} {unit}"
    return f"{label}：{value_label(fact, value)}"


def _test(comparison: Comparison) -> str | None:
    """The threshold part in Chinese; None when the value shown says it, as in English."""
    fact, op, value = comparison.fact, comparison.op, comparison.value
    if op == "==" and (value is None or isinstance(value, (str, bool))):
        return None
    if op in _SYMBOL:
        return f"{_SYMBOL[op]} {value_label(fact, value)}"
    if op in ("in", "not_in"):
        verb = "属于" if op == "in" else "不属于"
        return f"{verb}{'、'.join(value_label(fact, v) for v in value)}"
    if op == "contains":
        return f"包含{value_label(fact, value)}"
    return "不为空"


CHINESE = Wording(
    every_incident="所有事件",
    and_joiner="，",
    or_joiner=" 或 ",
    test_joiner="，",
    with_tests="{shown}（{tests}）",
    nested="（{text}）",
    shown=_shown,
    test=_test,
)

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1-99 in Chinese numerals, as article numbers are written (四, 十二, 四十二); other numbers as digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else f"{_DIGITS[tens]}十")
    return head + (_DIGITS[ones] if ones else "")


def _article(match: re.Match[str]) -> str:
    text = f"第{chinese_number(int(match[1]))}条"
    return text + (f"第（{chinese_number(int(match[2]))}）项" if match[2] else "")


def _paragraph(match: re.Match[str]) -> str:
    first = chinese_number(int(match[1]))
    return f"第{first}至{chinese_number(int(match[2]))}款" if match[2] else f"第{first}款"


def cites_zh(cites: str) -> str:
    """A ``cites`` in Chinese: "NP2014 Annex 1 II-2" → "NP2014 附件1 Ⅱ-2", "O17 Art.3 ¶3" → "O17 第三条第三款",
    "O32 Art.4, Art.16" → "O32 第四条、第十六条"; anything else (instrument keys, D-numbers, Chinese) is kept."""
    text = cites.replace("Annex ", "附件")
    text = re.sub(r"\b(IV|V|I{1,3})-(\d+)\b", lambda m: f"{_ROMAN[m[1]]}-{m[2]}", text)
    text = re.sub(r"Art\.(\d+)(?:\((\d+)\))?", _article, text)
    text = re.sub(r"\s*¶(\d+)(?:-(\d+))?", _paragraph, text)
    text = re.sub(r"条, 第", "条、第", text)
    return text.replace("; ", "；")


def target_zh(output: str, value: str) -> str:
    """What a reason's rule set, in Chinese: a level (Ⅱ级) or an O17 Art.4 circumstance (its description)."""
    return LEVEL_LABELS[value] if output == "level" else ART4_LABELS[value]
