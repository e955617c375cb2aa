"""Fulfilment services on a bare SQLite database (no Flask app): shipping and split
shipments, batch rows, refunds and their limits, after-sale steps, verification."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.fulfilment import AfterSale, Refund, Shipment, VerificationRecord
from app.models.logistics import Courier, ShopCourier
from app.models.merchant import Merchant
from app.models.order import Order, OrderItem
from app.models.shop import Shop
from app.services import after_sale, refund, shipping, stored_value, verification
from app.services import member as members
from app.services.fulfilment import FulfilmentError
from app.tenancy import platform_scope, tenant_scope


@pytest.fixture()
def session():
    import app.models  # noqa: F401  (complete metadata)

    engine = create_engine("sqlite://")

    @event.listens_for(engine, "connect")
    def _fk(conn, _record):
        conn.execute("PRAGMA foreign_keys=ON")

    db.metadata.create_all(engine)
    with Session(engine) as s:
        with platform_scope():
            merchant = Merchant(name="测试商家", contact_phone="13700000000")
            s.add(merchant)
            s.commit()
        with tenant_scope(merchant.id):
            shop = Shop(name="测试商城")
            s.add(shop)
            s.flush()
            sf = Courier(name="顺丰速运", code="SF")
            ems = Courier(name="邮政 EMS", code="EMS")
            s.add_all([sf, ems])
            s.flush()
            s.add_all([ShopCourier(shop_id=shop.id, courier_id=sf.id, enabled=True),
                       ShopCourier(shop_id=shop.id, courier_id=ems.id, enabled=False)])
            s.info.update(shop=shop, sf=sf, ems=ems, member=members.create_member(
                s, nickname="买家", phone="13912345678"))
            s.commit()
            yield s
    engine.dispose()


_seq = iter(range(1, 10 ** 6))


def make_order(s, status="awaiting_shipment", payment="wechat", delivery="courier",
               lines=((2, "10.00", "0"), (1, "5.00", "0")), paid=None):
    number = next(_seq)
    order = Order(order_no=f"U{number:08d}", shop_id=s.info["shop"].id,
                  member_id=s.info["member"].id, status=status, payment_method=payment,
                  delivery_method=delivery, paid_amount=Decimal(paid or sum(
                      Decimal(p) * q - Decimal(d) for q, p, d in lines)),
                  paid_at=None if status == "unpaid" else datetime(2026, 5, 1),
                  verification_code=f"{number:012d}" if delivery == "pickup" else None,
                  logistics_status="shipped" if status in ("shipped", "completed")
                  else "not_shipped")
    for index, (qty, price, discount) in enumerate(lines):
        order.items.append(OrderItem(product_id=index + 1, sku_id=index + 1,
                                     product_name=f"商品{index + 1}", unit_price=Decimal(price),
                                     quantity=qty, line_total=Decimal(price) * qty,
                                     discount_share=Decimal(discount),
                                     shipped_quantity=qty if status in ("shipped", "completed")
                                     else 0))
    s.add(order)
    s.commit()
    return order


# -- shipping ---------------------------------------------------------------------------------
def test_split_shipment_then_rest(session):
    order = make_order(session)
    first, second = order.items
    shipment = shipping.ship(session, order, courier_id=session.info["sf"].id,
                             waybill_no="SF100", items={first.id: 1})
    session.commit()
    assert (order.status, order.logistics_status) == ("shipped", "partly_shipped")
    assert [(i.order_item_id, i.quantity) for i in shipment.items] == [(first.id, 1)]
    shipping.ship(session, order, kind="pickup")
    session.commit()
    assert order.logistics_status == "shipped"
    assert [shipping.remaining(i) for i in order.items] == [0, 0]
    kinds = [s.kind for s in session.execute(select(Shipment).where(
        Shipment.order_id == order.id).order_by(Shipment.id)).scalars()]
    assert kinds == ["courier", "pickup"]
    with pytest.raises(FulfilmentError, match="订单已发货"):
        shipping.ship(session, order, kind="merchant")


@pytest.mark.parametrize("kwargs,message", [
    ({"courier_id": None, "waybill_no": "SF100"}, "请选择该商城已开启的物流公司"),
    ({"courier_id": "ems", "waybill_no": "EMS100"}, "请选择该商城已开启的物流公司"),
    ({"courier_id": "sf", "waybill_no": ""}, "请填写运单号"),
    ({"courier_id": "sf", "waybill_no": "含中文123"}, "运单号格式不正确"),
    ({"kind": "drone"}, "请选择配送方式"),
    ({"kind": "merchant", "items": {}}, "请选择要发货的商品"),
    ({"kind": "merchant", "items": {"first": 3}}, "最多还能发 2 件"),
    ({"kind": "merchant", "items": {999999: 1}}, "订单中没有该商品"),
])
def test_ship_refusals_change_nothing(session, kwargs, message):
    order = make_order(session)
    if kwargs.get("courier_id") in ("sf", "ems"):
        kwargs["courier_id"] = session.info[kwargs["courier_id"]].id
    if kwargs.get("items") and "first" in kwargs["items"]:
        kwargs["items"] = {order.items[0].id: kwargs["items"]["first"]}
    with pytest.raises(FulfilmentError, match=message):
        shipping.ship(session, order, **kwargs)
    session.rollback()
    assert session.get(Order, order.id).status == "awaiting_shipment"
    assert all(i.shipped_quantity == 0 for i in session.get(Order, order.id).items)


def test_ship_refuses_other_states(session):
    with pytest.raises(FulfilmentError, match="订单当前状态为「未付款」，不能发货"):
        shipping.ship(session, make_order(session, status="unpaid"), kind="merchant")
    with pytest.raises(FulfilmentError, match="订单当前状态为「退单申请」，不能发货"):
        shipping.ship(session, make_order(session, status="cancel_requested"), kind="merchant")


def test_batch_rows_each_on_their_own(session):
    good = make_order(session)
    shipped = make_order(session, status="shipped")
    closed = make_order(session, status="closed")
    rows = [(1, ["订单编号", "物流公司", "运单号"]),
            (2, [good.order_no, "顺丰速运", "SF200"]),
            (3, [shipped.order_no, "顺丰速运", "SF201"]),
            (4, ["NOPE", "顺丰速运", "SF202"]),
            (5, [closed.order_no, "顺丰速运", "SF203"]),
            (6, [good.order_no, "邮政 EMS", "EMS1"]),
            (7, ["", "顺丰速运", "SF204"])]
    outcomes = shipping.ship_rows(session, rows)
    session.commit()
    assert [(o.row_number, o.ok, o.reason) for o in outcomes] == [
        (2, True, None), (3, False, "订单已发货"), (4, False, "订单不存在"),
        (5, False, "订单当前状态为「已关闭」，不能发货"), (6, False, "订单已发货"),
        (7, False, "订单编号不能为空")]
    assert session.get(Order, good.id).status == "shipped"
    with pytest.raises(FulfilmentError, match="缺少列：运单号"):
        shipping.parse_batch_header(["订单号", "快递公司"])


# -- refunds ------------------------------------------------------------------------------------
def test_refund_larger_than_paid_is_refused(session):
    order = make_order(session, payment="cod", status="completed")
    with pytest.raises(FulfilmentError) as err:
        refund.create_refund(session, order, amount="25.01")
    assert "退款金额 25.01 元超过可退金额 25.00 元（实付 25.00 元）" in str(err.value)
    first = refund.create_refund(session, order, amount="20.00", reason="部分退款")
    assert first.status == "succeeded"  # 货到付款: offline
    with pytest.raises(FulfilmentError, match="超过可退金额 5.00 元"):
        refund.create_refund(session, order, amount="6")
    for bad in ("-1", "abc", "1.005"):
        with pytest.raises(FulfilmentError, match="请输入正确的退款金额"):
            refund.create_refund(session, order, amount=bad)
    with pytest.raises(FulfilmentError, match="订单未付款"):
        refund.create_refund(session, make_order(session, status="unpaid"))


def test_stored_value_refund_is_idempotent_per_refund(session):
    order = make_order(session, payment="stored_value")
    card = stored_value.issue_card(session, session.info["member"])
    row = refund.create_refund(session, order, amount="5.00")
    session.commit()
    assert card.balance == Decimal("5.00") and row.status == "succeeded"
    assert stored_value.balance_ledger_sum(session, card.id) == Decimal("5.00")


def test_wechat_refund_states(session):
    order = make_order(session)
    row = refund.create_refund(session, order)
    session.commit()
    assert (row.status, row.amount, len(row.out_refund_no)) == ("pending", Decimal("25.00"), 28)
    claimed = refund.start_attempt(session, row.id)
    assert claimed.status == "processing" and claimed.attempts == 1
    assert refund.start_attempt(session, row.id) is None  # one worker at a time
    refund.record_failure(session, claimed, message="商户号余额不足", advice="请充值", code="X")
    assert claimed.status == "failed" and "重试退款" in claimed.error_advice
    refund.retry(session, claimed)
    assert claimed.status == "pending"
    with pytest.raises(FulfilmentError, match="只有退款失败的微信支付退款可以重试"):
        refund.retry(session, claimed)
    refund.record_success(session, refund.start_attempt(session, row.id), "5030X")
    assert (claimed.status, claimed.attempts, claimed.wechat_refund_id) == ("succeeded", 2,
                                                                            "5030X")


def test_cancel_order_refunds_and_closes(session):
    order = make_order(session, payment="cod")
    _order, row = refund.cancel_order(session, order, refund=True, reason="缺货")
    assert order.status == "closed" and row is None  # 货到付款: the cancellation is the refund
    with pytest.raises(FulfilmentError, match="请填写退单原因"):
        refund.cancel_order(session, make_order(session), refund=False, reason=" ")
    with pytest.raises(FulfilmentError, match="订单当前状态为「已发货」，不能退单"):
        refund.cancel_order(session, make_order(session, status="shipped"), refund=True,
                            reason="x")


# -- after-sales --------------------------------------------------------------------------------
def test_item_refundable_takes_the_discount_share(session):
    order = make_order(session, status="shipped", lines=((3, "10.00", "3.00"),))
    assert after_sale.item_refundable(order.items[0], 1) == Decimal("9.00")
    assert after_sale.item_refundable(order.items[0], 3) == Decimal("27.00")


def test_after_sale_steps_and_refusals(session):
    order = make_order(session, status="shipped", payment="cod")
    member = session.info["member"]
    item = order.items[0]
    row = after_sale.apply(session, member=member, order=order, order_item_id=item.id,
                           type="return_refund", quantity=2, reason="坏了")
    with pytest.raises(FulfilmentError, match="售后单当前状态为「待审核」，不能确认收货并退款"):
        after_sale.confirm_and_refund(session, row)
    with pytest.raises(FulfilmentError, match="请填写退货地址"):
        after_sale.agree(session, row)
    after_sale.agree(session, row, return_address="杭州仓")
    after_sale.submit_return(session, row, courier="顺丰", waybill_no="SF300")
    after_sale.confirm_and_refund(session, row)
    session.commit()
    assert row.status == "completed"
    assert session.get(Refund, row.refund_id).amount == Decimal("20.00")
    assert session.get(OrderItem, item.id).refunded_quantity == 2
    with pytest.raises(FulfilmentError, match="最多可申请 0 件"):
        after_sale.apply(session, member=member, order=order, order_item_id=item.id,
                         type="refund_only", quantity=1, reason="再退")
    with pytest.raises(FulfilmentError, match="请选择售后类型"):
        after_sale.apply(session, member=member, order=order, order_item_id=item.id,
                         type="gift", quantity=1, reason="x")
    other = members.create_member(session, nickname="别人", phone="13900001111")
    with pytest.raises(FulfilmentError, match="订单不存在"):
        after_sale.apply(session, member=other, order=order, order_item_id=item.id,
                         type="refund_only", quantity=1, reason="x")
    assert session.execute(select(AfterSale)).scalars().all() == [row]


# -- verification -------------------------------------------------------------------------------
def test_verify_once_and_stats(session):
    order = make_order(session, delivery="pickup")
    staff_id = _staff(session)
    code = order.verification_code
    record = verification.verify(session, code=f"MDV:{code[:4]} {code[4:]}",
                                 staff_id=staff_id, staff_name="李核销",
                                 at=datetime(2026, 5, 3, 10, 0))
    session.commit()
    assert session.get(Order, order.id).status == "completed"
    with pytest.raises(verification.AlreadyVerified) as err:
        verification.verify(session, code=code, staff_id=staff_id, staff_name="别人")
    assert "该订单已核销（核销时间：2026-05-03 10:00:00，核销人：李核销）" in str(err.value)
    session.rollback()
    with pytest.raises(FulfilmentError, match="订单不存在"):
        verification.verify(session, code="999999999999", staff_id=staff_id, staff_name="x")
    with pytest.raises(FulfilmentError, match="不是到店自提订单"):
        courier_order = make_order(session)
        courier_order.verification_code = "123412341234"
        session.commit()
        verification.verify(session, code="123412341234", staff_id=staff_id, staff_name="x")
    session.rollback()
    data = verification.stats(session, month=date(2026, 5, 1), today=date(2026, 5, 3))
    assert data["total"] == (1, Decimal("25.00")) == data["today"] == data["month"]
    assert len(data["days"]) == 31
    assert data["days"][2] == {"day": date(2026, 5, 3), "count": 1, "amount": Decimal("25.00")}
    assert data["per_staff"] == [{"staff_id": staff_id, "name": "李核销", "count": 1,
                                  "amount": Decimal("25.00")}]
    assert verification.stats(session, month=date(2026, 5, 1), today=date(2026, 5, 3),
                              staff_id=staff_id + 1)["total"] == (0, Decimal("0.00"))
    assert record.id == session.execute(select(VerificationRecord.id)).scalar()


def test_parse_month_and_codes():
    today = date(2026, 11, 28)
    assert verification.parse_month("2026-02", today) == date(2026, 2, 1)
    for bad in ("", "abc", "2026-13", "1999-01", "2026-1-1"):
        assert verification.parse_month(bad, today) == date(2026, 11, 1)
    assert verification.normalise_code(" 1234-5678 ") == "12345678"
    assert verification.normalise_code("https://shop.example/v?code=ABCD1234") == "ABCD1234"


def _staff(session):
    from app.models.merchant import StaffUser

    with platform_scope():
        user = StaffUser(username="staff-u", email="staff-u@example.test", first_name="李",
                         last_name="核销", password="x", active=True,
                         merchant_id=session.info["shop"].merchant_id)
        session.add(user)
        session.commit()
        return user.id
