"""The product's use-case path for the scenario: ``start_process`` and three ``complete_task`` calls through
:mod:`workflows.services.instances` (each its own transaction: lock, restore, act, project, commit), on
SQLite and on PostgreSQL. Each run gets a fresh database prepared like a first ``groupgov serve``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
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


def run_sqlite(sizes: Sizes, bpmn_file: Path) -> list[Figure]:
    throughput, cpu = measure(sizes, sqlite_database)
    spiff = spiff_cpu(sizes, bpmn_file)
    return [Figure("engine_sqlite", throughput, "inst/s"), Figure("engine_cpu_per_instance", cpu, "ms"),
            Figure("engine_spiff_cpu_per_instance", spiff, "ms",
                   "the scenario through the engine facade alone: no database, handlers answer at once (the floor)"),
            Figure("engine_product_cpu_per_instance", cpu - spiff, "ms",
                   "engine_cpu_per_instance minus engine_spiff_cpu_per_instance: what the product adds")]


def spiff_cpu(sizes: Sizes, bpmn_file: Path) -> float:
    """CPU ms per instance of the scenario run by :class:`..engine.facade.Engine` alone (warm workflow, one
    dump per boundary as the product saves, handlers answering nothing): SpiffWorkflow's share of the product
    path, so ``engine_cpu_per_instance`` minus this is what the product's own code costs."""
    from ..engine.facade import Engine, parse_spec

    loaded = parse_spec("bench", bpmn_file.read_bytes())
    engine = Engine()

    def one_workflow(i: int) -> None:
        workflow = engine.new_workflow(loaded, {"applicant_username": APPLICANT}, lambda task, topic, params: {})
        engine.run(workflow)
        engine.snapshot(workflow, loaded)
        engine.dump(workflow)
        for data in (application(i), APPROVE, APPROVE):
            engine.complete_user_task(workflow, engine.snapshot(workflow, loaded).ready[0].guid, data)
            engine.snapshot(workflow, loaded)
            engine.dump(workflow)

    cpu = []
    for _ in range(sizes.repeats):
        for i in range(3):
            one_workflow(-1 - i)
        cpu.append(timed(sizes.instances, lambda: [one_workflow(i) for i in range(sizes.instances)])[1])
    return median(cpu)


def run_postgres(sizes: Sizes, server_url: str) -> list[Figure]:
    from .pgcluster import fresh_database

    throughput, cpu = measure(sizes, lambda: fresh_database(server_url))
    return [Figure("engine_postgres", throughput, "inst/s"),
            Figure("engine_postgres_cpu_per_instance", cpu, "ms", "this process only; the server's CPU is not counted")]
