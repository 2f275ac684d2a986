"""The instance page: where it stands on its diagram, the timeline of decisions, documents; 我发起的; 撤回; 抄送."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import Conflict, InvalidInput
from ..services import actions, queries, views
from .auth import User
from .render import HIDDEN_ACTIONS, flash, history_people, page

router = APIRouter(include_in_schema=False)


@router.get("/started", response_class=HTMLResponse)
def started(request: Request, user: User) -> Response:
    result = views.my_instances(request.app.state.runtime, user.username, 50)
    return page(request, "started.html", {"user": user, "nav": "started", **result})


@router.get("/instances/{instance_id}", response_class=HTMLResponse)
def instance_page(request: Request, user: User, instance_id: int) -> Response:
    rt = request.app.state.runtime
    inst = queries.get_instance(rt, user.username, instance_id)
    views.mark_read(rt, user.username, instance_id)
    history = [h for h in inst["history"] if h["action"] not in HIDDEN_ACTIONS]
    names = views.names_of(rt, history_people(history) | {inst["started_by"] or ""})
    tasks = views.with_instances(rt, inst["tasks"])
    return page(request, "instance.html", {
        "user": user, "inst": inst, "history": history, "names": names, "tasks": tasks,
        "summary": views.application_summary(rt, instance_id), "elements": views.element_names(rt, instance_id),
        "mine": {t["id"] for t in queries.list_tasks(rt, user.username, "mine", 200)["items"] if t["instance_id"] == instance_id},
        "is_applicant": inst["started_by"] == user.username,
    })


@router.post("/instances/{instance_id}/withdraw")
async def withdraw(request: Request, user: User, instance_id: int) -> Response:
    form = await request.form()
    try:
        actions.withdraw(request.app.state.runtime, instance_id, user.username, str(form.get("reason") or ""))
        flash(request, "申请已撤回")
    except Conflict as exc:
        flash(request, exc.message, "error")
    return RedirectResponse(f"/instances/{instance_id}", status_code=303)


@router.post("/instances/{instance_id}/copy")
async def copy(request: Request, user: User, instance_id: int) -> Response:
    form = await request.form()
    people = [p for p in re.split(r"[,，、;；\s]+", str(form.get("to") or "")) if p]
    try:
        n = actions.copy(request.app.state.runtime, instance_id, user.username, people, str(form.get("note") or ""))
        flash(request, f"已抄送 {n} 人" if n else "所选人员此前已抄送过")
    except (InvalidInput, Conflict) as exc:
        flash(request, "；".join(e.message for e in exc.errors) if isinstance(exc, InvalidInput) and exc.errors else exc.message, "error")
    return RedirectResponse(f"/instances/{instance_id}", status_code=303)
