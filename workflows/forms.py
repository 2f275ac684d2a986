"""User-task forms: the ``camunda:formData`` fields of a diagram as JSON Schema, and server-side validation.

Contract: :func:`validate_submission` accepts only the fields the task's form declares (whitelist), coerces
them to their types and returns the cleaned data, or raises :class:`InvalidInput` naming every bad field in
Chinese. Nothing else from a submission reaches the engine.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from .engine.diagram import ElementDef, FormFieldDef
from .engine.expressions import ExpressionRefused, evaluate
from .errors import FieldError, InvalidInput

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TRUE_WORDS = {"true", "1", "on", "yes", "是"}
FALSE_WORDS = {"false", "0", "off", "no", "否", ""}


def field_schema(f: FormFieldDef) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": f.label}
    if f.type == "long":
        schema["type"] = "integer"
        if "min" in f.constraints:
            schema["minimum"] = int(f.constraints["min"])
        if "max" in f.constraints:
            schema["maximum"] = int(f.constraints["max"])
    elif f.type == "boolean":
        schema["type"] = "boolean"
    elif f.type == "date":
        schema.update(type="string", format="date")
    elif f.type == "enum":
        schema.update(type="string", enum=[o for o, _ in f.options], **{"x-enum-labels": {o: n for o, n in f.options}})
    else:
        schema["type"] = "string"
        if "maxlength" in f.constraints:
            schema["maxLength"] = int(f.constraints["maxlength"])
        if "minlength" in f.constraints:
            schema["minLength"] = int(f.constraints["minlength"])
    fmt = f.properties.get("format")
    if fmt == "phone":
        schema["pattern"] = PHONE.pattern
        schema["x-format"] = "phone"
    elif fmt == "email":
        schema["format"] = "email"
    widget = "textarea" if f.type == "textarea" else f.properties.get("widget")
    if widget:  # a hint for form renderers (textarea, group_list, ...); validation does not depend on it
        schema["x-widget"] = widget
    if f.properties.get("required_when"):
        schema["x-required-when"] = f.properties["required_when"]
    if f.default is not None:
        schema["default"] = _coerce_default(f)
    return schema


def form_schema(element: ElementDef) -> dict[str, Any]:
    """JSON Schema of a user task's form (Chinese ``title``s, ``required``, ``enum``)."""
    return {
        "type": "object",
        "title": element.name,
        "x-form-key": element.form_key or "",
        "properties": {f.id: field_schema(f) for f in element.form_fields},
        "required": [f.id for f in element.form_fields if f.required],
        "additionalProperties": False,
    }


def _coerce_default(f: FormFieldDef) -> Any:
    try:
        return _coerce(f, f.default)
    except ValueError:
        return f.default


def _coerce(f: FormFieldDef, value: Any) -> Any:
    if f.type == "long":
        if isinstance(value, bool):
            raise ValueError("请填写整数")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"-?\d{1,12}", text):
            raise ValueError("请填写整数")
        return int(text)
    if f.type == "boolean":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError("请选择是或否")
    if f.type == "date":
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError("日期格式应为 年-月-日，如 2026-11-25") from None
    if isinstance(value, (dict, list)):
        raise ValueError("应为文本")
    return str(value).strip()


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def validate_submission(element: ElementDef, submitted: dict[str, Any], current: dict[str, Any] | None = None, partial: bool = False) -> dict[str, Any]:
    """Clean a form submission. ``partial`` (drafts, start prefill) skips the required checks."""
    if not isinstance(submitted, dict):
        raise InvalidInput("提交的数据格式不正确", [FieldError("data", "应为对象")])
    fields = {f.id: f for f in element.form_fields}
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    for key in submitted:
        if key not in fields:
            errors.append(FieldError(str(key), f"表单「{element.name}」中没有字段 {key}"))
    for fid, f in fields.items():
        value = submitted.get(fid)
        if _is_empty(value):
            if fid in submitted and f.type != "boolean":
                cleaned[fid] = None if f.type in {"long", "date", "enum"} else ""
            elif f.type == "boolean" and fid in submitted:
                cleaned[fid] = False
            continue
        try:
            value = _coerce(f, value)
        except ValueError as exc:
            errors.append(FieldError(fid, f"「{f.label}」{exc}"))
            continue
        problem = _check_value(f, value)
        if problem:
            errors.append(FieldError(fid, f"「{f.label}」{problem}"))
            continue
        cleaned[fid] = value
    if not partial:
        # Required fields must be in this submission: an earlier task's value (a previous decision) never counts.
        view = {**(current or {}), **cleaned}
        for fid, f in fields.items():
            if f.type == "boolean":
                cleaned.setdefault(fid, bool(submitted.get(fid, False)) if fid in submitted else False)
                continue
            if not _is_empty(cleaned.get(fid)) or any(e.field == fid for e in errors):
                continue
            needed = f.required
            condition = f.properties.get("required_when")
            if not needed and condition:
                try:
                    needed = bool(evaluate(condition, view))
                except ExpressionRefused:
                    needed = False
            if needed:
                errors.append(FieldError(fid, f"「{f.label}」为必填项"))
    if errors:
        raise InvalidInput("表单填写有误：" + "；".join(e.message for e in errors), errors)
    return cleaned


def _check_value(f: FormFieldDef, value: Any) -> str | None:
    if f.type == "enum" and value not in {o for o, _ in f.options}:
        return "的取值不在可选范围内：" + "、".join(n for _, n in f.options)
    if f.type == "long":
        if "min" in f.constraints and value < int(f.constraints["min"]):
            return f"不能小于 {f.constraints['min']}"
        if "max" in f.constraints and value > int(f.constraints["max"]):
            return f"不能大于 {f.constraints['max']}"
    if isinstance(value, str) and f.type not in {"enum", "date"}:
        if "maxlength" in f.constraints and len(value) > int(f.constraints["maxlength"]):
            return f"不能超过 {f.constraints['maxlength']} 个字"
        if "minlength" in f.constraints and len(value) < int(f.constraints["minlength"]):
            return f"至少 {f.constraints['minlength']} 个字"
        fmt = f.properties.get("format")
        if fmt == "phone" and not PHONE.match(value):
            return "格式不正确，应为 11 位手机号或带区号的固定电话"
        if fmt == "email" and not EMAIL.match(value):
            return "格式不正确"
    return None
