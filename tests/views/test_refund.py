"""退单与退款 through the console: merchant cancellation with and without refund, answers to
a buyer's request, refunds by stored-value card, points and WeChat Pay (through the
loopback fake: success, 余额不足 with the guide's advice, 证书过期, retry)."""
from decimal import Decimal

from sqlalchemy import select

from tests.conftest import merchant_id
from tests.views.fulfilment_fixtures import (MERCHANT_A, MERCHANT_B, get, make_order, rows,
                                             wechat_order, wechat_pay)


def _cancel(client, order_id, mode, reason="缺货"):
    return client.post(f"/fulfilment/order/{order_id}/cancel", data={
        "csrf_token": client.csrf(f"/fulfilment/order/{order_id}/cancel"), "mode": mode,
        "reason": reason})


def _flashes(client):
    with client.session_transaction() as session:
        return [str(m) for _c, m in session.get("_flashes", [])]


def _card(app, member_id):
    from app.extensions import db
    from app.models.member import Member
    from app.services import stored_value
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        card = stored_value.issue_card(db.session, db.session.get(Member, member_id))
        db.session.commit()
        return card.id


def test_cancel_and_refund_to_stored_value_card(app, login_as):
    from app.extensions import db
    from app.models.fulfilment import Refund
    from app.models.member import BalanceLedger, StoredValueCard
    from app.models.order import Order
    from app.services import stored_value
    from app.tenancy import tenant_scope

    order_id, _items, order_no, member_id = make_order(app, payment="stored_value")
    card_id = _card(app, member_id)
    owner = login_as("owner_a")
    page = owner.get(f"/fulfilment/order/{order_id}/cancel").get_data(as_text=True)
    assert "退单且退款" in page and "取消订单不退款" in page and "25.00" in page
    response = _cancel(owner, order_id, "refund")
    assert response.status_code == 302
    assert any("25.00" in m for m in _flashes(owner))
    order = get(app, Order, order_id)
    assert order.status == "closed" and order.close_reason == "缺货"
    [refund] = rows(app, select(Refund).where(Refund.order_id == order_id))
    assert (refund.method, refund.amount, refund.status) == ("stored_value", Decimal("25.00"),
                                                             "succeeded")
    assert get(app, StoredValueCard, card_id).balance == Decimal("25.00")
    [ledger] = rows(app, select(BalanceLedger).where(BalanceLedger.card_id == card_id))
    assert (ledger.kind, ledger.delta) == ("refund", Decimal("25.00"))
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        assert stored_value.balance_ledger_sum(db.session, card_id) == Decimal("25.00")
    # Closed: nothing left to cancel; the state is named.
    response = _cancel(owner, order_id, "refund")
    assert response.status_code == 409
    assert "订单当前状态为「已关闭」，不能退单" in response.get_data(as_text=True)


def test_cancel_without_refund_and_reason_required(app, login_as):
    from app.models.fulfilment import Refund
    from app.models.order import Order

    order_id, _items, _no, _member = make_order(app, payment="wechat")
    owner = login_as("owner_a")
    response = _cancel(owner, order_id, "close", reason="")
    assert response.status_code == 422 and "请填写退单原因" in response.get_data(as_text=True)
    assert get(app, Order, order_id).status == "awaiting_shipment"
    assert _cancel(owner, order_id, "close").status_code == 302
    assert get(app, Order, order_id).status == "closed"
    assert rows(app, select(Refund).where(Refund.order_id == order_id)) == []


def test_buyer_request_refuse_then_agree(app, login_as):
    from app.models.order import Order, OrderLog

    order_id, _items, _no, _member = make_order(app, status="cancel_requested", payment="cod")
    owner = login_as("owner_a")
    page = owner.get(f"/fulfilment/order/{order_id}/cancel").get_data(as_text=True)
    assert "拒绝退单" in page and "同意退单" in page and "不想要了" in page
    response = _cancel(owner, order_id, "refuse", reason="")
    assert response.status_code == 422 and "请填写拒绝退单的原因" in response.get_data(as_text=True)
    assert _cancel(owner, order_id, "refuse", reason="已打包发出").status_code == 302
    assert get(app, Order, order_id).status == "awaiting_shipment"
    log = rows(app, select(OrderLog).where(OrderLog.order_id == order_id)
               .order_by(OrderLog.id.desc()))[0]
    assert (log.action, log.note) == ("refuse_cancel", "已打包发出")
    order2, _i, _n, _m = make_order(app, status="cancel_requested", payment="cod")
    assert _cancel(owner, order2, "close", reason="同意").status_code == 302
    assert get(app, Order, order2).status == "closed"


def test_points_order_refund_returns_points(app, login_as):
    from app.models.fulfilment import Refund
    from app.models.member import Member, PointsLedger

    order_id, _items, _no, member_id = make_order(app, payment="points", paid="0.00",
                                                  points_paid=300)
    owner = login_as("owner_a")
    assert _cancel(owner, order_id, "refund").status_code == 302
    [refund] = rows(app, select(Refund).where(Refund.order_id == order_id))
    assert (refund.method, refund.points, refund.status) == ("points", 300, "succeeded")
    assert get(app, Member, member_id).points == 300
    [ledger] = rows(app, select(PointsLedger).where(PointsLedger.member_id == member_id))
    assert (ledger.delta, ledger.source) == (300, "order_refund")


def test_wechat_refund_through_the_fake(app, login_as, wechat):
    from app.models.fulfilment import Refund
    from app.models.order import Order

    fake_merchant = wechat_pay(app, wechat)
    order_id, _items, order_no, _member = make_order(app, payment="wechat")
    wechat_order(app, wechat, order_no, "25.00")
    owner = login_as("owner_a")
    assert _cancel(owner, order_id, "refund").status_code == 302
    [refund] = rows(app, select(Refund).where(Refund.order_id == order_id))
    assert (refund.status, refund.amount, refund.attempts) == ("succeeded", Decimal("25.00"), 1)
    assert refund.wechat_refund_id
    assert get(app, Order, order_id).status == "closed"
    sent = wechat.received("/secapi/pay/refund")
    assert len(sent) == 1 and refund.out_refund_no.encode() in sent[0]["body"]
    assert b"<refund_fee>2500</refund_fee>" in sent[0]["body"]
    assert fake_merchant.balance_fen == 1_000_000 - 2500
    page = owner.get(f"/fulfilment/order/{order_id}/ship").get_data(as_text=True)
    assert refund.out_refund_no in page and "退款成功" in page


def test_wechat_refund_insufficient_balance_shows_advice_and_retries(app, login_as, wechat):
    from app.models.fulfilment import Refund

    fake_merchant = wechat_pay(app, wechat, balance_fen=100)
    order_id, _items, order_no, _member = make_order(app, payment="wechat")
    wechat_order(app, wechat, order_no, "25.00")
    owner = login_as("owner_a")
    assert _cancel(owner, order_id, "refund").status_code == 302
    flashes = _flashes(owner)
    assert any("商户号余额不足" in m and "充值" in m for m in flashes), flashes
    [refund] = rows(app, select(Refund).where(Refund.order_id == order_id))
    assert refund.status == "failed" and refund.error_code == "NOTENOUGH"
    assert "pay.weixin.qq.com" in refund.error_advice and "重试退款" in refund.error_advice
    page = owner.get(f"/fulfilment/order/{order_id}/ship").get_data(as_text=True)
    assert "商户号余额不足" in page and "重试退款" in page
    listing = owner.get("/refundview/list/").get_data(as_text=True)
    assert refund.out_refund_no in listing and "重试退款" in listing
    # The merchant tops up, then retries: the same out_refund_no, refunded once.
    fake_merchant.balance_fen = 1_000_000
    response = owner.post(f"/fulfilment/refund/{refund.id}/retry", data={
        "csrf_token": owner.csrf("/refundview/list/")})
    assert response.status_code == 302
    refund = get(app, Refund, refund.id)
    assert (refund.status, refund.attempts, refund.error_message) == ("succeeded", 2, None)
    bodies = [r["body"] for r in wechat.received("/secapi/pay/refund")]
    assert len(bodies) == 2 and all(refund.out_refund_no.encode() in b for b in bodies)
    assert len(wechat.refunds) == 1 and fake_merchant.balance_fen == 1_000_000 - 2500
    # A succeeded refund cannot be retried.
    response = owner.post(f"/fulfilment/refund/{refund.id}/retry", data={
        "csrf_token": owner.csrf("/refundview/list/")})
    assert response.status_code == 302
    assert any("只有退款失败的微信支付退款可以重试" in m for m in _flashes(owner))


def test_wechat_refund_expired_certificate(app, login_as, wechat):
    from app.models.fulfilment import Refund

    wechat_pay(app, wechat)
    from app.extensions import db
    from app.models.base import china_now
    from app.models.wechat import PaymentConfig
    from app.tenancy import tenant_scope
    from datetime import timedelta

    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        config = db.session.execute(select(PaymentConfig)).scalars().first()
        config.cert_expires_at = china_now() - timedelta(days=3)
        db.session.commit()
    order_id, _items, order_no, _member = make_order(app, payment="wechat")
    wechat_order(app, wechat, order_no, "25.00")
    owner = login_as("owner_a")
    assert _cancel(owner, order_id, "refund").status_code == 302
    [refund] = rows(app, select(Refund).where(Refund.order_id == order_id))
    assert refund.status == "failed" and "证书已过期" in refund.error_message
    assert "更换证书" in refund.error_advice
    assert wechat.received("/secapi/pay/refund") == []  # never sent with a dead certificate


def test_refund_routes_are_tenant_safe(app, login_as):
    order_id, _items, _no, _member = make_order(app, MERCHANT_B, payment="cod")
    owner = login_as("owner_a")
    assert owner.get(f"/fulfilment/order/{order_id}/cancel").status_code == 404
    response = owner.post(f"/fulfilment/order/{order_id}/cancel", data={
        "csrf_token": owner.csrf("/fulfilment/batch/"), "mode": "close", "reason": "x"})
    assert response.status_code == 404
    from app.models.order import Order

    assert get(app, Order, order_id, MERCHANT_B).status == "awaiting_shipment"
