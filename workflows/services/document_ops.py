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
from ..models import Document


class DocumentOps:
    """``ctx.ops.documents`` for handlers."""

    def __init__(self, session: Session, templates_dir: Path) -> None:
        self.session = session
        self.templates_dir = templates_dir

    def store(self, ctx: HandlerContext, kind: str, name: str, context: dict[str, Any]) -> int:
        """Render ``kind`` (att1/att2/att3) with ``context`` and link it to the instance; returns the document id."""
        content = documents.render_document(kind, context, self.templates_dir)
        doc = Document(instance_id=ctx.instance_id, name=name, kind=kind, content=content, created_at=ctx.now)
        self.session.add(doc)
        self.session.flush()
        return doc.id
