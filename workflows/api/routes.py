"""The JSON API of interface.md. Routes are thin: parse, call one use case, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from .. import jsoncodec
from ..db import unit_of_work
from ..errors import NotAuthenticated
from ..models import Person
from ..security import issue_token, verify_password
from ..services import deployments, instances, queries
from .deps import CallerId, CurrentUser, RuntimeDep, active_username

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


# The JSON routes below authenticate inside their own worker thread (deps.active_username: the one query that
# makes a token valid) and send their answer as it is (_answer): one thread hop per request instead of three.
class _JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return jsoncodec.dumps(content)


def _answer(content: dict[str, Any], status_code: int = 200) -> JSONResponse:
    """An answer already made of JSON types, sent as it is (encoded with orjson): FastAPI would otherwise
    validate it against the response model in a second worker-thread hop, which costs more than encoding it."""
    return _JSON(content, status_code=status_code)


@router.get("/processes", response_model=dict[str, Any], tags=["processes"])
def list_processes(rt: RuntimeDep, caller: CallerId) -> JSONResponse:
    """Deployed process definitions (newest version of each)."""
    active_username(rt, caller)
    return _answer(queries.list_processes(rt))


@router.post("/processes/{key}/instances", status_code=201, response_model=dict[str, Any], tags=["instances"])
def start_instance(rt: RuntimeDep, caller: CallerId, key: str, body: DataBody) -> JSONResponse:
    """Start a process. ``{"data": {}}`` leaves the first form to fill; full data submits it."""
    # the account check happens inside the use case (caller: a person id); answered from the starting
    # transaction; the starter is involved: no visibility check
    return _answer(instances.start_answered(rt, key, caller, body.data, queries.acted_view), 201)


@router.get("/instances/{instance_id}", response_model=dict[str, Any], tags=["instances"])
def get_instance(rt: RuntimeDep, caller: CallerId, instance_id: int) -> JSONResponse:
    return _answer(queries.get_instance(rt, active_username(rt, caller), instance_id))


@router.post("/instances/{instance_id}/retry", response_model=dict[str, Any], tags=["instances"])
def retry_instance(rt: RuntimeDep, caller: CallerId, instance_id: int) -> JSONResponse:
    """Administrators: retry the failed step of an instance in error."""
    user = active_username(rt, caller)
    instances.retry_instance(rt, instance_id, user)
    return _answer(queries.get_instance(rt, user, instance_id))


@router.get("/tasks", response_model=dict[str, Any], tags=["tasks"])
def list_tasks(rt: RuntimeDep, caller: CallerId, scope: str = "mine",
               limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0) -> JSONResponse:
    return _answer(queries.list_tasks(rt, active_username(rt, caller), scope, limit, offset))


@router.get("/tasks/{task_id}", response_model=dict[str, Any], tags=["tasks"])
def get_task(rt: RuntimeDep, caller: CallerId, task_id: int) -> JSONResponse:
    return _answer(queries.get_task(rt, active_username(rt, caller), task_id))


@router.post("/tasks/{task_id}/complete", response_model=dict[str, Any], tags=["tasks"])
def complete_task(rt: RuntimeDep, caller: CallerId, task_id: int, body: DataBody) -> JSONResponse:
    """Complete a task: 403 when it is not yours, 409 when no longer open, 422 when the form is invalid."""
    # the account check happens inside the use case (caller: a person id); answered from the completing
    # transaction; their audit event makes them involved
    return _answer(instances.complete_answered(rt, task_id, caller, body.data, queries.acted_view))


@router.post("/deployments", tags=["deployments"])
async def deploy(rt: RuntimeDep, user: CurrentUser, files: Annotated[list[UploadFile], File(description=".bpmn 文件")]) -> dict[str, Any]:
    """Validate and deploy; 422 with element-level errors, nothing deployed, when any file is invalid."""
    payload = [(f.filename or "upload.bpmn", await f.read()) for f in files]
    result = deployments.deploy(rt, payload, user)
    return {"items": [d.__dict__ for d in result], "total": len(result)}
