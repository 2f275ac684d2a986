"""``groupgov bench``: performance figures of the product against the raw engine.

:func:`run_benchmarks` prints one line per figure, ``name: value unit`` (names in interface.md "Benchmark
figures"; each a median of repeated runs), and writes them to ``<var>/bench/<timestamp>.json`` (with the
commit, machine and load) and ``<var>/bench/latest.txt`` (quick runs ``-quick``, runs of some groups only
``-partial``), then prints to stderr the change since the previous run of the same kind. A figure that
cannot be measured here is left out and the reason goes to stderr; nothing is estimated or faked. The
machine's load matters: the ``*_cpu_per_instance`` figures barely move with it, throughput does.

Groups, one module each: raw (plain SpiffWorkflow), engine (use cases on SQLite and PostgreSQL), http
(uvicorn + httpx), scaled (two web nodes on PostgreSQL, :mod:`.topology`), tasklist, timers, docs (.docx
rendering), serve (start-up time and idle memory).
Every group works on its own scratch databases; nothing touches the configured database.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .common import Figure, Sizes, Unavailable

GROUPS = ("raw", "engine", "postgres", "http", "scaled", "tasklist", "timers", "docs", "serve")


class Bench:
    """One run: sizes, the figures so far, and shared resources (a PostgreSQL cluster, started on demand)."""

    def __init__(self, sizes: Sizes, stack: ExitStack) -> None:
        from ..settings import get_settings

        self.sizes = sizes
        self.settings = get_settings()
        self.figures: dict[str, Figure] = {}
        self.skipped: dict[str, str] = {}
        self._stack = stack
        self._pg_url: str | None = None

    def postgres_server(self) -> str:
        """Base URL of a throw-away local PostgreSQL cluster, stopped when the run ends."""
        if self._pg_url is None:
            from .pgcluster import LocalPostgres, find_postgres_bindir

            bindir = find_postgres_bindir()
            if bindir is None:
                raise Unavailable("no PostgreSQL server binaries (initdb, pg_ctl); apt-get install postgresql")
            server = LocalPostgres(bindir)
            try:
                self._pg_url = server.start()
            except Exception as exc:
                raise Unavailable(f"could not start a local PostgreSQL cluster: {exc}") from exc
            self._stack.callback(server.stop)
        return self._pg_url

    def add(self, figure: Figure) -> None:
        self.figures[figure.name] = figure
        print(figure.line(), flush=True)

    def skip(self, what: str, reason: str) -> None:
        self.skipped[what] = reason
        print(f"bench: {what} not measured: {reason}", file=sys.stderr, flush=True)


def _raw(b: Bench) -> list[Figure]:
    from . import raw
    from .common import bpmn_file

    return raw.run(b.sizes, bpmn_file(b.settings))


def _engine(b: Bench) -> list[Figure]:
    from . import engine
    from .common import bpmn_file

    figures = engine.run_sqlite(b.sizes, bpmn_file(b.settings))
    raw_limit, raw_cpu = b.figures.get("raw_limit_sqlite"), b.figures.get("raw_cpu_per_instance")
    if raw_limit is not None and raw_cpu is not None:
        figures.append(Figure("engine_ratio_to_raw", figures[0].value / raw_limit.value, "", "engine_sqlite / raw_limit_sqlite"))
        figures.append(Figure("engine_cpu_ratio_to_raw", raw_cpu.value / figures[1].value, "",
                              "raw_cpu_per_instance / engine_cpu_per_instance: the ratio without other programs' load"))
    else:
        b.skip("engine_ratio_to_raw", "raw_limit_sqlite was not measured")
    return figures


def _postgres(b: Bench) -> list[Figure]:
    from . import engine

    return engine.run_postgres(b.sizes, b.postgres_server())


def _http(b: Bench) -> list[Figure]:
    from . import http

    return http.run(b.sizes)


def _scaled(b: Bench) -> list[Figure]:
    from . import scaled

    return scaled.run(b)


def _tasklist(b: Bench) -> list[Figure]:
    from . import tasklist

    return tasklist.run(b.sizes)


def _timers(b: Bench) -> list[Figure]:
    from . import timers

    return timers.run(b)


def _docs(b: Bench) -> list[Figure]:
    from . import docs

    return docs.run(b.sizes, b.settings.templates_dir)


def _serve(b: Bench) -> list[Figure]:
    from . import serve

    return serve.run(b)


RUNNERS: dict[str, Callable[[Bench], list[Figure]]] = {
    "raw": _raw, "engine": _engine, "postgres": _postgres, "http": _http, "scaled": _scaled, "tasklist": _tasklist,
    "timers": _timers, "docs": _docs, "serve": _serve,
}


def run_benchmarks(quick: bool = False, only: Sequence[str] | None = None) -> None:
    """Run the groups (all, or ``only`` those named in :data:`GROUPS`), print and store the figures."""
    sizes = Sizes.for_run(quick)
    started = datetime.now(timezone.utc)
    load = _loadavg()
    if load and load[0] > (os.cpu_count() or 1) / 2:
        print(f"bench: the machine is busy (load average {load[0]:.1f} on {os.cpu_count()} CPUs): "
              "throughput figures will be pessimistic", file=sys.stderr)
    with ExitStack() as stack:
        bench = Bench(sizes, stack)
        for name in GROUPS:
            if only and name not in only:
                continue
            try:
                for figure in RUNNERS[name](bench):
                    bench.add(figure)
            except Unavailable as exc:
                bench.skip(name, str(exc))
            except Exception as exc:  # one broken group never hides the others' figures
                bench.skip(name, f"failed: {type(exc).__name__}: {exc}")
                traceback.print_exc(file=sys.stderr)
    suffix = ("-quick" if quick else "") + ("-partial" if only else "")
    previous = previous_results(bench.settings.state_dir / "bench", suffix)
    path = write_results(bench, started, suffix, load)
    print(f"bench: results written to {path}", file=sys.stderr)
    if previous is not None:
        for line in compare(previous, bench.figures):
            print(f"bench: {line}", file=sys.stderr)


def previous_results(folder: Path, suffix: str) -> dict[str, Any] | None:
    """The newest earlier result file of the same kind (full, quick, partial), if any."""
    pattern = re.compile(r"\d{8}T\d{6}Z" + re.escape(suffix) + r"\.json")
    files = sorted(p for p in folder.glob("*.json") if pattern.fullmatch(p.name)) if folder.is_dir() else []
    if not files:
        return None
    try:
        return {"file": files[-1].name, **json.loads(files[-1].read_text(encoding="utf-8"))}
    except (OSError, ValueError):
        return None


def compare(previous: dict[str, Any], figures: dict[str, Figure]) -> list[str]:
    """One line per figure measured both times: the change since ``previous``."""
    lines = [f"compared with {previous['file']} (commit {previous.get('commit')}):"]
    for name, figure in figures.items():
        before = previous.get("figures", {}).get(name, {}).get("value")
        if before:
            lines.append(f"  {name}: {before:.3g} -> {figure.value:.3g} {figure.unit} ({(figure.value / before - 1) * 100:+.0f}%)")
    return lines if len(lines) > 1 else []


def _git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def _loadavg() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:
        return None


def write_results(bench: Bench, started: datetime, suffix: str, load_before: tuple[float, float, float] | None) -> Path:
    """``<var>/bench/<UTC timestamp><suffix>.json`` and ``latest<suffix>.txt`` (the printed lines); the suffix
    marks quick runs (``-quick``) and runs of some groups only (``-partial``), so ``latest.txt`` is always a
    full run."""
    folder = bench.settings.state_dir / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "started": started.isoformat(), "seconds": round(time.time() - started.timestamp(), 1), "quick": bench.sizes.quick,
        "partial": suffix.endswith("-partial"),
        "commit": _git_commit(bench.settings.root_dir), "python": platform.python_version(),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                    "loadavg_before": load_before, "loadavg_after": _loadavg()},
        "sizes": bench.sizes.__dict__,
        "figures": {f.name: {"value": f.value, "unit": f.unit, **({"detail": f.detail} if f.detail else {})}
                    for f in bench.figures.values()},
        "not_measured": bench.skipped,
    }
    path = folder / f"{started.strftime('%Y%m%dT%H%M%SZ')}{suffix}.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [f.line() for f in bench.figures.values()]
    (folder / f"latest{suffix}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
