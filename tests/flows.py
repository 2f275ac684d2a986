"""Helpers for driving processes in tests through the use cases (the same path the API and CLI take)."""

from __future__ import annotations

from typing import Any

from workflows.services import instances, queries
from workflows.services.runtime import Runtime

APPLICATION = {
    "group_name": "计算机工程学院2026级新生辅导员工作群", "group_kind": "wechat_group", "function": "发布新生入学工作通知",
    "member_scope": "学院辅导员及班主任", "member_count": 25, "owner_name": "李老师", "admins": "赵老师",
    "contact": "13912345678", "line": "teaching", "is_student": False, "posting_rules": "只发布工作通知，不闲聊",
}


def open_task(rt: Runtime, username: str, element: str | None = None) -> dict[str, Any]:
    items = queries.list_tasks(rt, username, "mine", limit=200)["items"]
    found = [t for t in items if element is None or t["element"] == element]
    assert found, f"{username} has no open task {element}: {[t['element'] for t in items]}"
    return found[0]


def act(rt: Runtime, username: str, element: str, data: dict[str, Any]) -> dict[str, Any]:
    task = open_task(rt, username, element)
    instance_id = instances.complete_task(rt, task["id"], username, data)
    return queries.get_instance(rt, username, instance_id)


def apply(rt: Runtime, username: str = "staff_cs", **changes: Any) -> int:
    return instances.start_process(rt, "group_approval", username, {**APPLICATION, **changes})
