"""Sample form contexts (realistic, made up) and the document-rendering benchmark for ``groupgov bench``."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

from workflows.documents import render_document


def sample_context(kind: str) -> dict[str, Any]:
    """A filled context for ``kind`` following the contract in :mod:`workflows.documents`."""
    if kind == "att1":
        return {
            "unit_name": "机械工程学院",
            "group_name": "机械工程学院2026级研究生导师工作群",
            "group_kind_label": "微信工作群",
            "function": "发布研究生培养、导师会议通知，收集材料",
            "member_count": 56,
            "member_scope": "本学院研究生导师及研究生秘书",
            "owner_name": "王建国",
            "admins": ["李晓梅", "陈志强"],
            "contact": "13905190001",
            "unit_head": {"name": "张明华", "opinion": "同意建立，由王建国负责日常管理。",
                          "date": date(2026, 11, 20)},
            "party_org": {"name": "刘德胜", "opinion": "同意备案。", "date": date(2026, 11, 25),
                          "org_name": "中共机械工程学院委员会"},
        }
    if kind == "att2":
        return {
            "unit_name": "图书馆",
            "account_name": "江苏理工学院图书馆",
            "open_date": date(2018, 9, 1),
            "followers": 12840,
            "real_name_verified": True,
            "registered_name": "江苏理工学院",
            "first_responsible": {"name": "周文涛", "title": "馆长 / 研究馆员", "mobile": "13801500002",
                                  "landline": "0519-86950001"},
            "admin": {"name": "吴静", "title": "馆员", "mobile": "13801500003", "landline": "0519-86950002",
                      "email": "wujing@example.edu.cn"},
            "direct_responsible": {"name": "吴静"},
            "unit_head": {"name": "周文涛", "opinion": "同意报备。", "date": date(2026, 11, 18)},
            "propaganda": {"name": "孙立平", "opinion": "已备案。", "date": date(2026, 11, 25)},
        }
    if kind == "att3":
        groups = [
            {"group_name": "学院教职工工作群", "owner_name": "赵丽", "member_scope": "全体教职工",
             "member_count": 132, "function": "发布学院工作通知", "posting_rules": "仅发布工作信息，不点赞不回复",
             "retention_basis": "学院日常工作需要"},
            {"unit_name": "电气信息工程学院第一党支部", "group_name": "第一党支部党员群", "owner_name": "钱进",
             "member_scope": "支部党员", "member_count": 28, "function": "组织生活通知",
             "posting_rules": "涉密不上网", "retention_basis": "支部组织生活需要"},
        ]
        return {
            "unit_name": "电气信息工程学院",
            "original_count": 7,
            "groups": groups,
            "statistician": {"name": "孙悦"},
            "unit_head": {"name": "李强"},
            "party_secretary": {"name": "陈红"},
            "fill_date": date(2026, 11, 25),
        }
    raise ValueError(kind)


def bench_docx(templates_dir: Path, n: int = 50) -> float:
    """Documents per second rendering att1 ``n`` times with :func:`sample_context`."""
    context = sample_context("att1")
    start = time.perf_counter()
    for _ in range(n):
        render_document("att1", context, templates_dir)
    return n / (time.perf_counter() - start)
