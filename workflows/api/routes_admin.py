"""JSON API of the administrators' dashboard (``/api/admin``) and the process owners' modeler (``/api/modeler``).

Everything the admin and modeler pages do goes through these routes, so scripts can do it too. Readers of
``/api/admin``: administrators, the Party Office, the discipline office; incident actions: administrators;
``/api/modeler``: process owners. Routes are thin: parse, call one use case, shape the answer.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..services import dashboard, dashboard_export, incidents, modeler, oversight, process_drafts
from ..services.dashboard import InstanceFilter
from .deps import CurrentUser, RuntimeDep

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0)]


def instance_filter(process: str | None = None, version: int | None = None, unit_id: int | None = None, status: str | None = None,
                    started_by: str | None = None, started_from: date | None = None, started_to: date | None = None,
                    overdue: bool = False, instance_id: int | None = None) -> InstanceFilter:
    """Search criteria from the query string (all optional; dates are local days, inclusive)."""
    return InstanceFilter(process or None, version, unit_id, status or None, started_by or None, started_from, started_to, overdue, instance_id)


Filter = Annotated[InstanceFilter, Depends(instance_filter)]


class ReasonBody(BaseModel):
    reason: str = Field("", max_length=500, description="说明（记入审计）")
    element_id: str | None = Field(None, description="跳过哪个故障步骤（默认全部）")


class XmlBody(BaseModel):
    xml: str = Field(description="BPMN 2.0 XML")


class MigrateBody(BaseModel):
    to_version: int
    instance_ids: list[int] | None = Field(None, description="要迁移的实例；省略则为旧版本上所有运行中的实例")
    from_version: int | None = None
    dry_run: bool = False


class RollbackBody(BaseModel):
    to_version: int | None = Field(None, description="恢复哪一版的内容（默认当前版本的上一版）")


# ------------------------------------------------------------------ dashboard


@router.get("/api/admin/overview", tags=["admin"])
def overview(rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """Instances by status, open and overdue tasks, open incidents, registry totals, most overdue units."""
    return dashboard.overview(rt, user)


@router.get("/api/admin/instances", tags=["admin"])
def search_instances(rt: RuntimeDep, user: CurrentUser, flt: Filter, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    """Instances matching the filters, newest first, with their open tasks."""
    return dashboard.search_instances(rt, user, flt, limit, offset)


@router.get("/api/admin/instances/{instance_id}", tags=["admin"])
def instance_detail(rt: RuntimeDep, user: CurrentUser, instance_id: int) -> dict[str, Any]:
    """One instance with its diagram XML, completed and current elements, history and incidents."""
    return dashboard.instance_detail(rt, user, instance_id)


@router.get("/api/admin/filters", tags=["admin"])
def filter_options(rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    return dashboard.filter_options(rt, user)


@router.get("/api/admin/processes/{key}/counts", tags=["admin"])
def element_counts(rt: RuntimeDep, user: CurrentUser, key: str, version: int | None = None) -> dict[str, Any]:
    """Open and overdue tasks and failed steps per element (one version, or all), with the diagram to draw them on."""
    return dashboard.element_counts(rt, user, key, version)


@router.get("/api/admin/sla", tags=["admin"])
def sla(rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """Open and overdue tasks, days overdue and reminders sent, by unit and by person."""
    return oversight.sla(rt, user)


@router.get("/api/admin/sla/tasks", tags=["admin"])
def sla_tasks(rt: RuntimeDep, user: CurrentUser, unit_id: int | None = None, person_id: int | None = None, overdue: bool = True,
              limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    """Open (by default: overdue) tasks of one unit or one person, oldest due first."""
    return oversight.overdue_tasks(rt, user, unit_id, person_id, overdue, limit, offset)


@router.get("/api/admin/registry", tags=["admin"])
def registry(rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """Groups and accounts per unit and per owner by kind and status, temporary groups past due, idle accounts, campaign."""
    return oversight.registry(rt, user)


@router.get("/api/admin/export.xlsx", tags=["admin"], response_class=Response)
def export(rt: RuntimeDep, user: CurrentUser, flt: Filter) -> Response:
    """The dashboard as an .xlsx workbook (the instance sheet follows the filters)."""
    content = dashboard_export.export_xlsx(rt, user, flt)
    return Response(content, media_type=dashboard_export.MEDIA_TYPE,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote('管理看板.xlsx')}"})


@router.get("/api/admin/incidents", tags=["admin"])
def list_incidents(rt: RuntimeDep, user: CurrentUser, resolved: bool = False, limit: Limit = 50, offset: Offset = 0) -> dict[str, Any]:
    return incidents.list_incidents(rt, user, include_resolved=resolved, limit=limit, offset=offset)


@router.post("/api/admin/instances/{instance_id}/retry", tags=["admin"])
def retry(rt: RuntimeDep, user: CurrentUser, instance_id: int) -> dict[str, Any]:
    """Administrators: run the failed step again."""
    incidents.retry(rt, instance_id, user)
    return dashboard.instance_detail(rt, user, instance_id)


@router.post("/api/admin/instances/{instance_id}/skip", tags=["admin"])
def skip(rt: RuntimeDep, user: CurrentUser, instance_id: int, body: ReasonBody) -> dict[str, Any]:
    """Administrators: mark the failed service task completed without running it, and continue."""
    incidents.skip(rt, instance_id, user, body.element_id, body.reason)
    return dashboard.instance_detail(rt, user, instance_id)


@router.post("/api/admin/instances/{instance_id}/terminate", tags=["admin"])
def terminate(rt: RuntimeDep, user: CurrentUser, instance_id: int, body: ReasonBody) -> dict[str, Any]:
    """Administrators: cancel the instance (status terminated)."""
    incidents.terminate(rt, instance_id, user, body.reason)
    return dashboard.instance_detail(rt, user, instance_id)


# ------------------------------------------------------------------ modeler


@router.get("/api/modeler/catalogue", tags=["modeler"])
def catalogue(rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """Registered handlers (service-task topics) and roles (candidate groups) the editor offers."""
    return modeler.catalogue(rt, user)


@router.get("/api/modeler/processes", tags=["modeler"])
def processes(rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """Every process with its versions and instance counts per version and status."""
    return modeler.list_definitions(rt, user)


class NewProcessBody(BaseModel):
    key: str = Field(description="流程标识：3-64 位小写英文字母、数字或下划线，以字母开头")
    name: str = Field(description="流程名称")


@router.post("/api/modeler/processes", status_code=201, tags=["modeler"])
def create_process(rt: RuntimeDep, user: CurrentUser, body: NewProcessBody) -> dict[str, Any]:
    """A new process as a draft (version 1, from the starter diagram): not offered to anyone until its first
    deploy; 409 when the key exists, 422 with field errors when the key or name is not acceptable."""
    return process_drafts.create(rt, user, body.key, body.name)


@router.get("/api/modeler/{key}/diagram", tags=["modeler"])
def diagram(rt: RuntimeDep, user: CurrentUser, key: str, version: int | None = None) -> dict[str, Any]:
    return modeler.diagram(rt, user, key, version)


@router.post("/api/modeler/{key}/validate", tags=["modeler"])
def validate(rt: RuntimeDep, user: CurrentUser, key: str, body: XmlBody) -> dict[str, Any]:
    """``{"valid", "errors": [{"element_id", "message"}]}``: the checks of ``groupgov validate``."""
    return modeler.validate(rt, user, body.xml.encode("utf-8"), key)


@router.post("/api/modeler/{key}/deploy", tags=["modeler"])
def deploy(rt: RuntimeDep, user: CurrentUser, key: str, body: XmlBody) -> dict[str, Any]:
    """Validate and deploy as the next version; 422 with element-level errors, nothing deployed, when invalid."""
    return modeler.deploy(rt, user, key, body.xml.encode("utf-8"))


@router.get("/api/modeler/{key}/compare", tags=["modeler"])
def compare(rt: RuntimeDep, user: CurrentUser, key: str, old: Annotated[int, Query(alias="from")],
            new: Annotated[int, Query(alias="to")]) -> dict[str, Any]:
    """Element-level difference between two versions: added, removed, changed (with attributes)."""
    return modeler.compare(rt, user, key, old, new)


@router.post("/api/modeler/{key}/migrate", tags=["modeler"])
def migrate(rt: RuntimeDep, user: CurrentUser, key: str, body: MigrateBody) -> dict[str, Any]:
    """Move waiting instances to ``to_version`` where safe; each refused one comes with its reasons."""
    return modeler.migrate(rt, user, key, body.to_version, body.instance_ids, body.from_version, body.dry_run)


@router.post("/api/modeler/{key}/rollback", tags=["modeler"])
def rollback(rt: RuntimeDep, user: CurrentUser, key: str, body: RollbackBody) -> dict[str, Any]:
    """Undo a deploy: an earlier version's content becomes the newest version."""
    return modeler.rollback(rt, user, key, body.to_version)


@router.get("/api/modeler/{key}/history", tags=["modeler"])
def history(rt: RuntimeDep, user: CurrentUser, key: str) -> dict[str, Any]:
    return modeler.deploy_history(rt, user, key)
