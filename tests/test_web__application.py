"""End to end on a phone-sized screen (390x844) in Debian chromium against a real uvicorn server.

A staff member applies for a group (first with mistakes, kept as typed, and a draft), the unit head returns it
with an opinion, the applicant fixes and resubmits, the unit head and the Party org approve, and the applicant
downloads the filed form (att. 1) from the instance page. Screenshots of the main pages are saved.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
from sqlalchemy import select

from tests.web_live import browser, live, login, phone, shot  # noqa: F401  (fixtures)
from workflows.db import unit_of_work
from workflows.models import Document, HumanTask

pytestmark = pytest.mark.browser

GROUP = "计算机工程学院2026级新生辅导员工作群"


def weight(page, url: str, skip: tuple[str, ...] = ()) -> int:
    """Bytes of everything a fresh load of ``url`` fetches (uncompressed), leaving out URLs containing ``skip``."""
    sizes: list[int] = []

    def on_response(response) -> None:
        if not any(s in response.url for s in skip):
            try:
                sizes.append(len(response.body()))
            except Exception:  # redirects have no body
                pass

    page.on("response", on_response)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", on_response)
    return sum(sizes)


def test_apply_return_fix_approve_and_download(live, browser):
    staff_ctx, head_ctx, party_ctx = phone(browser), phone(browser), phone(browser)
    try:
        page = phone_login_page = staff_ctx.new_page()
        page.goto(f"{live.url}/login")
        shot(page, "01-login")
        page.close()
        page = login(staff_ctx, live, "staff_cs")
        shot(page, "02-tasks-empty")
        page.get_by_role("navigation").get_by_role("link", name="发起申请").click()
        page.get_by_role("button", name="发起：新建工作群组审批").click()
        page.wait_for_url("**/tasks/*")
        task_url = page.url
        assert weight(page, task_url) < 300_000
        shot(page, "03-apply-form")

        # a draft keeps what was typed
        page.get_by_label("工作群名称").fill("新生辅导员群（草稿）")
        page.get_by_role("button", name="保存草稿").click()
        page.wait_for_url(task_url)
        assert page.get_by_role("status").filter(has_text="草稿已保存").is_visible()
        page.reload()
        assert page.get_by_label("工作群名称").input_value() == "新生辅导员群（草稿）"

        # a failed submit keeps everything typed and puts a Chinese message next to each bad field
        page.get_by_label("工作群名称").fill(GROUP)
        page.get_by_label("微信工作群").check()
        page.get_by_label("群功能").fill("发布新生入学工作通知")
        page.get_by_label("人员规模（人数）").fill("0")
        page.get_by_label("联系方式").fill("12345")
        page.get_by_role("button", name="提交").click()
        assert "必填" in page.locator("#e-member_scope").inner_text()
        assert "不能小于 1" in page.locator("#e-member_count").inner_text()
        assert "格式不正确" in page.locator("#e-contact").inner_text()
        assert page.get_by_label("工作群名称").input_value() == GROUP
        assert page.get_by_label("群功能").input_value() == "发布新生入学工作通知"
        assert page.get_by_label("微信工作群").is_checked()
        assert page.get_by_label("联系方式").get_attribute("aria-invalid") == "true"
        shot(page, "04-apply-errors")

        page.get_by_label("人员范围").fill("学院辅导员及班主任")
        page.get_by_label("人员规模（人数）").fill("25")
        page.get_by_label("群主").fill("李老师")
        page.get_by_label("联系方式").fill("13912345678")
        page.get_by_label("工作条线").select_option("teaching")
        page.get_by_label("附件（可选，可多选）").set_input_files(
            files=[{"name": "成员名单.csv", "mimeType": "text/csv", "buffer": "姓名\n李老师\n".encode()}])
        page.get_by_role("button", name="提交").click()
        page.wait_for_url("**/instances/*")
        instance_url = page.url
        page.wait_for_selector("#diagram[data-ready='1']")
        assert page.locator("#diagram .gg-current").count() >= 1
        assert page.locator("#documents").get_by_text("成员名单.csv").is_visible()
        shot(page, "05-instance-submitted")

        # the unit head claims (htmx) and returns it with an opinion
        head = login(head_ctx, live, "head_cs")
        card = head.locator(".card", has_text=GROUP)
        card.get_by_role("button", name="签收").click()
        head.wait_for_selector(f".card:has-text('{GROUP}') >> text=已签收")
        shot(head, "06-head-tasks")
        card.get_by_role("link").first.click()
        head.wait_for_url("**/tasks/*")
        assert head.get_by_text(GROUP).first.is_visible()  # the application is shown to the approver
        head.get_by_role("button", name="退回修改").click()  # without an opinion: refused next to the field
        assert "必填" in head.locator("#e-opinion").inner_text()
        head.get_by_label("意见说明").fill("请补充群信息发布规则")
        shot(head, "07-decision-form")
        head.get_by_role("button", name="退回修改").click()
        head.wait_for_url(f"{live.url}/")
        assert head.get_by_role("status").filter(has_text="已提交").is_visible()

        # the applicant sees the opinion, fixes the form and resubmits
        page.goto(f"{live.url}/")
        page.locator(".card", has_text="填写工作群审批表").get_by_role("link").first.click()
        assert page.get_by_text("请补充群信息发布规则").is_visible()
        assert page.get_by_label("工作群名称").input_value() == GROUP  # prefilled from the returned application
        page.get_by_label("群信息发布规则").fill("只发布工作通知，重要信息经保密审查")
        page.get_by_role("button", name="提交").click()
        page.wait_for_url("**/instances/*")

        # the unit head approves, the Party org approves
        head.goto(f"{live.url}/")
        head.locator(".card", has_text=GROUP).get_by_role("link").first.click()
        head.get_by_role("button", name="同意", exact=True).click()
        head.wait_for_url(f"{live.url}/")
        party = login(party_ctx, live, "party_cs")
        party.locator(".card", has_text=GROUP).get_by_role("link").first.click()
        party.get_by_label("意见说明").fill("同意备案")
        party.get_by_role("button", name="同意", exact=True).click()
        party.wait_for_url(f"{live.url}/")

        # the applicant sees it completed with the timeline, and downloads the filed form
        page.goto(instance_url)
        page.wait_for_selector("#diagram[data-ready='1']")
        assert page.locator(".tag.status-completed").first.inner_text() == "已完成"
        timeline = page.locator(".timeline").inner_text()
        assert "请补充群信息发布规则" in timeline and "同意备案" in timeline and "退回修改" in timeline
        assert page.locator("#diagram .gg-done").count() >= 5
        assert weight(page, instance_url, skip=("/static/vendor/bpmn-js/", "/diagram")) < 300_000
        shot(page, "08-instance-completed")
        with unit_of_work(write=False, engine=live.rt.db) as s:
            docs = s.execute(select(Document.id, Document.name).where(Document.kind != "attachment")).all()
        assert docs, "no filed form (att. 1) was generated for the completed application"
        with page.expect_download() as info:
            page.locator("#documents").get_by_text(docs[0].name).click()
        download = info.value
        assert download.suggested_filename.endswith(".docx")
        content = open(download.path(), "rb").read()
        assert GROUP in zipfile.ZipFile(BytesIO(content)).read("word/document.xml").decode()

        page.get_by_role("navigation").get_by_role("link", name="我发起的").click()
        shot(page, "09-started")
        page.get_by_role("navigation").get_by_role("link", name="通知").click()
        shot(page, "10-notifications")
    finally:
        for ctx in (staff_ctx, head_ctx, party_ctx):
            ctx.close()
    with unit_of_work(write=False, engine=live.rt.db) as s:
        assert s.scalar(select(HumanTask).where(HumanTask.state == "open")) is None
