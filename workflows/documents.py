"""The measures' three forms (附件1-3 of 江理工委办〔2019〕138号) rendered from docxtpl templates.

Templates live in ``templates/docx/`` and are written by ``templates/docx/build_templates.py``.
Rendering is pure: context in, ``.docx`` bytes out; storing and serving the result is the caller's job.
Forms filed by a process are recorded by the step and rendered here after that step commits
(:mod:`workflows.services.document_files`: the scheduler's render step, or the first download).

Data contract — the context keys each kind reads. Every key is optional: a missing key, a missing
attribute or ``None`` renders as an empty field (never the literal tag). Text is escaped, so ``<``
and ``&`` in user input are safe; ``\\n`` becomes a line break. A signer's ``date_cn`` may be left out
and given as ``date`` (``date``/``datetime``/ISO string) instead; with neither the form shows
"    年  月  日". ``*_date_cn`` keys likewise accept ``*_date``.

att1 — 微信工作群、QQ工作群组审批表 (process "new group approval"):
    unit_name, group_name, group_kind_label (e.g. "微信工作群"), function, member_count (int),
    member_scope, owner_name, admins (list[str] or str; joined with "、"), contact,
    unit_head {name, opinion, decision_label, date_cn},
    party_org {name, opinion, decision_label, date_cn, org_name}
    (``opinion`` falls back to ``decision_label`` when empty; ``org_name`` names the approving body,
    e.g. "机械工程学院党委" or, for a student group, "党委学生工作部").
att2 — 二级单位（部门）官方微信公众号、QQ公众号备案登记表 (process "official account filing"):
    unit_name, account_name, open_date_cn, followers, real_name_verified (bool: ☑是 / ☑否; None: both
    empty), registered_name, first_responsible {name, title, mobile, landline},
    admin {name, title, mobile, landline, email}, direct_responsible {name},
    unit_head {name, opinion, date_cn}  (申请单位意见), propaganda {name, opinion, date_cn}  (备案单位意见).
att3 — 微信工作群、QQ工作群组备案登记表 (process "cleanup and re-filing", one per unit):
    unit_name, original_count (groups the unit had before the cleanup), groups: list of
    {unit_name (defaults to the top-level one; art. 3 note 2: a Party organisation writes its own
    name), group_name, owner_name, member_scope, member_count, function, posting_rules,
    retention_basis}, statistician {name}, unit_head {name}, party_secretary {name}, fill_date_cn.

Seals: ``seal_png`` is the unit's seal, stamped at the unit head's 盖章; ``org_seal_png`` the
approving body's (二级党组织, or 党委宣传部 on att2), at its 盖章. The templates place them with the
tags ``{{ seal }}`` / ``{{ org_seal }}`` (docxtpl InlineImage); after rendering they float behind the
text like a stamp, so they never reflow the form. Absent seals show nothing.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from docx.image.exceptions import UnrecognizedImageError
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import ChainableUndefined, Environment, Undefined
from markupsafe import Markup, escape

from workflows.errors import InvalidInput
from workflows.settings import get_settings

log = logging.getLogger(__name__)

DOC_KINDS: dict[str, tuple[str, str]] = {
    "att1": ("att1_group_approval.docx", "微信工作群、QQ工作群组审批表"),
    "att2": ("att2_account_filing.docx", "二级单位（部门）官方微信公众号、QQ公众号备案登记表"),
    "att3": ("att3_group_registration.docx", "微信工作群、QQ工作群组备案登记表"),
}
# Signers per kind: their ``date``/``date_cn`` is normalised before rendering.
SIGNERS: dict[str, tuple[str, ...]] = {
    "att1": ("unit_head", "party_org"),
    "att2": ("unit_head", "propaganda"),
    "att3": ("statistician", "unit_head", "party_secretary"),
}
DATE_FIELDS: dict[str, tuple[str, ...]] = {"att1": (), "att2": ("open_date",), "att3": ("fill_date",)}
BLANK_DATE = "    年  月  日"
BLANK_ROWS = 8
SEAL_WIDTH_MM = 36
EMU_PER_TWIP = 635
HALF_LINE_EMU = 100_000  # about half a line of 12pt text
PDF_TIMEOUT_S = 120
# For PDF conversion on machines without the Windows fonts (fonts-noto-cjk in Debian): Song-style
# faces to Noto Serif CJK, Hei-style to Noto Sans CJK, instead of fontconfig's sans default.
FONT_STAND_INS = {
    "宋体": "Noto Serif CJK SC", "SimSun": "Noto Serif CJK SC", "方正小标宋简体": "Noto Serif CJK SC",
    "仿宋_GB2312": "Noto Serif CJK SC", "仿宋": "Noto Serif CJK SC", "楷体_GB2312": "Noto Serif CJK SC",
    "黑体": "Noto Sans CJK SC", "SimHei": "Noto Sans CJK SC",
}

# Characters XML 1.0 forbids; user text containing them would make Word refuse the file.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LINE_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'


def date_cn(value: date | datetime | str | None, tz: str | None = None) -> str:
    """"2026年11月25日"; "    年  月  日" (to be written in by hand) for None or "".

    Datetimes are shown in ``tz`` (default: the ``timezone`` setting, Asia/Shanghai); naive ones are
    taken as UTC, as the database returns them. Strings are ISO dates or datetimes; any other string
    is returned as given.
    """
    if value is None or value == "":
        return BLANK_DATE
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        value = aware.astimezone(ZoneInfo(tz or get_settings().timezone)).date()
    return f"{value.year}年{value.month}月{value.day}日"


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ }}`` output: empty for None/undefined, escaped text with Word line breaks."""
    if value is None or isinstance(value, Undefined):
        return ""
    if hasattr(value, "__html__"):  # InlineImage, Markup
        return value
    text = _XML_INVALID.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return Markup(str(escape(text)).replace("\n", _LINE_BREAK))


class _CompiledOnce(Environment):
    """An environment that compiles each distinct template source once (docxtpl hands the same patched
    document XML to ``from_string`` on every render; compiling it was a third of the rendering time)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:  # noqa: A002
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            if len(self._compiled) >= _CACHE_SIZE:
                self._compiled.clear()
            template = self._compiled[source] = super().from_string(source)
        return template


class _Template(DocxTemplate):
    """docxtpl's template with the XML clean-up (``patch_xml``, pure regexes) done once per distinct part."""

    _patched: dict[str, str] = {}

    def patch_xml(self, src_xml: str) -> str:
        patched = self._patched.get(src_xml)
        if patched is None:
            if len(self._patched) >= _CACHE_SIZE:
                self._patched.clear()
            patched = self._patched[src_xml] = super().patch_xml(src_xml)
        return patched


_CACHE_SIZE = 64


@lru_cache(maxsize=1)
def _jinja_env() -> Environment:
    """One shared environment (thread-safe for rendering); docxtpl sets ``autoescape`` on it, always True here."""
    return _CompiledOnce(autoescape=True, undefined=ChainableUndefined, finalize=_finalize)


def _prepare(kind: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Copy the context, filling the derived keys the templates read (dates, joined names)."""
    ctx = dict(context)
    for signer in SIGNERS[kind]:
        person = dict(ctx.get(signer) or {})
        if not person.get("date_cn"):
            person["date_cn"] = date_cn(person.get("date"))
        ctx[signer] = person
    for key in DATE_FIELDS[kind]:
        if not ctx.get(f"{key}_cn"):
            ctx[f"{key}_cn"] = date_cn(ctx.get(key)) if ctx.get(key) else ""
    if kind == "att3":
        ctx["groups"] = list(ctx.get("groups") or [])
        if not ctx.get("fill_date_cn"):
            ctx["fill_date_cn"] = BLANK_DATE
    admins = ctx.get("admins")
    if isinstance(admins, (list, tuple)):
        ctx["admins"] = "、".join(str(a) for a in admins if a)
    return ctx


def template_path(kind: str, templates_dir: Path) -> Path:
    """The template file of ``kind``; ``templates_dir`` is ``templates/docx`` or the ``templates`` root."""
    if kind not in DOC_KINDS:
        raise InvalidInput(f"未知的文书类别：{kind}")
    name = DOC_KINDS[kind][0]
    for folder in (Path(templates_dir), Path(templates_dir) / "docx"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"template {name} not found in {templates_dir}")


def _image(tpl: DocxTemplate, png: bytes | None) -> InlineImage | None:
    if not png:
        return None
    return InlineImage(tpl, io.BytesIO(png), width=Mm(SEAL_WIDTH_MM))


def _float_seals(tpl: DocxTemplate) -> None:
    """Turn each inline picture (the forms hold none but seals) into one floating behind the text,
    centred near the end of its 签字/盖章 line as a stamp would be, so it never reflows the form."""
    body = tpl.docx.element.body
    for n, inline in enumerate(list(body.iter(qn("wp:inline")))):
        extent = inline.find(qn("wp:extent"))
        cx, cy = int(extent.get("cx")), int(extent.get("cy"))
        paragraph = next(inline.iterancestors(qn("w:p")))
        spacing = paragraph.find(f"{qn('w:pPr')}/{qn('w:spacing')}")
        before = int(spacing.get(qn("w:before"), "0")) * EMU_PER_TWIP if spacing is not None else 0
        top = before + HALF_LINE_EMU - cy // 2  # centre the seal on the paragraph's first line
        anchor = parse_xml(
            f'<wp:anchor {nsdecls("wp")} distT="0" distB="0" distL="0" distR="0" simplePos="0" '
            f'relativeHeight="{251658240 + n}" behindDoc="1" locked="0" layoutInCell="1" allowOverlap="1">'
            f'<wp:simplePos x="0" y="0"/>'
            f'<wp:positionH relativeFrom="character"><wp:posOffset>{-cx * 6 // 10}</wp:posOffset></wp:positionH>'
            f'<wp:positionV relativeFrom="paragraph"><wp:posOffset>{top}</wp:posOffset></wp:positionV>'
            f'<wp:extent cx="{cx}" cy="{cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
            f"</wp:anchor>"
        )
        for tag in ("wp:docPr", "wp:cNvGraphicFramePr", "a:graphic"):
            child = inline.find(qn(tag))
            if child is not None:
                anchor.append(child)
        inline.getparent().replace(inline, anchor)


def render_document(
    kind: str,
    context: Mapping[str, Any],
    templates_dir: Path,
    seal_png: bytes | None = None,
    *,
    org_seal_png: bytes | None = None,
) -> bytes:
    """Fill the form ``kind`` ("att1", "att2", "att3") from ``context`` (see the module docstring)."""
    tpl = _Template(template_path(kind, templates_dir))
    ctx = _prepare(kind, context)
    ctx["seal"] = _image(tpl, seal_png)
    ctx["org_seal"] = _image(tpl, org_seal_png)
    try:
        tpl.render(ctx, jinja_env=_jinja_env(), autoescape=True)
    except UnrecognizedImageError as exc:
        raise InvalidInput("印章图片无法识别，请上传 PNG 或 JPEG 图片") from exc
    _float_seals(tpl)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def render_blank(kind: str, templates_dir: Path) -> bytes:
    """The empty paper form: every field blank, dates as "年 月 日", att3 with empty rows to fill by hand."""
    context: dict[str, Any] = {"groups": [{} for _ in range(BLANK_ROWS)]} if kind == "att3" else {}
    return render_document(kind, context, templates_dir)


def _fontconfig(work: Path) -> dict[str, str]:
    """Environment pointing fontconfig at the system setup plus :data:`FONT_STAND_INS`."""
    base = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    if not Path(base).is_file():
        return dict(os.environ)
    aliases = "".join(
        f"<alias binding=\"same\"><family>{name}</family><prefer><family>{stand_in}</family></prefer></alias>"
        for name, stand_in in FONT_STAND_INS.items()
    )
    conf = work / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<include ignore_missing="yes">{base}</include>{aliases}</fontconfig>',
        encoding="utf-8",
    )
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def docx_to_pdf(docx: bytes, timeout_s: float = PDF_TIMEOUT_S) -> bytes | None:
    """Convert with LibreOffice headless; None (and a warning) when it is missing or fails.

    Each call uses its own temporary LibreOffice profile, so calls may run in parallel; expect a
    few seconds per call (LibreOffice starts each time). The Windows fonts the forms name are
    mapped to the free CJK fonts (:data:`FONT_STAND_INS`) where those are installed.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        log.warning("LibreOffice (soffice) is not installed: no PDF is made")
        return None
    with tempfile.TemporaryDirectory(prefix="groupgov-pdf-") as tmp:
        work = Path(tmp)
        (work / "doc.docx").write_bytes(docx)
        env = _fontconfig(work)
        command = [
            soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
            "--nolockcheck", "--convert-to", "pdf", "--outdir", str(work), str(work / "doc.docx"),
        ]
        try:
            # A session of its own, so a timeout ends soffice.bin too, not just the wrapper script.
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                    start_new_session=True)
        except OSError as exc:
            log.warning("LibreOffice could not start: %s", exc)
            return None
        try:
            _, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            log.warning("LibreOffice conversion timed out after %s s", timeout_s)
            return None
        pdf = work / "doc.pdf"
        if proc.returncode != 0 or not pdf.is_file():
            log.warning("LibreOffice conversion failed (exit %s): %s", proc.returncode,
                        stderr.decode(errors="replace")[-500:])
            return None
        return pdf.read_bytes()
