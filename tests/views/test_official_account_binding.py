"""用户绑定: the shop API (网页授权 login, SMS code through the fake gateway, bind by phone),
绑定申请 handled by staff in 用户绑定管理, and 关注成为会员 on the callback."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.member import Member, PointsLedger
from app.models.official_account import BindingRequest, SmsCode, SmsDailyQuota
from app.models.shop import Shop
from app.models.wechat import Follower, OfficialAccountConfig
from app.services import member as member_service
from app.tenancy import platform_scope, tenant_scope
from tests.conftest import merchant_id
from tests.fakes.sms import FakeSmsGateway
from tests.fakes.wechat import callback_signature, event_xml

APPS = {"a": ("wx44556677889900aa", "a" * 32), "b": ("wx44556677889900bb", "b" * 32)}
MEMBER_PHONE = "13700000071"
SMS_KEY = "sms-key-for-tests"


@pytest.fixture(scope="module")
def sms_gateway(app):
    gateway = FakeSmsGateway(SMS_KEY).start()
    saved = {k: app.config.get(k) for k in ("SMS_GATEWAY_URL", "SMS_GATEWAY_KEY",
                                             "SMS_SIGN_NAME")}
    app.config.update(SMS_GATEWAY_URL=gateway.url, SMS_GATEWAY_KEY=SMS_KEY,
                      SMS_SIGN_NAME="鲜果时光")
    yield gateway
    app.config.update(saved)
    gateway.stop()


@pytest.fixture()
def world(app, wechat, sms_gateway):
    sms_gateway.reset()
    ids = {"a": merchant_id(app, "鲜果时光"), "b": merchant_id(app, "茶语小铺")}
    shops, states = {}, {}
    with app.app_context(), platform_scope():
        for key, mid in ids.items():
            appid, secret = APPS[key]
            db.session.add(OfficialAccountConfig(merchant_id=mid, appid=appid, app_secret=secret,
                                                 token="tok123", message_mode="plain"))
            shops[key] = db.session.execute(select(Shop.id).where(Shop.merchant_id == mid)
                                            .order_by(Shop.id)).scalars().first()
        db.session.commit()
        with tenant_scope(ids["a"]):
            member = member_service.create_member(db.session, nickname="老顾客",
                                                  phone=MEMBER_PHONE, merchant_id=ids["a"])
            member_id = member.id
            db.session.commit()
    for key, (appid, secret) in APPS.items():
        states[key] = wechat.add_app(appid, secret, oauth_codes={})
    yield {"ids": ids, "shops": shops, "states": states, "member_id": member_id}
    with app.app_context(), platform_scope():
        db.session.execute(PointsLedger.__table__.delete().where(
            PointsLedger.member_id == member_id))
        db.session.execute(BindingRequest.__table__.delete().where(
            BindingRequest.openid.like("oBind%")))
        db.session.execute(Member.__table__.delete().where(
            (Member.id == member_id) | Member.openid.like("oBind%")))
        db.session.execute(SmsCode.__table__.delete())
        db.session.execute(SmsDailyQuota.__table__.delete())
        db.session.execute(Follower.__table__.delete().where(Follower.openid.like("oBind%")))
        db.session.execute(OfficialAccountConfig.__table__.delete().where(
            OfficialAccountConfig.appid.in_([a for a, _s in APPS.values()])))
        db.session.commit()


def login(client, world, key, openid):
    code = f"code-{openid}-{time.monotonic_ns()}"
    world["states"][key]["oauth_codes"][code] = openid
    response = client.post("/api/v1/official/login",
                           json={"shop_id": world["shops"][key], "code": code})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def send_code(client, headers, phone):
    return client.post("/api/v1/official/binding/code", json={"phone": phone}, headers=headers)


def age_codes(app, minutes=2):
    """Let the 60-second resend interval pass."""
    with app.app_context(), platform_scope():
        for row in db.session.execute(select(SmsCode)).scalars():
            row.created_at -= timedelta(minutes=minutes)
            row.expires_at -= timedelta(minutes=minutes)
        db.session.commit()


def _member(app, member_id):
    with app.app_context(), platform_scope():
        member = db.session.get(Member, member_id)
        return member.openid, member.points


def test_login_needs_a_valid_oauth_code(client, world):
    response = client.post("/api/v1/official/login",
                           json={"shop_id": world["shops"]["a"], "code": "forged"})
    assert response.status_code == 400
    assert "网页授权 code 无效" in response.get_json()["error"]
    response = client.get("/api/v1/official/binding")
    assert response.status_code == 401 and "请从公众号菜单进入" in response.get_json()["error"]
    headers = login(client, world, "a", "oBind1")
    assert client.get("/api/v1/official/binding", headers=headers).get_json() == {
        "status": "unbound"}


@pytest.fixture()
def bind_points(app, world):
    """The merchant's 绑定送积分 set to 10 for the test (other tests change the rule)."""
    from app.models.member import PointsRule

    with app.app_context(), tenant_scope(world["ids"]["a"]):
        rule = db.session.execute(select(PointsRule)).scalar_one()
        saved, rule.bind_points = rule.bind_points, 10
        db.session.commit()
    yield 10
    with app.app_context(), tenant_scope(world["ids"]["a"]):
        db.session.execute(select(PointsRule)).scalar_one().bind_points = saved
        db.session.commit()


def test_bind_to_the_member_with_that_phone(app, client, world, sms_gateway, bind_points):
    headers = login(client, world, "a", "oBind1")
    _openid, points_before = _member(app, world["member_id"])
    response = send_code(client, headers, MEMBER_PHONE)
    assert response.status_code == 200 and response.get_json()["expires_in"] == 300
    (code,) = sms_gateway.codes_for(MEMBER_PHONE)
    assert sms_gateway.messages[0]["sign_name"] == "鲜果时光"
    wrong = client.post("/api/v1/official/binding", headers=headers,
                        json={"phone": MEMBER_PHONE, "code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 422 and wrong.get_json()["error"] == "验证码不正确"
    with app.app_context(), platform_scope():
        assert db.session.execute(select(SmsCode.attempts)).scalar() == 1
    response = client.post("/api/v1/official/binding", headers=headers,
                           json={"phone": MEMBER_PHONE, "code": code})
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "bound"
    assert body["member_id"] == world["member_id"] and body["token"]
    # 绑定送积分 and the openid on the member.
    assert _member(app, world["member_id"]) == ("oBind1", points_before + bind_points)
    profile = client.get("/api/v1/member/profile",
                         headers={"Authorization": f"Bearer {body['token']}"})
    assert profile.status_code == 200 and profile.get_json()["id"] == world["member_id"]
    assert client.get("/api/v1/official/binding", headers=headers).get_json()["status"] == "bound"
    # The code was used once.
    again = client.post("/api/v1/official/binding", headers=headers,
                        json={"phone": MEMBER_PHONE, "code": code})
    assert again.status_code == 422 and again.get_json()["error"] == "请先获取验证码"


def test_no_member_with_that_phone_files_a_request_staff_bind(app, client, login_as, world,
                                                               sms_gateway):
    headers = login(client, world, "a", "oBind2")
    send_code(client, headers, "13700000072")
    (code,) = sms_gateway.codes_for("13700000072")
    response = client.post("/api/v1/official/binding", headers=headers,
                           json={"phone": "13700000072", "code": code, "name": "陈先生"})
    assert response.status_code == 202 and response.get_json()["status"] == "pending"
    with app.app_context(), platform_scope():
        request = db.session.execute(select(BindingRequest).where(
            BindingRequest.openid == "oBind2")).scalar_one()
        request_id = request.id
        assert (request.phone, request.name, request.status) == ("13700000072", "陈先生",
                                                                 "pending")
    staff = login_as("owner_a")
    listing = staff.get("/bindingrequestview/list/").get_data(as_text=True)
    assert "13700000072" in listing and "待处理" in listing
    url = f"/bindingrequestview/handle/{request_id}"
    bad = staff.post(url, data={"csrf_token": staff.csrf(url), "decision": "bind",
                                "member": "13999999999"})
    assert bad.status_code == 422 and "没有找到该会员" in bad.get_data(as_text=True)
    ok = staff.post(url, data={"csrf_token": staff.csrf(url), "decision": "bind",
                               "member": MEMBER_PHONE})
    assert ok.status_code == 302
    assert _member(app, world["member_id"])[0] == "oBind2"
    with app.app_context(), platform_scope():
        request = db.session.get(BindingRequest, request_id)
        assert (request.status, request.member_id) == ("bound", world["member_id"])
    status = client.get("/api/v1/official/binding", headers=headers).get_json()
    assert status["status"] == "bound" and status["member_id"] == world["member_id"]


def test_staff_reject_needs_a_reason(app, client, login_as, world, sms_gateway):
    headers = login(client, world, "a", "oBind3")
    send_code(client, headers, "13700000073")
    (code,) = sms_gateway.codes_for("13700000073")
    client.post("/api/v1/official/binding", headers=headers,
                json={"phone": "13700000073", "code": code})
    with app.app_context(), platform_scope():
        request_id = db.session.execute(select(BindingRequest.id).where(
            BindingRequest.openid == "oBind3")).scalar_one()
    staff = login_as("owner_a")
    url = f"/bindingrequestview/handle/{request_id}"
    bad = staff.post(url, data={"csrf_token": staff.csrf(url), "decision": "reject", "reason": ""})
    assert bad.status_code == 422 and "请填写拒绝原因" in bad.get_data(as_text=True)
    staff.post(url, data={"csrf_token": staff.csrf(url), "decision": "reject",
                          "reason": "手机号与门店登记不一致"})
    status = client.get("/api/v1/official/binding", headers=headers).get_json()
    assert status == {"status": "rejected", "phone": "13700000073",
                      "reason": "手机号与门店登记不一致"}
    # Another merchant's staff cannot open it.
    assert login_as("owner_b").get(url).status_code == 404


def test_one_wechat_account_binds_one_member(app, client, login_as, world, sms_gateway):
    headers = login(client, world, "a", "oBind4")
    send_code(client, headers, MEMBER_PHONE)
    client.post("/api/v1/official/binding", headers=headers,
                json={"phone": MEMBER_PHONE, "code": sms_gateway.codes_for(MEMBER_PHONE)[0]})
    other = login(client, world, "a", "oBind5")
    age_codes(app)
    assert send_code(client, other, MEMBER_PHONE).status_code == 200
    response = client.post("/api/v1/official/binding", headers=other,
                           json={"phone": MEMBER_PHONE,
                                 "code": sms_gateway.codes_for(MEMBER_PHONE)[-1]})
    assert response.status_code == 422 and response.get_json()["error"] == "该会员已绑定其他微信号"
    assert _member(app, world["member_id"])[0] == "oBind4"


def test_at_most_ten_codes_per_phone_per_day(app, client, world, sms_gateway):
    headers = login(client, world, "a", "oBind6")
    phone = "13700000076"
    assert send_code(client, headers, phone).status_code == 200
    too_soon = send_code(client, headers, phone)
    assert too_soon.status_code == 429 and "60 秒后再试" in too_soon.get_json()["error"]
    for _ in range(9):
        age_codes(app)
        assert send_code(client, headers, phone).status_code == 200
    age_codes(app)
    response = send_code(client, headers, phone)
    assert response.status_code == 429
    assert response.get_json()["error"] == "该手机号今天获取验证码已达 10 次上限，请明天再试"
    assert len(sms_gateway.codes_for(phone)) == 10
    # The limit is the phone's, whichever merchant asks.
    other = login(client, world, "b", "oBindB6")
    assert send_code(client, other, phone).status_code == 429


def test_expired_code_and_bad_phone(app, client, world, sms_gateway):
    headers = login(client, world, "a", "oBind7")
    bad = send_code(client, headers, "1234")
    assert bad.status_code == 422 and bad.get_json()["error"] == "请输入 11 位中国大陆手机号"
    send_code(client, headers, MEMBER_PHONE)
    age_codes(app, minutes=6)
    response = client.post("/api/v1/official/binding", headers=headers,
                           json={"phone": MEMBER_PHONE,
                                 "code": sms_gateway.codes_for(MEMBER_PHONE)[0]})
    assert response.status_code == 422 and response.get_json()["error"] == "验证码已过期，请重新获取"
    assert _member(app, world["member_id"])[0] is None


def test_sms_gateway_down_keeps_the_quota(app, client, world, sms_gateway):
    headers = login(client, world, "a", "oBind8")
    sms_gateway.down = True
    response = send_code(client, headers, "13700000078")
    assert response.status_code == 502
    assert response.get_json()["error"] == "短信服务暂时无法连接，请稍后重试"
    with app.app_context(), platform_scope():
        assert db.session.execute(select(SmsDailyQuota.sent).where(
            SmsDailyQuota.phone == "13700000078")).scalar() == 0
        assert db.session.execute(select(SmsCode)).first() is None
    sms_gateway.down = False
    assert send_code(client, headers, "13700000078").status_code == 200


def test_a_follower_of_b_never_reaches_as_members(app, client, world, sms_gateway):
    headers = login(client, world, "b", "oBindB1")
    send_code(client, headers, MEMBER_PHONE)
    response = client.post("/api/v1/official/binding", headers=headers,
                           json={"phone": MEMBER_PHONE,
                                 "code": sms_gateway.codes_for(MEMBER_PHONE)[0]})
    assert response.status_code == 202  # B has no member with A's member's phone
    assert _member(app, world["member_id"])[0] is None
    with app.app_context(), platform_scope():
        request = db.session.execute(select(BindingRequest).where(
            BindingRequest.openid == "oBindB1")).scalar_one()
        assert request.merchant_id == world["ids"]["b"]


def test_follow_creates_a_member_when_enabled(app, client, world):
    with app.app_context(), platform_scope():
        config = db.session.execute(select(OfficialAccountConfig).where(
            OfficialAccountConfig.appid == APPS["a"][0])).scalar_one()
        config.follow_creates_member = True
        url = f"/wechat/{config.callback_token}/callback"
        db.session.commit()
    for _ in range(2):  # a second follow does not create a second member
        timestamp, nonce = str(int(time.time())), "n1"
        args = {"timestamp": timestamp, "nonce": nonce,
                "signature": callback_signature("tok123", timestamp, nonce)}
        response = client.post(url, query_string=args, data=event_xml("oBindF1", event="subscribe"),
                               content_type="text/xml")
        assert response.status_code == 200
    with app.app_context(), platform_scope():
        members = db.session.execute(select(Member).where(Member.openid == "oBindF1")).scalars().all()
        assert [(m.merchant_id, m.source, m.nickname) for m in members] == [
            (world["ids"]["a"], "official", "微信粉丝ndF1")]
