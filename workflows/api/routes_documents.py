"""Documents: the download (a form is rendered on first read when the scheduler has not done it yet), its PDF
copy (LibreOffice, optional) and blank paper forms."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from .. import documents
from ..errors import NotFound, Unavailable
from ..services import document_files
from .deps import CurrentUser, RuntimeDep

router = APIRouter(prefix="/api", tags=["documents"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _attachment(content: bytes, name: str, media_type: str) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/documents/{document_id}")
def get_document(rt: RuntimeDep, user: CurrentUser, document_id: int) -> Response:
    """A generated form or attachment; readable by the people involved in its instance and administrators.
    503 when a form could not be rendered (the reason is shown on the instance; it is retried)."""
    doc = document_files.open_document(rt, user, document_id)
    return _attachment(doc.content, doc.name, doc.media_type)


@router.get("/documents/{document_id}/pdf")
def get_document_pdf(rt: RuntimeDep, user: CurrentUser, document_id: int) -> Response:
    """The PDF of a generated form, converted by LibreOffice on request; 503 when LibreOffice is missing."""
    doc = document_files.open_document(rt, user, document_id)
    pdf = documents.docx_to_pdf(doc.content)
    if pdf is None:
        raise Unavailable("服务器未安装 LibreOffice，暂不能生成 PDF；请下载 Word 版本")
    return _attachment(pdf, doc.name.rsplit(".", 1)[0] + ".pdf", "application/pdf")


@router.get("/forms/{kind}/blank")
def blank_form(rt: RuntimeDep, user: CurrentUser, kind: str) -> Response:
    """An empty form (att1, att2, att3) for units still on paper."""
    if kind not in documents.DOC_KINDS:
        raise NotFound(f"没有表单 {kind}；可选：{'、'.join(documents.DOC_KINDS)}")
    title = documents.DOC_KINDS[kind][1]
    return _attachment(documents.render_blank(kind, rt.settings.templates_dir), f"{title}（空白）.docx", DOCX)
