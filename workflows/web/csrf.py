"""CSRF protection: one random token per session, checked on every state-changing request.

Contract (:class:`CSRFMiddleware`, installed inside the session middleware):

- page requests (not ``/api/``) with POST/PUT/PATCH/DELETE must carry the session's token, as the form field
  ``csrf_token`` (url-encoded or multipart forms) or the ``X-CSRF-Token`` header (htmx sends it);
- ``/api/`` requests authenticated by the session cookie must send the ``X-CSRF-Token`` header; API calls with
  an ``Authorization`` bearer token, or without a signed-in session, are not cookie-authenticated and pass;
- anything else is refused with 403 and a Chinese message, before the route runs.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
REFUSED = "安全校验失败：请求缺少有效的 CSRF 令牌。请返回上一页刷新后重试。"
TOO_LARGE = "提交的内容过大，请减小附件后重试。"


def token(session: MutableMapping[str, Any]) -> str:
    """The session's token, created on first use (pages put it in every form)."""
    value = session.get(SESSION_KEY)
    if not isinstance(value, str) or len(value) < 20:
        value = secrets.token_urlsafe(32)
        session[SESSION_KEY] = value
    return value


def rotate(session: MutableMapping[str, Any]) -> str:
    """A fresh token (on login: a token seen before signing in is not valid after)."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)
    return session[SESSION_KEY]


def valid(session: MutableMapping[str, Any], candidate: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    return bool(isinstance(expected, str) and candidate and hmac.compare_digest(expected.encode(), str(candidate).encode()))


def _page(status: int, message: str) -> Response:
    body = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>请求被拒绝</title><link rel="stylesheet" href="/static/app.css">'
            f'</head><body><main id="main"><h1>请求被拒绝</h1><p class="flash error" role="alert">{message}</p>'
            f'<p><a href="/">返回待办</a></p></main></body></html>')
    return HTMLResponse(body, status_code=status)


class CSRFMiddleware:
    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        session = scope.get("session") or {}
        headers = Headers(scope=scope)
        is_api = scope["path"].startswith("/api/")
        if is_api and ("authorization" in headers or not session.get("person_id")):
            await self.app(scope, receive, send)
            return
        candidate = headers.get(HEADER)
        if candidate is None and not is_api:
            body = await self._read(receive)
            if body is None:
                await _page(413, TOO_LARGE)(scope, receive, send)
                return
            candidate = await self._form_token(scope, body)
            receive = _replay(body, receive)
        if not valid(session, candidate):
            response = JSONResponse({"detail": REFUSED}, status_code=403) if is_api else _page(403, REFUSED)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _form_token(self, scope: Scope, body: bytes) -> str | None:
        content_type = Headers(scope=scope).get("content-type", "")
        if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            return None
        request = Request(scope, _replay(body))
        try:
            form = await request.form()
        except Exception:  # a malformed body has no valid token
            return None
        try:
            value = form.get(FIELD)
            return value if isinstance(value, str) else None
        finally:
            await form.close()


def _replay(body: bytes, then: Receive | None = None) -> Receive:
    """A receive channel that yields the buffered body once, then waits on the real one (disconnects)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await then() if then is not None else {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
