"""高级搜索 of 全部订单: every field the second guide lists, each an equality, range or
prefix filter that an index serves (no ILIKE '%x%' on a million orders).

Fields that live on other tables (商品名称, 商品ID, 商品编号, 商品类型 on the items; 营销活动类型
on order_campaign; 运单号 on the fulfilment module's shipments) are "pseudo columns": the
filter is ``shop_order.id IN (SELECT order_id FROM <table> WHERE merchant_id = :m AND ...)``,
served by that table's (merchant_id, column) index.
"""
from datetime import timedelta

from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, get_field_setup_query
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from app.models.base import china_now
from app.models.catalog import PRODUCT_TYPES
from app.models.order import (DELIVERY_METHODS, LOGISTICS_STATUS, ORDER_STATUS,
                              PAYMENT_METHODS, STAR_COLORS, Order, OrderCampaign, OrderItem)
from app.tenancy import current_merchant_id
from app.views.member_base import FilterPrefix, IndexedFilterConverter, IndexedInterface

CAMPAIGN_KINDS = [("full_reduction", _l("满减")), ("full_discount", _l("满折")),
                  ("free_shipping", _l("满免邮")), ("gift_coupon", _l("满赠券"))]


def _tenant(query_model_column):
    tenant = current_merchant_id()
    return [query_model_column == tenant] if tenant is not None else []


class _SubqueryFilter(BaseFilter):
    """``id IN (SELECT order_id FROM table WHERE merchant_id = :m AND <condition>)``."""

    table = None  # a model with order_id, merchant_id
    column = None
    prefix = False

    def target(self):
        return self.table

    def apply(self, query, value):
        value = (value or "").strip()
        if not value:
            return query
        model = self.target()
        if model is None:
            return query.filter(False)
        column = getattr(model, self.column)
        condition = column.startswith(value, autoescape=True) if self.prefix else (
            column == self._typed(value))
        sub = select(model.order_id).where(condition, *_tenant(model.merchant_id))
        return query.filter(Order.id.in_(sub))

    def _typed(self, value):
        return value


class FilterItemNamePrefix(_SubqueryFilter):
    name = _l("开头是")
    arg_name = "sw"
    table, column, prefix = OrderItem, "product_name", True


class FilterItemCode(_SubqueryFilter):
    name = _l("等于")
    arg_name = "eq"
    table, column = OrderItem, "product_code"


class FilterItemProductId(_SubqueryFilter):
    name = _l("等于")
    arg_name = "eq"
    table, column = OrderItem, "product_id"

    def _typed(self, value):
        try:
            return int(value)
        except ValueError:
            raise ValueError("bad product id") from None


class FilterItemType(_SubqueryFilter):
    name = _l("等于")
    arg_name = "eq"
    table, column = OrderItem, "product_type"


class FilterCampaignKind(_SubqueryFilter):
    name = _l("等于")
    arg_name = "eq"
    table, column = OrderCampaign, "kind"


class FilterWaybill(_SubqueryFilter):
    """运单号: on the fulfilment module's shipments (an exact number)."""

    name = _l("等于")
    arg_name = "eq"
    column = "waybill_no"

    def target(self):
        return shipment_model()


class FilterMember(BaseFilter):
    """买家: the member list's 成交单数 link (?_flt_0_member=<id>), on (member_id, created_at)."""

    name = _l("等于")
    arg_name = "eq"

    def apply(self, query, value):
        try:
            member_id = int(str(value).strip())
        except ValueError:
            raise ValueError("bad member id") from None
        return query.filter(Order.member_id == member_id)


class FilterHasStar(BaseFilter):
    """星标订单: any colour."""

    name = _l("有星标")
    arg_name = "nn"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field.isnot(None)) if value else query


def shipment_model():
    try:
        from app.models.fulfilment import Shipment
    except ImportError:  # the fulfilment module is not installed
        return None
    return Shipment


PSEUDO_FILTERS = {
    "product_name": [FilterItemNamePrefix],
    "product_code": [FilterItemCode],
    "product_id": [FilterItemProductId],
    "product_type": [FilterItemType],
    "campaign_kind": [FilterCampaignKind],
    "waybill_no": [FilterWaybill],
    "member": [FilterMember],
}
PSEUDO_LABELS = {"product_name": _l("商品名称"), "product_code": _l("商品编号"),
                 "product_id": _l("商品ID"), "product_type": _l("商品类型"),
                 "campaign_kind": _l("营销活动类型"), "waybill_no": _l("运单号")}
# 买家 is both a list column ("买家") and a search field by member id: the search field
# carries its own label ("买家（会员ID）", SEARCH_FIELDS), so the list header stays 买家.


class OrderFilterConverter(IndexedFilterConverter):
    def convert(self, col_name):
        if col_name in ("campaign_ids", "gift_batch_ids"):
            return []  # JSON lists: searched through order_campaign, not directly
        if col_name in PSEUDO_FILTERS:
            return [f(col_name, self.datamodel) for f in PSEUDO_FILTERS[col_name]]
        if col_name == "star_color":
            return [FilterEqual(col_name, self.datamodel), FilterHasStar(col_name, self.datamodel)]
        if col_name in ("order_no", "receiver_name", "receiver_phone"):
            # 订单编号/姓名/电话: exact or 开头是, both on a (merchant_id, column) index.
            return [FilterEqual(col_name, self.datamodel), FilterPrefix(col_name, self.datamodel)]
        if col_name == "payment_no":
            return [FilterEqual(col_name, self.datamodel)]
        return super().convert(col_name)


class OrderInterface(IndexedInterface):
    filter_converter_class = OrderFilterConverter

    def get_filters(self, search_columns=None, search_filters=None):
        # FAB applies a request's filters from ``_all_filters`` (the model's columns); the
        # pseudo columns live only in the search filters, so they are added there too.
        filters = super().get_filters(search_columns, search_filters)
        for name, items in filters.get_search_filters().items():
            filters._all_filters.setdefault(name, items)
        return filters


def _select(choices, label):
    return SelectField(label, choices=[("", "")] + list(choices), validators=[Optional()])


# The guide's 高级搜索 fields, in its order (订单状态 … 运单号); 买家 serves the member list's
# 成交单数 link. Filters by index: status 0 =; created_at 0 > 1 <; star_color 0 = 1 有星标.
SEARCH_COLUMNS = ["status", "logistics_status", "payment_method", "delivery_method",
                  "product_type", "campaign_kind", "star_color", "created_at", "paid_at",
                  "paid_amount", "payment_no", "order_no", "product_code", "product_name",
                  "receiver_phone", "product_id", "receiver_name", "waybill_no", "member"]

SEARCH_FIELDS = {
    "status": _select(ORDER_STATUS, _l("订单状态")),
    "logistics_status": _select(LOGISTICS_STATUS, _l("物流状态")),
    "payment_method": _select(PAYMENT_METHODS, _l("支付方式")),
    "delivery_method": _select(DELIVERY_METHODS, _l("配送方式")),
    "product_type": _select(PRODUCT_TYPES, _l("商品类型")),
    "campaign_kind": _select(CAMPAIGN_KINDS, _l("营销活动类型")),
    "star_color": _select(STAR_COLORS, _l("星标颜色")),
    "product_name": StringField(_l("商品名称"), validators=[Optional()]),
    "product_code": StringField(_l("商品编号"), validators=[Optional()]),
    "product_id": StringField(_l("商品ID"), validators=[Optional()]),
    "waybill_no": StringField(_l("运单号"), validators=[Optional()]),
    "member": StringField(_l("买家（会员ID）"), validators=[Optional()]),
}


def quick_tabs():
    """The guide's 8 热门状态: (key, label, query args)."""
    since = (china_now() - timedelta(days=91)).strftime("%Y-%m-%d")
    return [
        ("recent", _l("近三个月"), {"_flt_0_created_at": since}),
        ("unpaid", _l("未付款"), {"_flt_0_status": "unpaid"}),
        ("awaiting_shipment", _l("待发货"), {"_flt_0_status": "awaiting_shipment"}),
        ("shipped", _l("已发货"), {"_flt_0_status": "shipped"}),
        ("completed", _l("已完成"), {"_flt_0_status": "completed"}),
        ("closed", _l("已关闭"), {"_flt_0_status": "closed"}),
        ("cancel_requested", _l("退单申请"), {"_flt_0_status": "cancel_requested"}),
        ("starred", _l("星标订单"), {"_flt_1_star_color": "1"}),
    ]
