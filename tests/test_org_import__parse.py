"""parse_org_file: one flat table in .csv or .xlsx; every problem reported with row and Chinese column name."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from workflows.errors import InvalidImport
from workflows.services.org_import import COLUMNS, parse_org_file, parse_roles

GOOD = {
    "用户名": "zhangsan", "姓名": "张三", "单位": "计算机工程学院", "单位类型": "学院", "二级党组织": "计算机工程学院党委",
    "职务职称": "讲师", "角色": "", "移动电话": "13812345678", "固定电话": "0519-86953000",
    "电子邮箱": "zhangsan@jsut.edu.cn", "状态": "在职",
}


def person(username: str, **cells: str) -> dict[str, str]:
    return {**GOOD, "用户名": username, "电子邮箱": f"{username}@jsut.edu.cn", **cells}


def write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS,
              encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([row.get(c, "") for c in columns] for row in rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def errors_of(path: Path) -> set[tuple[int, str]]:
    with pytest.raises(InvalidImport) as caught:
        parse_org_file(path)
    return {(e.row, e.column) for e in caught.value.errors}


def test_valid_csv_rows_become_org_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "org.csv", [
        person("head_cs", 角色="单位(部门)负责人；statistician、 党委宣传部,party_org"),
        person("t2019", 单位="人事处", 单位类型="", 二级党组织="机关党委", 状态="调离", 移动电话=""),
    ])
    head, clerk = parse_org_file(path)
    assert (head.row, head.username, head.unit, head.unit_kind) == (2, "head_cs", "计算机工程学院", "college")
    assert head.roles == ("unit_head", "statistician", "propaganda", "party_org")
    assert head.status == "active" and head.mobile == "13812345678"
    assert (clerk.row, clerk.unit_kind, clerk.status, clerk.mobile, clerk.roles) == (3, None, "transferred", "", ())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "org.csv", [person("lisi", 姓名="李四", 角色="二级党组织书记")], encoding=encoding)
    (row,) = parse_org_file(path)
    assert (row.name, row.unit, row.party_org, row.roles) == ("李四", "计算机工程学院", "计算机工程学院党委", ("secretary",))


def test_xlsx_first_sheet_with_numeric_cells(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    sheet.append(["wangwu", "王五", "党委宣传部", "党群部门", "党群部门党总支", "科长", "党委宣传部", 13912345678,
                  None, "wangwu@jsut.edu.cn", None])
    sheet.append([None] * len(COLUMNS))  # blank rows are skipped
    sheet.append(["zhao_6", "赵六", "团委", "学生工作部门", "党群部门党总支", None, "tuanwei", 15900001111.0,
                  "0519-86953001", None, "离职"])
    book.create_sheet("说明").append(["ignored"])
    book.save(tmp_path / "org.xlsx")
    first, second = parse_org_file(tmp_path / "org.xlsx")
    assert (first.row, first.mobile, first.unit_kind, first.roles, first.status) == (2, "13912345678", "party_dept", ("propaganda",), "active")
    assert (second.row, second.mobile, second.unit_kind, second.status, second.title) == (4, "15900001111", "student_body", "left", "")


def test_bad_xlsx_rows_are_reported_like_csv(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(list(COLUMNS))
    book.active.append(["ok_1", "甲", "人事处", "机关部门", "机关党委", None, None, 12345, None, None, None])
    book.save(tmp_path / "org.xlsx")
    assert errors_of(tmp_path / "org.xlsx") == {(2, "移动电话")}


def test_one_bad_row_is_reported_with_row_number_and_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "org.csv", [person("aa"), person("bb", 移动电话="1381234567"), person("cc")])
    with pytest.raises(InvalidImport) as caught:
        parse_org_file(path)
    (error,) = caught.value.errors
    assert (error.row, error.column) == (3, "移动电话")
    assert "第3行「移动电话」" in caught.value.message and "未导入任何数据" in caught.value.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "org.csv", [
        person("ok_1"),
        person("bad_mobile", 移动电话="23812345678"),
        person("bad_mail", 电子邮箱="not-an-email"),
        person("bad_role", 角色="单位(部门)负责人、校长"),
        person("bad_status", 状态="退休"),
        person("OK_1"),  # same username as row 2, case-insensitively
        person("no_name", 姓名=""),
        person("bad kind", 单位类型="研究所", 电子邮箱=""),
        person("x", 单位="", 二级党组织=""),
    ])
    assert errors_of(path) == {
        (3, "移动电话"), (4, "电子邮箱"), (5, "角色"), (6, "状态"), (7, "用户名"), (8, "姓名"),
        (9, "用户名"), (9, "单位类型"), (10, "用户名"), (10, "单位"), (10, "二级党组织"),
    }


def test_a_unit_must_keep_one_party_org_and_one_kind(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "org.csv", [
        person("aa"), person("bb", 二级党组织="机关党委"), person("cc", 单位类型=""), person("dd", 单位类型="机关部门"),
    ])
    assert errors_of(path) == {(3, "二级党组织"), (5, "单位类型")}


def test_kind_stated_on_one_row_applies_to_the_unit(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "org.csv", [person("aa", 单位类型=""), person("bb")])
    assert [r.unit_kind for r in parse_org_file(path)] == ["college", "college"]


def test_header_problems_are_row_one(tmp_path: Path) -> None:
    columns = ("用户名", "姓名", "单位", "部门代码", "职务职称", "职务职称")
    path = write_csv(tmp_path / "org.csv", [person("aa")], columns=columns)
    assert errors_of(path) == {(1, "部门代码"), (1, "职务职称"), (1, "二级党组织")}


def test_absent_optional_columns_mean_keep(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "org.csv", [person("aa")], columns=("用户名", "姓名", "单位", "二级党组织"))
    (row,) = parse_org_file(path)
    assert (row.roles, row.title, row.mobile, row.email, row.status, row.unit_kind) == (None, None, None, None, None, None)


def test_pseudo_roles_cannot_be_assigned() -> None:
    assert parse_roles("申请人 owner student_body 学生工作主管部门") == ((), ["申请人", "owner", "student_body", "学生工作主管部门"])
    assert parse_roles("单位（部门）负责人 ADMIN；；") == (("unit_head", "admin"), [])


@pytest.mark.parametrize("name", ["org.txt", "org.xls", "org"])
def test_unsupported_file_type(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("用户名\n")
    with pytest.raises(InvalidImport) as caught:
        parse_org_file(tmp_path / name)
    assert "不支持的文件类型" in caught.value.message and caught.value.errors[0].row == 0


def test_empty_and_corrupt_files(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header_only.csv").write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    for name, text in (("empty.csv", "文件为空"), ("header_only.csv", "没有任何人员"), ("broken.xlsx", "无法读取")):
        with pytest.raises(InvalidImport) as caught:
            parse_org_file(tmp_path / name)
        assert text in caught.value.message
