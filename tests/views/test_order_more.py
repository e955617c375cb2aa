"""Issue #6 leftovers: 积分+现金 products bought through the shop API, an 优惠码 typed at
checkout, the refusal of a cancellation request reaching the buyer, and the order list's
买家 header."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.tenancy import platform_scope, tenant_scope
from tests.conftest import merchant_id
from tests.views.order_fixtures import (auth, make_product, new_member, order_row, place,
                                        sku_stock)

A, B = "鲜果时光", "茶语小铺"


def _scope(app, merchant=A):
    return tenant_scope(merchant_id(app, merchant))


def _give_points(app, member_id, points, merchant=A):
    from app.models.member import Member
    from app.services import points as points_service

    with app.app_context(), _scope(app, merchant):
        points_service.change_points(db.session, db.session.get(Member, member_id), points,
                                     "测试积分", "admin", f"test-more-{member_id}-{points}")
        db.session.commit()


def _member(app, member_id):
    from app.models.member import Member
    from app.services.points import ledger_sum

    with app.app_context(), _scope(app):
        member = db.session.get(Member, member_id)
        return member.points, ledger_sum(db.session, member_id)


def _card(app, member_id, amount):
    from app.models.member import Member
    from app.services import stored_value

    with app.app_context(), _scope(app):
        card = stored_value.issue_card(db.session, db.session.get(Member, member_id))
        stored_value.recharge(db.session, card, amount, reason="测试充值")
        db.session.commit()
        return card.id


def _balance(app, card_id):
    from app.models.member import StoredValueCard

    with app.app_context(), _scope(app):
        return db.session.get(StoredValueCard, card_id).balance


def _order_count(app, member_id):
    from app.models.order import Order

    with app.app_context(), _scope(app):
        return db.session.execute(select(func.count(Order.id)).where(
            Order.member_id == member_id)).scalar()


# -- 积分+现金 ---------------------------------------------------------------------------------
def test_points_plus_cash_product_takes_points_and_cash_and_gives_both_back(app, login_as,
                                                                            client):
    from app.models.member import PointsLedger

    _pid, sku = make_product(app, product_type="points", points_price=300, points_cash="9.90",
                             price="50.00", stock=5, strategy="on_order")
    member_id, token = new_member(app)
    _give_points(app, member_id, 1000)
    card = _card(app, member_id, "100")
    before = _balance(app, card)
    response = place(client, app, token, [(sku, 2)], payment_method="stored_value")
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["points_paid"] == 600 and data["paid_amount"] == "19.80"
    assert data["items"][0]["unit_price"] == "9.90"
    assert _member(app, member_id) == (400, 400)  # taken at placement, through the ledger
    assert sku_stock(app, sku) == 3
    with app.app_context(), _scope(app):
        [row] = db.session.execute(select(PointsLedger).where(
            PointsLedger.member_id == member_id, PointsLedger.delta < 0)).scalars().all()
        assert row.delta == -600 and row.ref == data["order_no"]
        assert row.idempotency_key.endswith(":points_pay")
    paid = client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
    assert paid.status_code == 200 and paid.get_json()["status"] == "awaiting_shipment"
    assert _balance(app, card) == before - Decimal("19.80")
    assert _member(app, member_id) == (400, 400)  # paying takes no more points

    # 退单且退款 by the merchant: the cash back to the card, the points and stock back.
    order_id = order_row(app, data["order_no"])["id"]
    owner = login_as("owner_a")
    url = f"/fulfilment/order/{order_id}/cancel"
    done = owner.post(url, data={"csrf_token": owner.csrf(url), "mode": "refund",
                                 "reason": "缺货"})
    assert done.status_code == 302
    assert order_row(app, data["order_no"])["status"] == "closed"
    assert _balance(app, card) == before
    assert _member(app, member_id) == (1000, 1000)
    assert sku_stock(app, sku) == 5
    detail = owner.get(f"/orderview/show/{order_id}").get_data(as_text=True)
    assert "600 积分" in detail


def test_points_plus_cash_with_too_few_points_moves_nothing(app, client):
    _pid, sku = make_product(app, product_type="points", points_price=500, points_cash="5.00",
                             stock=4, strategy="on_order")
    member_id, token = new_member(app)
    _give_points(app, member_id, 499)
    response = place(client, app, token, [(sku, 1)], payment_method="wechat")
    assert response.status_code == 422
    assert response.get_json()["error"] == "积分不足：需要 500 积分，当前只有 499 积分"
    assert _order_count(app, member_id) == 0
    assert sku_stock(app, sku) == 4 and _member(app, member_id) == (499, 499)


def test_points_plus_cash_unpaid_order_closed_by_the_buyer_returns_the_points(app, client):
    _pid, sku = make_product(app, product_type="points", points_price=200, points_cash="3.00",
                             stock=4, strategy="on_payment")
    member_id, token = new_member(app)
    _give_points(app, member_id, 250)
    data = place(client, app, token, [(sku, 1)], payment_method="wechat").get_json()
    assert data["points_paid"] == 200 and _member(app, member_id) == (50, 50)
    cancel = client.post(f"/api/v1/orders/{data['order_no']}/cancel", json={},
                         headers=auth(token))
    assert cancel.status_code == 200 and cancel.get_json()["status"] == "closed"
    assert _member(app, member_id) == (250, 250)
    again = client.post(f"/api/v1/orders/{data['order_no']}/cancel", json={},
                        headers=auth(token))
    assert again.status_code == 409 and _member(app, member_id) == (250, 250)


def test_points_products_refuse_the_wrong_payment_method(app, client):
    _pid, cash_sku = make_product(app, product_type="points", points_price=100,
                                  points_cash="2.00")
    _pid, pure_sku = make_product(app, product_type="points", points_price=100)
    member_id, token = new_member(app)
    _give_points(app, member_id, 1000)
    cod = place(client, app, token, [(cash_sku, 1)], payment_method="cod")
    assert cod.status_code == 422 and "积分商品请使用积分支付" in cod.get_json()["error"]
    by_points = place(client, app, token, [(cash_sku, 1)], payment_method="points")
    assert by_points.status_code == 422 and "还需支付现金 2.00 元" in by_points.get_json()["error"]
    no_cash = place(client, app, token, [(pure_sku, 1)], payment_method="wechat")
    assert no_cash.status_code == 422 and "无需支付现金" in no_cash.get_json()["error"]
    twice = place(client, app, token, [(cash_sku, 1)], use_points=True)
    assert twice.status_code == 422 and "不能再使用积分抵现" in twice.get_json()["error"]
    assert _order_count(app, member_id) == 0 and _member(app, member_id) == (1000, 1000)
    ok = place(client, app, token, [(pure_sku, 1)], payment_method="points")
    assert ok.status_code == 201 and ok.get_json()["points_paid"] == 100


# -- 优惠码 at checkout --------------------------------------------------------------------------
def _normal_batch(app, merchant=A, *, value="5.00", quantity=5, expired=False, limit=1,
                  prefix="MD"):
    """A published 普通券 with ``quantity`` codes; returns (batch id, {serial: code})."""
    from app.models.base import china_now
    from app.models.marketing import CouponBatch, CouponCode
    from app.services import coupon

    with app.app_context(), _scope(app, merchant):
        now = china_now()
        batch = CouponBatch(name="手输码券", kind="normal", discount_type="cash",
                            value=Decimal(value), threshold=Decimal("0"), quantity=quantity,
                            remaining=0, validity_type="range", scope="all",
                            code_prefix=prefix, per_member_limit=limit,
                            valid_from=now - timedelta(days=3),
                            valid_to=now + (timedelta(days=-1) if expired
                                            else timedelta(days=10)),
                            status="draft")
        db.session.add(batch)
        db.session.flush()
        coupon.publish(db.session, batch, now=now - timedelta(days=2))
        db.session.commit()
        codes = dict(db.session.execute(select(CouponCode.serial, CouponCode.code).where(
            CouponCode.batch_id == batch.id)).all())
        return batch.id, codes


def _batch_state(app, batch_id, merchant=A):
    from app.models.marketing import CouponBatch, CouponCode, MemberCoupon
    from app.services.coupon import ledger_sum

    with app.app_context(), _scope(app, merchant):
        batch = db.session.get(CouponBatch, batch_id)
        codes = {code: (serial, status) for serial, code, status in db.session.execute(
            select(CouponCode.serial, CouponCode.code, CouponCode.status).where(
                CouponCode.batch_id == batch_id)).all()}
        held = {row.code: (row.member_id, row.status, row.order_no) for row in
                db.session.execute(select(MemberCoupon).where(
                    MemberCoupon.batch_id == batch_id)).scalars()}
        return batch.remaining, batch.quantity + ledger_sum(db.session, batch_id), codes, held


def test_a_normal_coupon_code_typed_at_checkout_is_bound_and_redeemed(app, client):
    from app.models.member import Member
    from app.models.marketing import CouponBatch
    from app.services import coupon

    _pid, sku = make_product(app, price="30.00", stock=10)
    member_id, token = new_member(app)
    batch_id, codes = _normal_batch(app)
    typed = codes[4]
    response = place(client, app, token, [(sku, 1)], coupon_code=f"  {typed.lower()} ")
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["coupon_discount"] == "5.00" and data["paid_amount"] == "25.00"
    remaining, rebuilt, state, held = _batch_state(app, batch_id)
    assert remaining == rebuilt == 4
    # The typed code moved to serial 1 (the first coupon taken), still one code per serial.
    assert state[typed] == (1, "taken") and state[codes[1]] == (4, "available")
    assert held == {typed: (member_id, "used", data["order_no"])}

    # The next 派发 takes serial 2: never the typed code again.
    other_id, other_token = new_member(app)
    with app.app_context(), _scope(app):
        batch = db.session.get(CouponBatch, batch_id)
        [issued] = coupon.issue(db.session, batch, [(db.session.get(Member, other_id), 1)])
        db.session.commit()
        assert issued.code == codes[2]

    used = place(client, app, token, [(sku, 1)], coupon_code=typed)
    assert used.status_code == 409 and used.get_json()["error"] == "优惠券已使用"
    theirs = place(client, app, other_token, [(sku, 1)], coupon_code=typed)
    assert theirs.status_code == 409 and "已被其他顾客领取" in theirs.get_json()["error"]
    # A code the member holds (派发) can be typed too.
    own = place(client, app, other_token, [(sku, 1)], coupon_code=codes[2])
    assert own.status_code == 201 and own.get_json()["coupon_discount"] == "5.00"
    # Closing the order gives the coupon back to the member (not to the batch).
    client.post(f"/api/v1/orders/{data['order_no']}/cancel", json={}, headers=auth(token))
    remaining, rebuilt, _state, held = _batch_state(app, batch_id)
    assert remaining == rebuilt == 3 and held[typed] == (member_id, "unused", None)


def test_bad_coupon_codes_are_refused_and_move_nothing(app, client):
    _pid, sku = make_product(app, price="30.00", stock=1)
    member_id, token = new_member(app)
    batch_id, codes = _normal_batch(app, prefix="BD")
    _other_batch, b_codes = _normal_batch(app, B, prefix="BB")
    _expired_batch, old_codes = _normal_batch(app, expired=True, prefix="EX")
    before = _batch_state(app, batch_id)

    unknown = place(client, app, token, [(sku, 1)], coupon_code="NOSUCHCODE1")
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "优惠券不存在"
    foreign = place(client, app, token, [(sku, 1)], coupon_code=b_codes[1])
    assert foreign.status_code == 404 and foreign.get_json()["error"] == "优惠券不存在"
    expired = place(client, app, token, [(sku, 1)], coupon_code=old_codes[2])
    assert expired.status_code == 410 and expired.get_json()["error"] == "优惠券已过期"
    both = place(client, app, token, [(sku, 1)], coupon_code=codes[2], coupon_id=1)
    assert both.status_code == 422 and "只能使用一个" in both.get_json()["error"]
    # The order fails after the code was bound (stock): the binding is rolled back too.
    short = place(client, app, token, [(sku, 2)], coupon_code=codes[3])
    assert short.status_code == 422 and "库存不足" in short.get_json()["error"]
    assert _batch_state(app, batch_id) == before
    assert _order_count(app, member_id) == 0 and sku_stock(app, sku) == 1


def test_a_reusable_code_typed_at_checkout_takes_one_use(app, client):
    from app.models.base import china_now
    from app.models.marketing import CouponBatch

    _pid, sku = make_product(app, price="40.00", stock=10)
    _member_id, token = new_member(app)
    with app.app_context(), _scope(app):
        now = china_now()
        batch = CouponBatch(name="复用码", kind="reusable", discount_type="discount",
                            value=Decimal("0.80"), threshold=Decimal("0"), quantity=3,
                            remaining=3, validity_type="range", scope="all",
                            code="SPRING26", per_member_limit=5, status="published",
                            valid_from=now - timedelta(days=1),
                            valid_to=now + timedelta(days=5), published_at=now)
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.id
    response = place(client, app, token, [(sku, 1)], coupon_code="spring26")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["coupon_discount"] == "8.00"
    remaining, rebuilt, _codes, held = _batch_state(app, batch_id)
    assert remaining == rebuilt == 2
    assert [status for _m, status, _o in held.values()] == ["used"]


# -- 拒绝退单 reaches the buyer ----------------------------------------------------------------
REFUSED_ID = "TPLrefused0123456789abcdefghijklmnopqrstuvw"
APPID, SECRET = "wx99334455667788cd", "r" * 32


@pytest.fixture()
def refused_template(app, wechat):
    from app.models.official_account import TemplateMessageLog, TemplateSetting
    from app.models.wechat import OfficialAccountConfig

    mid = merchant_id(app, A)
    with app.app_context(), platform_scope():
        db.session.add(OfficialAccountConfig(merchant_id=mid, appid=APPID, app_secret=SECRET,
                                             token="tok123", message_mode="plain"))
        setting = db.session.execute(select(TemplateSetting).where(
            TemplateSetting.merchant_id == mid,
            TemplateSetting.event == "cancel_refused")).scalar()
        if setting is None:
            setting = TemplateSetting(merchant_id=mid, event="cancel_refused")
            db.session.add(setting)
        setting.template_id, setting.enabled = REFUSED_ID, True
        db.session.commit()
    wechat.add_app(APPID, SECRET, followers={"oRefused1"}, templates={
        REFUSED_ID: {"title": "退单审核结果", "content": "{{first.DATA}} {{keyword2.DATA}}"}})
    yield
    with app.app_context(), platform_scope():
        db.session.execute(OfficialAccountConfig.__table__.delete().where(
            OfficialAccountConfig.merchant_id == mid))
        db.session.execute(TemplateMessageLog.__table__.delete().where(
            TemplateMessageLog.openid == "oRefused1"))
        db.session.execute(TemplateSetting.__table__.delete().where(
            TemplateSetting.merchant_id == mid, TemplateSetting.event == "cancel_refused"))
        db.session.commit()


def _requested_order(app, client, openid=None):
    from app.models.member import Member

    _pid, sku = make_product(app, price="20.00", stock=5)
    member_id, token = new_member(app)
    if openid:
        with app.app_context(), _scope(app):
            db.session.get(Member, member_id).openid = openid
            db.session.commit()
    _card(app, member_id, "100")
    data = place(client, app, token, [(sku, 1)], payment_method="stored_value").get_json()
    client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
    asked = client.post(f"/api/v1/orders/{data['order_no']}/cancel", json={"reason": "拍错了"},
                        headers=auth(token))
    assert asked.get_json()["status"] == "cancel_requested"
    return data["order_no"], order_row(app, data["order_no"])["id"], token


def _refuse(owner, order_id, reason):
    url = f"/fulfilment/order/{order_id}/cancel"
    return owner.post(url, data={"csrf_token": owner.csrf(url), "mode": "refuse",
                                 "reason": reason})


def test_refusing_a_cancellation_sends_the_reason_to_the_buyer(app, client, login_as, wechat,
                                                               refused_template):
    from app.models.official_account import TemplateMessageLog

    order_no, order_id, token = _requested_order(app, client, openid="oRefused1")
    owner = login_as("owner_a")
    assert _refuse(owner, order_id, "商品已打包出库，无法退单").status_code == 302
    mine = client.get(f"/api/v1/orders/{order_no}", headers=auth(token)).get_json()
    assert mine["status"] == "awaiting_shipment"
    assert mine["cancel_refuse_reason"] == "商品已打包出库，无法退单"
    detail = owner.get(f"/orderview/show/{order_id}").get_data(as_text=True)
    assert 'id="md-cancel-refused"' in detail and "商品已打包出库，无法退单" in detail
    [sent] = wechat.received("/cgi-bin/message/template/send")
    body = json.loads(sent["body"])
    assert body["touser"] == "oRefused1" and body["template_id"] == REFUSED_ID
    assert body["data"]["keyword1"] == {"value": order_no}
    assert body["data"]["keyword2"] == {"value": "商品已打包出库，无法退单"}
    with app.app_context(), platform_scope():
        logs = db.session.execute(select(TemplateMessageLog.event, TemplateMessageLog.status)
                                  .where(TemplateMessageLog.openid == "oRefused1")).all()
    assert [tuple(row) for row in logs] == [("cancel_refused", "success")]
    # A new request clears the old answer; the buyer sees only the current one.
    again = client.post(f"/api/v1/orders/{order_no}/cancel", json={"reason": "还是不要了"},
                        headers=auth(token)).get_json()
    assert again["status"] == "cancel_requested" and again["cancel_refuse_reason"] is None


def test_refusal_without_a_template_still_reaches_the_order_api(app, client, login_as, wechat):
    order_no, order_id, token = _requested_order(app, client)
    owner = login_as("owner_a")
    empty = _refuse(owner, order_id, "")
    assert empty.status_code == 422 and "请填写拒绝退单的原因" in empty.get_data(as_text=True)
    assert order_row(app, order_no)["status"] == "cancel_requested"
    assert _refuse(owner, order_id, "已发顺丰").status_code == 302
    mine = client.get(f"/api/v1/orders/{order_no}", headers=auth(token)).get_json()
    assert mine["cancel_refuse_reason"] == "已发顺丰"
    assert wechat.received("/cgi-bin/message/template/send") == []


# -- the list header -------------------------------------------------------------------------
def test_order_list_header_reads_buyer(app, login_as):
    owner = login_as("owner_a")
    page = owner.get("/orderview/list/").get_data(as_text=True)
    header = page[page.index("<thead"):page.index("</thead>")]
    assert "买家（会员ID）" not in header and "买家" in header
    assert "买家（会员ID）" in page  # the search field by member id keeps its own label
