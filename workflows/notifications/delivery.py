"""The delivery pass: hand every new in-app notification to the configured channels, retry failures.

Contract (what the scheduler's flows call, any number of times, from any number of processes):

1. *discover*: each notification younger than a day that has no delivery row yet gets one row per configured
   channel (``skipped`` with the reason when the person cannot be reached that way, e.g. no e-mail address).
   Rows are inserted with ON CONFLICT DO NOTHING on (notification, channel): two passes never double a row.
2. *claim*: ``pending`` rows whose ``next_attempt_at`` has come are switched to ``sending`` by one conditional
   UPDATE … RETURNING, so of two passes exactly one gets each row. A claim older than ``STALE_CLAIM`` (the
   process died while sending) goes back to ``pending``: delivery is at least once.
3. *send* outside any transaction, then record the outcome: ``sent``; or ``attempts`` + 1, ``last_error`` and
   the next attempt after ``notify_retry_seconds`` × 2^(attempts-1); after ``notify_max_attempts`` the row is
   ``failed`` and stays visible to administrators (:mod:`.admin`), never dropped silently.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..models import Notification, NotificationDelivery, Person, ProcessInstance
from ..services.runtime import Runtime
from ..settings import Settings
from .channels import Message, Recipient, SendError, address_of, configured_channels, send
from .texts import NoticeView, render

log = logging.getLogger(__name__)

MAX_AGE = timedelta(days=1)          # older notifications are not delivered any more (e.g. history before set-up)
SETTLE = timedelta(minutes=10)       # a transaction never stays open this long: ids below the floor are settled
STALE_CLAIM = timedelta(minutes=10)  # a claim this old belongs to a pass that died


@dataclass
class DeliveryReport:
    discovered: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"new {self.discovered}, sent {self.sent}, retrying {self.retrying}, failed {self.failed}"


def _insert_ignore(session: Session, rows: list[dict]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(NotificationDelivery).values(rows).on_conflict_do_nothing(index_elements=["notification_id", "channel"])
    session.execute(stmt)


def discover(rt: Runtime, now: datetime, limit: int = 500) -> int:
    """Create delivery rows for new notifications; returns how many rows were added (skipped ones included)."""
    channels = configured_channels(rt.settings)
    if not channels:
        return 0
    with unit_of_work(engine=rt.db) as session:
        floor = session.scalar(select(func.max(NotificationDelivery.notification_id))
                               .where(NotificationDelivery.created_at < now - SETTLE)) or 0
        has_row = select(NotificationDelivery.id).where(NotificationDelivery.notification_id == Notification.id).exists()
        found = session.execute(
            select(Notification.id, Person.name, Person.email, Person.mobile, Person.status)
            .join(Person, Person.id == Notification.person_id)
            .where(Notification.id > floor, Notification.created_at >= now - MAX_AGE, ~has_row)
            .order_by(Notification.id).limit(limit)).all()
        rows = []
        for notification_id, name, email, mobile, status in found:
            to = Recipient(name, email or "", mobile or "")
            for channel in channels:
                address = address_of(channel, to)
                skip = "没有登记电子邮箱" if address is None else ("人员已离职" if status == "left" else None)
                rows.append({"notification_id": notification_id, "channel": channel, "recipient": address or "",
                             "status": "skipped" if skip else "pending", "attempts": 0, "last_error": skip,
                             "created_at": now, "next_attempt_at": now})
        _insert_ignore(session, rows)
        return len(rows)


def claim(rt: Runtime, now: datetime, limit: int = 200) -> list[int]:
    """Switch due ``pending`` rows to ``sending``; returns the ids this pass now owns."""
    with unit_of_work(engine=rt.db) as session:
        session.execute(update(NotificationDelivery)
                        .where(NotificationDelivery.status == "sending", NotificationDelivery.claimed_at < now - STALE_CLAIM)
                        .values(status="pending"))
        due = select(NotificationDelivery.id).where(NotificationDelivery.status == "pending",
                                                     NotificationDelivery.next_attempt_at <= now) \
            .order_by(NotificationDelivery.next_attempt_at).limit(limit)
        ids = list(session.scalars(due).all())
        if not ids:
            return []
        claimed = session.scalars(update(NotificationDelivery)
                                  .where(NotificationDelivery.id.in_(ids), NotificationDelivery.status == "pending")
                                  .values(status="sending", claimed_at=now)
                                  .returning(NotificationDelivery.id)).all()
        return sorted(claimed)


def _message(rt: Runtime, delivery_id: int) -> tuple[str, Message] | None:
    with unit_of_work(write=False, engine=rt.db) as session:
        row = session.get(NotificationDelivery, delivery_id)
        if row is None:
            return None
        note = session.get(Notification, row.notification_id)
        person = session.get(Person, note.person_id) if note else None
        if note is None or person is None:
            return None
        inst = session.get(ProcessInstance, note.instance_id) if note.instance_id else None
        view = NoticeView(kind=note.kind, title=note.title, body=note.body or "", person_name=person.name,
                          created_at=note.created_at, task_id=note.task_id, instance_id=note.instance_id,
                          instance_title=inst.title if inst else "", process_key=inst.process_key if inst else "")
        subject, text = render(rt.settings, row.channel, view)
        return row.channel, Message(subject, text, Recipient(person.name, person.email or "", person.mobile or ""))


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: the base doubled per failed attempt, at most a day."""
    return timedelta(seconds=min(settings.notify_retry_seconds * 2 ** max(attempts - 1, 0), 86400))


def _record(rt: Runtime, delivery_id: int, error: str | None) -> str:
    now = clock.now()
    with unit_of_work(engine=rt.db) as session:
        row = session.get(NotificationDelivery, delivery_id)
        if row is None:
            return "gone"
        row.attempts += 1
        row.claimed_at = None
        if error is None:
            row.status, row.sent_at, row.last_error = "sent", now, None
        elif row.attempts >= rt.settings.notify_max_attempts:
            row.status, row.last_error = "failed", error[:2000]
        else:
            row.status, row.last_error = "pending", error[:2000]
            row.next_attempt_at = now + backoff(rt.settings, row.attempts)
        return row.status


def deliver_pending(rt: Runtime, now: datetime | None = None, limit: int = 200) -> DeliveryReport:
    """One delivery pass (see the module contract). Safe to run concurrently and repeatedly."""
    now = now or clock.now()
    report = DeliveryReport(discovered=discover(rt, now))
    for delivery_id in claim(rt, now, limit):
        try:
            found = _message(rt, delivery_id)
            if found is None:
                _record(rt, delivery_id, "通知或接收人已不存在")
                continue
            channel, message = found
            send(rt.settings, channel, message)
            error = None
        except SendError as exc:
            error = str(exc)
        except Exception as exc:  # a template or data problem: visible like a send failure
            log.exception("notification delivery %s failed", delivery_id)
            error = f"{type(exc).__name__}: {exc}"
        status = _record(rt, delivery_id, error)
        if status == "sent":
            report.sent += 1
        elif status == "failed":
            report.failed += 1
            log.warning("notification delivery %s failed for good: %s", delivery_id, error)
        elif status == "pending":
            report.retrying += 1
            log.info("notification delivery %s will be retried: %s", delivery_id, error)
    return report
