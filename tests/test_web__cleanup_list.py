"""The statistician's group-list editor (x-widget group_list) of the art. 7 cleanup, and its spreadsheet upload.

In a real browser on a phone (390x844): stats_cs fills two groups (one kept, one dissolved) in the table editor,
gets the server's per-row problems, fixes them and submits. Without a browser (the form posts a page without
JavaScript makes): rows added and removed by the server, the list prefilled from the register, problems found
after submitting shown on the returned task per row, and the spreadsheet imported or submitted from the page.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from tests.process_flows import add_group, open_elements, view
from tests.web_live import SHOTS, browser, live, login, phone  # noqa: F401  (fixtures)
from workflows.api.app import create_app
from workflows.services import instances, queries
from workflows.services.registry import today

HEADER = ["工作群名称", "群类别", "群主", "人员范围", "人数", "群功能", "群信息发布规则", "保留依据", "处理意见"]


def launch(rt) -> int:
    deadline = (today(rt) + timedelta(days=20)).isoformat()
    cid = instances.start_process(rt, "cleanup_refiling", "admin", {"campaign_name": "2026年工作群组清理规范", "deadline": deadline,
                                                                     "unit_names": "计算机工程学院"})
    return view(rt, cid)["data"]["parts"][0]["instance_id"]


def list_task(rt) -> int:
    return next(t["id"] for t in queries.list_tasks(rt, "stats_cs", "mine", limit=200)["items"] if t["element"] == "list_groups")


def signed_in(rt, username: str) -> TestClient:
    client = TestClient(create_app(rt))
    token = csrf(client, "/login")
    assert client.post("/login", data={"username": username, "password": "demo", "csrf_token": token}, follow_redirects=False).status_code == 303
    return client


def csrf(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def row(i: int, name: str, owner: str, action: str, **more: str) -> dict[str, str]:
    values = {"group_name": name, "group_kind": "wechat_group", "owner": owner, "member_scope": "学院教师", "member_count": "30",
              "function": "教学通知", "posting_rules": "只发工作通知" if action == "keep" else "", "action": action,
              "retention_basis": "常规教学工作需要" if action == "keep" else "", "group_id": "", **more}
    return {f"group_list-{i}-{k}": v for k, v in values.items()}


def sheet(*rows: list[object]) -> bytes:
    wb = Workbook()
    wb.active.append(HEADER)
    for r in rows:
        wb.active.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fill_row(row_, name: str, owner: str, scope: str, count: str, function: str, rules: str) -> None:
    """Type a kept group into one row of the editor, as a person would (the retention basis is left to the caller)."""
    row_.get_by_label("工作群名称").fill(name)
    row_.get_by_label("群主").fill(owner)
    row_.get_by_label("人员范围").fill(scope)
    row_.get_by_label("人数").fill(count)
    row_.get_by_label("群功能").fill(function)
    row_.get_by_label("群信息发布规则").fill(rules)
    row_.get_by_label("保留", exact=True).check()


@pytest.mark.browser
def test_statistician_fills_two_groups_on_a_phone(live, browser):  # noqa: F811
    rt = live.rt
    pid = launch(rt)
    ctx = phone(browser)
    try:
        page = login(ctx, live, "stats_cs")
        page.goto(f"{live.url}/tasks/{list_task(rt)}")
        editor = page.locator("fieldset.gl")
        assert editor.locator("tbody tr").count() == 0 and page.get_by_text("清单为空").is_visible()
        page.get_by_role("button", name="＋ 添加一个群组").click()
        page.get_by_role("button", name="＋ 添加一个群组").click()
        rows = editor.locator("tbody tr")
        assert rows.count() == 2 and rows.nth(1).locator("[data-gl-no]").inner_text() == "2"
        first, second = rows.nth(0), rows.nth(1)
        fill_row(first, "计算机工程学院教学通知群", "staff_cs", "全院专任教师", "86", "发布教学运行通知", "仅发布工作通知，不闲聊")
        # the kept group's retention basis is left out on purpose: the server names it on that row
        second.get_by_label("工作群名称").fill("2019级辅导员临时群")
        second.get_by_label("群类别").select_option("qq_group")
        second.get_by_label("群主").fill("staff_cs2")
        second.get_by_label("人员范围").fill("2019级辅导员")
        second.get_by_label("人数").fill("12")
        second.get_by_label("群功能").fill("2019级迎新")
        second.get_by_label("解散", exact=True).check()
        page.get_by_label("本单位(部门)原有工作群组的数量").fill("2")
        page.get_by_role("button", name="提交", exact=True).click()

        page.wait_for_selector("tr.invalid-row")
        assert page.get_by_role("alert").filter(has_text="群组清单有误").is_visible()
        bad = editor.locator("tbody tr").nth(0)
        assert "保留的群组须填写保留依据" in bad.locator(".gl-retention_basis .error").inner_text()
        assert editor.locator("tbody tr").nth(1).locator(".error").count() == 0
        assert bad.get_by_label("群主").input_value() == "staff_cs"  # everything typed is kept
        assert editor.locator("tbody tr").nth(1).get_by_label("解散", exact=True).is_checked()
        assert page.evaluate("document.activeElement.id") == "group_list-0-retention_basis"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "cleanup-list-errors.png"), full_page=True)
        bad.get_by_label("保留依据").fill("常规教学工作需要（第四条）")
        assert editor.locator("tr.invalid-row, .gl-cell.invalid").count() == 0  # the fixed cell no longer shows the problem
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # cards, no sideways scrolling
        page.screenshot(path=str(SHOTS / "cleanup-list.png"), full_page=True)
        page.get_by_role("button", name="提交", exact=True).click()
        page.wait_for_url(f"{live.url}/instances/{pid}")
    finally:
        ctx.close()
    data = view(rt, pid)["data"]
    assert [(g["group_name"], g["group_kind"], g["owner_username"], g["action"], g["member_count"]) for g in data["groups"]] == [
        ("计算机工程学院教学通知群", "wechat_group", "staff_cs", "keep", 86), ("2019级辅导员临时群", "qq_group", "staff_cs2", "dissolve", 12)]
    assert data["groups"][0]["retention_basis"] == "常规教学工作需要（第四条）" and data["original_count"] == 2
    assert open_elements(rt, pid) == ["unit_head_sign"]


def test_without_javascript_rows_are_added_and_removed_by_the_server(sqlite_rt):
    rt = sqlite_rt
    gid = add_group(rt, "staff_cs", "计算机工程学院教学通知群", member_scope="全院教师", function="教学通知")
    pid = launch(rt)
    tid = list_task(rt)
    client = signed_in(rt, "stats_cs")
    page = client.get(f"/tasks/{tid}").text
    assert 'value="计算机工程学院教学通知群"' in page and f'name="group_list-0-group_id" value="{gid}"' in page  # from the register
    assert "请逐一核对" in page
    token = csrf(client, f"/tasks/{tid}")
    base = {"csrf_token": token, "group_list-rows": "1", **row(0, "计算机工程学院教学通知群", "staff_cs", "keep", group_id=str(gid))}
    added = client.post(f"/tasks/{tid}", data={**base, "_action": "group_list-add"})
    assert added.status_code == 200 and 'name="group_list-1-group_name" value=""' in added.text
    with_two = {**base, **row(1, "旧闲聊群", "staff_cs", "dissolve")}
    removed = client.post(f"/tasks/{tid}", data={**with_two, "_action": "group_list-remove-0"})
    assert "计算机工程学院教学通知群" not in removed.text.split("<tbody")[1].split("</tbody>")[0]
    assert 'name="group_list-0-group_name" value="旧闲聊群"' in removed.text
    # a dissolved group whose owner cannot be found passes the form's checks, fails the process's; the list comes back
    done = client.post(f"/tasks/{tid}", data={**with_two, **row(1, "旧闲聊群", "查无此人", "dissolve"), "original_count": "2",
                                              "_action": "submit"}, follow_redirects=False)
    assert done.status_code == 303
    again = done.headers["location"]
    assert again.startswith("/tasks/") and again != f"/tasks/{tid}" and open_elements(rt, pid) == ["list_groups"]
    page = client.get(again).text
    rows = page.split("<tbody")[1].split("</tbody>")[0].split('<tr class="gl-row')[1:]
    assert "invalid-row" not in rows[0] and rows[1].startswith(" invalid-row") and "找不到群主“查无此人”" in rows[1]
    assert 'aria-invalid="true"' in rows[1].split("gl-owner")[1].split("</td>")[0]
    token = csrf(client, again)
    fixed = client.post(again, data={"csrf_token": token, **{k: v for k, v in with_two.items() if k != "csrf_token"}, "original_count": "2"},
                        follow_redirects=False)
    assert fixed.status_code == 303 and open_elements(rt, pid) == ["unit_head_sign"]
    assert [g["owner_username"] for g in view(rt, pid)["data"]["groups"]] == ["staff_cs", "staff_cs"]


def test_spreadsheet_imported_into_the_editor_or_submitted_from_the_page(sqlite_rt):
    rt = sqlite_rt
    pid = launch(rt)
    tid = list_task(rt)
    client = signed_in(rt, "stats_cs")
    page = client.get(f"/tasks/{tid}").text
    assert f'action="/tasks/{tid}/group-sheet"' in page and "用表格上传清单" in page
    template = client.get(f"/tasks/{tid}/group-sheet.csv")
    assert template.status_code == 200 and template.content.decode("utf-8-sig").startswith("工作群名称,群类别,群主")
    bad = sheet(["教学群", "微信工作群", "staff_cs", "教师", 30, "通知", "只发通知", "", "保留"], ["旧群", "QQ工作群", "staff_cs2", "辅导员", 8, "迎新", "", "", "解散"])
    token = csrf(client, f"/tasks/{tid}")
    imported = client.post(f"/tasks/{tid}/group-sheet", data={"csrf_token": token, "_action": "submit"},
                           files={"sheet": ("清单.xlsx", bad, "application/octet-stream")})
    assert imported.status_code == 422 and open_elements(rt, pid) == ["list_groups"]  # not submitted: shown per row
    body = imported.text.split("<tbody")[1].split("</tbody>")[0]
    assert 'value="旧群"' in body and "保留的群组须填写保留依据" in body.split('<tr class="gl-row')[1]
    good = sheet(["教学群", "微信工作群", "staff_cs", "教师", 30, "通知", "只发通知", "教学需要", "保留"], ["旧群", "QQ工作群", "staff_cs2", "辅导员", 8, "迎新", "", "", "解散"])
    preview = client.post(f"/tasks/{tid}/group-sheet", data={"csrf_token": token, "_action": "preview"},
                          files={"sheet": ("清单.xlsx", good, "application/octet-stream")})
    assert preview.status_code == 200 and 'name="group_list-1-group_kind"' in preview.text and open_elements(rt, pid) == ["list_groups"]
    assert "已从表格读取 2 个群组" in preview.text
    wrong = client.post(f"/tasks/{tid}/group-sheet", data={"csrf_token": token, "_action": "submit"},
                        files={"sheet": ("清单.txt", b"x", "text/plain")})
    assert wrong.status_code == 422 and "不支持的文件类型" in wrong.text
    sent = client.post(f"/tasks/{tid}/group-sheet", data={"csrf_token": token, "_action": "submit", "original_count": "3"},
                       files={"sheet": ("清单.xlsx", good, "application/octet-stream")}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == f"/instances/{pid}"
    data = view(rt, pid)["data"]
    assert [(g["group_name"], g["action"]) for g in data["groups"]] == [("教学群", "keep"), ("旧群", "dissolve")]
    assert data["original_count"] == 3 and json.loads(data["group_list"])[1]["group_kind"] == "QQ工作群"
    assert open_elements(rt, pid) == ["unit_head_sign"]
    # the unit head signs a readable list, not JSON
    head_task = next(t["id"] for t in view(rt, pid)["tasks"])
    signing = signed_in(rt, "head_cs").get(f"/tasks/{head_task}").text
    assert "1. 教学群（微信工作群，群主 staff_cs，30 人）：保留。保留依据：教学需要" in signing
    assert "2. 旧群（QQ工作群，群主 staff_cs2，8 人）：解散" in signing and "group_kind" not in signing


def test_importing_a_sheet_keeps_the_rows_typed_on_the_page(sqlite_rt):
    """导入 posts the list as it stands on the page with the sheet (group-list.js carries the rows): a group in
    both is taken from the sheet in its place, a new one is added, and what was typed and not saved stays."""
    rt = sqlite_rt
    launch(rt)
    tid = list_task(rt)
    client = signed_in(rt, "stats_cs")
    token = csrf(client, f"/tasks/{tid}")
    typed = {"group_list-rows": "1", **row(0, "计算机工程学院教学通知群", "staff_cs", "keep"),
             **row(3, "2019级辅导员临时群", "staff_cs2", "dissolve", member_count="12")}
    upload = sheet(["2019级辅导员临时群", "QQ工作群", "staff_cs2", "辅导员", 9, "迎新", "", "", "解散"],
                   ["科研团队群", "微信工作群", "staff_cs", "科研教师", 15, "科研通知", "只发通知", "科研管理需要", "保留"])
    preview = client.post(f"/tasks/{tid}/group-sheet", data={"csrf_token": token, "_action": "preview", **typed},
                          files={"sheet": ("清单.xlsx", upload, "application/octet-stream")})
    assert preview.status_code == 200, preview.text[-2000:]
    assert "已从表格读取 2 个群组（更新 1 个、新增 1 个，清单中原有的其他群组保留）" in preview.text
    body = preview.text.split("<tbody")[1].split("</tbody>")[0]
    names = re.findall(r'name="group_list-\d+-group_name"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="group_list-\d+-group_name"', body)
    assert [a or b for a, b in names] == ["计算机工程学院教学通知群", "2019级辅导员临时群", "科研团队群"]
    assert 'value="9"' in body and 'value="12"' not in body  # the sheet's figures for the group in both
    assert open_elements(rt, view(rt, queries.get_task(rt, "stats_cs", tid)["instance_id"])["id"]) == ["list_groups"]


@pytest.mark.browser
def test_import_on_the_page_keeps_a_row_typed_before(live, browser, tmp_path):  # noqa: F811
    rt = live.rt
    launch(rt)
    path = tmp_path / "清单.xlsx"
    path.write_bytes(sheet(["科研团队群", "微信工作群", "staff_cs", "科研教师", 15, "科研通知", "只发通知", "科研管理需要", "保留"]))
    ctx = phone(browser)
    try:
        page = login(ctx, live, "stats_cs")
        page.goto(f"{live.url}/tasks/{list_task(rt)}")
        page.get_by_role("button", name="＋ 添加一个群组").click()
        typed = page.locator("fieldset.gl tbody tr").nth(0)
        fill_row(typed, "计算机工程学院教学通知群", "staff_cs", "全院专任教师", "86", "发布教学运行通知", "仅发布工作通知")
        typed.get_by_label("保留依据").fill("常规教学工作需要")
        page.locator("#gl-sheet summary").click()
        page.get_by_label("表格文件").set_input_files(str(path))
        page.get_by_role("button", name="导入到上方清单核对").click()
        page.wait_for_selector("text=已从表格读取 1 个群组")
        rows = page.locator("fieldset.gl tbody tr")
        assert rows.count() == 2
        assert [rows.nth(k).get_by_label("工作群名称").input_value() for k in range(2)] == ["计算机工程学院教学通知群", "科研团队群"]
    finally:
        ctx.close()


def test_form_schema_marks_the_editor(sqlite_rt):
    launch(sqlite_rt)
    form = queries.get_task(sqlite_rt, "stats_cs", list_task(sqlite_rt))["form"]
    assert form["properties"]["group_list"]["x-widget"] == "group_list" and form["properties"]["note"]["x-widget"] == "textarea"
