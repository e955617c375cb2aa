"""The page builder's component schema: what a saved page may contain.

``validate_page(session, merchant_id, raw)`` takes the JSON the builder posts and returns
the cleaned document ``{"title", "bg_color", "components": [{"id", "type", "settings"}]}``
or raises ``PageError`` naming the component (``第 3 个组件「商品列表」：请选择商品``).
Refused: unknown component types, missing or out-of-range settings, links to objects the
merchant does not own (``check_link``), images and videos that are not in the merchant's
素材库 (``check_media_url``), and documents over ``MAX_PAGE_BYTES``. Rich text is sanitized
with the product description's nh3 allow-list. No Flask here.
"""
import importlib
import json
import re

import nh3
from sqlalchemy import select

from app.models.catalog import Product, ProductCategory
from app.services.catalog import DESCRIPTION_ATTRIBUTES, DESCRIPTION_TAGS
from app.services.errors import N_, BusinessError
from app.services.media import MediaError, check_media_url
from app.tenancy import tenant_scope

MAX_PAGE_BYTES = 512 * 1024
MAX_COMPONENTS = 60
MAX_RICH_TEXT = 20000
COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
URL_RE = re.compile(r"^https?://[^\s\"'<>]{1,490}$")
TAB_ICONS = ["home", "category", "cart", "user", "search", "gift", "article", "star"]

COMPONENTS = {
    "banner": N_("轮播图"), "products": N_("商品列表"), "category_nav": N_("分类导航"),
    "notice": N_("公告"), "search": N_("搜索框"), "rich_text": N_("图文"), "video": N_("视频"),
    "coupon_entry": N_("优惠券入口"), "article_list": N_("文章列表"), "spacer": N_("辅助空白"),
    "divider": N_("分割线"), "tab_bar": N_("底部导航"),
}
LINK_KINDS = {"product": N_("商品"), "category": N_("商品分类"), "article": N_("文章"),
              "page": N_("装修页面"), "coupon": N_("优惠券"), "url": N_("外部链接")}
# Models of other modules, checked only once they exist (part 2 and marketing).
OPTIONAL_MODELS = {"article": ("app.models.content", "Article"),
                   "coupon": ("app.models.marketing", "CouponBatch")}


def _tr(text):
    try:
        from flask_babel import gettext
        return gettext(text)
    except (ImportError, RuntimeError, KeyError):  # pragma: no cover - no app
        return text


class PageError(BusinessError):
    """A page refused on save or publish; ``position``/``ctype`` name the component."""

    def __init__(self, message, code="invalid", position=None, ctype=None, **params):
        super().__init__(message, code)
        self.position, self.ctype, self.params = position, ctype, params

    def __str__(self):
        params = {k: _tr(v) if isinstance(v, str) else v for k, v in self.params.items()}
        text = super().__str__()
        text = text % params if params else text
        if self.position is None:
            return text
        where = _tr(N_("第 %(n)d 个组件「%(label)s」：")) % {
            "n": self.position, "label": _tr(COMPONENTS.get(self.ctype, self.ctype or "?"))}
        return where + text


def optional_model(kind):
    """The model class of another module, or None while that module does not exist."""
    module, name = OPTIONAL_MODELS[kind]
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _exists(session, merchant_id, model, pk):
    with tenant_scope(merchant_id):  # the ORM guard: another merchant's row "does not exist"
        return session.execute(select(model.id).where(model.id == pk)).first() is not None


def _positive_id(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        return int(value)
    return None


def check_link(session, merchant_id, link):
    """A link target of the merchant: ``{"kind", "id"}`` for product, category, article,
    page and coupon, ``{"kind": "url", "url"}`` for an external http(s) address. Returns
    the cleaned link; raises PageError when it points nowhere or at another merchant."""
    if not isinstance(link, dict):
        raise PageError(N_("链接格式无效"), code="link")
    kind = link.get("kind")
    if kind not in LINK_KINDS:
        raise PageError(N_("链接类型无效"), code="link")
    if kind == "url":
        url = str(link.get("url") or "").strip()
        if not URL_RE.match(url):
            raise PageError(N_("外部链接须以 http:// 或 https:// 开头，且不超过 500 个字符"),
                            code="link_url")
        return {"kind": "url", "url": url}
    pk = _positive_id(link.get("id"))
    if pk is None:
        raise PageError(N_("请选择链接的%(what)s"), code="link", what=LINK_KINDS[kind])
    if kind == "product":
        model = Product
    elif kind == "category":
        model = ProductCategory
    elif kind == "page":
        from app.models.decoration import DecorationPage
        model = DecorationPage
    else:
        model = optional_model(kind)
        if model is None:
            raise PageError(N_("%(what)s功能尚未开通，不能链接"), code="link_unavailable",
                            what=LINK_KINDS[kind])
    if not _exists(session, merchant_id, model, pk):
        raise PageError(N_("链接的%(what)s（ID %(id)s）不存在或不属于本商家"), code="link_other",
                        what=LINK_KINDS[kind], id=pk)
    return {"kind": kind, "id": pk}


# -- field helpers --------------------------------------------------------------------------
def _text(settings, key, what, max_len, required=False):
    value = settings.get(key)
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise PageError(N_("%(what)s格式无效"), what=what)
    value = str(value).strip()
    if required and not value:
        raise PageError(N_("请填写%(what)s"), code="required", what=what)
    if len(value) > max_len:
        raise PageError(N_("%(what)s不能超过 %(n)d 个字符"), what=what, n=max_len)
    if "<" in value or ">" in value:  # plain-text fields: markup is never shown as such
        raise PageError(N_("%(what)s不能包含 < 或 > 等标记字符"), code="markup", what=what)
    return value


def _int(settings, key, what, low, high, default):
    value = settings.get(key, default)
    number = _positive_id(value) if not isinstance(value, int) or isinstance(value, bool) else value
    if number is None or not low <= number <= high:
        raise PageError(N_("%(what)s须为 %(low)d 到 %(high)d 之间的整数"), what=what,
                        low=low, high=high)
    return number


def _bool(settings, key, default=True):
    value = settings.get(key, default)
    if not isinstance(value, bool):
        raise PageError(N_("开关设置格式无效"))
    return value


def _choice(settings, key, what, choices, default):
    value = settings.get(key, default)
    if value not in choices:
        raise PageError(N_("%(what)s的取值无效"), what=what)
    return value


def _color(settings, key, default):
    value = settings.get(key, default)
    if not isinstance(value, str) or not COLOR_RE.match(value):
        raise PageError(N_("颜色格式应为 #RRGGBB"), code="color")
    return value


def _list(settings, key, what, low, high):
    value = settings.get(key) or []
    if not isinstance(value, list):
        raise PageError(N_("%(what)s格式无效"), what=what)
    if len(value) < low:
        raise PageError(N_("请至少添加 %(n)d 个%(what)s"), code="required", n=low, what=what)
    if len(value) > high:
        raise PageError(N_("%(what)s最多 %(n)d 个"), n=high, what=what)
    return value


def _ids(session, merchant_id, settings, key, what, model, low, high):
    ids = []
    for raw in _list(settings, key, what, low, high):
        pk = _positive_id(raw)
        if pk is None:
            raise PageError(N_("%(what)s格式无效"), what=what)
        if not _exists(session, merchant_id, model, pk):
            raise PageError(N_("%(what)s（ID %(id)s）不存在或不属于本商家"), code="link_other",
                            what=what, id=pk)
        if pk not in ids:
            ids.append(pk)
    return ids


def _media(session, merchant_id, url, kind, what, required=True):
    if not url and not required:
        return ""
    if not url:
        raise PageError(N_("请选择%(what)s"), code="required", what=what)
    try:
        check_media_url(session, merchant_id, str(url), kind)
    except MediaError as exc:
        raise PageError(N_("%(what)s：%(problem)s"), code=exc.code, what=what,
                        problem=str(exc)) from exc
    return str(url).strip()


def _optional_link(session, merchant_id, link):
    if link in (None, "", {}) or (isinstance(link, dict) and not link.get("kind")):
        return None
    return check_link(session, merchant_id, link)


# -- components ------------------------------------------------------------------------------
def _banner(s, session, mid):
    images = []
    for item in _list(s, "images", N_("轮播图片"), 1, 10):
        if not isinstance(item, dict):
            raise PageError(N_("轮播图片格式无效"))
        images.append({"image": _media(session, mid, item.get("image"), "image", N_("轮播图片")),
                       "link": _optional_link(session, mid, item.get("link"))})
    return {"images": images, "interval": _int(s, "interval", N_("切换间隔(秒)"), 1, 10, 4)}


def _products(s, session, mid):
    source = _choice(s, "source", N_("商品来源"), ("pick", "category"), "pick")
    out = {"source": source, "columns": _int(s, "columns", N_("每行列数"), 1, 3, 2),
           "show_price": _bool(s, "show_price"), "show_buy": _bool(s, "show_buy"),
           "title": _text(s, "title", N_("标题"), 20)}
    if source == "pick":
        out["product_ids"] = _ids(session, mid, s, "product_ids", N_("商品"), Product, 1, 50)
    else:
        category = _positive_id(s.get("category_id"))
        if category is None:
            raise PageError(N_("请选择商品分类"), code="required")
        if not _exists(session, mid, ProductCategory, category):
            raise PageError(N_("%(what)s（ID %(id)s）不存在或不属于本商家"), code="link_other",
                            what=N_("商品分类"), id=category)
        out["category_id"] = category
        out["count"] = _int(s, "count", N_("显示数量"), 1, 50, 6)
    return out


def _category_nav(s, session, mid):
    """``icons`` (optional): {category id: library image} shown instead of the category's
    own icon; only the chosen categories keep theirs."""
    out = {"category_ids": _ids(session, mid, s, "category_ids", N_("商品分类"),
                                ProductCategory, 1, 20),
           "columns": _int(s, "columns", N_("每行个数"), 3, 5, 4)}
    icons = s.get("icons") or {}
    if not isinstance(icons, dict):
        raise PageError(N_("%(what)s格式无效"), what=N_("分类图标"))
    chosen = {str(pk) for pk in out["category_ids"]}
    kept = {}
    for key, url in icons.items():
        if str(key) in chosen and url:
            kept[str(key)] = _media(session, mid, url, "image", N_("分类图标"))
    if kept:
        out["icons"] = kept
    return out


def _notice(s, session, mid):
    return {"text": _text(s, "text", N_("公告内容"), 200, required=True),
            "link": _optional_link(session, mid, s.get("link"))}


def _search(s, session, mid):
    return {"placeholder": _text(s, "placeholder", N_("提示文字"), 30)}


def _rich_text(s, session, mid):
    html = s.get("html")
    if not isinstance(html, str) or not html.strip():
        raise PageError(N_("请填写图文内容"), code="required")
    if len(html) > MAX_RICH_TEXT:
        raise PageError(N_("图文内容不能超过 %(n)d 个字符"), n=MAX_RICH_TEXT)
    sources = []

    def keep(tag, attr, value):
        if attr in ("src", "poster"):
            sources.append(("image" if tag == "img" or attr == "poster" else "video", value))
        return value

    clean = nh3.clean(html, tags=DESCRIPTION_TAGS, attributes=DESCRIPTION_ATTRIBUTES,
                      url_schemes={"http", "https"}, link_rel="noopener noreferrer",
                      attribute_filter=keep)
    for kind, src in sources:
        _media(session, mid, src, kind, N_("图文中的图片或视频"))
    if not clean.strip():
        raise PageError(N_("图文内容清理后为空（不允许脚本等标签）"), code="required")
    return {"html": clean}


def _video(s, session, mid):
    return {"video": _media(session, mid, s.get("video"), "video", N_("视频")),
            "poster": _media(session, mid, s.get("poster"), "image", N_("封面图"), required=False)}


def _coupon_entry(s, session, mid):
    out = {"title": _text(s, "title", N_("标题"), 20) or _tr(N_("领取优惠券")),
           "coupon_ids": []}
    raw = s.get("coupon_ids") or []
    if raw:
        model = optional_model("coupon")
        if model is None:
            raise PageError(N_("优惠券功能尚未开通，暂时只能链接到领券中心"), code="link_unavailable")
        out["coupon_ids"] = _ids(session, mid, s, "coupon_ids", N_("优惠券"), model, 1, 10)
    return out


def _article_list(s, session, mid):
    out = {"title": _text(s, "title", N_("标题"), 20),
           "count": _int(s, "count", N_("显示数量"), 1, 20, 5), "article_ids": []}
    if s.get("article_ids"):
        model = optional_model("article")
        if model is None:
            raise PageError(N_("文章功能尚未开通，暂时只能显示最新文章"), code="link_unavailable")
        out["article_ids"] = _ids(session, mid, s, "article_ids", N_("文章"), model, 1, 20)
    return out


def _spacer(s, session, mid):
    return {"height": _int(s, "height", N_("高度(像素)"), 4, 100, 20)}


def _divider(s, session, mid):
    return {"style": _choice(s, "style", N_("线条样式"), ("solid", "dashed", "dotted"), "solid"),
            "color": _color(s, "color", "#E5E5E5")}


def _tab_bar(s, session, mid):
    tabs = []
    for tab in _list(s, "tabs", N_("导航项"), 2, 5):
        if not isinstance(tab, dict):
            raise PageError(N_("导航项格式无效"))
        link = _optional_link(session, mid, tab.get("link"))
        if link is None:
            raise PageError(N_("请为每个导航项选择链接"), code="required")
        item = {"icon": _choice(tab, "icon", N_("图标"), TAB_ICONS, "home"),
                "label": _text(tab, "label", N_("导航名称"), 6, required=True),
                "link": link}
        # an optional library image shown instead of the built-in icon
        image = _media(session, mid, tab.get("image"), "image", N_("导航图标"), required=False)
        if image:
            item["image"] = image
        tabs.append(item)
    return {"tabs": tabs}


VALIDATORS = {"banner": _banner, "products": _products, "category_nav": _category_nav,
              "notice": _notice, "search": _search, "rich_text": _rich_text, "video": _video,
              "coupon_entry": _coupon_entry, "article_list": _article_list, "spacer": _spacer,
              "divider": _divider, "tab_bar": _tab_bar}


def parse_page(raw):
    """The posted text as a dict; size first, so a huge payload is never parsed."""
    if isinstance(raw, bytes):
        size = len(raw)
    else:
        raw = raw or ""
        size = len(raw.encode("utf-8"))
    if size > MAX_PAGE_BYTES:
        raise PageError(N_("页面内容过大（%(kb)d KB），不能超过 %(max)d KB"), code="too_large",
                        kb=size // 1024, max=MAX_PAGE_BYTES // 1024)
    try:
        doc = json.loads(raw or "{}")
    except (ValueError, RecursionError) as exc:
        raise PageError(N_("页面数据格式无效"), code="bad_json") from exc
    if not isinstance(doc, dict):
        raise PageError(N_("页面数据格式无效"), code="bad_json")
    return doc


def validate_page(session, merchant_id, raw):
    """The cleaned page document, or PageError naming the first bad component."""
    doc = parse_page(raw) if not isinstance(raw, dict) else raw
    title = _text(doc, "title", N_("页面标题"), 30, required=True)
    bg_color = _color(doc, "bg_color", "#F5F5F5")
    components = doc.get("components") or []
    if not isinstance(components, list):
        raise PageError(N_("页面数据格式无效"), code="bad_json")
    if len(components) > MAX_COMPONENTS:
        raise PageError(N_("一个页面最多 %(n)d 个组件"), n=MAX_COMPONENTS)
    cleaned, seen_ids, tab_bars = [], set(), 0
    for position, component in enumerate(components, start=1):
        ctype = component.get("type") if isinstance(component, dict) else None
        if ctype not in VALIDATORS:
            raise PageError(N_("未知的组件类型 %(type)s"), code="unknown_type", position=position,
                            ctype=str(ctype)[:30], type=str(ctype)[:30])
        settings = component.get("settings") or {}
        if not isinstance(settings, dict):
            raise PageError(N_("组件设置格式无效"), position=position, ctype=ctype)
        cid = str(component.get("id") or f"c{position}")
        if not ID_RE.match(cid) or cid in seen_ids:
            cid = f"c{position}"
            while cid in seen_ids:
                cid += "x"
        seen_ids.add(cid)
        if ctype == "tab_bar":
            tab_bars += 1
            if tab_bars > 1:
                raise PageError(N_("一个页面只能有一个底部导航"), position=position, ctype=ctype)
        try:
            clean = VALIDATORS[ctype](settings, session, merchant_id)
        except PageError as exc:
            exc.position, exc.ctype = position, ctype
            raise
        cleaned.append({"id": cid, "type": ctype, "settings": clean})
    return {"title": title, "bg_color": bg_color, "components": cleaned}
