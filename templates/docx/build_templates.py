"""Write the three form templates attached to 江理工委办〔2019〕138号 as docxtpl ``.docx`` files.

    .venv/bin/python templates/docx/build_templates.py [OUTPUT_DIR]   # default: this folder

The output is committed. An administrator may later edit the ``.docx`` files in Word or LibreOffice
(wording, widths, fonts) as long as each ``{{ ... }}`` / ``{% ... %}`` tag stays whole inside one run;
re-running this script overwrites such edits. The context keys the tags read are the data contract
documented in ``workflows/documents.py``.

Layout follows the attachments of the measures: 附件1 审批表 (4-column grid), 附件2 备案登记表
(5-column grid), 附件3 备案登记表 (9 columns, one row per group, landscape), all A4.
Parentheses and colons are full-width throughout, as in the measures' own text.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from docx import Document
from lxml import etree
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

HERE = Path(__file__).resolve().parent

LATIN_FONT = "Times New Roman"
BODY_FONT = "宋体"
TITLE_FONT = "方正小标宋简体"
LABEL_FONT = "黑体"  # the "附件N" mark, as in official documents
BODY_SIZE = 12  # 小四
TITLE_SIZE = 18  # 小二
MARK_SIZE = 16  # 三号

BLANK_NAME = "________"
# East-Asian fonts named in the documents, with the alternative names Word tries when one is missing.
FONT_TABLE = {
    BODY_FONT: ("SimSun", "02010600030101010101", "auto", "variable"),
    LABEL_FONT: ("SimHei", "02010609060101010101", "modern", "fixed"),
    TITLE_FONT: ("宋体", "02000000000000000000", "auto", "variable"),
}

CENTER = WD_ALIGN_PARAGRAPH.CENTER
LEFT = WD_ALIGN_PARAGRAPH.LEFT
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY
MIDDLE = WD_CELL_VERTICAL_ALIGNMENT.CENTER
TOP = WD_CELL_VERTICAL_ALIGNMENT.TOP


# --- document, fonts, paragraphs -------------------------------------------------------------


def _set_fonts(rpr: object, east_asia: str, size: float | None = None) -> None:
    """Name the East-Asian font (w:eastAsia) and the Latin one; drop theme fonts that would override them."""
    fonts = rpr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)  # type: ignore[attr-defined]
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:cs"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))  # type: ignore[attr-defined]
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)  # type: ignore[attr-defined]
            el.set(qn("w:val"), str(int(size * 2)))


def _font_table(doc: DocumentObject) -> None:
    part = next(p for p in doc.part.package.parts if str(p.partname) == "/word/fontTable.xml")
    root = parse_xml(part.blob)
    for name, (alt, panose, family, pitch) in FONT_TABLE.items():
        root.append(
            parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
                f'<w:panose1 w:val="{panose}"/><w:charset w:val="86"/><w:family w:val="{family}"/>'
                f'<w:pitch w:val="{pitch}"/></w:font>'
            )
        )
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def new_document(title: str, subject: str, *, landscape: bool, margins_mm: tuple[int, int, int, int]) -> DocumentObject:
    """An empty A4 document with Chinese default fonts (top, right, bottom, left margins in mm)."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    top, right, bottom, left = margins_mm
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = (
        Mm(top), Mm(right), Mm(bottom), Mm(left))
    section.header_distance = section.footer_distance = Mm(12)

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, BODY_FONT, BODY_SIZE)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    normal = doc.styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), BODY_FONT, BODY_SIZE)
    _font_table(doc)

    # Drop python-docx's stock thumbnail (a page that is not this form) and the Word 2010 legacy
    # stylesWithEffects copy of the styles (half the file, read and written on every render).
    for rels, suffix in ((doc.part.package.rels, "/metadata/thumbnail"), (doc.part.rels, "/stylesWithEffects")):
        for rid in [rid for rid, rel in rels.items() if rel.reltype.endswith(suffix)]:
            rels.pop(rid)
    props = doc.core_properties
    props.title, props.subject, props.author = title, subject, "groupgov"
    props.keywords, props.language, props.comments = "江理工委办〔2019〕138号", "zh-CN", ""
    props.last_modified_by, props.revision = "groupgov", 1
    props.created = props.modified = datetime(2019, 11, 29)
    return doc


def save(doc: DocumentObject, path: Path) -> None:
    """Save without the style definitions the form never uses: python-docx's stock styles.xml holds 164 of
    them (340 kB), and every render parses and re-writes the whole part (13 of the 21 ms a document took)."""
    styles = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    parts = [doc.part.element] + [rel.target_part.element for rel in doc.part.rels.values()
                                  if not rel.is_external and hasattr(rel.target_part, "element")]
    keep = {sid for sid, s in by_id.items() if s.get(qn("w:default")) == "1"}
    for element in parts:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle", "w:numStyleLink", "w:styleLink"):
            keep.update(e.get(qn("w:val")) for e in element.iter(qn(tag)))
    todo = list(keep)
    while todo:  # and every style those are based on, linked to or followed by
        style = by_id.get(todo.pop())
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = style.find(qn(tag)) if style is not None else None
            if ref is not None and ref.get(qn("w:val")) not in keep:
                keep.add(ref.get(qn("w:val")))
                todo.append(ref.get(qn("w:val")))
    for sid, style in by_id.items():
        if sid not in keep:
            styles.remove(style)
    doc.save(path)


def para(
    target: DocumentObject | _Cell,
    *runs: str,
    align: object = LEFT,
    font: str = BODY_FONT,
    size: float = BODY_SIZE,
    bold: bool = False,
    first_indent_chars: float = 0,
    left_indent_mm: float = 0,
    hanging_chars: float = 0,
    before_pt: float = 0,
    after_pt: float = 0,
    tab_stop_mm: float | None = None,
) -> Paragraph:
    """Add a paragraph; each string in ``runs`` becomes one run, so a Jinja tag never straddles two.

    In a cell the first, still empty paragraph is reused.
    """
    if isinstance(target, _Cell) and len(target.paragraphs) == 1 and not target.paragraphs[0].runs:
        p = target.paragraphs[0]
    else:
        p = target.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before_pt), Pt(after_pt)
    if left_indent_mm or hanging_chars:
        fmt.left_indent = Mm(left_indent_mm) if left_indent_mm else Pt(size * hanging_chars)
    if first_indent_chars:
        fmt.first_line_indent = Pt(size * first_indent_chars)
    if hanging_chars:
        fmt.first_line_indent = Pt(-size * hanging_chars)
    if tab_stop_mm is not None:
        fmt.tab_stops.add_tab_stop(Mm(tab_stop_mm), WD_TAB_ALIGNMENT.LEFT)
    for text in runs:
        run = p.add_run(text)
        run.bold = bold
        _set_fonts(run._r.get_or_add_rPr(), font, size)
    return p


def spacer(cell: _Cell, before_pt: float) -> None:
    """An empty line (plus ``before_pt``) above a signature line, so the line itself has no extra
    space before it and a seal centred on it lands on the text."""
    para(cell, "", before_pt=before_pt)


def heading(doc: DocumentObject, number: int, *title_lines: str) -> None:
    """The "附件N" mark at top left, then the form's title centred (one paragraph per original line)."""
    para(doc, f"附件{number}", font=LABEL_FONT, size=MARK_SIZE, after_pt=10)
    for i, line in enumerate(title_lines):
        last = i == len(title_lines) - 1
        para(doc, line, align=CENTER, font=TITLE_FONT, size=TITLE_SIZE, after_pt=14 if last else 0)


# --- tables ----------------------------------------------------------------------------------


def grid(doc: DocumentObject, rows: int, widths_mm: list[float]) -> Table:
    """A bordered table of fixed column widths, centred on the page."""
    table = doc.add_table(rows=rows, cols=len(widths_mm))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for col, width in zip(table.columns, widths_mm):
        col.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)
            cell.vertical_alignment = MIDDLE
    return table


def height(table: Table, row: int, mm: float, exact: bool = False) -> None:
    table.rows[row].height = Mm(mm)
    table.rows[row].height_rule = WD_ROW_HEIGHT_RULE.EXACTLY if exact else WD_ROW_HEIGHT_RULE.AT_LEAST


def merge(table: Table, r1: int, c1: int, r2: int, c2: int) -> _Cell:
    return table.cell(r1, c1).merge(table.cell(r2, c2))


def label(cell: _Cell, *lines: str) -> None:
    """A form label, centred; several lines where the original form breaks it."""
    for line in lines:
        para(cell, line, align=CENTER)
    cell.vertical_alignment = MIDDLE


def value(cell: _Cell, *lines: str, align: object = LEFT) -> None:
    """A value cell: one paragraph per line, each a single run (a tag or literal text)."""
    for line in lines:
        para(cell, line, align=align)
    cell.vertical_alignment = MIDDLE


def repeat_header(table: Table, row: int) -> None:
    trpr = table.rows[row]._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def no_split(table: Table, rows: range) -> None:
    """Keep these rows whole on one page (the opinion rows may split when a long opinion needs it)."""
    for row in (table.rows[i] for i in rows):
        el = OxmlElement("w:cantSplit")
        el.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(el)


def date_of(signer: str) -> str:
    return "{{ %s.date_cn }}" % signer


# --- 附件1 ------------------------------------------------------------------------------------


def build_att1(path: Path) -> None:
    """微信工作群、QQ工作群组审批表: label | value (3 columns merged), except 群主、管理员 | … | 联系方式 | …"""
    doc = new_document("微信工作群、QQ工作群组审批表", "江理工委办〔2019〕138号 附件1",
                       landscape=False, margins_mm=(25, 25, 22, 25))
    heading(doc, 1, "微信工作群、QQ工作群组审批表")
    t = grid(doc, 7, [36, 56, 24, 44])
    no_split(t, range(5))
    simple = [
        (("单位（部门）", "名称"), ("{{ unit_name }}",)),
        (("工作群名称",), ("{{ group_name }}",)),
        (("群类别（微信", "或QQ）与功能"), ("{{ group_kind_label }}", "{{ function }}")),
        (("人员规模", "与范围"), ("{% if member_count %}{{ member_count }}人{% endif %}", "{{ member_scope }}")),
    ]
    for row, (labels, values) in enumerate(simple):
        label(t.cell(row, 0), *labels)
        value(merge(t, row, 1, row, 3), *values)
        height(t, row, 15)
    label(t.cell(4, 0), "群主、管理员")
    value(t.cell(4, 1), "{% if owner_name %}群主：{{ owner_name }}{% endif %}",
          "{% if admins %}管理员：{{ admins }}{% endif %}")
    label(t.cell(4, 2), "联系方式")
    value(t.cell(4, 3), "{{ contact }}")
    height(t, 4, 15)
    for row, (labels, signer, seal) in enumerate(
        [(("单位（部门）", "负责人意见"), "unit_head", "seal"), (("二级党组织", "审批意见"), "party_org", "org_seal")],
        start=5,
    ):
        label(t.cell(row, 0), *labels)
        cell = merge(t, row, 1, row, 3)
        cell.vertical_alignment = TOP
        para(cell, "{{ %s.opinion or %s.decision_label }}" % (signer, signer), align=JUSTIFY,
             first_indent_chars=2, before_pt=6)
        spacer(cell, 36)
        if signer == "party_org":
            para(cell, "{{ party_org.org_name }}", left_indent_mm=62)
        else:
            spacer(cell, 0)
        para(cell, "签字、盖章：{{ %s.name }}" % signer, "{{ %s }}" % seal, left_indent_mm=62, before_pt=6)
        para(cell, date_of(signer), left_indent_mm=78, before_pt=6, after_pt=6)
        height(t, row, 64)
    save(doc, path)


# --- 附件2 ------------------------------------------------------------------------------------


def build_att2(path: Path) -> None:
    """二级单位（部门）官方微信公众号、QQ公众号备案登记表 on a 5-column grid.

    Columns: role | sub-label | value | sub-label | value. The top rows merge the first two columns
    into one label; 第一责任人 spans 2 rows and 管理员 3 rows; 人员信息 and the two opinions span all 5.
    """
    doc = new_document("二级单位（部门）官方微信公众号、QQ公众号备案登记表", "江理工委办〔2019〕138号 附件2",
                       landscape=False, margins_mm=(25, 25, 22, 25))
    heading(doc, 2, "二级单位（部门）", "官方微信公众号、QQ公众号备案登记表")
    t = grid(doc, 12, [26, 22, 42, 28, 42])
    no_split(t, range(10))
    label(merge(t, 0, 0, 0, 1), "单位（部门）名称")
    value(merge(t, 0, 2, 0, 4), "{{ unit_name }}")
    label(merge(t, 1, 0, 1, 1), "公众号名称")
    value(merge(t, 1, 2, 1, 4), "{{ account_name }}")
    label(merge(t, 2, 0, 2, 1), "开通日期")
    value(t.cell(2, 2), "{{ open_date_cn }}")
    label(t.cell(2, 3), "关注量")
    value(t.cell(2, 4), "{{ followers }}")
    label(merge(t, 3, 0, 3, 1), "实名认证情况")
    value(t.cell(3, 2), "{{ '☑' if real_name_verified is sameas true else '☐' }}是　　"
                        "{{ '☑' if real_name_verified is sameas false else '☐' }}否", align=CENTER)
    label(t.cell(3, 3), "认证实名或", "注册账号名")
    value(t.cell(3, 4), "{{ registered_name }}")
    label(merge(t, 4, 0, 4, 4), "人员信息")
    for first, role, key, rows in ((5, "第一责任人", "first_responsible", 2), (7, "管理员", "admin", 3)):
        label(merge(t, first, 0, first + rows - 1, 0), role)
        label(t.cell(first, 1), "姓名")
        value(t.cell(first, 2), "{{ %s.name }}" % key)
        label(t.cell(first, 3), "职务职称")
        value(t.cell(first, 4), "{{ %s.title }}" % key)
        label(t.cell(first + 1, 1), "移动电话")
        value(t.cell(first + 1, 2), "{{ %s.mobile }}" % key)
        label(t.cell(first + 1, 3), "固定电话")
        value(t.cell(first + 1, 4), "{{ %s.landline }}" % key)
    label(t.cell(9, 1), "Email")
    value(merge(t, 9, 2, 9, 4), "{{ admin.email }}")
    for row in range(10):
        height(t, row, 10.5)

    applicant = merge(t, 10, 0, 10, 4)
    applicant.vertical_alignment = TOP
    para(applicant, "申请单位意见：", before_pt=6)
    para(applicant, "{{ unit_head.opinion }}", align=JUSTIFY, first_indent_chars=2, before_pt=4)
    spacer(applicant, 18)
    para(applicant, "直接责任人（签字）：{{ direct_responsible.name or '%s' }}　" % BLANK_NAME,
         "单位负责人（签字）：{{ unit_head.name or '%s' }}　单位盖章" % BLANK_NAME, "{{ seal }}")
    para(applicant, date_of("unit_head"), align=RIGHT, before_pt=6, after_pt=6)
    filing = merge(t, 11, 0, 11, 4)
    filing.vertical_alignment = TOP
    para(filing, "备案单位意见：", before_pt=6)
    para(filing, "{{ propaganda.opinion }}", align=JUSTIFY, first_indent_chars=2, before_pt=4)
    spacer(filing, 18)
    para(filing, "单位负责人（签字）：{{ propaganda.name or '%s' }}　单位盖章" % BLANK_NAME, "{{ org_seal }}",
         align=RIGHT)
    para(filing, date_of("propaganda"), align=RIGHT, before_pt=6, after_pt=6)
    height(t, 10, 47)
    height(t, 11, 47)
    save(doc, path)


# --- 附件3 ------------------------------------------------------------------------------------

ATT3_COLUMNS = [
    ("单位（部门）", 30, "{{ g.unit_name or unit_name }}"),
    ("工作群名称", 32, "{{ g.group_name }}"),
    ("群主", 18, "{{ g.owner_name }}"),
    ("人员范围", 30, "{{ g.member_scope }}"),
    ("人数", 14, "{{ g.member_count }}"),
    ("群功能", 33, "{{ g.function }}"),
    ("群信息发布规则", 37, "{{ g.posting_rules }}"),
    ("保留依据", 33, "{{ g.retention_basis }}"),
    ("本单位（部门）原有工作群组的数量", 30, "{% vm %}{{ original_count }}"),
]
ATT3_NOTES = [
    "1.请各单位（部门）如实填报表格信息；",
    "2.党的各级组织在单位（部门）栏目填写具体名称；",
    "3.备案登记表在二级党组织留存备查。",
]


def build_att3(path: Path) -> None:
    """微信工作群、QQ工作群组备案登记表, landscape: a header row, then one row per group.

    Rows 1-5 are docxtpl row tags: ``{%tr for g in groups %}``, the row repeated per group (its last
    cell vertically merged over all of them, ``{% vm %}``), ``{%tr else %}``, a single row shown when
    the unit keeps no group, ``{%tr endfor %}``.
    """
    doc = new_document("微信工作群、QQ工作群组备案登记表", "江理工委办〔2019〕138号 附件3",
                       landscape=True, margins_mm=(22, 20, 18, 20))
    heading(doc, 3, "微信工作群、QQ工作群组备案登记表")
    widths = [w for _, w, _ in ATT3_COLUMNS]
    t = grid(doc, 6, widths)
    for col, (name, _, _) in enumerate(ATT3_COLUMNS):
        label(t.cell(0, col), name)
    repeat_header(t, 0)
    height(t, 0, 14)
    para(merge(t, 1, 0, 1, 8), "{%tr for g in groups %}")
    for col, (_, _, tag) in enumerate(ATT3_COLUMNS):
        value(t.cell(2, col), tag, align=CENTER if col in (2, 4, 8) else LEFT)
    height(t, 2, 10)
    para(merge(t, 3, 0, 3, 8), "{%tr else %}")
    value(t.cell(4, 0), "{{ unit_name }}")
    value(merge(t, 4, 1, 4, 7), "（无保留的工作群组）", align=CENTER)
    value(t.cell(4, 8), "{{ original_count }}", align=CENTER)
    height(t, 4, 10)
    para(merge(t, 5, 0, 5, 8), "{%tr endfor %}")
    no_split(t, range(1, 6))

    para(doc, "备注：", ATT3_NOTES[0], hanging_chars=3, before_pt=6)
    for note in ATT3_NOTES[1:]:
        para(doc, note, hanging_chars=0, left_indent_mm=BODY_SIZE * 3 * 25.4 / 72)
    para(doc, "统计人签字：{{ statistician.name or '%s' }}\t" % BLANK_NAME,
         "单位（部门）负责人签字、盖章：{{ unit_head.name or '%s' }}" % BLANK_NAME, "{{ seal }}",
         before_pt=10, tab_stop_mm=100)
    para(doc, "二级党组织书记签字、盖章：{{ party_secretary.name or '%s' }}" % BLANK_NAME, "{{ org_seal }}",
         "\t填表日期：{{ fill_date_cn }}", before_pt=10, tab_stop_mm=165)
    save(doc, path)


BUILDERS = {
    "att1_group_approval.docx": build_att1,
    "att2_account_filing.docx": build_att2,
    "att3_group_registration.docx": build_att3,
}


def main(out_dir: Path = HERE) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in BUILDERS.items():
        build(out_dir / name)
        written.append(out_dir / name)
    return written


if __name__ == "__main__":
    for written_path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(written_path)
