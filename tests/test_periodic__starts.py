"""The periodic starts the scheduler calls: each starts what is due exactly once, however often (or however many
times at once) it runs; and the `groupgov periodic` command runs them."""

from __future__ import annotations

import threading
from datetime import timedelta

from typer.testing import CliRunner

from tests.process_flows import add_group, instances_of
from workflows.cli import app
from workflows.services import instances
from workflows.services.periodic import campaign_deadlines, run_all, start_ended_temp_groups, start_idle_accounts
from workflows.services.registry import register_temp_group, today
from workflows.services.runtime import get_runtime
from workflows.settings import reset_settings

TEMP = {"group_name": "新生报到临时群", "function": "报到当天调度", "member_count": 10}


def setup_due_work(rt) -> int:
    register_temp_group(rt, "staff_cs", {**TEMP, "expected_end": today(rt).isoformat()})
    add_group(rt, "staff_cs", "计算机工程学院团学风采", kind="wechat_official_account", last_update=today(rt) - timedelta(days=30))
    deadline = (today(rt) + timedelta(days=2)).isoformat()
    return instances.start_process(rt, "cleanup_refiling", "admin", {"campaign_name": "清理规范", "deadline": deadline,
                                                                     "unit_names": "计算机工程学院"})


def test_each_periodic_start_acts_once(rt):
    setup_due_work(rt)
    lines = run_all(rt)
    assert len(lines) == 3, lines
    assert [len(instances_of(rt, k)) for k in ("temp_group_expiry", "account_deregistration")] == [1, 1]
    assert run_all(rt) == []
    assert start_ended_temp_groups(rt, today(rt) + timedelta(days=3)) == []
    assert start_idle_accounts(rt, today(rt) + timedelta(days=3)) == []
    assert campaign_deadlines(rt) == []


def test_concurrent_sweeps_start_each_process_once(rt):
    for i in range(3):
        register_temp_group(rt, "staff_cs", {**TEMP, "group_name": f"临时群{i}", "expected_end": today(rt).isoformat()})
        add_group(rt, "staff_cs", f"公众号{i}", kind="wechat_official_account", last_update=today(rt) - timedelta(days=20))
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            results.append(start_ended_temp_groups(rt) + start_idle_accounts(rt))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(len(r) for r in results) == 6
    assert len(instances_of(rt, "temp_group_expiry")) == 3 and len(instances_of(rt, "account_deregistration")) == 3


def test_periodic_command(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUPGOV_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("GROUPGOV_VAR_DIR", str(tmp_path / "var"))
    reset_settings()
    get_runtime.cache_clear()
    runner = CliRunner()
    try:
        for args in (["db", "upgrade"], ["demo", "load"], ["deploy"]):
            assert runner.invoke(app, args).exit_code == 0
        rt = get_runtime()
        register_temp_group(rt, "staff_cs", {**TEMP, "expected_end": today(rt).isoformat()})
        first = runner.invoke(app, ["periodic", "temp-groups"])
        assert first.exit_code == 0 and "新生报到临时群" in first.output and "temp-groups: 1 action(s)" in first.output
        again = runner.invoke(app, ["periodic", "all"])
        assert again.exit_code == 0 and "all: 0 action(s)" in again.output
        assert runner.invoke(app, ["periodic", "nothing"]).exit_code == 2
    finally:
        get_runtime().db.dispose()
        get_runtime.cache_clear()
        reset_settings()
