"""Document operations for handlers: render one of the measures' forms and store it with the instance.

Runs inside the caller's transaction (no commit). PDF copies are made on download, not here: LibreOffice
takes seconds and is optional.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tasks.registry import HandlerContext

from .. import documents
from ..models import Document, Unit
from ..roles import STUDENT_BODIES
from . import seals


class DocumentOps:
    """``ctx.ops.documents`` for handlers."""

    def __init__(self, session: Session, templates_dir: Path) -> None:
        self.session = session
        self.templates_dir = templates_dir

    def store(self, ctx: HandlerContext, kind: str, name: str, context: dict[str, Any]) -> int:
        """Render ``kind`` (att1/att2/att3) with ``context`` and link it to the instance; returns the document id."""
        unit_scope = f"unit:{ctx.unit_id}" if ctx.unit_id is not None else None
        content = documents.render_document(kind, context, self.templates_dir, seals.lookup(self.session, unit_scope),
                                            org_seal_png=seals.lookup(self.session, self._approver_scope(ctx, kind)))
        doc = Document(instance_id=ctx.instance_id, name=name, kind=kind, content=content, created_at=ctx.now)
        self.session.add(doc)
        self.session.flush()
        return doc.id

    def _approver_scope(self, ctx: HandlerContext, kind: str) -> str | None:
        """Whose seal goes at the approving body's 盖章: 党委宣传部 (att2), the student body of a student group
        (att1), otherwise the unit's 二级党组织."""
        if kind == "att2":
            return seals.role_unit_scope(self.session, "propaganda")
        if kind == "att1" and ctx.data.get("is_student"):
            body = ctx.data.get("student_body")  # the same default as roles.resolve
            return seals.role_unit_scope(self.session, body if body in STUDENT_BODIES else "xuegong")
        unit = self.session.get(Unit, ctx.unit_id) if ctx.unit_id is not None else None
        return f"org:{unit.party_org_id}" if unit is not None else None
