"""Rendering pages: the Jinja2 environment (templates/web/), the context every page gets, labels and flashes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from ..services.runtime import Runtime
from . import csrf

STATUS_LABELS = {"running": "办理中", "completed": "已完成", "rejected": "未通过", "terminated": "已撤回", "error": "故障"}
TASK_STATES = {"open": "待办理", "completed": "已办理", "cancelled": "已取消"}
DECISIONS = {"approve": "同意", "reject": "不同意", "return": "退回修改"}
ACTIONS = {
    "start": "发起申请", "complete": "办理", "claim": "签收", "transfer": "转办", "add_sign": "加签", "sign": "加签意见",
    "copy": "抄送", "urge": "催办", "withdraw": "撤回申请", "attach": "上传附件", "reminder": "到期提醒",
    "escalation": "逾期督办", "end": "流程结束", "filed": "登记备案", "error": "发生故障", "retry": "重试",
}
HIDDEN_ACTIONS = {"save_draft"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def make_templates(rt: Runtime) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(rt.settings.templates_dir / "web"))
    tz = ZoneInfo(rt.settings.timezone)

    def when(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if not value:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(tz).strftime(fmt)

    def overdue(value: str | None) -> bool:
        return bool(value) and datetime.fromisoformat(value) < datetime.now(tz)  # type: ignore[arg-type]

    env = templates.env
    env.trim_blocks, env.lstrip_blocks = True, True
    env.filters["when"] = when
    env.filters["day"] = lambda v: when(v, "%Y-%m-%d")
    env.tests["overdue"] = overdue
    env.globals.update(STATUS_LABELS=STATUS_LABELS, DECISIONS=DECISIONS, ACTIONS=ACTIONS, TASK_STATES=TASK_STATES)
    return templates


def history_people(history: list[dict[str, Any]]) -> set[str]:
    """Usernames a timeline names: who acted, and to whom (transfer, add-sign, copy)."""
    out = {h["who"] for h in history}
    for h in history:
        to = (h.get("details") or {}).get("to")
        out.update(to if isinstance(to, list) else [to] if isinstance(to, str) else [])
    return out


def flash(request: Request, text: str, kind: str = "ok") -> None:
    """A one-time message shown on the next page (kept in the session)."""
    request.session.setdefault("flash", []).append({"kind": kind, "text": text})
    request.session["flash"] = request.session["flash"][-5:]


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render ``templates/web/<name>`` with the page context (user, CSRF token, badges, flashes)."""
    from .auth import current_user_or_none
    from ..services import views

    rt: Runtime = request.app.state.runtime
    user = context.get("user") or current_user_or_none(request)
    counts = views.counts(rt, user.id) if user else {}
    ctx = {"request": request, "user": user, "csrf_token": csrf.token(request.session), "counts": counts,
           "flashes": request.session.pop("flash", []), "nav": "", **context}
    response = request.app.state.web_templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def safe_next(value: str | None, default: str = "/") -> str:
    """Only a local path may be a redirect target (no scheme, no host, no //)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
