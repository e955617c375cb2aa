"""我的商城 → 商城装修: every shop of the merchant with 设置个性化, 设置模板样式, 查看二维码 and
页面设计, and the page builder (草稿, 发布, 版本记录, 回滚).

Pages are saved as JSON from the builder (static/js/page_builder.js); the service checks
the whole document and refuses it with a Chinese message naming the component, so the
last good draft survives. Shoppers read published versions only (app/api/decoration.py).
"""
import json

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.admin.audit import audit_action
from app.admin.interface import AdminInterface
from app.admin.media_field import picker_config
from app.admin.pages import form_text, merchant_id_or_403
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.catalog import Product, ProductCategory
from app.models.decoration import TEMPLATE_STYLES, DecorationPage, PageVersion
from app.models.shop import Shop
from app.services import decoration as service
from app.services.decoration_schema import COMPONENTS, LINK_KINDS, TAB_ICONS, MAX_PAGE_BYTES
from app.services.errors import BusinessError
from app.views import add


def _vendor_ready():
    import os

    return os.path.isfile(os.path.join(current_app.static_folder, "vendor", "sortable",
                                       "Sortable.min.js"))


def _image_urls(shop_id):
    return lambda filename: url_for("api_v1.product_image", shop_id=shop_id, filename=filename)


class DecorationView(TenantModelView):
    """商城装修: the shop list with its decoration actions."""

    datamodel = AdminInterface(Shop)
    list_title = _l("商城装修")
    list_columns = ["name", "shop_type", "theme_color", "id"]
    search_columns = ["name", "shop_type"]
    label_columns = {"id": _l("操作")}
    base_permissions = ["can_list", "can_personalize"]
    base_order = ("id", "asc")

    @staticmethod
    def _ops(pk):
        links = [(url_for("DecorationView.personalize", pk=pk), _l("设置个性化")),
                 (url_for("DecorationView.template", pk=pk), _l("设置模板样式")),
                 (url_for("ShopView.qrcode", pk=pk), _l("查看二维码")),
                 (url_for("PageView.list", _flt_0_shop=pk), _l("页面设计"))]
        return Markup(" ").join(Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>')
                                .format(href, text) for href, text in links)

    formatters_columns = {"id": lambda pk: DecorationView._ops(pk),
                          "theme_color": lambda c: Markup(
                              '<span class="md-swatch" style="background:{0}"></span> {0}')
                          .format(c)}

    def _style_page(self, pk, template, status=200, error=None):
        shop = self.get_visible(pk)
        style = service.style_of(db.session, shop)
        if style.id is None:  # shown with defaults; nothing is written by a GET
            db.session.expunge(style)
        return self.render_template(
            template, shop=shop, style=style, error=error, styles=TEMPLATE_STYLES,
            title=_l("设置个性化") if "personalize" in template else _l("设置模板样式")), status

    @expose("/personalize/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("personalize")
    def personalize(self, pk):
        """设置个性化: the main and accent colours, previewed live."""
        if request.method == "GET":
            return self._style_page(pk, "decoration/personalize.html")
        shop = self.get_visible(pk)
        try:
            service.set_style(db.session, shop=shop, main_color=form_text("main_color", 7),
                              accent_color=form_text("accent_color", 7))
        except BusinessError as exc:
            db.session.rollback()
            return self._style_page(pk, "decoration/personalize.html", 422, str(exc))
        with audit_action(_("设置个性化")):
            db.session.commit()
        flash(_("已保存个性化设置"), "success")
        return redirect(url_for("DecorationView.list"))

    @expose("/template/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("personalize")
    def template(self, pk):
        """设置模板样式 (小程序商城): five styles, each a rendered preview."""
        shop = self.get_visible(pk)
        if shop.shop_type != "mini_mall":
            flash(_("模板样式只适用于小程序商城；其他商城请使用“页面设计”自定义页面"), "info")
            return redirect(url_for("PageView.list", _flt_0_shop=shop.id))
        if request.method == "GET":
            return self._style_page(pk, "decoration/template.html")
        try:
            service.set_style(db.session, shop=shop, template_style=form_text("template_style", 20))
        except BusinessError as exc:
            db.session.rollback()
            return self._style_page(pk, "decoration/template.html", 422, str(exc))
        with audit_action(_("设置模板样式")):
            db.session.commit()
        flash(_("已保存模板样式"), "success")
        return redirect(url_for("DecorationView.list"))


def _posted_version(page):
    """The version of ``page`` named by the posted ``version_id`` (回滚, 载入草稿), else 404."""
    version_id = form_text("version_id")
    version = db.session.get(PageVersion, int(version_id)) if version_id.isdigit() else None
    if version is None or version.page_id != page.id:
        abort(404)
    return version


class PageView(TenantModelView):
    """页面设计: the shop's pages, the builder, 发布, 版本记录 and 回滚."""

    datamodel = AdminInterface(DecorationPage)
    list_title = _l("页面设计")
    list_template = "decoration/page_list.html"
    list_columns = ["title", "shop", "is_home", "published_version_id", "draft_saved_at", "ops"]
    search_columns = ["shop", "title", "is_home"]
    label_columns = {"ops": _l("操作"), "published_version_id": _l("线上版本")}
    base_permissions = ["can_list", "can_delete", "can_design", "can_publish"]
    formatters_columns = {
        "ops": lambda pk: Markup(
            '<a class="btn btn-xs btn-primary" href="{0}">{1}</a> '
            '<a class="btn btn-xs btn-default" href="{2}">{3}</a>').format(
            url_for("PageView.builder", pk=pk), _l("页面设计"),
            url_for("PageView.history", pk=pk), _l("版本记录")),
        "published_version_id": lambda v: _l("已发布") if v else _l("未发布"),
    }

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs.setdefault("shops", db.session.execute(select(Shop).order_by(Shop.id))
                              .scalars().all())
        return super().render_template(template, **kwargs)

    @expose("/new", methods=["POST"])
    @has_access
    @permission_name("design")
    def new(self):
        merchant_id_or_403()
        shop_id = form_text("shop_id")
        shop = db.session.get(Shop, int(shop_id)) if shop_id.isdigit() else None
        if shop is None:
            abort(404)
        try:
            page = service.new_page(db.session, shop=shop, title=form_text("title", 60),
                                    is_home=bool(request.form.get("is_home")))
        except BusinessError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            return redirect(url_for("PageView.list"))
        with audit_action(_("新建装修页面")):
            db.session.commit()
        return redirect(url_for("PageView.builder", pk=page.id))

    @expose("/builder/<pk>")
    @has_access
    @permission_name("design")
    def builder(self, pk):
        page = self.get_visible(pk)
        version = service.published_version(db.session, page)
        categories = db.session.execute(select(ProductCategory).order_by(
            ProductCategory.sort, ProductCategory.id)).scalars().all()
        pages = db.session.execute(select(DecorationPage.id, DecorationPage.title).order_by(
            DecorationPage.id)).all()
        config = {
            "page": {"id": page.id, "is_home": page.is_home},
            "document": service.draft_document(page),
            "components": {k: _(v) for k, v in COMPONENTS.items()},
            "linkKinds": {k: _(v) for k, v in LINK_KINDS.items()},
            "tabIcons": TAB_ICONS,
            "categories": [{"id": c.id, "name": c.name} for c in categories],
            "pages": [{"id": i, "name": t} for i, t in pages],
            "products": self._product_names(service.draft_document(page)),
            "maxBytes": MAX_PAGE_BYTES,
            "urls": {"save": url_for("PageView.save", pk=page.id),
                     "publish": url_for("PageView.publish", pk=page.id),
                     "products": url_for("PageView.products")},
            # the shared 素材库 dialog (app/static/js/media_picker.js)
            "media": picker_config(),
        }
        return self.render_template(
            "decoration/builder.html", page=page, version=version, title=_l("页面设计"),
            vendor_ready=_vendor_ready(), components=[(k, _(v)) for k, v in COMPONENTS.items()],
            builder_config=json.dumps(config, ensure_ascii=False).replace("</", "<\\/"))

    @staticmethod
    def _product_names(doc):
        ids = set()
        for component in doc.get("components", []):
            if component.get("type") == "products":
                ids |= {i for i in component.get("settings", {}).get("product_ids", [])
                        if isinstance(i, int)}
        if not ids:
            return {}
        rows = db.session.execute(select(Product).where(Product.id.in_(list(ids)[:200]))).scalars()
        return {str(p.id): {"name": p.name, "price": str(p.price)} for p in rows}

    @expose("/products")
    @has_access
    @permission_name("design")
    def products(self):
        """The product picker (JSON): ?q= name prefix or id."""
        merchant_id_or_403()
        term = (request.args.get("q") or "").strip()[:50]
        query = select(Product).order_by(Product.id.desc()).limit(30)
        if term.isdigit():
            query = query.where(Product.id == int(term))
        elif term:
            query = query.where(Product.name.startswith(term, autoescape=True))
        rows = db.session.execute(query).scalars().all()
        return jsonify(products=[{"id": p.id, "name": p.name, "price": str(p.price),
                                  "on_shelf": p.status == "on_shelf"} for p in rows])

    @expose("/save/<pk>", methods=["POST"])
    @has_access
    @permission_name("design")
    def save(self, pk):
        """Save the builder's JSON as the draft; a refusal is JSON 422 and changes nothing."""
        page = self.get_visible(pk)
        if (request.content_length or 0) > MAX_PAGE_BYTES + 4096:
            return jsonify(ok=False, error=_("页面内容过大，不能超过 %(kb)d KB",
                                             kb=MAX_PAGE_BYTES // 1024)), 413
        raw = request.get_data(cache=False, as_text=True)
        try:
            payload = json.loads(raw) if raw else {}
            document = payload.get("document") if isinstance(payload, dict) else None
            is_home = bool(payload.get("is_home")) if isinstance(payload, dict) else None
        except ValueError:
            document, is_home = None, None
        if not isinstance(document, dict):
            return jsonify(ok=False, error=_("页面数据格式无效")), 422
        try:
            doc = service.save_draft(db.session, page=page, raw=json.dumps(document),
                                     operator_name=_operator_name(), is_home=is_home)
        except BusinessError as exc:
            db.session.rollback()
            return jsonify(ok=False, error=str(exc), code=exc.code), 422
        with audit_action(_("保存装修草稿")):
            db.session.commit()
        return jsonify(ok=True, document=doc, saved_at=page.draft_saved_at.strftime("%H:%M:%S"))

    @expose("/publish/<pk>", methods=["POST"])
    @has_access
    @permission_name("publish")
    def publish(self, pk):
        page = self.get_visible(pk)
        try:
            version = service.publish_page(db.session, page=page, operator=_operator())
        except BusinessError as exc:
            db.session.rollback()
            return _answer(False, str(exc), url_for("PageView.builder", pk=page.id), 422)
        with audit_action(_("发布装修页面")):
            db.session.commit()
        return _answer(True, _("已发布为版本 v%(n)d", n=version.number),
                       url_for("PageView.history", pk=page.id), version=version.number)

    @expose("/history/<pk>")
    @has_access
    @permission_name("design")
    def history(self, pk):
        page = self.get_visible(pk)
        versions = db.session.execute(select(PageVersion).where(
            PageVersion.page_id == page.id).order_by(PageVersion.number.desc())).scalars().all()
        return self.render_template("decoration/history.html", page=page, versions=versions,
                                    title=_l("版本记录"),
                                    draft_differs=service.draft_differs(db.session, page),
                                    draft_stamp=service.draft_stamp(page))

    @expose("/preview/<pk>")
    @has_access
    @permission_name("design")
    def preview(self, pk):
        """A version (?version=<id>) or, without it, the saved draft, as shoppers would see it."""
        page = self.get_visible(pk)
        version = None
        version_id = request.args.get("version", "")
        if version_id:
            version = db.session.get(PageVersion, int(version_id)) if version_id.isdigit() else None
            if version is None or version.page_id != page.id:
                abort(404)
            doc = json.loads(version.content)
        else:
            doc = service.draft_document(page)
        components = service.resolve_components(db.session, page.merchant_id, doc,
                                                 _image_urls(page.shop_id))
        style = service.style_of(db.session, page.shop)
        response = self.render_template("decoration/preview.html", page=page, doc=doc,
                                        components=components, version=version, style=style,
                                        title=_l("预览"))
        db.session.rollback()
        return response

    @expose("/rollback/<pk>", methods=["POST"])
    @has_access
    @permission_name("publish")
    def rollback(self, pk):
        page = self.get_visible(pk)
        version = _posted_version(page)
        try:
            new = service.rollback_page(db.session, page=page, version=version,
                                        operator=_operator())
        except BusinessError as exc:
            db.session.rollback()
            return _answer(False, str(exc), url_for("PageView.history", pk=page.id), 422)
        with audit_action(_("回滚装修页面")):
            db.session.commit()
        return _answer(True, _("已回滚：版本 v%(old)d 重新发布为 v%(new)d", old=version.number,
                               new=new.number), url_for("PageView.history", pk=page.id))


    @expose("/load_draft/<pk>", methods=["POST"])
    @has_access
    @permission_name("design")
    def load_draft(self, pk):
        """载入草稿: an old version becomes the draft; nothing is published."""
        page = self.get_visible(pk)
        version = _posted_version(page)
        try:
            service.load_version_into_draft(
                db.session, page=page, version=version, operator_name=_operator_name(),
                confirmed=request.form.get("confirm") == "1",
                seen_stamp=request.form.get("draft_stamp"))
        except BusinessError as exc:
            db.session.rollback()
            return _answer(False, str(exc), url_for("PageView.history", pk=page.id), exc.status)
        with audit_action(_("载入历史版本到草稿")):
            db.session.commit()
        return _answer(True, _("已把版本 v%(n)d 载入草稿（尚未发布，顾客看到的仍是线上版本）",
                               n=version.number), url_for("PageView.builder", pk=page.id))


def _operator():
    from flask import g

    return g.user


def _operator_name():
    return str(_operator())


def _answer(ok, message, back, status=200, **extra):
    """JSON for the builder's fetch calls, a flash and redirect for plain forms."""
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(ok=ok, message=message, error=None if ok else message, **extra), \
            (200 if ok else status)
    flash(message, "success" if ok else "danger")
    return redirect(back)


def register(appbuilder):
    add(appbuilder, DecorationView, "shop_decoration", _l("商城装修"), "my_shop", "fa-paint-brush")
    add(appbuilder, PageView, "page_design", _l("页面设计"), "my_shop", "fa-mobile")
