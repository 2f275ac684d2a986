"""Reading documents, and rendering the forms that were recorded but not rendered yet.

Contract: the approving step only records a form (``DocumentOps.store``: the filled context, the seal images
that apply, ``content`` NULL); it is rendered after that step commits, by the scheduler
(:func:`render_pending`, a few seconds later) or on first read. :func:`content_of` is the ONE reader of
``Document.content``: it returns the stored bytes, or renders, stores and returns them. Rendering happens
outside any transaction; storing is ``UPDATE ... WHERE content IS NULL`` in a short transaction of its own,
so concurrent first reads both succeed and return the same stored bytes. A failed rendering is kept on the
document (``render_error``, ``render_attempts``), logged, shown in the instance's document list, and retried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from .. import clock, documents
from ..db import unit_of_work
from ..errors import AppError, Forbidden, NotFound, Unavailable
from ..models import Document, ProcessInstance
from ..prepared import Prepared
from ..models.process import DocumentSeal

if TYPE_CHECKING:
    from .runtime import Runtime

log = logging.getLogger(__name__)

SEAL_SLOTS = ("seal", "org_seal")  # render_document's seal_png (the unit's) and org_seal_png (the approving body's)
MAX_ATTEMPTS = 8  # the scheduler stops retrying after this many failures; a download still tries
RETRY_BASE = timedelta(seconds=30)  # after n failures the scheduler waits RETRY_BASE * 2**(n-1)


@dataclass(frozen=True)
class DocumentFile:
    id: int
    name: str
    media_type: str
    content: bytes


# ---------------------------------------------------------------------------------------------- context codec

def encode_context(value: Any) -> Any:
    """A form context as JSON: dates and datetimes tagged (``{"$date": iso}``), so rendering later sees the
    same values; tuples become lists; any other object its ``str()`` (what the template would print)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): encode_context(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_context(v) for v in value]
    return str(value)


def decode_context(value: Any) -> Any:
    """The inverse of :func:`encode_context`."""
    if isinstance(value, dict):
        if len(value) == 1:
            if "$datetime" in value:
                return datetime.fromisoformat(value["$datetime"])
            if "$date" in value:
                return date.fromisoformat(value["$date"])
        return {k: decode_context(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_context(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------- reading

def open_document(rt: Runtime, username: str, document_id: int) -> DocumentFile:
    """A document for download by ``username`` (the people involved in its instance, and administrators):
    NotFound / Forbidden otherwise; a form not rendered yet is rendered now (see :func:`content_of`)."""
    from .people import person_by_username
    from .queries import involved

    with unit_of_work(write=False, engine=rt.db) as session:
        doc = session.get(Document, document_id)
        if doc is None:
            raise NotFound(f"文档 {document_id} 不存在")
        inst = session.get(ProcessInstance, doc.instance_id) if doc.instance_id else None
        if inst is not None and not involved(session, person_by_username(session, username), inst):
            raise Forbidden("您无权下载该文档")
        name, media_type, content = doc.name, doc.media_type, doc.content
    return DocumentFile(document_id, name, media_type, content if content is not None else content_of(rt, document_id))


def content_of(rt: Runtime, document_id: int) -> bytes:
    """The document's bytes: stored ones as they are; a recorded form is rendered, stored and returned
    (idempotent, safe under concurrent calls). Raises NotFound, or Unavailable when rendering fails (the
    failure is recorded on the document and retried later)."""
    with unit_of_work(write=False, engine=rt.db) as session:
        row = session.execute(select(Document.content, Document.kind, Document.context, Document.seals)
                              .where(Document.id == document_id)).one_or_none()
        if row is None:
            raise NotFound(f"文档 {document_id} 不存在")
        if row.content is not None:
            return row.content
        try:
            images, problem = seal_images(session, row.seals), None
        except AppError as exc:
            images, problem = {}, exc
    try:
        if problem is not None:
            raise problem
        if row.context is None:
            raise Unavailable("文档没有可生成的内容")
        content = render(rt, row.kind, row.context, images)
    except Exception as exc:
        message = _record_failure(rt, document_id, exc)
        raise Unavailable(f"表格生成失败：{message}。系统会自动重试，请稍后再下载") from exc
    with unit_of_work(engine=rt.db) as session:
        stored = session.execute(
            update(Document).where(Document.id == document_id, Document.content.is_(None))
            .values(content=content, rendered_at=clock.now(), render_error=None)
            .execution_options(synchronize_session=False)).rowcount
        if not stored:  # rendered meanwhile by another reader or the scheduler: theirs is the stored copy
            content = session.scalar(select(Document.content).where(Document.id == document_id))
            if content is None:
                raise NotFound(f"文档 {document_id} 不存在")
    return content


def render(rt: Runtime, kind: str, context: Mapping[str, Any], images: Mapping[str, bytes | None]) -> bytes:
    """Render a recorded form: its stored (encoded) context and the seal images it recorded."""
    return documents.render_document(kind, decode_context(context), rt.settings.templates_dir,
                                     images.get("seal"), org_seal_png=images.get("org_seal"))


def seal_images(session: Session, seals: Mapping[str, Any] | None) -> dict[str, bytes | None]:
    """The images a form recorded (``{"seal": sha256, "org_seal": sha256}``), read from ``document_seal``."""
    hashes = {slot: h for slot, h in (seals or {}).items() if slot in SEAL_SLOTS and h}
    if not hashes:
        return {}
    found = dict(session.execute(select(DocumentSeal.sha256, DocumentSeal.image)
                                 .where(DocumentSeal.sha256.in_(set(hashes.values())))).all())
    missing = [h for h in hashes.values() if h not in found]
    if missing:
        raise Unavailable(f"表格记录的印章图片已丢失（{missing[0][:12]}）")
    return {slot: found[h] for slot, h in hashes.items()}


def _record_failure(rt: Runtime, document_id: int, exc: BaseException) -> str:
    """Keep the failure on the document (retryable, shown in the instance's document list); its message."""
    message = exc.message if isinstance(exc, AppError) else f"{type(exc).__name__}: {exc}"
    log.warning("rendering document %s failed: %s", document_id, message, exc_info=not isinstance(exc, AppError))
    try:
        with unit_of_work(engine=rt.db) as session:
            session.execute(update(Document).where(Document.id == document_id, Document.content.is_(None)).values(
                render_error=message[:2000], render_attempts=Document.render_attempts + 1, render_tried_at=clock.now())
                .execution_options(synchronize_session=False))
    except Exception:
        log.exception("could not record the rendering failure of document %s", document_id)
    return message


# ---------------------------------------------------------------------------------------------- the scheduler's step

def pending_ids(rt: Runtime, limit: int, now: datetime | None = None) -> list[int]:
    """Forms waiting for rendering, fresh ones first; failed ones after their back-off, at most MAX_ATTEMPTS."""
    now = now or clock.now()
    with unit_of_work(write=False, engine=rt.db) as session:
        rows = session.execute(select(Document.id, Document.render_attempts, Document.render_tried_at)
                               .where(Document.content.is_(None), Document.render_attempts < MAX_ATTEMPTS)
                               .order_by(Document.render_attempts, Document.id).limit(limit * 4)).all()
    due = [r.id for r in rows if r.render_tried_at is None
           or clock.as_utc(r.render_tried_at) + RETRY_BASE * 2 ** max(0, r.render_attempts - 1) <= now]
    return due[:limit]


def render_pending(rt: Runtime, limit: int = 20, now: datetime | None = None) -> int:
    """Render up to ``limit`` pending forms, each stored in its own transaction; failures are recorded
    (and logged) and do not stop the batch. Returns how many were rendered."""
    done = 0
    for document_id in pending_ids(rt, limit, now):
        try:
            content_of(rt, document_id)
            done += 1
        except AppError:
            continue  # recorded on the document (and logged) by content_of
        except Exception:
            log.exception("rendering document %s failed", document_id)
    return done


# ---------------------------------------------------------------------------------------------- listing

# built once: the instance view (the answer of every start and completion) runs it
_ITEMS = Prepared(select(Document.id, Document.name, Document.kind, Document.content.is_(None).label("missing"),
                         Document.render_error).where(Document.instance_id == bindparam("instance_id")).order_by(Document.id))


def document_items(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The instance's documents for its view: ``{id, name, kind, status, error}`` with status ``ready``,
    ``pending`` (recorded, rendered soon or on download) or ``failed`` (``error`` says why; retried)."""
    rows = _ITEMS.named(session, {"instance_id": instance_id})
    return [{"id": r.id, "name": r.name, "kind": r.kind,
             "status": "ready" if not r.missing else ("failed" if r.render_error else "pending"),
             "error": r.render_error if r.missing else None} for r in rows]
