"""物流管理: freight templates with per-province overrides, couriers, per-shop couriers."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import choice_column, created_at_column, label, money_column
from app.tenancy import TenantMixin

CHARGE_MODES = [("piece", _l("按件数")), ("weight", _l("按重量"))]
# Mainland provinces, autonomous regions and municipalities: what a region override picks.
PROVINCES = ["北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏",
             "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西",
             "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏",
             "新疆", "台湾", "香港", "澳门"]


class FreightTemplate(TenantMixin, db.Model):
    __label__ = _l("运费模板")
    __tablename__ = "freight_template"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=False, info=label(_l("模板名称")))
    charge_by = choice_column(CHARGE_MODES, "piece", _l("计价方式"))
    first_unit = Column(Numeric(10, 2), nullable=False, default=1, info=label(
        _l("首件/首重"), description=_l("按件数时为件数（整数），按重量时为千克")))
    first_fee = money_column(_l("首费(元)"))
    additional_unit = Column(Numeric(10, 2), nullable=False, default=1, info=label(
        _l("续件/续重"), description=_l("按件数时为件数（整数），按重量时为千克")))
    additional_fee = money_column(_l("续费(元)"))
    free_over_amount = money_column(_l("满额包邮(元)"), nullable=True, default=None)
    free_over_count = Column(Integer, nullable=True, info=label(_l("满件包邮(件)")))
    self_pickup = Column(Boolean, nullable=False, default=False, info=label(
        _l("支持自提"), description=_l("开启后买家下单可选择到店自提，免运费")))
    created_at = created_at_column()
    regions = relationship("FreightRegion", back_populates="template",
                           order_by="FreightRegion.id", cascade="all, delete-orphan",
                           info=label(_l("指定地区运费")))
    __table_args__ = (Index("ix_freight_template_merchant_created", "merchant_id", "created_at"),)

    def __str__(self):
        return self.name


class FreightRegion(TenantMixin, db.Model):
    """Per-province override of a template's first and additional charges."""

    __label__ = _l("指定地区运费")
    __tablename__ = "freight_region"
    id = Column(Integer, primary_key=True)
    template_id = Column(Integer, ForeignKey("freight_template.id", ondelete="CASCADE"),
                         nullable=False, index=True, info=label(_l("运费模板")))
    template = relationship("FreightTemplate", back_populates="regions",
                            info=label(_l("运费模板")))
    provinces = Column(Text, nullable=False, info=label(
        _l("省份"), description=_l("多个省份用逗号或顿号分隔，例如：新疆、西藏")))
    first_unit = Column(Numeric(10, 2), nullable=False, default=1, info=label(_l("首件/首重")))
    first_fee = money_column(_l("首费(元)"))
    additional_unit = Column(Numeric(10, 2), nullable=False, default=1,
                             info=label(_l("续件/续重")))
    additional_fee = money_column(_l("续费(元)"))

    def __str__(self):
        return self.provinces

    @property
    def province_list(self):
        from app.services.logistics import split_provinces

        return split_provinces(self.provinces)


class Courier(TenantMixin, db.Model):
    __label__ = _l("物流公司")
    __tablename__ = "courier"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=False, info=label(_l("物流公司名称")))
    code = Column(String(20), nullable=False, info=label(
        _l("物流公司编码"), description=_l("快递100等查询接口使用的编码，例如 SF")))
    phone = Column(String(20), nullable=True, info=label(_l("客服电话")))
    sort = Column(Integer, nullable=False, default=0, info=label(_l("排序")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("merchant_id", "code", name="uq_courier_merchant_code"),)

    def __str__(self):
        return self.name


class ShopCourier(TenantMixin, db.Model):
    """商城物流管理: whether a shop offers a courier."""

    __label__ = _l("商城物流")
    __tablename__ = "shop_courier"
    id = Column(Integer, primary_key=True)
    shop_id = Column(Integer, ForeignKey("shop.id", ondelete="CASCADE"), nullable=False,
                     info=label(_l("商城")))
    shop = relationship("Shop", info=label(_l("商城")))
    courier_id = Column(Integer, ForeignKey("courier.id", ondelete="CASCADE"), nullable=False,
                        index=True, info=label(_l("物流公司")))
    courier = relationship("Courier", info=label(_l("物流公司")))
    enabled = Column(Boolean, nullable=False, default=True, info=label(_l("是否开启")))
    __table_args__ = (UniqueConstraint("shop_id", "courier_id", name="uq_shop_courier"),)
