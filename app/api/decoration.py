"""Public shop front-end endpoints of 商城装修 and 素材库 (no member token: pages and their
images are public once published).

Each request sets the tenant scope from the shop (or the file) it serves before any other
query, so "no user" never means "no filter". Only published versions are read; drafts
never leave the back office.
"""
import os

from flask import current_app, jsonify, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.utils import safe_join

from app.api import api_error, bp
from app.extensions import db
from app.models.catalog import Product, ProductImage
from app.models.media import MediaFile
from app.models.merchant import Merchant
from app.models.shop import Shop
from app.services import decoration as service
from app.services.media import MediaError, storage_for
from app.tenancy import tenant_scope

CACHE_SECONDS = 300


def _shop(shop_id):
    shop = db.session.execute(select(Shop).where(Shop.id == shop_id)
                              .execution_options(skip_tenant=True)).scalar()
    if shop is None:
        return None, api_error(_("商城不存在"), 404, "no_shop")
    merchant = db.session.execute(select(Merchant).where(Merchant.id == shop.merchant_id)
                                  .execution_options(skip_tenant=True)).scalar()
    if merchant is None or merchant.login_block_reason() or shop.status != "open":
        return None, api_error(_("商城暂停服务"), 403, "shop_closed")
    return shop, None


@bp.route("/shops/<int:shop_id>/pages/<page_ref>")
def shop_page(shop_id, page_ref):
    """The published page (``home`` or a page id) with product cards resolved."""
    shop, error = _shop(shop_id)
    if error:
        return error
    with tenant_scope(shop.merchant_id):
        try:
            page = service.find_public_page(db.session, shop, page_ref)
            if page is None:
                return api_error(_("页面不存在或尚未发布"), 404, "no_page")

            def image_url(filename):
                return url_for("api_v1.product_image", shop_id=shop.id, filename=filename,
                               _external=True)

            cache = current_app.extensions.setdefault("md_page_cache", service.PageCache())
            payload = service.public_page(
                db.session, shop=shop, page=page, image_url=image_url, cache=cache,
                ttl=current_app.config.get("DECORATION_CACHE_SECONDS", CACHE_SECONDS))
            return jsonify(payload)
        finally:
            db.session.rollback()


@bp.route("/shops/<int:shop_id>/images/<filename>")
def product_image(shop_id, filename):
    """A focus image of an on-shelf product of the shop's merchant (the cards' pictures)."""
    shop, error = _shop(shop_id)
    if error:
        return error
    with tenant_scope(shop.merchant_id):
        try:
            found = db.session.execute(select(ProductImage.id).join(Product).where(
                ProductImage.file == filename, Product.status == "on_shelf")).first()
        finally:
            db.session.rollback()
    if found is None or "/" in filename or "\\" in filename:
        return api_error(_("图片不存在"), 404, "no_image")
    path = safe_join(current_app.config["UPLOAD_FOLDER"], filename)
    if path is None or not os.path.isfile(path):
        return api_error(_("图片不存在"), 404, "no_image")
    return send_file(path, max_age=3600)


@bp.route("/media/<token>")
def media_file(token):
    """A 素材库 file by its unguessable token (what decorated pages reference)."""
    return _send_media(token, thumb=False)


@bp.route("/media/<token>/thumb")
def media_thumb(token):
    return _send_media(token, thumb=True)


def _send_media(token, thumb):
    if len(token) > 48:
        return api_error(_("文件不存在"), 404, "no_media")
    media = db.session.execute(select(MediaFile).where(MediaFile.token == token)
                               .execution_options(skip_tenant=True)).scalar()
    db.session.rollback()
    if media is None:
        return api_error(_("文件不存在"), 404, "no_media")
    key = media.thumb_key if thumb and media.thumb_key else media.storage_key
    try:
        handle = storage_for(current_app.config).open(key)
    except MediaError as exc:
        return api_error(str(exc), exc.status, exc.code)
    if handle is None:
        return api_error(_("文件不存在"), 404, "no_media")
    mimetype = "image/png" if thumb and media.thumb_key else media.content_type
    return send_file(handle, mimetype=mimetype, max_age=86400, conditional=False)
