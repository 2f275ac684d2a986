"""Conditions are evaluated by the restricted evaluator, also for a diagram that bypassed validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.engine.expressions import ExpressionRefused, check_expression, evaluate
from workflows.engine.facade import Engine, HandlerFailed, parse_spec
from workflows.settings import ROOT_DIR

SOURCE = (ROOT_DIR / "bpmn" / "group_approval.bpmn").read_bytes()


@pytest.mark.parametrize("expression,data,expected", [
    ('decision == "approve"', {"decision": "approve"}, True),
    ("is_student == True", {"is_student": False}, False),
    ("member_count > 100 and line in ('party', 'student')", {"member_count": 120, "line": "party"}, True),
    ("len(group_name) > 3", {"group_name": "计算机学院工作群"}, True),
    ("missing_field", {}, None),
])
def test_allowed_expressions(expression, data, expected):
    assert check_expression(expression) is None
    assert evaluate(expression, data) == expected


@pytest.mark.parametrize("expression", [
    '__import__("os").system("id")', "().__class__.__bases__", "open('/etc/passwd').read()", "exec('1')",
    "[x for x in range(10**8)]", "2 ** 10000000", "lambda: 1", "globals()", "x.__dict__", "a.format(b)",
])
def test_refused_expressions(expression):
    assert check_expression(expression) is not None
    with pytest.raises(ExpressionRefused):
        evaluate(expression, {"x": 1, "a": "{}", "b": 1})


def test_huge_string_is_refused_at_run_time():
    with pytest.raises(ExpressionRefused):
        evaluate('"x" * 100000000', {})


def test_a_malicious_diagram_cannot_run_even_without_validation(tmp_path: Path):
    marker = tmp_path / "pwned"
    evil = SOURCE.replace(b"is_student == True", f'__import__("pathlib").Path("{marker}").touch()'.encode())
    loaded = parse_spec("evil", evil)  # straight into the engine, skipping deploy-time validation
    engine = Engine()
    workflow = engine.new_workflow(loaded, {}, lambda *a: {"duplicates": []})
    engine.run(workflow)
    engine.complete_user_task(workflow, engine.ready_user_tasks(workflow)[0].guid, {"is_student": False})
    with pytest.raises(HandlerFailed) as err:
        engine.complete_user_task(workflow, engine.ready_user_tasks(workflow)[0].guid, {"decision": "approve"})
    assert err.value.element_id == "gw_student"  # the gateway whose condition was refused
    assert isinstance(err.value.error, ExpressionRefused)
    assert not marker.exists()


def test_script_tasks_cannot_run(tmp_path: Path):
    import re

    marker = tmp_path / "pwned"
    text = re.sub(r'<bpmn:serviceTask id="check_duplicates"[^>]*>(.*?)</bpmn:serviceTask>',
                  rf'<bpmn:scriptTask id="check_duplicates" name="x">\1<bpmn:script>open("{marker}", "w")</bpmn:script></bpmn:scriptTask>',
                  SOURCE.decode(), flags=re.S)
    loaded = parse_spec("script", text.encode())
    engine = Engine()
    workflow = engine.new_workflow(loaded, {}, None)
    engine.run(workflow)
    with pytest.raises(HandlerFailed) as err:
        engine.complete_user_task(workflow, engine.ready_user_tasks(workflow)[0].guid, {})
    assert err.value.element_id == "check_duplicates"
    assert not marker.exists()
