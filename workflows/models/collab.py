"""What the staff web app adds around tasks: saved drafts of a form, and copies (抄送) of an instance.

Add-sign (加签) is not a table of its own: it is a ``HumanTask`` row with ``kind="addsign"`` whose
``parent_id`` is the task it blocks. Attachments are ``Document`` rows with ``kind="attachment"``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Draft(Base):
    """The half-filled form of one person on one open task (whitelisted field names, raw values)."""

    __tablename__ = "draft"
    __table_args__ = (UniqueConstraint("task_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    saved_at: Mapped[datetime]


class CopyRecord(Base):
    """抄送: ``person_id`` was sent a copy of the instance by ``by_id``; the copy lets them read it."""

    __tablename__ = "copy_record"
    __table_args__ = (UniqueConstraint("instance_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="SET NULL"), default=None)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None] = mapped_column(default=None)
