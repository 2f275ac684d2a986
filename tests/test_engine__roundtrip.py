"""The engine facade alone: each group-approval path run straight and through dump/restore at every step.

The restore uses the cached spec (spec by reference), so this also proves the stored state carries no spec.
"""

from __future__ import annotations

import json

import pytest

from workflows.engine.facade import Engine, parse_spec
from workflows.settings import ROOT_DIR

XML = (ROOT_DIR / "bpmn" / "group_approval.bpmn").read_bytes()
LOADED = parse_spec("test", XML)
APPLICATION = {"group_name": "测试群", "group_kind": "qq_group", "is_student": False}

PATHS = {
    "approve": ([("apply", APPLICATION), ("unit_head_review", {"decision": "approve"}), ("party_org_review", {"decision": "approve"})], "completed", ["check_duplicates", "file_group", "make_document"]),
    "reject_unit": ([("apply", APPLICATION), ("unit_head_review", {"decision": "reject"})], "rejected", ["check_duplicates"]),
    "reject_party": ([("apply", APPLICATION), ("unit_head_review", {"decision": "approve"}), ("party_org_review", {"decision": "reject"})], "rejected", ["check_duplicates"]),
    "return_resubmit": ([("apply", APPLICATION), ("unit_head_review", {"decision": "return"}), ("apply", APPLICATION),
                         ("unit_head_review", {"decision": "approve"}), ("party_org_review", {"decision": "return"}), ("apply", APPLICATION),
                         ("unit_head_review", {"decision": "approve"}), ("party_org_review", {"decision": "approve"})], "completed",
                        ["check_duplicates", "check_duplicates", "check_duplicates", "file_group", "make_document"]),
    "student": ([("apply", {**APPLICATION, "is_student": True, "student_body": "xuegong"}), ("unit_head_review", {"decision": "approve"}),
                 ("student_body_review", {"decision": "approve"})], "completed", ["check_duplicates", "file_group", "make_document"]),
    "student_reject": ([("apply", {**APPLICATION, "is_student": True}), ("unit_head_review", {"decision": "approve"}),
                        ("student_body_review", {"decision": "reject"})], "rejected", ["check_duplicates"]),
}


@pytest.mark.parametrize("roundtrip", [False, True], ids=["straight", "save-restore"])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_path(path, roundtrip):
    steps, outcome, expected_calls = PATHS[path]
    engine = Engine()
    calls: list[str] = []

    def invoker(task, topic, params):
        calls.append(topic)
        return {"duplicates": []} if topic == "check_duplicates" else None

    workflow = engine.new_workflow(LOADED, {}, invoker)
    engine.run(workflow)
    for element, data in steps:
        if roundtrip:
            state = engine.dump(workflow)
            assert b'"spec"' not in state and len(state) < 60_000
            workflow = engine.restore(LOADED, state, invoker)
        ready = engine.ready_user_tasks(workflow)
        assert [t.spec_id for t in ready] == [element]
        engine.complete_user_task(workflow, ready[0].guid, data)
    assert engine.outcome(workflow, LOADED) == outcome
    assert engine.ready_user_tasks(workflow) == []
    assert [c for c in calls if c not in {"remind", "escalate"}] == expected_calls
    assert engine.waiting_timers(workflow) == []


def test_restored_state_is_smaller_than_the_stock_serializer():
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

    from workflows.engine.spiff import HandlerTask

    engine = Engine()
    workflow = engine.new_workflow(LOADED, {}, lambda *a: None)
    engine.run(workflow)
    ours = len(engine.dump(workflow))
    config = dict(CAMUNDA_CONFIG)
    from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter

    class HandlerTaskConverter(BpmnTaskSpecConverter):
        def to_dict(self, spec):
            return self.get_default_attributes(spec)

    config[HandlerTask] = HandlerTaskConverter
    stock = len(BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config)).serialize_json(workflow))
    assert ours * 2 < stock, (ours, stock)
    json.loads(engine.dump(workflow))


def _stock_task_dicts():
    """Our spec-by-reference serializer with SpiffWorkflow's own task converter and JSON encoding."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
    from SpiffWorkflow.task import Task

    from workflows.engine import spiff

    config = dict(spiff.CAMUNDA_CONFIG)
    config[spiff.BpmnWorkflow] = spiff.SpecRefWorkflowConverter
    config[Task] = TaskConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


def test_dump_is_the_stock_serializers_document_and_keeps_typed_values():
    """The product writes state with orjson and its own task converter: the same document SpiffWorkflow's
    converter and ``serialize_json`` write (Chinese as UTF-8 rather than escapes), and datetimes, timedeltas and
    sets in task data come back typed."""
    from datetime import datetime, timedelta, timezone

    engine = Engine()
    workflow = engine.new_workflow(LOADED, {}, lambda *a: None)
    engine.run(workflow)
    at = datetime(2026, 12, 4, 9, 30, tzinfo=timezone.utc)
    ready = engine.ready_user_tasks(workflow)[0]
    engine.prefill_user_task(workflow, ready.guid, {"group_name": "计算机工程学院教学群", "at": at,
                                                    "wait": timedelta(days=2), "tags": {"x"}, "big": 2**70})
    engine.complete_user_task(workflow, ready.guid, {})
    state = engine.dump(workflow)
    assert "计算机工程学院教学群".encode() in state
    assert json.loads(state) == json.loads(_stock_task_dicts().serialize_json(workflow))
    for stored in (state, _stock_task_dicts().serialize_json(workflow).encode()):  # also state written before
        data = engine.data(engine.restore(LOADED, stored, None))
        assert data["at"] == at and data["wait"] == timedelta(days=2) and data["tags"] == ["x"] and data["big"] == 2**70
