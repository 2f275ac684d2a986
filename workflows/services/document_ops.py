"""Document operations for handlers: record one of the measures' forms with the instance.

Runs inside the caller's transaction (no commit) and renders nothing: the form is recorded with its filled
context and the seal images that apply at this moment, and rendered after the step commits
(:mod:`workflows.services.document_files`: the scheduler a few seconds later, or the first download).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tasks.registry import HandlerContext

from .. import documents
from ..models import Document, Seal
from ..models.process import DocumentSeal
from ..prepared import Prepared
from ..roles import STUDENT_BODIES
from . import seals
from .people import party_org_of
from .document_files import encode_context


_RECORD = Prepared(insert(Document.__table__).returning(Document.__table__.c.id))
# the (at most two) seals of a form; a slot with no scope binds NULL, which matches nothing
_SEAL_IMAGES = Prepared(select(Seal.scope, Seal.image).where(or_(Seal.scope == bindparam("seal"), Seal.scope == bindparam("org_seal"))))


class DocumentOps:
    """``ctx.ops.documents`` for handlers."""

    def __init__(self, session: Session, templates_dir: Path) -> None:
        self.session = session
        self.templates_dir = templates_dir  # where the forms are rendered from later (kept for callers)

    def store(self, ctx: HandlerContext, kind: str, name: str, context: dict[str, Any]) -> int:
        """Record form ``kind`` (att1/att2/att3) filled with ``context`` for the instance; returns the document
        id. The seals stamped on it are the ones uploaded now: a seal changed later does not change this form."""
        if kind not in documents.DOC_KINDS:
            raise ValueError(f"unknown form kind {kind!r}")
        values = dict(instance_id=ctx.instance_id, name=name, kind=kind, content=None, created_at=ctx.now,
                      context=encode_context(context), seals=self._seals(ctx, kind) or None)
        return int(_RECORD.scalar(self.session, values))  # a plain insert: one statement

    def _seals(self, ctx: HandlerContext, kind: str) -> dict[str, str]:
        """``{"seal": sha256, "org_seal": sha256}`` of the seals that apply now (absent slots have none);
        their images are kept in ``document_seal``. One query when no seal is uploaded."""
        scopes = {"seal": f"unit:{ctx.unit_id}" if ctx.unit_id is not None else None,
                  "org_seal": self._approver_scope(ctx, kind)}
        if not any(scopes.values()):
            return {}
        images = dict(_SEAL_IMAGES.all(self.session, scopes))
        recorded: dict[str, str] = {}
        for slot, scope in scopes.items():
            image = images.get(scope) if scope else None
            if image:
                recorded[slot] = self._keep(image)
        return recorded

    def _keep(self, image: bytes) -> str:
        """Store ``image`` once under its SHA-256 (insert unless present; safe when two steps race)."""
        digest = hashlib.sha256(image).hexdigest()
        insert = sqlite.insert if self.session.get_bind().dialect.name == "sqlite" else postgresql.insert
        self.session.execute(insert(DocumentSeal).values(sha256=digest, image=image).on_conflict_do_nothing(index_elements=["sha256"]))
        return digest

    def _approver_scope(self, ctx: HandlerContext, kind: str) -> str | None:
        """Whose seal goes at the approving body's 盖章: 党委宣传部 (att2), the student body of a student group
        (att1), otherwise the unit's 二级党组织."""
        if kind == "att2":
            return seals.role_unit_scope(self.session, "propaganda")
        if kind == "att1" and ctx.data.get("is_student"):
            body = ctx.data.get("student_body")  # the same default as roles.resolve
            return seals.role_unit_scope(self.session, body if body in STUDENT_BODIES else "xuegong")
        party_org_id = party_org_of(self.session, ctx.unit_id)
        return f"org:{party_org_id}" if party_org_id is not None else None
