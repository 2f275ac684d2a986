"""`groupgov bench --quick` runs end to end: every printed line is `name: value unit` with a positive number,
the names are the documented figures, and the results are written to a file. No timing assertions."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workflows.settings import ROOT_DIR

LINE = re.compile(r"^(?P<name>[a-z0-9_]+): (?P<value>[0-9.]+(?:e[+-]?[0-9]+)?)(?: (?P<unit>\S+))?$")
DOCUMENTED = {"raw_limit_sqlite", "engine_sqlite", "engine_postgres", "engine_ratio_to_raw", "http_1client",
              "http_4clients", "http_server_cpu_per_instance", "tasklist_p95", "timer_sweep_100k",
              "timer_sweep_growth", "timer_lateness_p99", "docx_per_s", "web_rss_idle", "serve_startup"}
ALWAYS_HERE = {"raw_limit_sqlite", "engine_sqlite", "engine_ratio_to_raw", "http_1client", "http_4clients",
               "http_server_cpu_per_instance", "tasklist_p95", "timer_sweep_100k", "timer_sweep_growth"}


@pytest.mark.slow
def test_quick_bench_prints_figures_and_writes_results(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPGOV_")}
    env["GROUPGOV_VAR_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "workflows.cli", "bench", "--quick"], cwd=ROOT_DIR, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    figures = {}
    for line in lines:
        m = LINE.match(line)
        assert m, f"not `name: value unit`: {line!r}"
        assert float(m["value"]) > 0, line
        figures[m["name"]] = float(m["value"])
    missing = ALWAYS_HERE - figures.keys()
    assert not missing, f"figures missing: {missing}\n{done.stderr[-3000:]}"
    assert DOCUMENTED & figures.keys() >= ALWAYS_HERE

    results = list((tmp_path / "bench").glob("*-quick.json"))
    assert len(results) == 1
    record = json.loads(results[0].read_text(encoding="utf-8"))
    assert record["quick"] is True
    assert set(record["figures"]) == set(figures)
    assert (tmp_path / "bench" / "latest-quick.txt").read_text(encoding="utf-8").splitlines() == lines
    for name, reason in record["not_measured"].items():
        assert reason and name in done.stderr


def test_only_runs_the_named_groups(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPGOV_")}
    env["GROUPGOV_VAR_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "workflows.cli", "bench", "--quick", "--only", "raw", "--only", "docs"],
                          cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    names = {LINE.match(line)["name"] for line in done.stdout.splitlines()}
    assert "raw_limit_sqlite" in names and "docx_per_s" in names
    assert not names & {"engine_sqlite", "http_1client", "tasklist_p95"}
    assert len(list((tmp_path / "bench").glob("*-quick-partial.json"))) == 1
    refused = subprocess.run([sys.executable, "-m", "workflows.cli", "bench", "--only", "nope"], cwd=ROOT_DIR, env=env,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "unknown benchmark group(s): nope" in refused.stderr
