"""平台微信配置: the service provider's API certificate (.p12) upload, done exactly as the
merchant's payment wizard does it, and used by 服务商代开 merchants' 立即验证."""
import io

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models.wechat import PlatformWeChatConfig
from app.tenancy import platform_scope
from tests.fakes.wechat import make_p12
from tests.views.test_pay_setup import _config, _post, clean_configs  # noqa: F401

SP_MCH_ID = "1230000555"
SP_APPID = "wx0a0b0c0d0e0f0a0b"
SP_KEY = "Sp" * 16
MERCHANT_APPID = "wx00112233445566aa"


@pytest.fixture()
def platform_row(app):
    with app.app_context(), platform_scope():
        db.session.query(PlatformWeChatConfig).delete()
        row = PlatformWeChatConfig(sp_appid=SP_APPID, sp_mch_id=SP_MCH_ID, sp_api_key=SP_KEY)
        db.session.add(row)
        db.session.commit()
        pk = row.id
    yield pk
    with app.app_context(), platform_scope():
        db.session.query(PlatformWeChatConfig).delete()
        db.session.commit()


def _edit(client, pk, upload=None, password=""):
    data = {"csrf_token": client.csrf(f"/platformwechat/edit/{pk}"), "sp_appid": SP_APPID,
            "sp_mch_id": SP_MCH_ID, "sp_api_key": "", "sp_cert_password": password}
    if upload is not None:
        data["sp_cert_file"] = upload
    return client.post(f"/platformwechat/edit/{pk}", data=data,
                       content_type="multipart/form-data")


def _row(app, pk):
    with app.app_context(), platform_scope():
        row = db.session.get(PlatformWeChatConfig, pk)
        db.session.expunge(row)
        return row


def test_wrong_password_or_file_is_refused_at_the_field(app, login_as, platform_row):
    platform = login_as("platform")
    p12, _serial = make_p12(SP_MCH_ID)
    response = _edit(platform, platform_row, (io.BytesIO(p12), "apiclient_cert.p12"), "nope")
    assert response.status_code == 200 and "证书密码错误（默认为商户号）" in response.get_data(as_text=True)
    response = _edit(platform, platform_row, (io.BytesIO(b"%PDF-1.4"), "apiclient_cert.pdf"))
    assert "请上传 .p12 格式的证书文件" in response.get_data(as_text=True)
    response = _edit(platform, platform_row, (io.BytesIO(b"not a p12"), "apiclient_cert.p12"))
    assert "不是有效的 p12 证书文件" in response.get_data(as_text=True)
    row = _row(app, platform_row)
    assert row.sp_cert_pem is None and row.sp_cert_serial is None


def test_p12_is_converted_stored_encrypted_and_shown(app, login_as, platform_row):
    platform = login_as("platform")
    p12, serial = make_p12(SP_MCH_ID)
    # The password defaults to the mch_id: left blank.
    response = _edit(platform, platform_row, (io.BytesIO(p12), "apiclient_cert.p12"))
    assert response.status_code == 302
    row = _row(app, platform_row)
    assert row.sp_cert_serial == serial and row.sp_cert_expires_at is not None
    assert "BEGIN CERTIFICATE" in row.sp_cert_pem and "PRIVATE KEY" in row.sp_key_pem
    assert row.sp_api_key == SP_KEY  # the blank key field kept the stored key
    with app.app_context():
        raw = db.session.execute(text("SELECT sp_cert_pem, sp_key_pem FROM wechat_platform "
                                      "WHERE id = :id"), {"id": platform_row}).one()
    assert "BEGIN" not in raw[0] and "PRIVATE" not in raw[1]
    listing = platform.get("/platformwechat/list/").get_data(as_text=True)
    assert serial in listing and "md-cert-warning" not in listing
    edit = platform.get(f"/platformwechat/edit/{platform_row}").get_data(as_text=True)
    assert f"当前证书序列号 {serial}" in edit and "BEGIN" not in edit
    assert "/wechat/component/$APPID$/events" in edit  # the 消息与事件接收 URL to paste

    # Saving again without a file keeps the certificate.
    assert _edit(platform, platform_row).status_code == 302
    assert _row(app, platform_row).sp_cert_serial == serial


def test_certificate_expiring_within_30_days_is_warned(app, login_as, platform_row):
    platform = login_as("platform")
    p12, _serial = make_p12(SP_MCH_ID, days=20)
    assert _edit(platform, platform_row, (io.BytesIO(p12), "apiclient_cert.p12")).status_code == 302
    listing = platform.get("/platformwechat/list/").get_data(as_text=True)
    assert "md-cert-warning" in listing and "天后到期" in listing
    edit = platform.get(f"/platformwechat/edit/{platform_row}").get_data(as_text=True)
    assert "天后到期" in edit


def test_service_provider_merchants_verify_with_the_uploaded_certificate(
        app, login_as, wechat, platform_row, clean_configs):  # noqa: F811
    p12, serial = make_p12(SP_MCH_ID)
    wechat.add_merchant(SP_MCH_ID, SP_KEY, [SP_APPID], cert_serials=[serial])
    assert _edit(login_as("platform"), platform_row,
                 (io.BytesIO(p12), "apiclient_cert.p12")).status_code == 302
    client = login_as("owner_a")
    _post(client, "/paysetup/mode", {"mode": "service", "app_kind": "official",
                                     "appid": MERCHANT_APPID})
    _post(client, "/paysetup/credentials", {"sub_mch_id": "1900000001"})
    _post(client, "/paysetup/urls", {})
    response = _post(client, "/paysetup/verify", {})
    assert "step=5" in response.location, _config(app).verify_message
    probe = wechat.received("/mmpaymkttransfers/gethbinfo")
    assert probe and probe[0]["cert"], "the certificate probe sent the uploaded certificate"
    with app.app_context(), platform_scope():
        assert db.session.execute(select(PlatformWeChatConfig.sp_cert_serial)).scalar() == serial
