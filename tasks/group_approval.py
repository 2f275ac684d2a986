"""Handlers of the new-group approval (art. 4, 5, 16)."""

from __future__ import annotations

from typing import Any

from .registry import REGISTRY, HandlerContext


@REGISTRY.register("check_duplicates", "重复群组检查（同一单位名称或功能相近的群组）", writes=False)
def check_duplicates(ctx: HandlerContext) -> dict[str, Any]:
    similar = ctx.ops.find_similar_groups(ctx.unit_id, ctx.data.get("group_name", ""), ctx.data.get("function", ""))
    return {"duplicates": similar, "duplicate_warning": bool(similar)}


@REGISTRY.register("file_group", "登记备案：工作群组进入台账")
def file_group(ctx: HandlerContext) -> dict[str, Any]:
    d = ctx.data
    fields = {
        "name": d.get("group_name", ""),
        "kind": d.get("group_kind") or "wechat_group",
        "function": d.get("function", ""),
        "member_scope": d.get("member_scope", ""),
        "member_count": int(d.get("member_count") or 0),
        "owner_id": ctx.starter_id,
        "admins": d.get("admins") or "",
        "contact": d.get("contact") or "",
        "posting_rules": d.get("posting_rules") or "",
        "line": d.get("line") or "admin",
        "is_student": bool(d.get("is_student")),
        "details": {"owner_name": d.get("owner_name", ""), "student_body": d.get("student_body")},
    }
    return ctx.ops.file_group(ctx, fields)
