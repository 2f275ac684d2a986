"""The art. 7 group list a unit's statistician hands in: one entry per existing group, marked keep or dissolve.

Pure functions, no database: :func:`normalize` checks a list (from the form's JSON field ``group_list``) and
returns the cleaned entries or every problem in Chinese; :func:`parse_sheet` reads the same list from a
spreadsheet (.xlsx first sheet, or .csv) with the columns of attachment 3 plus 处理意见.

An entry: ``group_name``, ``group_kind`` (wechat_group, qq_group, ... or the Chinese label), ``owner`` (username or
real name), ``member_scope``, ``member_count``, ``function``, ``posting_rules``, ``retention_basis``, ``action``
(keep / dissolve, or 保留 / 解散) and optionally ``group_id`` (the registry row it is). A kept group needs its
retention basis and posting rules (art. 7, att. 3); a dissolved one needs an owner to confirm the dissolution.
"""

from __future__ import annotations

import json
import tempfile
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


def normalize(items: list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Clean the entries; returns (entries, problems). Problems name the entry by number and group name."""
    problems: list[str] = []
    out: list[dict[str, Any]] = []
    if len(items) > MAX_GROUPS:
        return [], [f"一次最多登记 {MAX_GROUPS} 个工作群组"]
    seen: set[str] = set()
    for i, raw in enumerate(items, start=1):
        if not isinstance(raw, dict):
            problems.append(f"第{i}项应为对象（包含群名称、群主、处理意见等）")
            continue
        text = {k: str(raw.get(k) or "").strip() for k in TEXT_LIMITS}
        name = text["group_name"] or f"第{i}项"
        where = f"第{i}项「{name}」"
        if not text["group_name"]:
            problems.append(f"第{i}项：缺少工作群名称")
        elif text["group_name"] in seen:
            problems.append(f"{where}：与前面的群组重名")
        seen.add(text["group_name"])
        for key, limit in TEXT_LIMITS.items():
            if len(text[key]) > limit:
                problems.append(f"{where}：{key} 超过 {limit} 个字")
        action = ACTIONS.get(str(raw.get("action") or "").strip())
        if action is None:
            problems.append(f"{where}：处理意见应为“保留”或“解散”")
        kind = KIND_BY_LABEL.get(str(raw.get("group_kind") or "wechat_group").strip())
        if kind is None:
            problems.append(f"{where}：群类别应为 {'、'.join(GROUP_KINDS.values())} 之一")
        count_raw = raw.get("member_count")
        try:
            count = int(float(count_raw)) if count_raw not in (None, "") else 0
            if count < 0:
                raise ValueError
        except (TypeError, ValueError):
            count = 0
            problems.append(f"{where}：人数应为非负整数")
        group_id = raw.get("group_id")
        try:
            group_id = int(group_id) if group_id not in (None, "") else None
        except (TypeError, ValueError):
            problems.append(f"{where}：台账编号应为整数")
            group_id = None
        if not text["owner"]:
            problems.append(f"{where}：缺少群主")
        if action == "keep":
            if not text["retention_basis"]:
                problems.append(f"{where}：保留的群组须填写保留依据")
            if not text["posting_rules"]:
                problems.append(f"{where}：保留的群组须填写群信息发布规则")
        out.append({**text, "group_kind": kind or "wechat_group", "member_count": count, "action": action or "keep", "group_id": group_id})
    return out, problems


def parse_sheet(filename: str, content: bytes) -> list[dict[str, Any]]:
    """Read the list from a spreadsheet; raises InvalidImport naming every bad row (header = row 1)."""
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
    items = [{key: (row[i] if i < len(row) else "") for key, i in index.items()} for row in rows[1:]]
    _, problems = normalize(items)
    errors = []
    for problem in problems:  # "第N项「...」：..." -> spreadsheet row N + 1
        number = problem[1:problem.index("项")] if problem.startswith("第") and "项" in problem else "0"
        row = int(number) + 1 if number.isdigit() else 0
        errors.append(RowError(row, "", problem.split("：", 1)[-1]))
    if errors:
        raise InvalidImport(errors)
    return items
