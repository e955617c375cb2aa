"""app/wechat/pay.py through real wechatpy against the loopback fake (tests/fakes/wechat.py).

Nothing in the app is mocked: wechatpy builds, signs and sends the XML; the fake checks it
with its own signing code and answers as WeChat Pay does.
"""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.wechat import certs, pay
from app.wechat.errors import WeChatError
from tests.fakes.wechat import from_xml, make_p12

APPID = "wx1234567890abcdef"
MCH_ID = "1900000109"
KEY = "A" * 16 + "b" * 16


def account(key=KEY, appid=APPID, mch_id=MCH_ID, p12=None, password=None):
    values = {"appid": appid, "mch_id": mch_id, "api_key": key}
    if p12 is not None:
        cert = certs.load_p12(p12, password or mch_id)
        values.update(cert_pem=cert.cert_pem, key_pem=cert.key_pem,
                      cert_expires_at=cert.expires_at)
    return pay.PayAccount(**values)


@pytest.fixture()
def merchant(wechat):
    p12, serial = make_p12(MCH_ID)
    wechat.add_merchant(MCH_ID, KEY, [APPID], cert_serials=[serial])
    return {"fake": wechat, "p12": p12}


def _code(excinfo):
    return excinfo.value.code


def test_verify_ok_is_a_harmless_query(app, merchant):
    with app.app_context():
        pay.verify_credentials(account(p12=merchant["p12"]))
    paths = [r["path"] for r in merchant["fake"].requests]
    assert paths == ["/pay/orderquery", "/mmpaymkttransfers/gethbinfo"]
    sent = from_xml(merchant["fake"].requests[0]["body"])
    assert sent["mch_id"] == MCH_ID and sent["out_trade_no"].startswith("MDV")
    assert merchant["fake"].requests[1]["cert"], "the certificate probe sent the certificate"


@pytest.mark.parametrize("change, kind, text", [
    ({"key": "Z" * 32}, "SIGNERROR", "API 密钥错误"),
    ({"appid": "wx00000000000000aa"}, "APPID_MCHID_NOT_MATCH", "appid 与 mch_id 不匹配"),
    ({"mch_id": "1900009999"}, "FAIL", "商户号不存在"),
])
def test_verify_classifies_wrong_credentials(app, merchant, change, kind, text):
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay.verify_credentials(account(**change))
    assert text in str(excinfo.value)
    assert excinfo.value.fix  # each failure comes with the fix
    if kind == "APPID_MCHID_NOT_MATCH":
        assert _code(excinfo) == kind


def test_verify_refuses_an_unknown_certificate(app, merchant):
    stranger, _serial = make_p12(MCH_ID)  # a valid p12 WeChat never issued to this mch_id
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay.verify_credentials(account(p12=stranger))
    assert "证书无效" in str(excinfo.value) and _code(excinfo) == "CA_ERROR"


def test_forged_reply_signature_is_refused(app, merchant):
    merchant["fake"].forge_replies = True
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay.verify_credentials(account())
    assert _code(excinfo) == "reply_sign"


def test_wechat_down_is_a_network_error(app, merchant):
    merchant["fake"].down = True
    with app.app_context(), pytest.raises(WeChatError) as excinfo:
        pay.verify_credentials(account())
    assert "网络错误" in str(excinfo.value)


def test_refund_is_idempotent_and_in_yuan(app, merchant):
    fake = merchant["fake"]
    fake.add_order(MCH_ID, "MD20261122001", 1999)
    before = fake.merchants[MCH_ID].balance_fen
    with app.app_context():
        first = pay.refund(account(p12=merchant["p12"]), out_refund_no="R1",
                           out_trade_no="MD20261122001", total=Decimal("19.99"),
                           amount=Decimal("5.5"))
        again = pay.refund(account(p12=merchant["p12"]), out_refund_no="R1",
                           out_trade_no="MD20261122001", total=Decimal("19.99"),
                           amount=Decimal("5.5"))
        status = pay.query_refund(account(p12=merchant["p12"]), "R1")
    assert first["amount"] == Decimal("5.50") and first == again
    assert fake.merchants[MCH_ID].balance_fen == before - 550
    assert from_xml(fake.received("/secapi/pay/refund")[0]["body"])["refund_fee"] == "550"
    assert status == {"status": "success", "amount": Decimal("5.50"),
                      "refund_id": first["refund_id"]}


def test_refund_failures_in_the_guides_words(app, merchant):
    fake = merchant["fake"]
    fake.add_order(MCH_ID, "MD2", 10000)
    fake.merchants[MCH_ID].balance_fen = 100
    with app.app_context():
        with pytest.raises(WeChatError) as excinfo:
            pay.refund(account(p12=merchant["p12"]), out_refund_no="R2", out_trade_no="MD2",
                       total=Decimal(100), amount=Decimal(50))
        assert "余额不足" in str(excinfo.value) and "充值" in str(excinfo.value.fix)
        # An expired certificate: refused before any call, with the fix.
        expired, serial = make_p12(MCH_ID, not_before=datetime.now(timezone.utc)
                                   - timedelta(days=400), days=365)
        fake.merchants[MCH_ID].cert_serials.add(serial)
        calls = len(fake.requests)
        with pytest.raises(WeChatError) as excinfo:
            pay.refund(account(p12=expired), out_refund_no="R3", out_trade_no="MD2",
                       total=Decimal(100), amount=Decimal(1))
        assert "证书已过期" in str(excinfo.value) and "更换证书" in str(excinfo.value.fix)
        assert len(fake.requests) == calls
        with pytest.raises(WeChatError) as excinfo:
            pay.refund(account(), out_refund_no="R4", out_trade_no="MD2",
                       total=Decimal(100), amount=Decimal(1))
        assert excinfo.value.code == "cert_missing"


def test_red_packet_send_and_query(app, merchant):
    fake = merchant["fake"]
    with app.app_context():
        sent = pay.send_redpack(account(p12=merchant["p12"]), openid="oUser1",
                                amount=Decimal("1.88"), mch_billno="MDRP0001",
                                send_name="鲜果时光", act_name="微红包", wishing="恭喜发财",
                                remark="感谢参与", client_ip="10.0.0.1")
        repeat = pay.send_redpack(account(p12=merchant["p12"]), openid="oUser1",
                                  amount=Decimal("1.88"), mch_billno="MDRP0001",
                                  send_name="鲜果时光", act_name="微红包", wishing="恭喜发财",
                                  remark="感谢参与", client_ip="10.0.0.1")
        status = pay.query_redpack(account(p12=merchant["p12"]), "MDRP0001")
        fake.merchants[MCH_ID].balance_fen = 50
        with pytest.raises(WeChatError) as excinfo:
            pay.send_redpack(account(p12=merchant["p12"]), openid="oUser2",
                             amount=Decimal("1.00"), mch_billno="MDRP0002", send_name="店",
                             act_name="微红包", wishing="祝福", remark="备注",
                             client_ip="10.0.0.1")
    assert sent["amount"] == Decimal("1.88") and repeat["send_listid"] == sent["send_listid"]
    assert len(fake.redpacks) == 1
    assert status == {"status": "sent", "amount": Decimal("1.88")}
    assert "余额不足" in str(excinfo.value)
    body = from_xml(fake.received("/mmpaymkttransfers/sendredpack")[0]["body"])
    assert body["total_amount"] == "188" and body["client_ip"] == "10.0.0.1"


@pytest.mark.parametrize("sign_type", ["MD5", "HMAC-SHA256"])
def test_notification_signatures(wechat, sign_type):
    wechat.add_merchant(MCH_ID, KEY, [APPID])
    body = wechat.payment_notification(MCH_ID, APPID, "MD100", 2550, sign_type=sign_type)
    payment = pay.verify_notification(pay.read_notification(body.encode()), account())
    assert payment["out_trade_no"] == "MD100" and payment["amount"] == Decimal("25.50")
    tampered = body.replace("<total_fee><![CDATA[2550]]>", "<total_fee><![CDATA[1]]>")
    with pytest.raises(WeChatError):
        pay.verify_notification(pay.read_notification(tampered.encode()), account())
    forged = wechat.payment_notification(MCH_ID, APPID, "MD101", 100, sign_type=sign_type,
                                         key="x" * 32)
    with pytest.raises(WeChatError):
        pay.verify_notification(pay.read_notification(forged.encode()), account())


@pytest.mark.parametrize("body", [b"", b"not xml", b"<xml><a><b>1</b></a></xml>",
                                  b"<xml>" + b"<a>1</a>" * 20000 + b"</xml>"])
def test_malformed_notifications_are_refused(body):
    with pytest.raises(WeChatError):
        pay.read_notification(body)


def test_amounts_convert_at_the_boundary():
    assert pay.yuan_to_fen(Decimal("0.015")) == 2  # half up to the cent
    assert pay.fen_to_yuan("1999") == Decimal("19.99")
    with pytest.raises(WeChatError):
        pay.yuan_to_fen(Decimal("0"))


def test_p12_conversion_and_its_errors():
    p12, serial = make_p12(MCH_ID)
    cert = certs.load_p12(p12, MCH_ID)
    assert cert.serial == serial and "BEGIN CERTIFICATE" in cert.cert_pem
    assert 360 <= certs.days_left(cert.expires_at) <= 365
    with pytest.raises(WeChatError) as excinfo:
        certs.load_p12(p12, "wrong")
    assert "证书密码错误" in str(excinfo.value)
    with pytest.raises(WeChatError) as excinfo:
        certs.load_p12(b"PK\x03\x04 a zip file", MCH_ID)
    assert "不是有效的 p12" in str(excinfo.value)
