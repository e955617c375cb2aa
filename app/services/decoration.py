"""商城装修 rules: shop style, page drafts, 发布, 版本记录 and 回滚, and the published page
as the shop front end reads it.

Shoppers never see a draft: the public payload is built from a ``PageVersion`` only.
Saving checks the whole document first (app/services/decoration_schema.py); a refused
save changes nothing, so the last good draft survives. No Flask here.
"""
import hashlib
import json
import threading
import time
from collections import OrderedDict

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.models.base import china_now
from app.models.catalog import Product, ProductCategory, product_category_link
from app.models.decoration import TEMPLATE_STYLES, DecorationPage, PageVersion, ShopStyle
from app.services.decoration_schema import (COLOR_RE, PageError, check_link, optional_model,
                                            validate_page)
from app.services.errors import N_, BusinessError
from app.services.media import register_usage
from app.tenancy import tenant_scope

__all__ = ["check_link", "PageError", "save_draft", "publish_page", "rollback_page",
           "public_page", "set_style", "new_page", "load_version_into_draft"]


# -- 设置个性化 / 设置模板样式 ------------------------------------------------------------------
def style_of(session, shop):
    style = session.execute(select(ShopStyle).where(ShopStyle.shop_id == shop.id)).scalar()
    if style is None:
        style = ShopStyle(merchant_id=shop.merchant_id, shop=shop)
        session.add(style)
    return style


def set_style(session, *, shop, main_color=None, accent_color=None, template_style=None):
    """设置个性化 (colours) and, for a 小程序商城, 设置模板样式."""
    style = style_of(session, shop)
    for value in (main_color, accent_color):
        if value is not None and not COLOR_RE.match(value):
            raise BusinessError(N_("颜色格式应为 #RRGGBB"), code="color")
    if template_style is not None:
        if shop.shop_type != "mini_mall":
            raise BusinessError(N_("只有小程序商城可以选择模板样式"), code="template_shop")
        if template_style not in dict(TEMPLATE_STYLES):
            raise BusinessError(N_("请选择模板样式"), code="template")
        style.template_style = template_style
    if main_color is not None:
        shop.theme_color = main_color.upper()
    if accent_color is not None:
        style.accent_color = accent_color.upper()
    return style


# -- drafts ---------------------------------------------------------------------------------
def empty_document(title):
    return {"title": title, "bg_color": "#F5F5F5", "components": []}


def new_page(session, *, shop, title, is_home=False):
    title = (title or "").strip()
    if not title or len(title) > 30:
        raise PageError(N_("页面标题须为 1-30 个字符"), code="title")
    page = DecorationPage(merchant_id=shop.merchant_id, shop=shop, title=title,
                          draft=json.dumps(empty_document(title), ensure_ascii=False))
    session.add(page)
    session.flush()
    if is_home:
        _make_home(session, page)
    return page


def draft_document(page):
    try:
        doc = json.loads(page.draft or "")
    except ValueError:
        doc = None
    return doc if isinstance(doc, dict) else empty_document(page.title)


def _make_home(session, page):
    session.execute(update(DecorationPage).where(
        DecorationPage.shop_id == page.shop_id, DecorationPage.id != page.id,
        DecorationPage.is_home.is_(True)).values(is_home=False))
    page.is_home = True


def save_draft(session, *, page, raw, operator_name, is_home=None):
    """Check the whole page, then store it as the draft; a refusal changes nothing."""
    doc = validate_page(session, page.merchant_id, raw)
    page.title = doc["title"]
    page.bg_color = doc["bg_color"]
    page.draft = json.dumps(doc, ensure_ascii=False)
    page.draft_saved_at = china_now()
    page.draft_saved_by = (operator_name or "")[:64]
    if is_home:
        _make_home(session, page)
    elif is_home is False:
        page.is_home = False
    return doc


def published_version(session, page):
    if not page.published_version_id:
        return None
    return session.get(PageVersion, page.published_version_id)


def _new_version(session, page, doc, operator, rolled_back_from=None):
    number = (session.execute(select(func.max(PageVersion.number)).where(
        PageVersion.page_id == page.id)).scalar() or 0) + 1
    version = PageVersion(merchant_id=page.merchant_id, page=page, number=number,
                          content=json.dumps(doc, ensure_ascii=False),
                          published_by_id=getattr(operator, "id", None),
                          published_by_name=str(operator or "")[:64] or None,
                          rolled_back_from=rolled_back_from)
    session.add(version)
    try:
        session.flush()
    except IntegrityError as exc:  # two publishes of one page at the same moment
        raise BusinessError(N_("页面正在被其他人发布，请稍后重试"), code="busy", status=409) from exc
    page.published_version_id = version.id
    return version


def publish_page(session, *, page, operator):
    """发布: the saved draft, checked again (a linked product may be gone), becomes a new
    version that shoppers see. An empty page is refused."""
    doc = validate_page(session, page.merchant_id, draft_document(page))
    if not doc["components"]:
        raise PageError(N_("页面还没有任何组件，不能发布"), code="empty")
    return _new_version(session, page, doc, operator)


def rollback_page(session, *, page, version, operator):
    """回滚: publish an old version's content again, as a new version."""
    if version.page_id != page.id:
        raise BusinessError(N_("版本不存在"), code="version", status=404)
    if version.id == page.published_version_id:
        raise BusinessError(N_("该版本已经是线上版本"), code="same_version")
    doc = validate_page(session, page.merchant_id, json.loads(version.content))
    return _new_version(session, page, doc, operator, rolled_back_from=version.number)


def draft_differs(session, page):
    """Whether the draft holds changes that are not online: it differs from the published
    version (or, with nothing published, it has any component)."""
    draft = draft_document(page)
    version = published_version(session, page)
    if version is None:
        return bool(draft.get("components"))
    return _canonical(draft) != _canonical(json.loads(version.content))


def _canonical(doc):
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def draft_stamp(page):
    """What the version history page saw of the draft: a hash of its content, so a later
    save that changes it changes the stamp. (The save time was used first: MariaDB keeps
    DATETIME to the second, and two saves in one second looked the same.)"""
    return hashlib.sha256(_canonical(draft_document(page)).encode("utf-8")).hexdigest()[:32]


def load_version_into_draft(session, *, page, version, operator_name, confirmed=False,
                            seen_stamp=None):
    """载入草稿: copy an old version into the draft, checked again like a save (a product or
    library file it links may be gone); nothing is published. Unpublished draft changes
    are overwritten only when the merchant confirmed it, on the draft they saw."""
    if version.page_id != page.id:
        raise BusinessError(N_("版本不存在"), code="version", status=404)
    if draft_differs(session, page):
        if not confirmed:
            raise BusinessError(N_("草稿中有未发布的修改，载入后会被覆盖，请确认后再载入"),
                                code="draft_changed", status=409)
        if seen_stamp is not None and seen_stamp != draft_stamp(page):
            raise BusinessError(N_("草稿刚刚被修改过，请刷新版本记录后再确认载入"),
                                code="draft_stale", status=409)
    return save_draft(session, page=page, raw=version.content, operator_name=operator_name)


# -- the public page -------------------------------------------------------------------------
class PageCache:
    """Resolved pages by version id: a new publish is a new id, so a publish is never
    served stale. Entries also expire after ``ttl`` seconds so price and stock shown on
    the cards catch up; bounded to ``size`` entries per process."""

    def __init__(self, size=512):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, ttl):
        with self.lock:
            entry = self.items.get(key)
            if entry is None or time.monotonic() - entry[0] > ttl:
                return None
            self.items.move_to_end(key)
            return entry[1]

    def put(self, key, value):
        with self.lock:
            self.items[key] = (time.monotonic(), value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self):
        with self.lock:
            self.items.clear()


def find_public_page(session, shop, ref):
    """The page ``ref`` (an id or "home") of the shop, if it has a published version."""
    query = select(DecorationPage).where(DecorationPage.shop_id == shop.id)
    if ref == "home":
        query = query.where(DecorationPage.is_home.is_(True))
    elif str(ref).isdigit() and len(str(ref)) < 12:
        query = query.where(DecorationPage.id == int(ref))
    else:
        return None
    page = session.execute(query).scalar()
    if page is None or not page.published_version_id:
        return None
    return page


def _card(product, image_url):
    return {"id": product.id, "name": product.name, "price": str(product.price),
            "original_price": str(product.original_price) if product.original_price else None,
            "image": image_url(product.first_image) if product.first_image else None,
            "in_stock": product.stock > 0,
            "stock_status": "in_stock" if product.stock > 0 else "sold_out"}


def _on_shelf(session):
    return select(Product).where(Product.status == "on_shelf")


def _resolve_products(session, settings, image_url):
    if settings["source"] == "pick":
        ids = settings["product_ids"]
        rows = {p.id: p for p in session.execute(
            _on_shelf(session).where(Product.id.in_(ids))).scalars()}
        products = [rows[i] for i in ids if i in rows]
    else:
        products = session.execute(_on_shelf(session).join(
            product_category_link, product_category_link.c.product_id == Product.id).where(
            product_category_link.c.category_id == settings["category_id"]).order_by(
            Product.home_sort.is_(None), Product.home_sort, Product.created_at.desc())
            .limit(settings["count"])).scalars().all()
    return [_card(p, image_url) for p in products]


def _resolve(session, component, image_url):
    settings = dict(component["settings"])
    ctype = component["type"]
    if ctype == "products":
        settings["products"] = _resolve_products(session, settings, image_url)
    elif ctype == "category_nav":
        rows = {c.id: c for c in session.execute(select(ProductCategory).where(
            ProductCategory.id.in_(settings["category_ids"]))).scalars()}
        icons = settings.get("icons") or {}
        settings["categories"] = [{"id": c.id, "name": c.name, "icon": c.icon,
                                   "icon_image": icons.get(str(c.id))}
                                  for i in settings["category_ids"] if (c := rows.get(i))]
    elif ctype == "article_list":
        settings["articles"] = _resolve_articles(session, settings)
    return {"id": component["id"], "type": ctype, "settings": settings}


def _resolve_articles(session, settings):
    model = optional_model("article")
    if model is None:
        return []
    query = select(model).where(model.published.is_(True), model.visible.is_(True),
                                (model.published_at.is_(None)) | (model.published_at <= china_now()))
    if settings["article_ids"]:
        query = query.where(model.id.in_(settings["article_ids"]))
    rows = session.execute(query.order_by(model.published_at.desc()).limit(
        settings["count"])).scalars().all()
    return [{"id": a.id, "title": a.title, "summary": a.summary} for a in rows]


def resolve_components(session, merchant_id, doc, image_url):
    """The document's components with products, categories and articles filled in."""
    with tenant_scope(merchant_id):
        return [_resolve(session, c, image_url) for c in doc["components"]]


def public_page(session, *, shop, page, image_url, cache, ttl=300):
    """The published version of ``page`` with product cards resolved (on-shelf products of
    the shop's merchant only); cached by version id in ``cache`` (one PageCache per app:
    version ids are per database)."""
    page_cache = cache
    cached = page_cache.get(page.published_version_id, ttl)
    if cached is not None:
        return cached
    version = published_version(session, page)
    doc = json.loads(version.content)
    components = resolve_components(session, shop.merchant_id, doc, image_url)
    style = session.execute(select(ShopStyle).where(ShopStyle.shop_id == shop.id)).scalar()
    payload = {"shop": {"id": shop.id, "name": shop.name, "main_color": shop.theme_color,
                        "accent_color": style.accent_color if style else "#FF9900",
                        "template_style": style.template_style if style else "classic"},
               "page": {"id": page.id, "title": doc["title"], "bg_color": doc["bg_color"],
                        "is_home": page.is_home, "version": version.number,
                        "published_at": version.created_at.strftime("%Y-%m-%d %H:%M:%S")},
               "version_id": version.id,
               "components": components}
    page_cache.put(page.published_version_id, payload)
    return payload


# -- where library files are used -------------------------------------------------------------
@register_usage
def _used_by_pages(session, media):
    path = media.public_path
    places = []
    for page in session.execute(select(DecorationPage).where(
            DecorationPage.draft.contains(path)).limit(20)).scalars():
        places.append(N_("装修页面《%s》（草稿）") % page.title)
    rows = session.execute(select(DecorationPage.title, PageVersion.number).join(
        PageVersion, PageVersion.page_id == DecorationPage.id).where(
        PageVersion.id == DecorationPage.published_version_id,
        PageVersion.content.contains(path)).limit(20)).all()
    places += [N_("装修页面《%s》（线上版本 v%d）") % (title, number) for title, number in rows]
    return places


# -- demo data -------------------------------------------------------------------------------
def seed_demo(merchant, shops):
    """A published home page per shop: search, notice, the on-shelf products, a divider
    and a bottom tab bar (runs inside the platform scope, after the catalog demo)."""
    from app.extensions import db

    session = db.session
    session.flush()
    with tenant_scope(merchant.id):
        product_ids = session.execute(select(Product.id).where(
            Product.status == "on_shelf").order_by(Product.id).limit(6)).scalars().all()
        for shop in shops:
            page = new_page(session, shop=shop, title=f"{shop.name}首页", is_home=True)
            components = [
                {"type": "search", "settings": {"placeholder": "搜索商品"}},
                {"type": "notice", "settings": {"text": f"欢迎光临{shop.name}，新品上架中"}},
            ]
            if product_ids:
                components.append({"type": "products", "settings": {
                    "title": "店长推荐", "source": "pick", "product_ids": product_ids,
                    "columns": 2, "show_price": True, "show_buy": True}})
            components += [
                {"type": "divider", "settings": {"style": "dashed", "color": "#E5E5E5"}},
                {"type": "tab_bar", "settings": {"tabs": [
                    {"icon": "home", "label": "首页", "link": {"kind": "page", "id": page.id}},
                    {"icon": "user", "label": "我的", "link": {"kind": "page", "id": page.id}}]}},
            ]
            save_draft(session, page=page, operator_name="演示数据", raw=json.dumps(
                {"title": page.title, "bg_color": "#F5F5F5", "components": components},
                ensure_ascii=False))
            publish_page(session, page=page, operator="演示数据")
