"""What must leave the database for the outside world: timer wake-ups for Prefect, notification deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class TimerWakeup(Base):
    """A due time (whole second, rounded up) that needs a wake-up flow run in Prefect.

    Written by the projection in the same transaction that arms a timer; the dispatcher creates the Prefect
    run (idempotent by due time) and deletes the row. If Prefect is down the row waits; the sweep fires anyway.
    """

    __tablename__ = "timer_wakeup"

    due_at: Mapped[datetime] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]


class NotificationDelivery(Base):
    """One notification sent over one channel (``email``, ``webhook``).

    ``status``: pending (waiting for its next attempt at ``next_attempt_at``), sending (claimed by a delivery
    pass at ``claimed_at``), sent, failed (gave up after the last attempt; an administrator may retry).
    """

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_delivery_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
