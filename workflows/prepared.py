"""Statements of the step path run straight on the DB-API cursor of the caller's transaction.

SQLAlchemy's Core ``Connection.execute`` of an already compiled statement costs about 20 µs (execution
context, parameter dictionaries, result proxy); sqlite3 itself takes 2-4 µs for the small statements a step
runs a dozen of. A :class:`Prepared` statement is compiled by SQLAlchemy once per dialect and set of
parameter names, with SQLAlchemy's own type processors (UTC datetimes, JSON, booleans) and the columns'
Python defaults applied as SQLAlchemy would, then executed on the DB-API cursor.

Contract: runs inside the session's current transaction (the connection ``session.connection()`` gives), with
no autoflush, as ``session.connection().execute(...)`` does; database errors come out as SQLAlchemy's
(``sqlalchemy.exc.IntegrityError`` …). Not for statements SQLAlchemy expands at execution time (``IN`` with
an expanding parameter) or with ``onupdate`` defaults: those are refused when prepared.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

_CURSOR = "groupgov.prepared.cursor"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]                                  # parameters in the order the SQL takes them
    positional: bool                                        # qmark (SQLite) or named (psycopg)
    processors: tuple[Callable[[Any], Any] | None, ...]     # per name
    fixed: dict[str, Any]                                   # parameters with a value in the statement
    defaults: tuple[tuple[str, Callable[[], Any]], ...]     # columns' Python defaults the caller left out
    results: tuple[Callable[[Any], Any] | None, ...]        # per result column
    row: type | None                                        # a named tuple of the result columns' keys (None: keys repeat)


class Prepared:
    """One statement (a Core ``select``, ``insert``, ``update`` or ``delete``, parameters as ``bindparam``s or,
    for an ``insert``, the column keys given) compiled on first use per dialect and parameter names."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, frozenset[str]], _Compiled] = {}

    def _compile(self, dialect: Dialect, keys: frozenset[str]) -> _Compiled:
        found = self._compiled.get((dialect.name, keys))
        if found is not None:
            return found
        compiled = self.statement.compile(dialect=dialect, column_keys=sorted(keys))
        if "POSTCOMPILE" in compiled.string or compiled.escaped_bind_names or getattr(compiled, "update_prefetch", None):
            raise ValueError(f"statement cannot be prepared: {compiled.string[:80]}")
        positional = compiled.positiontup is not None
        names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
        processors = tuple(_bind_processor(compiled.binds[n].type, dialect) for n in names)
        defaults = tuple((c.key, _default_of(c)) for c in getattr(compiled, "insert_prefetch", ()) if c.key not in keys)
        fixed = {n: compiled.binds[n].effective_value for n in names
                 if n not in keys and not compiled.binds[n].required and n not in dict(defaults)}
        columns = list(getattr(self.statement, "exported_columns", ()))
        results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        keys_ = [c.key for c in columns]
        row = namedtuple("Row", keys_) if len(set(keys_)) == len(keys_) else None  # type: ignore[misc]
        found = self._compiled[(dialect.name, keys)] = _Compiled(compiled.string, names, positional, processors, fixed,
                                                                 defaults, results, row)
        return found

    def execute(self, session: Session, params: Mapping[str, Any] | None = None) -> Any:
        """Run the statement; answers the DB-API cursor (read its rows at once: the next statement reuses it)."""
        return self._run(session, params)[0]

    def _run(self, session: Session, params: Mapping[str, Any] | None) -> tuple[Any, _Compiled]:
        params = params or {}
        cur, dialect = _cursor(session)
        c = self._compile(dialect, frozenset(params))
        values = {**c.fixed, **params} if c.fixed else dict(params)
        for key, make in c.defaults:
            values[key] = make()
        if c.positional:
            args: Any = tuple(v if p is None else p(v) for p, v in zip(c.processors, (values[n] for n in c.names)))
        else:
            args = {n: (values[n] if p is None else p(values[n])) for n, p in zip(c.names, c.processors)}
        try:
            cur.execute(c.sql, args)
        except dialect.loaded_dbapi.Error as error:
            raise sa_exc.DBAPIError.instance(c.sql, args, error, dialect.loaded_dbapi.Error, dialect=dialect) from error
        return cur, c

    def all(self, session: Session, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every result row, with SQLAlchemy's result types applied."""
        cur, c = self._run(session, params)
        rows = cur.fetchall()
        processors = c.results
        if not any(processors):
            return rows
        return [tuple(v if p is None else p(v) for p, v in zip(processors, row)) for row in rows]

    def named(self, session: Session, params: Mapping[str, Any] | None = None) -> list[Any]:
        """:meth:`all` as named tuples: each column also by its key (``row.id``, a label's name), as SQLAlchemy's
        rows are."""
        cur, c = self._run(session, params)
        if c.row is None:
            raise ValueError(f"result columns need distinct names (label them): {c.sql[:80]}")
        processors, make = c.results, c.row._make
        return [make(v if p is None else p(v) for p, v in zip(processors, row)) for row in cur.fetchall()]

    def first(self, session: Session, params: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        rows = self.all(session, params)
        return rows[0] if rows else None

    def scalar(self, session: Session, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        row = self.first(session, params)
        return row[0] if row else None

    def rowcount(self, session: Session, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement that answers no rows; the number of rows it changed."""
        return int(self.execute(session, params).rowcount)


def _cursor(session: Session) -> tuple[Any, Dialect]:
    """The DB-API cursor on the connection of ``session``'s current transaction.

    Kept while the same transaction and savepoint are current. The session begins a savepoint
    (``begin_nested``) lazily, when it next uses its connection: a changed savepoint therefore goes through
    ``session.connection()`` once, which emits it before anything runs inside it."""
    nested = session.get_nested_transaction()
    found = session.info.get(_CURSOR)
    if found is not None and found[3] is nested and not found[0].closed and found[0].in_transaction():
        return found[1], found[2]
    conn = session.connection()
    cur = found[1] if found is not None and found[0] is conn and not found[0].closed else conn.connection.driver_connection.cursor()
    session.info[_CURSOR] = (conn, cur, conn.dialect, nested)
    return cur, conn.dialect


def _bind_processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _default_of(column: Any) -> Callable[[], Any]:
    default = column.default
    if default is None:
        return lambda: None
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if default.is_callable:
        return lambda: default.arg(None)
    raise ValueError(f"column {column.key}: only scalar and callable Python defaults can be prepared")
