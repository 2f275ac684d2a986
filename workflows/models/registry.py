"""The register of work groups and official accounts (art. 4-11, attachments 1-3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

GROUP_KINDS = {
    "wechat_group": "微信工作群",
    "qq_group": "QQ工作群",
    "wechat_official_account": "微信公众号",
    "qq_official_account": "QQ公众号",
    "gov_app": "政务APP",
}
GROUP_STATUSES = {
    "applying": "申请中",
    "filed": "已备案",
    "dissolving": "待解散",
    "dissolved": "已解散",
    "deregistered": "已注销",
}


class WorkGroup(Base):
    """One channel: a work group, an official account or a government app."""

    __tablename__ = "work_group"
    __table_args__ = (Index("ix_group_unit_kind_status", "unit_id", "kind", "status"),)  # registry counts (migration 0004)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    function: Mapped[str] = mapped_column(Text, default="")
    member_scope: Mapped[str] = mapped_column(Text, default="")
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True, default=None)
    admins: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(50), default="")
    posting_rules: Mapped[str] = mapped_column(Text, default="")
    retention_basis: Mapped[str] = mapped_column(Text, default="")
    line: Mapped[str] = mapped_column(String(20), default="admin")
    is_student: Mapped[bool] = mapped_column(default=False)
    temporary: Mapped[bool] = mapped_column(default=False)
    expected_end: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="applying")
    filed_at: Mapped[datetime | None] = mapped_column(default=None)
    dissolved_at: Mapped[datetime | None] = mapped_column(default=None)
    last_update: Mapped[date | None] = mapped_column(default=None)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), default=None)


class Filing(Base):
    """备案: the record that a group or account was approved or filed, by whom and when."""

    __tablename__ = "filing"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    filed_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class Membership(Base):
    """A real-name member of a group (art. 11)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("group_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
