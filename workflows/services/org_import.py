"""Import the staff roster: Party organisations, units, people and their roles (measures art. 1, 5, 8, 9, 11).

One flat table, ``.csv`` (UTF-8 with or without BOM, else GB18030) or ``.xlsx`` (first sheet), header in row 1
with the Chinese column names of :data:`COLUMNS`. The file is authoritative for the people and units it names;
people it does not name are left alone.

Contracts:

- :func:`parse_org_file` checks every row and raises :class:`InvalidImport` listing ALL problems (row numbers as
  a spreadsheet shows them, header = row 1; row 0 means the file as a whole). It touches no database.
- :func:`apply_org_rows` upserts and flushes but never commits; the caller owns the transaction.
- :func:`import_org_file` is the use case: all or nothing, in one unit of work.
- An optional column that is absent from the header leaves that attribute of existing people unchanged (a file
  without 角色 keeps everyone's roles); a blank cell in a present column clears it, except 状态 (blank = 在职)
  and 单位类型 (blank = as stated on another row of the unit, or unchanged, or 机关部门 for a new unit).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..db import unit_of_work
from ..errors import InvalidImport, RowError
from ..models import PartyOrg, Person, RoleAssignment, Unit
from ..roles import ROLE_BY_LABEL, ROLES, scope_for

COLUMNS: tuple[str, ...] = (
    "用户名", "姓名", "单位", "单位类型", "二级党组织", "职务职称", "角色", "移动电话", "固定电话", "电子邮箱", "状态",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("用户名", "姓名", "单位", "二级党组织")
UNIT_KINDS: dict[str, str] = {"学院": "college", "机关部门": "office", "党群部门": "party_dept", "学生工作部门": "student_body"}
STATUSES: dict[str, str] = {"在职": "active", "调离": "transferred", "离职": "left"}
PSEUDO_ROLES = frozenset({"applicant", "owner", "student_body"})  # resolved per instance, never assigned
ASSIGNABLE_ROLES: tuple[str, ...] = tuple(code for code in ROLES if code not in PSEUDO_ROLES)

USERNAME = re.compile(r"[A-Za-z0-9_.-]{2,64}")
MOBILE = re.compile(r"1\d{10}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ROLE_SEPARATORS = re.compile(r"[；;、,，\s]+")
MAX_LENGTH = {"姓名": 50, "单位": 100, "二级党组织": 100, "职务职称": 100, "固定电话": 30, "电子邮箱": 120}


@dataclass(frozen=True)
class OrgRow:
    """One valid person row. ``None`` means "column absent from the file: keep what the database has"."""

    row: int
    username: str
    name: str
    unit: str
    party_org: str
    unit_kind: str | None  # agreed over all rows of the unit; None = stated nowhere
    title: str | None = None
    roles: tuple[str, ...] | None = None  # role codes
    mobile: str | None = None
    landline: str | None = None
    email: str | None = None
    status: str | None = None  # active / transferred / left


@dataclass
class ImportReport:
    """What an import changed. ``transferred`` / ``departed`` are ids of people already in the database whose
    unit changed or whose status became 调离 / whose status became 离职 (a person is in at most one list)."""

    orgs_created: int = 0
    units_created: int = 0
    units_updated: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    transferred: list[int] = field(default_factory=list)
    departed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """One line for the console or a flash message."""
        return (f"二级党组织新增 {self.orgs_created} 个；单位新增 {self.units_created} 个、更新 {self.units_updated} 个；"
                f"人员新增 {self.people_created} 人、更新 {self.people_updated} 人、未变 {self.people_unchanged} 人；"
                f"调动 {len(self.transferred)} 人，离职 {len(self.departed)} 人")


# ---------------------------------------------------------------- reading


def _file_error(message: str) -> InvalidImport:
    exc = InvalidImport([RowError(0, "文件", message)])
    exc.message = f"导入失败，未导入任何数据：{message}"
    exc.args = (exc.message,)
    return exc


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a mobile number typed into Excel arrives as 13812345678.0
    return str(value).strip()


def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise _file_error("无法识别文件编码，请以 UTF-8 或 GB18030（GBK）编码保存 CSV") from None
    try:
        return [[_cell(c) for c in record] for record in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise _file_error(f"CSV 格式错误：{exc}") from None


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _file_error("无法读取 Excel 文件，请确认是 .xlsx 格式且未损坏") from None
    try:
        if not workbook.worksheets:
            return []
        return [[_cell(c) for c in values] for values in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_table(path: str | Path) -> list[list[str]]:
    """All rows of the file as stripped strings (row 1 = header). Raises InvalidImport for unreadable files."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _file_error(f"不支持的文件类型“{suffix or path.name}”，请上传 .xlsx 或 .csv 文件")
    if not path.is_file():
        raise _file_error(f"找不到文件“{path}”")
    return _read_csv(path) if suffix == ".csv" else _read_xlsx(path)


# ---------------------------------------------------------------- validating


def _header(cells: list[str], errors: list[RowError]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(cells):
        if not name:
            continue  # empty trailing header cells are common in spreadsheets
        if name not in COLUMNS:
            errors.append(RowError(1, name, f"未知的列，可用的列为：{'、'.join(COLUMNS)}"))
        elif name in index:
            errors.append(RowError(1, name, "列名重复"))
        else:
            index[name] = i
    for name in REQUIRED_COLUMNS:
        if name not in index:
            errors.append(RowError(1, name, "缺少必填列"))
    return index


def parse_roles(text: str) -> tuple[tuple[str, ...], list[str]]:
    """Role codes from a 角色 cell (labels or codes, separated by ；;、, or spaces) and the unknown tokens."""
    codes: list[str] = []
    unknown: list[str] = []
    for token in ROLE_SEPARATORS.split(text):
        if not token:
            continue
        normal = token.replace("（", "(").replace("）", ")")
        code = ROLE_BY_LABEL.get(normal) or (normal.lower() if normal.lower() in ROLES else None)
        if code is None or code in PSEUDO_ROLES:
            unknown.append(token)
        elif code not in codes:
            codes.append(code)
    return tuple(codes), unknown


def _check_row(number: int, get: Callable[[str], str], has: Callable[[str], bool], errors: list[RowError]) -> dict[str, Any]:
    """Field values of one row (Chinese column -> value); appends its problems to ``errors``."""
    add = lambda column, message: errors.append(RowError(number, column, message))  # noqa: E731
    values: dict[str, Any] = {}
    for column in REQUIRED_COLUMNS:
        if has(column) and not get(column):  # a missing column is reported once, on the header
            add(column, "不能为空")
    username = get("用户名")
    if username and not USERNAME.fullmatch(username):
        add("用户名", "只能包含字母、数字、下划线、点和减号，长度 2-64 个字符")
    for column, limit in MAX_LENGTH.items():
        if len(get(column)) > limit:
            add(column, f"不能超过 {limit} 个字符")
    kind = get("单位类型")
    if kind and kind not in UNIT_KINDS and kind not in UNIT_KINDS.values():
        add("单位类型", f"“{kind}”无效，应为{'、'.join(UNIT_KINDS)}之一")
    values["单位类型"] = UNIT_KINDS.get(kind, kind) or None
    if has("角色"):
        codes, unknown = parse_roles(get("角色"))
        if unknown:
            add("角色", f"未知的角色：{'、'.join(unknown)}")
        values["角色"] = codes
    mobile = re.sub(r"[\s-]", "", get("移动电话"))
    if mobile and not MOBILE.fullmatch(mobile):
        add("移动电话", f"“{get('移动电话')}”不是有效的手机号（11 位数字，以 1 开头）")
    values["移动电话"] = mobile
    email = get("电子邮箱")
    if email and not EMAIL.fullmatch(email):
        add("电子邮箱", f"“{email}”不是有效的电子邮箱地址")
    status = get("状态") or "在职"
    if status not in STATUSES and status not in STATUSES.values():
        add("状态", f"“{status}”无效，应为{'、'.join(STATUSES)}之一")
    values["状态"] = STATUSES.get(status, status)
    return values


def _check_units(rows: list[tuple[int, dict[str, str], dict[str, Any]]], errors: list[RowError]) -> dict[str, str | None]:
    """Every row of a unit must name the same 二级党组织 and 单位类型. Returns unit -> agreed kind."""
    first_org: dict[str, tuple[int, str]] = {}
    first_kind: dict[str, tuple[int, str]] = {}
    for number, cells, values in rows:
        unit, org, kind = cells.get("单位", ""), cells.get("二级党组织", ""), values["单位类型"]
        if not unit:
            continue
        if org:
            seen = first_org.setdefault(unit, (number, org))
            if seen[1] != org:
                errors.append(RowError(number, "二级党组织", f"单位“{unit}”在第{seen[0]}行属于“{seen[1]}”，此处为“{org}”，同一单位只能属于一个二级党组织"))
        if kind:
            seen = first_kind.setdefault(unit, (number, kind))
            if seen[1] != kind:
                errors.append(RowError(number, "单位类型", f"单位“{unit}”在第{seen[0]}行的单位类型与此处不一致"))
    return {unit: kind for unit, (_, kind) in first_kind.items()}


def parse_org_file(path: str | Path) -> list[OrgRow]:
    """Read and validate an org file; raise InvalidImport with every problem found, or return all rows.

    Blank rows are skipped (they still count for row numbers).
    """
    table = read_table(path)
    errors: list[RowError] = []
    if not table or not any(table[0]):
        raise _file_error("文件为空或第 1 行不是表头")
    index = _header(table[0], errors)
    checked: list[tuple[int, dict[str, str], dict[str, Any]]] = []
    first_row_of: dict[str, int] = {}
    for number, record in enumerate(table[1:], start=2):
        if not any(record):
            continue
        cells = {name: (record[i] if i < len(record) else "") for name, i in index.items()}
        get = lambda column: cells.get(column, "")  # noqa: E731
        values = _check_row(number, get, lambda column: column in index, errors)
        username = cells.get("用户名", "")
        if username:
            first = first_row_of.setdefault(username.lower(), number)
            if first != number:
                errors.append(RowError(number, "用户名", f"“{username}”与第{first}行重复"))
        checked.append((number, cells, values))
    kinds = _check_units(checked, errors)
    if not checked and not errors:
        raise _file_error("文件中没有任何人员数据")
    if errors:
        raise InvalidImport(sorted(errors, key=lambda e: e.row))
    optional = lambda cells, column: cells[column] if column in index else None  # noqa: E731
    return [
        OrgRow(
            row=number, username=cells["用户名"], name=cells["姓名"], unit=cells["单位"],
            party_org=cells["二级党组织"], unit_kind=kinds.get(cells["单位"]),
            title=optional(cells, "职务职称"), roles=values.get("角色"),
            mobile=values["移动电话"] if "移动电话" in index else None,
            landline=optional(cells, "固定电话"), email=optional(cells, "电子邮箱"),
            status=values["状态"] if "状态" in index else None,
        )
        for number, cells, values in checked
    ]


# ---------------------------------------------------------------- applying


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _by_name(session: Session, model: Any, names: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for chunk in _chunks(sorted(names)):
        found.update({obj.name: obj for obj in session.scalars(select(model).where(model.name.in_(chunk)))})
    return found


def _upsert_structure(session: Session, rows: list[OrgRow], report: ImportReport) -> dict[str, Unit]:
    orgs = _by_name(session, PartyOrg, {r.party_org for r in rows})
    for name in sorted({r.party_org for r in rows} - orgs.keys()):
        orgs[name] = PartyOrg(name=name)
        session.add(orgs[name])
        report.orgs_created += 1
    session.flush()
    units = _by_name(session, Unit, {r.unit for r in rows})
    for r in rows:
        unit, org = units.get(r.unit), orgs[r.party_org]
        if unit is None:
            units[r.unit] = Unit(name=r.unit, kind=r.unit_kind or "office", party_org_id=org.id, party_org=org)
            session.add(units[r.unit])
            report.units_created += 1
        elif unit.party_org_id != org.id or (r.unit_kind and unit.kind != r.unit_kind):
            unit.party_org_id, unit.party_org = org.id, org
            unit.kind = r.unit_kind or unit.kind
            report.units_updated += 1
    session.flush()
    return units


def _sync_roles(person: Person, row: OrgRow, unit: Unit) -> bool:
    """Make the person's assignments exactly the row's roles; only the difference is written (unique key)."""
    if row.roles is None:
        return False
    wanted = {(code, scope_for(code, unit.id, unit.party_org_id)) for code in row.roles}
    current = {(a.role, a.scope): a for a in person.roles}
    stale = [a for key, a in current.items() if key not in wanted]
    for assignment in stale:
        person.roles.remove(assignment)
    for role, scope in sorted(wanted - current.keys()):
        person.roles.append(RoleAssignment(role=role, scope=scope))
    return bool(stale) or bool(wanted - current.keys())


def apply_org_rows(session: Session, rows: list[OrgRow]) -> ImportReport:
    """Upsert orgs, units, people and roles from validated rows. Flushes, never commits.

    Idempotent: applying the same rows again changes nothing and reports no transfers or departures.
    """
    report = ImportReport()
    if not rows:
        return report
    units = _upsert_structure(session, rows, report)
    people: dict[str, Person] = {}
    for chunk in _chunks([r.username for r in rows]):
        people.update({p.username: p for p in session.scalars(select(Person).where(Person.username.in_(chunk)))})
    for row in rows:
        unit = units[row.unit]
        person = people.get(row.username)
        if person is None:
            person = Person(username=row.username, name=row.name, unit_id=unit.id, unit=unit, status=row.status or "active",
                            title=row.title or "", mobile=row.mobile or "", landline=row.landline or "", email=row.email or "")
            session.add(person)
            _sync_roles(person, row, unit)
            report.people_created += 1
            continue
        old_unit, old_status = person.unit_id, person.status
        changes = {"name": row.name, "unit_id": unit.id, "title": row.title, "mobile": row.mobile,
                   "landline": row.landline, "email": row.email, "status": row.status}
        changed = False
        for attr, value in changes.items():
            if value is not None and getattr(person, attr) != value:
                setattr(person, attr, value)
                changed = True
        if person.unit_id != old_unit:
            person.unit = unit
        changed = _sync_roles(person, row, unit) or changed
        report.people_updated += changed
        report.people_unchanged += not changed
        if person.status == "left" and old_status != "left":
            report.departed.append(person.id)
        elif person.unit_id != old_unit or (person.status == "transferred" and old_status != "transferred"):
            report.transferred.append(person.id)
    session.flush()
    return report


def import_org_file(path: str | Path, engine: Engine | None = None) -> ImportReport:
    """Use case ``groupgov org import FILE``: validate the whole file, then apply it in one transaction.

    Raises InvalidImport (nothing written) when any row is bad. ``engine`` defaults to the configured database.
    The caller reacts to ``transferred`` / ``departed`` (e.g. starts member-exit or owner-change processes).
    """
    rows = parse_org_file(path)
    with unit_of_work(engine=engine) as session:
        return apply_org_rows(session, rows)
