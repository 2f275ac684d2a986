"""Task pages: 待办 / 已办 / 抄送我的 / 通知 lists, one task with its form, and the task actions."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from ..errors import Conflict, Forbidden, InvalidImport, InvalidInput, TooSoon
from ..services import actions, campaign, group_list, instances, queries, views
from . import grouplist
from .auth import User, WebUser
from .formview import fields, initial_values, submitted_values
from .render import flash, history_people, is_htmx, page, safe_next

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _rt(request: Request) -> Any:
    return request.app.state.runtime


@router.get("/", response_class=HTMLResponse)
def my_tasks(request: Request, user: User) -> Response:
    rt = _rt(request)
    items = views.with_instances(rt, queries.list_tasks(rt, user.username, "mine", PAGE_SIZE)["items"])
    return page(request, "tasks.html", {"user": user, "nav": "mine", "title": "待办", "items": items,
                                        "empty": "暂无待办事项"})


@router.get("/done", response_class=HTMLResponse)
def done_tasks(request: Request, user: User) -> Response:
    rt = _rt(request)
    items = views.with_instances(rt, queries.list_tasks(rt, user.username, "done", PAGE_SIZE)["items"])
    return page(request, "tasks.html", {"user": user, "nav": "done", "title": "已办", "items": items, "done": True,
                                        "empty": "还没有办理过的事项"})


@router.get("/copied", response_class=HTMLResponse)
def copied(request: Request, user: User) -> Response:
    rt = _rt(request)
    items = views.with_instances(rt, views.list_copied(rt, user.username, PAGE_SIZE)["items"])
    return page(request, "copied.html", {"user": user, "nav": "copied", "items": items})


@router.get("/notifications", response_class=HTMLResponse)
def notifications(request: Request, user: User) -> Response:
    result = views.list_notifications(_rt(request), user.username, PAGE_SIZE)
    return page(request, "notifications.html", {"user": user, "nav": "notifications", **result})


@router.post("/notifications/read")
def read_all(request: Request, user: User) -> Response:
    views.mark_read(_rt(request), user.username)
    flash(request, "已全部标为已读")
    return RedirectResponse("/notifications", status_code=303)


def _task_page(request: Request, user: WebUser, task_id: int, values: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None, problem: str = "", status: int = 200,
               row_problems: dict[str, list[dict[str, Any]]] | None = None) -> Response:
    """The task page; ``row_problems``: per-row problems of a group-list field (else those its process recorded)."""
    rt = _rt(request)
    task = queries.get_task(rt, user.username, task_id)
    schema = task["form"]
    draft = actions.load_draft(rt, task_id, user.username) if task["can_complete"] else None
    shown = values if values is not None else initial_values(schema, task["data"] or {}, draft)
    field_views = fields(schema, shown, errors or {})
    for f in field_views:
        if f.widget == "group_list":
            found = (row_problems or {}).get(f.id) if values is not None else grouplist.stored_problems(f.id, shown, task["data"] or {})
            f.editor = grouplist.editor(f.id, shown.get(f.id), task["data"] or {}, found)
    inst = queries.get_instance(rt, user.username, task["instance_id"])
    views.mark_read(rt, user.username, task["instance_id"])
    context = views.task_context(rt, user.username, task_id)
    history = [h for h in inst["history"] if h["action"] in {"complete", "sign", "transfer", "add_sign", "withdraw"}]
    return page(request, "task.html", {
        "user": user, "task": task, "inst": inst, "fields": field_views, "errors": errors or {},
        "problem": problem, "draft_saved": bool(draft) and values is None, "ctx": context,
        "summary": views.application_summary(rt, task["instance_id"], task["element"]) if task["kind"] == "task" else [],
        "names": views.names_of(rt, history_people(inst["history"])), "history": history,
        "people": views.people_choices(rt) if task["can_complete"] else [],
        "pending_addsign": any(a["state"] == "open" for a in context["addsigns"]),
    }, status)


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, user: User, task_id: int) -> Response:
    return _task_page(request, user, task_id)


@router.post("/tasks/{task_id}", response_class=HTMLResponse)
async def submit_task(request: Request, user: User, task_id: int) -> Response:
    """提交 (complete) or 保存草稿 (save a draft); a failed submit re-shows everything typed with the errors."""
    rt = _rt(request)
    form = await request.form()
    task = queries.get_task(rt, user.username, task_id)
    if not task["can_complete"]:
        raise Forbidden("您不是该待办的办理人，无权办理") if task["state"] == "open" else Conflict("该待办已被办理或已撤销")
    values = submitted_values(task["form"], form)
    edited = grouplist.edit(task["form"], form)
    if edited is not None:  # 添加 / 删除 a row of a group list without JavaScript
        return _task_page(request, user, task_id, {**values, **edited})
    errors: dict[str, str] = {}
    for upload in form.getlist("attachments"):
        if isinstance(upload, UploadFile) and upload.filename:
            try:
                actions.add_attachment(rt, task["instance_id"], user.username, upload.filename, await upload.read(),
                                       upload.content_type or "")
            except InvalidInput as exc:
                errors["attachments"] = "；".join(e.message for e in exc.errors) or exc.message
    if form.get("_action") == "draft":
        actions.save_draft(rt, task_id, user.username, values)
        flash(request, "草稿已保存" + ("，但部分附件未上传：" + errors["attachments"] if errors else ""), "error" if errors else "ok")
        return RedirectResponse(f"/tasks/{task_id}", status_code=303)
    if errors:
        return _task_page(request, user, task_id, values, errors, "附件未能上传，请检查后重新提交", 422)
    row_problems = grouplist.precheck(task["form"], values)
    if row_problems:
        for fid, found in row_problems.items():
            errors[fid] = f"有 {len(found)} 处需要修改，见下方各群组的提示"
        return _task_page(request, user, task_id, values, errors, "群组清单有误，请按提示修改后重新提交", 422, row_problems)
    try:
        instance_id = instances.complete_task(rt, task_id, user.username, values)
    except InvalidInput as exc:
        for e in exc.errors:
            errors[e.field] = f"{errors[e.field]}；{e.message}" if e.field in errors else e.message
        return _task_page(request, user, task_id, values, errors, "表单填写有误，请按提示修改后重新提交", 422)
    except Conflict as exc:
        return _task_page(request, user, task_id, values, {}, exc.message, 409)
    again = _same_task_again(rt, user.username, task, instance_id)
    if again is not None:  # the process sent the form straight back (e.g. the group list failed its check)
        flash(request, f"「{task['name']}」未通过核对，请按提示修改后重新提交", "error")
        return RedirectResponse(f"/tasks/{again}", status_code=303)
    flash(request, f"已提交：{task['name']}")
    return RedirectResponse("/" if form.get("decision") or task["kind"] != "task" else f"/instances/{instance_id}", status_code=303)


def _same_task_again(rt: Any, username: str, task: dict[str, Any], instance_id: int) -> int | None:
    """A group-list form that came straight back to the same person: its new task id."""
    if grouplist.field_of(task["form"]) is None:
        return None
    for t in queries.get_instance(rt, username, instance_id)["tasks"]:
        if t["element"] == task["element"] and t["id"] != task["id"] and queries.get_task(rt, username, t["id"])["can_complete"]:
            return int(t["id"])
    return None


@router.post("/tasks/{task_id}/group-sheet", response_class=HTMLResponse)
async def group_sheet(request: Request, user: User, task_id: int) -> Response:
    """The statistician's spreadsheet (.xlsx/.csv): 导入 loads it into the editor to check; 提交 completes the task
    with it through the same use case as ``POST /api/tasks/{id}/group-sheet``. Problems are shown per row."""
    rt = _rt(request)
    form = await request.form()
    task = queries.get_task(rt, user.username, task_id)
    fid = grouplist.field_of(task["form"])
    if not task["can_complete"] or fid is None:
        raise Forbidden("您不是该待办的办理人，无权办理") if task["state"] == "open" else Conflict("该待办已被办理或已撤销")
    draft = actions.load_draft(rt, task_id, user.username)
    values = initial_values(task["form"], task["data"] or {}, draft)
    upload = form.get("sheet")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _task_page(request, user, task_id, values, {"sheet": "请选择要上传的表格文件（.xlsx 或 .csv）"}, "请选择表格文件", 422)
    content = await upload.read()
    try:
        items = group_list.read_sheet(upload.filename, content)
    except InvalidImport as exc:
        detail = "；".join(f"第{e.row}行 {e.column}：{e.message}" if e.row else e.message for e in exc.errors)
        return _task_page(request, user, task_id, values, {"sheet": detail}, "表格无法读取，请检查后重新上传", 422)
    sheet_rows = [grouplist.entry(i) for i in items]
    preview = form.get("_action") != "submit"
    replaced = added = 0
    if preview:  # 导入: into the list as the page has it (what was typed and not saved yet comes along), nothing dropped
        current = (grouplist.rows_from_form(form, fid) if form.get(f"{fid}-rows") is not None
                   else [grouplist.entry(i) for i in group_list.load(values.get(fid))[0] or []])
        merged, replaced, added = grouplist.merge(current, sheet_rows)
        values[fid] = grouplist.to_json(merged)
    else:  # 直接提交: the sheet is the list
        values[fid] = grouplist.to_json(sheet_rows)
    row_problems = grouplist.precheck(task["form"], values)
    if row_problems:
        note = "表格中的群组清单有误，已载入下方清单，请按提示修改后提交"
        return _task_page(request, user, task_id, values, {fid: note}, note, 422, row_problems)
    if preview:
        flash(request, f"已从表格读取 {len(items)} 个群组（更新 {replaced} 个、新增 {added} 个，清单中原有的其他群组保留），"
                       "请在下方清单中核对后提交")
        return _task_page(request, user, task_id, values)
    count = str(form.get("original_count") or "").strip()
    try:
        instance_id = campaign.submit_group_sheet(rt, task_id, user.username, upload.filename, content,
                                                  int(count) if count.isdigit() else None, str(form.get("note") or ""))
    except InvalidInput as exc:
        detail = "；".join(e.message for e in exc.errors) or exc.message
        return _task_page(request, user, task_id, values, {"sheet": detail}, exc.message, 422)
    again = _same_task_again(rt, user.username, task, instance_id)
    if again is not None:
        flash(request, f"「{task['name']}」未通过核对，请按提示修改后重新提交", "error")
        return RedirectResponse(f"/tasks/{again}", status_code=303)
    flash(request, f"已提交：{task['name']}（表格 {upload.filename}）")
    return RedirectResponse(f"/instances/{instance_id}", status_code=303)


@router.get("/tasks/{task_id}/group-sheet.csv")
def group_sheet_template(request: Request, user: User, task_id: int) -> Response:
    """A spreadsheet to fill in: the upload's columns, with the groups the form shows now (the register's)."""
    rt = _rt(request)
    task = queries.get_task(rt, user.username, task_id)
    fid = grouplist.field_of(task["form"])
    if fid is None:
        raise InvalidInput("该待办没有群组清单")
    draft = actions.load_draft(rt, task_id, user.username) if task["can_complete"] else None
    shown = initial_values(task["form"], task["data"] or {}, draft)
    rows = grouplist.editor(fid, shown.get(fid), task["data"] or {}).rows
    return Response(grouplist.sheet_template(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''group-list.csv", "Cache-Control": "no-store"})


def _back(request: Request, task_id: int, form: Any) -> str:
    return safe_next(str(form.get("next") or ""), f"/tasks/{task_id}")


def _people(text: str) -> list[str]:
    return [p for p in re.split(r"[,，、;；\s]+", text or "") if p]


@router.post("/tasks/{task_id}/claim", response_class=HTMLResponse)
async def claim(request: Request, user: User, task_id: int) -> Response:
    rt = _rt(request)
    form = await request.form()
    try:
        actions.claim(rt, task_id, user.username)
    except Conflict as exc:
        if is_htmx(request):
            return HTMLResponse(f'<p class="flash error" role="alert">{exc.message}</p>')
        flash(request, exc.message, "error")
        return RedirectResponse("/", status_code=303)
    if is_htmx(request):
        item = views.with_instances(rt, [queries.get_task(rt, user.username, task_id)])[0]
        return page(request, "_task_card.html", {"user": user, "t": item, "claimed": True})
    flash(request, "已签收，请办理")
    return RedirectResponse(safe_next(str(form.get("next") or ""), f"/tasks/{task_id}"), status_code=303)


async def _action(request: Request, task_id: int, run: Any, done: str, after: str | None = None) -> Response:
    """Run one task action from a posted form: success flashes ``done``; a refusal flashes why and goes back."""
    form = await request.form()
    try:
        message = run(form)
    except (InvalidInput, Conflict, TooSoon) as exc:
        detail = "；".join(e.message for e in exc.errors) if isinstance(exc, InvalidInput) and exc.errors else exc.message
        flash(request, detail, "error")
        return RedirectResponse(_back(request, task_id, form), status_code=303)
    flash(request, message or done)
    return RedirectResponse(after or _back(request, task_id, form), status_code=303)


@router.post("/tasks/{task_id}/transfer")
async def transfer(request: Request, user: User, task_id: int) -> Response:
    rt = _rt(request)
    return await _action(request, task_id, lambda f: actions.transfer(rt, task_id, user.username, str(f.get("to") or ""),
                                                                      str(f.get("note") or "")) and None,
                         "已转办", after="/")


@router.post("/tasks/{task_id}/add-sign")
async def add_sign(request: Request, user: User, task_id: int) -> Response:
    rt = _rt(request)
    return await _action(request, task_id, lambda f: actions.add_sign(rt, task_id, user.username, str(f.get("to") or ""),
                                                                      str(f.get("note") or "")) and None,
                         "已加签，待加签人签署后才能办理本待办")


@router.post("/tasks/{task_id}/copy")
async def copy(request: Request, user: User, task_id: int) -> Response:
    rt = _rt(request)
    instance_id = queries.get_task(rt, user.username, task_id)["instance_id"]

    def run(f: Any) -> str:
        n = actions.copy(rt, instance_id, user.username, _people(str(f.get("to") or "")), str(f.get("note") or ""), task_id)
        return f"已抄送 {n} 人" if n else "所选人员此前已抄送过"

    return await _action(request, task_id, run, "已抄送")


@router.post("/tasks/{task_id}/urge")
async def urge(request: Request, user: User, task_id: int) -> Response:
    rt = _rt(request)
    return await _action(request, task_id, lambda f: f"已催办，提醒了 {actions.urge(rt, task_id, user.username)} 人", "已催办")
