"""Reactions to an org import (``groupgov org import``): transfers and departures start the art. 10 / 11 processes.

For every person the import moved to another unit, marked 调离, or marked 离职:

* each group or account they own (filed, or being dissolved) gets one ``owner_change`` (art. 10), started for the
  group's unit on the person's behalf with ``origin = org_import``, so the unit head names the new owner;
* each other group whose real-name roster lists them gets one ``member_exit`` (art. 11) for its owner.

Contract: idempotent. A group with an owner change still open (running or in error) gets no second one, and a
(group, person) pair with an open member exit gets no second one — so importing the same file twice, or two
imports naming the same person, start each process exactly once. Each start is its own transaction (the group
row is locked on PostgreSQL), and a failing start is logged and reported without stopping the others.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..db import unit_of_work
from ..models import Membership, Person, WorkGroup
from .org_import import ImportReport
from .periodic import OPEN_STATUSES, _lock_group, instances_for_group
from .runtime import Runtime
from .system_starts import start_in_session

log = logging.getLogger(__name__)
ACTIVE = ("filed", "dissolving")


def after_import(rt: Runtime, report: ImportReport) -> list[str]:
    """Start the owner changes and member exits the import's transfers and departures call for; one line each."""
    moves = [(pid, "transfer") for pid in report.transferred] + [(pid, "departure") for pid in report.departed]
    lines: list[str] = []
    for person_id, reason in moves:
        with unit_of_work(write=False, engine=rt.db) as session:
            owned = list(session.scalars(select(WorkGroup.id).where(WorkGroup.owner_id == person_id, WorkGroup.status.in_(ACTIVE))
                                         .order_by(WorkGroup.id)).all())
            member_of = list(session.scalars(select(Membership.group_id).join(WorkGroup, WorkGroup.id == Membership.group_id).where(
                Membership.person_id == person_id, WorkGroup.status.in_(ACTIVE), WorkGroup.owner_id.is_distinct_from(person_id))
                .order_by(Membership.group_id)).all())
        for group_id in owned:
            lines += _guarded(rt, _owner_change, group_id, person_id, reason)
        for group_id in member_of:
            lines += _guarded(rt, _member_exit, group_id, person_id, reason)
    return lines


def _guarded(rt: Runtime, fn, group_id: int, person_id: int, reason: str) -> list[str]:  # type: ignore[no-untyped-def]
    try:
        line = fn(rt, group_id, person_id, reason)
    except Exception as exc:  # one broken group never stops the others
        log.exception("org import: %s for group %s failed", fn.__name__, group_id)
        return [f"群组 {group_id}：发起流程失败（{exc}）"]
    return [line] if line else []


def _owner_change(rt: Runtime, group_id: int, person_id: int, reason: str) -> str | None:
    with unit_of_work(engine=rt.db) as session:
        group = _lock_group(session, rt, group_id)
        person = session.get(Person, person_id)
        if group is None or person is None or group.owner_id != person_id or instances_for_group(session, "owner_change", group_id):
            return None
        data = {"group_id": group.id, "group_name": group.name, "reason": reason,
                "note": f"人员库导入：群主{person.name}{'离职' if reason == 'departure' else '调动'}"}
        inst = start_in_session(session, rt, "owner_change", data, group.unit_id, person.id, origin="org_import",
                                title=f"群主变更：{group.name}")
        return f"「{group.name}」的群主{person.name}{'离职' if reason == 'departure' else '调动'}：已发起群主变更 #{inst.id}"


def _member_exit(rt: Runtime, group_id: int, person_id: int, reason: str) -> str | None:
    with unit_of_work(engine=rt.db) as session:
        group = _lock_group(session, rt, group_id)
        person = session.get(Person, person_id)
        if group is None or person is None:
            return None
        open_ = [i for i in instances_for_group(session, "member_exit", group_id, OPEN_STATUSES)
                 if (i.data or {}).get("member_username") == person.username]
        if open_:
            return None
        data = {"group_id": group.id, "group_name": group.name, "member_username": person.username, "reason": reason}
        inst = start_in_session(session, rt, "member_exit", data, group.unit_id, group.owner_id or person.id, origin="org_import",
                                title=f"人员移出：{person.name} · {group.name}")
        return f"{person.name}已{'离职' if reason == 'departure' else '调离'}：已请「{group.name}」的群主将其移出 #{inst.id}"
