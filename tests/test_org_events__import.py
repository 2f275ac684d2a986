"""An org import that transfers or removes people starts one owner change per group they own and one member exit
per group they are on the roster of — exactly once, however often the same file is imported."""

from __future__ import annotations

from tests.process_flows import add_group, do, group, instances_of, person_id
from workflows.services.org_events import after_import
from workflows.services.org_import import import_org_file
from workflows.services.registry import record_roster, roster
from workflows.services.system_starts import start_process_as_system

HEADER = "用户名,姓名,单位,二级党组织,状态\n"


def test_import_twice_starts_each_process_once(rt, tmp_path):
    g1 = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    a1 = add_group(rt, "staff_cs", "计算机工程学院团学风采", kind="wechat_official_account")
    g2 = add_group(rt, "stats_cs", "计算机工程学院统计工作群")
    add_group(rt, "staff_cs", "已解散的旧群", status="dissolved")
    record_roster(rt, "stats_cs", g2, ["staff_cs", "staff_cs2", "head_cs"])
    record_roster(rt, "staff_cs", g1, ["staff_cs2"])
    roster_file = tmp_path / "people.csv"
    roster_file.write_text(HEADER + "staff_cs,李老师,机械工程学院,机械工程学院党委,在职\n"
                           "staff_cs2,赵老师,计算机工程学院,计算机工程学院党委,离职\n", encoding="utf-8")

    first = import_org_file(roster_file, engine=rt.db)
    assert (first.transferred, first.departed) == ([person_id(rt, "staff_cs")], [person_id(rt, "staff_cs2")])
    lines = after_import(rt, first)
    assert len(lines) == 5, lines
    changes = instances_of(rt, "owner_change")
    assert sorted(i.data["group_id"] for i in changes) == sorted([g1, a1])
    assert all(i.data["origin"] == "org_import" and i.status == "running" for i in changes)
    exits = instances_of(rt, "member_exit")
    assert sorted((i.data["group_id"], i.data["member_username"]) for i in exits) == sorted(
        [(g2, "staff_cs"), (g2, "staff_cs2"), (g1, "staff_cs2")])

    second = import_org_file(roster_file, engine=rt.db)
    assert (second.transferred, second.departed) == ([], [])
    assert after_import(rt, second) == []
    assert after_import(rt, first) == []  # the same changes reported again start nothing either
    assert len(instances_of(rt, "owner_change")) == 2 and len(instances_of(rt, "member_exit")) == 3

    # the owner changes wait for the group's unit (computer engineering), not the owner's new unit
    confirm = [t for t in _tasks(rt, "head_cs") if t["element"] == "unit_head_confirm"]
    assert len(confirm) == 2
    do(rt, "stats_cs", "remove_member", {"result": "removed", "removed_on": "2026-11-26"},
       instance_id=next(i.id for i in exits if (i.data["group_id"], i.data["member_username"]) == (g2, "staff_cs")))
    assert [m["username"] for m in roster(rt, "stats_cs", g2)["items"]] == ["head_cs", "staff_cs2"]


def test_finished_owner_change_does_not_block_a_later_one(sqlite_rt, tmp_path):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群")
    old = start_process_as_system(rt, "owner_change", {"group_id": gid, "reason": "job_change"}, group(rt, gid).unit_id,
                                  person_id(rt, "staff_cs"),
                                  origin="org_import")
    do(rt, "head_cs", "unit_head_confirm", {"new_owner_username": "staff_cs2", "decision": "reject", "opinion": "暂不变更"})
    assert instances_of(rt, "owner_change", "rejected")[0].id == old
    f = tmp_path / "people.csv"
    f.write_text(HEADER + "staff_cs,李老师,机械工程学院,机械工程学院党委,在职\n", encoding="utf-8")
    assert len(after_import(rt, import_org_file(f, engine=rt.db))) == 1
    assert len(instances_of(rt, "owner_change", "running")) == 1


def _tasks(rt, username):
    from workflows.services import queries

    return queries.list_tasks(rt, username, "mine", limit=200)["items"]


def test_org_import_command_starts_owner_changes_once(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from workflows.cli import app
    from workflows.services.runtime import get_runtime
    from workflows.settings import reset_settings

    monkeypatch.setenv("GROUPGOV_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("GROUPGOV_VAR_DIR", str(tmp_path / "var"))
    reset_settings()
    get_runtime.cache_clear()
    runner = CliRunner()
    try:
        for args in (["db", "upgrade"], ["demo", "load"], ["deploy"]):
            assert runner.invoke(app, args).exit_code == 0
        add_group(get_runtime(), "staff_cs", "计算机工程学院教学通知群")
        f = tmp_path / "moves.csv"
        f.write_text(HEADER + "staff_cs,钱嘉红,机械工程学院,机械工程学院党委,在职\n", encoding="utf-8")
        first = runner.invoke(app, ["org", "import", str(f)])
        assert first.exit_code == 0 and "调动 1 人" in first.output and "已发起群主变更" in first.output, first.output
        second = runner.invoke(app, ["org", "import", str(f)])
        assert second.exit_code == 0 and "调动 0 人" in second.output and "已发起" not in second.output
        assert len(instances_of(get_runtime(), "owner_change")) == 1
    finally:
        get_runtime().db.dispose()
        get_runtime.cache_clear()
        reset_settings()
