"""The art. 7 campaign over every unit of the demo university: each unit's statistician lists its groups (some kept,
some dissolved), the unit head and the Party secretary sign, owners confirm their dissolutions; the campaign ends
with every unit done and the register in the right state."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.process_flows import demo_runtime
from workflows.db import unit_of_work
from workflows.models import Filing, Person, RoleAssignment, Unit, WorkGroup
from workflows.services import instances, queries
from workflows.services.campaign import campaign_progress
from workflows.services.registry import today
from workflows.services.runtime import Runtime


@pytest.fixture
def demo_rt(tmp_path: Path):
    rt = demo_runtime(tmp_path)
    yield rt
    rt.db.dispose()


def holder(rt: Runtime, role: str, scope: str) -> str:
    with unit_of_work(write=False, engine=rt.db) as s:
        return s.scalar(select(Person.username).join(RoleAssignment, RoleAssignment.person_id == Person.id)
                        .where(RoleAssignment.role == role, RoleAssignment.scope == scope).order_by(Person.id).limit(1))


def complete(rt: Runtime, username: str, instance_id: int, element: str, data: dict) -> None:
    task = next(t for t in queries.list_tasks(rt, username, "mine", limit=200)["items"]
                if t["instance_id"] == instance_id and t["element"] == element)
    instances.complete_task(rt, task["id"], username, data)


def test_campaign_over_every_demo_unit(demo_rt):
    rt = demo_rt
    started = time.monotonic()
    deadline = (today(rt) + timedelta(days=30)).isoformat()
    cid = instances.start_process(rt, "cleanup_refiling", "admin", {"campaign_name": "2026年清理规范", "deadline": deadline})
    with unit_of_work(write=False, engine=rt.db) as s:
        units = {u.id: u for u in s.scalars(select(Unit))}
        for u in units.values():
            s.expunge(u)
    parts = queries.get_instance(rt, "admin", cid)["data"]["parts"]
    assert len(parts) == len(units) >= 30
    expected_dissolved = 0
    for i, part in enumerate(parts):
        unit = units[part["unit_id"]]
        stats = holder(rt, "statistician", f"unit:{unit.id}")
        head = holder(rt, "unit_head", f"unit:{unit.id}")
        secretary = holder(rt, "secretary", f"org:{unit.party_org_id}")
        assert stats and head and secretary, unit.name
        groups = [{"group_name": f"{unit.name}工作通知群", "group_kind": "wechat_group", "owner": stats, "member_scope": "本单位教职工",
                   "member_count": 20 + i, "function": "工作通知", "posting_rules": "只发布工作通知", "retention_basis": "日常工作需要",
                   "action": "keep"}]
        if i % 2 == 0:
            groups.append({"group_name": f"{unit.name}临时活动群", "group_kind": "qq_group", "owner": head, "member_count": 8,
                           "action": "dissolve"})
            expected_dissolved += 1
        complete(rt, stats, part["instance_id"], "list_groups", {"group_list": json.dumps(groups, ensure_ascii=False),
                                                                 "original_count": len(groups) + 1})
        complete(rt, head, part["instance_id"], "unit_head_sign", {"decision": "approve", "opinion": "同意"})
        complete(rt, secretary, part["instance_id"], "secretary_sign", {"decision": "approve", "opinion": "同意"})
        if i % 2 == 0:
            complete(rt, head, part["instance_id"], "confirm_dissolve", {"dissolved_on": deadline})
        if i == len(parts) // 2:
            progress = campaign_progress(rt, "admin", cid)
            assert progress["units_done"] == i + 1 and progress["status"] == "running"
    campaign = queries.get_instance(rt, "admin", cid)
    assert campaign["status"] == "completed"
    totals = campaign["data"]["report"]["totals"]
    assert (totals["keep"], totals["dissolve"], totals["dissolved_confirmed"]) == (len(units), expected_dissolved, expected_dissolved)
    with unit_of_work(write=False, engine=rt.db) as s:
        by_status = dict(s.execute(select(WorkGroup.status, func.count()).group_by(WorkGroup.status)).all())
        assert by_status == {"filed": len(units), "dissolved": expected_dissolved}
        assert s.scalar(select(func.count()).select_from(Filing)) == len(units) + expected_dissolved
    progress = campaign_progress(rt, "admin", cid)
    assert progress["units_done"] == progress["units_total"] == len(units)
    assert time.monotonic() - started < 30
