"""The unit of work's own SQL on SQLite: BEGIN and savepoints are sent as plain text, errors stay SQLAlchemy's."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import exc, text

from workflows import db


def test_a_locked_database_is_sqlalchemys_operational_error(tmp_path, monkeypatch):
    """Another process holds the write lock: the writer's BEGIN IMMEDIATE gives up after the busy timeout with
    SQLAlchemy's OperationalError, which the timer sweep treats as transient."""
    monkeypatch.setattr(db, "_BUSY_SECONDS", 1)
    path = tmp_path / "locked.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    with db.unit_of_work(engine=engine) as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(exc.OperationalError, match="locked"):
            with db.unit_of_work(engine=engine) as session:
                session.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with db.unit_of_work(engine=engine) as session:  # the engine is usable again
        session.execute(text("INSERT INTO t VALUES (2)"))
        savepoint = session.begin_nested()
        session.execute(text("INSERT INTO t VALUES (3)"))
        savepoint.rollback()
    with db.unit_of_work(write=False, engine=engine) as session:
        assert session.scalars(text("SELECT x FROM t")).all() == [2]
    engine.dispose()


def test_a_writer_that_waits_too_long_for_the_one_before_it_is_told_to_retry(tmp_path, monkeypatch):
    """The writers of one process queue on a lock; one still waiting after the busy timeout gets Unavailable
    (503, "数据库繁忙") and has changed nothing, while the one holding the lock finishes."""
    import threading

    from workflows.errors import Unavailable

    monkeypatch.setattr(db, "_BUSY_SECONDS", 1)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}")
    with db.unit_of_work(engine=engine) as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    holding, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        with db.unit_of_work(engine=engine) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            release.wait(10)

    first = threading.Thread(target=slow_writer)
    first.start()
    try:
        assert holding.wait(10)
        with pytest.raises(Unavailable, match="数据库繁忙"):
            with db.unit_of_work(engine=engine) as session:
                session.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        release.set()
        first.join(10)
    with db.unit_of_work(write=False, engine=engine) as session:
        assert session.scalars(text("SELECT x FROM t")).all() == [1]
    engine.dispose()
