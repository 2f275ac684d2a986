"""The register and the art. 7 campaign over HTTP: groups, temporary groups, account updates, rosters, campaign
progress and the statistician's spreadsheet, and the periodic starts (administrators). Thin routes over use cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from ..db import unit_of_work
from ..errors import Forbidden, InvalidInput
from ..services import campaign, periodic, queries, registry
from ..services.people import person_by_username
from .deps import CurrentUser, RuntimeDep

router = APIRouter(prefix="/api", tags=["registry"])


class DataBody(BaseModel):
    data: dict[str, Any] = Field(default_factory=dict, description="表单数据")


class UpdateBody(BaseModel):
    last_update: str | None = Field(None, description="最后更新日期（年-月-日），默认今天")


class UpdatesBody(BaseModel):
    items: list[dict[str, Any]] = Field(description="每项：group_id、last_update")


class RosterBody(BaseModel):
    members: list[str] = Field(description="群成员的用户名（实名）")


@router.get("/registry/groups")
def list_groups(rt: RuntimeDep, user: CurrentUser, unit_id: int | None = None, kind: str | None = None, status: str | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """The register of groups and accounts (one's own unit; overseers and the Propaganda Dept: all)."""
    return registry.list_groups(rt, user, unit_id, kind, status, limit, offset)


@router.post("/registry/temp-groups", status_code=201)
def register_temp_group(rt: RuntimeDep, user: CurrentUser, body: DataBody) -> dict[str, Any]:
    """Register a temporary group without approval (art. 6); 422 past the size or duration limits."""
    return registry.register_temp_group(rt, user, body.data)


@router.post("/registry/groups/{group_id}/updates")
def record_account_update(rt: RuntimeDep, user: CurrentUser, group_id: int, body: UpdateBody) -> dict[str, Any]:
    """An official account was updated (art. 10)."""
    return registry.record_account_update(rt, user, group_id, body.last_update)


@router.post("/registry/account-updates")
def record_account_updates(rt: RuntimeDep, user: CurrentUser, body: UpdatesBody) -> dict[str, Any]:
    """Last-update dates of several accounts at once (e.g. imported from the platforms' statistics)."""
    return registry.record_account_updates(rt, user, body.items)


@router.get("/registry/groups/{group_id}/members")
def roster(rt: RuntimeDep, user: CurrentUser, group_id: int) -> dict[str, Any]:
    return registry.roster(rt, user, group_id)


@router.put("/registry/groups/{group_id}/members")
def record_roster(rt: RuntimeDep, user: CurrentUser, group_id: int, body: RosterBody) -> dict[str, Any]:
    """Replace the group's real-name roster (art. 11)."""
    return registry.record_roster(rt, user, group_id, body.members)


@router.get("/campaigns/{campaign_id}/progress", tags=["campaigns"])
def campaign_progress(rt: RuntimeDep, user: CurrentUser, campaign_id: int) -> dict[str, Any]:
    """Per-unit progress of an art. 7 cleanup campaign (a cleanup_refiling instance)."""
    return campaign.campaign_progress(rt, user, campaign_id)


@router.post("/campaigns/group-sheet", tags=["campaigns"])
async def preview_group_sheet(user: CurrentUser, file: Annotated[UploadFile, File(description=".xlsx 或 .csv")]) -> dict[str, Any]:
    """Read a unit's group list from a spreadsheet without submitting it; 422 names every bad row."""
    return campaign.parse_group_sheet(file.filename or "", await file.read())


@router.post("/tasks/{task_id}/group-sheet", tags=["campaigns"])
async def submit_group_sheet(rt: RuntimeDep, user: CurrentUser, task_id: int, file: Annotated[UploadFile, File(description=".xlsx 或 .csv")],
                             original_count: Annotated[int | None, Form(ge=0)] = None, note: Annotated[str, Form()] = "") -> dict[str, Any]:
    """Complete the statistician's 填报工作群组清单 with a spreadsheet (columns of att. 3 plus 处理意见)."""
    instance_id = campaign.submit_group_sheet(rt, task_id, user, file.filename or "", await file.read(), original_count, note)
    return queries.get_instance(rt, user, instance_id)


@router.post("/periodic/{name}", tags=["periodic"])
def run_periodic(rt: RuntimeDep, user: CurrentUser, name: str) -> dict[str, Any]:
    """Administrators: run one periodic start now (temp-groups, idle-accounts, campaign-deadlines); idempotent."""
    with unit_of_work(write=False, engine=rt.db) as session:
        if "admin" not in person_by_username(session, user).role_names:
            raise Forbidden("只有管理员可以手动运行周期任务")
    fn = periodic.PERIODIC.get(name)
    if fn is None:
        raise InvalidInput(f"没有周期任务 {name}；可用：{'、'.join(periodic.PERIODIC)}")
    lines = fn(rt)
    return {"items": lines, "total": len(lines)}
