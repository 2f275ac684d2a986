"""Restricted evaluation of the expressions a diagram carries (gateway conditions, timer expressions).

Contract: a diagram never runs arbitrary Python. Conditions are single expressions evaluated by simpleeval
over the task's data with a handful of pure functions; attribute access to dunders, imports, ``open`` and
large powers or strings are refused. :func:`check_expression` is the deploy-time check and returns a Chinese
message, or ``None`` when the expression is acceptable.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any

import simpleeval

SAFE_FUNCTIONS: dict[str, Any] = {
    "len": len, "str": str, "int": int, "float": float, "bool": bool,
    "min": min, "max": max, "abs": abs, "any": any, "all": all, "round": round,
}
SAFE_CONSTANTS: dict[str, Any] = {"True": True, "False": False, "None": None, "true": True, "false": False}
ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.FloorDiv, ast.Compare, ast.Eq, ast.NotEq, ast.Lt,
    ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.Name, ast.Load, ast.Constant,
    ast.Call, ast.IfExp, ast.Subscript, ast.Tuple, ast.List, ast.Attribute, ast.Slice,
)
ALLOWED_METHODS = {"get", "startswith", "endswith", "strip", "lower", "upper", "keys", "values", "items"}


class ExpressionRefused(Exception):
    """An expression that is not allowed or failed to evaluate; the message is Chinese."""


@lru_cache(maxsize=2048)
def check_expression(expression: str, max_length: int = 500) -> str | None:
    """Why ``expression`` may not be deployed (Chinese), or ``None`` when it is acceptable. Pure, so remembered:
    a diagram's few expressions are checked once per process, not at every evaluation."""
    if len(expression) > max_length:
        return f"表达式过长（{len(expression)} 字符，上限 {max_length}）"
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        return f"表达式无法解析：{exc.msg}"
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED_NODES):
            return f"表达式中不允许使用 {type(node).__name__}"
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return f"表达式中不允许使用以下划线开头的名称 {node.id}"
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_") or node.attr not in ALLOWED_METHODS:
                return f"表达式中不允许访问属性 {node.attr}"
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id not in SAFE_FUNCTIONS:
                return f"表达式中不允许调用函数 {func.id}"
            if node.keywords:
                return "表达式中的函数调用不允许使用关键字参数"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return "表达式中不允许使用乘方"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 200:
            return "表达式中的字符串常量过长"
    return None


def evaluate(expression: str, data: dict[str, Any], max_length: int = 500) -> Any:
    """Evaluate a checked expression over ``data``. Unknown names evaluate to ``None``."""
    problem = check_expression(expression, max_length)
    if problem:
        raise ExpressionRefused(problem)
    names = _Names(data)
    evaluator = simpleeval.EvalWithCompoundTypes(functions=SAFE_FUNCTIONS, names=names)
    try:
        return evaluator.eval(expression.strip(), previously_parsed=_parsed(expression.strip()))
    except Exception as exc:  # simpleeval raises many types; the diagram author needs the text
        raise ExpressionRefused(f"表达式求值失败：{expression}（{exc}）") from exc


@lru_cache(maxsize=2048)
def _parsed(expression: str) -> ast.AST:
    """simpleeval's parse of a checked expression (the tree is only read, so it can be shared)."""
    return simpleeval.SimpleEval.parse(expression)


class _Names(dict):
    """Task data as simpleeval names: constants first, unknown names are ``None`` rather than errors."""

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.update(SAFE_CONSTANTS)

    def __missing__(self, key: str) -> None:
        return None
