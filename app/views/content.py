"""我的商城 → 品牌内容编辑 (焦点图管理, 文章管理 / 资讯管理 / 百变资讯管理, 目录管理) and
关于商城. Rules live in app/services/content.py.

新增文章 is two steps, as the guide describes: the base add/edit form (标题, 封面, 摘要, 目录,
头部/尾部商品, 视频, 发布时间) saves a draft and leads to 文章详情 (the rich-text body), whose
"立即发布" publishes it.
"""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField
from wtforms.validators import Length, NumberRange, Optional as OptionalValidator
from wtforms.validators import ValidationError

from app.admin.audit import audit_action
from app.admin.fields import AjaxRelatedField
from app.admin.interface import AdminInterface
from app.admin.media_field import (MEDIA_HELP, VIDEO_HELP, MediaField, media_preview,
                                   media_validator, picker_config)
from app.admin.pages import merchant_id_or_403
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.base import china_now
from app.models.catalog import Product
from app.models.content import (ARTICLE_CATEGORY_NAME_MAX, ARTICLE_SUMMARY_MAX,
                                ARTICLE_TITLE_MAX, RICH_TEXT_MAX, Article, ArticleCategory,
                                BrandFocusImage)
from app.services import content as service
from app.services.errors import BusinessError
from app.views import add


def _tenant():
    from app.tenancy import current_merchant_id

    return current_merchant_id()


def _check_link(form, field):
    problem = service.link_problem(db.session, _tenant(), field.data)
    if problem:
        raise ValidationError(_(problem))


def _media_config():
    """The library picker's settings for the rich-text editor, or "" for a user who may
    not open the 素材库 (the editor then asks for an image address instead)."""
    import json

    from flask import current_app

    if not current_app.appbuilder.sm.has_access("can_list", "MediaView"):
        return ""
    return json.dumps(picker_config(), ensure_ascii=False)


def _legacy_file(endpoint):
    """Images uploaded before the library picker: shown through the view's checked route."""
    return lambda filename: url_for(f"{endpoint}.download", filename=filename)


def _thumb(endpoint):
    def render(value):
        src = media_preview(value, _legacy_file(endpoint))
        return Markup('<img class="md-thumb" src="{0}" alt="" height="40">').format(src) \
            if src else ""
    return render


def _video_player(value):
    """The article's 视频 in the console: a small player for a library file."""
    from app.services import media as media_service

    if value and media_service.token_of(value):
        return Markup('<video class="md-thumb" src="{0}" controls preload="metadata" '
                      'height="120"></video>').format(value)
    return value or ""


def _rich_html(value):
    """Rich text as shown in the console: sanitized again on the way out (defence in depth)."""
    return Markup(service.sanitize_rich_text(value or "", db.session, _tenant()))


# -- 焦点图管理 -------------------------------------------------------------------------------
class BrandFocusImageView(TenantModelView):
    """焦点图管理: the brand mini program's top carousel; "示例" shows where it appears."""

    datamodel = AdminInterface(BrandFocusImage)
    list_title = _l("焦点图管理")
    add_title = _l("新增焦点图")
    list_template = "content/focus_list.html"
    list_columns = ["image", "title", "link", "sort", "active", "created_at"]
    search_columns = ["title", "active", "created_at"]
    add_columns = edit_columns = ["image", "title", "link", "sort", "active"]
    show_columns = list_columns
    export_columns = ["id", "title", "link", "sort", "active", "created_at"]
    base_order = ("sort", "asc")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export", "can_download"]
    # FAB makes a NOT NULL boolean "required", so an unticked box could never be saved.
    add_form_extra_fields = edit_form_extra_fields = {
        "active": BooleanField(_l("启用"), default=True,
                               description=_l("只有启用的焦点图显示在小程序中")),
        "image": MediaField(_l("焦点图"), kind="image", description=MEDIA_HELP,
                            legacy_url=_legacy_file("BrandFocusImageView")),
    }
    formatters_columns = {"image": _thumb("BrandFocusImageView")}
    validators_columns = {
        "title": [OptionalValidator(), Length(max=30, message=_l("标题不能超过 30 个字"))],
        "link": [OptionalValidator(), Length(max=500, message=_l("链接不能超过 500 个字符")),
                 _check_link],
        "sort": [NumberRange(min=0, max=9999, message=_l("排序须为 0-9999"))],
    }

    def form_ready(self, form, item=None):
        # A library image of this merchant is required; a row's older uploaded file stays.
        if "image" in form._fields:
            form.image.validators = [media_validator(
                "image", item.image if item else None, _l("请从素材库选择焦点图图片"))]


# -- 目录管理 ---------------------------------------------------------------------------------
class ArticleCategoryView(TenantModelView):
    datamodel = AdminInterface(ArticleCategory)
    list_title = _l("目录管理")
    add_title = _l("新增目录")
    list_columns = ["name", "sort", "created_at"]
    search_columns = ["name", "created_at"]
    add_columns = edit_columns = ["name", "sort"]
    show_columns = list_columns
    base_order = ("sort", "asc")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export"]
    validators_columns = {
        "name": [Length(min=1, max=ARTICLE_CATEGORY_NAME_MAX,
                        message=_l("目录名称须为 1-20 个字"))],
        "sort": [NumberRange(min=0, max=9999, message=_l("排序须为 0-9999"))],
    }

    def _duplicate(self, item):
        from sqlalchemy import select

        found = db.session.execute(select(ArticleCategory.id).where(
            ArticleCategory.name == item.name, ArticleCategory.id != (item.id or 0))).first()
        if found:
            raise BusinessError(_("目录名称“%(name)s”已存在", name=item.name))

    def pre_add(self, item):
        super().pre_add(item)
        self._duplicate(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._duplicate(item)

    def pre_delete(self, item):
        service.check_category_deletable(db.session, item)


# -- 文章管理 ---------------------------------------------------------------------------------
def _products():
    return db.session.query(Product).order_by(Product.id.desc())


def _product_label(product):
    return f"{product.id} - {product.name}"


def _state_badge(article):
    text = _(service.status_label(article))
    kind = {"草稿": "default", "已隐藏": "warning", "定时发布": "info"}.get(
        service.status_label(article), "success")
    return Markup('<span class="label label-{0}">{1}</span>').format(kind, text)


class ArticleView(TenantModelView):
    """文章管理 / 资讯管理 / 百变资讯管理."""

    datamodel = AdminInterface(Article)
    list_title = _l("文章管理")
    add_title = _l("新增文章（第一步：基本信息）")
    edit_title = _l("编辑文章（第一步：基本信息）")
    show_title = _l("查看文章")
    list_template = "content/article_list.html"
    show_template = "content/article_show.html"
    list_columns = ["cover", "title", "category", "state", "published_at", "created_at"]
    search_columns = ["title", "category", "published", "visible", "published_at",
                      "created_at"]
    add_columns = edit_columns = ["title", "cover", "summary", "category", "head_product",
                                  "tail_product", "video", "published_at"]
    show_columns = ["title", "cover", "summary", "category", "head_product", "tail_product",
                    "video", "state", "published_at", "created_at", "body"]
    export_columns = ["id", "title", "category", "summary", "published", "visible",
                      "published_at", "created_at"]
    label_columns = {"state": _l("状态")}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export", "can_download", "can_publish", "can_show_article",
                        "can_hide_article"]
    formatters_columns = {"state": _state_badge, "body": _rich_html,
                          "cover": _thumb("ArticleView"), "video": _video_player}
    validators_columns = {
        "title": [Length(min=2, max=ARTICLE_TITLE_MAX,
                         message=_l("文章标题须为 2-%(n)d 个字", n=ARTICLE_TITLE_MAX))],
        "summary": [OptionalValidator(), Length(
            max=ARTICLE_SUMMARY_MAX, message=_l("摘要不能超过 %(n)d 个字", n=ARTICLE_SUMMARY_MAX))],
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "cover": MediaField(_l("封面图"), kind="image", description=MEDIA_HELP,
                            legacy_url=_legacy_file("ArticleView")),
        # 视频: an MP4 of the merchant's 素材库 (picker in video mode); the validator set in
        # form_ready checks it is this merchant's library video. Deleting it from the
        # library is refused while an article uses it (services/content.media_usage).
        "video": MediaField(_l("视频"), kind="video", description=VIDEO_HELP),
        "head_product": AjaxRelatedField(
            _l("头部商品"), query_func=_products, get_label=_product_label,
            validators=[OptionalValidator()],
            description=_l("选填：显示在文章开头的商品，输入商品名称搜索")),
        "tail_product": AjaxRelatedField(
            _l("尾部商品"), query_func=_products, get_label=_product_label,
            validators=[OptionalValidator()],
            description=_l("选填：显示在文章末尾的商品，输入商品名称搜索")),
    }

    def form_ready(self, form, item=None):
        if "cover" in form._fields:
            form.cover.validators = [media_validator("image", item.cover if item else None)]
        if "video" in form._fields:
            # an address saved before the picker (an https mp4) stays until it is changed
            form.video.validators = [media_validator("video", item.video if item else None)]

    # Step 1 saves and leads to step 2 (文章详情).
    def post_add(self, item):
        g.content_next_pk = item.id

    def post_update(self, item):
        g.content_next_pk = item.id

    def post_add_redirect(self):
        pk = g.get("content_next_pk")
        if pk is None:
            return super().post_add_redirect()
        flash(_("基本信息已保存，请编辑文章详情"), "info")
        return redirect(url_for("ArticleView.body", pk=pk))

    def post_edit_redirect(self):
        pk = g.get("content_next_pk")
        if pk is None:
            return super().post_edit_redirect()
        return redirect(url_for("ArticleView.body", pk=pk))

    @expose("/body/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def body(self, pk):
        """Step 2, 文章详情: the rich-text body; 保存 keeps the state, 立即发布 publishes."""
        article = self.get_visible(pk)
        text, error = article.body or "", None
        if request.method == "POST":
            text = request.form.get("body", "")
            try:
                article.body = service.clean_rich_text(text, db.session, article.merchant_id)
                if request.form.get("submit_action") == "publish":
                    service.publish(article)
            except BusinessError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                name = _("立即发布") if request.form.get("submit_action") == "publish" else _(
                    "编辑文章详情")
                with audit_action(name):
                    db.session.commit()
                if article.published:
                    flash(_("文章“%(title)s”已发布", title=article.title)
                          if service.is_public(article) else
                          _("文章“%(title)s”将于 %(at)s 发布", title=article.title,
                            at=article.published_at.strftime("%Y-%m-%d %H:%M")), "success")
                else:
                    flash(_("文章详情已保存（草稿，尚未发布）"), "success")
                return redirect(url_for("ArticleView.list"))
            if error:
                flash(_("文章未保存：请修改标红的内容"), "danger")
        return self.render_template(
            "content/article_body.html", title=_("编辑文章（第二步：文章详情）"),
            article=article, text=text, error=error, max_chars=RICH_TEXT_MAX,
            media_config=_media_config()), (
            422 if error else 200)

    def _items(self, items):
        return items if isinstance(items, list) else [items]

    @action("publish", _l("立即发布"), _l("确定发布所选文章？发布后将在小程序和微商城中展示"),
            "fa-paper-plane")
    def publish(self, items):
        done, skipped = 0, []
        for article in self._items(items):
            try:
                service.publish(article)
                done += 1
            except BusinessError:
                skipped.append(article.title)
        db.session.commit()
        if done:
            flash(_("已发布 %(n)d 篇文章", n=done), "success")
        if skipped:
            flash(_("以下文章还没有文章详情，未发布：%(titles)s", titles="、".join(skipped)),
                  "warning")
        return redirect(self.get_redirect())

    @action("show_article", _l("显示"), _l("确定在商城中显示所选文章？"), "fa-eye")
    def show_article(self, items):
        items = self._items(items)
        service.set_visible(items, True)
        db.session.commit()
        flash(_("已显示 %(n)d 篇文章", n=len(items)), "success")
        return redirect(self.get_redirect())

    @action("hide_article", _l("隐藏"), _l("隐藏后顾客将看不到所选文章，确定？"), "fa-eye-slash")
    def hide_article(self, items):
        items = self._items(items)
        service.set_visible(items, False)
        db.session.commit()
        flash(_("已隐藏 %(n)d 篇文章", n=len(items)), "success")
        return redirect(self.get_redirect())


# -- 关于商城 ---------------------------------------------------------------------------------
class AboutView(BaseView):
    """关于商城 / 关于我们: one page per merchant, shown in the 微商城 (会员中心 → 更多) and in
    the mini program (我的 → 更多)."""

    route_base = "/about"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_show", "can_edit"]

    @expose("/")
    @has_access
    @permission_name("show")
    def index(self):
        page = service.about_of(db.session, merchant_id_or_403())
        return self.render_template("content/about.html", title=_l("关于商城"), page=page,
                                    body=_rich_html(page.body if page else ""))

    @expose("/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self):
        merchant_id = merchant_id_or_403()
        page = service.about_of(db.session, merchant_id)
        title = page.title if page else _("关于我们")
        text, error = (page.body if page else "") or "", None
        if request.method == "POST":
            title = (request.form.get("title") or "").strip()
            text = request.form.get("body", "")
            try:
                service.save_about(db.session, merchant_id, title, text,
                                   getattr(g.user, "display_name", None) or g.user.username,
                                   china_now())
            except BusinessError as exc:
                db.session.rollback()
                error = str(exc)
                flash(_("未保存：请修改标红的内容"), "danger")
            else:
                with audit_action(_("编辑关于商城")):
                    db.session.commit()
                flash(_("关于商城已保存，微商城和小程序同步更新"), "success")
                return redirect(url_for("AboutView.index"))
        return self.render_template("content/about_edit.html", title=_l("编辑关于商城"),
                                    page_title=title, text=text, error=error,
                                    max_chars=RICH_TEXT_MAX, media_config=_media_config()), \
            422 if error else 200


def register(appbuilder):
    add(appbuilder, BrandFocusImageView, "brand_focus", _l("焦点图管理"), "my_shop",
        "fa-picture-o")
    add(appbuilder, ArticleView, "articles", _l("文章管理"), "my_shop", "fa-newspaper-o")
    add(appbuilder, ArticleCategoryView, "article_categories", _l("目录管理"), "my_shop",
        "fa-folder-o")
    add(appbuilder, AboutView, "about_shop", _l("关于商城"), "my_shop", "fa-info-circle")
