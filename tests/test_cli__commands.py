"""The `groupgov` commands of interface.md, run in-process against a SQLite file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from workflows.cli import app
from workflows.services.runtime import get_runtime
from workflows.settings import reset_settings


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("GROUPGOV_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("GROUPGOV_VAR_DIR", str(tmp_path / "var"))
    reset_settings()
    get_runtime.cache_clear()
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    yield run
    get_runtime().db.dispose()
    get_runtime.cache_clear()
    reset_settings()


def test_every_command_has_help(cli):
    for command in [[], ["serve"], ["db", "upgrade"], ["demo", "load"], ["org", "import"], ["deploy"], ["validate"],
                    ["start"], ["tasks"], ["complete"], ["timers", "fire"], ["documents", "render"], ["bench"]]:
        assert "Usage" in cli(*command, "--help")
    assert "GROUPGOV_DATABASE_URL" in cli("--help")


def test_from_empty_database_to_a_filed_group(cli):
    assert "up to date" in cli("db", "upgrade")
    cli("demo", "load")
    assert "group_approval v1 deployed" in cli("deploy")
    assert "group_approval v1 unchanged" in cli("deploy")
    app_data = {"group_name": "命令行测试群", "group_kind": "qq_group", "function": "测试", "member_scope": "教师",
                "member_count": 5, "owner_name": "张三", "contact": "13800001111", "line": "admin"}
    inst = json.loads(cli("start", "group_approval", "--as", "staff_cs", "--data", json.dumps(app_data, ensure_ascii=False)))
    assert inst["tasks"][0]["element"] == "unit_head_review"
    task = json.loads(cli("tasks", "--as", "head_cs"))["items"][0]
    out = json.loads(cli("complete", str(task["id"]), "--as", "head_cs", "--data", '{"decision": "approve", "opinion": "同意"}'))
    assert out["tasks"][0]["element"] == "party_org_review"
    task = json.loads(cli("tasks", "--as", "party_cs"))["items"][0]
    out = json.loads(cli("complete", str(task["id"]), "--as", "party_cs", "--data", '{"decision": "approve"}'))
    assert out["status"] == "completed"
    assert out["documents"][0]["status"] == "pending"  # recorded by the step; the scheduler would render it
    assert "rendered 1 form(s); 0 not rendered" in cli("documents", "render")
    from workflows.services import queries

    assert queries.get_instance(get_runtime(), "staff_cs", out["id"])["documents"][0]["status"] == "ready"
    assert "rendered 0 form(s)" in cli("documents", "render")
    assert "fired 0" in cli("timers", "fire")


def test_errors_are_clear_and_exit_nonzero(cli):
    cli("demo", "load")
    cli("deploy")
    assert "不是合法的 JSON" in cli("start", "group_approval", "--as", "staff_cs", "--data", "{oops", code=2)
    assert "不存在" in cli("start", "group_approval", "--as", "nobody", code=1)
    inst = json.loads(cli("start", "group_approval", "--as", "staff_cs"))
    task_id = inst["tasks"][0]["id"]
    assert "无权" in cli("complete", str(task_id), "--as", "head_cs", "--data", "{}", code=1)


def test_org_import_reports_rows_and_imports_nothing(cli, tmp_path):
    cli("db", "upgrade")
    bad = tmp_path / "org.csv"
    bad.write_text("用户名,姓名,单位,二级党组织,移动电话\nzhang,张三,计算机工程学院,计算机工程学院党委,123\n", encoding="utf-8")
    out = cli("org", "import", str(bad), code=1)
    assert "第2行" in out and "移动电话" in out
