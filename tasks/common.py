"""Handlers every process uses: reminders and escalations from boundary timers."""

from __future__ import annotations

from typing import Any

from .registry import REGISTRY, HandlerContext


@REGISTRY.register("remind", "催办提醒：提醒当前办理人", params=("task",))
def remind(ctx: HandlerContext, task: str = "") -> dict[str, Any]:
    sent = ctx.ops.notify(ctx, "reminder", None, f"催办提醒：您有一项待办即将到期（{ctx.process_key} #{ctx.instance_id}）", task_spec=task)
    ctx.ops.record(ctx, "reminder", {"task": task, "notified": sent})
    return {}


@REGISTRY.register("escalate", "逾期升级：通知上级角色督办", params=("task", "to"))
def escalate(ctx: HandlerContext, task: str = "", to: str = "party_office") -> dict[str, Any]:
    ctx.ops.notify(ctx, "escalation", None, f"逾期提醒：您的待办已超过办理期限（#{ctx.instance_id}）", task_spec=task)
    sent = ctx.ops.notify(ctx, "escalation", to, f"督办：#{ctx.instance_id} 的待办已逾期，请督促办理")
    ctx.ops.record(ctx, "escalation", {"task": task, "to": to, "notified": sent})
    return {}
