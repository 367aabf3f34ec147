"""What validation reports: one ``Problem`` per thing wrong, and the ``ParsedDefinition`` of a sound document.

Severities decide deployment: errors block it, warnings are reported alongside.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from engine.bpmn.parser import ProcessSpec

ERROR, WARNING = "error", "warning"

# What each kind of problem is, in Chinese, for the administrator reading the editor in Chinese: the title of the
# problem plus where it is. The English ``message`` keeps the detail (the parser's own words, the name read, the
# sandbox rule); every code a check can report has its title (tests/engine/test_problem_titles.py).
TITLES_ZH: dict[str, str] = {
    "attached_to_missing": "边界事件附着的活动不存在",
    "call_target_missing": "调用活动引用的流程不存在",
    "call_target_not_executable": "调用活动引用的流程不可执行",
    "condition_syntax": "条件表达式有误",
    "division_by_zero": "表达式中除数为零",
    "duplicate_id": "元素标识重复",
    "expression_syntax": "表达式有误",
    "forbidden_expression": "表达式使用了不允许的写法（沙箱限制）",
    "form_field": "表单字段定义有误",
    "ignored_condition": "该条件不会被执行，已被忽略",
    "ignored_extension": "该扩展设置不会生效",
    "invalid_default": "默认流设置有误",
    "misplaced_property": "扩展属性用在了不适用的元素上",
    "missing_condition": "分支缺少条件",
    "missing_end_event": "流程缺少结束事件",
    "missing_event_definition": "事件缺少事件定义",
    "missing_start_event": "流程缺少开始事件",
    "multi_instance": "多实例设置有误",
    "multiple_executable_processes": "文档包含多个可执行流程",
    "multiple_outgoing": "该元素有多条无条件的流出顺序流",
    "no_default_flow": "网关缺少默认流",
    "no_executable_process": "文档没有可执行流程",
    "not_bpmn": "不是 BPMN 2.0 文档",
    "parse_error": "流程图无法解析",
    "process_without_id": "流程缺少标识",
    "reference_missing": "引用的元素不存在",
    "reserved_id": "使用了保留的标识",
    "script_syntax": "脚本有误",
    "service_topic": "服务任务的主题（topic）无效",
    "timer_expression": "定时器表达式有误",
    "too_large": "文档过大",
    "undefined_name": "读取了流程中没有设置的变量",
    "unknown_element": "无法识别的元素",
    "unreachable_element": "元素不可达",
    "unsupported_element": "不支持的元素",
    "unsupported_language": "不支持的脚本语言",
    "xml_encoding": "文档编码不是 UTF-8",
    "xml_forbidden": "文档包含禁止的 XML 结构（DTD 或实体）",
    "xml_syntax": "XML 语法错误",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, worded for the administrator who must fix the diagram."""

    code: str
    message: str
    element_id: str | None = None
    line: int | None = None
    severity: str = ERROR

    @property
    def message_zh(self) -> str:
        """The problem in Chinese: what it is and where (元素 …，第 … 行); the English message has the detail."""
        where = "，".join(
            part for part in (self.element_id and f"元素 {self.element_id}", self.line and f"第 {self.line} 行") if part
        )
        title = TITLES_ZH.get(self.code, "流程图有问题")
        return f"{title}（{where}）" if where else title

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "message_zh": self.message_zh}


@dataclass(frozen=True)
class ParsedDefinition:
    """What may happen: the parsed, immutable spec of the document's one executable process."""

    key: str
    name: str | None
    spec: ProcessSpec
    subprocess_specs: dict[str, ProcessSpec]
    lanes: dict[str, tuple[str | None, str | None]]
    documentation: str | None
    warnings: tuple[Problem, ...] = ()
