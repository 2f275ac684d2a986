"""A failing service task leaves the instance in error with an incident; an administrator retries it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tasks.registry import REGISTRY
from tests.flows import act, apply
from workflows.db import unit_of_work
from workflows.errors import Conflict, Forbidden
from workflows.models import Incident, WorkGroup
from workflows.services import deployments, instances, queries

FAILURES = {"left": 0}

if REGISTRY.get("test_flaky_filing") is None:
    @REGISTRY.register("test_flaky_filing", "test only: fails while FAILURES['left'] > 0, then files")
    def _flaky(ctx, **_):
        # writes first, then fails: the savepoint must roll the write back
        ctx.ops.record(ctx, "test_write", {})
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise RuntimeError("备案服务暂时不可用")
        return ctx.ops.file_group(ctx, {"name": ctx.data["group_name"], "kind": "wechat_group"})


@pytest.fixture
def flaky_rt(rt):
    xml = (rt.settings.bpmn_dir / "group_approval.bpmn").read_bytes().replace(b'camunda:topic="file_group"', b'camunda:topic="test_flaky_filing"')
    deployments.deploy(rt, [("group_approval.bpmn", xml)], "admin")
    FAILURES["left"] = 1
    return rt


def test_failure_then_retry(flaky_rt):
    rt = flaky_rt
    iid = apply(rt)
    act(rt, "head_cs", "unit_head_review", {"decision": "approve", "opinion": "同意"})
    inst = act(rt, "party_cs", "party_org_review", {"decision": "approve", "opinion": "同意"})
    assert inst["status"] == "error"
    assert "备案服务暂时不可用" in inst["error"] and "file_group" in inst["error"]
    assert [h["action"] for h in inst["history"]][-1] == "error"
    assert "test_write" not in [h["action"] for h in inst["history"]]
    with unit_of_work(write=False, engine=rt.db) as s:
        incident = s.scalar(select(Incident).where(Incident.instance_id == iid))
        assert incident.element_id == "file_group" and incident.resolved_at is None
        assert s.scalar(select(WorkGroup)) is None
    with pytest.raises(Forbidden):
        instances.retry_instance(rt, iid, "staff_cs")
    instances.retry_instance(rt, iid, "admin")
    inst = queries.get_instance(rt, "admin", iid)
    assert inst["status"] == "completed" and inst["error"] is None
    actions = [h["action"] for h in inst["history"]]
    assert actions[-4:] == ["retry", "test_write", "filed", "end"]
    assert actions.count("test_write") == 1  # the failed attempt's write was rolled back with its savepoint
    with unit_of_work(write=False, engine=rt.db) as s:
        assert s.scalar(select(Incident.resolved_at).where(Incident.instance_id == iid)) is not None
        assert s.scalar(select(WorkGroup.status)) == "filed"
    with pytest.raises(Conflict):
        instances.retry_instance(rt, iid, "admin")
