"""Fulfilment of orders: shipments (发货, 拆分运单, 批量发货), refunds (退款), after-sales
(售后) and in-store verification (核销)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Column, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import choice_column, created_at_column, label, money_column
from app.tenancy import TenantMixin

SHIPMENT_KINDS = [("courier", _l("快递")), ("merchant", _l("商家自送")), ("pickup", _l("自提"))]
REFUND_METHODS = [("wechat", _l("微信支付")), ("stored_value", _l("储值卡")),
                  ("points", _l("积分")), ("cod", _l("货到付款（线下退款）"))]
REFUND_STATUS = [("pending", _l("待退款")), ("processing", _l("退款中")),
                 ("succeeded", _l("退款成功")), ("failed", _l("退款失败"))]
AFTER_SALE_TYPES = [("refund_only", _l("仅退款")), ("return_refund", _l("退货退款")),
                    ("exchange", _l("换货"))]
# The second guide's after-sale flow: 审核 → (退货) → 确认收货 → 退款 or 重新发货.
AFTER_SALE_STATUS = [("pending", _l("待审核")), ("rejected", _l("已驳回")),
                     ("awaiting_return", _l("待买家退货")), ("returned", _l("买家已退货")),
                     ("refunding", _l("退款中")), ("reshipped", _l("已重新发货")),
                     ("completed", _l("已完成"))]
GOODS_STATUS = [("not_received", _l("未收到货")), ("received", _l("已收到货"))]
BATCH_STATUS = [("pending", _l("排队中")), ("running", _l("处理中")), ("done", _l("已完成")),
                ("failed", _l("失败"))]
ROW_RESULTS = [("pending", _l("待处理")), ("success", _l("成功")), ("failed", _l("失败"))]


class Shipment(TenantMixin, db.Model):
    """One waybill (运单): a whole order, or some of its items (拆分运单)."""

    __label__ = _l("发货记录")
    __tablename__ = "shipment"
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False,
                      index=True, info=label(_l("订单")))
    kind = choice_column(SHIPMENT_KINDS, "courier", _l("配送方式"))
    courier_id = Column(ForeignKey("courier.id"), nullable=True, info=label(_l("物流公司")))
    courier_name = Column(String(30), nullable=True, info=label(_l("物流公司")))
    waybill_no = Column(String(40), nullable=True, info=label(_l("运单号")))
    shipped_at = Column(DateTime, nullable=False, info=label(_l("发货时间")))
    operator_id = Column(ForeignKey("ab_user.id"), nullable=True, info=label(_l("操作人")))
    created_at = created_at_column()
    items = relationship("ShipmentItem", back_populates="shipment", order_by="ShipmentItem.id",
                         cascade="all, delete-orphan")
    __table_args__ = (
        Index("ix_shipment_merchant_created", "merchant_id", "created_at"),
        Index("ix_shipment_merchant_waybill", "merchant_id", "waybill_no"),
    )

    def __str__(self):
        return self.waybill_no or str(self.kind)


class ShipmentItem(TenantMixin, db.Model):
    __label__ = _l("发货商品")
    __tablename__ = "shipment_item"
    id = Column(Integer, primary_key=True)
    shipment_id = Column(ForeignKey("shipment.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    order_item_id = Column(ForeignKey("order_item.id", ondelete="CASCADE"), nullable=False,
                           index=True, info=label(_l("订单商品")))
    quantity = Column(Integer, nullable=False, info=label(_l("数量")))
    shipment = relationship(Shipment, back_populates="items")


class Refund(TenantMixin, db.Model):
    """One refund of an order, whatever pays it back. WeChat refunds leave through a job
    keyed by ``out_refund_no`` (WeChat refunds one number once), so a retry is safe."""

    __label__ = _l("退款记录")
    __tablename__ = "refund"
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False,
                      index=True, info=label(_l("订单")))
    order_no = Column(String(32), nullable=False, info=label(_l("订单编号")))
    method = choice_column(REFUND_METHODS, "wechat", _l("退款方式"))
    amount = money_column(_l("退款金额（元）"))
    points = Column(Integer, nullable=False, default=0, info=label(_l("退还积分")))
    status = choice_column(REFUND_STATUS, "pending", _l("退款状态"))
    out_refund_no = Column(String(32), nullable=False, info=label(_l("退款单号")))
    wechat_refund_id = Column(String(64), nullable=True, info=label(_l("微信退款单号")))
    reason = Column(String(100), nullable=True, info=label(_l("退款原因")))
    error_code = Column(String(32), nullable=True, info=label(_l("错误代码")))
    error_message = Column(String(255), nullable=True, info=label(_l("失败原因")))
    error_advice = Column(String(255), nullable=True, info=label(_l("处理建议")))
    attempts = Column(Integer, nullable=False, default=0, info=label(_l("尝试次数")))
    operator_id = Column(ForeignKey("ab_user.id"), nullable=True, info=label(_l("操作人")))
    created_at = created_at_column()
    finished_at = Column(DateTime, nullable=True, info=label(_l("完成时间")))
    __table_args__ = (
        UniqueConstraint("merchant_id", "out_refund_no", name="uq_refund_out_refund_no"),
        Index("ix_refund_merchant_created", "merchant_id", "created_at"),
        Index("ix_refund_merchant_status", "merchant_id", "status"),
    )

    def __str__(self):
        return self.out_refund_no

    @property
    def ops(self):
        """The row itself, for the list's 操作 column (查看, 重试退款)."""
        return self


class AfterSale(TenantMixin, db.Model):
    """售后单: 仅退款, 退货退款 or 换货 of one order item. Order and item fields are
    snapshots so the list searches them with index-friendly filters."""

    __label__ = _l("售后单")
    __tablename__ = "after_sale"
    id = Column(Integer, primary_key=True)
    after_sale_no = Column(String(32), nullable=False, info=label(_l("售后编号")))
    order_id = Column(ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False,
                      index=True, info=label(_l("订单")))
    order_item_id = Column(ForeignKey("order_item.id", ondelete="CASCADE"), nullable=False,
                           index=True, info=label(_l("订单商品")))
    member_id = Column(ForeignKey("member.id"), nullable=True, info=label(_l("会员")))
    order_no = Column(String(32), nullable=False, info=label(_l("订单编号")))
    product_id = Column(Integer, nullable=True, info=label(_l("商品ID")))
    product_name = Column(String(100), nullable=False, info=label(_l("商品名称")))
    receiver_name = Column(String(30), nullable=True, info=label(_l("收货人姓名")))
    receiver_phone = Column(String(20), nullable=True, info=label(_l("联系电话")))
    type = choice_column(AFTER_SALE_TYPES, "refund_only", _l("售后类型"))
    status = choice_column(AFTER_SALE_STATUS, "pending", _l("售后状态"))
    goods_status = choice_column(GOODS_STATUS, "received", _l("货物状态"))
    quantity = Column(Integer, nullable=False, default=1, info=label(_l("数量")))
    amount = money_column(_l("退款金额（元）"))
    reason = Column(String(100), nullable=False, info=label(_l("申请原因")))
    description = Column(String(500), nullable=True, info=label(_l("说明")))
    reject_reason = Column(String(100), nullable=True, info=label(_l("驳回原因")))
    return_address = Column(String(200), nullable=True, info=label(_l("退货地址")))
    return_courier = Column(String(30), nullable=True, info=label(_l("退货物流公司")))
    return_waybill = Column(String(40), nullable=True, info=label(_l("退货运单号")))
    reship_courier = Column(String(30), nullable=True, info=label(_l("换货物流公司")))
    reship_waybill = Column(String(40), nullable=True, info=label(_l("换货运单号")))
    refund_id = Column(ForeignKey("refund.id"), nullable=True, info=label(_l("退款记录")))
    operator_id = Column(ForeignKey("ab_user.id"), nullable=True, info=label(_l("处理人")))
    created_at = created_at_column()
    handled_at = Column(DateTime, nullable=True, info=label(_l("审核时间")))
    returned_at = Column(DateTime, nullable=True, info=label(_l("退货时间")))
    received_at = Column(DateTime, nullable=True, info=label(_l("收货时间")))
    completed_at = Column(DateTime, nullable=True, info=label(_l("完成时间")))
    refund = relationship(Refund, foreign_keys=[refund_id])
    __table_args__ = (
        UniqueConstraint("merchant_id", "after_sale_no", name="uq_after_sale_no"),
        Index("ix_after_sale_merchant_created", "merchant_id", "created_at"),
        Index("ix_after_sale_merchant_status", "merchant_id", "status"),
        Index("ix_after_sale_merchant_order_no", "merchant_id", "order_no"),
        Index("ix_after_sale_merchant_phone", "merchant_id", "receiver_phone"),
    )

    def __str__(self):
        return self.after_sale_no

    @property
    def ops(self):
        """The row itself, for the list's 操作 column (处理)."""
        return self


class VerificationRecord(TenantMixin, db.Model):
    """核销记录: one per order. The unique order_id makes a second confirmation fail."""

    __label__ = _l("核销记录")
    __tablename__ = "verification_record"
    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False,
                      info=label(_l("订单")))
    order_no = Column(String(32), nullable=False, info=label(_l("订单编号")))
    verification_code = Column(String(16), nullable=False, info=label(_l("核销码")))
    shop_id = Column(ForeignKey("shop.id"), nullable=True, info=label(_l("商城")))
    staff_id = Column(ForeignKey("ab_user.id"), nullable=False, info=label(_l("核销人ID")))
    staff_name = Column(String(64), nullable=False, info=label(_l("核销人")))
    amount = money_column(_l("核销金额（元）"))
    verified_at = Column(DateTime, nullable=False, info=label(_l("核销时间")))
    __table_args__ = (
        UniqueConstraint("order_id", name="uq_verification_record_order"),
        Index("ix_verification_record_merchant_verified", "merchant_id", "verified_at"),
        Index("ix_verification_record_merchant_staff", "merchant_id", "staff_id",
              "verified_at"),
    )

    def __str__(self):
        return self.order_no


class ShippingBatch(TenantMixin, db.Model):
    """批量发货: one uploaded file, processed by a job; each row keeps its own result."""

    __label__ = _l("批量发货")
    __tablename__ = "shipping_batch"
    __audit__ = False  # the shipments themselves are audited
    id = Column(Integer, primary_key=True)
    user_id = Column(ForeignKey("ab_user.id"), nullable=False, info=label(_l("操作人")))
    task_id = Column(ForeignKey("task.id"), nullable=True, info=label(_l("任务")))
    filename = Column(String(100), nullable=False, info=label(_l("文件名")))
    status = choice_column(BATCH_STATUS, "pending", _l("状态"))
    total = Column(Integer, nullable=False, default=0, info=label(_l("总行数")))
    succeeded = Column(Integer, nullable=False, default=0, info=label(_l("成功")))
    failed = Column(Integer, nullable=False, default=0, info=label(_l("失败")))
    error = Column(String(255), nullable=True, info=label(_l("错误")))
    created_at = created_at_column()
    finished_at = Column(DateTime, nullable=True, info=label(_l("完成时间")))
    rows = relationship("ShippingBatchRow", order_by="ShippingBatchRow.row_number",
                        cascade="all, delete-orphan", passive_deletes=True)
    __table_args__ = (Index("ix_shipping_batch_merchant_created", "merchant_id", "created_at"),)


class ShippingBatchRow(TenantMixin, db.Model):
    __label__ = _l("批量发货明细")
    __tablename__ = "shipping_batch_row"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    batch_id = Column(ForeignKey("shipping_batch.id", ondelete="CASCADE"), nullable=False,
                      index=True)
    row_number = Column(Integer, nullable=False, info=label(_l("行号")))
    order_no = Column(String(40), nullable=False, default="", info=label(_l("订单编号")))
    courier_name = Column(String(40), nullable=False, default="", info=label(_l("物流公司")))
    waybill_no = Column(String(60), nullable=False, default="", info=label(_l("运单号")))
    result = choice_column(ROW_RESULTS, "pending", _l("结果"))
    reason = Column(String(100), nullable=True, info=label(_l("失败原因")))
