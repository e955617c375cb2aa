"""商城注册 through the shop API: phone + SMS code (the fake gateway), 注册送积分 and
推荐注册送积分 through the points ledger exactly once, duplicate and blacklisted phones
refused in Chinese, codes scoped to registration."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.member import Member, PointsLedger, PointsRule
from app.models.official_account import SmsCode, SmsDailyQuota
from app.models.shop import Shop
from app.services import member as member_service
from app.services import points as points_service
from app.tenancy import platform_scope, tenant_scope
from tests.conftest import merchant_id
from tests.fakes.sms import FakeSmsGateway

SMS_KEY = "sms-key-for-register-tests"
PREFIX = "1346677"


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
def world(app, sms_gateway):
    """Shop ids, a referrer in A, and the rule set to 注册 30 / 推荐注册 20 for the test."""
    sms_gateway.reset()
    ids = {"a": merchant_id(app, "鲜果时光"), "b": merchant_id(app, "茶语小铺")}
    with app.app_context(), platform_scope():
        shops = {k: db.session.execute(select(Shop.id).where(Shop.merchant_id == mid)
                                       .order_by(Shop.id)).scalars().first()
                 for k, mid in ids.items()}
    with app.app_context(), tenant_scope(ids["a"]):
        rule = points_service.points_rule(db.session, ids["a"])
        saved = rule.register_points, rule.referral_register_points
        rule.register_points, rule.referral_register_points = 30, 20
        referrer = member_service.create_member(db.session, nickname="老会员推荐人",
                                                phone=PREFIX + "0001", merchant_id=ids["a"])
        banned = member_service.create_member(db.session, nickname="黑名单会员",
                                              phone=PREFIX + "0002", merchant_id=ids["a"],
                                              status="blacklist")
        db.session.commit()
        refs = {"referrer": referrer.id, "banned": banned.id}
    yield {"ids": ids, "shops": shops, **refs}
    with app.app_context(), platform_scope():
        members = select(Member.id).where(Member.phone.like(PREFIX + "%"))
        db.session.execute(PointsLedger.__table__.delete().where(
            PointsLedger.member_id.in_(members)))
        db.session.execute(Member.__table__.update().where(Member.phone.like(PREFIX + "%"))
                           .values(referrer_id=None))
        db.session.execute(Member.__table__.delete().where(Member.phone.like(PREFIX + "%")))
        db.session.execute(SmsCode.__table__.delete())
        db.session.execute(SmsDailyQuota.__table__.delete())
        db.session.commit()
    with app.app_context(), tenant_scope(ids["a"]):
        rule = db.session.execute(select(PointsRule)).scalar_one()
        rule.register_points, rule.referral_register_points = saved
        db.session.commit()


def get_code(client, sms_gateway, shop_id, phone):
    response = client.post("/api/v1/register/code", json={"shop_id": shop_id, "phone": phone})
    assert response.status_code == 200, response.get_json()
    return sms_gateway.codes_for(phone)[-1]


def _member(app, member_id):
    with app.app_context(), platform_scope():
        member = db.session.get(Member, member_id)
        ledger = db.session.execute(select(PointsLedger.source, PointsLedger.delta).where(
            PointsLedger.member_id == member_id).order_by(PointsLedger.id)).all()
        return member, [tuple(r) for r in ledger]


def test_register_with_code_gives_register_and_referral_points(app, client, world,
                                                                sms_gateway):
    phone = PREFIX + "0010"
    code = get_code(client, sms_gateway, world["shops"]["a"], phone)
    assert sms_gateway.messages[-1]["template"] == "register_code"
    response = client.post("/api/v1/register", json={
        "shop_id": world["shops"]["a"], "phone": phone, "code": code, "nickname": "新朋友",
        "source": "mini", "referrer_id": world["referrer"]})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["points"] == 30 and data["referrer_id"] == world["referrer"]
    member, ledger = _member(app, data["member_id"])
    assert (member.nickname, member.source, member.phone) == ("新朋友", "mini", phone)
    assert member.level is not None and member.last_login_at is not None
    assert ledger == [("register", 30)]
    referrer, referrer_ledger = _member(app, world["referrer"])
    assert referrer_ledger == [("referral_register", 20)] and referrer.points == 20
    # The token works on the member API straight away.
    profile = client.get("/api/v1/member/profile",
                         headers={"Authorization": f"Bearer {data['token']}"}).get_json()
    assert profile["id"] == data["member_id"] and profile["points"] == 30


def test_awards_happen_once_per_member(app, client, world, sms_gateway):
    """The points are keyed on the new member: awarding again changes nothing."""
    from app.services import registration

    phone = PREFIX + "0011"
    code = get_code(client, sms_gateway, world["shops"]["a"], phone)
    data = client.post("/api/v1/register", json={
        "shop_id": world["shops"]["a"], "phone": phone, "code": code,
        "referrer_id": world["referrer"]}).get_json()
    with app.app_context(), tenant_scope(world["ids"]["a"]):
        member = db.session.get(Member, data["member_id"])
        referrer = db.session.get(Member, world["referrer"])
        registration.award_register_points(db.session, member, referrer)
        db.session.commit()
        assert member.points == 30 and referrer.points == 20
        assert points_service.ledger_sum(db.session, member.id) == 30
        assert points_service.ledger_sum(db.session, referrer.id) == 20
    assert data["nickname"] == "会员0011"


def test_duplicate_phone_is_refused_before_any_code(app, client, world, sms_gateway):
    response = client.post("/api/v1/register/code",
                           json={"shop_id": world["shops"]["a"], "phone": PREFIX + "0001"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "该手机号已注册会员，请直接登录"
    assert sms_gateway.messages == []
    # Registering it in the other merchant is fine: phones are unique per merchant.
    assert client.post("/api/v1/register/code", json={
        "shop_id": world["shops"]["b"], "phone": PREFIX + "0001"}).status_code == 200


def test_blacklisted_phone_is_refused(client, world, sms_gateway):
    for url in ("/api/v1/register/code", "/api/v1/register"):
        response = client.post(url, json={"shop_id": world["shops"]["a"],
                                          "phone": PREFIX + "0002", "code": "123456"})
        assert response.status_code == 403
        assert response.get_json()["error"] == "该手机号已被商家限制，无法注册"
    assert sms_gateway.messages == []


def test_wrong_missing_and_reused_codes(app, client, world, sms_gateway):
    shop, phone = world["shops"]["a"], PREFIX + "0012"
    response = client.post("/api/v1/register", json={"shop_id": shop, "phone": phone,
                                                     "code": "123456"})
    assert response.status_code == 422 and response.get_json()["error"] == "请先获取验证码"
    code = get_code(client, sms_gateway, shop, phone)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post("/api/v1/register", json={"shop_id": shop, "phone": phone,
                                                     "code": wrong})
    assert response.status_code == 422 and response.get_json()["error"] == "验证码不正确"
    with app.app_context(), platform_scope():
        assert db.session.execute(select(SmsCode.attempts).where(
            SmsCode.phone == phone)).scalar() == 1
        assert db.session.execute(select(Member.id).where(Member.phone == phone)).first() is None
    ok = client.post("/api/v1/register", json={"shop_id": shop, "phone": phone, "code": code})
    assert ok.status_code == 201
    again = client.post("/api/v1/register", json={"shop_id": shop, "phone": phone,
                                                  "code": code})
    assert again.status_code == 409 and "已注册" in again.get_json()["error"]


def test_binding_codes_do_not_register(app, client, world, sms_gateway):
    """A code issued for 用户绑定 (scoped to an openid) is not a registration code."""
    from app.services import binding

    phone = PREFIX + "0013"
    with app.app_context(), tenant_scope(world["ids"]["a"]):
        _row, code = binding.issue_binding_code(db.session, world["ids"]["a"],
                                                openid="oSomeFollower", phone=phone,
                                                secret=app.config["SECRET_KEY"])
        db.session.commit()
    response = client.post("/api/v1/register", json={"shop_id": world["shops"]["a"],
                                                     "phone": phone, "code": code})
    assert response.status_code == 422 and response.get_json()["error"] == "请先获取验证码"


def test_unknown_or_blacklisted_referrer_registers_without_referral(app, client, world,
                                                                    sms_gateway):
    for n, referrer in ((14, world["banned"]), (15, 99999999), (16, "abc")):
        phone = PREFIX + f"00{n}"
        code = get_code(client, sms_gateway, world["shops"]["a"], phone)
        data = client.post("/api/v1/register", json={
            "shop_id": world["shops"]["a"], "phone": phone, "code": code,
            "referrer_id": referrer}).get_json()
        assert data["referrer_id"] is None and data["points"] == 30
    _banned, ledger = _member(app, world["banned"])
    assert ledger == []


def test_referrer_of_another_merchant_is_ignored(app, client, world, sms_gateway):
    phone = PREFIX + "0017"
    code = get_code(client, sms_gateway, world["shops"]["b"], phone)
    data = client.post("/api/v1/register", json={
        "shop_id": world["shops"]["b"], "phone": phone, "code": code,
        "referrer_id": world["referrer"]}).get_json()
    assert data["referrer_id"] is None
    _referrer, ledger = _member(app, world["referrer"])
    assert ledger == []


def test_bad_input_in_chinese(client, world, sms_gateway):
    response = client.post("/api/v1/register/code", json={"phone": PREFIX + "0018"})
    assert response.status_code == 400 and response.get_json()["error"] == "缺少商城编号"
    response = client.post("/api/v1/register/code", json={"shop_id": world["shops"]["a"],
                                                           "phone": "12345"})
    assert response.status_code == 422
    assert response.get_json()["error"] == "请输入 11 位中国大陆手机号"
    response = client.post("/api/v1/register/code", json={"shop_id": 99999999,
                                                           "phone": PREFIX + "0018"})
    assert response.status_code == 404 and response.get_json()["error"] == "商城不存在"


def test_resend_interval_applies(app, client, world, sms_gateway):
    phone = PREFIX + "0019"
    get_code(client, sms_gateway, world["shops"]["a"], phone)
    response = client.post("/api/v1/register/code", json={"shop_id": world["shops"]["a"],
                                                           "phone": phone})
    assert response.status_code == 429 and "60 秒" in response.get_json()["error"]
    with app.app_context(), platform_scope():
        for row in db.session.execute(select(SmsCode).where(SmsCode.phone == phone)).scalars():
            row.created_at -= timedelta(minutes=2)
        db.session.commit()
    assert client.post("/api/v1/register/code", json={"shop_id": world["shops"]["a"],
                                                      "phone": phone}).status_code == 200


def test_register_gift_coupon_of_the_coupons_module(app, world):
    """注册送券: the coupons module's register batch gives the new member one coupon.
    Everything here is rolled back (service level, one session)."""
    from decimal import Decimal

    from app.models.base import china_now
    from app.services import coupon, registration

    now = china_now()
    mid, secret = world["ids"]["a"], app.config["SECRET_KEY"]
    with app.app_context(), tenant_scope(mid):
        try:
            phone = PREFIX + "0020"
            _row, code = registration.issue_code(db.session, mid, phone, secret)
            member, gift = registration.register(db.session, mid, phone=phone, code=code,
                                                 secret=secret)
            assert gift is None  # no register batch yet: registered all the same
            batch = coupon.save_batch(db.session, dict(
                name="注册礼", kind="normal", discount_type="cash", value=Decimal("10"),
                threshold=Decimal("50"), code_prefix="RG", quantity=5, validity_type="range",
                valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
                scope="all", per_member_limit=1, gift_kind="register"))
            coupon.publish(db.session, batch, now)
            phone = PREFIX + "0021"
            _row, code = registration.issue_code(db.session, mid, phone, secret)
            member, gift = registration.register(db.session, mid, phone=phone, code=code,
                                                 secret=secret)
            assert gift is not None
            assert (gift.member_id, gift.batch_id) == (member.id, batch.id)
            assert registration.grant_register_coupon(db.session, member) is None  # once
        finally:
            db.session.rollback()
