"""apply_org_rows / import_org_file / load_demo against a real SQLite file: upserts, roles, transfers, atomicity."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select

from workflows.db import make_engine, unit_of_work
from workflows.demo import UNIVERSITY_CSV
from workflows.demo.generate import write_csv as generate_demo_csv
from workflows.errors import InvalidImport
from workflows.models import Base, PartyOrg, Person, RoleAssignment, Unit
from workflows.security import verify_password
from workflows.services import org_import
from workflows.services.demo import load_demo
from workflows.services.org_import import COLUMNS, apply_org_rows, import_org_file, parse_org_file


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path}/t.sqlite3")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def row(username: str, unit: str = "计算机工程学院", org: str = "计算机工程学院党委", kind: str = "学院",
        roles: str = "", status: str = "在职", name: str = "张三") -> dict[str, str]:
    return {"用户名": username, "姓名": name, "单位": unit, "单位类型": kind, "二级党组织": org, "职务职称": "讲师",
            "角色": roles, "移动电话": "13812345678", "固定电话": "", "电子邮箱": f"{username}@jsut.edu.cn", "状态": status}


BASE = [
    row("head_cs", roles="单位(部门)负责人"),
    row("party_cs", roles="二级党组织审批人、二级党组织书记"),
    row("teacher", roles=""),
    row("pro", unit="党委宣传部", org="党群部门党总支", kind="党群部门", roles="党委宣传部；统计人"),
]


def write(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> Path:
    if path.suffix == ".xlsx":
        book = Workbook()
        book.active.append(list(columns))
        for r in rows:
            book.active.append([r.get(c, "") for c in columns])
        book.save(path)
        return path
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([r.get(c, "") for c in columns] for r in rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def counts(engine: Engine) -> tuple[int, ...]:
    with unit_of_work(write=False, engine=engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (PartyOrg, Unit, Person, RoleAssignment))


def person(engine: Engine, username: str) -> tuple[SimpleNamespace, set[tuple[str, str]]]:
    """A detached snapshot of one person (unit, unit kind and Party org by name) and their (role, scope)s."""
    with unit_of_work(write=False, engine=engine) as s:
        p = s.scalars(select(Person).where(Person.username == username)).one()
        snapshot = SimpleNamespace(id=p.id, name=p.name, status=p.status, mobile=p.mobile, password_hash=p.password_hash,
                                   unit=p.unit.name, kind=p.unit.kind, org=p.unit.party_org.name)
        return snapshot, {(a.role, a.scope) for a in p.roles}


def scopes(engine: Engine, unit: str) -> tuple[str, str]:
    with unit_of_work(write=False, engine=engine) as s:
        u = s.scalars(select(Unit).where(Unit.name == unit)).one()
        return f"unit:{u.id}", f"org:{u.party_org_id}"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_import_creates_orgs_units_people_and_scoped_roles(engine: Engine, tmp_path: Path, suffix: str) -> None:
    report = import_org_file(write(tmp_path / f"org{suffix}", BASE), engine=engine)
    assert (report.orgs_created, report.units_created, report.people_created) == (2, 2, 4)
    assert (report.transferred, report.departed) == ([], [])
    assert counts(engine) == (2, 2, 4, 5)
    cs_unit, cs_org = scopes(engine, "计算机工程学院")
    pro_unit, _ = scopes(engine, "党委宣传部")
    assert person(engine, "head_cs")[1] == {("unit_head", cs_unit)}
    assert person(engine, "party_cs")[1] == {("party_org", cs_org), ("secretary", cs_org)}
    assert person(engine, "pro")[1] == {("propaganda", ""), ("statistician", pro_unit)}
    teacher, roles = person(engine, "teacher")
    assert (roles, teacher.status, teacher.mobile, teacher.kind, teacher.org) == (
        set(), "active", "13812345678", "college", "计算机工程学院党委")


def test_reimport_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "org.csv", BASE)
    import_org_file(path, engine=engine)
    before = counts(engine)
    again = import_org_file(path, engine=engine)
    assert (again.orgs_created, again.units_created, again.units_updated, again.people_created, again.people_updated) == (0,) * 5
    assert (again.people_unchanged, again.transferred, again.departed) == (4, [], [])
    assert counts(engine) == before


def test_moved_person_is_transferred_exactly_once_and_roles_follow(engine: Engine, tmp_path: Path) -> None:
    import_org_file(write(tmp_path / "v1.csv", BASE), engine=engine)
    moved = BASE[:2] + [row("teacher", unit="人事处", org="机关党委", kind="机关部门", roles="统计人")] + BASE[3:]
    first = import_org_file(write(tmp_path / "v2.csv", moved), engine=engine)
    teacher, roles = person(engine, "teacher")
    assert (first.transferred, first.departed, first.units_created, first.orgs_created) == ([teacher.id], [], 1, 1)
    assert teacher.unit == "人事处" and roles == {("statistician", scopes(engine, "人事处")[0])}
    second = import_org_file(write(tmp_path / "v2.csv", moved), engine=engine)
    assert (second.transferred, second.departed) == ([], [])


def test_status_changes_are_reported_once(engine: Engine, tmp_path: Path) -> None:
    import_org_file(write(tmp_path / "v1.csv", BASE), engine=engine)
    changed = [BASE[0], row("party_cs", status="调离", roles="二级党组织审批人、二级党组织书记"), row("teacher", status="离职"), BASE[3]]
    report = import_org_file(write(tmp_path / "v2.csv", changed), engine=engine)
    assert (report.transferred, report.departed) == ([person(engine, "party_cs")[0].id], [person(engine, "teacher")[0].id])
    assert person(engine, "teacher")[0].status == "left"
    repeat = import_org_file(write(tmp_path / "v2.csv", changed), engine=engine)
    assert (repeat.transferred, repeat.departed) == ([], [])


def test_roles_are_replaced_and_absent_people_left_alone(engine: Engine, tmp_path: Path) -> None:
    import_org_file(write(tmp_path / "v1.csv", BASE), engine=engine)
    report = import_org_file(write(tmp_path / "v2.csv", [row("party_cs", roles="secretary admin")]), engine=engine)
    assert (report.people_updated, report.people_unchanged) == (1, 0)
    _, cs_org = scopes(engine, "计算机工程学院")
    assert person(engine, "party_cs")[1] == {("secretary", cs_org), ("admin", "")}
    assert person(engine, "head_cs")[1] == {("unit_head", scopes(engine, "计算机工程学院")[0])}
    assert counts(engine)[2] == 4


def test_file_without_optional_columns_keeps_roles_and_contacts(engine: Engine, tmp_path: Path) -> None:
    import_org_file(write(tmp_path / "v1.csv", BASE), engine=engine)
    minimal = ("用户名", "姓名", "单位", "二级党组织")
    report = import_org_file(write(tmp_path / "v2.csv", [row("head_cs", name="张大三")], columns=minimal), engine=engine)
    head, roles = person(engine, "head_cs")
    assert report.people_updated == 1 and head.name == "张大三" and head.mobile == "13812345678"
    assert roles == {("unit_head", scopes(engine, "计算机工程学院")[0])} and head.kind == "college"


def test_nothing_is_imported_when_one_row_is_bad(engine: Engine, tmp_path: Path) -> None:
    import_org_file(write(tmp_path / "v1.csv", BASE), engine=engine)
    before = counts(engine)
    bad = [row("head_cs", name="改名"), row("new_one", unit="新单位", org="新党委"), row("bad", status="退休")]
    with pytest.raises(InvalidImport) as caught:
        import_org_file(write(tmp_path / "v2.csv", bad), engine=engine)
    assert [(e.row, e.column) for e in caught.value.errors] == [(4, "状态")]
    assert counts(engine) == before and person(engine, "head_cs")[0].name == "张三"


def test_failure_while_applying_rolls_everything_back(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def apply_then_fail(session, rows):  # type: ignore[no-untyped-def]
        apply_org_rows(session, rows)
        raise RuntimeError("boom")

    monkeypatch.setattr(org_import, "apply_org_rows", apply_then_fail)
    with pytest.raises(RuntimeError):
        import_org_file(write(tmp_path / "org.csv", BASE), engine=engine)
    assert counts(engine) == (0, 0, 0, 0)


def test_apply_never_commits(engine: Engine, tmp_path: Path) -> None:
    rows = parse_org_file(write(tmp_path / "org.csv", BASE))
    with unit_of_work(write=False, engine=engine) as session:  # write=False rolls back at the end
        assert apply_org_rows(session, rows).people_created == 4
    assert counts(engine) == (0, 0, 0, 0)


# ---------------------------------------------------------------- the demo university

FIXED = {
    "admin": ("党委办公室", {"admin", "party_office", "process_owner"}),
    "staff_cs": ("计算机工程学院", set()),
    "head_cs": ("计算机工程学院", {"unit_head"}),
    "party_cs": ("计算机工程学院", {"party_org"}),
    "secretary_cs": ("计算机工程学院", {"secretary"}),
    "stats_cs": ("计算机工程学院", {"statistician"}),
    "propaganda": ("党委宣传部", {"propaganda"}),
    "discipline": ("纪委办公室", {"discipline"}),
    "xuegong": ("党委学生工作部", {"xuegong"}),
    "yangong": ("党委研究生工作部", {"yangong"}),
    "tuanwei": ("团委", {"tuanwei"}),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo')}/t.sqlite3")
    Base.metadata.create_all(engine)
    report = load_demo(engine)
    assert (report.orgs_created, report.units_created) == counts(engine)[:2]
    yield engine
    engine.dispose()


def test_demo_fixed_accounts_roles_scopes_and_password(demo: Engine) -> None:
    cs_unit, cs_org = scopes(demo, "计算机工程学院")
    expected_scope = {"unit_head": cs_unit, "statistician": cs_unit, "party_org": cs_org, "secretary": cs_org}
    for username, (unit, roles) in FIXED.items():
        p, held = person(demo, username)
        assert p.unit == unit and p.status == "active", username
        assert held == {(r, expected_scope.get(r, "")) for r in roles}, username
    admin, _ = person(demo, "admin")
    assert verify_password("demo", admin.password_hash) and not verify_password("wrong", admin.password_hash)
    with unit_of_work(write=False, engine=demo) as s:
        assert set(s.scalars(select(Person.password_hash))) == {admin.password_hash}
    assert person(demo, "party_cs")[0].org == "计算机工程学院党委"


def test_demo_every_unit_and_org_can_route(demo: Engine) -> None:
    with unit_of_work(write=False, engine=demo) as s:
        units = [(u.id, u.name, u.kind) for u in s.scalars(select(Unit))]
        orgs = [(o.id, o.name) for o in s.scalars(select(PartyOrg))]
        held = [(a.role, a.scope) for a in s.scalars(select(RoleAssignment))]
        people = s.scalar(select(func.count()).select_from(Person))
    kinds = {kind for _, _, kind in units}
    assert 28 <= len(units) <= 36 and 300 <= people <= 400 and kinds == {"college", "office", "party_dept", "student_body"}
    for unit_id, name, _ in units:
        assert held.count(("unit_head", f"unit:{unit_id}")) == 1, name
        assert held.count(("statistician", f"unit:{unit_id}")) == 1, name
    for org_id, name in orgs:
        assert held.count(("party_org", f"org:{org_id}")) == 1, name
        assert held.count(("secretary", f"org:{org_id}")) == 1, name
    school_wide = {role for role, scope in held if scope == ""}
    assert school_wide == {"propaganda", "org_dept", "united_front", "discipline", "info_center", "party_office",
                           "admin", "process_owner", "xuegong", "yangong", "tuanwei"}
    assert sum(1 for role, _ in held if role == "propaganda") >= 3


def test_demo_load_twice_changes_nothing(demo: Engine) -> None:
    before = counts(demo)
    again = load_demo(demo)
    assert (again.people_created, again.people_updated, again.transferred, again.departed) == (0, 0, [], [])
    assert counts(demo) == before


def test_demo_csv_is_what_the_generator_writes(tmp_path: Path) -> None:
    generate_demo_csv(tmp_path / "university.csv")
    assert (tmp_path / "university.csv").read_bytes() == UNIVERSITY_CSV.read_bytes()
