"""Deploying: new version per changed content, running instances stay on theirs, a bad deploy changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.flows import act, apply
from workflows.db import unit_of_work
from workflows.errors import InvalidDiagram
from workflows.models import ProcessDefinition
from workflows.services import deployments, queries


def versions(rt) -> list[int]:
    with unit_of_work(write=False, engine=rt.db) as s:
        return list(s.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == "group_approval").order_by(ProcessDefinition.version)))


def source(rt) -> bytes:
    return (rt.settings.bpmn_dir / "group_approval.bpmn").read_bytes()


def test_unchanged_content_keeps_the_version(sqlite_rt):
    result = deployments.deploy(sqlite_rt, [("group_approval.bpmn", source(sqlite_rt))], "admin")
    assert result[0].version == 1 and result[0].created is False
    assert versions(sqlite_rt) == [1]


def test_running_instance_stays_on_its_version(rt):
    old = apply(rt)
    changed = source(rt).replace('name="单位(部门)负责人审核"'.encode(), 'name="单位负责人审核（新版）"'.encode())
    assert deployments.deploy(rt, [("group_approval.bpmn", changed)], "admin")[0].version == 2
    new = apply(rt)
    assert queries.get_instance(rt, "staff_cs", old)["version"] == 1
    new_inst = queries.get_instance(rt, "staff_cs", new)
    assert new_inst["version"] == 2 and new_inst["tasks"][0]["name"] == "单位负责人审核（新版）"
    assert queries.get_instance(rt, "staff_cs", old)["tasks"][0]["name"] == "单位(部门)负责人审核"
    act(rt, "head_cs", "unit_head_review", {"decision": "approve", "opinion": "同意"})
    act(rt, "head_cs", "unit_head_review", {"decision": "approve", "opinion": "同意"})
    assert {queries.get_instance(rt, "staff_cs", i)["tasks"][0]["element"] for i in (old, new)} == {"party_org_review"}


def test_bad_diagram_leaves_the_old_version_running(sqlite_rt):
    rt = sqlite_rt
    running = apply(rt)
    bad = source(rt).replace(b'is_student == True', b'__import__("os").system("id")')
    with pytest.raises(InvalidDiagram) as err:
        deployments.deploy(rt, [("group_approval.bpmn", bad)], "admin")
    assert any(e.element_id == "Flow_to_student" for e in err.value.errors)
    assert versions(rt) == [1]
    inst = act(rt, "head_cs", "unit_head_review", {"decision": "approve", "opinion": "同意"})
    assert inst["id"] == running and inst["tasks"][0]["element"] == "party_org_review"


def test_one_bad_file_deploys_nothing(sqlite_rt):
    rt = sqlite_rt
    good = source(rt).replace(b"P3WD", b"P4WD")
    broken = b"<bpmn:definitions"
    with pytest.raises(InvalidDiagram):
        deployments.deploy(rt, [("group_approval.bpmn", good), ("broken.bpmn", broken)], "admin")
    assert versions(rt) == [1]


def test_only_process_owners_deploy(sqlite_rt):
    from workflows.errors import Forbidden

    with pytest.raises(Forbidden):
        deployments.deploy(sqlite_rt, [("group_approval.bpmn", source(sqlite_rt).replace(b"P3WD", b"P4WD"))], "staff_cs")
    assert versions(sqlite_rt) == [1]
