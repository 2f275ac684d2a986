"""Handlers of the official account filing (measures art. 5, 10; attachment 2)."""

from __future__ import annotations

from typing import Any

from .registry import REGISTRY, HandlerContext


def signer(decisions: dict[str, Any], spec_id: str) -> dict[str, Any]:
    """A signature block for a document: who decided ``spec_id``, their opinion and date."""
    d = decisions.get(spec_id) or {}
    return {"name": d.get("name", ""), "opinion": d.get("opinion") or ("同意" if d.get("decision") == "approve" else ""),
            "date": d.get("at")}


def att2_context(d: dict[str, Any]) -> dict[str, Any]:
    """The context ``workflows.documents`` fills attachment 2 with, from the instance's data."""
    decisions = d.get("decisions") or {}
    return {
        "unit_name": d.get("unit_name", ""), "account_name": d.get("group_name", ""), "open_date": d.get("open_date"),
        "followers": d.get("followers"), "real_name_verified": d.get("real_name_verified"),
        "registered_name": d.get("registered_name", ""),
        "first_responsible": {"name": d.get("first_responsible_name"), "title": d.get("first_responsible_title"),
                              "mobile": d.get("first_responsible_mobile"), "landline": d.get("first_responsible_landline")},
        "admin": {"name": d.get("admin_name"), "title": d.get("admin_title"), "mobile": d.get("admin_mobile"),
                  "landline": d.get("admin_landline"), "email": d.get("admin_email")},
        "direct_responsible": {"name": d.get("applicant_name", "")},
        "unit_head": signer(decisions, "unit_head_review"),
        "propaganda": signer(decisions, "propaganda_review"),
    }


@REGISTRY.register("file_account", "公众号备案：账号进入台账（已备案），生成备案登记表（附件2）")
def file_account(ctx: HandlerContext) -> dict[str, Any]:
    d = ctx.data
    fields = {
        "name": d.get("group_name", ""),
        "kind": d.get("group_kind") or "wechat_official_account",
        "function": d.get("function") or "",
        "member_scope": "关注用户",
        "member_count": int(d.get("followers") or 0),
        "owner_id": ctx.starter_id,
        "admins": d.get("admin_name") or "",
        "contact": d.get("admin_mobile") or "",
        "posting_rules": d.get("posting_rules") or "",
        "line": "admin",
        "details": {
            "owner_name": d.get("applicant_name", ""), "open_date": d.get("open_date"), "followers": d.get("followers"),
            "real_name_verified": bool(d.get("real_name_verified")), "registered_name": d.get("registered_name"),
            "first_responsible": {"name": d.get("first_responsible_name"), "title": d.get("first_responsible_title"),
                                  "mobile": d.get("first_responsible_mobile"), "landline": d.get("first_responsible_landline")},
            "admin": {"name": d.get("admin_name"), "title": d.get("admin_title"), "mobile": d.get("admin_mobile"),
                      "landline": d.get("admin_landline"), "email": d.get("admin_email")},
        },
    }
    result = ctx.ops.registry.file_account(ctx, fields)
    doc = ctx.ops.registry.store_document(ctx, "att2", att2_context(d), f"公众号备案登记表-{d.get('group_name', '')}.docx")
    return {**result, "att2_document_id": doc}
