"""Placing and paying orders through the shop API; the WeChat Pay notification; completion
ledgers; closing gives stock, coupon and points back; 改价 in the console."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.tenancy import platform_scope, tenant_scope
from tests.conftest import merchant_id
from tests.views.order_fixtures import (RECEIVER, auth, make_product, new_member, order_row,
                                        place, shop_id, sku_stock)

A = "鲜果时光"


def _scope(app, merchant=A):
    return tenant_scope(merchant_id(app, merchant))


def _card(app, member_id, amount):
    from app.models.member import Member
    from app.services import stored_value

    with app.app_context(), _scope(app):
        member = db.session.get(Member, member_id)
        card = stored_value.issue_card(db.session, member)
        if amount:
            stored_value.recharge(db.session, card, amount, reason="测试充值")
        db.session.commit()
        return card.id


def _balance(app, card_id):
    from app.models.member import StoredValueCard

    with app.app_context(), _scope(app):
        return db.session.get(StoredValueCard, card_id).balance


# -- placing -------------------------------------------------------------------------------
def test_on_order_strategy_takes_stock_when_placed(app, client):
    _pid, sku = make_product(app, strategy="on_order", stock=10, price="12.50")
    _mid, token = new_member(app)
    response = place(client, app, token, [(sku, 3)])
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["status"] == "unpaid" and data["goods_total"] == "37.50"
    assert data["items"][0]["quantity"] == 3 and data["items"][0]["unit_price"] == "12.50"
    assert sku_stock(app, sku) == 7
    row = order_row(app, data["order_no"])
    assert row["items"] == [(sku, 3, 3)]
    assert row["logs"][0][:3] == ("place", None, "unpaid")


def test_on_payment_strategy_takes_stock_when_paid(app, client):
    _pid, sku = make_product(app, strategy="on_payment", stock=5, price="10.00")
    member_id, token = new_member(app)
    card = _card(app, member_id, "500")
    before = _balance(app, card)  # 500 plus any 充返 bonus
    data = place(client, app, token, [(sku, 2)], payment_method="stored_value").get_json()
    assert sku_stock(app, sku) == 5  # nothing taken yet
    paid = client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["status"] == "awaiting_shipment"
    assert sku_stock(app, sku) == 3
    assert _balance(app, card) == before - Decimal(data["paid_amount"])


def test_stock_shortage_refuses_the_order(app, client):
    _pid, sku = make_product(app, strategy="on_order", stock=1)
    _mid, token = new_member(app)
    response = place(client, app, token, [(sku, 2)])
    assert response.status_code == 422 and "库存不足" in response.get_json()["error"]
    assert sku_stock(app, sku) == 1


def test_courier_order_needs_a_receiver_and_pickup_gets_a_code(app, client):
    _pid, sku = make_product(app, delivery="both")
    _mid, token = new_member(app)
    bad = place(client, app, token, [(sku, 1)], receiver={"name": "张三", "phone": "123"})
    assert bad.status_code == 422 and "手机号" in bad.get_json()["error"]
    pickup = place(client, app, token, [(sku, 1)], delivery_method="pickup", receiver=None)
    assert pickup.status_code == 201
    code = pickup.get_json()["verification_code"]
    assert code and len(code) == 12 and code.isdigit()


def test_store_only_product_cannot_be_couriered(app, client):
    _pid, sku = make_product(app, delivery="store")
    _mid, token = new_member(app)
    response = place(client, app, token, [(sku, 1)])
    assert response.status_code == 422 and "仅支持到店自提" in response.get_json()["error"]


def test_another_merchants_sku_is_not_found(app, client):
    _pid, sku_b = make_product(app, "茶语小铺")
    _mid, token = new_member(app)
    response = place(client, app, token, [(sku_b, 1)])
    assert response.status_code == 422 and "不存在" in response.get_json()["error"]
    assert sku_stock(app, sku_b, "茶语小铺") == 10


# -- paying --------------------------------------------------------------------------------
def test_stored_value_shortage_leaves_order_unpaid(app, client):
    _pid, sku = make_product(app, strategy="on_payment", price="80.00", stock=5)
    member_id, token = new_member(app)
    card = _card(app, member_id, "10")
    before = _balance(app, card)
    data = place(client, app, token, [(sku, 1)], payment_method="stored_value").get_json()
    response = client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
    assert response.status_code == 422 and "余额不足" in response.get_json()["error"]
    assert order_row(app, data["order_no"])["status"] == "unpaid"
    assert _balance(app, card) == before and sku_stock(app, sku) == 5


def test_stored_value_payment_writes_the_card_ledger(app, client):
    from app.models.member import BalanceLedger

    _pid, sku = make_product(app, price="30.00")
    member_id, token = new_member(app)
    card = _card(app, member_id, "100")
    data = place(client, app, token, [(sku, 1)], payment_method="stored_value").get_json()
    client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
    again = client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
    assert again.status_code == 409 and "待发货" in again.get_json()["error"]
    with app.app_context(), _scope(app):
        rows = db.session.execute(select(BalanceLedger).where(
            BalanceLedger.card_id == card, BalanceLedger.kind == "order")).scalars().all()
        assert len(rows) == 1 and rows[0].delta == -Decimal(data["paid_amount"])


# -- WeChat Pay notification ------------------------------------------------------------------
APPID, MCH_ID, KEY = "wx00112233445566bb", "1230000999", "K" * 32


@pytest.fixture()
def pay_config(app, wechat):
    from app.models.wechat import PaymentConfig, PaymentNotification
    from app.services import wechat as service

    wechat.add_merchant(MCH_ID, KEY, [APPID])
    with app.app_context(), platform_scope():
        config = service.payment_config(db.session, merchant_id(app, A), "wechat")
        service.save_mode(config, mode="own", app_kind="official", appid=APPID)
        service.save_credentials(config, mch_id=MCH_ID, api_key=KEY)
        db.session.add(config)
        db.session.commit()
        token, config_id = config.notify_token, config.id
    yield token
    with app.app_context(), platform_scope():
        db.session.execute(PaymentNotification.__table__.delete().where(
            PaymentNotification.config_id == config_id))
        db.session.execute(PaymentConfig.__table__.delete().where(
            PaymentConfig.id == config_id))
        db.session.commit()


def test_wechat_notification_marks_the_order_paid_once(app, client, wechat, pay_config):
    _pid, sku = make_product(app, strategy="on_payment", price="25.00", stock=4)
    _mid, token = new_member(app)
    data = place(client, app, token, [(sku, 2)]).get_json()
    fen = int(Decimal(data["paid_amount"]) * 100)
    body = wechat.payment_notification(MCH_ID, APPID, data["order_no"], fen,
                                       transaction_id="4200000000000001")
    url = f"/wechat/pay/{pay_config}/notify"
    for _attempt in range(2):  # WeChat repeats notifications
        response = client.post(url, data=body, content_type="text/xml")
        assert "SUCCESS" in response.get_data(as_text=True)
    row = order_row(app, data["order_no"])
    assert row["status"] == "awaiting_shipment" and row["payment_no"] == "4200000000000001"
    assert [log[0] for log in row["logs"]].count("pay") == 1
    assert sku_stock(app, sku) == 2
    with app.app_context(), platform_scope():
        from app.models.wechat import PaymentNotification

        status = db.session.execute(select(PaymentNotification.status).where(
            PaymentNotification.transaction_id == "4200000000000001")).scalar()
        assert status == "applied"


def test_wechat_notification_with_a_wrong_amount_is_not_applied(app, client, wechat,
                                                                pay_config):
    _pid, sku = make_product(app, price="25.00")
    _mid, token = new_member(app)
    data = place(client, app, token, [(sku, 1)]).get_json()
    body = wechat.payment_notification(MCH_ID, APPID, data["order_no"], 1,
                                       transaction_id="4200000000000002")
    client.post(f"/wechat/pay/{pay_config}/notify", data=body, content_type="text/xml")
    row = order_row(app, data["order_no"])
    assert row["status"] == "unpaid" and "不符" in row["logs"][-1][3]


# -- completing ------------------------------------------------------------------------------
def test_completion_awards_points_experience_referral_and_commission(app, client):
    from app.models.member import (CommissionLedger, Distributor, ExperienceLedger, Member,
                                   PointsLedger)
    from app.services import order as orders
    from app.services.points import points_rule

    _pid, sku = make_product(app, price="100.00", product_type="distribution",
                             commission_rate=Decimal("10"))
    referrer_id, _t = new_member(app)
    member_id, token = new_member(app, referrer_id=referrer_id)
    _card(app, member_id, "1000")
    with app.app_context(), _scope(app):
        rule = points_rule(db.session, merchant_id(app, A))
        saved = (rule.points_per_yuan, rule.experience_per_yuan, rule.referral_purchase_points)
        rule.points_per_yuan, rule.experience_per_yuan = Decimal("1"), Decimal("0.5")
        rule.referral_purchase_points = 7
        distributor = Distributor(name="分销员", city="杭州", phone="13700001111",
                                  status="approved", commission_rate=Decimal("5"))
        db.session.add(distributor)
        db.session.commit()
        distributor_id = distributor.id
    try:
        data = place(client, app, token, [(sku, 1)], payment_method="stored_value",
                     distributor_id=distributor_id).get_json()
        client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
        early = client.post(f"/api/v1/orders/{data['order_no']}/confirm", headers=auth(token))
        assert early.status_code == 409 and "待发货" in early.get_json()["error"]
        with app.app_context(), _scope(app):
            from app.models.order import Order

            order = db.session.execute(select(Order).where(
                Order.order_no == data["order_no"])).scalar_one()
            orders.mark_shipped(db.session, order, partial=False)
            db.session.commit()
        done = client.post(f"/api/v1/orders/{data['order_no']}/confirm", headers=auth(token))
        assert done.status_code == 200 and done.get_json()["status"] == "completed"
        paid = Decimal(data["paid_amount"])
        with app.app_context(), _scope(app):
            ref = data["order_no"]
            earned = db.session.execute(select(PointsLedger.delta).where(
                PointsLedger.ref == ref, PointsLedger.source == "order")).scalar()
            product_points = 0  # the test product earns no 购买可获积分
            assert earned == 100 + product_points  # goods total × 1, floored
            exp = db.session.execute(select(ExperienceLedger.delta).where(
                ExperienceLedger.ref == ref)).scalar()
            assert exp == int(paid * Decimal("0.5"))
            referral = db.session.execute(select(PointsLedger).where(
                PointsLedger.ref == ref, PointsLedger.source == "referral_purchase")).scalar()
            assert referral.member_id == referrer_id and referral.delta == 7
            commission = db.session.execute(select(CommissionLedger).where(
                CommissionLedger.ref == ref)).scalar()
            # the product's 10 % of what the line cost after the order's discounts
            assert commission.distributor_id == distributor_id
            assert commission.delta == (paid * Decimal("0.1")).quantize(Decimal("0.01"))
            member = db.session.get(Member, member_id)
            assert member.order_count == 1 and member.total_spend == paid
    finally:
        with app.app_context(), _scope(app):
            rule = points_rule(db.session, merchant_id(app, A))
            (rule.points_per_yuan, rule.experience_per_yuan,
             rule.referral_purchase_points) = saved
            db.session.commit()


# -- closing -----------------------------------------------------------------------------------
def _coupon(app, member_id, value="5.00"):
    from app.models.marketing import CouponBatch, MemberCoupon
    from app.models.base import china_now

    with app.app_context(), _scope(app):
        now = china_now()
        batch = CouponBatch(name="测试券", kind="normal", discount_type="cash",
                            value=Decimal(value), threshold=Decimal("0"), quantity=10,
                            remaining=9, validity_type="range", scope="all",
                            valid_from=now - timedelta(days=1),
                            valid_to=now + timedelta(days=10), status="published")
        db.session.add(batch)
        db.session.flush()
        coupon = MemberCoupon(batch_id=batch.id, member_id=member_id, source="issue",
                              status="unused", valid_from=batch.valid_from,
                              valid_to=batch.valid_to)
        db.session.add(coupon)
        db.session.commit()
        return coupon.id


def _points(app, member_id):
    from app.models.member import Member

    with app.app_context(), _scope(app):
        return db.session.get(Member, member_id).points


def test_buyer_cancelling_an_unpaid_order_restores_stock_coupon_and_points(app, client):
    from app.models.marketing import MemberCoupon
    from app.models.member import Member
    from app.services import points as points_service
    from app.services.points import points_rule

    _pid, sku = make_product(app, strategy="on_order", price="50.00", stock=6)
    member_id, token = new_member(app)
    coupon_id = _coupon(app, member_id)
    with app.app_context(), _scope(app):
        rule = points_rule(db.session, merchant_id(app, A))
        saved = (rule.redeem_points_per_yuan, rule.redeem_max_percent)
        rule.redeem_points_per_yuan, rule.redeem_max_percent = 10, 50
        points_service.change_points(db.session, db.session.get(Member, member_id), 100,
                                     "测试", "admin", f"test-close-{member_id}")
        db.session.commit()
    try:
        data = place(client, app, token, [(sku, 2)], coupon_id=coupon_id,
                     use_points=True).get_json()
        assert Decimal(data["coupon_discount"]) == Decimal("5.00")
        assert data["points_used"] > 0 and _points(app, member_id) == 100 - data["points_used"]
        assert sku_stock(app, sku) == 4
        with app.app_context(), _scope(app):
            assert db.session.get(MemberCoupon, coupon_id).status == "used"
        response = client.post(f"/api/v1/orders/{data['order_no']}/cancel", json={},
                               headers=auth(token))
        assert response.status_code == 200 and response.get_json()["status"] == "closed"
        assert sku_stock(app, sku) == 6 and _points(app, member_id) == 100
        with app.app_context(), _scope(app):
            assert db.session.get(MemberCoupon, coupon_id).status == "unused"
        again = client.post(f"/api/v1/orders/{data['order_no']}/cancel", json={},
                            headers=auth(token))
        assert again.status_code == 409 and "已关闭" in again.get_json()["error"]
        assert sku_stock(app, sku) == 6 and _points(app, member_id) == 100
    finally:
        with app.app_context(), _scope(app):
            rule = points_rule(db.session, merchant_id(app, A))
            rule.redeem_points_per_yuan, rule.redeem_max_percent = saved
            db.session.commit()


def test_closing_a_paid_order_restores_stock_and_returns_the_coupon(app, client):
    """Closing returns the coupon through its ledger, paid or not (the issue)."""
    from app.models.marketing import MemberCoupon
    from app.models.order import Order
    from app.services import order as orders

    _pid, sku = make_product(app, strategy="on_payment", price="40.00", stock=3)
    member_id, token = new_member(app)
    _card(app, member_id, "100")
    coupon_id = _coupon(app, member_id)
    data = place(client, app, token, [(sku, 1)], coupon_id=coupon_id,
                 payment_method="stored_value").get_json()
    client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
    assert sku_stock(app, sku) == 2
    with app.app_context(), _scope(app):
        order = db.session.execute(select(Order).where(
            Order.order_no == data["order_no"])).scalar_one()
        assert db.session.get(MemberCoupon, coupon_id).status == "used"
        orders.close(db.session, order, reason="商家缺货退单")
        db.session.commit()
        assert db.session.get(MemberCoupon, coupon_id).status == "unused"
    assert sku_stock(app, sku) == 3


# -- 改价 ----------------------------------------------------------------------------------------
def test_price_change_in_the_console(app, client, login_as):
    from app.models.order import Order

    _pid, sku = make_product(app, price="60.00")
    _mid, token = new_member(app)
    data = place(client, app, token, [(sku, 1)]).get_json()
    with app.app_context(), _scope(app):
        pk = db.session.execute(select(Order.id).where(
            Order.order_no == data["order_no"])).scalar()
    owner = login_as("owner_a")
    url = f"/orderview/price/{pk}"
    bad = owner.post(url, data={"new_total": "abc", "reason": "议价",
                                "csrf_token": owner.csrf(url)})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "请输入有效的金额" in page and 'value="议价"' in page
    no_reason = owner.post(url, data={"new_total": "55", "reason": "",
                                      "csrf_token": owner.csrf(url)})
    assert "请填写改价原因" in no_reason.get_data(as_text=True)
    ok = owner.post(url, data={"new_total": "55.50", "reason": "老顾客议价",
                               "csrf_token": owner.csrf(url)})
    assert ok.status_code == 302
    detail = owner.get(f"/orderview/show/{pk}").get_data(as_text=True)
    assert "老顾客议价" in detail and "55.50" in detail and 'id="md-price-change"' in detail
    mine = client.get(f"/api/v1/orders/{data['order_no']}", headers=auth(token)).get_json()
    assert mine["paid_amount"] == "55.50" and mine["price_changed"] is True


def test_price_change_of_a_paid_order_is_refused(app, client, login_as):
    from app.models.order import Order

    _pid, sku = make_product(app, price="30.00")
    member_id, token = new_member(app)
    _card(app, member_id, "100")
    data = place(client, app, token, [(sku, 1)], payment_method="stored_value").get_json()
    client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
    with app.app_context(), _scope(app):
        pk = db.session.execute(select(Order.id).where(
            Order.order_no == data["order_no"])).scalar()
    owner = login_as("owner_a")
    url = f"/orderview/price/{pk}"
    response = owner.post(url, data={"new_total": "1", "reason": "想改",
                                     "csrf_token": owner.csrf(f"/orderview/show/{pk}")},
                          follow_redirects=True)
    assert "订单当前状态为「待发货」，不能改价" in response.get_data(as_text=True)
    assert order_row(app, data["order_no"])["paid_amount"] == Decimal(data["paid_amount"])


def test_order_api_is_per_member(app, client):
    _pid, sku = make_product(app)
    _mid, token = new_member(app)
    _other, other_token = new_member(app)
    data = place(client, app, token, [(sku, 1)]).get_json()
    assert client.get(f"/api/v1/orders/{data['order_no']}",
                      headers=auth(other_token)).status_code == 404
    mine = client.get("/api/v1/orders", headers=auth(token)).get_json()["orders"]
    assert [o["order_no"] for o in mine] == [data["order_no"]]
    assert client.post("/api/v1/orders", json={}, headers=auth(token)).status_code == 404
    assert client.get("/api/v1/orders").status_code == 401


def test_shop_of_another_merchant_is_refused(app, client):
    _pid, sku = make_product(app)
    _mid, token = new_member(app)
    body = {"shop_id": shop_id(app, "茶语小铺"), "lines": [{"sku_id": sku, "quantity": 1}],
            "receiver": RECEIVER}
    response = client.post("/api/v1/orders", json=body, headers=auth(token))
    assert response.status_code == 404


def test_demo_orders_exist_in_every_state(app):
    from app.models.order import Order

    with app.app_context(), _scope(app):
        states = dict(db.session.execute(select(Order.status, func.count()).group_by(
            Order.status)).all())
        codes = db.session.execute(select(func.count(Order.id)).where(
            Order.verification_code.isnot(None))).scalar()
    assert {"unpaid", "awaiting_shipment", "shipped", "completed", "closed",
            "cancel_requested"} <= set(states)
    assert codes >= 2


def test_member_detail_lists_the_members_coupons_and_orders(app, client, login_as):
    """会员详情: the coupon and order tabs, with a link to the order for staff who may open
    orders."""
    _pid, sku = make_product(app, price="30.00")
    member_id, token = new_member(app)
    coupon_id = _coupon(app, member_id)
    data = place(client, app, token, [(sku, 1)], coupon_id=coupon_id).get_json()
    owner = login_as("owner_a")
    page = owner.get(f"/memberview/show/{member_id}").get_data(as_text=True)
    orders_tab = page[page.index('class="table table-striped table-condensed md-member-orders"'):]
    assert data["order_no"] in orders_tab and "/orderview/show/" in orders_tab
    coupons_tab = page[page.index("md-member-coupons"):page.index("md-member-orders")]
    assert "测试券" in coupons_tab and data["order_no"] in coupons_tab
    other = new_member(app)[0]
    empty = owner.get(f"/memberview/show/{other}").get_data(as_text=True)
    assert "暂无订单" in empty and "暂无优惠券" in empty
