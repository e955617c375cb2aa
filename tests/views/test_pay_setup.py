"""The payment wizard (支付设置) and the payment notify URL, end to end through the test
client, real wechatpy and the loopback fake WeChat Pay."""
import io
import re

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models.wechat import PaymentConfig, PaymentNotification
from app.tenancy import platform_scope
from tests.fakes.wechat import make_p12

APPID = "wx00112233445566aa"
MCH_ID = "1230000109"
KEY = "K" * 10 + "e" * 10 + "y" * 12
WRONG_KEY = "W" * 32


@pytest.fixture()
def clean_configs(app):
    def _clean():
        with app.app_context(), platform_scope():
            db.session.execute(PaymentNotification.__table__.delete())
            db.session.execute(PaymentConfig.__table__.delete())
            db.session.commit()
    _clean()
    yield
    _clean()


def _post(client, path, data, files=None):
    data = dict(data, csrf_token=client.csrf("/paysetup/"))
    if files:
        data.update(files)
        return client.post(path, data=data, content_type="multipart/form-data")
    return client.post(path, data=data)


def _config(app, merchant_phone="13800000001"):
    with app.app_context(), platform_scope():
        from app.models.merchant import StaffUser

        owner = db.session.execute(select(StaffUser).where(StaffUser.phone == merchant_phone)
                                   ).scalar_one()
        config = db.session.execute(select(PaymentConfig).where(
            PaymentConfig.merchant_id == owner.merchant_id,
            PaymentConfig.channel == "wechat")).scalar_one_or_none()
        if config is not None:
            db.session.expunge(config)
        return config


def test_wizard_from_step_one_to_enabled(app, login_as, wechat, clean_configs):
    p12, serial = make_p12(MCH_ID)
    wechat.add_merchant(MCH_ID, KEY, [APPID], cert_serials=[serial])
    client = login_as("owner_a")
    page = client.get("/paysetup/").get_data(as_text=True)
    assert "选择开通方式" in page and "商户自有商户号" in page and "服务商代开" in page

    # Step 1: a bad AppID is refused at its field, nothing saved, input kept.
    response = _post(client, "/paysetup/mode", {"mode": "own", "app_kind": "official",
                                                 "appid": "wx-bad"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "AppID 格式不正确" in body and 'value="wx-bad"' in body
    assert _config(app) is None
    response = _post(client, "/paysetup/mode", {"mode": "own", "app_kind": "official",
                                                 "appid": APPID})
    assert response.status_code == 302 and "step=2" in response.location

    # Step 2: key checked (32 letters or digits); a wrong certificate password or a file
    # that is not a p12 is refused with nothing saved.
    response = _post(client, "/paysetup/credentials", {"mch_id": MCH_ID, "api_key": "short"})
    assert response.status_code == 422 and "API 密钥须为 32 位字母或数字" in response.get_data(as_text=True)
    response = _post(client, "/paysetup/credentials",
                     {"mch_id": MCH_ID, "api_key": WRONG_KEY, "cert_password": "nope"},
                     {"cert_file": (io.BytesIO(p12), "apiclient_cert.p12")})
    assert response.status_code == 422 and "证书密码错误" in response.get_data(as_text=True)
    response = _post(client, "/paysetup/credentials", {"mch_id": MCH_ID, "api_key": WRONG_KEY},
                     {"cert_file": (io.BytesIO(b"%PDF-1.4"), "apiclient_cert.pdf")})
    assert response.status_code == 422 and ".p12" in response.get_data(as_text=True)
    assert _config(app).api_key is None
    response = _post(client, "/paysetup/credentials", {"mch_id": MCH_ID, "api_key": WRONG_KEY},
                     {"cert_file": (io.BytesIO(p12), "apiclient_cert.p12")})
    assert response.status_code == 302
    config = _config(app)
    assert config.cert_serial == serial and config.step == 3
    page = client.get("/paysetup/?step=2").get_data(as_text=True)
    assert serial in page and WRONG_KEY not in page and "****WWWW" in page

    # Secrets are encrypted at rest.
    with app.app_context():
        raw = db.session.execute(text("SELECT api_key, cert_pem FROM wechat_payment_config "
                                      "WHERE id = :id"), {"id": config.id}).one()
    assert WRONG_KEY not in raw[0] and "BEGIN" not in raw[1]

    # Step 3: the URLs to paste, from the deployment's base URL, with copy buttons.
    page = client.get("/paysetup/?step=3").get_data(as_text=True)
    assert "https://shop.example.test/s/" in page
    assert f"/wechat/pay/{config.notify_token}/notify" in page
    assert page.count("md-copy-btn") == 3
    assert _post(client, "/paysetup/urls", {}).status_code == 302

    # Step 4 with the wrong key: classified, with the fix; enabling is refused.
    response = _post(client, "/paysetup/verify", {})
    page = client.get(response.location).get_data(as_text=True)
    assert "API 密钥错误（签名错误）" in page and "API 安全" in page
    assert _config(app).verify_result == "failed"
    _post(client, "/paysetup/enable", {"enabled": "1"})
    assert _config(app).enabled is False

    # The right key: verified, then enabled. No money moved: only probes were sent.
    _post(client, "/paysetup/credentials", {"mch_id": MCH_ID, "api_key": KEY})
    _post(client, "/paysetup/urls", {})
    response = _post(client, "/paysetup/verify", {})
    assert "step=5" in response.location
    assert _post(client, "/paysetup/enable", {"enabled": "1"}).status_code == 302
    assert _config(app).enabled is True
    assert {r["path"] for r in wechat.requests} == {"/pay/orderquery",
                                                    "/mmpaymkttransfers/gethbinfo"}

    # Changing the key disables it until verified again.
    _post(client, "/paysetup/credentials", {"mch_id": MCH_ID, "api_key": "N" * 32})
    config = _config(app)
    assert config.enabled is False and config.verify_result == "none"


def test_wizard_progress_is_kept_and_steps_cannot_be_skipped(app, login_as, clean_configs):
    client = login_as("owner_a")
    _post(client, "/paysetup/mode", {"mode": "service", "app_kind": "mini", "appid": APPID})
    page = client.get("/paysetup/?step=5").get_data(as_text=True)  # beyond the progress
    assert 'id="step-2"' in page and "子商户号" in page and "商户平台 API 密钥" not in page
    response = _post(client, "/paysetup/verify", {})
    assert response.status_code == 302 and _config(app).verify_result == "none"


def test_service_provider_mode_needs_the_platform_account(app, login_as, wechat, clean_configs):
    client = login_as("owner_a")
    _post(client, "/paysetup/mode", {"mode": "service", "app_kind": "official", "appid": APPID})
    _post(client, "/paysetup/credentials", {"sub_mch_id": "1900000001"})
    _post(client, "/paysetup/urls", {})
    response = _post(client, "/paysetup/verify", {})
    page = client.get(response.location).get_data(as_text=True)
    assert "平台尚未配置服务商商户号" in page
    assert wechat.requests == []


def test_mini_program_menu_has_its_own_configuration(app, login_as, clean_configs):
    client = login_as("owner_a")
    page = client.get("/minipaysetup/").get_data(as_text=True)
    assert "小程序支付设置" in page
    data = {"mode": "own", "app_kind": "mini", "appid": APPID,
            "csrf_token": client.csrf("/minipaysetup/")}
    client.post("/minipaysetup/mode", data=data)
    assert _config(app) is None  # the 微信支付 one is untouched
    page = client.get("/minipaysetup/?step=1").get_data(as_text=True)
    assert re.search(r'name="app_kind" value="mini"[^>]*checked', page)


def _enabled_config(app, wechat):
    """Merchant A's verified config, made through the service functions."""
    from app.models.merchant import StaffUser
    from app.services import wechat as service

    wechat.add_merchant(MCH_ID, KEY, [APPID])
    with app.app_context(), platform_scope():
        owner = db.session.execute(select(StaffUser).where(StaffUser.phone == "13800000001")
                                   ).scalar_one()
        config = service.payment_config(db.session, owner.merchant_id, "wechat")
        service.save_mode(config, mode="own", app_kind="official", appid=APPID)
        service.save_credentials(config, mch_id=MCH_ID, api_key=KEY)
        db.session.add(config)
        db.session.commit()
        return config.notify_token, config.id


def _notifications(app):
    with app.app_context(), platform_scope():
        return [(n.transaction_id, n.total_fee, n.repeats) for n in
                db.session.execute(select(PaymentNotification)).scalars()]


@pytest.mark.parametrize("sign_type", ["MD5", "HMAC-SHA256"])
def test_payment_notification_is_verified_and_idempotent(app, client, wechat, clean_configs,
                                                         sign_type):
    token, _id = _enabled_config(app, wechat)
    body = wechat.payment_notification(MCH_ID, APPID, "MD20261122A", 8800,
                                       sign_type=sign_type, transaction_id="4200000001")
    url = f"/wechat/pay/{token}/notify"
    first = client.post(url, data=body, content_type="text/xml")
    assert first.status_code == 200 and "SUCCESS" in first.get_data(as_text=True)
    second = client.post(url, data=body, content_type="text/xml")
    assert "SUCCESS" in second.get_data(as_text=True)
    rows = _notifications(app)
    assert len(rows) == 1 and str(rows[0][1]) == "88.00" and rows[0][2] == 1


def test_tampered_or_foreign_notifications_change_nothing(app, client, wechat, clean_configs):
    token, _id = _enabled_config(app, wechat)
    url = f"/wechat/pay/{token}/notify"
    body = wechat.payment_notification(MCH_ID, APPID, "MD1", 100)
    tampered = re.sub(r"<total_fee><!\[CDATA\[100\]\]>", "<total_fee><![CDATA[1]]>", body)
    forged = wechat.payment_notification(MCH_ID, APPID, "MD2", 100, key="f" * 32)
    for bad in (tampered, forged, "<xml><a>", "x" * 200000, ""):
        response = client.post(url, data=bad, content_type="text/xml")
        assert response.status_code in (400, 413)
        assert "SUCCESS" not in response.get_data(as_text=True)
    assert client.post("/wechat/pay/no-such-token/notify", data=body).status_code == 404
    assert _notifications(app) == []


def test_other_merchants_and_staff_without_permission_are_refused(app, login_as,
                                                                  clean_configs):
    response = login_as("verifier_a").get("/paysetup/")
    assert response.status_code in (302, 403)
    assert login_as("platform").get("/paysetup/").status_code in (302, 403)
