"""Seal images (印章) of units and Party organisations: administrators upload them; forms are stamped with them.

Scopes use the RoleAssignment format: ``unit:<unit id>`` or ``org:<party_org id>``. Every change is audited
(AuditEvent with ``instance_id`` None). :func:`lookup` is for callers inside a transaction (document rendering).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..db import unit_of_work
from ..errors import InvalidInput, NotFound
from ..models import AuditEvent, PartyOrg, Person, RoleAssignment, Seal, Unit
from .people import require_admin

if TYPE_CHECKING:
    from .runtime import Runtime

MAX_BYTES = 2 * 1024 * 1024
_MAGIC = [(b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg")]


def media_type_of(image: bytes) -> str | None:
    """``image/png`` or ``image/jpeg`` by the magic bytes; None for anything else."""
    return next((media for magic, media in _MAGIC if image.startswith(magic)), None)


def _scope_name(session: Session, scope: str) -> str:
    """The unit's or Party organisation's name; NotFound when the scope names neither."""
    kind, _, raw = scope.partition(":")
    row = None
    if raw.isdigit() and kind in ("unit", "org"):
        row = session.get(Unit if kind == "unit" else PartyOrg, int(raw))
    if row is None:
        raise NotFound(f"没有这个单位或二级党组织：{scope}")
    return row.name


def _summary(seal: Seal, name: str) -> dict[str, Any]:
    return {"scope": seal.scope, "name": name, "media_type": seal.media_type, "size": len(seal.image),
            "uploaded_at": seal.uploaded_at.isoformat(), "uploaded_by": seal.uploaded_by}


def set_seal(rt: Runtime, username: str, scope: str, image: bytes) -> dict[str, Any]:
    """Create or replace the seal of ``scope`` (PNG or JPEG, at most 2 MB)."""
    with unit_of_work(engine=rt.db) as session:
        actor = require_admin(session, username, "维护印章")
        name = _scope_name(session, scope)
        media_type = media_type_of(image)
        if media_type is None:
            raise InvalidInput("印章图片只能是 PNG 或 JPEG 格式")
        if len(image) > MAX_BYTES:
            raise InvalidInput("印章图片不能超过 2 MB")
        seal = session.get(Seal, scope)
        if seal is None:
            seal = Seal(scope=scope)
            session.add(seal)
        seal.image, seal.media_type, seal.uploaded_at, seal.uploaded_by = image, media_type, clock.now(), actor.username
        session.add(AuditEvent(instance_id=None, at=clock.now(), who_id=actor.id, who=actor.username, action="seal_set",
                               details={"scope": scope, "name": name, "media_type": media_type, "size": len(image)}))
        session.flush()
        return _summary(seal, name)


def delete_seal(rt: Runtime, username: str, scope: str) -> None:
    """Remove the seal of ``scope``: forms show no stamp there any more."""
    with unit_of_work(engine=rt.db) as session:
        actor = require_admin(session, username, "维护印章")
        name = _scope_name(session, scope)
        seal = session.get(Seal, scope)
        if seal is None:
            raise NotFound(f"{name} 还没有上传印章")
        session.delete(seal)
        session.add(AuditEvent(instance_id=None, at=clock.now(), who_id=actor.id, who=actor.username, action="seal_deleted",
                               details={"scope": scope, "name": name}))


def list_seals(rt: Runtime, username: str) -> dict[str, Any]:
    """Every unit and Party organisation with its seal (or None): what the admin page lists."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_admin(session, username, "维护印章")
        seals = {s.scope: s for s in session.scalars(select(Seal))}
        rows = [(f"org:{o.id}", o.name, "party_org") for o in session.scalars(select(PartyOrg).order_by(PartyOrg.id))]
        rows += [(f"unit:{u.id}", u.name, "unit") for u in session.scalars(select(Unit).order_by(Unit.id))]
        items = [{"scope": scope, "name": name, "kind": kind,
                  "seal": _summary(seals[scope], name) if scope in seals else None} for scope, name, kind in rows]
        return {"items": items, "total": len(items)}


def get_seal(rt: Runtime, username: str, scope: str) -> tuple[bytes, str]:
    """The image and its media type."""
    with unit_of_work(write=False, engine=rt.db) as session:
        require_admin(session, username, "维护印章")
        name = _scope_name(session, scope)
        seal = session.get(Seal, scope)
        if seal is None:
            raise NotFound(f"{name} 还没有上传印章")
        return seal.image, seal.media_type


def lookup(session: Session, scope: str | None) -> bytes | None:
    """The seal image of ``scope`` inside the caller's transaction; None when there is none."""
    if not scope:
        return None
    seal = session.get(Seal, scope)
    return seal.image if seal is not None else None


def role_unit_scope(session: Session, role: str) -> str | None:
    """``unit:<id>`` of a (the first) holder of ``role``, e.g. 党委宣传部 for ``propaganda``."""
    unit_id = session.scalar(select(Person.unit_id).join(RoleAssignment, RoleAssignment.person_id == Person.id)
                             .where(RoleAssignment.role == role, Person.status == "active").order_by(Person.id).limit(1))
    return f"unit:{unit_id}" if unit_id is not None else None
