"""JSON routes of the approval actions (签收, 转办, 加签, 抄送, 催办, 撤回), drafts, attachments, notifications.

Thin like routes.py: parse, call one use case of ``services.actions`` / ``services.views``, shape the answer.
Browser sessions calling these must send the ``X-CSRF-Token`` header (see ``workflows.web.csrf``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from ..services import actions, queries, views
from .deps import CurrentUser, RuntimeDep

router = APIRouter(prefix="/api", tags=["actions"])


class ToOne(BaseModel):
    to: str = Field(description="接收人用户名")
    note: str = Field("", max_length=500, description="说明（可选）")


class ToMany(BaseModel):
    to: list[str] = Field(description="抄送对象用户名列表")
    note: str = Field("", max_length=500, description="说明（可选）")


class Reason(BaseModel):
    reason: str = Field("", max_length=500, description="撤回原因（可选）")


class DraftBody(BaseModel):
    data: dict[str, Any] = Field(default_factory=dict, description="表单中已填写的内容")


class ReadBody(BaseModel):
    instance_id: int | None = Field(None, description="只标记该流程实例的通知；不填则全部标为已读")


@router.post("/tasks/{task_id}/claim")
def claim(rt: RuntimeDep, user: CurrentUser, task_id: int) -> dict[str, Any]:
    """签收 an unassigned group task: 403 not a candidate, 409 already taken or no longer open."""
    return queries.get_instance(rt, user, actions.claim(rt, task_id, user))


@router.post("/tasks/{task_id}/transfer")
def transfer(rt: RuntimeDep, user: CurrentUser, task_id: int, body: ToOne) -> dict[str, Any]:
    """转办 to another person; due time and timers are unchanged."""
    instance_id = actions.transfer(rt, task_id, user, body.to, body.note)
    return {"instance_id": instance_id, "task_id": task_id, "assignee": body.to.strip()}


@router.post("/tasks/{task_id}/add-sign", status_code=201)
def add_sign(rt: RuntimeDep, user: CurrentUser, task_id: int, body: ToOne) -> dict[str, Any]:
    """加签: the task cannot be completed until ``to`` has signed (their task of kind ``addsign``)."""
    child_id = actions.add_sign(rt, task_id, user, body.to, body.note)
    return {"addsign_task_id": child_id, "task": queries.get_task(rt, user, task_id)}


@router.post("/tasks/{task_id}/urge")
def urge(rt: RuntimeDep, user: CurrentUser, task_id: int) -> dict[str, Any]:
    """催办: notify the task's people; 429 with Retry-After when urged within the last ``urge_interval_seconds``,
    409 on one's own task."""
    return {"notified": actions.urge(rt, task_id, user)}


@router.post("/tasks/{task_id}/copy")
def copy_task(rt: RuntimeDep, user: CurrentUser, task_id: int, body: ToMany) -> dict[str, Any]:
    """抄送 the task's instance to people (they may then read it)."""
    instance_id = queries.get_task(rt, user, task_id)["instance_id"]
    return {"copied": actions.copy(rt, instance_id, user, body.to, body.note, task_id)}


@router.post("/instances/{instance_id}/copy")
def copy_instance(rt: RuntimeDep, user: CurrentUser, instance_id: int, body: ToMany) -> dict[str, Any]:
    return {"copied": actions.copy(rt, instance_id, user, body.to, body.note)}


@router.post("/instances/{instance_id}/withdraw")
def withdraw(rt: RuntimeDep, user: CurrentUser, instance_id: int, body: Reason | None = None) -> dict[str, Any]:
    """撤回 by the applicant before anyone else acted: the instance ends ``terminated``."""
    actions.withdraw(rt, instance_id, user, body.reason if body else "")
    return queries.get_instance(rt, user, instance_id)


@router.get("/instances/{instance_id}/diagram")
def diagram(rt: RuntimeDep, user: CurrentUser, instance_id: int) -> dict[str, Any]:
    """The BPMN XML of the instance's version and its ``completed`` / ``current`` element ids."""
    return views.instance_diagram(rt, user, instance_id)


@router.post("/instances/{instance_id}/attachments", status_code=201)
async def attach(rt: RuntimeDep, user: CurrentUser, instance_id: int,
                 file: Annotated[UploadFile, File(description="附件")]) -> dict[str, Any]:
    content = await file.read(rt.settings.attachment_max_bytes + 1)
    doc_id = actions.add_attachment(rt, instance_id, user, file.filename or "", content, file.content_type or "")
    return {"id": doc_id, "name": file.filename, "kind": "attachment"}


@router.get("/tasks/{task_id}/draft")
def get_draft(rt: RuntimeDep, user: CurrentUser, task_id: int) -> dict[str, Any]:
    return {"data": actions.load_draft(rt, task_id, user)}


@router.put("/tasks/{task_id}/draft")
def put_draft(rt: RuntimeDep, user: CurrentUser, task_id: int, body: DraftBody) -> dict[str, Any]:
    actions.save_draft(rt, task_id, user, body.data)
    return {"data": actions.load_draft(rt, task_id, user)}


@router.get("/notifications")
def notifications(rt: RuntimeDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    return views.list_notifications(rt, user, limit, offset)


@router.post("/notifications/read")
def read_notifications(rt: RuntimeDep, user: CurrentUser, body: ReadBody | None = None) -> dict[str, Any]:
    views.mark_read(rt, user, body.instance_id if body else None)
    return views.list_notifications(rt, user, 1, 0) | {"items": []}
