"""Warm workflows between steps (workflows/engine/cache.py): a step reuses the workflow the previous committed
step saved, never one a failed step changed or one another process has since moved on."""

from __future__ import annotations

import pytest

from tests.conftest import runtime_for
from tests.flows import act, apply, open_task
from workflows.services import instances, projection, queries

APPROVE = {"decision": "approve", "opinion": "同意"}


def test_steps_reuse_the_warm_workflow(sqlite_rt):
    apply(sqlite_rt)
    misses = sqlite_rt.workflows.misses
    act(sqlite_rt, "head_cs", "unit_head_review", APPROVE)
    inst = act(sqlite_rt, "party_cs", "party_org_review", APPROVE)
    assert inst["status"] == "completed"
    assert sqlite_rt.workflows.misses == misses and sqlite_rt.workflows.hits >= 2


def test_a_failed_step_leaves_no_trace_in_the_next(sqlite_rt, monkeypatch):
    iid = apply(sqlite_rt)
    task = open_task(sqlite_rt, "head_cs", "unit_head_review")
    real_save = projection.save

    def failing_save(*args, **kwargs):  # the engine already moved the workflow on; the transaction then fails
        real_save(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(projection, "save", failing_save)
    with pytest.raises(RuntimeError):
        instances.complete_task(sqlite_rt, task["id"], "head_cs", {"decision": "reject", "opinion": "不同意"})
    monkeypatch.setattr(projection, "save", real_save)
    # nothing of the rejected attempt: the same task is still open and the approval goes on from it
    assert open_task(sqlite_rt, "head_cs", "unit_head_review")["id"] == task["id"]
    inst = act(sqlite_rt, "head_cs", "unit_head_review", APPROVE)
    assert [t["element"] for t in inst["tasks"]] == ["party_org_review"]
    assert inst["data"]["decisions"]["unit_head_review"]["decision"] == "approve"
    assert queries.get_instance(sqlite_rt, "staff_cs", iid)["status"] == "running"


def test_a_step_taken_by_another_process_is_seen(sqlite_rt, tmp_path):
    other = runtime_for(str(sqlite_rt.db.url), tmp_path / "other")  # a second web process on the same database
    try:
        apply(sqlite_rt)  # warm in the first process
        act(other, "head_cs", "unit_head_review", APPROVE)  # the second moves the instance on
        inst = act(sqlite_rt, "party_cs", "party_org_review", APPROVE)  # the first must not reuse its stale copy
        assert inst["status"] == "completed"
        assert [d for d in inst["data"]["decisions"]] == ["unit_head_review", "party_org_review"]
    finally:
        other.db.dispose()


def test_a_finished_instance_is_not_kept(sqlite_rt):
    iid = apply(sqlite_rt)
    act(sqlite_rt, "head_cs", "unit_head_review", APPROVE)
    assert iid in sqlite_rt.workflows  # waiting for the Party committee: kept warm
    act(sqlite_rt, "party_cs", "party_org_review", APPROVE)
    assert iid not in sqlite_rt.workflows  # completed: nothing more to run
