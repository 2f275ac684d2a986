"""Handlers of the temporary group expiry (measures art. 6): dissolve within one week after the work ends."""

from __future__ import annotations

from typing import Any

from .registry import REGISTRY, HandlerContext


@REGISTRY.register("temp_group_load", "临时群组到期：读取台账，标记待解散")
def load_group(ctx: HandlerContext) -> dict[str, Any]:
    reg = ctx.ops.registry
    facts, error = reg.find_group(ctx.unit_id, ctx.data, statuses=("filed", "dissolving"), kinds=("wechat_group", "qq_group"))
    if facts is None:
        return {"group_error": error}
    if not facts["temporary"]:
        return {"group_error": f"「{facts['group_name']}」不是临时工作群组，撤销或解散请联系单位负责人"}
    reg.set_status(ctx, facts["group_id"], "dissolving", "临时工作结束，一周内解散（第六条）")
    return {"group_error": None, "group_id": facts["group_id"], "group_name": facts["group_name"],
            "expected_end": facts["expected_end"], "owner_username": facts["owner_username"], "owner_name": facts["owner_name"],
            "extend_error": None}


@REGISTRY.register("temp_group_dissolved", "临时群组到期：台账登记已解散及解散日期")
def mark_dissolved(ctx: HandlerContext) -> dict[str, Any]:
    d = ctx.data
    return ctx.ops.registry.dissolve(ctx, d["group_id"], d.get("dissolved_on"), d.get("opinion") or "")


@REGISTRY.register("temp_group_extend", "临时群组到期：在第六条限度内延期")
def extend(ctx: HandlerContext) -> dict[str, Any]:
    runtime = ctx.ops.runtime
    max_days = runtime.settings.temp_group_max_days if runtime is not None else 90
    error = ctx.ops.registry.extend_temp_group(ctx, ctx.data["group_id"], ctx.data.get("new_end_date"), max_days)
    return {"extend_error": error}
