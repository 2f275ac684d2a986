"""In a real browser: withdraw, transfer, a stranger can neither see nor act on a task (not even with a forged
form post carrying their own valid CSRF token), and posts without a valid CSRF token are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.flows import apply
from tests.web_live import browser, csrf_of, live, login, phone, shot  # noqa: F401  (fixtures)
from workflows.db import unit_of_work
from workflows.models import HumanTask, ProcessInstance
from workflows.services import instances, queries

pytestmark = pytest.mark.browser


def task_of(live, instance_id: int) -> int:
    """The id of the instance's one open task."""
    [task] = queries.get_instance(live.rt, "admin", instance_id)["tasks"]
    return task["id"]


def task_row(live, task_id: int) -> HumanTask:
    with unit_of_work(write=False, engine=live.rt.db) as s:
        return s.get(HumanTask, task_id)


def test_withdraw_before_and_after_the_unit_head_acted(live, browser):
    iid = apply(live.rt, group_name="准备撤回的工作群")
    ctx = phone(browser)
    try:
        page = login(ctx, live, "staff_cs")
        page.goto(f"{live.url}/instances/{iid}")
        page.get_by_text("撤回申请", exact=True).click()
        page.get_by_label("撤回原因").fill("名称写错了，重新申请")
        page.get_by_role("button", name="确认撤回").click()
        page.wait_for_url(f"{live.url}/instances/{iid}")
        assert page.get_by_role("status").filter(has_text="申请已撤回").is_visible()
        assert page.locator("h1 + .meta .tag").inner_text() == "已撤回"
        assert "名称写错了，重新申请" in page.locator(".timeline").inner_text()
        shot(page, "11-withdrawn")
        assert queries.get_instance(live.rt, "staff_cs", iid)["status"] == "terminated"

        iid2 = apply(live.rt, group_name="已被退回的工作群")
        instances.complete_task(live.rt, task_of(live, iid2), "head_cs", {"decision": "return", "opinion": "请修改"})
        page.goto(f"{live.url}/instances/{iid2}")
        page.get_by_text("撤回申请", exact=True).click()
        page.get_by_role("button", name="确认撤回").click()
        assert "不能撤回" in page.get_by_role("alert").inner_text()
        assert queries.get_instance(live.rt, "staff_cs", iid2)["status"] == "running"
    finally:
        ctx.close()


def test_transfer_hands_the_task_to_a_colleague(live, browser):
    tid = task_of(live, apply(live.rt, group_name="需要转办的工作群"))
    due = task_row(live, tid).due_at
    head_ctx, other_ctx = phone(browser), phone(browser)
    try:
        head = login(head_ctx, live, "head_cs")
        head.goto(f"{live.url}/tasks/{tid}")
        head.get_by_text("转办", exact=True).click()
        head.get_by_label("转交给（用户名或姓名）").fill("staff_cs2")
        head.get_by_label("说明", exact=True).first.fill("出差期间请代为审核")
        shot(head, "12-transfer")
        head.get_by_role("button", name="确认转办").click()
        head.wait_for_url(f"{live.url}/")
        assert head.get_by_role("status").filter(has_text="已转办").is_visible()
        assert head.locator(f"#task-{tid}").count() == 0
        row = task_row(live, tid)
        assert row.due_at == due and row.state == "open"
        other = login(other_ctx, live, "staff_cs2")
        other.locator(f"#task-{tid}").get_by_role("link").first.click()
        other.get_by_role("button", name="同意", exact=True).click()
        other.wait_for_url(f"{live.url}/")
        assert task_row(live, tid).state == "completed"
    finally:
        head_ctx.close()
        other_ctx.close()


def test_a_stranger_can_neither_see_nor_act_even_with_a_forged_post(live, browser):
    tid = task_of(live, apply(live.rt, group_name="别人看不到的工作群"))
    ctx = phone(browser)
    try:
        page = login(ctx, live, "staff_me")  # another school's staff member
        assert page.locator(f"#task-{tid}").count() == 0
        response = page.goto(f"{live.url}/tasks/{tid}")
        assert response.status == 403 and "无权" in page.locator("main").inner_text()
        shot(page, "13-forbidden")
        token = csrf_of(page)  # a valid token of the stranger's own session
        for path, form in ((f"/tasks/{tid}", {"decision": "approve", "opinion": "伪造"}),
                           (f"/tasks/{tid}/claim", {}), (f"/tasks/{tid}/transfer", {"to": "staff_me"}),
                           (f"/tasks/{tid}/add-sign", {"to": "staff_me"})):
            r = ctx.request.post(f"{live.url}{path}", form={"csrf_token": token, **form}, max_redirects=0)
            assert r.status == 403, (path, r.status)
        row = task_row(live, tid)
        assert row.state == "open" and row.assignee_id is None
    finally:
        ctx.close()


def test_posts_without_a_valid_csrf_token_are_refused(live, browser):
    tid = task_of(live, apply(live.rt, group_name="防跨站请求的工作群"))
    ctx = phone(browser)
    try:
        r = ctx.request.post(f"{live.url}/login", form={"username": "head_cs", "password": "demo"}, max_redirects=0)
        assert r.status == 403 and "CSRF" in r.text()
        page = login(ctx, live, "head_cs")
        with unit_of_work(write=False, engine=live.rt.db) as s:
            before = s.scalar(select(func.count()).select_from(ProcessInstance))
        for token in (None, "wrong-token"):
            form = {"decision": "approve", "opinion": "无令牌"} | ({"csrf_token": token} if token else {})
            r = ctx.request.post(f"{live.url}/tasks/{tid}", form=form, max_redirects=0)
            assert r.status == 403 and "安全校验失败" in r.text()
            r = ctx.request.post(f"{live.url}/start/group_approval", form={"csrf_token": token} if token else {}, max_redirects=0)
            assert r.status == 403
            r = ctx.request.post(f"{live.url}/tasks/{tid}/transfer", multipart={"to": "staff_cs2"} | ({"csrf_token": token} if token else {}),
                                 max_redirects=0)
            assert r.status == 403
        r = ctx.request.post(f"{live.url}/api/tasks/{tid}/claim", max_redirects=0)  # the API with the cookie only
        assert r.status == 403
        assert task_row(live, tid).state == "open" and task_row(live, tid).assignee_id is None
        with unit_of_work(write=False, engine=live.rt.db) as s:
            assert s.scalar(select(func.count()).select_from(ProcessInstance)) == before
        # the same post with the page's token goes through
        r = ctx.request.post(f"{live.url}/tasks/{tid}", form={"csrf_token": csrf_of(page), "decision": "approve"}, max_redirects=0)
        assert r.status == 303 and task_row(live, tid).state == "completed"
    finally:
        ctx.close()


def test_add_sign_then_copy(live, browser):
    tid = task_of(live, apply(live.rt, group_name="需要加签的工作群"))
    head_ctx, sec_ctx, prop_ctx = phone(browser), phone(browser), phone(browser)
    try:
        head = login(head_ctx, live, "head_cs")
        head.goto(f"{live.url}/tasks/{tid}")
        head.get_by_text("加签", exact=True).click()
        head.get_by_label("请谁加签（用户名或姓名）").fill("刘书记")
        head.get_by_role("button", name="确认加签").click()
        assert head.get_by_role("status").filter(has_text="已加签").is_visible()
        head.get_by_label("意见说明").fill("同意，请书记把关")
        head.get_by_role("button", name="同意", exact=True).click()
        assert "尚未签署" in head.locator("#problem").inner_text()
        assert head.get_by_label("意见说明").input_value() == "同意，请书记把关"
        shot(head, "14-addsign-pending")

        sec = login(sec_ctx, live, "secretary_cs")
        sec.locator(".card", has_text="加签：单位(部门)负责人审核").get_by_role("link").first.click()
        assert sec.get_by_text("这是对「单位(部门)负责人审核」的加签").is_visible()
        sec.get_by_role("button", name="同意", exact=True).click()
        sec.wait_for_url(f"{live.url}/")

        head.goto(f"{live.url}/tasks/{tid}")
        head.get_by_text("抄送", exact=True).click()
        head.get_by_label("抄送给（用户名或姓名，多人用逗号分隔）").fill("propaganda，discipline")
        head.get_by_role("button", name="确认抄送").click()
        assert head.get_by_role("status").filter(has_text="已抄送 2 人").is_visible()
        head.get_by_role("button", name="同意", exact=True).click()
        head.wait_for_url(f"{live.url}/")
        assert task_row(live, tid).state == "completed"

        prop = login(prop_ctx, live, "propaganda")
        prop.get_by_role("navigation").get_by_role("link", name="抄送我的").click()
        shot(prop, "15-copied")
        prop.get_by_role("link", name="新建工作群组审批：需要加签的工作群").click()
        assert "刘书记" in prop.locator(".timeline").inner_text() and "加签意见" in prop.locator(".timeline").inner_text()
    finally:
        for ctx in (head_ctx, sec_ctx, prop_ctx):
            ctx.close()


def test_desktop_layout(live, browser):
    iid = apply(live.rt, group_name="桌面端查看的工作群")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = login(ctx, live, "head_cs")
        shot(page, "16-desktop-tasks")
        page.goto(f"{live.url}/instances/{iid}")
        page.wait_for_selector("#diagram[data-ready='1']")
        assert "scroll" not in (page.locator("#diagram").get_attribute("class") or "")  # fits the box on a desktop
        shot(page, "17-desktop-instance")
    finally:
        ctx.close()
