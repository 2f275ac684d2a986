"""Handlers of the member exit (measures art. 11: transferred or departed people leave the unit's groups)."""

from __future__ import annotations

from typing import Any

from .registry import REGISTRY, HandlerContext

REASONS = {"transfer": "工作调动", "departure": "离职", "job_change": "岗位调整", "other": "其他"}


@REGISTRY.register("member_exit_load", "人员移出：读取群组、群主和应移出人员")
def load_member(ctx: HandlerContext) -> dict[str, Any]:
    reg = ctx.ops.registry
    facts, error = reg.find_group(ctx.unit_id, ctx.data)
    if facts is None:
        return {"exit_error": error}
    username = str(ctx.data.get("member_username") or "").strip()
    member = reg.person(username)
    if member is None:
        return {"exit_error": f"用户 {username} 不存在，请填写应移出人员的用户名"}
    if username == facts["owner_username"]:
        return {"exit_error": f"{member.name} 是该群组的群主，请改为办理群主变更"}
    return {"exit_error": None, "group_id": facts["group_id"], "group_name": facts["group_name"],
            "owner_username": facts["owner_username"], "owner_name": facts["owner_name"],
            "member_username": username, "member_name": member.name,
            "reason_label": REASONS.get(ctx.data.get("reason") or "", "")}


@REGISTRY.register("member_exit_record", "人员移出：台账花名册移出该人员")
def record_removal(ctx: HandlerContext) -> dict[str, Any]:
    return ctx.ops.registry.remove_member(ctx, ctx.data["group_id"], ctx.data["member_username"])
