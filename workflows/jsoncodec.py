"""JSON in and out of the database and the API, with orjson (UTF-8, about ten times the standard library's speed).

Contract: what these functions write, the standard library reads the same, and the other way round; texts the
standard library wrote earlier (``\\uXXXX`` escapes, ``NaN``) still load. Values that JSON has no type for are
handled as the standard-library call each replaces did:

* :func:`dumps` / :func:`dumps_text` – as ``json.dumps(value)``: refuses them with TypeError;
* :func:`plain` – as ``json.loads(json.dumps(value, default=str))``: datetimes, UUIDs and other objects
  become ``str(value)``;
* :func:`dumps_with` – as ``json.dumps(value, cls=Encoder)`` with the encoder's ``default`` deciding datetimes,
  dataclasses and anything else JSON has no type for (SpiffWorkflow's typed dicts). UUIDs are the one
  exception: orjson writes them as plain strings without asking ``default``.

Integers beyond 64 bits, which orjson refuses, fall back to the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_PASS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps_with(value: Any, default: Callable[[Any], Any]) -> bytes:
    """UTF-8 JSON of ``value``; ``default`` converts what JSON has no type for (raise TypeError to refuse)."""
    try:
        return orjson.dumps(value, default=default, option=_PASS)
    except orjson.JSONEncodeError as exc:  # a TypeError: what ``default`` refused, or a too large integer
        if "Integer exceeds" not in str(exc):
            raise
        return json.dumps(value, default=default, ensure_ascii=False).encode("utf-8")


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    """UTF-8 JSON of ``value``, refusing (TypeError) what JSON has no type for, as ``json.dumps`` does (the
    API's answers)."""
    return dumps_with(value, _refuse)


def dumps_text(value: Any) -> str:
    """:func:`dumps` as text: the serializer of the SQLAlchemy JSON columns (:func:`..db.make_engine`)."""
    return dumps(value).decode("utf-8")


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """Parse JSON text (also the standard library's ``NaN``/``Infinity``, which orjson refuses)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(bytes(text) if isinstance(text, memoryview) else text)


def plain(data: Any) -> Any:
    """``data`` as plain JSON types (what storing and reading it back gives)."""
    return orjson.loads(dumps_with(data, str))
