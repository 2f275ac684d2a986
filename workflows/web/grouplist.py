"""The table editor of a ``group_list`` form field (x-widget ``group_list``: the art. 7 cleanup list).

The page draws one row per group (a table on wide screens, stacked cards on phones) whose inputs are named
``<field>-<n>-<key>``; :func:`rows_from_form` turns a posted form back into the entries, and the web layer hands
the task the same ``group_list`` JSON text the API and the diagram's form take. Adding and removing rows work
with JavaScript (static/group-list.js) and without it (the buttons post ``_action=<field>-add`` /
``<field>-remove-<n>`` and the page comes back with the row added or removed). Problems are shown per row: those
:func:`group_list.check` finds before the task is completed, and those the unit part's ``check_list`` step
recorded (data ``list_problems``) when the list came back to the statistician.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..models.registry import GROUP_KINDS
from ..services import group_list

WIDGET = "group_list"
# (key, column label, input kind) in the order of att. 3, then the decision and its basis
COLUMNS: list[tuple[str, str, str]] = [
    ("group_name", "工作群名称", "text"), ("group_kind", "群类别", "select"), ("owner", "群主", "text"),
    ("member_scope", "人员范围", "text"), ("member_count", "人数", "number"), ("function", "群功能", "text"),
    ("posting_rules", "群信息发布规则", "text"), ("action", "保留/解散", "radio"), ("retention_basis", "保留依据", "text"),
]
KEYS = [key for key, _label, _kind in COLUMNS] + ["group_id"]
TYPED = [key for key, _label, kind in COLUMNS if kind in {"text", "number"}]
ACTIONS = [("keep", "保留"), ("dissolve", "解散")]
PLACEHOLDERS = {"owner": "用户名或姓名", "retention_basis": "保留时必填", "posting_rules": "保留时必填"}


@dataclass
class Row:
    index: int  # the n of the input names (stable while the page is open; not the row's number)
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)  # key -> message
    problems: list[str] = field(default_factory=list)  # about the whole entry


@dataclass
class Editor:
    field: str
    rows: list[Row]
    blank: Row  # the row the add button inserts (index placeholder __i__)
    next_index: int
    prefilled: bool = False  # rows taken from the register (nothing entered yet)
    message: str = ""  # a problem of the list as a whole
    focus: str = ""  # id of the first input with a problem (autofocus)
    columns: list[tuple[str, str, str]] = field(default_factory=lambda: COLUMNS)
    kinds: list[tuple[str, str]] = field(default_factory=lambda: list(GROUP_KINDS.items()))
    actions: list[tuple[str, str]] = field(default_factory=lambda: ACTIONS)
    placeholders: dict[str, str] = field(default_factory=lambda: PLACEHOLDERS)
    limits: dict[str, int] = field(default_factory=lambda: group_list.TEXT_LIMITS)


def field_of(schema: dict[str, Any]) -> str | None:
    """The id of the form's group-list field, if it has one."""
    return next((fid for fid, prop in schema.get("properties", {}).items() if prop.get("x-widget") == WIDGET), None)


def entry(raw: Any) -> dict[str, str]:
    """One list entry (a dict from JSON, a sheet or a form) as row values: strings, action and kind as codes."""
    item = raw if isinstance(raw, dict) else {}
    values = {key: "" if item.get(key) is None else str(item.get(key)).strip() for key in KEYS}
    values["action"] = group_list.ACTIONS.get(values["action"], values["action"] or "keep")
    values["group_kind"] = group_list.KIND_BY_LABEL.get(values["group_kind"], values["group_kind"] or "wechat_group")
    return values


def rows_from_form(form: Any, fid: str, keep_blank: bool = False) -> list[dict[str, str]]:
    """The entries of a posted editor, in page order; rows left entirely empty are dropped unless ``keep_blank``."""
    pattern = re.compile(rf"{re.escape(fid)}-(\d+)-(\w+)")
    indices: list[int] = []
    for name in form.keys():
        m = pattern.fullmatch(name)
        if m and int(m.group(1)) not in indices:
            indices.append(int(m.group(1)))
    rows = [{key: str(form.get(f"{fid}-{i}-{key}") or "").strip() for key in KEYS} for i in indices]
    return [r for r in rows if keep_blank or any(r[key] for key in TYPED)]


def _by_name(values: dict[str, str]) -> tuple[str, str]:
    return ("name", re.sub(r"\s+", "", values.get("group_name") or ""))


def _identity(values: dict[str, str]) -> tuple[str, str]:
    """What makes two entries the same group: its 台账编号 when it has one, else its name without spaces."""
    group_id = (values.get("group_id") or "").strip()
    return ("id", group_id) if group_id else _by_name(values)


def merge(current: list[dict[str, str]], incoming: list[dict[str, str]]) -> tuple[list[dict[str, str]], int, int]:
    """A spreadsheet's entries brought into the list on the page: an entry of the same group (same 台账编号, or
    same name) is replaced in its place, a new group is added at the end, and nothing already in the list is
    dropped. Answers (entries, how many replaced, how many added)."""
    rows = [dict(r) for r in current]
    where = {_identity(r): k for k, r in enumerate(rows) if any(r.get(key) for key in TYPED)}
    replaced = added = 0
    for item in incoming:
        k = where.get(_identity(item))
        if k is None and item.get("group_id"):  # a sheet row with its 台账编号 may match a typed row by name
            k = where.get(_by_name(item))
        if k is None:
            where[_identity(item)] = len(rows)
            rows.append(dict(item))
            added += 1
        else:
            rows[k] = {**dict(item), "group_id": item.get("group_id") or rows[k].get("group_id", "")}
            replaced += 1
    return rows, replaced, added


def to_json(rows: list[dict[str, Any]]) -> str:
    """The ``group_list`` text the task takes (numbers as numbers when they are; anything else as typed)."""
    out = []
    for r in rows:
        entry: dict[str, Any] = {k: v for k, v in r.items() if k != "group_id"}
        count = str(r.get("member_count", "")).strip()
        entry["member_count"] = int(count) if count.isdigit() else count
        group_id = str(r.get("group_id") or "").strip()
        if group_id:
            entry["group_id"] = int(group_id) if group_id.isdigit() else group_id
        out.append(entry)
    return json.dumps(out, ensure_ascii=False)


def submitted(schema: dict[str, Any], form: Any) -> dict[str, str]:
    """The group-list fields of a posted task form as the task's JSON text (only when the editor was posted)."""
    fid = field_of(schema)
    if fid is None or form.get(f"{fid}-rows") is None:
        return {}
    return {fid: to_json(rows_from_form(form, fid))}


def edit(schema: dict[str, Any], form: Any) -> dict[str, str] | None:
    """A post of 添加 / 删除 (no JavaScript): the field's new text, with a blank row added or one row removed."""
    fid = field_of(schema)
    action = str(form.get("_action") or "")
    if fid is None or not action.startswith(f"{fid}-"):
        return None
    rows = rows_from_form(form, fid, keep_blank=True)
    pattern = re.compile(rf"{re.escape(fid)}-(\d+)-\w+")
    order = list(dict.fromkeys(int(m.group(1)) for name in form.keys() if (m := pattern.fullmatch(name))))
    if action == f"{fid}-add":
        rows.append(entry({}))
    elif (m := re.fullmatch(rf"{re.escape(fid)}-remove-(\d+)", action)) and int(m.group(1)) in order:
        del rows[order.index(int(m.group(1)))]
    return {fid: json.dumps(rows, ensure_ascii=False)}


def precheck(schema: dict[str, Any], values: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Problems of the submitted list that need no database (per entry and field), before the task is completed."""
    fid = field_of(schema)
    if fid is None or fid not in values:
        return {}
    items, error = group_list.load(values[fid])
    if items is None:
        return {fid: [{"row": 0, "field": "", "message": error}]}
    _, problems = group_list.check(items)
    return {fid: [p.as_dict() for p in problems]} if problems else {}


def editor(fid: str, value: Any, data: dict[str, Any], problems: list[dict[str, Any]] | None = None) -> Editor:
    """What ``_group_list.html`` draws: the rows of ``value`` (else the unit's groups from the register) with their
    problems attached (``problems``: dicts of ``row`` (1-based), ``field``, ``message``)."""
    message = ""
    prefilled = False
    items, error = group_list.load(value) if str(value or "").strip() else (None, None)
    if items is None:
        if error:
            message = f"原有内容无法读取为群组清单（{error}），请重新填写。"
        items = data.get("existing_groups") or []
        prefilled = bool(items) and not error
    rows = [Row(i, entry(item)) for i, item in enumerate(items)]
    for p in problems or []:
        n = int(p.get("row") or 0)
        if 1 <= n <= len(rows):
            row = rows[n - 1]
            key = str(p.get("field") or "")
            if key in KEYS and key != "group_id":
                row.errors[key] = f"{row.errors[key]}；{p['message']}" if key in row.errors else str(p["message"])
            else:
                row.problems.append(str(p["message"]))
        else:
            message = "；".join(m for m in (message, str(p.get("message") or "")) if m)
    focus = next((f"{fid}-{r.index}-{key}" + ("-keep" if key == "action" else "") for r in rows
                  for key, _label, _kind in COLUMNS if key in r.errors), "")
    return Editor(fid, rows, Row(-1, entry({})), len(rows), prefilled, message, focus)


def stored_problems(fid: str, shown: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    """The problems ``check_list`` recorded, when the page shows the list they are about."""
    if data.get("list_error") and shown.get(fid) == data.get(fid):
        return list(data.get("list_problems") or []) or [{"row": 0, "field": "", "message": data["list_error"]}]
    return []


def sheet_template(rows: list[Row]) -> bytes:
    """A .csv (UTF-8 with BOM, opens in Excel and WPS) with the columns the upload reads, one line per row."""
    columns = [label for label, key in group_list.SHEET_COLUMNS.items()]
    keys = list(group_list.SHEET_COLUMNS.values())
    actions = dict(ACTIONS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for r in rows:
        v = dict(r.values, action=actions.get(r.values["action"], r.values["action"]),
                 group_kind=GROUP_KINDS.get(r.values["group_kind"], r.values["group_kind"]))
        writer.writerow([v.get(k, "") for k in keys])
    return out.getvalue().encode("utf-8-sig")
