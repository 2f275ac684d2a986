"""Registry and proliferation figures (art. 4, 6, 10, 15) and the .xlsx export."""

from __future__ import annotations

from datetime import date, datetime, timezone
from io import BytesIO

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from tests.flows import apply
from workflows.db import unit_of_work
from workflows.errors import Forbidden
from workflows.models import Person, Unit, WorkGroup
from workflows.services import dashboard, dashboard_export, oversight

TODAY = datetime(2026, 6, 15, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture
def registry_rt(sqlite_rt):
    with unit_of_work(engine=sqlite_rt.db) as s:
        unit = dict(s.execute(select(Unit.name, Unit.id)).all())
        person = dict(s.execute(select(Person.username, Person.id)).all())
        cs, me = unit["计算机工程学院"], unit["机械工程学院"]

        def group(name, unit_id, owner, kind="wechat_group", status="filed", **kw):
            s.add(WorkGroup(name=name, unit_id=unit_id, owner_id=person[owner], kind=kind, status=status, **kw))

        for n in range(4):
            group(f"计算机学院工作群{n}", cs, "staff_cs")
        group("计算机学院QQ群", cs, "staff_cs", kind="qq_group")
        group("计算机学院旧群", cs, "staff_cs2", status="dissolved")
        group("计算机学院申请中", cs, "staff_cs2", status="applying")
        group("迎新临时群", cs, "staff_cs2", temporary=True, expected_end=date(2026, 6, 1))
        group("运动会临时群", cs, "staff_cs2", temporary=True, expected_end=date(2026, 6, 30))
        group("已解散临时群", cs, "staff_cs2", temporary=True, expected_end=date(2026, 5, 1), status="dissolved")
        group("计算机学院公众号", cs, "staff_cs", kind="wechat_official_account", last_update=date(2026, 5, 20))
        group("机械学院公众号", me, "staff_me", kind="wechat_official_account", last_update=date(2026, 6, 10))
        group("机械学院QQ号", me, "staff_me", kind="qq_official_account", last_update=None, filed_at=datetime(2026, 1, 5, tzinfo=timezone.utc))
        group("机械学院注销号", me, "staff_me", kind="wechat_official_account", status="deregistered", last_update=date(2026, 1, 1))
    return sqlite_rt


def test_groups_per_unit_and_owner(registry_rt):
    with time_machine.travel(TODAY, tick=False):
        reg = oversight.registry(registry_rt, "discipline")
    units = {u["unit"]: u for u in reg["by_unit"]}
    cs = units["计算机工程学院"]
    assert cs["active"] == 9 and cs["total"] == 11
    assert cs["by_kind"]["wechat_group"] == 7 and cs["by_kind"]["qq_group"] == 1 and cs["by_kind"]["wechat_official_account"] == 1
    assert cs["by_status"] == {"applying": 1, "filed": 8, "dissolving": 0, "dissolved": 2, "deregistered": 0}
    assert units["机械工程学院"]["active"] == 2
    assert reg["by_unit"][0]["unit"] == "计算机工程学院"
    owners = [(o["username"], o["active"]) for o in reg["by_owner"]]
    assert owners == [("staff_cs", 6), ("staff_cs2", 3), ("staff_me", 2)]
    assert reg["by_owner"][1]["by_status"] == {"applying": 1, "filed": 2, "dissolving": 0, "dissolved": 2, "deregistered": 0}
    assert reg["totals"] == {"active": 11, "by_kind": {"wechat_group": 7, "qq_group": 1, "wechat_official_account": 2,
                                                      "qq_official_account": 1, "gov_app": 0}, "temporary_overdue": 1, "idle_accounts": 2}


def test_temporary_groups_past_due_and_idle_accounts(registry_rt):
    with time_machine.travel(TODAY, tick=False):
        reg = oversight.registry(registry_rt, "admin")
    assert [(g["name"], g["days_past"], g["owner"]) for g in reg["temporary_overdue"]] == [("迎新临时群", 14, "赵老师")]
    assert [(g["name"], g["idle_days"]) for g in reg["idle_accounts"]] == [("机械学院QQ号", None), ("计算机学院公众号", 26)]
    assert reg["campaign"] is None
    with pytest.raises(Forbidden):
        oversight.registry(registry_rt, "staff_cs")


def test_export_opens_in_openpyxl(registry_rt):
    apply(registry_rt)
    with time_machine.travel(TODAY, tick=False):
        content = dashboard_export.export_xlsx(registry_rt, "discipline", dashboard.InstanceFilter(process="group_approval"))
    wb = load_workbook(BytesIO(content), read_only=True)
    assert wb.sheetnames[:7] == ["流程实例", "逾期-按单位", "逾期-按个人", "群组-按单位", "群组-按群主", "临时群逾期未解散", "闲置公众号"]
    rows = list(wb["流程实例"].iter_rows(values_only=True))
    assert rows[0][:6] == ("编号", "流程", "版本", "名称", "事项", "状态")
    assert rows[1][1] == "group_approval" and rows[1][5] == "运行中" and rows[1][10] == "单位(部门)负责人审核"
    units = {r[0]: r for r in wb["群组-按单位"].iter_rows(min_row=2, values_only=True)}
    assert units["计算机工程学院"][1] == 9
    assert [r[0] for r in wb["临时群逾期未解散"].iter_rows(min_row=2, values_only=True)] == ["迎新临时群"]
    with pytest.raises(Forbidden):
        dashboard_export.export_xlsx(registry_rt, "head_cs")


def test_campaign_progress_per_unit(sqlite_rt):
    from datetime import timedelta

    from workflows.services import instances

    deadline = (date.today() + timedelta(days=20)).isoformat()
    instances.start_process(sqlite_rt, "cleanup_refiling", "admin", {"campaign_name": "2026年工作群组清理规范", "deadline": deadline,
                                                                     "unit_names": "计算机工程学院,机械工程学院", "notice": "按第七条清理"})
    reg = oversight.registry(sqlite_rt, "discipline")
    campaign = reg["campaign"]
    assert campaign["name"] == "2026年工作群组清理规范" and (campaign["units_total"], campaign["units_done"]) == (2, 0)
    assert {p["unit_name"]: p["stage"] for p in campaign["items"]} == {"计算机工程学院": "填报工作群组清单", "机械工程学院": "填报工作群组清单"}
    wb = load_workbook(BytesIO(dashboard_export.export_xlsx(sqlite_rt, "admin")), read_only=True)
    assert [r[0] for r in wb["清理整顿进度"].iter_rows(min_row=2, values_only=True)] == ["计算机工程学院", "机械工程学院"]
