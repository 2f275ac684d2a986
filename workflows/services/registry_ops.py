"""Registry changes the handlers of the other processes may make (``ctx.ops.registry``), over the caller's transaction.

Each method changes the register of groups and accounts (``WorkGroup``, ``Filing``, ``Membership``), stores
generated documents, and records an audit event; nothing here commits (the use case running the engine does).
Methods that start or advance other instances use ``Operations.runtime`` (see ``campaign.py``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from .. import clock
from ..models import Filing, HumanTask, Membership, Notification, Person, WorkGroup
from ..models.registry import GROUP_KINDS, GROUP_STATUSES

ACCOUNT_KINDS = ("wechat_official_account", "qq_official_account")
DEFAULT_TZ = "Asia/Shanghai"


def local_date(moment: datetime, tz: str = DEFAULT_TZ) -> date:
    """The calendar day ``moment`` falls on in the school's time zone (dates on forms and in the register)."""
    return clock.as_utc(moment).astimezone(ZoneInfo(tz)).date()


def parse_day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def group_view(group: WorkGroup, owner: Person | None = None) -> dict[str, Any]:
    """A group as process data and API answers show it."""
    return {
        "group_id": group.id, "group_name": group.name, "group_kind": group.kind, "group_kind_label": GROUP_KINDS.get(group.kind, group.kind),
        "group_status": group.status, "group_status_label": GROUP_STATUSES.get(group.status, group.status),
        "group_unit_id": group.unit_id, "temporary": group.temporary,
        "expected_end": group.expected_end.isoformat() if group.expected_end else None,
        "last_update": group.last_update.isoformat() if group.last_update else None,
        "member_count": group.member_count, "function": group.function,
        "owner_username": owner.username if owner else "", "owner_name": owner.name if owner else group.details.get("owner_name", ""),
    }


class RegistryOps:
    """Registry operations for handlers; built by ``Operations.registry`` over its session and instance."""

    def __init__(self, ops: Any) -> None:
        self.ops = ops
        self.session = ops.session
        self.instance = ops.instance
        self.runtime = ops.runtime

    @property
    def campaign(self) -> Any:
        """The art. 7 cleanup operations (``campaign_ops.CampaignOps``)."""
        from .campaign_ops import CampaignOps

        return CampaignOps(self)

    # ------------------------------------------------------------------ facts

    @property
    def tz(self) -> str:
        return self.runtime.settings.timezone if self.runtime is not None else DEFAULT_TZ

    def today(self, ctx: Any) -> date:
        return local_date(ctx.now, self.tz)

    def group(self, group_id: Any) -> WorkGroup | None:
        try:
            return self.session.get(WorkGroup, int(group_id))
        except (TypeError, ValueError):
            return None

    def group_facts(self, group_id: Any) -> dict[str, Any] | None:
        """The group as data (with its owner's username), or None when there is no such group."""
        group = self.group(group_id)
        if group is None:
            return None
        return group_view(group, self.session.get(Person, group.owner_id) if group.owner_id else None)

    def find_group(self, unit_id: int | None, data: dict[str, Any], statuses: tuple[str, ...] = ("filed", "dissolving"),
                   kinds: tuple[str, ...] | None = None) -> tuple[dict[str, Any] | None, str | None]:
        """The group a form names: ``group_id`` (system starts) or ``group_name`` within the unit.

        Returns (facts, None), or (None, a Chinese message saying what is wrong).
        """
        group = self.group(data.get("group_id")) if data.get("group_id") else None
        if group is None:
            name = str(data.get("group_name") or "").strip()
            if not name:
                return None, "请填写工作群组或公众号名称"
            rows = self.session.scalars(select(WorkGroup).where(WorkGroup.unit_id == unit_id, WorkGroup.status.in_(statuses))).all()
            rows = [g for g in rows if kinds is None or g.kind in kinds]
            exact = [g for g in rows if g.name == name]
            close = exact or [g for g in rows if name in g.name]
            if len(close) != 1:
                known = "、".join(g.name for g in rows[:10]) or "（无）"
                what = "多个" if close else "没有"
                return None, f"本单位台账中{what}名称为「{name}」的有效群组，请核对名称。本单位在册：{known}"
            group = close[0]
        if group.status not in statuses:
            return None, f"群组「{group.name}」当前状态为{GROUP_STATUSES.get(group.status, group.status)}，不能办理"
        if kinds is not None and group.kind not in kinds:
            return None, f"「{group.name}」是{GROUP_KINDS.get(group.kind, group.kind)}，不适用本流程"
        if unit_id is not None and group.unit_id != unit_id:
            return None, f"群组「{group.name}」不属于本单位，请由该群组所在单位发起"
        return self.group_facts(group.id), None

    def person(self, username: str | None) -> Person | None:
        if not username:
            return None
        return self.session.scalar(select(Person).where(Person.username == username.strip()))

    def record(self, ctx: Any, action: str, details: dict[str, Any]) -> None:
        self.ops.record(ctx, action, details)

    # ------------------------------------------------------------------ documents

    def store_document(self, ctx: Any, kind: str, context: dict[str, Any], name: str) -> int:
        """Record form ``kind`` (att1-att3) through ``ctx.ops.documents`` for the instance, rendered after the step commits (audited)."""
        doc_id = self.ops.documents.store(ctx, kind, name, context)
        self.record(ctx, "document", {"document_id": doc_id, "kind": kind, "name": name})
        return doc_id

    # ------------------------------------------------------------------ status changes

    def set_status(self, ctx: Any, group_id: Any, status: str, note: str = "") -> dict[str, Any]:
        """Move a group to ``status`` (one of GROUP_STATUSES), with an audit record."""
        if status not in GROUP_STATUSES:
            raise ValueError(f"unknown group status {status}")
        group = self._require(group_id)
        old = group.status
        group.status = status
        if status in {"dissolved", "deregistered"}:
            group.dissolved_at = ctx.now
        self.record(ctx, "registry_status", {"group_id": group.id, "from": old, "to": status, "note": note})
        return {"group_status": status}

    def dissolve(self, ctx: Any, group_id: Any, on: Any = None, note: str = "") -> dict[str, Any]:
        """Mark a group dissolved (已解散) on the day the owner confirms (default today)."""
        group = self._require(group_id)
        day = parse_day(on) or self.today(ctx)
        self.set_status(ctx, group.id, "dissolved", note)
        group.details = {**group.details, "dissolved_on": day.isoformat(), "dissolve_note": note}
        self.session.add(Filing(group_id=group.id, kind=group.kind, filed_by_id=ctx.starter_id, filed_at=ctx.now,
                                instance_id=ctx.instance_id, note=f"解散：{day.isoformat()} {note}".strip()))
        return {"group_status": "dissolved", "dissolved_on": day.isoformat()}

    def extend_temp_group(self, ctx: Any, group_id: Any, new_end: Any, max_days: int) -> str | None:
        """Move a temporary group's expected end; returns a Chinese error instead when art. 6 limits forbid it."""
        group = self._require(group_id)
        end = parse_day(new_end)
        today = self.today(ctx)
        created = parse_day(group.details.get("registered_on")) or today
        if end is None or end <= today:
            return "新的预计结束日期应晚于今天"
        if (end - created).days > max_days:
            return (f"临时工作群组自登记起最长 {max_days} 天（至 {(created + timedelta(days=max_days)).isoformat()}），"
                    "确需长期使用的，请解散后按程序申请新建工作群组审批")
        old = group.expected_end
        group.expected_end = end
        group.status = "filed"
        self.record(ctx, "temp_group_extended", {"group_id": group.id, "from": old.isoformat() if old else None, "to": end.isoformat()})
        return None

    def touch_account(self, ctx: Any, group_id: Any, note: str) -> dict[str, Any]:
        """Keep an account (explanation accepted): recorded, status stays filed."""
        group = self._require(group_id)
        group.details = {**group.details, "idle_explanation_accepted": {"on": self.today(ctx).isoformat(), "note": note,
                                                                         "instance_id": ctx.instance_id}}
        self.record(ctx, "account_kept", {"group_id": group.id, "note": note})
        return {"group_status": group.status}

    # ------------------------------------------------------------------ filing and owners

    def file_account(self, ctx: Any, fields: dict[str, Any]) -> dict[str, Any]:
        """File the official account of this instance (att. 2): a WorkGroup with status filed and a Filing."""
        fields = {**fields, "last_update": self.today(ctx)}
        return self.ops.file_group(ctx, fields)

    def change_owner(self, ctx: Any, group_id: Any, new_owner_username: str, reason: str) -> dict[str, Any]:
        """Make ``new_owner_username`` the group's owner (群主/创建人); the old one stays in ``details.owner_history``."""
        group = self._require(group_id)
        new = self.person(new_owner_username)
        if new is None:
            raise ValueError(f"人员 {new_owner_username} 不存在")
        old = self.session.get(Person, group.owner_id) if group.owner_id else None
        history = list(group.details.get("owner_history") or [])
        history.append({"from": old.username if old else None, "from_name": old.name if old else group.details.get("owner_name"),
                        "to": new.username, "to_name": new.name, "at": ctx.now.isoformat(), "reason": reason,
                        "instance_id": ctx.instance_id})
        group.owner_id = new.id
        group.details = {**group.details, "owner_name": new.name, "owner_history": history}
        self.session.add(Filing(group_id=group.id, kind=group.kind, filed_by_id=new.id, filed_at=ctx.now, instance_id=ctx.instance_id,
                                note=f"群主变更：{old.name if old else '（无）'} → {new.name}（{reason}）"))
        self.record(ctx, "owner_changed", {"group_id": group.id, "from": old.username if old else None, "to": new.username})
        return {"owner_changed_at": ctx.now.isoformat(), "new_owner_name": new.name}

    def remove_member(self, ctx: Any, group_id: Any, username: str) -> dict[str, Any]:
        """Take a person off the group's real-name roster (art. 11)."""
        group = self._require(group_id)
        person = self.person(username)
        removed = 0
        if person is not None:
            removed = self.session.execute(delete(Membership).where(Membership.group_id == group.id,
                                                                    Membership.person_id == person.id)).rowcount or 0
            if removed and group.member_count:
                group.member_count = max(group.member_count - 1, 0)
        self.record(ctx, "member_removed", {"group_id": group.id, "username": username, "rows": removed})
        return {"member_removed": bool(removed)}

    # ------------------------------------------------------------------ notifications

    def notify_assignee_task(self, ctx: Any, kind: str, spec_id: str, username: str, message: str, also_role: str | None = None) -> int:
        """Remind or escalate one person's open task ``spec_id`` (multi-instance tasks share a spec id)."""
        person = self.person(username)
        row = None
        if person is not None:
            row = self.session.scalar(select(HumanTask).where(HumanTask.instance_id == ctx.instance_id, HumanTask.spec_id == spec_id,
                                                              HumanTask.state == "open", HumanTask.assignee_id == person.id).limit(1))
        sent = 0
        if person is not None:
            self.session.add(Notification(person_id=person.id, instance_id=ctx.instance_id, task_id=row.id if row else None,
                                          kind=kind, title=message, created_at=ctx.now))
            sent = 1
        if row is not None:
            if kind == "reminder":
                row.reminders_sent += 1
            elif kind == "escalation":
                row.escalated = True
        if also_role:
            sent += self.ops.notify(ctx, kind, also_role, f"督办：{message}")
        self.record(ctx, kind, {"task": spec_id, "username": username, "to": also_role, "notified": sent})
        return sent

    # ------------------------------------------------------------------ helpers

    def _require(self, group_id: Any) -> WorkGroup:
        group = self.group(group_id)
        if group is None:
            raise LookupError(f"工作群组 {group_id} 不存在")
        return group
