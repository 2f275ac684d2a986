"""Deploy-time validation: every problem names the element to change; unsafe diagrams never run."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.engine.validation import validate_bpmn
from workflows.settings import ROOT_DIR
from tasks.registry import REGISTRY
import tasks.handlers  # noqa: F401

SOURCE = (ROOT_DIR / "bpmn" / "group_approval.bpmn").read_bytes()


def problems(xml: bytes) -> dict[str, str]:
    _, errors = validate_bpmn(xml, REGISTRY.names(), "t.bpmn")
    return {e.element_id: e.message for e in errors}


@pytest.mark.parametrize("path", sorted((ROOT_DIR / "bpmn").glob("*.bpmn")), ids=lambda p: p.name)
def test_shipped_diagrams_are_valid(path: Path):
    assert problems(path.read_bytes()) == {}


@pytest.mark.parametrize("old,new,element,words", [
    (b'camunda:topic="file_group"', b'camunda:topic="drop_tables"', "file_group", "未注册"),
    (b'camunda:candidateGroups="unit_head"', b'camunda:candidateGroups="janitor"', "unit_head_review", "janitor"),
    (b'>P2WD<', b'>P2 weeks<', "unit_head_review_remind_timer", "无法识别"),
    (b'>P2WD<', b'><', "unit_head_review_remind_timer", "没有设置时间"),
    (b'decision == "return"', b'decision ==', "Flow_unit_return", "无法解析"),
    (b'is_student == True', b'__import__("os")', "Flow_to_student", "__import__"),
    (b'is_student == True', b'is_student.__class__', "Flow_to_student", "__class__"),
    (b'is_student == True', b'open("/etc/passwd")', "Flow_to_student", "open"),
    (b'is_student == True', b'9 ** 999999', "Flow_to_student", "乘方"),
    (b'is_student == True', b'[x for x in is_student]', "Flow_to_student", "ListComp"),
    (b'<bpmndi:BPMNShape id="file_group_di" bpmnElement="file_group">', b'<bpmndi:BPMNShape id="file_group_di" bpmnElement="nothing">', "file_group", "图形布局"),
    (b'camunda:dueDate="P3WD">', b'>', "apply", "办理期限"),
])
def test_each_error_names_its_element(old, new, element, words):
    assert old in SOURCE
    found = problems(SOURCE.replace(old, new, 1))
    assert element in found, found
    assert words in found[element]


def test_script_task_is_refused():
    import re

    text = SOURCE.decode()
    text = re.sub(r'<bpmn:serviceTask id="check_duplicates"[^>]*>(.*?)</bpmn:serviceTask>',
                  r'<bpmn:scriptTask id="check_duplicates" name="x">\1<bpmn:script>import os</bpmn:script></bpmn:scriptTask>', text, flags=re.S)
    found = problems(text.encode())
    assert "脚本任务" in found.get("check_duplicates", ""), found


def test_malformed_xml_reports_the_line():
    found = problems(b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>\n<bpmn:process id='x'>\n</bpmn:definitions>")
    assert "第 3 行" in found["(file)"]


def test_cli_validate_exits_1_with_element_ids(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from workflows.cli import app
    from workflows.settings import reset_settings

    monkeypatch.setenv("GROUPGOV_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    reset_settings()
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(SOURCE.replace(b'camunda:topic="file_group"', b'camunda:topic="nope"'))
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "[file_group]" in result.output and "nope" in result.output
    good = CliRunner().invoke(app, ["validate", str(ROOT_DIR / "bpmn" / "group_approval.bpmn")])
    assert good.exit_code == 0 and "OK" in good.output
