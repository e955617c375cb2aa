"""Scheduled order work: unpaid orders close after N minutes (stock back), shipped orders
are confirmed after N days (completion ledgers), through `flask md order-jobs`.

The demo data holds orders of the last 60 days; the test orders are backdated far beyond
that and the thresholds set so that only they are due."""
from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models.base import china_now
from app.tenancy import tenant_scope
from tests.conftest import merchant_id
from tests.views.order_fixtures import make_product, new_member, order_row, place, sku_stock

A = "鲜果时光"
OLD = timedelta(days=400)
THRESHOLD_DAYS = 300


def _backdate(app, order_no, **columns):
    from app.models.order import Order

    with app.app_context(), tenant_scope(merchant_id(app, A)):
        db.session.execute(update(Order).where(Order.order_no == order_no).values(**columns))
        db.session.commit()


def _ship(app, order_no):
    from app.models.order import Order
    from app.services import order as orders

    with app.app_context(), tenant_scope(merchant_id(app, A)):
        order = db.session.execute(select(Order).where(Order.order_no == order_no)).scalar()
        orders.mark_paid(db.session, order, payment_no="4200test")
        orders.mark_shipped(db.session, order, partial=False)
        db.session.commit()


def test_order_jobs_close_unpaid_and_confirm_shipped(app, client):
    _pid, sku = make_product(app, strategy="on_order", stock=5)
    _mid, token = new_member(app)
    unpaid = place(client, app, token, [(sku, 2)]).get_json()["order_no"]
    shipped = place(client, app, token, [(sku, 1)]).get_json()["order_no"]
    fresh = place(client, app, token, [(sku, 1)]).get_json()["order_no"]
    _ship(app, shipped)
    long_ago = china_now() - OLD
    _backdate(app, unpaid, created_at=long_ago)
    _backdate(app, shipped, created_at=long_ago, shipped_at=long_ago)
    assert sku_stock(app, sku) == 1
    saved = (app.config["ORDER_UNPAID_CLOSE_MINUTES"], app.config["ORDER_AUTO_CONFIRM_DAYS"])
    app.config["ORDER_UNPAID_CLOSE_MINUTES"] = THRESHOLD_DAYS * 24 * 60
    app.config["ORDER_AUTO_CONFIRM_DAYS"] = THRESHOLD_DAYS
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["md", "order-jobs"])
        assert result.exit_code == 0, result.output
        assert "closed 1 unpaid orders, confirmed 1 shipped orders" in result.output
        again = runner.invoke(args=["md", "order-jobs"])
        assert "closed 0 unpaid orders, confirmed 0 shipped orders" in again.output
    finally:
        app.config["ORDER_UNPAID_CLOSE_MINUTES"], app.config["ORDER_AUTO_CONFIRM_DAYS"] = saved
    closed = order_row(app, unpaid)
    assert closed["status"] == "closed" and "系统自动关闭" in closed["close_reason"]
    assert sku_stock(app, sku) == 3  # the closed order's 2 units are back
    done = order_row(app, shipped)
    assert done["status"] == "completed" and "自动确认收货" in done["logs"][-1][3]
    assert order_row(app, fresh)["status"] == "unpaid"


def test_order_job_can_be_queued(app):
    """Without Redis the queue runs the job in-process (app/workers/queue.py)."""
    runner = app.test_cli_runner()
    saved = app.config["ORDER_UNPAID_CLOSE_MINUTES"], app.config["ORDER_AUTO_CONFIRM_DAYS"]
    app.config["ORDER_UNPAID_CLOSE_MINUTES"] = THRESHOLD_DAYS * 24 * 60
    app.config["ORDER_AUTO_CONFIRM_DAYS"] = THRESHOLD_DAYS
    try:
        result = runner.invoke(args=["md", "order-jobs", "--queue"])
    finally:
        app.config["ORDER_UNPAID_CLOSE_MINUTES"], app.config["ORDER_AUTO_CONFIRM_DAYS"] = saved
    assert result.exit_code == 0 and "order jobs enqueued" in result.output
