"""Seal images (issue 5): administrators upload them per unit / Party org; att1 is stamped where it says 盖章."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.flows import act, apply
from workflows.api.app import create_app
from workflows.db import unit_of_work
from workflows.models import AuditEvent, Person


def red_png(size: int = 40) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def login(client: TestClient, username: str) -> dict[str, str]:
    token = client.post("/api/auth/token", data={"username": username, "password": "demo"}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def blips(content: bytes) -> int:
    return zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").count(b"<a:blip ")


def scopes_of_staff_cs(rt) -> tuple[str, str]:
    with unit_of_work(write=False, engine=rt.db) as session:
        person = session.scalars(select(Person).where(Person.username == "staff_cs")).one()
        assert person.unit.name == "计算机工程学院"
        return f"unit:{person.unit_id}", f"org:{person.unit.party_org_id}"


def file_group(rt, client: TestClient) -> bytes:
    apply(rt)
    act(rt, "head_cs", "unit_head_review", {"decision": "approve", "opinion": "同意"})
    inst = act(rt, "party_cs", "party_org_review", {"decision": "approve", "opinion": "准予备案"})
    (doc,) = [d for d in inst["documents"] if d["kind"] == "att1"]
    r = client.get(f"/api/documents/{doc['id']}", headers=login(client, "staff_cs"))
    assert r.status_code == 200
    return r.content


@pytest.fixture
def client(sqlite_rt):
    with TestClient(create_app(sqlite_rt)) as c:
        yield c


def test_att1_carries_the_unit_and_party_org_seals(sqlite_rt, client):
    unit_scope, org_scope = scopes_of_staff_cs(sqlite_rt)
    admin = login(client, "admin")
    for scope in (unit_scope, org_scope):
        r = client.put(f"/api/admin/seals/{scope}", headers=admin, files={"file": ("seal.png", red_png(), "image/png")})
        assert r.status_code == 200, r.text
        assert r.json()["media_type"] == "image/png"
    listed = {i["scope"]: i for i in client.get("/api/admin/seals", headers=admin).json()["items"]}
    assert listed[unit_scope]["name"] == "计算机工程学院" and listed[unit_scope]["seal"]["size"] == len(red_png())
    assert listed[org_scope]["seal"] is not None
    image = client.get(f"/api/admin/seals/{unit_scope}", headers=admin)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png" and image.content == red_png()
    assert blips(file_group(sqlite_rt, client)) == 2
    with unit_of_work(write=False, engine=sqlite_rt.db) as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.instance_id.is_(None))).all()
    assert actions.count("seal_set") == 2

    assert client.delete(f"/api/admin/seals/{unit_scope}", headers=admin).status_code == 204
    assert client.get(f"/api/admin/seals/{unit_scope}", headers=admin).status_code == 404
    assert blips(file_group(sqlite_rt, client)) == 1


def test_no_seals_no_images(sqlite_rt, client):
    assert blips(file_group(sqlite_rt, client)) == 0


def test_upload_rules(sqlite_rt, client):
    unit_scope, _ = scopes_of_staff_cs(sqlite_rt)
    png = {"file": ("seal.png", red_png(), "image/png")}
    assert client.put(f"/api/admin/seals/{unit_scope}", headers=login(client, "staff_cs"), files=png).status_code == 403
    assert client.get("/api/admin/seals", headers=login(client, "staff_cs")).status_code == 403
    admin = login(client, "admin")
    for name, content in [("seal.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ("seal.png", b"not an image at all")]:
        r = client.put(f"/api/admin/seals/{unit_scope}", headers=admin, files={"file": (name, content, "image/png")})
        assert r.status_code == 422 and "PNG 或 JPEG" in r.text, r.text
    big = b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024)
    r = client.put(f"/api/admin/seals/{unit_scope}", headers=admin, files={"file": ("seal.jpg", big, "image/jpeg")})
    assert r.status_code == 422 and "2 MB" in r.text
    for scope in ("unit:99999", "org:99999", "nonsense"):
        assert client.put(f"/api/admin/seals/{scope}", headers=admin, files=png).status_code == 404, scope


def test_admin_page_uploads_with_the_csrf_token(sqlite_rt):
    import re

    unit_scope, _ = scopes_of_staff_cs(sqlite_rt)
    with TestClient(create_app(sqlite_rt)) as web:
        token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").text).group(1)
        assert web.post("/login", data={"username": "admin", "password": "demo", "csrf_token": token}, follow_redirects=False).status_code == 303
        html = web.get("/admin/seals").text
        assert "计算机工程学院" in html and 'href="/admin/seals"' in html and "未上传" in html
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        files = {"file": ("seal.png", red_png(), "image/png")}
        assert web.post(f"/admin/seals/{unit_scope}", files=files, follow_redirects=False).status_code == 403  # no token
        r = web.post(f"/admin/seals/{unit_scope}", data={"csrf_token": token}, files=files)
        assert r.status_code == 200 and "已上传计算机工程学院的印章" in r.text and "/api/admin/seals/unit%3A" in r.text
        r = web.post(f"/admin/seals/{unit_scope}", data={"csrf_token": token}, files={"file": ("x.gif", b"GIF89a", "image/gif")})
        assert "只能是 PNG 或 JPEG" in r.text
        assert web.get(f"/api/admin/seals/{unit_scope}").content == red_png()
