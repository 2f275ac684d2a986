"""Forms are recorded by the approving step and rendered after it commits (issue 8): on first read or by the
scheduler's render step, identical to rendering them in the step; seals are those of the recording moment."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tasks.documents import att1_context
from tests.flows import act, apply
from tests.test_documents__process import login, text_of
from tests.test_seals__documents import blips, red_png, scopes_of_staff_cs
from workflows import documents
from workflows.api.app import create_app
from workflows.db import unit_of_work
from workflows.models import Document
from workflows.scheduler.documents import DocumentRenderer, render_step
from workflows.services import document_files, queries, seals


def file_group(rt, **changes) -> dict:
    apply(rt, **changes)
    act(rt, "head_cs", "unit_head_review", {"decision": "approve", "opinion": "同意建群，请严格执行发布规则"})
    inst = act(rt, "party_cs", "party_org_review", {"decision": "approve", "opinion": "准予备案"})
    assert inst["status"] == "completed"
    return inst


def web_page(rt, path: str, username: str = "staff_cs") -> str:
    """``path`` of the web app as ``username`` (a session of its own)."""
    import re

    with TestClient(create_app(rt)) as web:
        token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").text).group(1)
        web.post("/login", data={"username": username, "password": "demo", "csrf_token": token})
        return web.get(path).text


def stored(rt, document_id: int) -> Document:
    with unit_of_work(write=False, engine=rt.db) as s:
        return s.get(Document, document_id)


def document_xml(content: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml")


def media(content: bytes) -> list[bytes]:
    z = zipfile.ZipFile(io.BytesIO(content))
    return sorted(z.read(n) for n in z.namelist() if n.startswith("word/media/"))


def test_approval_records_the_form_and_the_first_download_renders_it_as_before(sqlite_rt):
    rt = sqlite_rt
    inst = file_group(rt, group_name="课程思政🎓龘研讨群 <A&B>")
    (item,) = inst["documents"]
    assert item["status"] == "pending" and item["error"] is None
    doc = stored(rt, item["id"])
    assert doc.content is None and doc.rendered_at is None and doc.seals is None
    assert doc.context["party_org"]["opinion"] == "准予备案"

    assert "生成中" in web_page(rt, f"/instances/{inst['id']}")
    with TestClient(create_app(rt)) as client:
        r = client.get(f"/api/documents/{item['id']}", headers=login(client, "staff_cs"))
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
        text = text_of(r.content)
        for expected in ["课程思政🎓龘研讨群 <A&B>", "计算机工程学院", "同意建群，请严格执行发布规则", "准予备案", "张院长",
                         "计算机工程学院党委", "年", "月", "日"]:
            assert expected in text, expected
        again = client.get(f"/api/documents/{item['id']}", headers=login(client, "head_cs"))
        assert again.content == r.content  # stored once, served as stored
    doc = stored(rt, item["id"])
    assert doc.content == r.content and doc.rendered_at is not None
    assert queries.get_instance(rt, "admin", inst["id"])["documents"][0]["status"] == "ready"

    # the old path rendered in the step from the same data: the same document, word for word
    old = documents.render_document("att1", att1_context(SimpleNamespace(data=inst["data"])), rt.settings.templates_dir)
    assert document_xml(old) == document_xml(r.content)


def test_dates_survive_the_recorded_context():
    from datetime import date, datetime, timezone

    context = {"fill_date": date(2026, 11, 25), "at": datetime(2026, 11, 25, 3, 4, 5, tzinfo=timezone.utc),
               "admins": ("甲", "乙"), "groups": [{"member_count": 3, "x": None}], "n": 1.5, "ok": True}
    decoded = document_files.decode_context(document_files.encode_context(context))
    assert decoded == {**context, "admins": ["甲", "乙"]}


@pytest.mark.parametrize("kind", ["att1", "att2", "att3"])
def test_a_recorded_context_renders_the_same_form(kind):
    from workflows.bench_docs import sample_context
    from workflows.settings import ROOT_DIR

    rt = SimpleNamespace(settings=SimpleNamespace(templates_dir=ROOT_DIR / "templates"))
    context, seal = sample_context(kind), red_png()
    direct = documents.render_document(kind, context, rt.settings.templates_dir, seal, org_seal_png=seal)
    later = document_files.render(rt, kind, document_files.encode_context(context), {"seal": seal, "org_seal": seal})
    assert document_xml(later) == document_xml(direct) and media(later) == media(direct)


def test_the_scheduler_step_renders_pending_forms_and_keeps_failures_retryable(sqlite_rt, monkeypatch):
    rt = sqlite_rt
    first = file_group(rt, group_name="第一个群")["documents"][0]["id"]
    second = file_group(rt, group_name="第二个群")["documents"][0]["id"]
    real = documents.render_document

    def broken(kind, context, *args, **kwargs):
        if "第二个群" in context.get("group_name", ""):
            raise RuntimeError("模板损坏")
        return real(kind, context, *args, **kwargs)

    monkeypatch.setattr(documents, "render_document", broken)
    assert render_step(rt) == 1
    assert stored(rt, first).content is not None
    failed = stored(rt, second)
    assert failed.content is None and failed.render_attempts == 1 and "模板损坏" in failed.render_error
    inst_id = failed.instance_id
    assert queries.get_instance(rt, "admin", inst_id)["documents"][0]["status"] == "failed"
    html = web_page(rt, f"/instances/{inst_id}")
    assert "生成失败" in html and "模板损坏" in html and "自动重试" in html
    assert render_step(rt) == 0  # backing off: not retried at once
    with TestClient(create_app(rt)) as client:
        r = client.get(f"/api/documents/{second}", headers=login(client, "staff_cs"))
        assert r.status_code == 503 and "表格生成失败" in r.json()["detail"]
    assert stored(rt, second).render_attempts == 2

    monkeypatch.setattr(documents, "render_document", real)
    later = stored(rt, second).render_tried_at + document_files.RETRY_BASE * 4
    assert document_files.render_pending(rt, 20, now=later) == 1
    done = stored(rt, second)
    assert done.content is not None and done.render_error is None
    assert "第二个群" in text_of(done.content)
    assert queries.get_instance(rt, "admin", inst_id)["documents"][0]["status"] == "ready"


def test_the_renderer_thread_renders_soon_after_the_step(sqlite_rt):
    rt = sqlite_rt
    rt.settings.document_render_poll_seconds = 0.05
    document_id = file_group(rt)["documents"][0]["id"]
    renderer = DocumentRenderer(rt).start()
    try:
        deadline = time.monotonic() + 10
        while stored(rt, document_id).content is None and time.monotonic() < deadline:
            time.sleep(0.05)  # a real thread: wait for it, briefly
    finally:
        renderer.stop()
    assert stored(rt, document_id).content is not None


def test_a_seal_changed_after_recording_does_not_change_the_form(sqlite_rt):
    rt = sqlite_rt
    unit_scope, org_scope = scopes_of_staff_cs(rt)
    unsealed = file_group(rt, group_name="盖章前归档的群")["documents"][0]["id"]
    seals.set_seal(rt, "admin", org_scope, red_png())
    sealed = file_group(rt, group_name="盖章后归档的群")["documents"][0]["id"]
    seals.set_seal(rt, "admin", unit_scope, red_png(24))  # uploaded after both were recorded
    seals.set_seal(rt, "admin", org_scope, red_png(32))  # replaced after the second was recorded

    assert blips(document_files.content_of(rt, unsealed)) == 0
    content = document_files.content_of(rt, sealed)
    assert blips(content) == 1 and media(content) == [red_png()]
    seals.delete_seal(rt, "admin", org_scope)
    assert stored(rt, sealed).content == content


def test_concurrent_first_reads_store_one_copy(rt):
    document_id = file_group(rt)["documents"][0]["id"]
    with unit_of_work(engine=rt.db) as s:  # make both readers find it unrendered
        s.execute(update(Document).where(Document.id == document_id).values(content=None))
    results: list[bytes] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def read() -> None:
        try:
            barrier.wait()
            results.append(document_files.content_of(rt, document_id))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(results) == 3
    assert results[0] == results[1] == results[2] == stored(rt, document_id).content


def test_existing_documents_keep_their_content_through_the_migration(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from workflows.services.schema import alembic_config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(alembic_config(url), "0006")
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO document (name, kind, media_type, content, created_at) "
                       "VALUES ('旧表格.docx', 'att1', 'x', :c, '2026-01-01 00:00:00')"), {"c": b"PK old bytes"})
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as c:
        row = c.execute(select(Document.content, Document.render_attempts, Document.context)).one()
    assert tuple(row) == (b"PK old bytes", 0, None)
    engine.dispose()
