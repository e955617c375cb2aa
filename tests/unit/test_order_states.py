"""The order state machine on a bare SQLite database (no Flask app): every transition
function against every state; an illegal move is refused with a Chinese message naming the
current state, changes nothing and logs nothing."""
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.merchant import Merchant
from app.models.order import Order, OrderLog
from app.models.shop import Shop
from app.services import member as members
from app.services import order as orders
from app.tenancy import platform_scope, tenant_scope

LABELS = {"unpaid": "未付款", "awaiting_shipment": "待发货", "shipped": "已发货",
          "completed": "已完成", "closed": "已关闭", "cancel_requested": "退单申请"}


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
            s.info["merchant_id"] = merchant.id
        with tenant_scope(merchant.id):
            shop = Shop(name="测试商城")
            s.add(shop)
            s.flush()
            s.info["shop"] = shop
            s.info["member"] = members.create_member(s, nickname="买家", phone="13912345678")
            s.commit()
            yield s
    engine.dispose()


_seq = iter(range(1, 10 ** 6))


def make_order(session, status, logistics="not_shipped", delivery="courier", payment="wechat"):
    order = Order(order_no=f"T{next(_seq):08d}", shop_id=session.info["shop"].id,
                  member_id=session.info["member"].id, status=status,
                  logistics_status=logistics, payment_method=payment,
                  delivery_method=delivery, goods_total=Decimal("100"),
                  paid_amount=Decimal("100"), status_before_cancel=(
                      "awaiting_shipment" if status == "cancel_requested" else None))
    session.add(order)
    session.commit()
    return order


MOVES = {
    "mark_paid": lambda s, o: orders.mark_paid(s, o, payment_no="4200"),
    "ship_all": lambda s, o: orders.mark_shipped(s, o, partial=False),
    "ship_part": lambda s, o: orders.mark_shipped(s, o, partial=True),
    "complete": lambda s, o: orders.complete(s, o),
    "close": lambda s, o: orders.close(s, o, reason="测试关闭"),
    "request_cancel": lambda s, o: orders.request_cancel(s, o, "不想要了"),
    "refuse_cancel": lambda s, o: orders.refuse_cancel(s, o, "已经打包"),
    "change_price": lambda s, o: orders.change_price(s, o, "88.00", "老顾客优惠"),
}
# (move, status) -> status after; every pair not listed must be refused.
ALLOWED = {
    ("mark_paid", "unpaid"): "awaiting_shipment",
    ("ship_all", "awaiting_shipment"): "shipped",
    ("ship_part", "awaiting_shipment"): "shipped",
    ("complete", "shipped"): "completed",
    ("close", "unpaid"): "closed",
    ("close", "awaiting_shipment"): "closed",
    ("close", "cancel_requested"): "closed",
    ("request_cancel", "awaiting_shipment"): "cancel_requested",
    ("refuse_cancel", "cancel_requested"): "awaiting_shipment",
    ("change_price", "unpaid"): "unpaid",
}


def _logs(session, order):
    return session.execute(select(func.count(OrderLog.id)).where(
        OrderLog.order_id == order.id)).scalar()


@pytest.mark.parametrize("status", list(LABELS))
@pytest.mark.parametrize("move", list(MOVES))
def test_transition_table(session, move, status):
    # A shipped order here is fully shipped, so shipping it again is refused.
    order = make_order(session, status, logistics="shipped" if status in (
        "shipped", "completed") else "not_shipped")
    before = _logs(session, order)
    expected = ALLOWED.get((move, status))
    if expected is None:
        with pytest.raises(orders.OrderError) as err:
            MOVES[move](session, order)
        assert f"订单当前状态为「{LABELS[status]}」" in str(err.value)
        session.rollback()
        stored = session.execute(select(Order.status).where(Order.id == order.id)).scalar()
        assert stored == status and _logs(session, order) == before
        return
    MOVES[move](session, order)
    session.commit()
    stored = session.execute(select(Order.status).where(Order.id == order.id)).scalar()
    assert stored == expected == order.status
    log = session.execute(select(OrderLog).where(OrderLog.order_id == order.id)
                          .order_by(OrderLog.id.desc())).scalars().first()
    assert (log.from_status, log.to_status) == (status, expected)


def test_partial_shipment_then_the_rest(session):
    order = make_order(session, "awaiting_shipment")
    orders.mark_shipped(session, order, partial=True)
    assert (order.status, order.logistics_status) == ("shipped", "partly_shipped")
    first = order.shipped_at
    orders.mark_shipped(session, order, partial=False)
    session.commit()
    assert (order.status, order.logistics_status) == ("shipped", "shipped")
    assert order.shipped_at == first  # the first shipment's time stays
    with pytest.raises(orders.OrderError):
        orders.mark_shipped(session, order, partial=False)


def test_signed_only_after_full_shipment(session):
    order = make_order(session, "awaiting_shipment")
    with pytest.raises(orders.OrderError) as err:
        orders.mark_signed(session, order)
    assert "待发货" in str(err.value)
    orders.mark_shipped(session, order, partial=False)
    orders.mark_signed(session, order)
    session.commit()
    assert (order.status, order.logistics_status) == ("shipped", "signed")


def test_paid_pickup_order_completes_on_verification(session):
    order = make_order(session, "awaiting_shipment", delivery="pickup")
    orders.complete(session, order, actor="核销员")
    session.commit()
    assert order.status == "completed" and order.completed_at is not None


def test_unpaid_pickup_order_cannot_be_verified(session):
    order = make_order(session, "unpaid", delivery="pickup")
    with pytest.raises(orders.OrderError) as err:
        orders.complete(session, order)
    assert "未付款" in str(err.value)


def test_refused_cancel_returns_to_previous_state(session):
    order = make_order(session, "awaiting_shipment")
    orders.request_cancel(session, order, "拍错了")
    assert (order.status, order.status_before_cancel) == ("cancel_requested", "awaiting_shipment")
    orders.refuse_cancel(session, order, "已经打包", operator_id=None)
    session.commit()
    assert order.status == "awaiting_shipment"


def test_change_price_keeps_original_and_reason(session):
    order = make_order(session, "unpaid")
    orders.change_price(session, order, "90", "议价")
    orders.change_price(session, order, "80.50", "再议价")
    session.commit()
    assert order.paid_amount == Decimal("80.50")
    assert order.original_paid_amount == Decimal("100.00")  # the first amount, not 90
    assert order.price_change_reason == "再议价"


@pytest.mark.parametrize("value,message", [("0", "必须大于 0"), ("-1", "必须大于 0"),
                                           ("1.234", "两位小数"), ("abc", "有效的金额")])
def test_change_price_rejects_bad_amounts(session, value, message):
    order = make_order(session, "unpaid")
    with pytest.raises(orders.OrderError) as err:
        orders.change_price(session, order, value, "议价")
    assert message in str(err.value) and err.value.field == "new_total"


def test_change_price_needs_a_reason(session):
    order = make_order(session, "unpaid")
    with pytest.raises(orders.OrderError) as err:
        orders.change_price(session, order, "50", "  ")
    assert "改价原因" in str(err.value)


def test_a_stale_object_loses_the_race(session):
    """Two handles on one order: the second close finds it closed and is refused."""
    order = make_order(session, "unpaid")
    other = Session(bind=session.get_bind())
    with tenant_scope(session.info["merchant_id"]):
        twin = other.get(Order, order.id)
        orders.close(other, twin, reason="超时")
        other.commit()
    with pytest.raises(orders.OrderError) as err:
        orders.close(session, order, reason="商家关闭")
    assert "已关闭" in str(err.value)
    other.close()


def test_star_and_note(session):
    order = make_order(session, "unpaid")
    orders.set_star(session, order, "red")
    orders.set_note(session, order, "周末送达")
    session.commit()
    assert (order.star_color, order.merchant_note) == ("red", "周末送达")
    with pytest.raises(orders.OrderError):
        orders.set_star(session, order, "pink")
    with pytest.raises(orders.OrderError):
        orders.set_note(session, order, "长" * 201)
