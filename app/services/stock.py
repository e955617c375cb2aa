"""Stock (库存): every change is one conditional UPDATE plus a stock ledger row.

Never read, subtract in Python and write back: two buyers would both see the last unit.
``change_stock`` lets the database decide (``stock + delta >= 0`` in the WHERE clause) and
checks the rowcount; ``set_stock`` is a compare-and-set on the value it read. Both write
the ledger row (who, delta, balance after, reason, order reference, idempotency key) in the
caller's transaction; the caller commits. Works the same on SQLite, PostgreSQL and MariaDB.
"""
from sqlalchemy import select, update

from app.models.catalog import Product, Sku, StockLedger
from app.services.errors import N_, BusinessError

SET_STOCK_RETRIES = 5


class StockError(BusinessError):
    """A stock change was refused (code ``insufficient``, ``invalid`` or ``conflict``)."""


def _ledger(session, sku, delta, balance_after, reason, order_ref, idempotency_key,
            operator_id):
    row = StockLedger(merchant_id=sku.merchant_id, sku_id=sku.id, product_id=sku.product_id,
                      delta=delta, balance_after=balance_after, reason=reason[:40],
                      order_ref=order_ref, idempotency_key=idempotency_key,
                      operator_id=operator_id)
    session.add(row)
    session.flush()
    return row


def _existing(session, sku, idempotency_key):
    if not idempotency_key:
        return None
    return session.execute(
        select(StockLedger).where(StockLedger.merchant_id == sku.merchant_id,
                                  StockLedger.idempotency_key == idempotency_key)
    ).scalar_one_or_none()


def change_stock(session, sku, delta, reason, order_ref=None, idempotency_key=None,
                 operator_id=None):
    """Add ``delta`` (negative to take) to a SKU's stock, never below zero; returns the
    ledger row. A repeated ``idempotency_key`` returns the first change's row unchanged."""
    delta = int(delta)
    if delta == 0:
        raise StockError(N_("库存变动数量不能为 0"), code="invalid")
    done = _existing(session, sku, idempotency_key)
    if done is not None:
        return done
    table = Sku.__table__
    result = session.execute(
        update(table)
        .where(table.c.id == sku.id, table.c.merchant_id == sku.merchant_id,
               table.c.stock + delta >= 0)
        .values(stock=table.c.stock + delta))
    if result.rowcount != 1:
        raise StockError(N_("库存不足"), code="insufficient")
    products = Product.__table__
    session.execute(update(products).where(products.c.id == sku.product_id)
                    .values(stock=products.c.stock + delta))
    balance = session.execute(select(table.c.stock).where(table.c.id == sku.id)).scalar_one()
    session.expire(sku, ["stock"])
    return _ledger(session, sku, delta, balance, reason, order_ref, idempotency_key,
                   operator_id)


def set_stock(session, sku, target, reason, operator_id=None):
    """Set a SKU's stock to ``target`` (重置库存): compare-and-set on the value read, so a
    concurrent sale is never overwritten; returns the ledger row, or None when unchanged."""
    target = int(target)
    if target < 0:
        raise StockError(N_("库存不能小于 0"), code="invalid")
    table = Sku.__table__
    products = Product.__table__
    for _attempt in range(SET_STOCK_RETRIES):
        current = session.execute(select(table.c.stock).where(table.c.id == sku.id)
                                  ).scalar_one()
        if current == target:
            return None
        result = session.execute(
            update(table).where(table.c.id == sku.id, table.c.merchant_id == sku.merchant_id,
                                table.c.stock == current).values(stock=target))
        if result.rowcount == 1:
            session.execute(update(products).where(products.c.id == sku.product_id)
                            .values(stock=products.c.stock + (target - current)))
            session.expire(sku, ["stock"])
            return _ledger(session, sku, target - current, target, reason, None, None,
                           operator_id)
    raise StockError(N_("库存正在被其他操作修改，请稍后重试"), code="conflict")


def record_opening_stock(session, skus, reason, operator_id=None):
    """Ledger rows for SKUs that were inserted with their opening stock (an INSERT, not a
    change: nobody can have sold from a row that did not exist). Call after the flush that
    inserted them, in the same transaction; one flush for any number of SKUs (imports)."""
    rows = [StockLedger(merchant_id=s.merchant_id, sku_id=s.id, product_id=s.product_id,
                        delta=s.stock, balance_after=s.stock, reason=reason[:40],
                        operator_id=operator_id) for s in skus if s.stock]
    session.add_all(rows)
    session.flush()
    return rows
