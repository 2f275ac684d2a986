"""Registry use cases outside any process: temporary groups (art. 6), account updates (art. 10), rosters (art. 11).

Each function is one transaction and answers with plain data; errors are the domain errors of ``errors.py``
with Chinese messages. Who may change a group: its owner, the head of its unit, the Propaganda Dept (accounts)
and the administrators (党委办公室).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..errors import FieldError, Forbidden, InvalidInput, NotFound
from ..models import AuditEvent, Filing, Membership, Person, WorkGroup
from ..models.registry import GROUP_KINDS, GROUP_STATUSES
from .people import is_overseer, person_by_username
from .registry_ops import ACCOUNT_KINDS, group_view, local_date, parse_day
from .runtime import Runtime

TEMP_KINDS = ("wechat_group", "qq_group")


def today(rt: Runtime) -> date:
    return local_date(clock.now(), rt.settings.timezone)


def may_manage(session: Session, person: Person, group: WorkGroup) -> bool:
    """The owner, the unit head of the group's unit, the Propaganda Dept for accounts, administrators."""
    if group.owner_id == person.id or person.role_names & {"admin", "party_office"}:
        return True
    if group.kind in ACCOUNT_KINDS and "propaganda" in person.role_names:
        return True
    return any(r.role == "unit_head" and r.scope == f"unit:{group.unit_id}" for r in person.roles)


def _group_for(session: Session, person: Person, group_id: int) -> WorkGroup:
    group = session.get(WorkGroup, group_id)
    if group is None:
        raise NotFound(f"工作群组 {group_id} 不存在")
    if not may_manage(session, person, group):
        raise Forbidden("只有群主、本单位负责人或管理员可以维护该群组")
    return group


def _audit(session: Session, person: Person, action: str, details: dict[str, Any]) -> None:
    session.add(AuditEvent(instance_id=None, at=clock.now(), who_id=person.id, who=person.username, action=action, details=details))


def register_temp_group(rt: Runtime, username: str, data: dict[str, Any]) -> dict[str, Any]:
    """Register a temporary group without approval (art. 6), within the size and duration limits of the settings.

    Past a limit the caller is told to apply normally (new-group approval, art. 5).
    """
    max_members, max_days = rt.settings.temp_group_max_members, rt.settings.temp_group_max_days
    errors: list[FieldError] = []
    name = str(data.get("group_name") or "").strip()
    if not name or len(name) > 60:
        errors.append(FieldError("group_name", "「工作群名称」为必填项，不超过 60 个字"))
    kind = data.get("group_kind") or "wechat_group"
    if kind not in TEMP_KINDS:
        errors.append(FieldError("group_kind", "「群类别」只能是微信工作群或QQ工作群"))
    function = str(data.get("function") or "").strip()
    if not function:
        errors.append(FieldError("function", "「群功能（临时工作事项）」为必填项"))
    try:
        count = int(data.get("member_count"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        count = 0
        errors.append(FieldError("member_count", "「人数」应为整数"))
    try:
        end = parse_day(data.get("expected_end"))
    except ValueError:
        end = None
    if end is None:
        errors.append(FieldError("expected_end", "「预计结束日期」为必填项，格式如 2026-12-31"))
    if errors:
        raise InvalidInput("临时工作群组登记信息有误：" + "；".join(e.message for e in errors), errors)
    start = today(rt)
    assert end is not None
    apply_normally = "超过临时工作群组的限制，请按常规程序申请新建工作群组审批（第五条）"
    if count < 1 or count > max_members:
        raise InvalidInput(f"临时工作群组人数应为 1-{max_members} 人，{apply_normally}",
                           [FieldError("member_count", f"人数不能超过 {max_members} 人")])
    if end < start:
        raise InvalidInput("预计结束日期不能早于今天", [FieldError("expected_end", "预计结束日期不能早于今天")])
    if (end - start).days > max_days:
        raise InvalidInput(f"临时工作群组使用时间不超过 {max_days} 天，{apply_normally}",
                           [FieldError("expected_end", f"使用时间不能超过 {max_days} 天")])
    with unit_of_work(engine=rt.db) as session:
        owner = person_by_username(session, username)
        now = clock.now()
        group = WorkGroup(unit_id=owner.unit_id, name=name, kind=kind, function=function,
                          member_scope=str(data.get("member_scope") or ""), member_count=count, owner_id=owner.id,
                          admins=str(data.get("admins") or ""), contact=str(data.get("contact") or owner.mobile or ""),
                          line=str(data.get("line") or "admin"), temporary=True, expected_end=end, status="filed", filed_at=now,
                          details={"owner_name": owner.name, "registered_on": start.isoformat(), "registered_without_approval": True})
        session.add(group)
        session.flush()
        session.add(Filing(group_id=group.id, kind=kind, filed_by_id=owner.id, filed_at=now,
                           note=f"临时工作群组登记（第六条，免审批），预计 {end.isoformat()} 结束"))
        _audit(session, owner, "temp_group_registered", {"group_id": group.id, "name": name, "expected_end": end.isoformat()})
        return group_view(group, owner)


def record_account_update(rt: Runtime, username: str, group_id: int, day: Any = None) -> dict[str, Any]:
    """An account's admins record that it was updated (art. 10: accounts idle two weeks are deregistered)."""
    return record_account_updates(rt, username, [{"group_id": group_id, "last_update": day}])["items"][0]


def record_account_updates(rt: Runtime, username: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Record last-update dates of several accounts at once (typed, or imported from the platform's statistics).

    Each item: ``group_id`` and ``last_update`` (date; default today). A date never moves backwards. All or nothing.
    """
    if not isinstance(items, list) or not items:
        raise InvalidInput("请至少提供一个公众号的更新日期")
    current = today(rt)
    with unit_of_work(engine=rt.db) as session:
        person = person_by_username(session, username)
        out = []
        for i, item in enumerate(items):
            try:
                group_id = int(item.get("group_id"))  # type: ignore[arg-type]
                day = parse_day(item.get("last_update")) or current
            except (TypeError, ValueError, AttributeError):
                raise InvalidInput(f"第 {i + 1} 项格式有误：需要 group_id 和 last_update（如 2026-11-20）") from None
            group = _group_for(session, person, group_id)
            if group.kind not in ACCOUNT_KINDS:
                raise InvalidInput(f"「{group.name}」不是公众号，无需登记更新日期")
            if day > current:
                raise InvalidInput(f"「{group.name}」的更新日期 {day.isoformat()} 晚于今天")
            if group.last_update is None or day > group.last_update:
                group.last_update = day
            _audit(session, person, "account_updated", {"group_id": group.id, "last_update": day.isoformat()})
            out.append(group_view(group, session.get(Person, group.owner_id) if group.owner_id else None))
        return {"items": out, "total": len(out)}


def record_roster(rt: Runtime, username: str, group_id: int, members: list[str]) -> dict[str, Any]:
    """Replace a group's real-name roster (art. 11) with the people named by ``members`` (usernames)."""
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise InvalidInput("members 应为用户名列表")
    wanted = sorted({m.strip() for m in members if m.strip()})
    with unit_of_work(engine=rt.db) as session:
        person = person_by_username(session, username)
        group = _group_for(session, person, group_id)
        if group.status in {"dissolved", "deregistered"}:
            raise InvalidInput(f"「{group.name}」已{GROUP_STATUSES[group.status]}，不能登记成员")
        found = dict(session.execute(select(Person.username, Person.id).where(Person.username.in_(wanted))).all()) if wanted else {}
        missing = [m for m in wanted if m not in found]
        if missing:
            raise InvalidInput("以下用户不存在：" + "、".join(missing), [FieldError("members", "、".join(missing))])
        session.execute(delete(Membership).where(Membership.group_id == group.id))
        session.add_all(Membership(group_id=group.id, person_id=pid) for pid in sorted(found.values()))
        group.member_count = max(group.member_count, len(found)) if group.kind in ACCOUNT_KINDS else len(found)
        _audit(session, person, "roster_recorded", {"group_id": group.id, "members": len(found)})
        return {"group_id": group.id, "members": wanted, "total": len(wanted)}


def roster(rt: Runtime, username: str, group_id: int) -> dict[str, Any]:
    with unit_of_work(write=False, engine=rt.db) as session:
        person = person_by_username(session, username)
        group = session.get(WorkGroup, group_id)
        if group is None:
            raise NotFound(f"工作群组 {group_id} 不存在")
        if not (may_manage(session, person, group) or is_overseer(person)):
            raise Forbidden("您无权查看该群组成员")
        rows = session.execute(select(Person.username, Person.name, Person.status).join(Membership, Membership.person_id == Person.id)
                               .where(Membership.group_id == group_id).order_by(Person.username)).all()
        return {"items": [{"username": u, "name": n, "status": s} for u, n, s in rows], "total": len(rows)}


def list_groups(rt: Runtime, username: str, unit_id: int | None = None, kind: str | None = None, status: str | None = None,
                limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """The register: overseers and the Propaganda Dept see every unit, others their own unit's groups."""
    if kind is not None and kind not in GROUP_KINDS:
        raise InvalidInput(f"kind 只能是 {'、'.join(GROUP_KINDS)}")
    if status is not None and status not in GROUP_STATUSES:
        raise InvalidInput(f"status 只能是 {'、'.join(GROUP_STATUSES)}")
    with unit_of_work(write=False, engine=rt.db) as session:
        person = person_by_username(session, username)
        sees_all = is_overseer(person) or "propaganda" in person.role_names
        q = select(WorkGroup)
        if not sees_all:
            q = q.where(WorkGroup.unit_id == person.unit_id)
        elif unit_id is not None:
            q = q.where(WorkGroup.unit_id == unit_id)
        if kind:
            q = q.where(WorkGroup.kind == kind)
        if status:
            q = q.where(WorkGroup.status == status)
        total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
        rows = session.scalars(q.order_by(WorkGroup.unit_id, WorkGroup.id).limit(max(1, min(limit, 500))).offset(offset)).all()
        owners = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_({g.owner_id for g in rows if g.owner_id})))}
        return {"items": [group_view(g, owners.get(g.owner_id)) for g in rows], "total": total}

