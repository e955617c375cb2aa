"""The 微信支付 setup wizard in a real browser, against the loopback fake WeChat Pay:
step 1 to 启用, with a wrong API key first (classified, with the fix) and then the right one."""
import re

from tests.e2e.conftest import log_in_new_owner
from tests.fakes.wechat import make_p12

APPID = "wx0a1b2c3d4e5f6a7b"
MCH_ID = "1601234567"
KEY = "Right0Key1Right2Key3Right4Key5ab"
WRONG_KEY = "Wrong0Key1Wrong2Key3Wrong4Key5ab"


def test_payment_wizard_from_step_one_to_enabled(live_server, new_merchant, page, screenshot):
    from playwright.sync_api import expect

    p12, serial = make_p12(MCH_ID)
    live_server.wechat.add_merchant(MCH_ID, KEY, [APPID], cert_serials=[serial])
    merchant = new_merchant(shops=[("支付测试商城", "wx_mall")])
    log_in_new_owner(page, live_server, merchant)

    page.locator(".md-sidebar").get_by_role("link", name="微信支付").click()
    expect(page.get_by_role("heading", name=re.compile("微信支付设置"))).to_be_visible()

    # 1. Mode and AppID.
    page.get_by_label("商户自有商户号").check()
    page.get_by_label("公众号").check()
    page.locator("#appid").fill(APPID)
    screenshot("pay-01-mode")
    page.get_by_role("button", name="保存并进入下一步").click()

    # 2. The key is checked as it is typed; then the certificate and the wrong key.
    expect(page.locator("#step-2")).to_be_visible()
    page.locator("#mch_id").fill(MCH_ID)
    page.locator("#api_key").fill("tooShort")
    expect(page.get_by_text("须为 32 位字母或数字，当前 8 位")).to_be_visible()
    page.locator("#api_key").fill(WRONG_KEY)
    expect(page.get_by_text("格式正确")).to_be_visible()
    page.locator("#cert_file").set_input_files(files=[{
        "name": "apiclient_cert.p12", "mimeType": "application/x-pkcs12", "buffer": p12}])
    screenshot("pay-02-credentials")
    page.get_by_role("button", name="保存并进入下一步").click()

    # 3. The URLs to paste, each with a copy button.
    expect(page.locator("#step-3")).to_be_visible()
    expect(page.locator("#jsapi-dir")).to_have_value("https://shop.example.test/s/")
    expect(page.locator("#notify-url")).to_have_value(re.compile(r"/wechat/pay/[\w-]+/notify$"))
    expect(page.locator(".md-copy-btn")).to_have_count(3)
    page.get_by_role("button", name="已填好，进入下一步").click()

    # 4. Verify with the wrong key: classified, with the fix in the guides' words.
    page.get_by_role("button", name="立即验证").click()
    expect(page.locator("#verify-result")).to_contain_text("API 密钥错误（签名错误）")
    expect(page.locator("#verify-result")).to_contain_text("账户中心 - API 安全")
    screenshot("pay-04-wrong-key")

    # Back to step 2 with the right key; the certificate is kept and shown.
    page.get_by_role("link", name="2. 填写商户号与密钥").click()
    expect(page.locator("#cert-info")).to_contain_text(serial)
    page.locator("#api_key").fill(KEY)
    page.get_by_role("button", name="保存并进入下一步").click()
    expect(page.get_by_text("密钥或证书已更改，须重新验证后才能启用")).to_be_visible()
    page.get_by_role("button", name="已填好，进入下一步").click()
    page.get_by_role("button", name="立即验证").click()

    # 5. Verified: enable.
    expect(page.get_by_text("验证通过：商户号、API 密钥与 AppID 配置正确")).to_be_visible()
    page.get_by_role("button", name="启用").click()
    expect(page.get_by_text("已启用微信支付")).to_be_visible()
    expect(page.locator("h3 .label-success")).to_have_text("已启用")
    screenshot("pay-05-enabled")
    paths = {r["path"] for r in live_server.wechat.requests}
    assert paths == {"/pay/orderquery", "/mmpaymkttransfers/gethbinfo"}  # no money moved
