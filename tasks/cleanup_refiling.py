"""Handlers of the art. 7 cleanup and re-filing campaign (cleanup_refiling) and of each unit's part (cleanup_unit)."""

from __future__ import annotations

from typing import Any

from .registry import REGISTRY, HandlerContext


@REGISTRY.register("cleanup_open_parts", "清理规范：为每个单位发起单位清理备案（子流程 cleanup_unit）")
def open_parts(ctx: HandlerContext) -> dict[str, Any]:
    return ctx.ops.registry.campaign.open_unit_parts(ctx)


@REGISTRY.register("cleanup_check_parts", "清理规范：汇总各单位完成情况")
def check_parts(ctx: HandlerContext) -> dict[str, Any]:
    return ctx.ops.registry.campaign.check_parts(ctx)


@REGISTRY.register("cleanup_report", "清理规范：生成汇总表")
def report(ctx: HandlerContext) -> dict[str, Any]:
    return ctx.ops.registry.campaign.report(ctx)


@REGISTRY.register("cleanup_unit_groups", "单位清理备案：读取本单位台账中的工作群组")
def unit_groups(ctx: HandlerContext) -> dict[str, Any]:
    return ctx.ops.registry.campaign.unit_groups(ctx)


@REGISTRY.register("cleanup_check_list", "单位清理备案：核对统计人填报的群组清单")
def check_list(ctx: HandlerContext) -> dict[str, Any]:
    return ctx.ops.registry.campaign.check_list(ctx)


@REGISTRY.register("cleanup_refile", "单位清理备案：保留群组重新备案，生成备案登记表（附件3）")
def refile(ctx: HandlerContext) -> dict[str, Any]:
    return ctx.ops.registry.campaign.refile(ctx)


@REGISTRY.register("cleanup_prepare_dissolve", "单位清理备案：确定待解散群组的群主")
def prepare_dissolve(ctx: HandlerContext) -> dict[str, Any]:
    item = ctx.data.get("dissolve_item") or {}
    # ``owner_username`` makes this subprocess's confirm_dissolve task the owner's of this group
    return {"owner_username": item.get("owner_username", ""), "dissolve_group_id": item.get("group_id"),
            "dissolve_group_name": item.get("group_name", ""), "dissolved_on": None}


@REGISTRY.register("cleanup_mark_dissolved", "单位清理备案：台账登记群组已解散")
def mark_dissolved(ctx: HandlerContext) -> dict[str, Any]:
    item = dict(ctx.data.get("dissolve_item") or {})
    result = ctx.ops.registry.dissolve(ctx, item["group_id"], ctx.data.get("dissolved_on"), ctx.data.get("opinion") or "清理规范（第七条）")
    item["dissolved_on"] = result["dissolved_on"]
    return {"dissolve_item": item}


@REGISTRY.register("cleanup_unit_finish", "单位清理备案：本单位完成，通知清理规范总流程")
def finish(ctx: HandlerContext) -> dict[str, Any]:
    return ctx.ops.registry.campaign.part_finished(ctx)


@REGISTRY.register("cleanup_remind_owner", "单位清理备案：提醒该群的群主解散", params=("task",))
def remind_owner(ctx: HandlerContext, task: str = "") -> dict[str, Any]:
    name = ctx.data.get("dissolve_group_name", "")
    ctx.ops.registry.notify_assignee_task(ctx, "reminder", task, ctx.data.get("owner_username", ""),
                                          f"催办提醒：请尽快解散工作群组「{name}」并在系统中确认（#{ctx.instance_id}）")
    return {}


@REGISTRY.register("cleanup_escalate_owner", "单位清理备案：群主逾期未解散，升级督办", params=("task", "to"))
def escalate_owner(ctx: HandlerContext, task: str = "", to: str = "unit_head") -> dict[str, Any]:
    name = ctx.data.get("dissolve_group_name", "")
    ctx.ops.registry.notify_assignee_task(ctx, "escalation", task, ctx.data.get("owner_username", ""),
                                          f"逾期提醒：工作群组「{name}」已超过解散期限（#{ctx.instance_id}）", also_role=to)
    return {}
