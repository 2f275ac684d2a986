"""Signing in and out of the web app (session cookie), and the signed-in user of a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ..db import unit_of_work
from ..errors import NotAuthenticated
from ..models import Person
from ..security import verify_password
from . import csrf
from .render import page, safe_next

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class WebUser:
    id: int
    username: str
    name: str
    unit: str
    roles: frozenset[str]


def current_user_or_none(request: Request) -> WebUser | None:
    person_id = request.session.get("person_id") if "session" in request.scope else None
    if not person_id:
        return None
    cached = request.scope.get("groupgov.user")
    if cached is not None:
        return cached
    with unit_of_work(write=False, engine=request.app.state.runtime.db) as session:
        person = session.get(Person, person_id)
        if person is None or person.status == "left":
            return None
        user = WebUser(person.id, person.username, person.name, person.unit.name, frozenset(person.role_names))
    request.scope["groupgov.user"] = user
    return user


def web_user(request: Request) -> WebUser:
    """The signed-in user; pages without one redirect to /login (see web.errors)."""
    user = current_user_or_none(request)
    if user is None:
        request.session.pop("person_id", None)
        raise NotAuthenticated("请先登录")
    return user


User = Annotated[WebUser, Depends(web_user)]


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    if current_user_or_none(request):
        return RedirectResponse(safe_next(next), status_code=303)
    return page(request, "login.html", {"next": safe_next(next), "username": ""})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    with unit_of_work(write=False, engine=request.app.state.runtime.db) as session:
        person = session.scalar(select(Person).where(Person.username == username)) if username else None
        ok = person is not None and person.status != "left" and verify_password(password, person.password_hash)
        person_id = person.id if ok and person else None
    if person_id is None:
        return page(request, "login.html", {"next": target, "username": username, "error": "用户名或密码错误"}, 401)
    request.session.clear()
    request.session["person_id"] = person_id
    csrf.rotate(request.session)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
