"""Att. 1 is generated when a group is filed, listed on the instance and downloadable by the people involved."""

from __future__ import annotations

import io

import pytest
from docx import Document as Docx
from fastapi.testclient import TestClient

from tests.flows import APPLICATION, act, apply
from workflows.api.app import create_app


def login(client: TestClient, username: str) -> dict[str, str]:
    token = client.post("/api/auth/token", data={"username": username, "password": "demo"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def text_of(content: bytes) -> str:
    doc = Docx(io.BytesIO(content))
    return "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells) + "\n".join(p.text for p in doc.paragraphs)


@pytest.fixture
def filed(sqlite_rt):
    iid = apply(sqlite_rt, group_name="课程思政🎓龘研讨群 <A&B>")
    act(sqlite_rt, "head_cs", "unit_head_review", {"decision": "approve", "opinion": "同意建群，请严格执行发布规则"})
    inst = act(sqlite_rt, "party_cs", "party_org_review", {"decision": "approve", "opinion": "准予备案"})
    assert inst["status"] == "completed"
    return sqlite_rt, inst


def test_att1_is_stored_with_the_filed_instance(filed):
    rt, inst = filed
    assert [(d["kind"], d["name"]) for d in inst["documents"]] == [("att1", "微信工作群、QQ工作群组审批表-课程思政🎓龘研讨群 <A&B>.docx")]
    with TestClient(create_app(rt)) as client:
        r = client.get(f"/api/documents/{inst['documents'][0]['id']}", headers=login(client, "staff_cs"))
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
        text = text_of(r.content)
        for expected in ["课程思政🎓龘研讨群 <A&B>", "计算机工程学院", "同意建群，请严格执行发布规则", "准予备案", "张院长", "陈书记助理",
                         "计算机工程学院党委", str(APPLICATION["member_count"]), APPLICATION["contact"], "年", "月", "日"]:
            assert expected in text, expected
        for user, status in [("head_cs", 200), ("party_cs", 200), ("admin", 200), ("staff_me", 403), ("head_me", 403)]:
            assert client.get(f"/api/documents/{inst['documents'][0]['id']}", headers=login(client, user)).status_code == status, user


def test_no_document_for_a_rejected_application(sqlite_rt):
    apply(sqlite_rt)
    inst = act(sqlite_rt, "head_cs", "unit_head_review", {"decision": "reject", "opinion": "不同意"})
    assert inst["documents"] == []


def test_blank_forms_for_units_on_paper(sqlite_rt):
    with TestClient(create_app(sqlite_rt)) as client:
        headers = login(client, "staff_cs")
        for kind, label in [("att1", "二级党组织"), ("att2", "公众号名称"), ("att3", "保留依据")]:
            r = client.get(f"/api/forms/{kind}/blank", headers=headers)
            assert r.status_code == 200
            text = text_of(r.content)
            assert label in text and "{{" not in text
        assert client.get("/api/forms/att9/blank", headers=headers).status_code == 404
        assert client.get("/api/forms/att1/blank").status_code == 401


def test_pdf_copy(filed, libreoffice_path, pdftotext_path, tmp_path):
    import subprocess

    rt, inst = filed
    with TestClient(create_app(rt)) as client:
        r = client.get(f"/api/documents/{inst['documents'][0]['id']}/pdf", headers=login(client, "staff_cs"))
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        assert client.get(f"/api/documents/{inst['documents'][0]['id']}/pdf", headers=login(client, "staff_me")).status_code == 403
    pdf = tmp_path / "att1.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run([pdftotext_path, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "准予备案" in text and "审批表" in text
