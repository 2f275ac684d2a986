"""The JSON API of interface.md. Routes are thin: parse, call one use case, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select

from ..db import unit_of_work
from ..errors import NotAuthenticated
from ..models import Person
from ..security import issue_token, verify_password
from ..services import deployments, instances, queries
from .deps import CurrentUser, RuntimeDep

router = APIRouter(prefix="/api")


class DataBody(BaseModel):
    data: dict[str, Any] = Field(default_factory=dict, description="表单数据")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


@router.post("/auth/token", response_model=TokenOut, tags=["auth"])
def login(rt: RuntimeDep, username: Annotated[str, Form()], password: Annotated[str, Form()]) -> TokenOut:
    """Exchange a username and password for a bearer token."""
    with unit_of_work(write=False, engine=rt.db) as session:
        person = session.scalar(select(Person).where(Person.username == username))
        if person is None or person.status == "left" or not verify_password(password, person.password_hash):
            raise NotAuthenticated("用户名或密码错误")
        return TokenOut(access_token=issue_token(rt.settings.secret_key, person.id))


@router.get("/processes", tags=["processes"])
def list_processes(rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """Deployed process definitions (newest version of each)."""
    return queries.list_processes(rt)


@router.post("/processes/{key}/instances", status_code=201, tags=["instances"])
def start_instance(rt: RuntimeDep, user: CurrentUser, key: str, body: DataBody) -> dict[str, Any]:
    """Start a process. ``{"data": {}}`` leaves the first form to fill; full data submits it."""
    instance_id = instances.start_process(rt, key, user, body.data)
    return queries.get_instance(rt, user, instance_id)


@router.get("/instances/{instance_id}", tags=["instances"])
def get_instance(rt: RuntimeDep, user: CurrentUser, instance_id: int) -> dict[str, Any]:
    return queries.get_instance(rt, user, instance_id)


@router.post("/instances/{instance_id}/retry", tags=["instances"])
def retry_instance(rt: RuntimeDep, user: CurrentUser, instance_id: int) -> dict[str, Any]:
    """Administrators: retry the failed step of an instance in error."""
    instances.retry_instance(rt, instance_id, user)
    return queries.get_instance(rt, user, instance_id)


@router.get("/tasks", tags=["tasks"])
def list_tasks(rt: RuntimeDep, user: CurrentUser, scope: str = "mine",
               limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    return queries.list_tasks(rt, user, scope, limit, offset)


@router.get("/tasks/{task_id}", tags=["tasks"])
def get_task(rt: RuntimeDep, user: CurrentUser, task_id: int) -> dict[str, Any]:
    return queries.get_task(rt, user, task_id)


@router.post("/tasks/{task_id}/complete", tags=["tasks"])
def complete_task(rt: RuntimeDep, user: CurrentUser, task_id: int, body: DataBody) -> dict[str, Any]:
    """Complete a task: 403 when it is not yours, 409 when no longer open, 422 when the form is invalid."""
    instance_id = instances.complete_task(rt, task_id, user, body.data)
    return queries.get_instance(rt, user, instance_id)


@router.post("/deployments", tags=["deployments"])
async def deploy(rt: RuntimeDep, user: CurrentUser, files: Annotated[list[UploadFile], File(description=".bpmn 文件")]) -> dict[str, Any]:
    """Validate and deploy; 422 with element-level errors, nothing deployed, when any file is invalid."""
    payload = [(f.filename or "upload.bpmn", await f.read()) for f in files]
    result = deployments.deploy(rt, payload, user)
    return {"items": [d.__dict__ for d in result], "total": len(result)}
