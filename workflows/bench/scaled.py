"""The HTTP path on the scaled deployment (:mod:`.topology`): two web nodes on PostgreSQL (the first also
dispatching wake-ups, the Prefect server beside them), four clients, each bound to one node in turn, driving
the same scenario as :mod:`.http`. Full runs only: bringing the topology up takes about a minute."""

from __future__ import annotations

import threading
import time
from typing import Any

from .common import Figure, Sizes, Unavailable
from .http import ScenarioClient, cpu_seconds

CLIENTS = 4


def run(bench: Any) -> list[Figure]:
    sizes: Sizes = bench.sizes
    if sizes.quick:
        raise Unavailable("quick run: the scaled topology takes about a minute to start (a full run measures it)")
    from .topology import Topology, TopologyError

    topology = Topology(workers=0, web=2, postgres_url=bench.postgres_server())
    try:
        topology.start()
    except TopologyError as exc:
        raise Unavailable(f"the scaled topology did not come up: {exc}") from exc
    try:
        web = [p for p in topology.procs if p.name.startswith("web-")]
        clients = [ScenarioClient(topology.web_urls[k % len(topology.web_urls)]) for k in range(CLIENTS)]
        for c in clients:
            c.one(-1)
        errors: list[BaseException] = []

        def work(c: ScenarioClient, share: range) -> None:
            try:
                for i in share:
                    c.one(i)
            except BaseException as exc:
                errors.append(exc)

        n = sizes.http_instances
        threads = [threading.Thread(target=work, args=(c, range(k, n, CLIENTS))) for k, c in enumerate(clients)]
        cpu_before, start = sum(cpu_seconds(p.process.pid) for p in web), time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed, cpu = time.perf_counter() - start, sum(cpu_seconds(p.process.pid) for p in web) - cpu_before
        for c in clients:
            c.close()
        if errors:
            raise errors[0]
    finally:
        topology.stop()
    return [Figure("scaled_http_4clients", n / elapsed, "inst/s", "2 web nodes on PostgreSQL, 4 clients, one run"),
            Figure("scaled_web_cpu_per_instance", cpu * 1000 / n, "ms", "both web processes together")]
