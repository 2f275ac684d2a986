"""Deploy-time validation of a BPMN file. Every problem names the element a process owner must change.

Always parses with a fresh parser: after a failed ``get_spec`` SpiffWorkflow keeps the half-built spec cached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from ..errors import DiagramError
from ..roles import ROLES
from ..workdays import TimerExpressionError, parse_timer
from .diagram import DiagramModel, read_diagram
from .expressions import check_expression
from .spiff import GroupgovParser

FIELD_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
FIELD_TYPES = {"string", "long", "boolean", "date", "enum", "textarea"}
RESERVED_FIELDS = {"decisions", "duplicates", "group_id", "instance_id", "unit_id", "applicant_username"}
SUPPORTED_TAGS = {
    "startEvent", "endEvent", "intermediateCatchEvent", "boundaryEvent", "userTask", "serviceTask",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "task", "manualTask", "subProcess",
    "callActivity", "intermediateThrowEvent", "sequenceFlow",
}


def validate_bpmn(xml: bytes, handler_names: Iterable[str], file: str = "", max_expression: int = 500) -> tuple[DiagramModel | None, list[DiagramError]]:
    """Check a diagram; returns its model (when readable) and the list of problems (empty when deployable)."""
    errors: list[DiagramError] = []
    add = lambda element, message: errors.append(DiagramError(element, message, file))  # noqa: E731
    try:
        model = read_diagram(xml)
    except etree.XMLSyntaxError as exc:
        add("(file)", f"XML 格式错误，第 {exc.lineno} 行：{exc.msg}")
        return None, errors
    if not model.processes:
        add("(file)", "文件中没有可执行的流程（bpmn:process）")
        return model, errors
    handlers = set(handler_names)
    outgoing: dict[str, list[Any]] = {}
    for el in model.of_tag("sequenceFlow"):
        outgoing.setdefault(el.source or "", []).append(el)
    for el in model.elements.values():
        _check_element(el, model, handlers, outgoing, add, max_expression)
    if not errors:
        _check_with_spiff(xml, model, add)
    return model, errors


def _check_element(el: Any, model: DiagramModel, handlers: set[str], outgoing: dict[str, list[Any]], add: Any, max_expression: int) -> None:
    if el.tag not in SUPPORTED_TAGS:
        add(el.id, f"不支持的元素类型 {el.tag}（{el.name or el.id}）：请改用用户任务或服务任务")
    if el.tag == "sequenceFlow":
        if el.id not in model.edges:
            add(el.id, "连线缺少图形布局（BPMNEdge），请在建模器中重新连线后保存")
        if el.condition is not None:
            problem = check_expression(el.condition, max_expression)
            if problem:
                add(el.id, f"条件表达式「{el.condition}」不可用：{problem}")
        return
    if el.id not in model.shapes:
        add(el.id, f"元素「{el.name or el.id}」缺少图形布局（BPMNShape），请在建模器中打开并保存")
    if el.tag == "scriptTask":
        add(el.id, "不允许脚本任务：请改用服务任务（外部任务 topic 选择已注册的处理程序）")
    if el.tag == "userTask":
        _check_user_task(el, add)
    if el.tag == "serviceTask":
        if not el.topic:
            add(el.id, f"服务任务「{el.name or el.id}」未指定处理程序：请设置 实现方式=External，Topic=已注册的处理程序名")
        elif el.topic not in handlers:
            add(el.id, f"服务任务「{el.name or el.id}」的处理程序 {el.topic} 未注册；可用：{'、'.join(sorted(handlers))}")
    if el.timer is not None:
        if not el.timer.expression:
            add(el.id, f"定时器「{el.name or el.id}」没有设置时间（timeDuration / timeDate / timeCycle）")
        else:
            try:
                timer = parse_timer(el.timer.expression)
                if el.timer.kind == "timeCycle" and timer.kind != "cycle":
                    add(el.id, f"循环定时器应写成 R次数/时长（如 R3/P1D），而不是「{el.timer.expression}」")
                if el.timer.kind != "timeCycle" and timer.kind == "cycle":
                    add(el.id, f"定时器类型为 {el.timer.kind}，但表达式「{el.timer.expression}」是循环")
                if el.tag == "startEvent" and el.timer.kind == "timeCycle":
                    add(el.id, "不支持循环定时开始事件：周期性启动由调度器（Prefect）负责")
            except TimerExpressionError as exc:
                add(el.id, f"定时器「{el.name or el.id}」：{exc}")
    if el.tag == "exclusiveGateway":
        flows = outgoing.get(el.id, [])
        if len(flows) > 1:
            for flow in flows:
                if flow.condition is None and flow.id != el.default_flow:
                    add(flow.id, f"排他网关「{el.name or el.id}」的出口连线没有条件，也不是默认连线")
    if el.tag in {"userTask", "serviceTask", "task", "manualTask"} and len(outgoing.get(el.id, [])) > 1:
        add(el.id, f"任务「{el.name or el.id}」有多条出口连线：请在其后加一个网关")


def _check_user_task(el: Any, add: Any) -> None:
    label = el.name or el.id
    if not el.name:
        add(el.id, "用户任务没有中文名称")
    if not el.candidate_groups and not el.assignee:
        add(el.id, f"用户任务「{label}」没有指定处理角色（candidateGroups）")
    for role in el.candidate_groups:
        if role not in ROLES:
            add(el.id, f"用户任务「{label}」的角色 {role} 未定义；可用：{'、'.join(ROLES)}")
    if len(el.candidate_groups) > 1:
        add(el.id, f"用户任务「{label}」只能指定一个角色")
    if not el.due_date:
        add(el.id, f"用户任务「{label}」没有办理期限（dueDate，如 P3WD 表示 3 个工作日）")
    else:
        try:
            parse_timer(el.due_date)
        except TimerExpressionError as exc:
            add(el.id, f"用户任务「{label}」的办理期限：{exc}")
    seen: set[str] = set()
    for f in el.form_fields:
        if not FIELD_ID.match(f.id):
            add(el.id, f"表单字段 id「{f.id}」不合法：只能用小写字母、数字和下划线，且以字母开头")
        elif f.id in RESERVED_FIELDS:
            add(el.id, f"表单字段 id「{f.id}」是系统保留字段")
        if f.id in seen:
            add(el.id, f"表单字段 id「{f.id}」重复")
        seen.add(f.id)
        if f.type not in FIELD_TYPES:
            add(el.id, f"表单字段「{f.label}」的类型 {f.type} 不受支持；可用：{'、'.join(sorted(FIELD_TYPES))}")
        if f.type == "enum" and not f.options:
            add(el.id, f"枚举字段「{f.label}」没有选项")


def _check_with_spiff(xml: bytes, model: DiagramModel, add: Any) -> None:
    parser = GroupgovParser()
    try:
        parser.add_bpmn_str(xml)
        for pid in model.processes:
            parser.get_spec(pid)
            parser.get_subprocess_specs(pid)
    except ValidationException as exc:
        add(getattr(exc, "id", None) or "(process)", f"流程解析失败：{exc}")
    except Exception as exc:  # the parser raises bare KeyError/TypeError on some diagrams
        add("(process)", f"流程解析失败（{type(exc).__name__}: {exc}），请检查网关、子流程和消息定义")
