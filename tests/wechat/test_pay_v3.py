"""app/wechat/pay_v3.py through real wechatpayv3 code against the loopback fake's APIv3
(tests/fakes/pay_v3.py): wechatpayv3 signs the requests and checks the replies; the fake
checks the request signature with the merchant's certificate and signs with its own
platform key. Nothing in the app is mocked."""
from decimal import Decimal

import pytest

from app.wechat import certs, pay_v3
from app.wechat.errors import WeChatError
from tests.fakes.pay_v3 import enable_v3, platform
from tests.fakes.wechat import make_p12

APPID = "wx1234567890abcdef"
MCH_ID = "1900000109"
KEY = "A" * 16 + "b" * 16
APIV3_KEY = "V3v3" * 8


@pytest.fixture()
def merchant(wechat):
    p12, serial = make_p12(MCH_ID)
    wechat.add_merchant(MCH_ID, KEY, [APPID], cert_serials=[serial])
    enable_v3(wechat, MCH_ID, APIV3_KEY, p12)
    return {"fake": wechat, "p12": p12, "serial": serial}


def account(p12, apiv3_key=APIV3_KEY, mch_id=MCH_ID):
    cert = certs.load_p12(p12, MCH_ID)
    return pay_v3.V3Account(mch_id=mch_id, apiv3_key=apiv3_key, cert_serial=cert.serial,
                            key_pem=cert.key_pem, appid=APPID)


def test_platform_certificates_are_downloaded_and_decrypted(app, merchant):
    with app.app_context():
        found = pay_v3.download_platform_certificates(account(merchant["p12"]))
    assert [c["serial"] for c in found] == [platform(merchant["fake"]).serial]
    assert found[0]["expires_at"].year >= 2026
    sent = merchant["fake"].received("/v3/certificates")
    assert len(sent) == 1
    auth = sent[0]["headers"]["Authorization"]
    assert auth.startswith("WECHATPAY2-SHA256-RSA2048 ") and f'mchid="{MCH_ID}"' in auth
    assert f'serial_no="{merchant["serial"]}"' in auth


def test_verify_v3_queries_a_nonexistent_order_and_moves_no_money(app, merchant):
    balance = merchant["fake"].merchants[MCH_ID].balance_fen
    with app.app_context():
        found = pay_v3.verify_credentials_v3(account(merchant["p12"]))
    assert found and found[0]["serial"] == platform(merchant["fake"]).serial
    paths = [r["path"] for r in merchant["fake"].requests]
    assert paths[0] == "/v3/certificates"
    assert paths[1].startswith("/v3/pay/transactions/out-trade-no/MDV3")
    assert merchant["fake"].requests[1]["query"]["mchid"] == [MCH_ID]
    assert merchant["fake"].merchants[MCH_ID].balance_fen == balance


def test_query_order_returns_yuan(app, merchant):
    merchant["fake"].add_order(MCH_ID, "ORDER-V3-1", 1999)
    with app.app_context():
        order = pay_v3.query_order_v3(account(merchant["p12"]), "ORDER-V3-1")
        missing = pay_v3.query_order_v3(account(merchant["p12"]), "ORDER-V3-404")
    assert order["amount"] == Decimal("19.99") and order["trade_state"] == "SUCCESS"
    assert order["transaction_id"].startswith("4200")
    assert missing is None


def test_wrong_apiv3_key_is_a_chinese_error(app, merchant):
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay_v3.verify_credentials_v3(account(merchant["p12"], apiv3_key="W" * 32))
    assert excinfo.value.code == "v3_key"
    assert "APIv3 密钥错误" in str(excinfo.value) and "APIv3" in str(excinfo.value.fix)


def test_forged_reply_signature_is_refused(app, merchant):
    """The certificates decrypt (the forger cannot change them without the APIv3 key) but
    the reply is signed with another key: wechatpayv3's check plus ours refuse it."""
    merchant["fake"].forge_replies = True
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay_v3.verify_credentials_v3(account(merchant["p12"]))
    assert excinfo.value.code == "reply_sign"
    assert "签名校验失败" in str(excinfo.value)


def test_forged_order_reply_is_refused_after_a_good_download(app, merchant):
    """The download is genuine; the order query's reply is forged: refused, not "not found"."""
    merchant["fake"].add_order(MCH_ID, "ORDER-V3-2", 100)
    with app.app_context():
        client = pay_v3.client(account(merchant["p12"]))
        merchant["fake"].forge_replies = True
        with pytest.raises(WeChatError) as excinfo:
            pay_v3._query(client, "ORDER-V3-2")
        with pytest.raises(WeChatError) as missing:
            pay_v3._query(client, "ORDER-V3-404")
    assert excinfo.value.code == "reply_sign" and missing.value.code == "reply_sign"


def test_request_signed_by_another_certificate_is_refused(app, merchant):
    stranger, _serial = make_p12(MCH_ID)  # a certificate WeChat never issued to this mch_id
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay_v3.verify_credentials_v3(account(stranger))
    assert excinfo.value.code == "SIGN_ERROR" and "证书无效" in str(excinfo.value)
    assert excinfo.value.fix


def test_right_serial_wrong_private_key_fails_the_signature(app, merchant):
    stranger, _serial = make_p12(MCH_ID)
    forged = account(stranger)
    forged.cert_serial = merchant["serial"]  # claims the real certificate, signs with another
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay_v3.download_platform_certificates(forged)
    assert excinfo.value.code == "SIGN_ERROR"
    assert merchant["fake"].received("/v3/certificates")


def test_unknown_mch_id(app, merchant):
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay_v3.verify_credentials_v3(account(merchant["p12"], mch_id="1900009999"))
    assert "商户号不存在" in str(excinfo.value)


def test_wechat_down_is_a_network_error(app, merchant):
    merchant["fake"].down = True
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay_v3.verify_credentials_v3(account(merchant["p12"]))
    assert excinfo.value.code == "network" and "网络错误" in str(excinfo.value)


def test_unusable_private_key_is_refused_before_any_request(app, merchant):
    bad = account(merchant["p12"])
    bad.key_pem = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay_v3.verify_credentials_v3(bad)
    assert "证书无效" in str(excinfo.value)
    assert merchant["fake"].requests == []
