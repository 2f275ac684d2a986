"""The modeler in a real browser (Debian chromium, Playwright) against a real uvicorn server.

A process owner changes the applicant's reminder from 3 to 2 working days and the role of a lane in the
properties panel, deploys; a new instance follows the new version while an old one keeps the old. An invalid
edit is refused with the element marked in the editor.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.flows import act, apply, open_task
from tests.web_live import browser, live, shot  # noqa: F401  (fixtures)
from workflows.db import unit_of_work
from workflows.models import HumanTask, ProcessDefinition, ProcessInstance, TimerDue

pytestmark = pytest.mark.browser
APPROVE = {"decision": "approve", "opinion": "同意"}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture(autouse=True)
def modeler_bundle():
    from tests.plugins.system_parts import need
    from workflows.settings import ROOT_DIR

    if not (ROOT_DIR / "workflows" / "web" / "static" / "vendor" / "modeler.js").is_file():
        need("node_modules", "the modeler bundle is not built: run `npm ci && npm run build:modeler` (test.sh does)")


def desktop_login(browser, live, username):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live.url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live.url}/")
    return context, page


def open_editor(page, live):
    page.goto(f"{live.url}/modeler/group_approval")
    page.wait_for_selector("#modeler[data-ready='1']")


def pick(page, element_id):
    """Click the element on the canvas (a lane on its label band at the left), as a person would."""
    shape = page.locator(f"#modeler-canvas [data-element-id='{element_id}']").first
    box = shape.bounding_box()
    if element_id.startswith("Lane_"):
        page.mouse.click(box["x"] + 12, box["y"] + box["height"] / 2)
    else:
        shape.click(force=True)
    page.wait_for_function("id => window.groupgovModeler.get('selection').get().map(e => e.id).includes(id)", arg=element_id)


def group(page, label):
    """Open the properties panel group titled ``label`` (groups start collapsed) and return it."""
    header = page.locator(".bio-properties-panel-group-header", has_text=label).first
    if "open" not in (header.get_attribute("class") or ""):
        header.click()
    return page.locator(".bio-properties-panel-group", has=header)


def timer_value(page, value):
    entry = group(page, "定时器").locator(".bio-properties-panel-textfield input, .bio-properties-panel-input").last
    entry.fill(value)
    entry.press("Tab")
    page.wait_for_timeout(500)  # the panel debounces input


def versions(rt):
    with unit_of_work(write=False, engine=rt.db) as s:
        return list(s.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == "group_approval").order_by(ProcessDefinition.version)))


def test_owner_edits_timer_and_lane_role_then_deploys(live, browser):
    rt = live.rt
    old = apply(rt)
    act(rt, "head_cs", "unit_head_review", APPROVE)          # waits for the Party org on version 1
    old_draft = __import__("workflows.services.instances", fromlist=["x"]).start_process(rt, "group_approval", "staff_cs2", {})
    context, page = desktop_login(browser, live, "admin")
    try:
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="管理").click()
        page.get_by_role("navigation", name="管理导航").get_by_role("link", name="流程建模").click()
        shot(page, "admin-modeler-index")
        page.get_by_role("link", name="编辑").first.click()
        page.wait_for_selector("#modeler[data-ready='1']")
        assert page.url.endswith("/modeler/group_approval") or "modeler/" in page.url
        open_editor(page, live)

        pick(page, "apply_remind_timer")
        timer_value(page, "P2WD")
        pick(page, "Lane_group_approval_2")
        lane = group(page, "泳道角色")
        lane.get_by_label("本泳道用户任务的处理角色").select_option("secretary")
        page.wait_for_timeout(300)
        pick(page, "party_org_review")
        role = group(page, "办理人（系统角色）").get_by_label("处理角色")
        assert role.input_value() == "secretary"
        shot(page, "admin-modeler-edit")
        page.get_by_role("button", name="部署为新版本").click()
        page.wait_for_selector("#modeler-status.ok")
        assert "已部署为第 2 版" in page.locator("#modeler-status").inner_text()
        shot(page, "admin-modeler-deployed")
        assert versions(rt) == [1, 2]

        new = apply(rt, group_name="计算机学院新版本测试群")
        new_draft = __import__("workflows.services.instances", fromlist=["x"]).start_process(rt, "group_approval", "staff_cs2", {})
        act(rt, "head_cs", "unit_head_review", APPROVE)  # the oldest open one: the new instance's
        with unit_of_work(write=False, engine=rt.db) as s:
            assert {s.get(ProcessInstance, i).version for i in (old, old_draft)} == {1}
            assert {s.get(ProcessInstance, i).version for i in (new, new_draft)} == {2}
            started_old = s.get(ProcessInstance, old_draft).started_at
            started_new = s.get(ProcessInstance, new_draft).started_at
            remind_old = s.get(TimerDue, old_draft).due_at - started_old
            remind_new = s.get(TimerDue, new_draft).due_at - started_new
        assert remind_new < remind_old and remind_old - remind_new >= timedelta(hours=23)  # one working day sooner
        # the new version's Party-org step goes to the secretary, the old instance's still to the Party org approver
        assert open_task(rt, "secretary_cs", "party_org_review")["instance_id"] == new
        assert open_task(rt, "party_cs", "party_org_review")["instance_id"] == old
        with unit_of_work(write=False, engine=rt.db) as s:
            roles = dict(s.execute(select(HumanTask.instance_id, HumanTask.candidate_role).where(HumanTask.spec_id == "party_org_review")).all())
        assert roles == {old: "party_org", new: "secretary"}
    finally:
        context.close()


def test_invalid_edit_is_refused_with_the_element_marked(live, browser):
    rt = live.rt
    before = versions(rt)
    context, page = desktop_login(browser, live, "admin")
    try:
        open_editor(page, live)
        pick(page, "check_duplicates")  # a service task's handler is picked from the registered ones
        handler = group(page, "处理程序（已注册）").get_by_label("处理程序")
        assert handler.input_value() == "check_duplicates"
        options = handler.locator("option").all_inner_texts()
        assert any("(remind)" in o or "（remind）" in o for o in options) and len(options) > 5
        shot(page, "admin-modeler-handler")
        pick(page, "unit_head_review_remind_timer")
        timer_value(page, "三天")
        page.get_by_role("button", name="部署为新版本").click()
        page.wait_for_selector("#modeler-status.error")
        status = page.locator("#modeler-status").inner_text()
        assert "未部署" in status and "unit_head_review_remind_timer" in status
        marked = page.locator("#modeler-canvas [data-element-id='unit_head_review_remind_timer'].gg-invalid")
        assert marked.count() == 1
        assert page.locator("#modeler").get_attribute("data-invalid") == "unit_head_review_remind_timer"
        shot(page, "admin-modeler-invalid")
        assert versions(rt) == before
        # the validate button reports the same without deploying
        page.get_by_role("button", name="校验").click()
        page.wait_for_selector("#modeler-status.error")
        assert versions(rt) == before
    finally:
        context.close()


def test_versions_page_after_the_deploys(live, browser):
    """Screenshots of the versions page: compare v1 with v2, which instances run where, migrate dry run."""
    context, page = desktop_login(browser, live, "admin")
    try:
        page.goto(f"{live.url}/modeler/group_approval/versions?from=1&to=2")
        assert "apply_remind_timer" in page.locator("#diff").inner_text()
        page.get_by_label("迁移到").select_option("2")
        page.get_by_role("button", name="试运行（不修改）").click()
        assert "试运行" in page.locator("#migration").inner_text()
        shot(page, "admin-modeler-versions")
    finally:
        context.close()


def test_owner_creates_a_process_edits_it_and_publishes_it(live, browser):
    """新建流程 on the modeler page: the draft opens in the editor without import warnings and is not offered to
    staff; the owner renames the review step, deploys, and staff can start the published process."""
    from workflows.services import queries

    rt = live.rt
    context, page = desktop_login(browser, live, "admin")
    try:
        page.goto(f"{live.url}/modeler")
        page.locator("#new-process summary").click()
        page.get_by_label("流程标识").fill("Seal Use")
        page.get_by_label("流程名称").fill("用印申请")
        page.get_by_role("button", name="创建并编辑").click()
        assert "小写英文字母" in page.locator("#e-key").inner_text()  # refused beside the field, name kept
        assert page.get_by_label("流程名称").input_value() == "用印申请"
        page.get_by_label("流程标识").fill("seal_use")
        page.get_by_role("button", name="创建并编辑").click()
        page.wait_for_url(f"{live.url}/modeler/seal_use")
        page.wait_for_selector("#modeler[data-ready='1']")
        assert page.locator("#modeler-draft").is_visible()
        assert "seal_use" not in {p["key"] for p in queries.list_processes(rt)["items"]}
        pick(page, "unit_head_review")
        name = group(page, "常规").get_by_label("名称").first
        name.fill("办公室主任审核")
        name.press("Tab")
        page.wait_for_timeout(500)
        shot(page, "admin-modeler-new-process")
        page.get_by_role("button", name="部署为新版本").click()
        page.wait_for_selector("#modeler-status.ok")
    finally:
        context.close()
    assert "seal_use" in {p["key"] for p in queries.list_processes(rt)["items"]}
    iid = __import__("workflows.services.instances", fromlist=["x"]).start_process(
        rt, "seal_use", "staff_cs", {"group_name": "学院公章", "details": "教学材料盖章"})
    assert [t["name"] for t in queries.get_instance(rt, "staff_cs", iid)["tasks"]] == ["办公室主任审核"]
