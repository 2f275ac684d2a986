"""``/admin/seals``: administrators upload the seal image (印章) of each unit and 二级党组织 (issue 5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from ...errors import InvalidInput, NotFound
from ...services import seals
from ..auth import User
from ..render import flash, page
from .pages_dashboard import admin_context

router = APIRouter(include_in_schema=False)


def _rt(request: Request) -> Any:
    return request.app.state.runtime


@router.get("/admin/seals", response_class=HTMLResponse)
def seals_page(request: Request, user: User) -> Response:
    data = seals.list_seals(_rt(request), user.username)
    return page(request, "admin/seals.html", admin_context(request, user, "seals", title="印章管理", d=data))


@router.post("/admin/seals/{scope}")
async def upload_seal(request: Request, user: User, scope: str) -> Response:
    form = await request.form()
    upload = form.get("file")
    try:
        if form.get("action") == "delete":
            seals.delete_seal(_rt(request), user.username, scope)
            flash(request, "已删除印章")
        elif not isinstance(upload, UploadFile) or not upload.filename:
            flash(request, "请选择印章图片（PNG 或 JPEG）", "error")
        else:
            saved = seals.set_seal(_rt(request), user.username, scope, await upload.read(seals.MAX_BYTES + 1))
            flash(request, f"已上传{saved['name']}的印章")
    except (InvalidInput, NotFound) as exc:
        flash(request, exc.message, "error")
    return RedirectResponse("/admin/seals", status_code=303)
