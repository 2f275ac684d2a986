"""The roles a diagram's ``camunda:candidateGroups`` may name, and how each resolves for an instance.

Scopes: ``unit`` roles are held within the instance's unit (unit_head, statistician), ``org`` roles within the
unit's secondary Party organisation (party_org, secretary), ``global`` roles school-wide. ``applicant`` is the
person who started the instance; ``owner`` the person named by the data field ``owner_username``;
``student_body`` the body named by the data field ``student_body`` (art. 16).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES: dict[str, tuple[str, str]] = {
    "applicant": ("申请人", "starter"),
    "owner": ("群主/创建人", "data"),
    "unit_head": ("单位(部门)负责人", "unit"),
    "statistician": ("统计人", "unit"),
    "party_org": ("二级党组织审批人", "org"),
    "secretary": ("二级党组织书记", "org"),
    "student_body": ("学生工作主管部门", "data"),
    "propaganda": ("党委宣传部", "global"),
    "org_dept": ("党委组织部", "global"),
    "united_front": ("党委统战部", "global"),
    "discipline": ("纪委相关处室", "global"),
    "info_center": ("信息中心", "global"),
    "party_office": ("党委办公室", "global"),
    "xuegong": ("党委学生工作部", "global"),
    "yangong": ("党委研究生工作部", "global"),
    "tuanwei": ("团委", "global"),
    "process_owner": ("流程管理员", "global"),
    "admin": ("系统管理员", "global"),
}
STUDENT_BODIES = ("xuegong", "yangong", "tuanwei")
ROLE_BY_LABEL = {label: code for code, (label, _) in ROLES.items()}


def role_scope_kind(role: str) -> str:
    return ROLES[role][1]


def scope_for(role: str, unit_id: int | None, party_org_id: int | None) -> str:
    """The ``RoleAssignment.scope`` string a holder of ``role`` needs for this unit / Party org."""
    kind = ROLES[role][1]
    if kind == "unit":
        return f"unit:{unit_id}"
    if kind == "org":
        return f"org:{party_org_id}"
    return ""


def needs_party_org(role: str) -> bool:
    """Whether resolving ``role`` needs the instance's Party organisation (a scope ``org:<id>``)."""
    return role in ROLES and ROLES[role][1] == "org"


@dataclass(frozen=True)
class Candidates:
    """Who may act on a task: one ``assignee_id``, or holders of ``role`` within ``scope``."""

    role: str
    scope: str = ""
    assignee_id: int | None = None


def resolve(role: str, *, starter_id: int | None, unit_id: int | None, party_org_id: int | None,
            data: dict[str, Any], person_ids_by_username: Any) -> Candidates:
    """Resolve a diagram role for an instance. ``person_ids_by_username`` looks a username up (or None)."""
    kind = ROLES[role][1]
    if kind == "starter":
        return Candidates(role, assignee_id=starter_id)
    if role == "owner":
        username = data.get("owner_username") or ""
        return Candidates(role, assignee_id=person_ids_by_username(username) or starter_id)
    if role == "student_body":
        body = data.get("student_body") if data.get("student_body") in STUDENT_BODIES else "xuegong"
        return Candidates(body)
    return Candidates(role, scope_for(role, unit_id, party_org_id))
