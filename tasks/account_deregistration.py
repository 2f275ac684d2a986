"""Handlers of the inactive account deregistration (measures art. 10: two weeks without an update)."""

from __future__ import annotations

from datetime import date
from typing import Any

from .registry import REGISTRY, HandlerContext

ACCOUNT_KINDS = ("wechat_official_account", "qq_official_account")


@REGISTRY.register("account_idle_load", "公众号注销：读取台账中的公众号及最后更新日期")
def load_account(ctx: HandlerContext) -> dict[str, Any]:
    reg = ctx.ops.registry
    facts, error = reg.find_group(ctx.unit_id, ctx.data, statuses=("filed",), kinds=ACCOUNT_KINDS)
    if facts is None:
        return {"group_error": error}
    last = facts["last_update"]
    idle = (reg.today(ctx) - date.fromisoformat(last)).days if last else None
    return {"group_error": None, "group_id": facts["group_id"], "group_name": facts["group_name"], "last_update": last,
            "idle_days": idle, "owner_username": facts["owner_username"], "owner_name": facts["owner_name"]}


@REGISTRY.register("account_deregister", "公众号注销：台账登记已注销")
def deregister(ctx: HandlerContext) -> dict[str, Any]:
    d = ctx.data
    why = "群主确认注销" if d.get("response") == "deregister" else "情况说明未被接受"
    return ctx.ops.registry.set_status(ctx, d["group_id"], "deregistered", f"连续两周未更新（第十条）：{why}")


@REGISTRY.register("account_keep", "公众号注销：接受情况说明，保留公众号")
def keep(ctx: HandlerContext) -> dict[str, Any]:
    return ctx.ops.registry.touch_account(ctx, ctx.data["group_id"], ctx.data.get("explanation") or "")
