"""The one place domain errors become HTML: pages get a Chinese error page, the API keeps its JSON.

Installed by ``install_web`` over the API's ``AppError`` handler: requests under ``/api/`` are handed to it
unchanged; a page request without a signed-in user is redirected to ``/login?next=<page>``.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ..api.errors import status_of
from ..errors import AppError, NotAuthenticated

TITLES = {403: "无权访问", 404: "找不到页面", 409: "状态已变化", 422: "提交内容有误", 401: "请先登录"}


def install(app: FastAPI) -> None:
    api_handler = app.exception_handlers.get(AppError)

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AppError)
        if request.url.path.startswith("/api/") and api_handler is not None:
            return await api_handler(request, exc)
        if isinstance(exc, NotAuthenticated):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target if request.method == 'GET' else '/')}", status_code=303)
        from .render import page

        status = status_of(exc)
        return page(request, "error.html", {"title": TITLES.get(status, "出错了"), "message": exc.message}, status)

    app.exception_handlers[AppError] = handle
