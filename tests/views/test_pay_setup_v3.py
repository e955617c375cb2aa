"""立即验证 with an APIv3 key: the wizard also checks APIv3 through wechatpayv3 against the
fake's v3 endpoints and reports it apart from v2, which alone decides 启用."""
import io

from tests.fakes.pay_v3 import enable_v3, platform
from tests.fakes.wechat import make_p12
from tests.views.test_pay_setup import (APPID, KEY, MCH_ID, _config, _post,  # noqa: F401
                                        clean_configs)

APIV3_KEY = "Api3" * 8


def _through_step_three(client, p12, apiv3_key):
    _post(client, "/paysetup/mode", {"mode": "own", "app_kind": "official", "appid": APPID})
    response = _post(client, "/paysetup/credentials",
                     {"mch_id": MCH_ID, "api_key": KEY, "apiv3_key": apiv3_key},
                     {"cert_file": (io.BytesIO(p12), "apiclient_cert.p12")})
    assert response.status_code == 302
    _post(client, "/paysetup/urls", {})


def test_v3_is_verified_and_reported_separately(app, login_as, wechat, clean_configs):  # noqa: F811
    p12, serial = make_p12(MCH_ID)
    wechat.add_merchant(MCH_ID, KEY, [APPID], cert_serials=[serial])
    enable_v3(wechat, MCH_ID, APIV3_KEY, p12)
    client = login_as("owner_a")
    _through_step_three(client, p12, "Z" * 32)  # a wrong APIv3 key, the right v2 key

    page = client.get("/paysetup/?step=4").get_data(as_text=True)
    assert 'id="verify-v3-result"' in page and "立即验证时将同时下载平台证书" in page
    response = _post(client, "/paysetup/verify", {})
    assert "step=5" in response.location  # v2 passed: APIv3 does not hold enabling back
    config = _config(app)
    assert config.verify_result == "ok"
    assert config.v3_verify_result == "failed" and "APIv3 密钥错误" in config.v3_verify_message
    page = client.get("/paysetup/?step=4").get_data(as_text=True)
    assert "APIv3 验证失败：APIv3 密钥错误" in page and "验证通过" in page
    assert wechat.received("/v3/certificates")
    assert _post(client, "/paysetup/enable", {"enabled": "1"}).status_code == 302
    assert _config(app).enabled is True

    # The right APIv3 key: only the v3 result is reset, then verified.
    _post(client, "/paysetup/credentials", {"mch_id": MCH_ID, "apiv3_key": APIV3_KEY})
    config = _config(app)
    assert config.v3_verify_result == "none" and config.enabled is True
    _post(client, "/paysetup/urls", {})
    _post(client, "/paysetup/verify", {})
    config = _config(app)
    assert config.v3_verify_result == "ok" and platform(wechat).serial in config.v3_verify_message
    page = client.get("/paysetup/?step=4").get_data(as_text=True)
    assert "APIv3 验证通过" in page
    orders = [r for r in wechat.requests if r["path"].startswith("/v3/pay/transactions/")]
    assert orders and all(r["method"] == "GET" for r in orders)  # a query: no money moves


def test_v3_without_a_certificate_says_what_is_missing(app, login_as, wechat,
                                                       clean_configs):  # noqa: F811
    p12, serial = make_p12(MCH_ID)
    wechat.add_merchant(MCH_ID, KEY, [APPID], cert_serials=[serial])
    client = login_as("owner_a")
    _post(client, "/paysetup/mode", {"mode": "own", "app_kind": "official", "appid": APPID})
    _post(client, "/paysetup/credentials",
          {"mch_id": MCH_ID, "api_key": KEY, "apiv3_key": APIV3_KEY})
    _post(client, "/paysetup/urls", {})
    _post(client, "/paysetup/verify", {})
    config = _config(app)
    assert config.verify_result == "ok"
    assert config.v3_verify_result == "failed" and "APIv3 需要 API 证书" in config.v3_verify_message
    assert not wechat.received("/v3/certificates")


def test_no_apiv3_key_means_no_v3_call(app, login_as, wechat, clean_configs):  # noqa: F811
    p12, serial = make_p12(MCH_ID)
    wechat.add_merchant(MCH_ID, KEY, [APPID], cert_serials=[serial])
    client = login_as("owner_a")
    _through_step_three(client, p12, "")
    _post(client, "/paysetup/verify", {})
    config = _config(app)
    assert config.verify_result == "ok" and config.v3_verify_result == "none"
    assert not any(r["path"].startswith("/v3/") for r in wechat.requests)
