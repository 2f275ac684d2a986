"""Documents beyond the .docx download: the PDF copy (LibreOffice, optional) and blank paper forms."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from .. import documents
from ..db import unit_of_work
from ..errors import Forbidden, NotFound, Unavailable
from ..models import Document, ProcessInstance
from ..services import queries
from ..services.people import person_by_username
from .deps import CurrentUser, RuntimeDep

router = APIRouter(prefix="/api", tags=["documents"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _attachment(content: bytes, name: str, media_type: str) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/documents/{document_id}/pdf")
def get_document_pdf(rt: RuntimeDep, user: CurrentUser, document_id: int) -> Response:
    """The PDF of a generated form, converted by LibreOffice on request; 503 when LibreOffice is missing."""
    with unit_of_work(write=False, engine=rt.db) as session:
        doc = session.get(Document, document_id)
        if doc is None:
            raise NotFound(f"文档 {document_id} 不存在")
        inst = session.get(ProcessInstance, doc.instance_id) if doc.instance_id else None
        if inst is not None and not queries.involved(session, person_by_username(session, user), inst):
            raise Forbidden("您无权下载该文档")
        content, name = doc.content, doc.name
    pdf = documents.docx_to_pdf(content)
    if pdf is None:
        raise Unavailable("服务器未安装 LibreOffice，暂不能生成 PDF；请下载 Word 版本")
    return _attachment(pdf, name.rsplit(".", 1)[0] + ".pdf", "application/pdf")


@router.get("/forms/{kind}/blank")
def blank_form(rt: RuntimeDep, user: CurrentUser, kind: str) -> Response:
    """An empty form (att1, att2, att3) for units still on paper."""
    if kind not in documents.DOC_KINDS:
        raise NotFound(f"没有表单 {kind}；可选：{'、'.join(documents.DOC_KINDS)}")
    title = documents.DOC_KINDS[kind][1]
    return _attachment(documents.render_blank(kind, rt.settings.templates_dir), f"{title}（空白）.docx", DOCX)
