"""A new merchant owner's first session, in a real browser: log in by phone with 888888,
be sent to the password change, change it, open 商城列表 from the sidebar, filter it
with the search widget and export the filtered list to Excel."""
import re
from datetime import datetime

from app.services.merchant import FIRST_PASSWORD

KEPT, FILTERED_OUT = ("春风果园旗舰店", "wx_mall"), ("夏雨茶饮小程序", "mini_mall")
NEW_PASSWORD = "Spring2026go"  # 8-32 characters, letters and digits


def test_owner_first_login_change_password_filter_and_export(live_server, new_merchant, page,
                                                              screenshot, tmp_path):
    from playwright.sync_api import expect  # here: without it the fixtures skip the test
    from python_calamine import CalamineWorkbook

    from app.models.base import china_now

    merchant = new_merchant(shops=[KEPT, FILTERED_OUT])

    # 1. Log in by phone with the first password.
    page.goto(live_server("/login/"))
    expect(page.get_by_role("heading", name="登录商家后台")).to_be_visible()
    expect(page.get_by_text("首次登录密码为 888888")).to_be_visible()
    screenshot("01-login")
    page.get_by_label("手机号 / 账号").fill(merchant.phone)
    page.get_by_label("密码").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="登录").click()

    # 2. Forced onto the password change, with no sidebar until it is done.
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    expect(page.get_by_text("首次登录请先修改密码")).to_be_visible()
    expect(page.get_by_text("为了账号安全，首次登录或密码被重置后须先修改密码。")).to_be_visible()
    expect(page.locator(".md-sidebar")).to_have_count(0)
    screenshot("02-change-password")
    page.get_by_label("原密码").fill(FIRST_PASSWORD)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("确认新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="确认修改").click()

    # 3. The home page, now with the sidebar and the merchant's name.
    expect(page.get_by_text("密码修改成功")).to_be_visible()
    expect(page.get_by_role("heading", name="首页")).to_be_visible()
    expect(page.locator(".md-merchant-name")).to_have_text(merchant.name)
    sidebar = page.locator(".md-sidebar")
    expect(sidebar.get_by_text("我的商城")).to_be_visible()
    screenshot("03-home")

    # 4. 商城列表 from the sidebar: both shops.
    sidebar.get_by_role("link", name="商城列表").click()
    expect(page).to_have_url(re.compile(r"/shopview/list/$"))
    expect(page.locator(".panel-heading").first).to_contain_text("商城列表")
    rows = page.locator(".table-responsive table.table-bordered tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("cell", name=KEPT[0], exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=FILTERED_OUT[0], exact=True)).to_be_visible()
    expect(page.locator(".md-count")).to_have_text(re.compile(r"共\s*2\s*条"))
    screenshot("04-shop-list")

    # 5. FAB's search widget: 搜索 -> 添加过滤条件 -> 商城名称, a value, submit.
    page.get_by_role("link", name="搜索").click()
    search = page.locator("#filter_form")
    search.get_by_role("button", name="添加过滤条件").click()
    search.locator(".dropdown-menu").get_by_role("link", name="商城名称").click()
    value = search.locator("table.filters input.filter_val")
    expect(value).to_have_count(1)
    value.fill("春风")
    screenshot("05-search-filter")
    search.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/shopview/list/\?_flt_\d+_name="))
    expect(rows).to_have_count(1)
    expect(page.get_by_role("cell", name=KEPT[0], exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=FILTERED_OUT[0], exact=True)).to_have_count(0)
    expect(page.locator(".md-count")).to_have_text(re.compile(r"共\s*1\s*条"))
    expect(search.locator("input.filter_val")).to_have_value("春风")  # the filter is kept
    screenshot("06-filtered-list")

    # 6. 导出 Excel: the filtered rows only, Chinese headers, a Chinese name dated today
    # (China time, as everything merchants read).
    export = page.get_by_role("link", name="导出 Excel")
    expect(export).to_have_attribute("href", re.compile(r"/shopview/export/\?_flt_\d+_name="))
    with page.expect_download() as info:
        export.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"商城列表_{china_now():%Y%m%d}.xlsx"
    target = tmp_path / download.suggested_filename
    download.save_as(target)

    book = CalamineWorkbook.from_path(str(target))
    assert book.sheet_names == ["商城列表"]
    sheet = book.get_sheet_by_index(0).to_python()
    assert sheet[0] == ["ID", "商城名称", "商城类型", "状态", "主题色", "创建时间"]
    assert len(sheet) == 2, sheet  # the header and the one filtered row
    shop_id, name, shop_type, status, color, created_at = sheet[1]
    assert int(shop_id) == merchant.shop_ids[KEPT[0]]
    assert (name, shop_type, status, color) == (KEPT[0], "微商城", "营业中", "#E4393C")
    assert isinstance(created_at, datetime)
