"""物流管理: 运费模板 (with per-province charges), 物流列表 (couriers), 商城物流管理."""
from flask import flash, redirect
from flask_appbuilder.actions import action
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms.validators import Length, Optional as OptionalValidator
from wtforms.validators import ValidationError

from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.logistics import PROVINCES, Courier, FreightRegion, FreightTemplate, ShopCourier
from app.models.shop import Shop
from app.services import logistics as service
from app.views import add


def _template_check(form, field):
    values = {name: getattr(form, name).data for name in (
        "charge_by", "first_unit", "additional_unit", "first_fee", "additional_fee",
        "free_over_amount", "free_over_count") if hasattr(form, name)}
    if "charge_by" not in values:
        template = getattr(form, "template", None)
        values["charge_by"] = template.data.charge_by if template and template.data else None
    problem = service.template_problems(values).get(field.name)
    if problem:
        raise ValidationError(_(problem))


def _provinces_check(form, field):
    names = service.split_provinces(field.data)
    if not names:
        raise ValidationError(_("请至少填写一个省份"))
    unknown = [n for n in names if n not in PROVINCES]
    if unknown:
        raise ValidationError(_("无法识别的省份：%(names)s（请填写简称，如 新疆、内蒙古）",
                                names="、".join(unknown)))


_CHARGE_FIELDS = ("first_unit", "first_fee", "additional_unit", "additional_fee")


class FreightRegionView(TenantModelView):
    datamodel = AdminInterface(FreightRegion)
    list_title = _l("指定地区运费")
    list_columns = ["template", "provinces", "first_unit", "first_fee", "additional_unit",
                    "additional_fee"]
    search_columns = ["template", "provinces"]
    add_columns = edit_columns = ["template", "provinces"] + list(_CHARGE_FIELDS)
    show_columns = list_columns
    base_order = ("id", "asc")
    validators_columns = {"provinces": [_provinces_check],
                          **{name: [_template_check] for name in _CHARGE_FIELDS}}


class FreightTemplateView(TenantModelView):
    datamodel = AdminInterface(FreightTemplate)
    list_title = _l("运费模板")
    list_columns = ["name", "charge_by", "first_unit", "first_fee", "additional_unit",
                    "additional_fee", "free_over_amount", "free_over_count", "self_pickup",
                    "created_at"]
    search_columns = ["name", "charge_by", "self_pickup", "created_at"]
    add_columns = edit_columns = ["name", "charge_by", "first_unit", "first_fee",
                                  "additional_unit", "additional_fee", "free_over_amount",
                                  "free_over_count", "self_pickup"]
    show_columns = list_columns
    validators_columns = {
        "name": [Length(min=1, max=30, message=_l("模板名称须为 1-30 个字符"))],
        **{name: [_template_check] for name in _CHARGE_FIELDS + (
            "free_over_amount", "free_over_count")},
    }
    description_columns = {
        "free_over_amount": _l("满 X 元包邮，不填则不按金额包邮"),
        "free_over_count": _l("满 N 件包邮，不填则不按件数包邮"),
    }

    def pre_delete(self, item):
        from sqlalchemy import select

        from app.models.catalog import Product

        used = db.session.execute(select(Product.name).where(
            Product.freight_template_id == item.id).limit(6)).scalars().all()
        if used:
            from app.services.errors import BusinessError

            raise BusinessError(_("该运费模板正在被商品使用，不能删除：%(names)s",
                                  names="、".join(used[:5]) + ("等" if len(used) > 5 else "")))


class CourierView(TenantModelView):
    datamodel = AdminInterface(Courier)
    list_title = _l("物流列表")
    add_title = _l("新增物流公司")
    list_columns = ["name", "code", "phone", "sort", "created_at"]
    search_columns = ["name", "code", "phone"]
    add_columns = edit_columns = ["name", "code", "phone", "sort"]
    show_columns = list_columns
    base_order = ("sort", "asc")
    validators_columns = {
        "name": [Length(min=1, max=30, message=_l("名称须为 1-30 个字符"))],
        "code": [Length(min=1, max=20, message=_l("编码须为 1-20 个字符"))],
        "phone": [OptionalValidator(), Length(max=20, message=_l("电话不能超过 20 个字符"))],
    }

    def post_add(self, item):
        """A new courier starts switched on in every shop of the merchant."""
        shops = db.session.query(Shop).all()
        db.session.add_all([ShopCourier(merchant_id=item.merchant_id, shop=shop, courier=item,
                                        enabled=True) for shop in shops])
        db.session.commit()


class ShopCourierView(TenantModelView):
    """商城物流管理: each shop's couriers, switched on or off."""

    datamodel = AdminInterface(ShopCourier)
    list_title = _l("商城物流管理")
    list_columns = ["shop", "courier", "enabled"]
    search_columns = ["shop", "courier", "enabled"]
    add_columns = edit_columns = ["shop", "courier", "enabled"]
    show_columns = list_columns
    export_columns = list_columns
    base_order = ("id", "asc")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_export",
                        "can_delete", "can_enable", "can_disable"]

    def _switch(self, items, enabled):
        items = items if isinstance(items, list) else [items]
        for item in items:
            item.enabled = enabled
        db.session.commit()
        flash((_("已开启 %(n)d 项物流") if enabled else _("已关闭 %(n)d 项物流")) % {"n": len(items)},
              "success")
        return redirect(self.get_redirect())

    @action("enable", _l("开启"), None, "fa-toggle-on")
    def enable(self, items):
        return self._switch(items, True)

    @action("disable", _l("关闭"), None, "fa-toggle-off")
    def disable(self, items):
        return self._switch(items, False)


def register(appbuilder):
    add(appbuilder, FreightTemplateView, "freight_template", _l("运费模板"), "logistics",
        "fa-calculator")
    add(appbuilder, FreightRegionView, "freight_region", _l("指定地区运费"), "logistics",
        "fa-map-marker")
    add(appbuilder, CourierView, "courier_list", _l("物流列表"), "logistics", "fa-truck")
    add(appbuilder, ShopCourierView, "shop_courier", _l("商城物流管理"), "logistics",
        "fa-toggle-on")
