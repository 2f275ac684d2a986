"""Database engine and the unit of work.

Contract: only use cases (``workflows.services``) open a unit of work and commit. On SQLite a writing unit
of work starts with ``BEGIN IMMEDIATE`` so two writers queue instead of failing half-way; on PostgreSQL
writers take row locks (``SELECT ... FOR UPDATE``) on the instance they change.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session

from . import jsoncodec
from .settings import get_settings


_BUSY_SECONDS = 30  # how long a SQLite writer waits for the one before it
# JSON columns are written and read with orjson (UTF-8 text the standard library reads the same)
_JSON = {"json_serializer": jsoncodec.dumps_text, "json_deserializer": jsoncodec.loads}


def make_engine(url: str) -> Engine:
    """Create an engine with the pragmas groupgov relies on (WAL, foreign keys, busy timeout on SQLite)."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **_JSON)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event decide
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={_BUSY_SECONDS * 1000}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # straight on the DB-API connection (every transaction starts here: a fifth of an empty unit of
            # work's cost through exec_driver_sql); a failure still comes out as SQLAlchemy's error
            sql = f"BEGIN {conn.get_execution_options().get('sqlite_begin', 'DEFERRED')}"
            try:
                conn.connection.dbapi_connection.execute(sql)
            except sqlite3.Error as error:
                raise exc.DBAPIError.instance(sql, (), error, sqlite3.Error, dialect=conn.dialect) from error

        return _plain_savepoints(engine)
    return _plain_savepoints(create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, **_JSON))


def _plain_savepoints(engine: Engine) -> Engine:
    """Savepoints as plain SQL text. SQLAlchemy's dialect compiles a new SAVEPOINT / RELEASE clause for every
    savepoint (~40 µs each, and every handler that writes runs in one); the same statements as text cost a
    tenth of that. Same SQL, same names (SQLAlchemy's ``sa_savepoint_N``), on this engine's dialect only."""
    dialect = engine.dialect
    quote = dialect.identifier_preparer.quote

    def do_savepoint(connection, name):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql(f"SAVEPOINT {quote(name)}")

    def do_rollback_to_savepoint(connection, name):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {quote(name)}")

    def do_release_savepoint(connection, name):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql(f"RELEASE SAVEPOINT {quote(name)}")

    dialect.do_savepoint = do_savepoint  # type: ignore[method-assign]
    dialect.do_rollback_to_savepoint = do_rollback_to_savepoint  # type: ignore[method-assign]
    dialect.do_release_savepoint = do_release_savepoint  # type: ignore[method-assign]
    return engine


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL per process."""
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(get_settings().sqlalchemy_url)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def on_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` after :func:`unit_of_work` commits ``session``; dropped if it rolls back."""
    session.info.setdefault("on_commit", []).append(action)


def _sqlite_writer(engine: Engine) -> tuple[Engine, threading.RLock]:
    """For a SQLite ``engine``, made once per engine: the engine whose transactions start with ``BEGIN
    IMMEDIATE``, and the lock this process's writers queue on (re-entrant, as SQLite itself would refuse a
    nested writer anyway)."""
    found = engine.__dict__.get("_groupgov_sqlite_writer")
    if found is None:
        found = engine.__dict__.setdefault("_groupgov_sqlite_writer",
                                           (engine.execution_options(sqlite_begin="IMMEDIATE"), threading.RLock()))
    return found


@contextmanager
def unit_of_work(write: bool = True, engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commits when the block ends without error, rolls back otherwise.

    ``write=False`` is for queries; it never commits, and objects it loaded stay readable after the block.
    """
    engine = engine or get_engine()
    # SQLite has one writer at a time: writers of this process queue on a lock and start the moment the
    # previous one commits, instead of polling SQLite's busy handler (which sleeps between tries); writers
    # of other processes still meet at BEGIN IMMEDIATE
    bind, lock = _sqlite_writer(engine) if write and is_sqlite(engine) else (engine, None)
    if lock is not None and not lock.acquire(timeout=_BUSY_SECONDS):
        from .errors import Unavailable

        raise Unavailable("数据库繁忙，请稍后重试")
    session = Session(bind=bind, expire_on_commit=False, autoflush=True)
    try:
        yield session
        if write:
            session.commit()
            for action in session.info.pop("on_commit", []):
                action()
        # a read-only unit ends with close(): the transaction is rolled back, loaded objects stay readable
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        if lock is not None:
            lock.release()
