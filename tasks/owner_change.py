"""Handlers of the owner (群主) or account creator change (measures art. 10)."""

from __future__ import annotations

from typing import Any

from .registry import REGISTRY, HandlerContext

ACCOUNT_KINDS = ("wechat_official_account", "qq_official_account")
REASONS = {"transfer": "群主工作调动", "departure": "群主离职", "job_change": "群主工作变更", "other": "其他"}


@REGISTRY.register("owner_change_load_group", "群主变更：读取台账中的群组及原群主")
def load_group(ctx: HandlerContext) -> dict[str, Any]:
    facts, error = ctx.ops.registry.find_group(ctx.unit_id, ctx.data)
    if facts is None:
        return {"group_error": error}
    return {"group_error": None, "group_id": facts["group_id"], "group_name": facts["group_name"],
            "group_kind_label": facts["group_kind_label"], "is_account": facts["group_kind"] in ACCOUNT_KINDS,
            "old_owner_username": facts["owner_username"], "old_owner_name": facts["owner_name"],
            "reason_label": REASONS.get(ctx.data.get("reason") or "", ctx.data.get("reason") or "")}


@REGISTRY.register("owner_change_check_new_owner", "群主变更：核对新群主（在职、非原群主）")
def check_new_owner(ctx: HandlerContext) -> dict[str, Any]:
    username = str(ctx.data.get("new_owner_username") or "").strip()
    person = ctx.ops.registry.person(username)
    if person is None:
        return {"owner_error": f"用户 {username} 不存在，请填写新群主的用户名"}
    if person.status != "active":
        return {"owner_error": f"{person.name}（{username}）已调离或离职，不能担任群主"}
    if username == ctx.data.get("old_owner_username"):
        return {"owner_error": f"{person.name} 已是该群组的群主"}
    # ``owner_username`` names the person the ``owner`` role resolves to: from here on, the new owner
    return {"owner_error": None, "new_owner_username": username, "new_owner_name": person.name, "owner_username": username}


@REGISTRY.register("owner_change_apply", "群主变更：台账更新群主，保留变更记录并通知新群主")
def apply_change(ctx: HandlerContext) -> dict[str, Any]:
    d = ctx.data
    result = ctx.ops.registry.change_owner(ctx, d["group_id"], d["new_owner_username"], d.get("reason_label") or "群主变更")
    ctx.ops.notify(ctx, "outcome", "owner", f"您已成为「{d.get('group_name', '')}」的群主，请履行日常运行管理职责（第九条）")
    return result
