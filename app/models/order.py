"""订单管理: orders, their item snapshots and the state log.

An order's status changes only through app/services/order.py (one conditional UPDATE on the
status plus an ``OrderLog`` row). Amounts are the pricing engine's result, frozen at
placement; 改价 keeps the original paid amount and the reason.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, Column, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import china_now, choice_column, label, money_column
from app.tenancy import TenantMixin

ORDER_STATUS = [("unpaid", _l("未付款")), ("awaiting_shipment", _l("待发货")),
                ("shipped", _l("已发货")), ("completed", _l("已完成")),
                ("closed", _l("已关闭")), ("cancel_requested", _l("退单申请"))]
LOGISTICS_STATUS = [("not_shipped", _l("未发货")), ("partly_shipped", _l("部分发货")),
                    ("shipped", _l("已发货")), ("signed", _l("已签收"))]
PAYMENT_METHODS = [("wechat", _l("微信支付")), ("stored_value", _l("储值卡")),
                   ("points", _l("积分")), ("cod", _l("货到付款"))]
DELIVERY_METHODS = [("courier", _l("快递")), ("pickup", _l("到店自提")),
                    ("merchant_delivery", _l("商家自送"))]
STAR_COLORS = [("red", _l("红色")), ("orange", _l("橙色")), ("yellow", _l("黄色")),
               ("green", _l("绿色")), ("blue", _l("蓝色")), ("purple", _l("紫色"))]
ORDER_ACTIONS = [("place", _l("下单")), ("pay", _l("付款")), ("ship", _l("发货")),
                 ("sign", _l("签收")), ("complete", _l("完成")), ("close", _l("关闭")),
                 ("request_cancel", _l("申请退单")), ("refuse_cancel", _l("拒绝退单")),
                 ("change_price", _l("改价")), ("note", _l("备注")), ("star", _l("星标")),
                 ("verify", _l("核销")), ("refund", _l("退款"))]


class Order(TenantMixin, db.Model):
    __label__ = _l("订单")
    __tablename__ = "shop_order"  # ORDER is an SQL keyword
    id = Column(Integer, primary_key=True)
    order_no = Column(String(32), nullable=False, info=label(_l("订单编号")))
    shop_id = Column(ForeignKey("shop.id"), nullable=False, info=label(_l("商城")))
    member_id = Column(ForeignKey("member.id"), nullable=False, info=label(_l("买家")))
    status = choice_column(ORDER_STATUS, "unpaid", _l("订单状态"))
    logistics_status = choice_column(LOGISTICS_STATUS, "not_shipped", _l("物流状态"))
    payment_method = choice_column(PAYMENT_METHODS, "wechat", _l("支付方式"))
    delivery_method = choice_column(DELIVERY_METHODS, "courier", _l("配送方式"))
    goods_total = money_column(_l("商品总额"))
    freight = money_column(_l("运费"))
    campaign_discount = money_column(_l("活动优惠"))
    coupon_discount = money_column(_l("优惠券抵扣"))
    level_discount = money_column(_l("会员折扣"))
    points_deduction = money_column(_l("积分抵扣"))
    paid_amount = money_column(_l("订单总额"))
    points_used = Column(Integer, nullable=False, default=0, info=label(_l("抵现积分")))
    # 积分商品: the points price of the order's points products, taken when it is paid.
    points_paid = Column(Integer, nullable=False, default=0, server_default="0",
                         info=label(_l("积分支付")))
    original_paid_amount = money_column(_l("改价前金额"), nullable=True, default=None)
    price_change_reason = Column(String(100), nullable=True, info=label(_l("改价原因")))
    receiver_name = Column(String(32), nullable=True, info=label(_l("收货人")))
    receiver_phone = Column(String(20), nullable=True, info=label(_l("联系电话")))
    receiver_province = Column(String(20), nullable=True, info=label(_l("省份")))
    receiver_city = Column(String(20), nullable=True, info=label(_l("城市")))
    receiver_district = Column(String(20), nullable=True, info=label(_l("区县")))
    receiver_address = Column(String(200), nullable=True, info=label(_l("详细地址")))
    buyer_note = Column(String(200), nullable=True, info=label(_l("买家留言")))
    merchant_note = Column(String(200), nullable=True, info=label(_l("商家备注")))
    star_color = Column(String(8), nullable=True, info=label(_l("星标"), choices=STAR_COLORS))
    verification_code = Column(String(16), nullable=True, info=label(_l("核销码")))
    member_coupon_id = Column(ForeignKey("member_coupon.id"), nullable=True,
                              info=label(_l("使用优惠券")))
    campaign_ids = Column(JSON, nullable=True, info=label(_l("参与活动")))
    gift_batch_ids = Column(JSON, nullable=True, info=label(_l("赠送优惠券")))
    distributor_id = Column(ForeignKey("distributor.id"), nullable=True,
                            info=label(_l("分销商")))
    payment_no = Column(String(64), nullable=True, info=label(_l("支付编号")))
    status_before_cancel = Column(String(24), nullable=True,
                                  info=label(_l("申请退单前状态")))
    cancel_reason = Column(String(200), nullable=True, info=label(_l("退单原因")))
    # 拒绝退单: the merchant's reason, shown to the buyer (order API, template message).
    cancel_refuse_reason = Column(String(200), nullable=True, info=label(_l("拒绝退单原因")))
    close_reason = Column(String(200), nullable=True, info=label(_l("关闭原因")))
    created_at = Column(DateTime, nullable=False, default=china_now,
                        info=label(_l("下单时间")))
    paid_at = Column(DateTime, nullable=True, info=label(_l("付款时间")))
    shipped_at = Column(DateTime, nullable=True, info=label(_l("发货时间")))
    completed_at = Column(DateTime, nullable=True, info=label(_l("完成时间")))
    closed_at = Column(DateTime, nullable=True, info=label(_l("关闭时间")))

    shop = relationship("Shop", info=label(_l("商城")))
    member = relationship("Member", info=label(_l("买家")))
    distributor = relationship("Distributor", info=label(_l("分销商")))
    items = relationship("OrderItem", back_populates="order", order_by="OrderItem.id",
                         cascade="all, delete-orphan", info=label(_l("商品")))
    logs = relationship("OrderLog", order_by="OrderLog.id", cascade="all, delete-orphan",
                        info=label(_l("订单日志")))
    __table_args__ = (
        UniqueConstraint("merchant_id", "order_no", name="uq_shop_order_no"),
        UniqueConstraint("merchant_id", "verification_code", name="uq_shop_order_verification"),
        Index("ix_shop_order_merchant_created", "merchant_id", "created_at"),
        Index("ix_shop_order_merchant_status", "merchant_id", "status", "created_at"),
        Index("ix_shop_order_merchant_phone", "merchant_id", "receiver_phone"),
        Index("ix_shop_order_merchant_paid", "merchant_id", "paid_at"),
        Index("ix_shop_order_merchant_receiver", "merchant_id", "receiver_name"),
        Index("ix_shop_order_merchant_payment_no", "merchant_id", "payment_no"),
        Index("ix_shop_order_merchant_star", "merchant_id", "star_color", "created_at"),
        Index("ix_shop_order_member", "member_id", "created_at"),
    )

    def __str__(self):
        return self.order_no or ""

    @property
    def receiver_region(self):
        return " ".join(p for p in (self.receiver_province, self.receiver_city,
                                    self.receiver_district) if p)

    @property
    def ops(self):
        """The row itself, for the list's 操作 column (查看, 备注, 星标, 改价, 核销)."""
        return self

    @property
    def display(self):
        """The row itself, for the list's 订单编号 column (link, star, price change)."""
        return self

    @property
    def goods(self):
        """The row itself, for the list's 商品 column (first items and the count)."""
        return self

    @property
    def is_pickup_pending(self):
        return self.delivery_method == "pickup" and self.status == "awaiting_shipment"


class OrderItem(TenantMixin, db.Model):
    """One line of an order: a snapshot of the SKU as it was sold."""

    __label__ = _l("订单商品")
    __tablename__ = "order_item"
    __audit__ = False  # written with the order, which is audited through its log
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False,
                      index=True, info=label(_l("订单")))
    product_id = Column(Integer, nullable=False, info=label(_l("商品ID")))
    sku_id = Column(Integer, nullable=False, info=label(_l("规格ID")))
    product_name = Column(String(50), nullable=False, info=label(_l("商品名称")))
    product_code = Column(String(40), nullable=True, info=label(_l("商品编号")))
    spec_text = Column(String(200), nullable=False, default="", info=label(_l("规格")))
    image = Column(String(255), nullable=True, info=label(_l("图片")))
    product_type = Column(String(20), nullable=False, default="normal",
                          info=label(_l("商品类型")))
    unit_price = money_column(_l("单价"))
    quantity = Column(Integer, nullable=False, info=label(_l("数量")))
    line_total = money_column(_l("小计"))
    discount_share = money_column(_l("分摊优惠"))
    # 积分+现金 / 积分商品: the points this line was bought with (the product's points price
    # times the quantity); 售后 returns them in proportion to the units refunded.
    points_paid = Column(Integer, nullable=False, default=0, server_default="0",
                         info=label(_l("积分支付")))
    shipped_quantity = Column(Integer, nullable=False, default=0, server_default="0",
                              info=label(_l("已发货数量")))
    refunded_quantity = Column(Integer, nullable=False, default=0, server_default="0",
                               info=label(_l("已退数量")))
    stock_taken = Column(Integer, nullable=False, default=0, server_default="0",
                         info=label(_l("已扣库存")))
    order = relationship("Order", back_populates="items", info=label(_l("订单")))
    __table_args__ = (
        Index("ix_order_item_merchant_product", "merchant_id", "product_id"),
        Index("ix_order_item_merchant_name", "merchant_id", "product_name"),
        Index("ix_order_item_merchant_code", "merchant_id", "product_code"),
        Index("ix_order_item_merchant_type", "merchant_id", "product_type"),
    )


class OrderCampaign(TenantMixin, db.Model):
    """Which campaigns (and kinds) an order took part in: the 营销活动类型 search."""

    __label__ = _l("订单活动")
    __tablename__ = "order_campaign"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False,
                      index=True, info=label(_l("订单")))
    campaign_id = Column(Integer, nullable=False, info=label(_l("活动")))
    kind = Column(String(20), nullable=False, info=label(_l("活动类型")))
    __table_args__ = (Index("ix_order_campaign_merchant_kind", "merchant_id", "kind"),)


class OrderLog(TenantMixin, db.Model):
    """订单日志: one row per transition or merchant action on an order."""

    __label__ = _l("订单日志")
    __tablename__ = "order_log"
    __audit__ = False  # the log is itself the record
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False,
                      index=True, info=label(_l("订单")))
    at = Column(DateTime, nullable=False, default=china_now, info=label(_l("时间")))
    operator_id = Column(ForeignKey("ab_user.id"), nullable=True, info=label(_l("操作人")))
    actor = Column(String(64), nullable=False, default="", info=label(_l("操作方")))
    # Not a choice column: the fulfilment module logs its own actions (ship, refund, ...).
    action = Column(String(32), nullable=False, info=label(_l("操作"), choices=ORDER_ACTIONS))
    from_status = Column(String(24), nullable=True, info=label(_l("原状态")))
    to_status = Column(String(24), nullable=True, info=label(_l("新状态")))
    note = Column(String(255), nullable=True, info=label(_l("说明")))
