"""品牌内容 rules: links and videos, rich text, article publishing and visibility,
目录 deletion, and the read-only shapes the shop API returns.

No Flask here; messages are Chinese msgids (``N_``) that the caller translates.
"""
import re

import nh3
from sqlalchemy import func, select

from app.models.base import china_now
from app.models.catalog import Product, ProductCategory
from app.models.content import (RICH_TEXT_MAX, AboutPage, Article, ArticleCategory,
                                BrandFocusImage)
from app.services import media as media_service
from app.services.catalog import DESCRIPTION_ATTRIBUTES, DESCRIPTION_TAGS
from app.services.errors import N_, BusinessError

_URL_RE = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)
_REF_RE = re.compile(r"^(product|article|category):(\d{1,18})$")
_LINK_TARGETS = {"product": Product, "article": Article, "category": ProductCategory}


_SRC_RE = re.compile(r"""\ssrc=["']([^"']+)["']""")


def _media_check(session, merchant_id, url, kind):
    """A 素材库 URL must be one of this merchant's library files (of that kind)."""
    from app.services import media

    try:
        media.check_media_url(session, merchant_id, url, kind=kind)
    except BusinessError as exc:
        return str(exc)
    return None


def _is_local(url):
    """A library address (or any address on this site): checked against the library."""
    from app.services import media

    return media.token_of(url) is not None or url.startswith("/")


def rich_text_media_problem(session, merchant_id, html):
    """Files of this site embedded in rich text must be the merchant's own library files
    (another merchant's token is refused); external http(s) images stay allowed, as in
    商品描述."""
    for url in _SRC_RE.findall(html or ""):
        if _is_local(url):
            problem = _media_check(session, merchant_id, url, None)
            if problem:
                return problem
    return None


def link_problem(session, merchant_id, link):
    """Why ``link`` is not a usable focus-image link for this merchant, or None.
    Accepted: an http(s) URL, or product:ID / article:ID / category:ID of this merchant."""
    link = (link or "").strip()
    if not link:
        return None
    if _URL_RE.match(link):
        return None
    match = _REF_RE.match(link)
    if not match:
        return N_("链接格式不正确：请填写 https:// 开头的网址，或 product:商品ID、"
                  "article:文章ID、category:分类ID")
    model = _LINK_TARGETS[match.group(1)]
    found = session.execute(select(model.id).where(
        model.id == int(match.group(2)), model.merchant_id == merchant_id)).first()
    if found is None:
        return {"product": N_("链接的商品不存在"), "article": N_("链接的文章不存在"),
                "category": N_("链接的商品分类不存在")}[match.group(1)]
    return None


# Rich text of articles and 关于商城: the product description's allow-list, except that a
# <video> is kept only when its src is this merchant's own 素材库 MP4, with controls, width,
# height and a poster from the library; <source>, iframes, scripts and any other video go.
RICH_TEXT_TAGS = DESCRIPTION_TAGS - {"source"}
RICH_TEXT_ATTRIBUTES = dict(DESCRIPTION_ATTRIBUTES, video={"src", "controls", "poster", "width",
                                                           "height"})
RICH_TEXT_ATTRIBUTES.pop("source", None)
_VIDEO_TAG_RE = re.compile(r"<video\b[^>]*>|</video>")
_SIZE_RE = re.compile(r"^\d{1,4}%?$")


def _own_media(session, merchant_id, url, kind):
    """Whether ``url`` is this merchant's own library file of ``kind``."""
    if session is None or merchant_id is None or media_service.token_of(url) is None:
        return False
    try:
        media_service.check_media_url(session, merchant_id, url, kind=kind)
    except BusinessError:
        return False
    return True


def _drop_videos_without_src(html):
    """nh3 removed the src of every video that is not the merchant's own: remove those
    elements' tags (their fallback text, already sanitized, stays). nh3's output is
    well-formed, so open and close tags pair up on a stack."""
    out, stack, last = [], [], 0
    for match in _VIDEO_TAG_RE.finditer(html):
        token = match.group(0)
        if token == "</video>":
            keep = stack.pop() if stack else False
        else:
            keep = ' src="' in token
            stack.append(keep)
        out.append(html[last:match.start()])
        if keep:
            out.append(token if token == "</video>" or " controls" in token else
                       token[:-1] + " controls>")
        last = match.end()
    out.append(html[last:])
    return "".join(out)


def sanitize_rich_text(html, session=None, merchant_id=None):
    """Merchant rich text as stored and shown: allow-listed tags and attributes, http(s)
    URLs, and only the merchant's own library videos (no session: no video at all)."""
    if not html:
        return html or ""

    def keep(tag, attr, value):
        if tag == "video":
            if attr == "src":
                return value if _own_media(session, merchant_id, value, "video") else None
            if attr == "poster":
                return value if _own_media(session, merchant_id, value, "image") else None
            if attr in ("width", "height"):
                return value if _SIZE_RE.match(value.strip()) else None
        return value

    clean = nh3.clean(html, tags=RICH_TEXT_TAGS, attributes=RICH_TEXT_ATTRIBUTES,
                      clean_content_tags={"script", "style"},
                      url_schemes={"http", "https"}, link_rel="noopener noreferrer",
                      attribute_filter=keep)
    return _drop_videos_without_src(clean)


def clean_rich_text(html, session=None, merchant_id=None):
    """Stored form of merchant rich text (``sanitize_rich_text``: images, the merchant's own
    library videos, basic formatting; no script, style, iframe, event handlers or
    javascript: URLs), with its 素材库 images checked to be the merchant's own when
    ``session`` is given."""
    html = html or ""
    if len(html) > RICH_TEXT_MAX:
        raise BusinessError(N_("内容太长，不能超过 60000 个字符"), code="rich_text_too_long")
    clean = sanitize_rich_text(html, session, merchant_id).strip()
    if session is not None:
        problem = rich_text_media_problem(session, merchant_id, clean)
        if problem:
            raise BusinessError(problem, code="rich_text_media")
    return clean


# -- articles ----------------------------------------------------------------------------
def product_problem(product, merchant_id):
    if product is not None and product.merchant_id != merchant_id:
        return N_("商品不存在")
    return None


def publish(article, now=None):
    """立即发布: published and shown; the publish time is now unless the merchant set one
    (a future time is a scheduled publication)."""
    if not (article.body or "").strip():
        raise BusinessError(N_("请先填写文章详情再发布"), code="empty_body")
    article.published = True
    article.visible = True
    if article.published_at is None:
        article.published_at = now or china_now()


def set_visible(articles, visible):
    for article in articles:
        article.visible = bool(visible)


def is_public(article, now=None):
    now = now or china_now()
    return bool(article.published and article.visible and article.published_at is not None
                and article.published_at <= now)


def public_articles(session, merchant_id, now=None, category_id=None, limit=20, offset=0):
    now = now or china_now()
    query = select(Article).where(
        Article.merchant_id == merchant_id, Article.published.is_(True),
        Article.visible.is_(True), Article.published_at <= now)
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    query = query.order_by(Article.published_at.desc(), Article.id.desc())
    return session.execute(query.offset(offset).limit(limit)).scalars().all()


def status_label(article, now=None):
    if not article.published:
        return N_("草稿")
    if not article.visible:
        return N_("已隐藏")
    if article.published_at and article.published_at > (now or china_now()):
        return N_("定时发布")
    return N_("已发布")


def category_article_count(session, category):
    return session.execute(select(func.count(Article.id)).where(
        Article.category_id == category.id)).scalar()


def check_category_deletable(session, category):
    count = category_article_count(session, category)
    if count:
        raise BusinessError(N_("该目录下还有文章，请先移走或删除这些文章"),
                            code="category_in_use")


# -- 关于商城 -----------------------------------------------------------------------------
def about_of(session, merchant_id):
    return session.execute(select(AboutPage).where(
        AboutPage.merchant_id == merchant_id)).scalar_one_or_none()


def save_about(session, merchant_id, title, body, editor, now=None):
    title = (title or "").strip()
    if not 1 <= len(title) <= 30:
        raise BusinessError(N_("标题须为 1-30 个字"), code="about_title")
    body = clean_rich_text(body, session, merchant_id)
    page = about_of(session, merchant_id)
    if page is None:
        page = AboutPage(merchant_id=merchant_id)
        session.add(page)
    page.title = title
    page.body = body
    page.updated_at = now or china_now()
    page.updated_by = editor
    return page


# -- shapes for the shop API ---------------------------------------------------------------
def _product_card(product):
    if product is None or product.status != "on_shelf":
        return None  # only on-shelf products are shown to shoppers
    return {"id": product.id, "name": product.name, "price": str(product.price)}


def article_card(article, image_url):
    return {
        "id": article.id, "title": article.title, "summary": article.summary or "",
        "cover": image_url(article.cover),
        "category": {"id": article.category.id, "name": article.category.name}
        if article.category else None,
        "published_at": article.published_at.isoformat(timespec="minutes"),
    }


def article_detail(article, image_url):
    data = article_card(article, image_url)
    data.update(body=article.body or "", video=article.video or None,
                head_product=_product_card(article.head_product),
                tail_product=_product_card(article.tail_product))
    return data


def focus_images(session, merchant_id):
    return session.execute(select(BrandFocusImage).where(
        BrandFocusImage.merchant_id == merchant_id, BrandFocusImage.active.is_(True))
        .order_by(BrandFocusImage.sort, BrandFocusImage.id)).scalars().all()


def referenced_file(session, merchant_id, filename, now=None):
    """Whether an uploaded file is shown by this merchant's public content (a visible
    focus image, a public article's cover): only such files are served to shoppers."""
    now = now or china_now()
    if session.execute(select(BrandFocusImage.id).where(
            BrandFocusImage.merchant_id == merchant_id, BrandFocusImage.active.is_(True),
            BrandFocusImage.image == filename).limit(1)).first():
        return True
    return session.execute(select(Article.id).where(
        Article.merchant_id == merchant_id, Article.cover == filename,
        Article.published.is_(True), Article.visible.is_(True),
        Article.published_at <= now).limit(1)).first() is not None


# -- demo data ---------------------------------------------------------------------------
DEMO_CATEGORIES = ["品牌故事", "新品资讯", "生活百科"]
DEMO_ARTICLES = [
    ("品牌故事", "我们的品牌故事", "从一家小店到今天，我们一直坚持好品质。",
     "<p>十年前，我们从一家街角小店起步。</p><p>今天，我们依然<strong>坚持每一件商品亲自挑选</strong>。</p>"),
    ("新品资讯", "本周上新：当季好物", "当季新品到店，会员专享尝鲜价。",
     "<h3>当季新品</h3><ul><li>产地直发</li><li>48 小时内发货</li></ul>"),
    ("生活百科", "如何挑选与保存", "三个小技巧，让好物保持新鲜。",
     "<ol><li>避光保存</li><li>密封防潮</li><li>尽快食用</li></ol>"),
]


def seed_demo(merchant, shops):
    """A few 目录 and articles (one still a draft), a focus image and the 关于我们 page."""
    from app.extensions import db

    session = db.session
    now = china_now()
    categories = {}
    for sort, name in enumerate(DEMO_CATEGORIES):
        category = ArticleCategory(merchant_id=merchant.id, name=name, sort=sort)
        session.add(category)
        categories[name] = category
    session.flush()
    product = session.execute(select(Product).where(
        Product.merchant_id == merchant.id, Product.status == "on_shelf")
        .order_by(Product.id).limit(1)).scalar()
    for index, (category, title, summary, body) in enumerate(DEMO_ARTICLES):
        draft = index == len(DEMO_ARTICLES) - 1
        session.add(Article(
            merchant_id=merchant.id, category_id=categories[category].id,
            title=f"{merchant.name}：{title}", summary=summary, body=body,
            head_product_id=product.id if product is not None and index == 1 else None,
            published=not draft, visible=True, published_at=None if draft else now))
    session.add(BrandFocusImage(merchant_id=merchant.id, title=f"{merchant.name}品牌焦点图",
                                link="https://example.com/brand", sort=0, active=True))
    session.add(AboutPage(
        merchant_id=merchant.id, title="关于我们", updated_at=now, updated_by="演示数据",
        body=f"<p>{merchant.name}是一家用心经营的品牌店铺。</p><p>客服时间：每天 9:00-21:00。</p>"))


# -- 素材库 usage: a library file used here is not deleted (app/services/media.py) ----------
@media_service.register_usage
def media_usage(session, media):
    """Places in brand content that reference a library file, in Chinese."""
    from sqlalchemy import or_

    path = media.public_path
    places = [N_("文章《%s》") % title for title in session.execute(
        select(Article.title).where(or_(Article.cover == path, Article.video == path,
                                        Article.body.contains(path))).limit(20)).scalars()]
    places += [N_("焦点图“%s”") % (row.title or row.id) for row in session.execute(
        select(BrandFocusImage).where(BrandFocusImage.image == path).limit(20)).scalars()]
    if session.execute(select(AboutPage.id).where(AboutPage.body.contains(path))).first():
        places.append(N_("关于商城"))
    return places
