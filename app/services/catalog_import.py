"""商品导入: write validated rows with bulk INSERTs (products, their default SKU and the
opening stock ledger rows), in chunks, in the caller's transaction.

The rows were validated first (all or nothing); each carries ``merchant_id`` stamped by
the view. Core INSERTs skip the ORM tenant guard and the per-row audit, so the merchant
is written into every row here and the view writes ONE audit entry for the import.
Product and SKU ids come back by ``INSERT ... RETURNING`` in parameter order where
SQLAlchemy can batch it (PostgreSQL), from the consecutive rowids of an executemany on
SQLite, and otherwise (MySQL/MariaDB) from one INSERT per row.
"""
from sqlalchemy import insert

from app.models.base import china_now
from app.models.catalog import Product, Sku, StockLedger
from app.services.errors import N_

CHUNK = 1000


class ImportWriteError(Exception):
    """The rows could not be written as expected; the caller rolls back."""

IMPORT_REASON = N_("导入")
# Columns the database would fill from Python-side defaults: given once here so every row
# of an executemany has the same keys.
PRODUCT_DEFAULTS = {
    "product_type": "normal", "goods_kind": "physical", "delivery": "express",
    "free_shipping": True, "weight": 0, "timed_sale": False, "real_name_required": False,
    "points_earned": 0, "initial_sales": 0, "stock_strategy": "on_payment",
    "bargain_multiple": False, "original_price": 0, "price": 0, "cost_price": 0,
    "stock": 0, "status": "off_shelf",
}
PRODUCT_COLUMNS = ("name", "code", "summary", "description", "image_urls")


def _returning_in_order(session):
    """Can one statement insert many rows and return their ids in parameter order, in
    batches? PostgreSQL: yes. SQLite has RETURNING but SQLAlchemy then sends one row per
    batch, so SQLite takes the rowid path below instead."""
    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        return False
    return bool(getattr(dialect, "insert_executemany_returning_sort_by_parameter_order",
                        False)) and dialect.insertmanyvalues_implicit_sentinel


def _contiguous_rowids(session):
    """SQLite: the transaction holds the database's write lock from its first INSERT, so
    an executemany's rows get consecutive rowids (max + 1 each) in parameter order."""
    return session.get_bind().dialect.name == "sqlite"


def insert_products(session, rows, operator_id=None):
    """Insert the imported products (dicts of Product columns with ``merchant_id``), one
    default SKU each and a ledger row for every opening stock; returns the new ids."""
    now = china_now()
    products = []
    for row in rows:
        values = dict(PRODUCT_DEFAULTS, created_at=now)
        values.update({k: v for k, v in row.items() if v is not None})
        for name in PRODUCT_COLUMNS:
            values.setdefault(name, None)
        values["status"] = "off_shelf"
        products.append(values)
    ordered = _returning_in_order(session)
    rowids = not ordered and _contiguous_rowids(session)
    ids = []
    for start in range(0, len(products), CHUNK):
        part = products[start:start + CHUNK]
        if ordered:
            ids += _insert_chunk(session, part, operator_id, now)
        elif rowids:
            ids += _insert_chunk_sqlite(session, part, operator_id, now)
        else:
            ids += _insert_chunk_one_by_one(session, part, operator_id, now)
    return ids


def _insert_chunk(session, part, operator_id, now):
    table, sku_table = Product.__table__, Sku.__table__
    product_ids = session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), part
    ).scalars().all()
    skus = [dict(merchant_id=p["merchant_id"], product_id=pid, spec_key="", spec_text="",
                 price=p["price"], stock=p["stock"], code=p.get("code"), retired=False)
            for p, pid in zip(part, product_ids)]
    sku_ids = session.execute(
        insert(sku_table).returning(sku_table.c.id, sort_by_parameter_order=True), skus
    ).scalars().all()
    _ledger(session, [(s, sid) for s, sid in zip(skus, sku_ids)], operator_id, now)
    return product_ids


def _insert_many(session, table, rows):
    """executemany, then the ids it assigned (SQLite: consecutive, see above), checked."""
    from sqlalchemy import func, select

    session.execute(insert(table), rows)
    last = session.execute(select(func.max(table.c.id))).scalar()
    first = last - len(rows) + 1
    mine = session.execute(select(func.count()).select_from(table).where(
        table.c.id.between(first, last), table.c.merchant_id == rows[0]["merchant_id"])
    ).scalar()
    if mine != len(rows):
        raise ImportWriteError("inserted rows did not get consecutive ids")
    return list(range(first, last + 1))


def _insert_chunk_sqlite(session, part, operator_id, now):
    product_ids = _insert_many(session, Product.__table__, part)
    skus = [dict(merchant_id=p["merchant_id"], product_id=pid, spec_key="", spec_text="",
                 price=p["price"], stock=p["stock"], code=p.get("code"), retired=False)
            for p, pid in zip(part, product_ids)]
    sku_ids = _insert_many(session, Sku.__table__, skus)
    _ledger(session, list(zip(skus, sku_ids)), operator_id, now)
    return product_ids


def _insert_chunk_one_by_one(session, part, operator_id, now):
    """Without RETURNING in order: each row's own INSERT gives its id (slower, same rows)."""
    table, sku_table = Product.__table__, Sku.__table__
    product_ids, skus = [], []
    for values in part:
        pid = session.execute(insert(table).values(values)).inserted_primary_key[0]
        sku = dict(merchant_id=values["merchant_id"], product_id=pid, spec_key="",
                   spec_text="", price=values["price"], stock=values["stock"],
                   code=values.get("code"), retired=False)
        skus.append((sku, session.execute(insert(sku_table).values(sku)
                                          ).inserted_primary_key[0]))
        product_ids.append(pid)
    _ledger(session, skus, operator_id, now)
    return product_ids


def _ledger(session, skus, operator_id, now):
    rows = [dict(merchant_id=s["merchant_id"], sku_id=sid, product_id=s["product_id"],
                 delta=s["stock"], balance_after=s["stock"], reason=IMPORT_REASON,
                 order_ref=None, idempotency_key=None, operator_id=operator_id,
                 created_at=now) for s, sid in skus if s["stock"]]
    if rows:
        session.execute(insert(StockLedger.__table__), rows)
