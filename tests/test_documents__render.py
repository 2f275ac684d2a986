"""The three forms of 江理工委办〔2019〕138号, rendered and read back with python-docx."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from workflows.bench_docs import bench_docx
from workflows.documents import BLANK_DATE, DOC_KINDS, date_cn, render_blank, render_document
from workflows.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates" / "docx"
LONG = ("按照“谁建群谁负责”原则，" * 50)[:500]
RARE_NAME = "𠀀龘研究生🎓毕业工作群"
SCRIPTY = "<script>alert('x')</script> & Co. <b>粗体</b> &amp;"


def norm(text: str) -> str:
    """Compare form text as the seed gives it: no whitespace, full-width parentheses and colons."""
    text = text.replace("(", "（").replace(")", "）").replace(":", "：")
    return re.sub(r"\s+", "", text)


def seal_png(size: int = 64) -> bytes:
    """A red ring on transparent ground, a stand-in for an uploaded seal."""
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")
        for x in range(size):
            r2 = (x - size / 2) ** 2 + (y - size / 2) ** 2
            row += b"\xdc\x00\x00\xff" if (size / 2 - 5) ** 2 <= r2 <= (size / 2) ** 2 else b"\xff\xff\xff\x00"
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


def open_docx(data: bytes):
    return Document(io.BytesIO(data))


def document_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


def att1_context() -> dict:
    return {
        "unit_name": "机械工程学院",
        "group_name": RARE_NAME,
        "group_kind_label": "微信工作群",
        "function": SCRIPTY,
        "member_count": 56,
        "member_scope": "本学院研究生导师及研究生秘书",
        "owner_name": "王建国",
        "admins": ["李晓梅", "陈志强"],
        "contact": "13905190001",
        "unit_head": {"name": "张明华", "opinion": LONG, "decision_label": "同意", "date": date(2026, 11, 20)},
        "party_org": {"name": "刘德胜", "opinion": "", "decision_label": "同意备案",
                      "date_cn": "2026年11月25日", "org_name": "中共机械工程学院委员会"},
    }


def att2_context(verified: bool | None = True) -> dict:
    return {
        "unit_name": "图书馆",
        "account_name": "江苏理工学院图书馆 & 档案馆",
        "open_date": date(2018, 9, 1),
        "followers": 12840,
        "real_name_verified": verified,
        "registered_name": "江苏理工学院",
        "first_responsible": {"name": "周文涛", "title": "馆长／研究馆员", "mobile": "13801500002",
                              "landline": "0519-86950001"},
        "admin": {"name": "吴静", "title": "馆员", "mobile": "13801500003", "landline": "0519-86950002",
                  "email": "wujing@example.edu.cn"},
        "direct_responsible": {"name": "吴静"},
        "unit_head": {"name": "周文涛", "opinion": "同意报备。\n请宣传部审核。", "date": date(2026, 11, 18)},
        "propaganda": {"name": "孙立平", "opinion": "已备案。", "date": datetime(2026, 11, 24, 17, 30, tzinfo=timezone.utc)},
    }


def att3_context(n: int) -> dict:
    groups = [
        {"group_name": f"工作群{i + 1:02d}", "owner_name": f"群主{i + 1}", "member_scope": "全体教职工",
         "member_count": 10 + i, "function": "发布学院工作通知", "posting_rules": "仅发布工作信息，不点赞不回复",
         "retention_basis": "学院日常工作需要"}
        for i in range(n)
    ]
    if groups:
        groups[0]["unit_name"] = "电气信息工程学院第一党支部"
        groups[0]["group_name"] = RARE_NAME
        groups[0]["function"] = LONG
    return {
        "unit_name": "电气信息工程学院",
        "original_count": 57,
        "groups": groups,
        "statistician": {"name": "孙悦"},
        "unit_head": {"name": "李强"},
        "party_secretary": {"name": "陈红"},
        "fill_date": "2026-11-25",
    }


# --- the forms' labels, as the seed gives them (attachment text at the end of the measures) ---------

ATT1_LABELS = {
    (0, 0): "单位(部门) 名称", (1, 0): "工作群名称", (2, 0): "群类别(微信 或 QQ)与功能",
    (3, 0): "人员规模 与范围", (4, 0): "群主、管理员", (4, 2): "联系方式",
    (5, 0): "单位(部门) 负责人意见", (6, 0): "二级党组织 审批意见",
}
ATT2_LABELS = {
    (0, 0): "单位（部门）名称", (1, 0): "公众号名称", (2, 0): "开通日期", (2, 3): "关注量",
    (3, 0): "实名认证情况", (3, 3): "认证实名或注册账号名", (4, 0): "人员信息",
    (5, 0): "第一责任人", (5, 1): "姓名", (5, 3): "职务职称", (6, 1): "移动电话", (6, 3): "固定电话",
    (7, 0): "管理员", (7, 1): "姓名", (7, 3): "职务职称", (8, 1): "移动电话", (8, 3): "固定电话", (9, 1): "Email",
}
ATT3_HEADER = ["单位(部门)", "工作群名称", "群主", "人员范围", "人数", "群功能", "群信息发布规则", "保留依据",
               "本单位(部门)原有工作群组的数量"]
ATT3_LINES = ["备注：1.请各单位（部门）如实填报表格信息；", "2.党的各级组织在单位（部门）栏目填写具体名称；",
              "3.备案登记表在二级党组织留存备查。", "统计人签字：", "单位（部门）负责人签字、盖章：",
              "二级党组织书记签字、盖章：", "填表日期："]


def same_cell(table, a: tuple[int, int], b: tuple[int, int]) -> bool:
    return table.cell(*a)._tc is table.cell(*b)._tc


def check_page(doc, landscape: bool) -> None:
    section = doc.sections[0]
    width, height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    assert abs(section.page_width - width) < Mm(1) and abs(section.page_height - height) < Mm(1)
    assert (section.orientation == 1) is landscape


def check_fonts(doc) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    fonts = [r.find(qn("w:rFonts")) for r in doc.element.body.iter(qn("w:rPr"))]
    fonts = [f for f in fonts if f is not None]
    assert fonts and all(f.get(qn("w:eastAsia")) and f.get(qn("w:ascii")) == "Times New Roman" for f in fonts)
    east_asia = {f.get(qn("w:eastAsia")) for f in fonts}
    assert {"宋体", "方正小标宋简体", "黑体"} <= east_asia


def check_heading(doc, number: int, kind: str) -> None:
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == f"附件{number}"
    assert norm("".join(texts[1:3])).startswith(norm(DOC_KINDS[kind][1]))
    assert doc.core_properties.title == DOC_KINDS[kind][1]


def check_no_tags(data: bytes) -> None:
    xml = document_xml(data)
    for tag in ("{{", "}}", "{%", "%}", "{#"):
        assert tag not in xml


# --- att1 ----------------------------------------------------------------------------------------


def test_att1_labels_layout_and_values() -> None:
    doc = open_docx(render_document("att1", att1_context(), TEMPLATES))
    check_heading(doc, 1, "att1")
    check_page(doc, landscape=False)
    check_fonts(doc)
    (t,) = doc.tables
    assert len(t.rows) == 7
    for (r, c), text in ATT1_LABELS.items():
        assert norm(t.cell(r, c).text) == norm(text), (r, c)
    for r in (0, 1, 2, 3, 5, 6):  # value spans the 3 columns right of the label
        assert same_cell(t, (r, 1), (r, 3)) and not same_cell(t, (r, 0), (r, 1))
        assert len(t.rows[r]._tr.tc_lst) == 2
    assert len(t.rows[4]._tr.tc_lst) == 4

    assert t.cell(0, 1).text == "机械工程学院"
    assert t.cell(1, 1).text == RARE_NAME
    assert t.cell(2, 1).text == f"微信工作群\n{SCRIPTY}"
    assert t.cell(3, 1).text == "56人\n本学院研究生导师及研究生秘书"
    assert t.cell(4, 1).text == "群主：王建国\n管理员：李晓梅、陈志强"
    assert t.cell(4, 3).text == "13905190001"
    head = t.cell(5, 1).text
    assert head.startswith(LONG) and "签字、盖章：张明华" in head and head.rstrip().endswith("2026年11月20日")
    org = t.cell(6, 1).text
    assert org.startswith("同意备案")  # decision label stands in for an empty opinion
    assert "中共机械工程学院委员会" in org and "签字、盖章：刘德胜" in org and "2026年11月25日" in org


def test_att1_escapes_user_text_in_the_xml() -> None:
    data = render_document("att1", att1_context(), TEMPLATES)
    xml = document_xml(data)
    assert "<script>" not in xml and "&lt;script&gt;alert('x')&lt;/script&gt; &amp; Co." in xml
    assert "&amp;amp;" in xml  # a literal "&amp;" typed by the user stays literal


def test_att1_blank_form() -> None:
    data = render_blank("att1", TEMPLATES)
    check_no_tags(data)
    t = open_docx(data).tables[0]
    for (r, c), text in ATT1_LABELS.items():
        assert norm(t.cell(r, c).text) == norm(text)
    for r, c in [(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (4, 3)]:
        assert t.cell(r, c).text.strip() == ""
    for r in (5, 6):
        assert norm(t.cell(r, 1).text) == "签字、盖章：年月日"
        assert BLANK_DATE in t.cell(r, 1).text


# --- att2 ----------------------------------------------------------------------------------------


def test_att2_labels_layout_and_values() -> None:
    doc = open_docx(render_document("att2", att2_context(), TEMPLATES))
    check_heading(doc, 2, "att2")
    check_page(doc, landscape=False)
    check_fonts(doc)
    (t,) = doc.tables
    assert len(t.rows) == 12
    for (r, c), text in ATT2_LABELS.items():
        assert norm(t.cell(r, c).text) == norm(text), (r, c)
    for r in range(4):
        assert same_cell(t, (r, 0), (r, 1))
    for r in (0, 1, 9):
        assert same_cell(t, (r, 2), (r, 4))
    assert same_cell(t, (4, 0), (4, 4)) and same_cell(t, (10, 0), (10, 4)) and same_cell(t, (11, 0), (11, 4))
    assert same_cell(t, (5, 0), (6, 0)) and not same_cell(t, (6, 0), (7, 0))
    assert same_cell(t, (7, 0), (9, 0))

    values = {
        (0, 2): "图书馆", (1, 2): "江苏理工学院图书馆 & 档案馆", (2, 2): "2018年9月1日", (2, 4): "12840",
        (3, 4): "江苏理工学院", (5, 2): "周文涛", (5, 4): "馆长／研究馆员", (6, 2): "13801500002",
        (6, 4): "0519-86950001", (7, 2): "吴静", (7, 4): "馆员", (8, 2): "13801500003", (8, 4): "0519-86950002",
        (9, 2): "wujing@example.edu.cn",
    }
    for (r, c), text in values.items():
        assert t.cell(r, c).text == text, (r, c)
    applicant = t.cell(10, 0).text
    assert applicant.startswith("申请单位意见：\n同意报备。\n请宣传部审核。")
    assert "直接责任人（签字）：吴静" in applicant and "单位负责人（签字）：周文涛" in applicant
    assert "单位盖章" in applicant and applicant.rstrip().endswith("2026年11月18日")
    filing = t.cell(11, 0).text
    assert filing.startswith("备案单位意见：\n已备案。")
    assert "单位负责人（签字）：孙立平" in filing and "单位盖章" in filing
    assert filing.rstrip().endswith("2026年11月25日")  # 17:30 UTC is the 25th in Beijing


@pytest.mark.parametrize(
    ("verified", "yes", "no"), [(True, "☑是", "☐否"), (False, "☐是", "☑否"), (None, "☐是", "☐否")]
)
def test_att2_real_name_check_mark(verified: bool | None, yes: str, no: str) -> None:
    cell = open_docx(render_document("att2", att2_context(verified), TEMPLATES)).tables[0].cell(3, 2).text
    assert yes in cell and no in cell and cell.count("☑") == (verified is not None)


def test_att2_blank_form() -> None:
    data = render_blank("att2", TEMPLATES)
    check_no_tags(data)
    t = open_docx(data).tables[0]
    for (r, c), text in ATT2_LABELS.items():
        assert norm(t.cell(r, c).text) == norm(text)
    assert norm(t.cell(3, 2).text) == "☐是☐否"
    assert norm(t.cell(10, 0).text) == "申请单位意见：直接责任人（签字）：________单位负责人（签字）：________单位盖章年月日"
    assert norm(t.cell(11, 0).text) == "备案单位意见：单位负责人（签字）：________单位盖章年月日"


# --- att3 ----------------------------------------------------------------------------------------


def test_att3_labels_layout_and_values() -> None:
    doc = open_docx(render_document("att3", att3_context(2), TEMPLATES))
    check_heading(doc, 3, "att3")
    check_page(doc, landscape=True)
    check_fonts(doc)
    (t,) = doc.tables
    assert [norm(c.text) for c in t.rows[0].cells] == [norm(h) for h in ATT3_HEADER]
    assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page
    assert len(t.rows) == 3
    first = [c.text for c in t.rows[1].cells]
    assert first[:8] == ["电气信息工程学院第一党支部", RARE_NAME, "群主1", "全体教职工", "10", LONG,
                         "仅发布工作信息，不点赞不回复", "学院日常工作需要"]
    assert t.cell(2, 0).text == "电气信息工程学院"  # the top-level unit when the row names none
    assert t.cell(1, 8).text == "57" and same_cell(t, (1, 8), (2, 8))  # one count, merged down the rows
    lines = [norm(p.text) for p in doc.paragraphs]
    body = "".join(lines)
    for line in ATT3_LINES:
        assert norm(line) in body
    assert "统计人签字：孙悦" in body and "单位（部门）负责人签字、盖章：李强" in body
    assert "二级党组织书记签字、盖章：陈红" in body and "填表日期：2026年11月25日" in body
    notes = [p for p in lines if p.startswith(("备注", "2.", "3."))]
    assert notes == [norm(n) for n in ATT3_LINES[:3]]


@pytest.mark.parametrize("n", [0, 1, 40])
def test_att3_one_row_per_group(n: int) -> None:
    t = open_docx(render_document("att3", att3_context(n), TEMPLATES)).tables[0]
    group_rows = [r for r in t.rows[1:] if r.cells[2].text.startswith("群主")]
    assert len(group_rows) == n
    if n == 0:  # a unit that keeps no group still reports its former count
        assert len(t.rows) == 2
        assert norm(t.cell(1, 1).text) == "（无保留的工作群组）" and t.cell(1, 8).text == "57"
    else:
        assert len(t.rows) == n + 1
        assert [r.cells[4].text for r in group_rows] == [str(10 + i) for i in range(n)]
        assert same_cell(t, (1, 8), (n, 8)) and t.cell(n, 8).text == "57"


def test_att3_blank_form() -> None:
    data = render_blank("att3", TEMPLATES)
    check_no_tags(data)
    doc = open_docx(data)
    t = doc.tables[0]
    assert [norm(c.text) for c in t.rows[0].cells] == [norm(h) for h in ATT3_HEADER]
    assert len(t.rows) == 9 and all(c.text == "" for r in t.rows[1:] for c in r.cells)
    body = norm("".join(p.text for p in doc.paragraphs))
    assert "统计人签字：________" in body and "填表日期：年月日" in body


# --- all kinds -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DOC_KINDS))
def test_missing_keys_render_empty(kind: str) -> None:
    for context in ({}, {"unit_head": None, "groups": None, "admins": None}):
        data = render_document(kind, context, TEMPLATES)
        check_no_tags(data)
        assert "None" not in document_xml(data) and "Undefined" not in document_xml(data)


@pytest.mark.parametrize("kind", list(DOC_KINDS))
def test_seals_sit_where_the_form_says_stamp(kind: str) -> None:
    context = {"att1": att1_context, "att2": att2_context, "att3": lambda: att3_context(1)}[kind]()
    plain = open_docx(render_document(kind, context, TEMPLATES))
    assert not list(plain.element.body.iter(qn("w:drawing")))
    doc = open_docx(render_document(kind, context, TEMPLATES, seal_png(), org_seal_png=seal_png(48)))
    drawings = list(doc.element.body.iter(qn("w:drawing")))
    assert len(drawings) == 2
    assert all(d.find(qn("wp:anchor")) is not None for d in drawings)  # floats behind the text
    holders = []
    for d in drawings:
        p = next(d.iterancestors(qn("w:p")))
        holders.append("".join(t.text or "" for t in p.iter(qn("w:t"))))
    assert all("盖章" in h for h in holders)
    if kind == "att1":
        t = doc.tables[0]
        assert list(t.cell(5, 1)._tc.iter(qn("w:drawing"))) and list(t.cell(6, 1)._tc.iter(qn("w:drawing")))


def test_bad_seal_and_unknown_kind_are_input_errors() -> None:
    with pytest.raises(InvalidInput):
        render_document("att1", {}, TEMPLATES, b"not an image")
    with pytest.raises(InvalidInput):
        render_document("att9", {}, TEMPLATES)


def test_control_characters_are_dropped_not_fatal() -> None:
    data = render_document("att1", {"group_name": "工作\x01群\x0b名"}, TEMPLATES)
    assert open_docx(data).tables[0].cell(1, 1).text == "工作群名"


def test_templates_folder_or_its_parent() -> None:
    data = render_document("att1", {"unit_name": "图书馆"}, ROOT / "templates")
    assert open_docx(data).tables[0].cell(0, 1).text == "图书馆"


def test_committed_templates_match_the_build_script(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_templates", TEMPLATES / "build_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name, _ in DOC_KINDS.values():
        for part in ("word/document.xml", "word/styles.xml", "word/fontTable.xml"):
            with zipfile.ZipFile(TEMPLATES / name) as a, zipfile.ZipFile(tmp_path / name) as b:
                assert a.read(part) == b.read(part), f"{name} {part}: re-run templates/docx/build_templates.py"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 11, 25), "2026年11月25日"),
        (date(2026, 1, 5), "2026年1月5日"),
        (datetime(2026, 11, 24, 16, 0, tzinfo=timezone.utc), "2026年11月25日"),
        (datetime(2026, 11, 25, 8, 0, tzinfo=timezone(timedelta(hours=8))), "2026年11月25日"),
        (datetime(2026, 11, 24, 15, 59), "2026年11月24日"),  # naive: UTC, as the database returns it
        ("2026-11-25", "2026年11月25日"),
        ("2026-11-24T20:00:00+00:00", "2026年11月25日"),
        ("十一月", "十一月"),
        (None, "    年  月  日"),
        ("", "    年  月  日"),
    ],
)
def test_date_cn(value, expected: str) -> None:
    assert date_cn(value) == expected


def test_bench_docx_reports_documents_per_second() -> None:
    assert bench_docx(TEMPLATES, n=3) > 0


def test_date_cn_in_another_zone() -> None:
    assert date_cn(datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc), tz="UTC") == "2026年11月24日"
