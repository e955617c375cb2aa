"""商品管理 rules: product validation (the guide's limits and the bargain rule), the SKU
matrix, rich-text sanitising, categories, copying, shelf status and batch operations.

No Flask here: views parse forms into plain values and call these functions; messages are
Chinese msgids (``N_``) that ``BusinessError`` or the view translates when shown.
"""
import itertools
import json
import re
from dataclasses import dataclass
from decimal import Decimal

import nh3
from sqlalchemy import func, select

from app.models.catalog import Product, ProductCategory, ProductImage, Sku
from app.services import stock as stock_service
from app.services.errors import N_, BusinessError

NAME_MIN, NAME_MAX = 2, 50
SUMMARY_MAX = 200
MAX_CATEGORIES = 10
MAX_FOCUS_IMAGES = 10
BARGAIN_HOURS_STEP = 12
SLOT_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")

# Rich text: images, video and basic formatting; nothing that runs or styles the page.
DESCRIPTION_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "s", "span", "div", "h1", "h2",
                    "h3", "h4", "ul", "ol", "li", "blockquote", "a", "img", "video", "source",
                    "table", "thead", "tbody", "tr", "td", "th", "hr", "sub", "sup"}
DESCRIPTION_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "video": {"src", "controls", "poster", "width", "height", "preload"},
    "source": {"src", "type"},
    "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
}


class CatalogError(BusinessError):
    """A catalog rule refused the change; ``params`` fill the message's placeholders."""

    def __init__(self, message, code="invalid", status=None, **params):
        super().__init__(message, code, status)
        self.params = params

    def __str__(self):
        text = super().__str__()
        return text % self.params if self.params else text


def sanitize_description(html):
    """The description as stored: only the allow-listed tags and attributes, http(s) URLs."""
    if not html:
        return html
    return nh3.clean(html, tags=DESCRIPTION_TAGS, attributes=DESCRIPTION_ATTRIBUTES,
                     url_schemes={"http", "https"}, link_rel="noopener noreferrer")


# -- validation -----------------------------------------------------------------------------
def _is_whole(value):
    return value == value.to_integral_value()


def validate_product(values, category_count=None):
    """(errors, warnings): ``errors`` maps a field name to its Chinese message; ``warnings``
    are advice shown without blocking (the bargain duration). ``values`` holds parsed form
    values (Decimal money, int counts, datetimes, None when blank)."""
    errors, warnings = {}, []
    name = (values.get("name") or "").strip()
    if not NAME_MIN <= len(name) <= NAME_MAX:
        errors["name"] = N_("商品名称须为 2-50 个字符")
    if len(values.get("summary") or "") > SUMMARY_MAX:
        errors["summary"] = N_("商品简介不能超过 200 个字符")
    if category_count is not None:
        if category_count == 0:
            errors["categories"] = N_("请选择商品分类")
        elif category_count > MAX_CATEGORIES:
            errors["categories"] = N_("商品分类最多可设置 10 个")
    for key in ("price", "original_price", "cost_price"):
        value = values.get(key)
        if value is not None and value < 0:
            errors[key] = N_("金额不能小于 0")
    if values.get("price") is None:
        errors["price"] = N_("请填写售价")
    stock = values.get("stock")
    if stock is not None and (not isinstance(stock, int) or stock < 0):
        errors["stock"] = N_("库存必须是 0 或正整数")
    for key in ("points_earned", "initial_sales"):
        value = values.get(key)
        if value is not None and value < 0:
            errors[key] = N_("不能小于 0")
    weight = values.get("weight")
    if weight is not None and weight < 0:
        errors["weight"] = N_("重量不能小于 0")
    if values.get("timed_sale"):
        on, off = values.get("on_shelf_at"), values.get("off_shelf_at")
        if on is None:
            errors["on_shelf_at"] = N_("定时售卖须填写上架时间")
        if off is None:
            errors["off_shelf_at"] = N_("定时售卖须填写下架时间")
        elif on is not None and off <= on:
            errors["off_shelf_at"] = N_("下架时间必须晚于上架时间")
    if (values.get("goods_kind") == "physical" and not values.get("free_shipping")
            and values.get("delivery") in ("express", "both")
            and not values.get("freight_template_id")):
        errors["freight_template"] = N_("不包邮的快递商品须选择运费模板")
    kind = values.get("product_type")
    checker = _TYPE_CHECKS.get(kind)
    if checker is not None:
        checker(values, errors, warnings)
    return errors, warnings


def _check_group_buy(values, errors, warnings):
    size, price, hours = (values.get("group_size"), values.get("group_price"),
                          values.get("group_hours"))
    if size is None or size < 2:
        errors["group_size"] = N_("成团人数至少为 2 人")
    if price is None:
        errors["group_price"] = N_("请填写拼团价")
    elif price <= 0:
        errors["group_price"] = N_("拼团价必须大于 0")
    elif values.get("price") is not None and price >= values["price"]:
        errors["group_price"] = N_("拼团价必须低于售价")
    if hours is None or hours < 1:
        errors["group_hours"] = N_("拼团时长至少为 1 小时")


def _check_bargain(values, errors, warnings):
    original, floor, helpers = (values.get("original_price"), values.get("bargain_floor_price"),
                                values.get("bargain_helpers"))
    hours, cost = values.get("bargain_hours"), values.get("cost_price")
    if not original:
        errors["original_price"] = N_("砍价商品须填写原价")
    if floor is None:
        errors["bargain_floor_price"] = N_("请填写砍价底价")
    elif cost is not None and floor <= cost:
        errors["bargain_floor_price"] = N_("砍价底价必须大于成本价")
    elif original and floor >= original:
        errors["bargain_floor_price"] = N_("砍价底价必须低于原价")
    if helpers is None or helpers < 1:
        errors["bargain_helpers"] = N_("砍价成功所需人数至少为 1 人")
    elif original and floor is not None and "bargain_floor_price" not in errors:
        if not _is_whole((original - floor) / helpers):
            errors["original_price"] = N_("(商品原价 - 砍价底价) ÷ 砍价人数必须是整数")
    if hours is None or hours < 1:
        errors["bargain_hours"] = N_("砍价持续时间至少为 1 小时")
    elif hours % BARGAIN_HOURS_STEP:
        warnings.append(N_("建议砍价持续时间为 12 小时的整数倍"))


def _check_distribution(values, errors, warnings):
    rate = values.get("commission_rate")
    if rate is None:
        errors["commission_rate"] = N_("请填写提成比例")
    elif not Decimal("0") <= rate <= Decimal("100"):
        errors["commission_rate"] = N_("提成比例须在 0-100 之间")


def _check_reservation(values, errors, warnings):
    if not (values.get("reservation_city") or "").strip():
        errors["reservation_city"] = N_("请填写预约城市")
    slots = parse_slots(values.get("reservation_slots"))
    if slots is None:
        errors["reservation_slots"] = N_("预约时段格式应为 09:00-12:00，多个用逗号分隔")
    elif not slots:
        errors["reservation_slots"] = N_("请填写预约时段")


def _check_points(values, errors, warnings):
    points = values.get("points_price")
    if points is None or points < 1:
        errors["points_price"] = N_("积分价必须是正整数")
    cash = values.get("points_cash")
    if cash is not None and cash < 0:
        errors["points_cash"] = N_("金额不能小于 0")


_TYPE_CHECKS = {"group_buy": _check_group_buy, "bargain": _check_bargain,
                "distribution": _check_distribution, "reservation": _check_reservation,
                "points": _check_points}


def parse_slots(text):
    """"09:00-12:00, 14:00-18:00" -> list of slots; None when one is malformed or its end is
    not after its start."""
    slots = [s for s in re.split(r"[\s,，、;；]+", text or "") if s]
    for slot in slots:
        if not SLOT_RE.match(slot):
            return None
        start, end = slot.split("-")
        if end <= start:
            return None
    return slots


def parse_extra_fields(pairs):
    """[(key, value)] -> the JSON stored in ``extra_fields`` (blank keys dropped)."""
    clean = [[k.strip()[:30], (v or "").strip()[:200]] for k, v in pairs if (k or "").strip()]
    return json.dumps(clean, ensure_ascii=False) if clean else None


def extra_field_pairs(product):
    try:
        return [tuple(p) for p in json.loads(product.extra_fields or "[]")]
    except ValueError:
        return []


# -- specs and SKUs -----------------------------------------------------------------------
def spec_key(value_ids):
    """The SKU's identity among its product's SKUs: its sorted spec value ids ("v3_v7")."""
    return "_".join(f"v{v}" for v in sorted(int(i) for i in value_ids))


def spec_value_ids(key):
    return [int(part[1:]) for part in (key or "").split("_") if part[1:].isdigit()]


def sku_matrix(groups):
    """[(spec_key, spec_text)] for the chosen values: ``groups`` is a list of lists of
    ``(value_id, text)``, one list per spec group, in display order. No groups: one
    default SKU ("", "")."""
    groups = [g for g in groups if g]
    if not groups:
        return [("", "")]
    rows = []
    for combo in itertools.product(*groups):
        rows.append((spec_key(v for v, _t in combo), "/".join(t for _v, t in combo)))
    return rows


@dataclass
class SkuInput:
    spec_key: str
    spec_text: str
    price: Decimal
    stock: int
    code: str = None
    image: str = None


def sku_problems(rows):
    """{spec_key: message} for SKU rows with a negative price or stock."""
    problems = {}
    for row in rows:
        if row.price is None or row.price < 0:
            problems[row.spec_key] = N_("规格价格不能为空或小于 0")
        elif row.stock is None or row.stock < 0:
            problems[row.spec_key] = N_("规格库存必须是 0 或正整数")
    return problems


def sync_skus(session, product, rows, operator_id=None):
    """Make the product's active SKUs exactly ``rows`` (SkuInput). A SKU whose spec_key
    survives keeps its id (carts and orders stay valid); a removed one is retired, never
    deleted; a retired one that comes back is reactivated. Stock moves through the stock
    service, with a ledger row."""
    existing = {s.spec_key: s for s in product.skus}
    wanted = {r.spec_key for r in rows}
    for key, sku in existing.items():
        if key not in wanted and not sku.retired:
            sku.retired = True
            if sku.stock:
                session.flush()
                stock_service.set_stock(session, sku, 0, N_("规格停用"), operator_id)
    for row in rows:
        sku = existing.get(row.spec_key)
        if sku is None:
            sku = Sku(merchant_id=product.merchant_id, spec_key=row.spec_key, stock=0)
            product.skus.append(sku)
        sku.spec_text, sku.price, sku.code = row.spec_text, row.price, row.code
        if row.image:
            sku.image = row.image
        sku.retired = False
    session.flush()
    by_key = {s.spec_key: s for s in product.skus}
    for row in rows:
        stock_service.set_stock(session, by_key[row.spec_key], row.stock, N_("编辑商品"),
                                operator_id)


def chosen_spec_values(product):
    """{spec value id} of the product's active SKUs."""
    ids = set()
    for sku in product.active_skus:
        ids.update(spec_value_ids(sku.spec_key))
    return ids


# -- categories ---------------------------------------------------------------------------
def category_problem(category, parent):
    """The two-level rule: a parent must be top level, and not the category itself."""
    if parent is None:
        return None
    if category.id is not None and parent.id == category.id:
        return N_("上级分类不能是自己")
    if parent.parent_id is not None:
        return N_("分类最多两级：上级分类必须是一级分类")
    if category.id is not None and any(True for _c in _children(category)):
        return N_("该分类下已有子分类，不能再设为二级分类")
    return None


def _children(category):
    from sqlalchemy.orm import object_session

    session = object_session(category)
    if session is None:
        return []
    return session.execute(select(ProductCategory.id).where(
        ProductCategory.parent_id == category.id)).all()


def category_usage(session, category, limit=None):
    """Products that use the category (or one of its sub-categories), newest first."""
    from app.models.catalog import product_category_link as link

    ids = [category.id] + [r[0] for r in _children(category)]
    query = (select(Product).join(link, link.c.product_id == Product.id)
             .where(link.c.category_id.in_(ids)).distinct().order_by(Product.id.desc()))
    if limit:
        query = query.limit(limit)
    return session.execute(query).scalars().all()


def check_category_deletable(session, category):
    """Refuse to delete a category in use, naming the products that use it."""
    if _children(category):
        raise CatalogError(N_("该分类下还有子分类，请先删除或移动子分类"), code="has_children")
    used = category_usage(session, category, limit=6)
    if used:
        names = "、".join(p.name for p in used[:5]) + ("等" if len(used) > 5 else "")
        raise CatalogError(N_("该分类正在被商品使用，不能删除：%(names)s"), code="in_use",
                           names=names)
    return True


def batch_brand_names(text):
    """The names of 批量新增 (one a line): trimmed, blank and repeated lines dropped."""
    seen, names = set(), []
    for line in (text or "").splitlines():
        name = line.strip()
        if name and name not in seen:
            seen.add(name)
            names.append(name)
    return names


# -- shelf status, copying ----------------------------------------------------------------
def put_on_shelf(product):
    if not product.active_skus:
        raise CatalogError(N_("商品还没有可售规格，不能上架"), code="no_sku")
    product.status = "on_shelf"


def take_off_shelf(product):
    product.status = "off_shelf"


def copy_product(session, product, operator_id=None):
    """A copy in the warehouse: same fields, categories, images and SKUs (stock 0)."""
    skip = {"id", "created_at", "stock", "status", "pin_rank", "home_sort"}
    copy = Product()
    for column in Product.__table__.columns:
        if column.key not in skip:
            setattr(copy, column.key, getattr(product, column.key))
    copy.name = (product.name + "-副本")[:NAME_MAX]
    copy.status = "warehouse"
    copy.stock = 0
    copy.categories = list(product.categories)
    copy.images = [ProductImage(merchant_id=product.merchant_id, file=i.file, sort=i.sort)
                   for i in product.images]
    copy.skus = [Sku(merchant_id=product.merchant_id, spec_key=s.spec_key,
                     spec_text=s.spec_text, price=s.price, stock=0, code=s.code,
                     image=s.image) for s in product.active_skus]
    session.add(copy)
    session.flush()
    return copy


# -- batch operations: set-based, in app/services/catalog_batch.py ---------------------------
def batch_delete(session, products):
    """Delete through the ORM, row by row, on purpose: the cascades (SKUs, images, banners
    on databases without enforced foreign keys) and the audit log's copy of each deleted
    row are what make a delete recoverable by hand; deletes are rare and small."""
    for product in products:
        session.delete(product)
    session.flush()
    return len(products)


def pin_products(session, ordered_products):
    """商品置顶: the given products, in this order, before every other product; products
    pinned before and not given are unpinned."""
    ids = {p.id for p in ordered_products}
    for product in session.execute(select(Product).where(Product.pin_rank.is_not(None))
                                   ).scalars():
        if product.id not in ids:
            product.pin_rank = None
    for rank, product in enumerate(ordered_products, start=1):
        product.pin_rank = rank
    session.flush()
    return len(ordered_products)


def next_sort(session, model):
    return (session.execute(select(func.max(model.sort))).scalar() or 0) + 1


# -- saving the product form ---------------------------------------------------------------
TYPE_FIELDS = {
    "group_buy": ("group_size", "group_price", "group_hours"),
    "bargain": ("bargain_floor_price", "bargain_helpers", "bargain_hours", "bargain_multiple"),
    "distribution": ("commission_rate",),
    "reservation": ("reservation_city", "reservation_slots"),
    "points": ("points_price", "points_cash"),
}
_FALSE_WHEN_UNUSED = {"bargain_multiple"}


def save_product(session, *, product, values, categories, brand, freight_template, sku_rows,
                 images, status=None, operator_id=None):
    """Write a validated product form: fields (the other types' fields cleared), categories,
    ordered focus images (``images``: stored file names in display order), SKUs through
    ``sync_skus`` and the shelf status (立即发布 / 放入仓库; None keeps it)."""
    kind = values.get("product_type") or "normal"
    for other, names in TYPE_FIELDS.items():
        if other != kind:
            for name in names:
                values[name] = False if name in _FALSE_WHEN_UNUSED else None
    if not values.get("timed_sale"):
        values["on_shelf_at"] = values["off_shelf_at"] = None
    stock = values.pop("stock", None)
    for name, value in values.items():
        setattr(product, name, value)
    product.description = sanitize_description(product.description)
    product.categories = list(categories)
    product.brand = brand
    product.freight_template = None if product.free_shipping else freight_template
    existing = {i.file: i for i in product.images}
    product.images = [existing.get(name) or ProductImage(merchant_id=product.merchant_id,
                                                         file=name) for name in images]
    for rank, image in enumerate(product.images, start=1):
        image.sort = rank
    if product.id is None:
        product.stock = 0
        session.add(product)
        session.flush()
    if len(sku_rows) == 1 and sku_rows[0].spec_key == "" and stock is not None:
        sku_rows[0].stock = stock
    sync_skus(session, product, sku_rows, operator_id)
    if status == "on_shelf":
        put_on_shelf(product)
    elif status is not None:
        product.status = status
    session.flush()
    return product
