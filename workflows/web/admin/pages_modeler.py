"""Modeler pages (process owners): the process list, the editor, and versions — compare, which instances run on
which version, migrate waiting instances, roll back a deploy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...errors import Conflict, InvalidInput, NotFound
from ...services import modeler, process_drafts
from ..auth import User
from ..render import flash, page
from .pages_dashboard import _int, _rt, admin_context

router = APIRouter(include_in_schema=False)


def _process(request: Request, user: Any, key: str) -> dict[str, Any]:
    found = next((p for p in modeler.list_definitions(_rt(request), user.username)["items"] if p["key"] == key), None)
    if found is None:
        raise NotFound(f"流程 {key} 不存在")
    return found


@router.get("/modeler", response_class=HTMLResponse)
def process_list(request: Request, user: User) -> Response:
    return _process_list(request, user)


def _process_list(request: Request, user: Any, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                  status: int = 200) -> Response:
    items = modeler.list_definitions(_rt(request), user.username)["items"]
    return page(request, "admin/modeler_index.html", admin_context(request, user, "modeler", title="流程建模", items=items,
                                                                   new=values or {}, errors=errors or {}), status)


@router.post("/modeler/new", response_class=HTMLResponse)
async def new_process(request: Request, user: User) -> Response:
    """新建流程: a draft from the starter diagram, opened in the editor; problems shown beside the fields."""
    form = await request.form()
    values = {"key": str(form.get("key") or ""), "name": str(form.get("name") or "")}
    try:
        created = process_drafts.create(_rt(request), user.username, values["key"], values["name"])
    except InvalidInput as exc:
        return _process_list(request, user, values, {e.field: e.message for e in exc.errors} or {"key": exc.message}, 422)
    except Conflict as exc:
        return _process_list(request, user, values, {"key": exc.message}, 409)
    flash(request, f"已创建流程草稿「{created['name']}」：在图中修改后点击「部署为新版本」发布，发布前不会出现在发起申请中")
    return RedirectResponse(f"/modeler/{created['key']}", status_code=303)


@router.get("/modeler/{key}", response_class=HTMLResponse)
def editor(request: Request, user: User, key: str) -> Response:
    version = _int(request.query_params.get("version"))
    current = modeler.diagram(_rt(request), user.username, key, version)
    return page(request, "admin/modeler.html", admin_context(request, user, "modeler", title=f"编辑：{current['name']}", d=current,
                                                             version=version))


def _versions_page(request: Request, user: Any, key: str, **extra: Any) -> Response:
    rt = _rt(request)
    process = _process(request, user, key)
    numbers = [v["version"] for v in process["versions"]]
    q = request.query_params
    old, new = _int(q.get("from")), _int(q.get("to"))
    if "from" not in q and len(numbers) >= 2:
        old, new = numbers[-2], numbers[-1]  # by default: what the last deploy changed
    diff = modeler.compare(rt, user.username, key, old, new) if old in numbers and new in numbers and old != new else None
    return page(request, "admin/versions.html", admin_context(
        request, user, "modeler", title=f"版本管理：{process['name']}", p=process, numbers=numbers, old=old, new=new, diff=diff,
        history=modeler.deploy_history(rt, user.username, key)["items"], **extra))


@router.get("/modeler/{key}/versions", response_class=HTMLResponse)
def versions(request: Request, user: User, key: str) -> Response:
    return _versions_page(request, user, key)


@router.post("/modeler/{key}/migrate", response_class=HTMLResponse)
async def migrate(request: Request, user: User, key: str) -> Response:
    form = await request.form()
    to_version = _int(str(form.get("to_version") or ""))
    if to_version is None:
        flash(request, "请选择目标版本", "error")
        return RedirectResponse(f"/modeler/{key}/versions", status_code=303)
    ids = [int(i) for i in str(form.get("instance_ids") or "").replace("，", ",").split(",") if i.strip().isdigit()] or None
    result = modeler.migrate(_rt(request), user.username, key, to_version, ids, _int(str(form.get("from_version") or "")),
                             dry_run=form.get("dry_run") == "1")
    return _versions_page(request, user, key, migration=result)


@router.post("/modeler/{key}/rollback")
async def rollback(request: Request, user: User, key: str) -> Response:
    form = await request.form()
    try:
        result = modeler.rollback(_rt(request), user.username, key, _int(str(form.get("to_version") or "")))
        flash(request, f"已回滚：第 {result['restored']} 版的内容已部署为第 {result['version']} 版，新发起的流程将使用它")
    except InvalidInput as exc:
        flash(request, exc.message, "error")
    return RedirectResponse(f"/modeler/{key}/versions", status_code=303)
