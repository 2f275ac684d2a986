"""The dashboard in a real browser: a stuck (error) instance shows up, an administrator opens it on its diagram
and retries it; the overview, instance list, overdue, registry and per-step pages render with data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from tests.flaky import FLAKY, deploy_flaky
from tests.flows import act, apply
from tests.web_live import browser, live, shot  # noqa: F401  (fixtures)
from workflows import clock
from workflows.db import unit_of_work
from workflows.models import AuditEvent, HumanTask, Person, ProcessInstance, Unit, WorkGroup
from workflows.services import instances

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1440, "height": 900}


def seed(rt) -> int:
    """A few instances, two of them overdue, some registry entries, and one instance stuck on a failing handler."""
    apply(rt)
    apply(rt, "staff_cs2", group_name="计算机学院实验室安全群")
    apply(rt, "staff_me", group_name="机械学院教学通知群")
    act(rt, "head_me", "unit_head_review", {"decision": "approve", "opinion": "同意"})
    with unit_of_work(engine=rt.db) as s:
        s.execute(update(HumanTask).where(HumanTask.state == "open", HumanTask.spec_id == "unit_head_review")
                  .values(due_at=clock.now() - timedelta(days=3), reminders_sent=1))
        unit = dict(s.execute(select(Unit.name, Unit.id)).all())
        person = dict(s.execute(select(Person.username, Person.id)).all())
        for n, (u, owner, kind) in enumerate([("计算机工程学院", "staff_cs", "wechat_group")] * 5 + [("计算机工程学院", "staff_cs2", "qq_group")] * 2
                                             + [("机械工程学院", "staff_me", "wechat_group")] * 2 + [("党委宣传部", "propaganda", "wechat_official_account")]):
            s.add(WorkGroup(name=f"工作群{n}", unit_id=unit[u], owner_id=person[owner], kind=kind, status="filed",
                            last_update=date.today() - timedelta(days=30) if kind.endswith("account") else None))
        s.add(WorkGroup(name="迎新临时群", unit_id=unit["计算机工程学院"], owner_id=person["staff_cs"], kind="wechat_group", status="filed",
                        temporary=True, expected_end=date.today() - timedelta(days=10)))
    deploy_flaky(rt)
    FLAKY.fail = True
    return instances.start_process(rt, "test_flaky", "staff_cs", {})


def test_stuck_instance_is_retried_by_an_administrator(live, browser):
    rt = live.rt
    stuck = seed(rt)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{live.url}/login")
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill("demo")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live.url}/")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="管理").click()
        page.wait_for_url(f"{live.url}/admin")
        assert page.locator("a.figure.bad", has_text="待处理故障").locator(".num").inner_text() == "1"
        shot(page, "admin-overview")

        page.get_by_role("link", name="故障处理").first.click()
        row = page.locator("#incidents tbody tr", has_text=f"#{stuck}")
        assert "外部登记系统无响应" in row.inner_text()
        shot(page, "admin-incidents")
        row.get_by_role("link", name=f"#{stuck}").click()
        page.wait_for_selector("#admin-diagram[data-ready='1']")
        assert page.locator("#admin-diagram [data-element-id='flaky'].gg-failed").count() == 1
        assert page.locator("#inst-status").inner_text() == "故障"
        shot(page, "admin-instance-error")

        FLAKY.fail = False  # the external system is back
        page.get_by_role("button", name="重试").click()
        page.wait_for_selector(".flash.ok")
        assert "已重试" in page.locator(".flash.ok").inner_text()
        assert page.locator("#inst-status").inner_text() == "运行中"
        page.wait_for_selector("#admin-diagram[data-ready='1']")
        assert page.locator("#admin-diagram [data-element-id='review'].gg-current").count() == 1
        shot(page, "admin-instance-retried")
        with unit_of_work(write=False, engine=rt.db) as s:
            assert s.get(ProcessInstance, stuck).status == "running"
            assert s.scalar(select(AuditEvent.who).where(AuditEvent.instance_id == stuck, AuditEvent.action == "retry")) == "admin"

        page.get_by_role("link", name="流程实例").first.click()
        page.get_by_label("只看有逾期待办的").check()
        page.get_by_role("button", name="查询").click()
        assert page.locator("#instances tbody tr.late").count() == 2
        shot(page, "admin-instances")
        page.goto(f"{live.url}/admin/processes/group_approval")
        page.wait_for_selector("#admin-diagram[data-ready='1']")
        counts = page.locator("#admin-diagram .gg-counts[data-element='unit_head_review']")
        assert counts.locator(".gg-count.open").inner_text() == "2" and counts.locator(".gg-count.late").inner_text() == "2"
        shot(page, "admin-process-counts")
        page.get_by_role("link", name="逾期督办").click()
        assert "计算机工程学院" in page.locator("#sla-units tbody tr").first.inner_text()
        page.locator("#sla-units").get_by_role("link", name="计算机工程学院").click()
        assert page.locator("#task-list tbody tr").count() == 2
        shot(page, "admin-sla")
        page.locator("#task-list").get_by_role("button", name="催办").first.click()
        assert "已催办" in page.locator(".flash.ok").inner_text()
        page.get_by_role("link", name="群组台账").click()
        assert page.locator("#chart-units svg rect").count() >= 3
        assert "迎新临时群" in page.locator("#temporary").inner_text()
        shot(page, "admin-registry")
    finally:
        FLAKY.fail = True
        context.close()
