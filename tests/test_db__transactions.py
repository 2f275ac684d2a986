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
