"""Request dependencies: the runtime and the signed-in user (bearer token).

Cost contract (every API request pays these): :func:`get_rt` and :func:`caller_id` are ``async`` and touch no
database, so FastAPI runs them on the event loop instead of handing each to the thread pool (a thread hop
costs ~0.25 ms of CPU here). :func:`active_username` is the one query that makes a token valid (the account
still exists and has not left); ``CurrentUser`` runs it in a worker thread before the route, and the hot routes
call it themselves inside their own worker thread (one hop per request).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import bindparam, select

from ..errors import NotAuthenticated
from ..models import Person
from ..security import read_token
from ..services.runtime import Runtime

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)

# built once: constructing a statement costs more than running it
_ACTIVE_USERNAME = select(Person.username).where(Person.id == bindparam("person_id"), Person.status != "left")


async def get_rt(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_rt)]


async def caller_id(request: Request, token: Annotated[str | None, Depends(oauth2)] = None) -> int:
    """The person id of a validly signed, unexpired bearer token (or of the web session, for pages calling the
    API); 401 otherwise. Not yet checked against the database: see :func:`active_username`."""
    rt: Runtime = request.app.state.runtime
    person_id = read_token(rt.settings.secret_key, token, rt.settings.token_ttl_seconds) if token else None
    if person_id is None and "session" in request.scope:
        person_id = request.session.get("person_id")
    if person_id is None:
        raise NotAuthenticated("未登录或登录已过期")
    return person_id


CallerId = Annotated[int, Depends(caller_id)]


def active_username(rt: Runtime, person_id: int) -> str:
    """The username of ``person_id`` if the account exists and has not left; 401 otherwise (one query on a
    bare connection: no ORM session is needed for one column)."""
    with rt.db.connect() as conn:
        username = conn.execute(_ACTIVE_USERNAME, {"person_id": person_id}).scalar()
    if username is None:
        raise NotAuthenticated("账号不存在或已停用")
    return username


def current_username(rt: RuntimeDep, person_id: CallerId) -> str:
    """The username of a valid bearer token (or of the web session, for pages calling the API)."""
    return active_username(rt, person_id)


CurrentUser = Annotated[str, Depends(current_username)]
