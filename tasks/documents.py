"""The handler that files an official form at the right step of a process (``camunda:topic="make_document"``,
input parameter ``kind``: att1, att2 or att3), and the context builders, one per form, from process data.

The step records the filled form; it is rendered after the step commits (``workflows.services.document_files``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .registry import REGISTRY, HandlerContext

GROUP_KIND_LABELS = {"wechat_group": "微信工作群", "qq_group": "QQ工作群", "wechat_official_account": "微信公众号",
                     "qq_official_account": "QQ公众号", "gov_app": "政务APP"}
DECISION_LABELS = {"approve": "同意", "reject": "不同意", "return": "退回修改"}
STUDENT_BODY_NAMES = {"xuegong": "党委学生工作部", "yangong": "党委研究生工作部", "tuanwei": "团委"}


def signer(decision: dict[str, Any] | None) -> dict[str, Any]:
    """A decision recorded by the use case (``data['decisions'][task]``) as the form's signature block."""
    if not decision:
        return {}
    return {"name": decision.get("name", ""), "opinion": decision.get("opinion") or "",
            "decision_label": DECISION_LABELS.get(decision.get("decision", ""), ""), "date": decision.get("at")}


def att1_context(ctx: HandlerContext) -> dict[str, Any]:
    d = ctx.data
    decisions = d.get("decisions") or {}
    student = bool(d.get("is_student"))
    approver = signer(decisions.get("student_body_review" if student else "party_org_review"))
    approver["org_name"] = STUDENT_BODY_NAMES.get(d.get("student_body") or "xuegong") if student else d.get("party_org_name", "")
    return {
        "unit_name": d.get("unit_name", ""), "group_name": d.get("group_name", ""),
        "group_kind_label": GROUP_KIND_LABELS.get(d.get("group_kind", ""), "") + ("，" + d["function"] if d.get("function") else ""),
        "function": d.get("function", ""), "member_count": d.get("member_count"), "member_scope": d.get("member_scope", ""),
        "owner_name": d.get("owner_name", ""), "admins": d.get("admins", ""), "contact": d.get("contact", ""),
        "unit_head": signer(decisions.get("unit_head_review")), "party_org": approver,
    }


CONTEXTS: dict[str, tuple[Callable[[HandlerContext], dict[str, Any]], Callable[[dict[str, Any]], str]]] = {
    "att1": (att1_context, lambda d: f"微信工作群、QQ工作群组审批表-{d.get('group_name', '')}.docx"),
}


@REGISTRY.register("make_document", "生成并归档表单（附件1-3）", params=("kind",))
def make_document(ctx: HandlerContext, kind: str = "att1") -> dict[str, Any]:
    if kind not in CONTEXTS:
        raise ValueError(f"没有表单 {kind} 的数据映射")
    build, name = CONTEXTS[kind]
    doc_id = ctx.ops.documents.store(ctx, kind, name(ctx.data), build(ctx))
    return {f"{kind}_document_id": doc_id}
