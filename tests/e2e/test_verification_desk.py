"""核销台 at phone width in a real browser: the demo 核销员 types a pickup order's code,
previews the order, confirms it once; confirming again says who did it and when. A 抽奖游戏
gift code is previewed and redeemed once at the same desk."""
from tests.views.fulfilment_fixtures import get, make_order

PHONE = {"width": 390, "height": 844}


def test_verification_desk_at_phone_width(live_server, page, screenshot):
    from playwright.sync_api import expect

    from app.models.order import Order

    order_id, _items, order_no, _member = make_order(live_server.app, delivery="pickup")
    code = get(live_server.app, Order, order_id).verification_code
    page.set_viewport_size(PHONE)
    page.goto(live_server("/login/"))
    page.get_by_label("手机号 / 账号").fill("13800000021")
    page.get_by_label("密码").fill("Verify@2026")
    page.get_by_role("button", name="登录").click()
    # Wait for the login to land: it renews the session, and a page opened before that
    # would carry a CSRF token of the old session.
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(live_server("/verification/"))
    expect(page.get_by_role("button", name="扫一扫")).to_be_visible()
    # Nothing may overflow the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Headless Chromium has no camera: the scan button explains and leaves typing open.
    page.get_by_role("button", name="扫一扫").click()
    expect(page.locator("#md-scan-message")).to_contain_text("手动输入核销码")
    page.locator("#md-code").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#md-preview")).to_contain_text(order_no)
    screenshot("preview")
    page.get_by_role("button", name="确认核销到店").click()
    expect(page.locator("#md-verify-done")).to_contain_text("核销成功")
    expect(page.locator("#md-verify-done")).to_contain_text("李核销")
    screenshot("done")
    assert get(live_server.app, Order, order_id).status == "completed"
    page.locator("#md-code").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#md-verify-error")).to_contain_text("该订单已核销")
    expect(page.locator("#md-verify-error")).to_contain_text("李核销")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_desk_redeems_a_lottery_gift_code_at_phone_width(live_server, page, screenshot):
    """A 抽奖游戏 physical prize's code typed at the desk: the prize preview, then 确认核销奖品
    once; typing it again says it was already redeemed, by whom."""
    from playwright.sync_api import expect

    from app.models.lottery_game import LotteryGameDraw
    from tests.views.test_verification import _won_gift

    code, draw_id, nickname, _phone = _won_gift(live_server.app)
    page.set_viewport_size(PHONE)
    page.goto(live_server("/login/"))
    page.get_by_label("手机号 / 账号").fill("13800000021")
    page.get_by_label("密码").fill("Verify@2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(live_server("/verification/"))
    page.locator("#md-code").fill(code.lower())
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#md-gift-preview")).to_contain_text("核销台礼品")
    expect(page.locator("#md-gift-preview")).to_contain_text(nickname)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("gift-preview")
    page.get_by_role("button", name="确认核销奖品").click()
    expect(page.locator("#md-gift-done")).to_contain_text("核销成功")
    expect(page.locator("#md-gift-done")).to_contain_text("李核销")
    screenshot("gift-done")
    assert get(live_server.app, LotteryGameDraw, draw_id).redeemed_by_name == "李核销"
    page.locator("#md-code").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#md-verify-error")).to_contain_text("该奖品已核销")
    expect(page.locator("#md-verify-error")).to_contain_text("李核销")
    expect(page.get_by_role("button", name="确认核销奖品")).to_have_count(0)
