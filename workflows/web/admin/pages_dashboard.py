"""Dashboard pages: overview, instance search, one instance with its tokens, a process's piles of work, overdue
tasks by unit and person (催办 from there), the registry, incidents with retry / skip / terminate."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...errors import Conflict, InvalidInput
from ...models import GROUP_KINDS, GROUP_STATUSES
from ...services import dashboard, incidents, oversight
from ...services.dashboard import InstanceFilter
from ..auth import User
from ..render import flash, page, safe_next

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
OVERSEERS = {"admin", "party_office", "discipline"}
OWNERS = {"admin", "process_owner"}


def _rt(request: Request) -> Any:
    return request.app.state.runtime


def admin_context(request: Request, user: Any, nav: str, **extra: Any) -> dict[str, Any]:
    """What every admin page needs: the sub-navigation, who may act, the Prefect UI address."""
    return {"user": user, "nav": "admin", "admin_nav": nav, "is_admin": "admin" in user.roles,
            "is_owner": bool(user.roles & OWNERS), "is_overseer": bool(user.roles & OVERSEERS),
            "prefect_ui_url": _rt(request).settings.prefect_ui_url, "GROUP_KINDS": GROUP_KINDS, "GROUP_STATUSES": GROUP_STATUSES,
            "INSTANCE_STATUSES": dashboard.STATUSES, **extra}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _filter(request: Request) -> tuple[InstanceFilter, list[str]]:
    """Search criteria from the query string; unreadable values are dropped with a message."""
    q = request.query_params
    problems = []
    dates: dict[str, date | None] = {}
    for name in ("started_from", "started_to"):
        try:
            dates[name] = date.fromisoformat(q[name]) if q.get(name) else None
        except ValueError:
            dates[name] = None
            problems.append(f"日期「{q[name]}」格式不对，应为 2026-06-01")
    return InstanceFilter(process=q.get("process") or None, version=_int(q.get("version")), unit_id=_int(q.get("unit_id")),
                          status=q.get("status") or None, started_by=(q.get("started_by") or "").strip() or None,
                          overdue=q.get("overdue") in {"1", "on", "true"}, instance_id=_int(q.get("instance_id")),
                          **dates), problems


@router.get("/admin", response_class=HTMLResponse)
def overview(request: Request, user: User) -> Response:
    figures = dashboard.overview(_rt(request), user.username)
    return page(request, "admin/overview.html", admin_context(request, user, "overview", title="管理看板", o=figures))


@router.get("/admin/instances", response_class=HTMLResponse)
def instances_page(request: Request, user: User) -> Response:
    rt = _rt(request)
    flt, problems = _filter(request)
    offset = max(0, _int(request.query_params.get("offset")) or 0)
    try:
        result = dashboard.search_instances(rt, user.username, flt, PAGE_SIZE, offset)
    except InvalidInput as exc:
        problems.append(exc.message)
        flt.status = None
        result = dashboard.search_instances(rt, user.username, flt, PAGE_SIZE, offset)
    params = flt.as_params()
    return page(request, "admin/instances.html", admin_context(
        request, user, "instances", title="流程实例", result=result, flt=flt, problems=problems, options=dashboard.filter_options(rt, user.username),
        query=urlencode(params), page_link=lambda off: "/admin/instances?" + urlencode({**params, "offset": off})))


@router.get("/admin/instances/{instance_id}", response_class=HTMLResponse)
def instance_page(request: Request, user: User, instance_id: int) -> Response:
    detail = dashboard.instance_detail(_rt(request), user.username, instance_id)
    failed = [i["element"] for i in detail["incidents"] if not i["resolved"] and i["element"] and i["element"] in detail["current"]]
    return page(request, "admin/instance.html", admin_context(request, user, "instances", title=f"实例 #{instance_id}", inst=detail,
                                                              failed=sorted(set(failed))))


async def _incident_action(request: Request, user: Any, instance_id: int, action: str) -> Response:
    form = await request.form()
    rt = _rt(request)
    reason = str(form.get("reason") or "").strip()
    try:
        if action == "retry":
            incidents.retry(rt, instance_id, user.username)
            flash(request, f"已重试实例 #{instance_id}")
        elif action == "skip":
            incidents.skip(rt, instance_id, user.username, str(form.get("element_id") or "") or None, reason)
            flash(request, f"已跳过实例 #{instance_id} 的故障步骤")
        else:
            incidents.terminate(rt, instance_id, user.username, reason)
            flash(request, f"已终止实例 #{instance_id}")
    except (Conflict, InvalidInput) as exc:
        flash(request, exc.message, "error")
    return RedirectResponse(safe_next(str(form.get("next") or ""), f"/admin/instances/{instance_id}"), status_code=303)


@router.post("/admin/instances/{instance_id}/retry")
async def retry(request: Request, user: User, instance_id: int) -> Response:
    return await _incident_action(request, user, instance_id, "retry")


@router.post("/admin/instances/{instance_id}/skip")
async def skip(request: Request, user: User, instance_id: int) -> Response:
    return await _incident_action(request, user, instance_id, "skip")


@router.post("/admin/instances/{instance_id}/terminate")
async def terminate(request: Request, user: User, instance_id: int) -> Response:
    return await _incident_action(request, user, instance_id, "terminate")


@router.get("/admin/processes/{key}", response_class=HTMLResponse)
def process_page(request: Request, user: User, key: str) -> Response:
    version = _int(request.query_params.get("version"))
    counts = dashboard.element_counts(_rt(request), user.username, key, version)
    rows = sorted(counts["counts"].items(), key=lambda kv: (-kv[1]["open"] - kv[1]["error"], kv[0]))
    return page(request, "admin/process.html", admin_context(request, user, "instances", title=f"{counts['name']}：各步骤待办",
                                                             c=counts, rows=rows, version=version))


@router.get("/admin/sla", response_class=HTMLResponse)
def sla_page(request: Request, user: User) -> Response:
    rt = _rt(request)
    q = request.query_params
    unit_id, person_id = _int(q.get("unit")), _int(q.get("person"))
    data = oversight.sla(rt, user.username)
    tasks = None
    focus = ""
    if unit_id is not None or person_id is not None:
        offset = max(0, _int(q.get("offset")) or 0)
        tasks = oversight.overdue_tasks(rt, user.username, unit_id, person_id, q.get("all") != "1", PAGE_SIZE, offset)
        if unit_id is not None:
            focus = next((u["unit"] for u in data["by_unit"] if u["unit_id"] == unit_id), "")
        else:
            focus = next((p["name"] for p in data["by_person"] if p["person_id"] == person_id), "")
    here = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    return page(request, "admin/sla.html", admin_context(request, user, "sla", title="逾期督办", d=data, tasks=tasks, focus=focus,
                                                         unit_id=unit_id, person_id=person_id, here=here))


@router.get("/admin/registry", response_class=HTMLResponse)
def registry_page(request: Request, user: User) -> Response:
    data = oversight.registry(_rt(request), user.username)
    return page(request, "admin/registry.html", admin_context(request, user, "registry", title="群组台账与数量管控", r=data))


@router.get("/admin/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, user: User) -> Response:
    resolved = request.query_params.get("resolved") == "1"
    offset = max(0, _int(request.query_params.get("offset")) or 0)
    data = incidents.list_incidents(_rt(request), user.username, include_resolved=resolved, limit=PAGE_SIZE, offset=offset)
    return page(request, "admin/incidents.html", admin_context(request, user, "incidents", title="故障处理", d=data, resolved=resolved,
                                                               offset=offset, page_size=PAGE_SIZE))
