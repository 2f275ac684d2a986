"""The art. 7 group list a unit's statistician hands in: one entry per existing group, marked keep or dissolve.

Pure functions, no database: :func:`normalize` checks a list (from the form's JSON field ``group_list``) and
returns the cleaned entries or every problem in Chinese (:func:`check`: each problem tied to its entry and field,
for forms that show them per row); :func:`parse_sheet` reads the same list from a spreadsheet (.xlsx first sheet,
or .csv) with the columns of attachment 3 plus 处理意见.

An entry: ``group_name``, ``group_kind`` (wechat_group, qq_group, ... or the Chinese label), ``owner`` (username or
real name), ``member_scope``, ``member_count``, ``function``, ``posting_rules``, ``retention_basis``, ``action``
(keep / dissolve, or 保留 / 解散) and optionally ``group_id`` (the registry row it is). A kept group needs its
retention basis and posting rules (art. 7, att. 3); a dissolved one needs an owner to confirm the dissolution.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidImport, RowError
from ..models.registry import GROUP_KINDS

ACTIONS = {"keep": "keep", "保留": "keep", "dissolve": "dissolve", "解散": "dissolve", "撤销": "dissolve"}
KIND_BY_LABEL = {**{k: k for k in GROUP_KINDS}, **{v: k for k, v in GROUP_KINDS.items()}, "微信群": "wechat_group", "QQ群": "qq_group",
                 "微信": "wechat_group", "QQ": "qq_group"}
MAX_GROUPS = 500
SHEET_COLUMNS = {
    "工作群名称": "group_name", "群类别": "group_kind", "群主": "owner", "人员范围": "member_scope", "人数": "member_count",
    "群功能": "function", "群信息发布规则": "posting_rules", "保留依据": "retention_basis", "处理意见": "action", "台账编号": "group_id",
}
REQUIRED_COLUMNS = ("工作群名称", "群主", "处理意见")
TEXT_LIMITS = {"group_name": 60, "owner": 64, "member_scope": 300, "function": 500, "posting_rules": 500, "retention_basis": 500}
FIELD_LABELS = {**{v: k for k, v in SHEET_COLUMNS.items()}, "action": "保留/解散"}


def load(text: Any) -> tuple[list[Any] | None, str | None]:
    """The form field's JSON text (or an already decoded list) as a list, or an error."""
    if isinstance(text, list):
        return text, None
    try:
        value = json.loads(text or "[]")
    except (TypeError, json.JSONDecodeError) as exc:
        return None, f"群组清单不是有效的 JSON 列表：{exc}"
    if not isinstance(value, list):
        return None, "群组清单应为列表（每个工作群组一项）"
    return value, None


@dataclass(frozen=True)
class Problem:
    """One problem of a list: ``row`` is the entry's number (1-based; 0 = the list as a whole), ``field`` the entry
    key it concerns ("" = the entry), ``text`` the full Chinese message naming the entry (as :func:`normalize` gives)."""

    row: int
    field: str
    message: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


def problem(row: int, name: str, field: str, message: str) -> Problem:
    """A problem of entry ``row`` called ``name`` ("" when it has none yet)."""
    where = f"第{row}项「{name}」" if name else f"第{row}项"
    return Problem(row, field, message, f"{where}：{message}")


def normalize(items: list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Clean the entries; returns (entries, problems). Problems name the entry by number and group name."""
    out, problems = check(items)
    return out, [p.text for p in problems]


def check(items: list[Any]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Clean the entries; returns (entries, problems) with each problem tied to its entry and field."""
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    if len(items) > MAX_GROUPS:
        text = f"一次最多登记 {MAX_GROUPS} 个工作群组"
        return [], [Problem(0, "", text, text)]
    seen: set[str] = set()
    for i, raw in enumerate(items, start=1):
        if not isinstance(raw, dict):
            text = f"第{i}项应为对象（包含群名称、群主、处理意见等）"
            problems.append(Problem(i, "", text, text))
            continue
        text = {k: str(raw.get(k) or "").strip() for k in TEXT_LIMITS}
        name = text["group_name"] or f"第{i}项"

        def bad(field: str, message: str) -> None:
            problems.append(problem(i, name, field, message))  # noqa: B023  (called within this iteration)

        if not text["group_name"]:
            problems.append(problem(i, "", "group_name", "缺少工作群名称"))
        elif text["group_name"] in seen:
            bad("group_name", "与前面的群组重名")
        seen.add(text["group_name"])
        for key, limit in TEXT_LIMITS.items():
            if len(text[key]) > limit:
                bad(key, f"{FIELD_LABELS[key]}超过 {limit} 个字")
        action = ACTIONS.get(str(raw.get("action") or "").strip())
        if action is None:
            bad("action", "处理意见应为“保留”或“解散”")
        kind = KIND_BY_LABEL.get(str(raw.get("group_kind") or "wechat_group").strip())
        if kind is None:
            bad("group_kind", f"群类别应为 {'、'.join(GROUP_KINDS.values())} 之一")
        count_raw = raw.get("member_count")
        try:
            count = int(float(count_raw)) if count_raw not in (None, "") else 0
            if count < 0:
                raise ValueError
        except (TypeError, ValueError):
            count = 0
            bad("member_count", "人数应为非负整数")
        group_id = raw.get("group_id")
        try:
            group_id = int(group_id) if group_id not in (None, "") else None
        except (TypeError, ValueError):
            bad("group_id", "台账编号应为整数")
            group_id = None
        if not text["owner"]:
            bad("owner", "缺少群主")
        if action == "keep":
            if not text["retention_basis"]:
                bad("retention_basis", "保留的群组须填写保留依据")
            if not text["posting_rules"]:
                bad("posting_rules", "保留的群组须填写群信息发布规则")
        out.append({**text, "group_kind": kind or "wechat_group", "member_count": count, "action": action or "keep", "group_id": group_id})
    return out, problems


def describe(value: Any) -> str:
    """The list as the people signing it read it: one line per group (the text as stored when it is not a list)."""
    items, _error = load(value)
    if items is None:
        return str(value)
    lines = []
    for i, raw in enumerate(items, start=1):
        if not isinstance(raw, dict):
            continue
        kind = KIND_BY_LABEL.get(str(raw.get("group_kind") or "wechat_group").strip())
        head = f"{i}. {raw.get('group_name') or ''}（{GROUP_KINDS.get(kind or '', raw.get('group_kind') or '')}，群主 {raw.get('owner') or ''}，" \
               f"{raw.get('member_count') or 0} 人）"
        if ACTIONS.get(str(raw.get("action") or "").strip()) == "dissolve":
            lines.append(f"{head}：解散")
        else:
            lines.append(f"{head}：保留。保留依据：{raw.get('retention_basis') or ''}；发布规则：{raw.get('posting_rules') or ''}")
    return "\n".join(lines) or "（本单位没有工作群组）"


def read_sheet(filename: str, content: bytes) -> list[dict[str, Any]]:
    """The entries of a spreadsheet as typed (not checked: see :func:`check`); raises InvalidImport when the file
    cannot be read or lacks a required column. Entry N is spreadsheet row N + 1 (row 1 is the header)."""
    from .org_import import read_table

    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InvalidImport([RowError(0, "文件", f"不支持的文件类型“{suffix or filename}”，请上传 .xlsx 或 .csv 文件")])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"groups{suffix}"
        path.write_bytes(content)
        rows = read_table(path)
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InvalidImport([RowError(0, "文件", "文件是空的")])
    header = [c.strip() for c in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidImport([RowError(1, c, "缺少此列") for c in missing])
    index = {SHEET_COLUMNS[c]: i for i, c in enumerate(header) if c in SHEET_COLUMNS}
    return [{key: (row[i] if i < len(row) else "") for key, i in index.items()} for row in rows[1:]]


def parse_sheet(filename: str, content: bytes) -> list[dict[str, Any]]:
    """Read the list from a spreadsheet; raises InvalidImport naming every bad row (header = row 1)."""
    items = read_sheet(filename, content)
    _, problems = check(items)
    column = {v: k for k, v in SHEET_COLUMNS.items()}
    errors = [RowError(p.row + 1 if p.row else 0, column.get(p.field, ""), p.message) for p in problems]
    if errors:
        raise InvalidImport(errors)
    return items
