"""Generate ``university.csv``: the demo 江苏理工学院 roster, in the org-import format.

Deterministic (seeded RNG); after changing this file regenerate and commit both::

    .venv/bin/python -m workflows.demo.generate

Contract the demo relies on: every unit has exactly one 单位(部门)负责人 and one 统计人, every 二级党组织 exactly
one 二级党组织审批人 and one 二级党组织书记, and the fixed accounts of docs/interface ("Demo university") exist.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from ..roles import ROLES
from . import UNIVERSITY_CSV

SEED = 2019
EMAIL_DOMAIN = "jsut.edu.cn"
COLUMNS = ("用户名", "姓名", "单位", "单位类型", "二级党组织", "职务职称", "角色", "移动电话", "固定电话", "电子邮箱", "状态")

SURNAMES = ("王" * 9 + "李" * 9 + "张" * 8 + "刘" * 7 + "陈" * 7 + "杨" * 4 + "黄" * 3 + "赵" * 3 + "吴" * 4 + "周" * 4
            + "徐" * 4 + "孙" * 3 + "朱" * 3 + "胡" * 2 + "沈" * 2 + "顾" * 2 + "钱" * 2 + "蒋" * 2 + "许" * 2 + "陆" * 2
            + "马郭何高林罗郑梁谢宋唐韩冯邓曹彭曾肖田董袁潘于蔡余杜叶程苏魏吕丁任姚卢姜崔钟谭汪范金石廖贾夏"
            + "方邹孟熊秦邱江尹薛段雷侯史陶贺毛龚邵严戴孔汤华缪恽庄")
GIVEN_SINGLE = "伟芳娜敏静丽强磊军洋勇艳杰涛明超霞平刚华萍红玲燕斌宇浩凯鹏辉俊峰波宁欣琪雪婷颖慧琳瑶晨阳亮晶莉楠鑫蕾健骏昕"
GIVEN_FIRST = "建志晓国海文子思嘉雨一新立永振宏家俊佳浩梦雅天明春秀晨欣雪静晶亚云"
GIVEN_SECOND = "国华明军平东峰涛伟勇杰斌宇轩涵琪怡婷颖慧琳雪洁敏静瑶博然辰阳鸣远成荣芳霞娟丽红萍"

HEAD_TITLES = {"处": "处长", "部": "部长", "团委": "书记"}
TEACHER_TITLES = ("教授",) * 2 + ("副教授",) * 4 + ("讲师",) * 6 + ("助教",) * 1 + ("实验师",) * 1 + ("高级实验师",)
STAFF_TITLES = ("科员",) * 4 + ("科长",) + ("副科长",) + ("工程师",)

# (unit, people); each college has its own secondary Party organisation
COLLEGES = (
    ("机械工程学院", 18), ("汽车与交通工程学院", 15), ("电气信息工程学院", 17), ("计算机工程学院", 18),
    ("化学化工学院", 15), ("材料工程学院", 14), ("资源与环境工程学院", 13), ("经济学院", 13), ("商学院", 15),
    ("人文学院", 13), ("外国语学院", 14), ("艺术设计学院", 14), ("数理学院", 15), ("马克思主义学院", 11),
    ("职业教育研究院", 10), ("体育学院", 11),
)
GENERAL_BRANCH_COLLEGES = {"马克思主义学院", "职业教育研究院", "体育学院"}  # 党总支 rather than 党委
PARTY_BRANCH = "党群部门党总支"
OFFICE_BRANCH = "机关党委"
# (unit, 单位类型, 二级党组织, people, school-wide role of the unit's leaders)
DEPARTMENTS = (
    ("党委办公室", "党群部门", PARTY_BRANCH, 8, "party_office"),
    ("党委组织部", "党群部门", PARTY_BRANCH, 7, "org_dept"),
    ("党委宣传部", "党群部门", PARTY_BRANCH, 7, "propaganda"),
    ("党委统战部", "党群部门", PARTY_BRANCH, 5, "united_front"),
    ("纪委办公室", "党群部门", PARTY_BRANCH, 6, "discipline"),
    ("党委学生工作部", "学生工作部门", PARTY_BRANCH, 7, "xuegong"),
    ("党委研究生工作部", "学生工作部门", PARTY_BRANCH, 5, "yangong"),
    ("团委", "学生工作部门", PARTY_BRANCH, 6, "tuanwei"),
    ("校长办公室", "机关部门", OFFICE_BRANCH, 7, None),
    ("人事处", "机关部门", OFFICE_BRANCH, 8, None),
    ("教务处", "机关部门", OFFICE_BRANCH, 10, None),
    ("科技处", "机关部门", OFFICE_BRANCH, 6, None),
    ("财务处", "机关部门", OFFICE_BRANCH, 9, None),
    ("后勤管理处", "机关部门", OFFICE_BRANCH, 8, None),
    ("信息中心", "机关部门", OFFICE_BRANCH, 7, "info_center"),
    ("国有资产管理处", "机关部门", OFFICE_BRANCH, 5, None),
)
# where the secretary (书记) and approver of the two non-college organisations sit
BRANCH_OFFICERS = {PARTY_BRANCH: ("党委组织部", "党委办公室"), OFFICE_BRANCH: ("校长办公室", "人事处")}
# the fixed accounts; the unit's head / statistician / org officers are these people where named
CS = "计算机工程学院"
FIXED = {
    (CS, "unit_head"): "head_cs", (CS, "statistician"): "stats_cs",
    (CS, "secretary"): "secretary_cs", (CS, "party_org"): "party_cs",
}
# (unit, username, title, roles) of fixed accounts that are not unit officers
FIXED_STAFF = (
    ("党委办公室", "admin", "副主任", ("admin", "party_office", "process_owner")),
    (CS, "staff_cs", "讲师", ()),
    ("党委宣传部", "propaganda", "科长", ("propaganda",)),
    ("纪委办公室", "discipline", "科长", ("discipline",)),
    ("党委学生工作部", "xuegong", "科长", ("xuegong",)),
    ("党委研究生工作部", "yangong", "科长", ("yangong",)),
    ("团委", "tuanwei", "副书记", ("tuanwei",)),
)
INACTIVE = {"材料工程学院": "调离", "后勤管理处": "调离", "外国语学院": "离职"}  # one former member each


@dataclass
class _Person:
    username: str
    title: str
    roles: tuple[str, ...] = ()
    status: str = "在职"


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names: set[str] = set()
        self.usernames: set[str] = set()
        self.mobiles: set[str] = set()

    def name(self) -> str:
        while True:
            given = (self.rng.choice(GIVEN_SINGLE) if self.rng.random() < 0.3
                     else self.rng.choice(GIVEN_FIRST) + self.rng.choice(GIVEN_SECOND))
            name = self.rng.choice(SURNAMES) + given
            if name not in self.names:
                self.names.add(name)
                return name

    def username(self) -> str:
        while True:
            username = f"t{self.rng.randint(1996, 2023)}{self.rng.randint(1, 999):04d}"
            if username not in self.usernames:
                self.usernames.add(username)
                return username

    def mobile(self) -> str:
        while True:
            mobile = "1" + self.rng.choice("3456789") + "".join(self.rng.choice("0123456789") for _ in range(9))
            if mobile not in self.mobiles:
                self.mobiles.add(mobile)
                return mobile

    def landline(self) -> str:
        return f"0519-8695{self.rng.randint(3000, 3999)}" if self.rng.random() < 0.8 else ""


def _head_title(unit: str) -> str:
    if unit.endswith("学院") or unit.endswith("研究院"):
        return "院长"
    for suffix, title in HEAD_TITLES.items():
        if unit.endswith(suffix):
            return title
    return "主任"


def _org_of_college(college: str) -> str:
    return college + ("党总支" if college in GENERAL_BRANCH_COLLEGES else "党委")


def _members(gen: _Generator, unit: str, size: int, is_college: bool, school_role: str | None,
             org_officers: dict[str, str]) -> list[_Person]:
    """The people of one unit, head first; ``org_officers`` maps party_org/secretary to the title to give."""
    fixed = lambda role: FIXED.get((unit, role)) or gen.username()  # noqa: E731
    head_roles = ("unit_head", school_role) if school_role else ("unit_head",)
    people = [_Person(fixed("unit_head"), _head_title(unit), head_roles)]
    for role, title in org_officers.items():
        people.append(_Person(fixed(role), title, (role,)))
    people.append(_Person(fixed("statistician"), "办公室主任" if is_college else "科员", ("statistician",)))
    for fixed_unit, username, title, roles in FIXED_STAFF:
        if fixed_unit == unit:
            people.append(_Person(username, title, roles))
    if school_role and not any(school_role in p.roles for p in people[1:]):
        people.append(_Person(gen.username(), "科长", (school_role,)))
    if school_role:
        people.append(_Person(gen.username(), "科员", (school_role,)))
    if is_college:
        people.append(_Person(gen.username(), "副院长"))
        people += [_Person(gen.username(), "辅导员") for _ in range(2)]
    else:
        people.append(_Person(gen.username(), "副" + _head_title(unit)))
    titles = TEACHER_TITLES if is_college else STAFF_TITLES
    while len(people) < size:
        people.append(_Person(gen.username(), gen.rng.choice(titles)))
    if unit in INACTIVE:
        people.append(_Person(gen.username(), gen.rng.choice(titles), status=INACTIVE[unit]))
    return people


def build_rows(seed: int = SEED) -> list[dict[str, str]]:
    """All rows of the demo roster, in file order."""
    gen = _Generator(seed)
    plan: list[tuple[str, str, str, int, str | None, dict[str, str]]] = []
    for college, size in COLLEGES:
        kind = "党总支" if college in GENERAL_BRANCH_COLLEGES else "党委"
        plan.append((college, "学院", _org_of_college(college), size, None,
                     {"secretary": f"{kind}书记", "party_org": f"{kind}副书记"}))
    for unit, kind, org, size, role in DEPARTMENTS:
        secretary_unit, approver_unit = BRANCH_OFFICERS[org]
        officers = {}
        if unit == secretary_unit:
            officers["secretary"] = f"{org}书记"
        if unit == approver_unit:
            officers["party_org"] = f"{org}副书记"
        plan.append((unit, kind, org, size, role, officers))
    rows = []
    for unit, kind, org, size, role, officers in plan:
        for person in _members(gen, unit, size, kind == "学院", role, officers):
            rows.append({
                "用户名": person.username, "姓名": gen.name(), "单位": unit, "单位类型": kind, "二级党组织": org,
                "职务职称": person.title, "角色": "、".join(ROLES[r][0] for r in person.roles),
                "移动电话": gen.mobile(), "固定电话": gen.landline(),
                "电子邮箱": f"{person.username}@{EMAIL_DOMAIN}", "状态": person.status,
            })
    return rows


def write_csv(path: Path = UNIVERSITY_CSV, seed: int = SEED) -> int:
    """Write the roster (UTF-8 with BOM, so Excel opens it) and return the number of people."""
    rows = build_rows(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    print(f"{UNIVERSITY_CSV}: {write_csv()} 人")
