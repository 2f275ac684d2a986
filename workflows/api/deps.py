"""Request dependencies: the runtime and the signed-in user (bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select

from ..db import unit_of_work
from ..errors import NotAuthenticated
from ..models import Person
from ..security import read_token
from ..services.runtime import Runtime

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_rt(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_rt)]


def current_username(rt: RuntimeDep, request: Request, token: Annotated[str | None, Depends(oauth2)] = None) -> str:
    """The username of a valid bearer token (or of the web session, for pages calling the API)."""
    person_id = read_token(rt.settings.secret_key, token, rt.settings.token_ttl_seconds) if token else None
    if person_id is None and "session" in request.scope:
        person_id = request.session.get("person_id")
    if person_id is None:
        raise NotAuthenticated("未登录或登录已过期")
    with unit_of_work(write=False, engine=rt.db) as session:
        username = session.scalar(select(Person.username).where(Person.id == person_id, Person.status != "left"))
    if username is None:
        raise NotAuthenticated("账号不存在或已停用")
    return username


CurrentUser = Annotated[str, Depends(current_username)]
