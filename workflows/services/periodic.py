"""The periodic starts the scheduler runs (Prefect flows call these; ``groupgov periodic NAME`` runs one once).

Contract: every function is idempotent — running it twice in a row (or from two schedulers at once) starts
nothing the second time — and each start is its own transaction, so one broken group never stops the sweep.
Each returns a list of Chinese lines saying what it did (empty when there was nothing to do).

* :func:`start_ended_temp_groups` — art. 6: a temporary group whose expected end has come starts
  ``temp_group_expiry`` (the group goes ``dissolving``, so it is not picked again).
* :func:`start_idle_accounts` — art. 10: an official account not updated for ``account_idle_days`` days starts
  ``account_deregistration``, once per idle period (an instance started on or after its last update counts).
* :func:`campaign_deadlines` — art. 7: reminders before a cleanup campaign's deadline, escalation after it, and
  closing campaigns whose units have all finished (see ``campaign.py``).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..db import is_sqlite, unit_of_work
from ..models import ProcessInstance, RoleAssignment, WorkGroup
from .registry_ops import ACCOUNT_KINDS, local_date
from .runtime import Runtime
from .system_starts import start_in_session

log = logging.getLogger(__name__)
OPEN_STATUSES = ("running", "error")


def _today(rt: Runtime, today: date | None) -> date:
    return today or local_date(clock.now(), rt.settings.timezone)


def instances_for_group(session: Session, key: str, group_id: int, statuses: tuple[str, ...] | None = OPEN_STATUSES) -> list[ProcessInstance]:
    """Instances of ``key`` whose data names ``group_id`` (running or in error by default)."""
    q = select(ProcessInstance).where(ProcessInstance.process_key == key)
    if statuses:
        q = q.where(ProcessInstance.status.in_(statuses))
    return [i for i in session.scalars(q).all() if (i.data or {}).get("group_id") == group_id]


def _lock_group(session: Session, rt: Runtime, group_id: int) -> WorkGroup | None:
    q = select(WorkGroup).where(WorkGroup.id == group_id)
    if not is_sqlite(rt.db):
        q = q.with_for_update()  # two sweeps at once: the second waits here, then sees the first one's instance
    return session.scalar(q)


def _starter(session: Session, group: WorkGroup) -> int | None:
    """Who a system-started instance of ``group`` runs for: its owner, else the head of its unit."""
    if group.owner_id:
        return group.owner_id
    return session.scalar(select(RoleAssignment.person_id).where(RoleAssignment.role == "unit_head",
                                                                 RoleAssignment.scope == f"unit:{group.unit_id}").limit(1))


def start_ended_temp_groups(rt: Runtime, today: date | None = None) -> list[str]:
    """Start ``temp_group_expiry`` for every filed temporary group whose expected end is today or past."""
    day = _today(rt, today)
    with unit_of_work(write=False, engine=rt.db) as session:
        ids = list(session.scalars(select(WorkGroup.id).where(WorkGroup.temporary.is_(True), WorkGroup.status == "filed",
                                                              WorkGroup.expected_end <= day).order_by(WorkGroup.id)).all())
    lines = []
    for group_id in ids:
        try:
            with unit_of_work(engine=rt.db) as session:
                group = _lock_group(session, rt, group_id)
                if group is None or group.status != "filed" or instances_for_group(session, "temp_group_expiry", group_id):
                    continue
                inst = start_in_session(session, rt, "temp_group_expiry", {"group_id": group.id, "group_name": group.name},
                                        group.unit_id, _starter(session, group), origin="periodic",
                                        title=f"临时工作群组到期解散：{group.name}")
                lines.append(f"临时工作群组「{group.name}」已于 {group.expected_end} 到期：已发起解散流程 #{inst.id}")
        except Exception:  # one broken group never stops the sweep
            log.exception("temp group %s: could not start temp_group_expiry", group_id)
    return lines


def _idle_since(group: WorkGroup, tz: str) -> date | None:
    if group.last_update:
        return group.last_update
    return local_date(group.filed_at, tz) if group.filed_at else None


def start_idle_accounts(rt: Runtime, today: date | None = None) -> list[str]:
    """Start ``account_deregistration`` for filed accounts idle ``account_idle_days`` days or more, once per idle period."""
    day = _today(rt, today)
    limit = day - timedelta(days=rt.settings.account_idle_days)
    tz = rt.settings.timezone
    with unit_of_work(write=False, engine=rt.db) as session:
        rows = session.scalars(select(WorkGroup).where(WorkGroup.kind.in_(ACCOUNT_KINDS), WorkGroup.status == "filed")
                               .order_by(WorkGroup.id)).all()
        ids = [g.id for g in rows if (since := _idle_since(g, tz)) is not None and since <= limit]
    lines = []
    for group_id in ids:
        try:
            with unit_of_work(engine=rt.db) as session:
                group = _lock_group(session, rt, group_id)
                since = _idle_since(group, tz) if group is not None else None
                if group is None or group.status != "filed" or since is None or since > limit:
                    continue
                earlier = instances_for_group(session, "account_deregistration", group_id, statuses=None)
                if any(i.status in OPEN_STATUSES or local_date(i.started_at, tz) >= since for i in earlier):
                    continue  # already handled for this idle period (accepted explanations included)
                inst = start_in_session(session, rt, "account_deregistration", {"group_id": group.id, "group_name": group.name},
                                        group.unit_id, _starter(session, group), origin="periodic",
                                        title=f"公众号连续两周未更新注销：{group.name}")
                lines.append(f"公众号「{group.name}」自 {since} 起未更新：已发起注销流程 #{inst.id}")
        except Exception:
            log.exception("account %s: could not start account_deregistration", group_id)
    return lines


def campaign_deadlines(rt: Runtime, now: datetime | None = None) -> list[str]:
    """Reminders before, escalations after each running cleanup campaign's deadline; close finished campaigns."""
    from .campaign import sweep_deadlines

    return sweep_deadlines(rt, now or clock.now())


PERIODIC = {
    "temp-groups": start_ended_temp_groups,
    "idle-accounts": start_idle_accounts,
    "campaign-deadlines": campaign_deadlines,
}


def run_all(rt: Runtime) -> list[str]:
    """Every periodic start once (what ``groupgov periodic all`` runs)."""
    lines: list[str] = []
    for fn in PERIODIC.values():
        lines += fn(rt)
    return lines
