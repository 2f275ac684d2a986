"""The forms converted to PDF by LibreOffice, then read back with poppler (pdfinfo, pdftotext, pdftoppm).

LibreOffice, poppler and a CJK font are system parts (.ci/run installs libreoffice-writer-nogui,
poppler-utils, fonts-noto-cjk and fonts-hanazono). Without them these tests skip with the reason, or fail when
GROUPGOV_REQUIRE_SYSTEM_PARTS=1 (tests/plugins/system_parts.py).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.system_parts import need
from workflows.bench_docs import sample_context
from workflows.documents import DOC_KINDS, docx_to_pdf, render_blank, render_document

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "docx"
A4_PORTRAIT = (595.3, 841.9)


@pytest.fixture(scope="module")
def pdf_tools(libreoffice_path: str, pdftotext_path: str, cjk_fonts: list[str]) -> None:
    """LibreOffice, a Chinese font and all of poppler's tools used here."""
    for tool in ("pdfinfo", "pdftoppm"):
        if shutil.which(tool) is None:
            print(f"not installed: {tool}")
            need("poppler-utils", f"no {tool} on PATH; apt-get install poppler-utils")


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def pdf_text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(["pdftotext", *pages, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return re.sub(r"\s+", "", out)


def convert(data: bytes, tmp_path: Path, name: str) -> Path:
    pdf = docx_to_pdf(data)
    assert pdf is not None and pdf.startswith(b"%PDF")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return path


def page_size(info: dict[str, str]) -> tuple[float, float]:
    width, height = re.match(r"([\d.]+) x ([\d.]+)", info["Page size"]).groups()
    return float(width), float(height)


KEY_TEXT = {
    "att1": ["附件1", "微信工作群、QQ工作群组审批表", "工作群名称", "群主、管理员", "二级党组织", "审批意见",
             "机械工程学院2026级研究生导师工作群", "签字、盖章：张明华", "2026年11月20日"],
    "att2": ["附件2", "官方微信公众号、QQ公众号备案登记表", "实名认证情况", "认证实名或", "第一责任人",
             "江苏理工学院图书馆", "wujing@example.edu.cn", "直接责任人（签字）：吴静", "2026年11月25日"],
    "att3": ["附件3", "微信工作群、QQ工作群组备案登记表", "群信息发布规则", "保留依据", "第一党支部党员群",
             "统计人签字：孙悦", "二级党组织书记签字、盖章：陈红", "填表日期：2026年11月25日",
             "3.备案登记表在二级党组织留存备查。"],
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(DOC_KINDS))
def test_filled_form_as_pdf_and_png(kind: str, tmp_path: Path, pdf_tools: None) -> None:
    pdf = convert(render_document(kind, sample_context(kind), TEMPLATES), tmp_path, kind)
    info = pdf_info(pdf)
    assert info["Pages"] == "1"
    width, height = page_size(info)
    expected = A4_PORTRAIT[::-1] if kind == "att3" else A4_PORTRAIT
    assert abs(width - expected[0]) < 1 and abs(height - expected[1]) < 1
    text = pdf_text(pdf)
    for needle in KEY_TEXT[kind]:
        assert needle in text, needle

    subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf),
                    str(tmp_path / kind)], check=True)
    png = tmp_path / f"{kind}.png"
    assert png.is_file() and png.stat().st_size > 5_000
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(DOC_KINDS))
def test_blank_form_fits_one_page(kind: str, tmp_path: Path, pdf_tools: None) -> None:
    pdf = convert(render_blank(kind, TEMPLATES), tmp_path, f"{kind}-blank")
    assert pdf_info(pdf)["Pages"] == "1"
    text = pdf_text(pdf)
    assert DOC_KINDS[kind][1].replace("二级单位（部门）", "") in text
    assert "{{" not in text and "{%" not in text


@pytest.mark.slow
def test_many_groups_continue_on_pages_with_the_header_repeated(tmp_path: Path, pdf_tools: None) -> None:
    context = sample_context("att3")
    context["groups"] = [dict(context["groups"][0], group_name=f"工作群{i:02d}") for i in range(40)]
    pdf = convert(render_document("att3", context, TEMPLATES), tmp_path, "att3-40")
    pages = int(pdf_info(pdf)["Pages"])
    assert pages >= 3
    assert "群信息发布规则" in pdf_text(pdf, page=2)
    text = pdf_text(pdf)
    assert all(f"工作群{i:02d}" in text for i in range(40))
    assert "填表日期：2026年11月25日" in pdf_text(pdf, page=pages)


@pytest.mark.slow
def test_rare_characters_and_markup_reach_the_pdf_text(tmp_path: Path, pdf_tools: None, rare_cjk_fonts: list[str]) -> None:
    """Text the form takes as typed (emoji, markup) reaches the PDF; and a name with a CJK Extension B character
    (生僻字) prints with a font that has it, not as an empty box: the PDF embeds one of the fonts fontconfig knows
    for U+20000. (An emoji in the same line still prints as a box: LibreOffice then finds no font for either.)"""
    context = sample_context("att1")
    context["group_name"] = "𠀀龘研究生🎓毕业工作群"
    context["function"] = "<script>alert(1)</script> & Co."
    text = pdf_text(convert(render_document("att1", context, TEMPLATES), tmp_path, "rare"))
    assert "𠀀龘研究生🎓毕业工作群" in text
    assert "<script>alert(1)</script>&Co." in text
    context["group_name"], context["owner_name"] = "𠀀龘研究生毕业工作群", "王𠀀"
    pdf = convert(render_document("att1", context, TEMPLATES), tmp_path, "rare-name")
    assert "𠀀龘研究生毕业工作群" in pdf_text(pdf) and "王𠀀" in pdf_text(pdf)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    embedded = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:] if line.strip()}
    assert any(family.replace(" ", "") in name for family in rare_cjk_fonts for name in embedded), (embedded, rare_cjk_fonts)


def test_no_libreoffice_means_no_pdf_and_a_warning(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with caplog.at_level(logging.WARNING, logger="workflows.documents"):
        assert docx_to_pdf(b"PK") is None
    assert "LibreOffice" in caplog.text


SLEEP = f"'{sys.executable}' -c 'import time; time.sleep(30)'"


@pytest.mark.parametrize(("script", "message"), [("exit 3", "exit 3"), (f"{SLEEP} & {SLEEP}", "timed out")])
def test_failing_or_hanging_libreoffice_is_reported_not_raised(
    script: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    with caplog.at_level(logging.WARNING, logger="workflows.documents"):
        assert docx_to_pdf(b"PK", timeout_s=1) is None
    assert message in caplog.text
