"""The engine's own records: definitions, instances, human tasks, timers, audit events, incidents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ProcessDefinition(Base):
    """One deployed version of one process. A deploy of changed content makes the next version."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"), UniqueConstraint("key", "content_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(80))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(default=True)


class ProcessInstance(Base):
    """A running or finished process. ``state`` is the serialized workflow without its spec (spec by reference).

    ``revision`` is bumped on every save; a save that finds another revision fails (optimistic lock).
    """

    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_instance_status_process", "status", "process_key"),
        # the administrators' dashboard: newest first, by status, by process and version (migration 0004)
        Index("ix_instance_started", "started_at"),
        Index("ix_instance_status_started", "status", "started_at"),
        Index("ix_instance_process_version", "process_key", "version", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="running")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    title: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}


class HumanTask(Base):
    """Projection of a READY user task, written in the same transaction as the instance save.

    Who may act: ``assignee_id`` when set, otherwise holders of ``candidate_role`` within ``candidate_scope``.
    ``state``: open, completed, cancelled.
    """

    __tablename__ = "human_task"
    __table_args__ = (
        # a person's candidate tasks: one lookup per role held, unassigned only (queries.open_task_ids; migration 0005)
        Index("ix_task_open_candidates", "state", "candidate_role", "candidate_scope", "assignee_id"),
        Index("ix_task_open_assignee", "state", "assignee_id"),
        # the administrators' dashboard: overdue tasks, open tasks per unit (covering) and per element (migration 0004)
        Index("ix_task_state_due", "state", "due_at"),
        Index("ix_task_sla", "state", "unit_id", "due_at", "reminders_sent", "escalated"),
        Index("ix_task_element", "state", "process_key", "spec_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    spec_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    process_key: Mapped[str] = mapped_column(String(64))
    lane: Mapped[str] = mapped_column(String(100), default="")
    candidate_role: Mapped[str] = mapped_column(String(40), default="")
    candidate_scope: Mapped[str] = mapped_column(String(40), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), default=None, index=True)
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None, index=True)
    decision: Mapped[str | None] = mapped_column(String(20), default=None)
    opinion: Mapped[str | None] = mapped_column(Text, default=None)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[bool] = mapped_column(default=False)
    # ``task``: a READY user task of the engine; ``addsign``: an extra sign-off (加签) by one named person that
    # must be done before ``parent_id`` can be completed. The projection only syncs ``task`` rows.
    kind: Mapped[str] = mapped_column(String(20), default="task", server_default="task")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), default=None, index=True)
    last_urged_at: Mapped[datetime | None] = mapped_column(default=None)


class TimerDue(Base):
    """Earliest waiting timer of an instance; upserted in the same save. The sweep reads only this table."""

    __tablename__ = "timer_due"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(index=True)


class AuditEvent(Base):
    """Who did what, when, with which decision and opinion (art. 3: every decision traceable)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    who_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), default=None)
    who: Mapped[str] = mapped_column(String(64), default="system")
    action: Mapped[str] = mapped_column(String(40))
    task: Mapped[str] = mapped_column(String(200), default="")
    decision: Mapped[str | None] = mapped_column(String(20), default=None)
    opinion: Mapped[str | None] = mapped_column(Text, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Incident(Base):
    """A failure inside an instance (service task, timer) that an administrator can see and retry."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    element_id: Mapped[str] = mapped_column(String(100), default="")
    error: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class Notification(Base):
    """An in-app notification (new task, reminder, escalation, outcome); channels deliver it further."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_person_unread", "person_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), default=None)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="SET NULL"), default=None)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class CalendarDay(Base):
    """Administrator override of the working-day calendar (years chinese-calendar does not know)."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100), default="")


class Document(Base):
    """A file linked to the instance that produced it: a form of the measures (att1-att3), a report or an attachment.

    Forms are recorded by the approving step with ``content`` NULL: ``context`` (the filled form, JSON with
    tagged dates) and ``seals`` (the seal images that apply, as ``DocumentSeal`` hashes, resolved then) say
    everything the rendering needs. They are rendered after that step commits, by the scheduler or on first
    read, through :mod:`workflows.services.document_files` — the only reader of ``content``. A failed
    rendering leaves ``content`` NULL and says why in ``render_error``; it is retried.
    """

    __tablename__ = "document"
    __table_args__ = (
        # forms still to render, fresh ones first (migration 0007); stays small however many documents exist
        Index("ix_document_pending", "render_attempts", "id",
              sqlite_where=text("content IS NULL"), postgresql_where=text("content IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    media_type: Mapped[str] = mapped_column(String(100), default="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    content: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime]
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    seals: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    rendered_at: Mapped[datetime | None] = mapped_column(default=None)
    render_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    render_error: Mapped[str | None] = mapped_column(Text, default=None)
    render_tried_at: Mapped[datetime | None] = mapped_column(default=None)


class DocumentSeal(Base):
    """A seal image as it was when a form was recorded, by content hash (SHA-256, hex). Written once, never
    changed: a seal replaced or removed later does not change the forms recorded before."""

    __tablename__ = "document_seal"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    image: Mapped[bytes] = mapped_column(LargeBinary)
