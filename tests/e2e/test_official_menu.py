"""自定义菜单 designer in a browser: the script shows the fields of the chosen action,
counts name length the WeChat way, offers one empty sub-button slot at a time, hides the
top-level action once there are sub-buttons, and an over-long name is refused at the field
with the input kept; then the draft is saved."""
import json

from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.conftest import log_in_new_owner


def test_menu_designer_edits_and_saves_a_draft(page, live_server, new_merchant, screenshot):
    from app.extensions import db
    from app.models.official_account import OfficialMenu
    from app.tenancy import platform_scope

    merchant = new_merchant(shops=[("菜单测试商城", "wx_mall")])
    log_in_new_owner(page, live_server, merchant)
    page.goto(live_server("/officialmenu/"))
    first = page.locator(".md-menu-button").nth(0)
    # An action's fields appear only once the action is chosen.
    expect(first.locator('input[name="b0_url"]')).to_be_hidden()
    first.locator('select[name="b0_type"]').select_option("view")
    expect(first.locator('input[name="b0_url"]')).to_be_visible()
    expect(first.locator('input[name="b0_key"]')).to_be_hidden()
    first.locator('input[name="b0_name"]').fill("微商城首页")
    expect(first.locator(".md-menu-count").first).to_have_text("10 / 8")
    first.locator('input[name="b0_url"]').fill("https://shop.example.test/s/1")
    # Sub-buttons of the second button: one empty slot at a time.
    second = page.locator(".md-menu-button").nth(1)
    expect(second.locator(".md-menu-sub").nth(0)).to_be_visible()
    expect(second.locator(".md-menu-sub").nth(1)).to_be_hidden()
    second.locator('input[name="b1_name"]').fill("会员")
    second.locator('input[name="b1_s0_name"]').fill("签到")
    second.locator('select[name="b1_s0_type"]').select_option("click")
    second.locator('input[name="b1_s0_key"]').fill("SIGN_IN")
    second.locator('input[name="b1_s0_key"]').blur()
    expect(second.locator(".md-menu-sub").nth(1)).to_be_visible()
    expect(second.locator(".md-menu-top-action")).to_be_hidden()
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("一级菜单名称最多 4 个汉字或 8 个字母")).to_be_visible()
    expect(page.locator('input[name="b1_s0_key"]')).to_have_value("SIGN_IN")
    screenshot("refused")
    page.locator('input[name="b0_name"]').fill("微商城")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("菜单草稿已保存")).to_be_visible()
    screenshot("saved")
    with live_server.app.app_context(), platform_scope():
        draft = json.loads(db.session.execute(select(OfficialMenu.draft).where(
            OfficialMenu.merchant_id == merchant.id)).scalar_one())
    assert draft == {"button": [
        {"type": "view", "name": "微商城", "url": "https://shop.example.test/s/1"},
        {"name": "会员", "sub_button": [{"type": "click", "name": "签到", "key": "SIGN_IN"}]}]}
