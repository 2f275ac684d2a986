"""Administrators' view of notification deliveries (the dashboard): what failed, what is retrying, a retry.

Use cases: each opens its own transaction and checks the caller holds the ``admin`` role.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..models import AuditEvent, Notification, NotificationDelivery, Person
from ..services.people import person_by_username
from ..services.runtime import Runtime

STATUSES = ("problems", "failed", "pending", "sending", "sent", "skipped", "all")


def _require_admin(session: Session, username: str) -> Person:
    actor = person_by_username(session, username)
    if "admin" not in actor.role_names:
        raise Forbidden("只有系统管理员可以查看和重发通知")
    return actor


def _filter(status: str) -> Any:
    if status == "problems":  # given up, or failed at least once and waiting for a retry
        return or_(NotificationDelivery.status == "failed",
                   and_(NotificationDelivery.status == "pending", NotificationDelivery.attempts > 0))
    if status == "all":
        return True
    return NotificationDelivery.status == status


def list_deliveries(rt: Runtime, username: str, status: str = "problems", limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Deliveries with their notification and recipient, newest first; ``status`` one of :data:`STATUSES`."""
    if status not in STATUSES:
        raise InvalidInput(f"status 应为 {', '.join(STATUSES)} 之一")
    limit = max(1, min(limit, 200))
    with unit_of_work(write=False, engine=rt.db) as session:
        _require_admin(session, username)
        where = _filter(status)
        total = session.scalar(select(func.count()).select_from(NotificationDelivery).where(where)) or 0
        rows = session.execute(
            select(NotificationDelivery, Notification.kind, Notification.title, Notification.instance_id, Person.name)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .join(Person, Person.id == Notification.person_id)
            .where(where).order_by(NotificationDelivery.id.desc()).limit(limit).offset(offset)).all()
        items = [{"id": d.id, "channel": d.channel, "recipient": d.recipient, "status": d.status, "attempts": d.attempts,
                  "last_error": d.last_error, "created_at": d.created_at, "next_attempt_at": d.next_attempt_at,
                  "sent_at": d.sent_at, "notification": {"id": d.notification_id, "kind": kind, "title": title,
                                                         "instance_id": instance_id, "person": person}}
                 for d, kind, title, instance_id, person in rows]
        return {"items": items, "total": total}


def delivery_summary(rt: Runtime, username: str) -> dict[str, dict[str, int]]:
    """Counts per channel and status, e.g. ``{"email": {"sent": 10, "failed": 1}}``."""
    with unit_of_work(write=False, engine=rt.db) as session:
        _require_admin(session, username)
        summary: dict[str, dict[str, int]] = {}
        for channel, status, count in session.execute(
                select(NotificationDelivery.channel, NotificationDelivery.status, func.count())
                .group_by(NotificationDelivery.channel, NotificationDelivery.status)):
            summary.setdefault(channel, {})[status] = count
        return summary


def retry_delivery(rt: Runtime, username: str, delivery_id: int) -> dict[str, Any]:
    """Send a failed (or waiting) delivery again at the next pass; audited."""
    with unit_of_work(engine=rt.db) as session:
        actor = _require_admin(session, username)
        row = session.get(NotificationDelivery, delivery_id)
        if row is None:
            raise NotFound(f"通知发送记录 {delivery_id} 不存在")
        if row.status not in {"failed", "pending"}:
            raise Conflict("该通知已发送或无需发送")
        now = clock.now()
        row.status, row.next_attempt_at = "pending", now
        if row.attempts >= rt.settings.notify_max_attempts:
            row.attempts = rt.settings.notify_max_attempts - 1  # one more attempt
        session.add(AuditEvent(instance_id=None, at=now, who_id=actor.id, who=actor.username, action="notify_retry",
                               details={"delivery_id": row.id, "channel": row.channel}))
        return {"id": row.id, "status": row.status, "next_attempt_at": row.next_attempt_at}
