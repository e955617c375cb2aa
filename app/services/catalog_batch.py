"""商品批量操作 as set-based statements.

Each operation takes the merchant and the product ids (the view has already checked that
the current user may see them) and works chunk by chunk:

* one SELECT finds the rows to refuse (and why), so refusals are still reported per row;
* one UPDATE / INSERT / DELETE per table changes the others: ``... WHERE merchant_id = :m
  AND id IN (...)``.

Why ``merchant_id`` is written into every statement: the ORM tenant guard
(app/tenancy.py) filters SELECTs and checks objects at flush, but a Core UPDATE, INSERT
or DELETE runs past both. So these statements carry the tenant themselves, and ids of
another merchant simply match nothing.

Stock keeps its rules (app/services/stock.py): the active SKUs of a chunk are locked
(SELECT ... FOR UPDATE; SQLite serialises writers anyway), a product whose decrease
would go below zero is refused whole, the UPDATE stays conditional (``stock >= n``) with a
rowcount check, and every changed SKU gets its stock ledger row in the same transaction.

No audit rows are written here (Core statements skip the ORM's per-row audit); the view
writes ONE audit entry per batch with the counts and ids (``id_ranges``).
"""
from collections import namedtuple
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update

from app.models.catalog import Product, Sku, StockLedger, product_category_link as link
from app.services.errors import N_, BusinessError

CHUNK = 2000  # ids per statement: well under SQLite's 32,766 bound parameters
MAX_CATEGORIES = 10
NUMERIC_FIELDS = {"price": N_("售价"), "original_price": N_("原价"),
                  "stock": N_("库存"), "points_earned": N_("积分")}
MODES = ("set", "increase", "decrease")

ProductRef = namedtuple("ProductRef", "id name")


class BatchError(BusinessError):
    """The batch as a whole is invalid (unknown operation, negative amount...)."""


class StockConflict(BusinessError):
    """A conditional stock UPDATE touched fewer rows than were locked: roll back."""


@dataclass
class BatchResult:
    changed: int = 0
    changed_ids: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # [(ProductRef, Chinese reason msgid)]

    def merge(self, other):
        self.changed += other.changed
        self.changed_ids += other.changed_ids
        self.refused += other.refused
        return self

    @property
    def refused_ids(self):
        return [p.id for p, _r in self.refused]


def chunks(ids, size=CHUNK):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def id_ranges(ids, limit=4000):
    """"1-5,9,12-20": ids as compact ranges for the audit entry, cut at ``limit`` chars."""
    parts, ids = [], sorted(set(ids))
    start = prev = None
    for value in ids + [None]:
        if value is not None and prev is not None and value == prev + 1:
            prev = value
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = value
    text = ",".join(parts)
    return text if len(text) <= limit else text[:limit].rsplit(",", 1)[0] + ",…"


def _products():
    return Product.__table__


def _refs(session, merchant_id, where):
    table = _products()
    rows = session.execute(select(table.c.id, table.c.name).where(
        table.c.merchant_id == merchant_id, where).order_by(table.c.id)).all()
    return [ProductRef(r.id, r.name) for r in rows]


def _existing(session, merchant_id, ids):
    table = _products()
    return set(session.execute(select(table.c.id).where(
        table.c.merchant_id == merchant_id, table.c.id.in_(ids))).scalars())


# -- 售价 / 原价 / 积分 / 库存 ----------------------------------------------------------------
def check_amount(target, mode, amount):
    if target not in NUMERIC_FIELDS or mode not in MODES:
        raise BatchError(N_("不支持的批量操作"), code="invalid")
    if amount is None or amount < 0:
        raise BatchError(N_("数值不能为空或小于 0"), code="invalid")
    if target in ("stock", "points_earned") and amount != int(amount):
        raise BatchError(N_("库存和积分必须是整数"), code="invalid")
    return int(amount) if target in ("stock", "points_earned") else amount


def batch_adjust(session, merchant_id, ids, target, mode, amount, operator_id=None):
    """重置/增加/减少 售价、原价、库存或积分 of products ``ids``; never below zero. Products
    that would go below zero are refused and left unchanged; 售价 also moves the products'
    active SKU prices."""
    amount = check_amount(target, mode, amount)
    if target == "stock":
        return batch_stock(session, merchant_id, ids, mode, amount, operator_id)
    result = BatchResult()
    products, skus = _products(), Sku.__table__
    column = products.c[target]
    for part in chunks(ids):
        refused = []
        if mode == "decrease":
            low = column < amount
            if target == "price":
                low = or_(low, exists().where(
                    skus.c.product_id == products.c.id, skus.c.merchant_id == merchant_id,
                    skus.c.retired.is_(False), skus.c.price < amount))
            refused = _refs(session, merchant_id, and_(products.c.id.in_(part), low))
            result.refused += [(ref, N_("调整后将小于 0")) for ref in refused]
        accepted = sorted(_existing(session, merchant_id, part) - {r.id for r in refused})
        if not accepted:
            continue
        value = {"set": amount, "increase": column + amount, "decrease": column - amount}[mode]
        statement = update(products).where(products.c.merchant_id == merchant_id,
                                           products.c.id.in_(accepted))
        if mode == "decrease":
            statement = statement.where(column >= amount)
        session.execute(statement.values({target: value}))
        if target == "price":
            price = skus.c.price
            sku_value = {"set": amount, "increase": price + amount,
                         "decrease": price - amount}[mode]
            statement = update(skus).where(skus.c.merchant_id == merchant_id,
                                           skus.c.product_id.in_(accepted),
                                           skus.c.retired.is_(False))
            if mode == "decrease":
                statement = statement.where(price >= amount)
            session.execute(statement.values(price=sku_value))
        result.changed += len(accepted)
        result.changed_ids += accepted
    return result


def batch_stock(session, merchant_id, ids, mode, amount, operator_id=None,
                reason=N_("批量设置库存")):
    """库存 of every active SKU of the products: set to / increased by / decreased by
    ``amount``. A product is refused whole when it has no active SKU or when one of its
    SKUs would go below zero."""
    result = BatchResult()
    skus, products = Sku.__table__, _products()
    for part in chunks(ids):
        locked = session.execute(
            select(skus.c.id, skus.c.product_id, skus.c.stock)
            .where(skus.c.merchant_id == merchant_id, skus.c.product_id.in_(part),
                   skus.c.retired.is_(False))
            .order_by(skus.c.id).with_for_update()).all()
        by_product = {}
        for row in locked:
            by_product.setdefault(row.product_id, []).append(row)
        present = _existing(session, merchant_id, part)
        no_sku = sorted(present - set(by_product))
        short = sorted(pid for pid, rows in by_product.items()
                       if mode == "decrease" and any(r.stock < amount for r in rows))
        bad = set(no_sku) | set(short)
        if bad:
            refs = {r.id: r for r in _refs(session, merchant_id, products.c.id.in_(bad))}
            result.refused += [(refs[i], N_("商品没有可售规格")) for i in no_sku if i in refs]
            result.refused += [(refs[i], N_("库存不足，减少后将小于 0")) for i in short
                               if i in refs]
        accepted = sorted(set(by_product) - bad)
        rows = [r for pid in accepted for r in by_product[pid]]
        if mode == "set":
            rows = [r for r in rows if r.stock != amount]
            deltas = {r.id: amount - r.stock for r in rows}
        else:
            rows = rows if amount else []
            deltas = {r.id: amount if mode == "increase" else -amount for r in rows}
        if rows:
            _apply_stock(session, merchant_id, rows, mode, amount, deltas, reason,
                         operator_id)
        result.changed += len(accepted)
        result.changed_ids += accepted
    return result


def _apply_stock(session, merchant_id, rows, mode, amount, deltas, reason, operator_id):
    skus, products = Sku.__table__, _products()
    sku_ids = [r.id for r in rows]
    statement = update(skus).where(skus.c.merchant_id == merchant_id, skus.c.id.in_(sku_ids))
    if mode == "set":
        statement = statement.values(stock=amount)
    elif mode == "increase":
        statement = statement.values(stock=skus.c.stock + amount)
    else:
        statement = statement.where(skus.c.stock >= amount).values(stock=skus.c.stock - amount)
    if session.execute(statement).rowcount != len(sku_ids):
        raise StockConflict(N_("库存正在被其他操作修改，请稍后重试"), code="conflict")
    product_ids = sorted({r.product_id for r in rows})
    # The product's stock is the sum of its SKUs' (retired SKUs hold 0).
    total = (select(func.coalesce(func.sum(skus.c.stock), 0))
             .where(skus.c.product_id == products.c.id).scalar_subquery())
    session.execute(update(products).where(products.c.merchant_id == merchant_id,
                                           products.c.id.in_(product_ids))
                    .values(stock=total))
    after = dict(session.execute(select(skus.c.id, skus.c.stock).where(
        skus.c.merchant_id == merchant_id, skus.c.id.in_(sku_ids))).all())
    session.execute(insert(StockLedger.__table__), [dict(
        merchant_id=merchant_id, sku_id=r.id, product_id=r.product_id, delta=deltas[r.id],
        balance_after=after[r.id], reason=str(reason)[:40], operator_id=operator_id,
        created_at=_now()) for r in rows])


def _now():
    from app.models.base import china_now

    return china_now()


# -- 分类 / 品牌 / 运费模板 / 上下架 ------------------------------------------------------------
def batch_categories(session, merchant_id, ids, category_ids, mode):
    """新增 (add) or 重置 (replace) the products' categories, at most 10 each. The
    categories must already be checked as the merchant's own."""
    category_ids = sorted(set(category_ids))
    if mode not in ("add", "replace") or not category_ids:
        raise BatchError(N_("请选择分类"), code="invalid")
    result = BatchResult()
    for part in chunks(ids):
        present = sorted(_existing(session, merchant_id, part))
        current = {}
        for pid, cid in session.execute(select(link.c.product_id, link.c.category_id).where(
                link.c.product_id.in_(present))).all():
            current.setdefault(pid, set()).add(cid)
        too_many = [pid for pid in present if len(
            set(category_ids) | (current.get(pid, set()) if mode == "add" else set())
        ) > MAX_CATEGORIES]
        if too_many:
            result.refused += [(r, N_("商品分类最多可设置 10 个")) for r in _refs(
                session, merchant_id, _products().c.id.in_(too_many))]
        accepted = [pid for pid in present if pid not in set(too_many)]
        if not accepted:
            continue
        if mode == "replace":
            session.execute(delete(link).where(link.c.product_id.in_(accepted)))
            fresh = [(pid, cid) for pid in accepted for cid in category_ids]
        else:
            fresh = [(pid, cid) for pid in accepted for cid in category_ids
                     if cid not in current.get(pid, set())]
        if fresh:
            session.execute(insert(link), [{"product_id": p, "category_id": c}
                                           for p, c in fresh])
        result.changed += len(accepted)
        result.changed_ids += accepted
    _expire_products(session)
    return result


def batch_set(session, merchant_id, ids, attribute, value_id):
    """批量设置品牌 / 运费模板 (one each per product; a template ends free shipping)."""
    if attribute not in ("brand", "freight_template"):
        raise BatchError(N_("不支持的批量操作"), code="invalid")
    products = _products()
    values = {f"{attribute}_id": value_id}
    if attribute == "freight_template" and value_id is not None:
        values["free_shipping"] = False
    result = BatchResult()
    for part in chunks(ids):
        accepted = sorted(_existing(session, merchant_id, part))
        if accepted:
            session.execute(update(products).where(products.c.merchant_id == merchant_id,
                                                   products.c.id.in_(accepted)).values(values))
        result.changed += len(accepted)
        result.changed_ids += accepted
    _expire_products(session)
    return result


def batch_status(session, merchant_id, ids, status):
    """上架 / 下架 many products; a product without an active SKU is not put on the shelf."""
    products, skus = _products(), Sku.__table__
    result = BatchResult()
    for part in chunks(ids):
        refused = []
        if status == "on_shelf":
            refused = _refs(session, merchant_id, and_(products.c.id.in_(part), ~exists().where(
                skus.c.product_id == products.c.id, skus.c.retired.is_(False))))
            result.refused += [(r, N_("商品还没有可售规格，不能上架")) for r in refused]
        accepted = sorted(_existing(session, merchant_id, part) - {r.id for r in refused})
        if accepted:
            session.execute(update(products).where(products.c.merchant_id == merchant_id,
                                                   products.c.id.in_(accepted))
                            .values(status=status))
        result.changed += len(accepted)
        result.changed_ids += accepted
    _expire_products(session)
    return result


def _expire_products(session):
    """Loaded Product objects may now be stale: reload them on next access."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Product):
            session.expire(obj)


# -- 商品置顶 by 分类 / 品牌 ---------------------------------------------------------------------
def pin_by_group(session, merchant_id, *, category_ids=(), brand_id=None, join=True):
    """全部参与 (``join``) / 全部不参与 商品置顶 for every product of the categories (with
    their sub-categories, given by the caller) or of a brand; returns how many changed.
    Joining products go after the pinned ones, in id order; pinned ones keep their place."""
    products = _products()
    if category_ids:
        member = products.c.id.in_(select(link.c.product_id).where(
            link.c.category_id.in_(list(category_ids))))
    elif brand_id is not None:
        member = products.c.brand_id == brand_id
    else:
        raise BatchError(N_("请选择分类或品牌"), code="invalid")
    mine = products.c.merchant_id == merchant_id
    if not join:
        changed = session.execute(update(products).where(
            mine, member, products.c.pin_rank.is_not(None)).values(pin_rank=None)).rowcount
        _expire_products(session)
        return changed
    top = session.execute(select(func.max(products.c.pin_rank)).where(mine)).scalar() or 0
    first = session.execute(select(func.min(products.c.id)).where(
        mine, member, products.c.pin_rank.is_(None))).scalar()
    if first is None:
        return 0
    changed = session.execute(update(products).where(
        mine, member, products.c.pin_rank.is_(None)).values(
        pin_rank=top + 1 + products.c.id - first)).rowcount
    _expire_products(session)
    return changed

