"""The application's one clock. Everything that stamps a time reads :func:`now`.

SpiffWorkflow reads ``datetime.now(timezone.utc)`` itself; tests move both with time-machine.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """Treat naive datetimes (as SQLite returns them) as UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
