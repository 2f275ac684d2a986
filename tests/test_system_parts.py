"""Proof that the system-part fixtures give the real thing (tests/plugins/system_parts.py)."""

from __future__ import annotations

import smtplib
import socket
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.plugins import system_parts
from tests.plugins.system_parts import need

CHINESE = "关于成立计算机工程学院工作群的审批"


# --------------------------------------------------------------------------- need()


def test_need_skips_by_default(monkeypatch):
    monkeypatch.delenv("GROUPGOV_REQUIRE_SYSTEM_PARTS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install widget"):
        need("widget", "apt-get install widget")


def test_need_fails_when_parts_are_required(monkeypatch):
    monkeypatch.setenv("GROUPGOV_REQUIRE_SYSTEM_PARTS", "1")
    with pytest.raises(pytest.fail.Exception, match="apt-get install widget"):
        need("widget", "apt-get install widget")


# --------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_postgres_is_real_and_isolated(postgres_url):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    assert url.drivername == "postgresql+psycopg"
    assert url.database.startswith("gg_test_")

    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("select version()")).scalar_one()
            assert version.startswith("PostgreSQL "), version
            assert conn.execute(text("select current_database()")).scalar_one() == url.database
            assert conn.execute(text("show server_encoding")).scalar_one() == "UTF8"

        with engine.begin() as conn:
            conn.execute(text("create table groups (id serial primary key, name text not null)"))

        with engine.connect() as writer, engine.connect() as reader:
            writer.execute(text("insert into groups (name) values (:n)"), {"n": CHINESE})
            # not committed yet: another connection must not see it (real MVCC, not a shared session)
            assert reader.execute(text("select count(*) from groups")).scalar_one() == 0
            reader.rollback()
            writer.commit()
            assert reader.execute(text("select name from groups")).scalars().all() == [CHINESE]
            reader.rollback()

            reader.execute(text("insert into groups (name) values ('第二个')"))
            reader.commit()
            names = writer.execute(text("select name from groups order by id")).scalars().all()
            assert names == [CHINESE, "第二个"]
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("round_", [1, 2])
def test_postgres_url_is_a_fresh_database_each_time(postgres_url, round_):
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(text("create table leftover (x int)"))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_database_is_dropped_even_with_open_connections(postgres_server):
    """The postgres_url teardown drops its database although a connection is still open."""
    import psycopg

    with system_parts.fresh_database(postgres_server) as url:
        name = url.rsplit("/", 1)[1]
        lingering = psycopg.connect(system_parts.to_libpq_url(url))
        assert lingering.execute("select current_database()").fetchone()[0] == name
    # dropped although `lingering` was still connected
    assert _connection_is_dead(lingering)
    with psycopg.connect(system_parts.to_libpq_url(postgres_server)) as admin:
        exists = admin.execute("select count(*) from pg_database where datname = %s", (name,)).fetchone()[0]
    assert exists == 0


@pytest.mark.postgres
@pytest.mark.slow
def test_local_postgres_stops_and_cleans_up():
    """A throw-away cluster starts on 127.0.0.1 only and leaves nothing behind when stopped."""
    import psycopg

    bindir = system_parts.find_postgres_bindir()
    if bindir is None:
        need("postgresql", "no PostgreSQL server binaries (initdb, pg_ctl); apt-get install postgresql")
    server = system_parts.LocalPostgres(bindir)
    server.start()
    try:
        tmpdir, port = server.tmpdir, server.port
        with psycopg.connect(system_parts.to_libpq_url(server.url)) as conn:
            assert conn.execute("show listen_addresses").fetchone()[0] == "127.0.0.1"
            assert conn.execute("show fsync").fetchone()[0] == "off"
        assert tmpdir.is_dir()
    finally:
        server.stop()
    assert not tmpdir.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def _connection_is_dead(conn) -> bool:
    try:
        conn.execute("select 1")
    except Exception:
        return True
    finally:
        conn.close()
    return False


# --------------------------------------------------------------------------- SMTP


def test_smtp_server_receives_chinese_mail(smtp_server):
    smtp_server.clear()
    msg = EmailMessage()
    msg["From"] = "groupgov@example.edu.cn"
    msg["To"] = "head_cs@example.edu.cn"
    msg["Subject"] = f"待办：{CHINESE}"
    msg.set_content(f"您有一项待审批事项：{CHINESE}。")

    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as client:
        client.send_message(msg)

    (mail,) = smtp_server.wait_for(1, timeout=10)
    assert mail.mail_from == "groupgov@example.edu.cn"
    assert mail.rcpt_tos == ["head_cs@example.edu.cn"]
    assert mail.message["Subject"] == f"待办：{CHINESE}"
    assert mail.subject == f"待办：{CHINESE}"
    assert CHINESE in mail.message.get_content()

    smtp_server.clear()
    assert smtp_server.messages == []


# --------------------------------------------------------------------------- Chromium

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
def test_chromium_renders_chinese_page(chromium_path, cjk_fonts):
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    html = f"<!doctype html><meta charset=utf-8><title>{CHINESE}</title><h1 id=h>{CHINESE}</h1>"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto("data:text/html;charset=utf-8," + quote(html))
            assert page.title() == CHINESE
            assert page.inner_text("#h") == CHINESE
            # the heading really was laid out (has a size), so a CJK font is there
            box = page.locator("#h").bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 10
        finally:
            browser.close()


# --------------------------------------------------------------------------- LibreOffice


def test_libreoffice_converts_docx_to_pdf(libreoffice_path, pdftotext_path, cjk_fonts, tmp_path):
    import docx

    source = tmp_path / "approval.docx"
    document = docx.Document()
    document.add_heading(CHINESE, level=1)
    document.add_paragraph("申请单位：计算机工程学院")
    document.save(source)

    outdir = tmp_path / "out"
    outdir.mkdir()
    profile = tmp_path / "lo-profile"
    result = subprocess.run(
        [
            libreoffice_path,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            "--convert-to", "pdf", "--outdir", str(outdir), str(source),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = outdir / "approval.pdf"
    assert result.returncode == 0, result.stdout + result.stderr
    assert pdf.is_file(), result.stdout + result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")

    text = subprocess.run(
        [pdftotext_path, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    assert CHINESE in text.replace("\n", "").replace(" ", "")
    assert "计算机工程学院" in text
