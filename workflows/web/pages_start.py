"""发起申请: the deployed processes, and starting one (then the applicant's first form opens)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..services import instances, queries
from .auth import User
from .render import flash, page

router = APIRouter(include_in_schema=False)


@router.get("/start", response_class=HTMLResponse)
def processes(request: Request, user: User) -> Response:
    result = queries.list_processes(request.app.state.runtime)
    return page(request, "start.html", {"user": user, "nav": "start", **result})


@router.post("/start/{key}")
def start(request: Request, user: User, key: str) -> Response:
    """Start ``key`` with no data: the first form (usually the applicant's) is filled on its task page."""
    rt = request.app.state.runtime
    instance_id = instances.start_process(rt, key, user.username, {})
    inst = queries.get_instance(rt, user.username, instance_id)
    mine = [t for t in inst["tasks"] if t["assignee"] == user.username]
    if mine:
        return RedirectResponse(f"/tasks/{mine[0]['id']}", status_code=303)
    flash(request, f"已发起：{inst['title']}")
    return RedirectResponse(f"/instances/{instance_id}", status_code=303)
