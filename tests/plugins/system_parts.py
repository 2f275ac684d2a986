"""Pytest plugin that gives tests the real system parts.

Loaded by the main conftest (``pytest_plugins = ["tests.plugins.system_parts"]``).

Fixtures:

- ``postgres_server`` (session): base SQLAlchemy URL of a PostgreSQL server,
  ``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``. Taken from
  ``GROUPGOV_TEST_POSTGRES_URL`` when set, otherwise a throw-away cluster made with
  Debian's ``initdb``/``pg_ctl`` in a temporary directory, listening on 127.0.0.1 only,
  stopped and deleted at the end of the session.
- ``postgres_url`` (function): a fresh, uniquely named database on that server,
  dropped afterwards.
- ``chromium_path``, ``libreoffice_path``, ``pdftotext_path`` (session): paths of the
  Debian programs; ``cjk_fonts`` (session): font families with Chinese glyphs; ``rare_cjk_fonts``
  (session): families with the rare characters of CJK Extension B (U+20000 on).
- ``smtp_server`` (session): an aiosmtpd server on 127.0.0.1 that keeps what it
  receives (``.host``, ``.port``, ``.messages``, ``.clear()``, ``.wait_for(n)``).

A missing part skips the test with the reason (``pytest -ra`` prints it), unless
``GROUPGOV_REQUIRE_SYSTEM_PARTS=1`` (as in CI), where it fails the test instead.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Iterator

import pytest

from workflows.bench.pgcluster import (  # noqa: F401  (re-exported: tests use system_parts.<name>)
    LocalPostgres,
    PostgresError,
    create_database as _create_database,
    drop_database as _drop_database,
    find_postgres_bindir,
    free_port,
    fresh_database,
    to_libpq_url,
    to_sqlalchemy_url,
)

REQUIRE_ENV = "GROUPGOV_REQUIRE_SYSTEM_PARTS"
POSTGRES_URL_ENV = "GROUPGOV_TEST_POSTGRES_URL"


# --------------------------------------------------------------------------- need()


def parts_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def need(part: str, reason: str) -> None:
    """Stop the current test because a system part is missing.

    Skips with the reason, or fails when ``GROUPGOV_REQUIRE_SYSTEM_PARTS=1``.
    Never returns.
    """
    message = f"system part {part!r} unavailable: {reason}"
    if parts_required():
        pytest.fail(f"{message} ({REQUIRE_ENV}=1, so this is a failure)", pytrace=False)
    pytest.skip(message)


# --------------------------------------------------------------------------- helpers


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base SQLAlchemy URL of a PostgreSQL server for the whole test session."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a main dependency
        need("psycopg", f"cannot import psycopg: {exc}")

    external = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if external:
        url = to_sqlalchemy_url(external)
        try:
            with psycopg.connect(to_libpq_url(url), connect_timeout=10) as conn:
                conn.execute("select 1")
        except Exception as exc:
            need("postgresql", f"cannot connect to {POSTGRES_URL_ENV}={external}: {exc}")
        yield url
        return

    bindir = find_postgres_bindir()
    if bindir is None:
        need(
            "postgresql",
            f"no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH; "
            f"apt-get install postgresql, or set {POSTGRES_URL_ENV}",
        )
    server = LocalPostgres(bindir)
    try:
        try:
            url = server.start()
        except (PostgresError, OSError, subprocess.SubprocessError) as exc:
            need("postgresql", f"could not start a local PostgreSQL server with {bindir}: {exc}")
        yield url
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh empty database (unique name) on ``postgres_server``; dropped afterwards."""
    cm = fresh_database(postgres_server)
    try:
        url = cm.__enter__()
    except Exception as exc:
        need("postgresql", f"could not create a database on {postgres_server}: {exc}")
    try:
        yield url
    finally:
        cm.__exit__(None, None, None)


# --------------------------------------------------------------------------- programs


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium, for Playwright's ``executable_path``."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    need("chromium", "no /usr/bin/chromium and no chromium on PATH; apt-get install chromium")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def libreoffice_path() -> str:
    """LibreOffice's ``soffice`` (for headless .docx → .pdf)."""
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        need("libreoffice", "no soffice or libreoffice on PATH; apt-get install libreoffice-writer-nogui")
    return path


@pytest.fixture(scope="session")
def pdftotext_path() -> str:
    """poppler's ``pdftotext``."""
    path = shutil.which("pdftotext")
    if not path:
        need("pdftotext", "no pdftotext on PATH; apt-get install poppler-utils")
    return path


@pytest.fixture(scope="session")
def cjk_fonts() -> list[str]:
    """Font families with Chinese glyphs (fontconfig), so pages and PDFs show Chinese text."""
    fc_list = shutil.which("fc-list") or ("/usr/bin/fc-list" if os.access("/usr/bin/fc-list", os.X_OK) else None)
    if not fc_list:
        need("fonts-noto-cjk", "no fc-list (fontconfig) to look for Chinese fonts; apt-get install fonts-noto-cjk")
    result = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=60)
    families = sorted({line.strip() for line in result.stdout.splitlines() if line.strip()})
    if not families:
        need("fonts-noto-cjk", "fontconfig knows no font with Chinese glyphs; apt-get install fonts-noto-cjk")
    return families


@pytest.fixture(scope="session")
def rare_cjk_fonts(cjk_fonts: list[str]) -> list[str]:
    """Font families with CJK Extension B (生僻字 in people's names, such as U+20000), so forms print them."""
    result = subprocess.run([shutil.which("fc-list") or "/usr/bin/fc-list", ":charset=20000", "family"],
                            capture_output=True, text=True, timeout=60)
    families = sorted({name.strip() for line in result.stdout.splitlines() for name in line.split(",") if name.strip()})
    if not families:
        need("fonts-hanazono", "fontconfig knows no font with CJK Extension B (U+20000); apt-get install fonts-hanazono")
    return families


# --------------------------------------------------------------------------- SMTP


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def subject(self) -> str | None:
        return self.message["Subject"]


@dataclass
class SMTPServer:
    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[ReceivedMail]:
        """Wait until at least ``count`` messages arrived; returns them (raises on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"expected {count} message(s), got {len(self.messages)} within {timeout}s")
                self._cond.wait(left)
            return list(self.messages)

    def _add(self, mail: ReceivedMail) -> None:
        with self._cond:
            self.messages.append(mail)
            self._cond.notify_all()


class _StoringHandler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.server._add(
            ReceivedMail(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), message=message, raw=raw)
        )
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    """An SMTP server on 127.0.0.1 that keeps every message it receives."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError as exc:
        need("aiosmtpd", f"cannot import aiosmtpd (a dev dependency; run uv sync): {exc}")

    host = "127.0.0.1"
    controller = None
    last_exc: Exception | None = None
    for _attempt in range(5):
        store = SMTPServer(host=host, port=free_port(host))
        controller = Controller(
            _StoringHandler(store), hostname=host, port=store.port, enable_SMTPUTF8=True, ready_timeout=10
        )
        try:
            controller.start()
            break
        except Exception as exc:  # port taken between free_port() and bind
            last_exc = exc
            controller = None
    if controller is None:
        need("smtp", f"could not start aiosmtpd on {host}: {last_exc}")
    try:
        yield store
    finally:
        controller.stop()
