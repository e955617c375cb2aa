"""The stock service: conditional UPDATE plus a ledger row, idempotency keys, and no
overselling under concurrency (PostgreSQL and MariaDB; SQLite serialises writers)."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from tests.conftest import merchant_id


def _new_sku(app, mid, stock):
    from app.extensions import db
    from app.models.catalog import Product, Sku
    from app.services.stock import change_stock
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(mid):
        product = Product(merchant_id=mid, name="并发测试商品", price=1)
        sku = Sku(merchant_id=mid, product=product, spec_key="", price=1)
        db.session.add(product)
        db.session.flush()
        if stock:
            change_stock(db.session, sku, stock, "初始库存")
        db.session.commit()
        return sku.id, product.id


def _state(app, mid, sku_id):
    from app.extensions import db
    from app.models.catalog import Product, Sku, StockLedger
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(mid):
        db.session.expire_all()
        sku = db.session.get(Sku, sku_id)
        product = db.session.get(Product, sku.product_id)
        ledger = db.session.execute(select(StockLedger).where(StockLedger.sku_id == sku_id)
                                    .order_by(StockLedger.id)).scalars().all()
        return sku.stock, product.stock, [(r.delta, r.balance_after, r.reason, r.order_ref)
                                          for r in ledger]


def test_change_stock_refuses_overselling_and_writes_the_ledger(app):
    from app.extensions import db
    from app.models.catalog import Sku
    from app.services.stock import StockError, change_stock, set_stock
    from app.tenancy import tenant_scope

    mid = merchant_id(app, "鲜果时光")
    sku_id, _pid = _new_sku(app, mid, 3)
    with app.app_context(), tenant_scope(mid):
        sku = db.session.get(Sku, sku_id)
        change_stock(db.session, sku, -2, "下单", order_ref="O1", idempotency_key="O1-1")
        with pytest.raises(StockError) as refused:
            change_stock(db.session, sku, -2, "下单", order_ref="O2", idempotency_key="O2-1")
        assert refused.value.code == "insufficient"
        again = change_stock(db.session, sku, -2, "下单", order_ref="O1", idempotency_key="O1-1")
        assert again.delta == -2  # the first change, not a second one
        set_stock(db.session, sku, 9, "盘点")
        with pytest.raises(StockError):
            set_stock(db.session, sku, -1, "盘点")
        db.session.commit()
    assert _state(app, mid, sku_id) == (9, 9, [(3, 3, "初始库存", None), (-2, 1, "下单", "O1"),
                                              (8, 9, "盘点", None)])


def test_100_parallel_purchases_of_10_in_stock_sell_exactly_10(app):
    from app.extensions import db
    from app.models.catalog import Sku, StockLedger
    from app.services.stock import StockError, change_stock
    from app.tenancy import tenant_scope

    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        pytest.skip("concurrency test: runs on PostgreSQL and MariaDB (CI); SQLite "
                    "serialises all writers")
    mid = merchant_id(app, "鲜果时光")
    sku_id, _pid = _new_sku(app, mid, 10)
    engine = create_engine(url, pool_size=20, max_overflow=0)
    start = threading.Barrier(20)

    def purchase(n):
        if n < 20:
            start.wait(timeout=30)
        with tenant_scope(mid), Session(engine) as session:
            sku = session.get(Sku, sku_id)
            try:
                change_stock(session, sku, -1, "下单", order_ref=f"O{n}",
                             idempotency_key=f"buy-{sku_id}-{n}")
                session.commit()
                return True
            except StockError:
                session.rollback()
                return False

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(purchase, range(100)))
    finally:
        engine.dispose()
    assert results.count(True) == 10
    sku_stock, product_stock, ledger = _state(app, mid, sku_id)
    assert (sku_stock, product_stock) == (0, 0)
    sales = [row for row in ledger if row[2] == "下单"]
    assert len(sales) == 10
    assert sorted(row[1] for row in sales) == list(range(10))
    with app.app_context(), tenant_scope(mid):
        total = db.session.execute(select(func.sum(StockLedger.delta)).where(
            StockLedger.sku_id == sku_id)).scalar()
    assert total == 0  # the balance rebuilds from the ledger
