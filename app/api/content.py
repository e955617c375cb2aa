"""Public, read-only brand content of a shop: 商家荣誉 badges, articles, 关于我们 and the
brand focus images. No token: shoppers read these before they log in. Each request
resolves the shop, then runs inside that shop's merchant's tenant scope, so the ORM guard
limits every query to that merchant; only published, visible content is returned."""
import os
from functools import wraps

from flask import current_app, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.utils import safe_join

from app.admin import uploads
from app.api import api_error, bp
from app.extensions import db
from app.models.content import Article
from app.services import certification as certification_service
from app.services import content as service

PAGE_SIZE = 20
CACHE_SECONDS = 60


def shop_public(view):
    """Resolve ``<shop_id>`` and run the endpoint as its merchant (404 for an unknown shop,
    403 when the merchant is frozen or expired)."""

    @wraps(view)
    def wrapper(shop_id, **kwargs):
        from app.models.merchant import Merchant
        from app.models.shop import Shop
        from app.tenancy import platform_scope, tenant_scope

        try:
            with platform_scope():
                row = db.session.get(Shop, shop_id)
                merchant = db.session.get(Merchant, row.merchant_id) if row else None
            if row is None or merchant is None:
                return api_error(_("商城不存在"), 404, "no_shop")
            if merchant.login_block_reason():
                return api_error(_("商城暂停服务"), 403, "merchant_blocked")
            with tenant_scope(row.merchant_id):
                response = view(row, **kwargs)
        finally:
            db.session.rollback()  # read-only: nothing outlives the tenant scope
        if isinstance(response, tuple):
            return response
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        return response

    return wrapper


def _image_url(shop):
    def url(value):
        if not value:
            return None
        if value.startswith(("http://", "https://", "/")):
            return value  # a media-library URL: already public
        return url_for("api_v1.shop_content_file", shop_id=shop.id, filename=value)
    return url


@bp.route("/shops/<int:shop_id>/badges", methods=["GET"])
@shop_public
def shop_badges(shop):
    """商家荣誉: 实名认证 once approved, 消费者保障 once the deposit is confirmed."""
    return jsonify(certification_service.badges(db.session, shop.merchant_id))


@bp.route("/shops/<int:shop_id>/articles", methods=["GET"])
@shop_public
def shop_articles(shop):
    """Published, visible articles, newest first; ?category=<id>&page=<n> (20 a page)."""
    try:
        page = max(int(request.args.get("page", 1)), 1)
        category = request.args.get("category")
        category = int(category) if category else None
    except ValueError:
        return api_error(_("参数不正确"), 400, "bad_args")
    rows = service.public_articles(db.session, shop.merchant_id, category_id=category,
                                   limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    image_url = _image_url(shop)
    return jsonify(articles=[service.article_card(a, image_url) for a in rows[:PAGE_SIZE]],
                   page=page, more=len(rows) > PAGE_SIZE)


@bp.route("/shops/<int:shop_id>/articles/<int:article_id>", methods=["GET"])
@shop_public
def shop_article(shop, article_id):
    article = db.session.get(Article, article_id)
    if article is None or article.merchant_id != shop.merchant_id or not service.is_public(
            article):
        return api_error(_("文章不存在或未发布"), 404, "no_article")
    return jsonify(service.article_detail(article, _image_url(shop)))


@bp.route("/shops/<int:shop_id>/about", methods=["GET"])
@shop_public
def shop_about(shop):
    """关于我们: the same page for the 微商城 and the mini program."""
    page = service.about_of(db.session, shop.merchant_id)
    if page is None or not (page.body or "").strip():
        return jsonify(title=_("关于我们"), body="", updated_at=None)
    return jsonify(title=page.title, body=page.body,
                   updated_at=page.updated_at.isoformat(timespec="minutes")
                   if page.updated_at else None)


@bp.route("/shops/<int:shop_id>/focus-images", methods=["GET"])
@shop_public
def shop_focus_images(shop):
    image_url = _image_url(shop)
    return jsonify(focus_images=[
        {"id": f.id, "image": image_url(f.image), "link": f.link or None, "sort": f.sort}
        for f in service.focus_images(db.session, shop.merchant_id)])


@bp.route("/shops/<int:shop_id>/files/<filename>", methods=["GET"])
@shop_public
def shop_content_file(shop, filename):
    """An uploaded image of this shop's public content (a visible focus image, a published
    article's cover); any other file, of this merchant or another, is 404."""
    if "/" in filename or "\\" in filename or os.path.splitext(filename)[1].lower() \
            not in uploads.IMAGE_EXTENSIONS:
        return api_error(_("文件不存在"), 404, "no_file")
    if not service.referenced_file(db.session, shop.merchant_id, filename):
        return api_error(_("文件不存在"), 404, "no_file")
    path = safe_join(current_app.config["UPLOAD_FOLDER"], filename)
    if path is None or not os.path.isfile(path):
        return api_error(_("文件不存在"), 404, "no_file")
    return send_file(path, download_name=filename)
