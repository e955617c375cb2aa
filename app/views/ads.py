"""广告管理: 首页焦点图设置 (banners with a product picker) and 首页商品管理 (home order)."""
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired, NumberRange, Optional as OptionalValidator
from wtforms.validators import ValidationError

from app.admin.fields import AjaxRelatedField
from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.ads import BANNER_POSITIONS, Banner
from app.models.catalog import Product
from app.services import ads as service
from app.views import add


def _products():
    return db.session.query(Product).order_by(Product.id.desc())


def _product_label(product):
    return f"{product.id} - {product.name}"


def _check_banner(form, field):
    problems = service.banner_problems(
        shop=form.shop.data, product=form.product.data, position=form.position.data,
        starts_at=form.starts_at.data, ends_at=form.ends_at.data)
    if field.name in problems:
        raise ValidationError(_(problems[field.name]))


class BannerView(TenantModelView):
    datamodel = AdminInterface(Banner)
    list_title = _l("首页焦点图设置")
    add_title = _l("新增焦点图广告")
    list_columns = ["image", "shop", "product_id", "product", "position", "sort", "active",
                    "starts_at", "ends_at"]
    search_columns = ["shop", "position", "active", "created_at"]
    add_columns = edit_columns = ["shop", "product", "image", "position", "sort", "active",
                                  "starts_at", "ends_at"]
    show_columns = list_columns + ["created_at"]
    export_columns = ["id", "shop", "product_id", "product", "position", "sort", "active",
                      "starts_at", "ends_at", "created_at"]
    base_order = ("sort", "asc")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export", "can_download"]
    add_form_extra_fields = edit_form_extra_fields = {
        "product": AjaxRelatedField(
            _l("推荐商品"), query_func=_products, get_label=_product_label,
            validators=[InputRequired(_l("请选择推荐商品")), _check_banner],
            description=_l("输入商品名称搜索，或填写“全部商品列表”中的商品ID；商品须已上架")),
        # Declared here (not derived by the base) to carry the shop-type check.
        "position": SelectField(_l("图片位置"), choices=BANNER_POSITIONS, default="home_focus",
                                validators=[InputRequired(_l("请选择图片位置")), _check_banner],
                                description=_l("首页广告位只有小程序商城和百变小程序拥有")),
    }
    validators_columns = {
        "ends_at": [_check_banner],
        "sort": [NumberRange(min=0, max=9999, message=_l("排序须为 0-9999"))],
    }


class HomeProductView(TenantModelView):
    """首页商品管理: the display order of products on the home page (default newest first)."""

    datamodel = AdminInterface(Product)
    list_title = _l("首页商品管理")
    edit_title = _l("设置首页排序")
    list_columns = ["id", "name", "status", "price", "home_sort", "created_at"]
    search_columns = ["name", "id", "status", "created_at"]
    edit_columns = ["home_sort"]
    show_columns = ["id", "name", "status", "price", "home_sort", "created_at"]
    export_columns = list_columns
    # Newest first, as the shop shows products without a 首页排序; sort by 首页排序 to see
    # the merchant's own order.
    base_order = ("created_at", "desc")
    base_permissions = ["can_list", "can_show", "can_edit", "can_export"]
    validators_columns = {"home_sort": [OptionalValidator(), NumberRange(
        min=0, max=99999, message=_l("排序须为 0-99999 的整数"))]}


def register(appbuilder):
    add(appbuilder, BannerView, "home_banner", _l("首页焦点图设置"), "ads", "fa-picture-o")
    add(appbuilder, HomeProductView, "home_products", _l("首页商品管理"), "ads", "fa-sort")
