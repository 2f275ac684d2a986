"""The product's use-case path for the scenario: ``start_process`` and three ``complete_task`` calls through
:mod:`workflows.services.instances` (each its own transaction: lock, restore, act, project, commit), on
SQLite and on PostgreSQL. Each run gets a fresh database prepared like a first ``groupgov serve``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from .common import (APPLICANT, APPROVE, PARTY_ORG, PROCESS_KEY, UNIT_HEAD, Figure, Sizes, application, close_reader, median,
                     open_task_id, scratch_dir, scratch_runtime, sqlite_url, timed)

# A database for one run: a context manager yielding a SQLAlchemy URL.
DatabaseFactory = Callable[[], AbstractContextManager[str]]


def one(rt: Any, i: int) -> None:
    from ..services import instances

    iid = instances.start_process(rt, PROCESS_KEY, APPLICANT, {})
    instances.complete_task(rt, open_task_id(rt, iid), APPLICANT, application(i))
    instances.complete_task(rt, open_task_id(rt, iid), UNIT_HEAD, APPROVE)
    instances.complete_task(rt, open_task_id(rt, iid), PARTY_ORG, APPROVE)


def measure(sizes: Sizes, database: DatabaseFactory) -> tuple[float, float]:
    """Median (instances/s, CPU ms per instance in this process) over ``sizes.repeats`` runs; three warm-up
    instances per run are not timed."""
    rates, cpu = [], []
    for _ in range(sizes.repeats):
        with scratch_dir("engine") as var_dir, database() as url:
            rt = scratch_runtime(url, var_dir)
            try:
                for i in range(3):
                    one(rt, -1 - i)
                r, c = timed(sizes.instances, lambda: [one(rt, i) for i in range(sizes.instances)])
                rates.append(r)
                cpu.append(c)
            finally:
                close_reader(rt)
                rt.db.dispose()
    return median(rates), median(cpu)


def sqlite_database() -> AbstractContextManager[str]:
    from contextlib import contextmanager

    @contextmanager
    def db() -> Iterator[str]:
        with scratch_dir("engine-db") as d:
            yield sqlite_url(d)
    return db()


def run_sqlite(sizes: Sizes) -> list[Figure]:
    throughput, cpu = measure(sizes, sqlite_database)
    return [Figure("engine_sqlite", throughput, "inst/s"), Figure("engine_cpu_per_instance", cpu, "ms")]


def run_postgres(sizes: Sizes, server_url: str) -> list[Figure]:
    from .pgcluster import fresh_database

    throughput, cpu = measure(sizes, lambda: fresh_database(server_url))
    return [Figure("engine_postgres", throughput, "inst/s"),
            Figure("engine_postgres_cpu_per_instance", cpu, "ms", "this process only; the server's CPU is not counted")]
