"""Turns a task's form (the JSON Schema of ``queries.get_task``) into what the field templates draw.

Widgets: text, textarea, number, date, email, tel, checkbox, radio (enums of up to four options), select,
``decision`` (the ``decision`` enum of a decision task, drawn as one submit button per option) and
``group_list`` (x-widget ``group_list``: a table editor, see grouplist.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..services.views import display_value as display  # noqa: F401  (templates and pages use it)
from . import grouplist

RADIO_MAX = 4
DECISION_ORDER = {"approve": 0, "return": 1, "reject": 2}
NOT_PREFILLED = {"decision", "opinion"}  # a decision task starts empty, never with the previous decision


@dataclass
class FieldView:
    id: str
    label: str
    widget: str
    required: bool = False
    hint: str = ""
    value: Any = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)
    editor: Any = None  # the widget's own view (group_list: grouplist.Editor)


def _condition_hint(expression: str, schema: dict[str, Any]) -> str:
    props = schema.get("properties", {})

    def label(name: str) -> str:
        return props.get(name, {}).get("title", name)

    def option(name: str, value: str) -> str:
        return props.get(name, {}).get("x-enum-labels", {}).get(value, value)

    text = expression.strip()
    if re.fullmatch(r"\w+", text) and text in props:
        return f"选择「{label(text)}」时必填"
    m = re.fullmatch(r"""(\w+)\s*(==|!=)\s*["'](\w+)["']""", text)
    if m and m.group(1) in props:
        name, op, value = m.groups()
        return f"「{label(name)}」{'为' if op == '==' else '不是'}「{option(name, value)}」时必填"
    return "视填写情况必填"


def _widget(prop: dict[str, Any], fid: str) -> str:
    if "enum" in prop:
        if fid == "decision":
            return "decision"
        return "radio" if len(prop["enum"]) <= RADIO_MAX else "select"
    if prop.get("type") == "boolean":
        return "checkbox"
    if prop.get("type") == "integer":
        return "number"
    if prop.get("format") == "date":
        return "date"
    if prop.get("format") == "email":
        return "email"
    if prop.get("x-format") == "phone":
        return "tel"
    if prop.get("x-widget") in {"textarea", "group_list"}:
        return str(prop["x-widget"])
    return "text"


def fields(schema: dict[str, Any], values: dict[str, Any], errors: dict[str, str]) -> list[FieldView]:
    """One view per form field, in the diagram's order, with the value to show and its error."""
    required = set(schema.get("required", []))
    out: list[FieldView] = []
    for fid, prop in schema.get("properties", {}).items():
        widget = _widget(prop, fid)
        labels = prop.get("x-enum-labels", {})
        options = [(v, labels.get(v, v)) for v in prop.get("enum", [])]
        if widget == "decision":
            options.sort(key=lambda o: DECISION_ORDER.get(o[0], 9))
        value = values.get(fid, prop.get("default", ""))
        if widget == "checkbox":
            value = value is True or str(value).lower() in {"true", "on", "1", "是"}
        elif value is None:
            value = ""
        hint = _condition_hint(prop["x-required-when"], schema) if prop.get("x-required-when") and fid not in required else ""
        attrs: dict[str, Any] = {}
        if "maxLength" in prop:
            attrs["maxlength"] = prop["maxLength"]
        if "minimum" in prop:
            attrs["min"] = prop["minimum"]
        if "maximum" in prop:
            attrs["max"] = prop["maximum"]
        if widget == "number":
            attrs["inputmode"] = "numeric"
        if widget == "tel":
            attrs["inputmode"] = "tel"
            hint = hint or "11 位手机号，或带区号的固定电话，如 0519-86953000"
        out.append(FieldView(fid, prop.get("title", fid), widget, fid in required, hint, value, options, errors.get(fid, ""), attrs))
    first_bad = next((f for f in out if f.error and f.widget not in {"radio", "decision"}), None)
    if first_bad is not None:
        first_bad.attrs["autofocus"] = "autofocus"  # keyboard and screen-reader users land on the first mistake
    return out


def initial_values(schema: dict[str, Any], data: dict[str, Any], draft: dict[str, Any] | None) -> dict[str, Any]:
    """What a form shows first: the saved draft, else the instance's current values of the same fields."""
    if draft:
        return dict(draft)
    return {k: data[k] for k in schema.get("properties", {}) if k in data and k not in NOT_PREFILLED}


def submitted_values(schema: dict[str, Any], form: Any) -> dict[str, Any]:
    """The form's own fields from a posted form (a whitelist; unchecked checkboxes are absent)."""
    out: dict[str, Any] = {}
    for fid in schema.get("properties", {}):
        value = form.get(fid)
        if isinstance(value, str):
            out[fid] = value
    return {**out, **grouplist.submitted(schema, form)}
