"""售后 of a 积分+现金 line: the cash goes back by the payment method and the line's points
go back through the points ledger in proportion to the units refunded, once per after-sale
(key ``after_sale:<id>:points``); the refunds of a line return exactly the points paid, a
retry returns nothing more, closing the order afterwards returns only the rest, and a
cash-only line is unchanged."""
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.tenancy import tenant_scope
from tests.conftest import merchant_id
from tests.views.order_fixtures import auth, make_product, new_member, order_row, place

A = "鲜果时光"


def _scope(app):
    return tenant_scope(merchant_id(app, A))


def _give_points(app, member_id, points):
    from app.models.member import Member
    from app.services import points as points_service

    with app.app_context(), _scope(app):
        points_service.change_points(db.session, db.session.get(Member, member_id), points,
                                     "测试积分", "admin", f"test-as-points-{member_id}")
        db.session.commit()


def _card(app, member_id, amount):
    from app.models.member import Member
    from app.services import stored_value

    with app.app_context(), _scope(app):
        card = stored_value.issue_card(db.session, db.session.get(Member, member_id))
        stored_value.recharge(db.session, card, amount, reason="测试充值")
        db.session.commit()
        return card.id


def _state(app, member_id, card_id):
    """(points, ledger sum, card balance)."""
    from app.models.member import Member, StoredValueCard
    from app.services.points import ledger_sum

    with app.app_context(), _scope(app):
        member = db.session.get(Member, member_id)
        return (member.points, ledger_sum(db.session, member_id),
                db.session.get(StoredValueCard, card_id).balance)


def _apply_and_agree(app, client, owner, token, order_no, item_id, quantity):
    response = client.post(f"/api/v1/orders/{order_no}/after-sales", headers=auth(token),
                           json={"order_item_id": item_id, "type": "refund_only",
                                 "quantity": quantity, "reason": "不想要了"})
    assert response.status_code == 201, response.get_json()
    number = response.get_json()["after_sale_no"]
    from app.models.fulfilment import AfterSale

    with app.app_context(), _scope(app):
        pk = db.session.execute(select(AfterSale.id).where(
            AfterSale.after_sale_no == number)).scalar()
    agreed = owner.post(f"/aftersaleview/handle/{pk}", data={
        "op": "agree", "csrf_token": owner.csrf("/fulfilment/batch/")})
    assert agreed.status_code == 302
    return pk, number


def _points_plus_cash_order(app, client, phone, quantity=3):
    _pid, sku = make_product(app, product_type="points", points_price=300, points_cash="9.90",
                             price="50.00", stock=10, strategy="on_order")
    member_id, token = new_member(app, phone=phone)
    _give_points(app, member_id, 1000)
    card = _card(app, member_id, "100")
    placed = place(client, app, token, [(sku, quantity)], payment_method="stored_value")
    assert placed.status_code == 201, placed.get_json()
    order_no = placed.get_json()["order_no"]
    paid = client.post(f"/api/v1/orders/{order_no}/pay", headers=auth(token))
    assert paid.status_code == 200, paid.get_json()
    from app.models.order import OrderItem

    with app.app_context(), _scope(app):
        item = db.session.execute(select(OrderItem).where(
            OrderItem.order_id == order_row(app, order_no)["id"])).scalar_one()
        assert item.points_paid == 300 * quantity  # the line's points snapshot
        item_id = item.id
    return member_id, token, card, order_no, item_id


def test_partial_then_remaining_refund_returns_exactly_the_points_paid(app, client, login_as):
    from app.models.fulfilment import AfterSale, Refund
    from app.models.member import PointsLedger
    from app.services import after_sale as service

    member_id, token, card, order_no, item_id = _points_plus_cash_order(
        app, client, "13744000001")
    start = _state(app, member_id, card)
    assert start[:2] == (100, 100)  # 1000 - 900 taken at placement
    owner = login_as("owner_a")

    first, first_no = _apply_and_agree(app, client, owner, token, order_no, item_id, 1)
    assert _state(app, member_id, card) == (400, 400, start[2] + Decimal("9.90"))
    with app.app_context(), _scope(app):
        row = db.session.execute(select(PointsLedger).where(
            PointsLedger.idempotency_key == f"after_sale:{first}:points")).scalar_one()
        assert (row.delta, row.ref, row.source) == (300, first_no, "order_refund")
        refund = db.session.get(Refund, db.session.get(AfterSale, first).refund_id)
        assert (refund.points, refund.amount) == (300, Decimal("9.90"))

    # A retried refund of the same after-sale returns nothing more.
    with app.app_context(), _scope(app):
        again = db.session.get(AfterSale, first)
        service._refund(db.session, again, None)
        db.session.commit()
        from app.models.order import Order, OrderItem

        item = db.session.get(OrderItem, item_id)
        order = db.session.get(Order, item.order_id)
        assert service.points_to_return(db.session, order, item, again, 3) == 0
    assert _state(app, member_id, card)[:2] == (400, 400)

    _apply_and_agree(app, client, owner, token, order_no, item_id, 2)
    points, ledger, balance = _state(app, member_id, card)
    assert (points, ledger) == (1000, 1000)  # 300 + 600: exactly the 900 paid
    assert balance == start[2] + Decimal("29.70")
    with app.app_context(), _scope(app):
        returned = db.session.execute(select(func.sum(PointsLedger.delta)).where(
            PointsLedger.member_id == member_id,
            PointsLedger.idempotency_key.like("after_sale:%"))).scalar()
        assert returned == 900


def test_closing_after_a_partial_refund_returns_only_the_rest(app, client, login_as):
    member_id, token, card, order_no, item_id = _points_plus_cash_order(
        app, client, "13744000002", quantity=2)
    owner = login_as("owner_a")
    _apply_and_agree(app, client, owner, token, order_no, item_id, 1)
    assert _state(app, member_id, card)[:2] == (700, 700)  # 1000 - 600 + 300
    order_id = order_row(app, order_no)["id"]
    url = f"/fulfilment/order/{order_id}/cancel"
    done = owner.post(url, data={"csrf_token": owner.csrf(url), "mode": "refund",
                                 "reason": "缺货"})
    assert done.status_code == 302
    assert order_row(app, order_no)["status"] == "closed"
    assert _state(app, member_id, card)[:2] == (1000, 1000)  # not 1300


def test_rounding_floors_each_share_and_the_last_refund_returns_the_remainder():
    """A line of 3 units bought with 10 points, refunded one unit at a time: 3, 3, then the
    remaining 4; two units then one: 6, then 4. Always 10 in all."""
    from app.services.after_sale import points_share

    for steps in ((1, 1, 1), (2, 1), (1, 2), (3,)):
        returned, refunded, shares = 0, 0, []
        for units in steps:
            refunded += units
            share = points_share(10, 3, refunded, returned)
            shares.append(share)
            returned += share
        assert returned == 10, steps
        assert shares[:-1] == [10 * sum(steps[:i + 1]) // 3 - 10 * sum(steps[:i]) // 3
                               for i in range(len(steps) - 1)]
    assert [points_share(10, 3, r, 0) for r in (1, 2, 3)] == [3, 6, 10]
    assert points_share(10, 3, 3, 10) == 0  # all returned: nothing more
    assert points_share(0, 3, 1, 0) == 0  # a cash-only line


def test_cash_only_line_is_unchanged(app, client, login_as):
    from app.models.member import Member, PointsLedger

    _pid, sku = make_product(app, price="20.00", stock=10)
    member_id, token = new_member(app, phone="13744000003")
    card = _card(app, member_id, "100")
    placed = place(client, app, token, [(sku, 2)], payment_method="stored_value")
    assert placed.status_code == 201, placed.get_json()
    order_no = placed.get_json()["order_no"]
    assert client.post(f"/api/v1/orders/{order_no}/pay", headers=auth(token)).status_code == 200
    from app.models.order import OrderItem

    with app.app_context(), _scope(app):
        item_id = db.session.execute(select(OrderItem.id).where(
            OrderItem.order_id == order_row(app, order_no)["id"])).scalar_one()
        before = db.session.get(Member, member_id).points
    owner = login_as("owner_a")
    start = _state(app, member_id, card)
    _apply_and_agree(app, client, owner, token, order_no, item_id, 1)
    points, ledger, balance = _state(app, member_id, card)
    assert (points, ledger) == (before, before) and balance == start[2] + Decimal("20.00")
    with app.app_context(), _scope(app):
        assert db.session.execute(select(PointsLedger.id).where(
            PointsLedger.member_id == member_id,
            PointsLedger.idempotency_key.like("after_sale:%"))).first() is None


def test_two_applications_for_one_line_at_the_same_moment_open_one_after_sale(app, client):
    """A double tap on 申请售后: two applications for the same line at the same moment open
    exactly one 售后; the other is told one is already in progress."""
    import threading

    import pytest

    from app.models.fulfilment import AfterSale
    from app.models.member import Member
    from app.models.order import Order
    from app.services import after_sale as service
    from app.services.errors import BusinessError

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serializes writers: concurrency runs on PostgreSQL and MariaDB")
    member_id, _token, _card, order_no, item_id = _points_plus_cash_order(
        app, client, "13744000004")
    order_id = order_row(app, order_no)["id"]
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def run(i):
        with app.app_context(), _scope(app):
            try:
                order = db.session.get(Order, order_id)  # the first read: the snapshot
                member = db.session.get(Member, member_id)
                barrier.wait()
                service.apply(db.session, member=member, order=order, order_item_id=item_id,
                              type="refund_only", quantity=1, reason="点了两次")
                db.session.commit()
                outcomes[i] = "ok"
            except BusinessError as exc:
                db.session.rollback()
                outcomes[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                outcomes[i] = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["busy", "ok"], outcomes
    with app.app_context(), _scope(app):
        assert db.session.execute(select(func.count()).select_from(AfterSale).where(
            AfterSale.order_item_id == item_id)).scalar() == 1
