"""Login by phone, throttling, forced first password change, merchant status."""
from datetime import date, timedelta

from tests.conftest import ACCOUNTS, csrf_token, login, merchant_id


def _new_merchant(app, name, phone, **fields):
    from app.extensions import db
    from app.models.merchant import Merchant
    from app.security import OWNER_ROLE
    from app.services.merchant import create_merchant
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        merchant = Merchant(name=name, contact_phone=phone, **fields)
        create_merchant(db.session, merchant=merchant,
                        owner_role=app.appbuilder.sm.find_role(OWNER_ROLE))
        db.session.commit()
        return merchant.id


def test_staff_logs_in_by_phone(client):
    response = login(client, *ACCOUNTS["manager_a"])
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "鲜果时光" in home and "王店长" in home


def test_platform_admin_logs_in_by_username(client):
    assert login(client, *ACCOUNTS["platform"]).status_code == 302
    assert "平台概况" in client.get("/").get_data(as_text=True)


def test_wrong_password_says_so_in_chinese_then_locks(app, client):
    account = "13800000021"
    for attempt in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        page = login(client, account, "wrong-pass-1").get_data(as_text=True)
        if attempt == 0:
            assert "账号或密码错误" in page
    page = login(client, account, ACCOUNTS["verifier_a"][1]).get_data(as_text=True)
    assert "登录失败次数过多" in page
    assert client.get("/").status_code == 302  # still logged out
    from app.extensions import db
    from app.models.merchant import LoginFailure

    with app.app_context():
        db.session.query(LoginFailure).delete()
        db.session.commit()


def test_new_merchant_owner_uses_888888_and_must_change_it(app, client):
    _new_merchant(app, "首登测试商家", "13700000001")
    assert login(client, "13700000001", "888888").status_code == 302
    response = client.get("/shopview/list/")
    assert response.status_code == 302 and "/account/password" in response.location
    token = csrf_token(client, "/account/password")
    weak = client.post("/account/password", data={
        "old_password": "888888", "password": "12345678", "confirm": "12345678",
        "csrf_token": token}).get_data(as_text=True)
    assert "密码须同时包含字母和数字" in weak
    ok = client.post("/account/password", data={
        "old_password": "888888", "password": "Better2026x", "confirm": "Better2026x",
        "csrf_token": token})
    assert ok.status_code == 302
    assert client.get("/shopview/list/").status_code == 200


def test_frozen_merchant_blocks_login_and_live_sessions(app, client):
    mid = _new_merchant(app, "冻结测试商家", "13700000002")
    from app.extensions import db
    from app.models.merchant import Merchant, StaffUser
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        owner = db.session.query(StaffUser).filter_by(phone="13700000002").one()
        owner.must_change_password = False
        db.session.commit()
    assert login(client, "13700000002", "888888").status_code == 302
    assert client.get("/").status_code == 200
    with app.app_context(), platform_scope():
        db.session.get(Merchant, mid).status = "frozen"
        db.session.commit()
    response = client.get("/", follow_redirects=True)
    assert "已被冻结" in response.get_data(as_text=True)
    page = login(client, "13700000002", "888888").get_data(as_text=True)
    assert "已被冻结" in page


def test_expired_merchant_cannot_log_in(app, client):
    _new_merchant(app, "到期测试商家", "13700000003",
                  expires_on=date.today() - timedelta(days=1))
    page = login(client, "13700000003", "888888").get_data(as_text=True)
    assert "到期" in page


def test_login_post_without_csrf_is_refused(client):
    response = client.post("/login/", data={"username": "13800000011",
                                            "password": "Manager@2026"})
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
