"""公众号设置 beyond the developer configuration: the custom menu draft, template-message
settings and send log, the WeChat member card, SMS verification codes and user binding.

The developer configuration itself (OfficialAccountConfig) and followers are in
app/models/wechat.py.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import china_now, choice_column, created_at_column, label
from app.models.member import Member
from app.tenancy import TenantMixin

# 模板消息 events the console sends (GLOSSARY: ship, recharge, verification).
TEMPLATE_EVENTS = [("order_shipped", _l("订单发货")), ("recharge_success", _l("充值成功")),
                   ("verification_done", _l("核销完成"))]
TEMPLATE_EVENTS.append(("cancel_refused", _l("退单被拒绝")))  # 拒绝退单 (app/services/refund.py)
SEND_STATUS = [("pending", _l("发送中")), ("success", _l("发送成功")), ("failed", _l("发送失败"))]
BINDING_STATUS = [("pending", _l("待处理")), ("bound", _l("已绑定")), ("rejected", _l("已拒绝"))]
CARD_STATUS = [("created", _l("已创建"))]


class OfficialMenu(TenantMixin, db.Model):
    """自定义菜单: the merchant's draft (WeChat's own JSON shape) and when it was published."""

    __label__ = _l("自定义菜单")
    __tablename__ = "official_menu"
    id = Column(Integer, primary_key=True)
    draft = Column(Text, nullable=True, info=label(_l("菜单草稿")))
    published = Column(Text, nullable=True, info=label(_l("已发布菜单")))
    published_at = Column(DateTime, nullable=True, info=label(_l("发布时间")))
    pulled_at = Column(DateTime, nullable=True, info=label(_l("拉取时间")))
    updated_at = Column(DateTime, nullable=False, default=china_now, onupdate=china_now,
                        info=label(_l("更新时间")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_official_menu_merchant"),)

    def __str__(self):
        return str(_l("自定义菜单"))


class TemplateSetting(TenantMixin, db.Model):
    """模板消息: which of the merchant's template ids one event is sent with."""

    __label__ = _l("模板消息设置")
    __tablename__ = "official_template_setting"
    id = Column(Integer, primary_key=True)
    event = choice_column(TEMPLATE_EVENTS, "order_shipped", _l("通知事件"))
    template_id = Column(String(64), nullable=True, info=label(_l("模板 ID")))
    enabled = Column(Boolean, nullable=False, default=True, server_default="1",
                     info=label(_l("启用")))
    updated_at = Column(DateTime, nullable=False, default=china_now, onupdate=china_now,
                        info=label(_l("更新时间")))
    __table_args__ = (UniqueConstraint("merchant_id", "event", name="uq_template_setting_event"),)

    def __str__(self):
        return self.template_id or ""


class TemplateMessageLog(TenantMixin, db.Model):
    """模板消息发送记录: one row per message, written by the send job."""

    __label__ = _l("模板消息发送记录")
    __tablename__ = "official_template_log"
    id = Column(Integer, primary_key=True)
    event = choice_column(TEMPLATE_EVENTS, "order_shipped", _l("通知事件"))
    openid = Column(String(64), nullable=False, info=label(_l("粉丝标识（openid）")))
    template_id = Column(String(64), nullable=False, info=label(_l("模板 ID")))
    payload = Column(Text, nullable=True, info=label(_l("消息内容")))
    url = Column(String(512), nullable=True, info=label(_l("跳转链接")))
    status = choice_column(SEND_STATUS, "pending", _l("发送状态"))
    reason = Column(String(255), nullable=True, info=label(_l("失败原因")))
    msgid = Column(String(32), nullable=True, info=label(_l("消息 ID")))
    sent_at = Column(DateTime, nullable=True, info=label(_l("发送时间")))
    created_at = created_at_column()
    __table_args__ = (
        Index("ix_template_log_merchant_created", "merchant_id", "created_at"),
        Index("ix_template_log_merchant_status", "merchant_id", "status"),
        Index("ix_template_log_merchant_openid", "merchant_id", "openid"),
    )

    def __str__(self):
        return f"{self.event} {self.openid}"


class MemberCard(TenantMixin, db.Model):
    """微信会员卡: created once through the card API (WeChat cannot delete it)."""

    __label__ = _l("微信会员卡")
    __tablename__ = "official_member_card"
    id = Column(Integer, primary_key=True)
    brand_name = Column(String(36), nullable=False, info=label(_l("商户名字")))
    title = Column(String(27), nullable=False, info=label(_l("券名")))
    color = Column(String(16), nullable=False, info=label(_l("卡面颜色")))
    logo_url = Column(String(512), nullable=False, info=label(_l("商户 logo")))
    background_url = Column(String(512), nullable=True, info=label(_l("卡面背景图")))
    links = Column(Text, nullable=False, info=label(_l("自定义链接")))
    prerogative = Column(String(1024), nullable=False, info=label(_l("特权说明")))
    card_id = Column(String(64), nullable=False, info=label(_l("卡券 ID")))
    status = choice_column(CARD_STATUS, "created", _l("状态"))
    qr_ticket = Column(String(255), nullable=True, info=label(_l("二维码 ticket")))
    qr_url = Column(String(512), nullable=True, info=label(_l("领卡链接")))
    qr_image_url = Column(String(512), nullable=True, info=label(_l("二维码图片地址")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_member_card_merchant"),)

    def __str__(self):
        return self.title


class SmsCode(TenantMixin, db.Model):
    """短信验证码 for user binding: stored hashed, valid for a few minutes, used once."""

    __label__ = _l("短信验证码")
    __tablename__ = "official_sms_code"
    id = Column(Integer, primary_key=True)
    phone = Column(String(20), nullable=False, info=label(_l("手机号")))
    openid = Column(String(64), nullable=False, info=label(_l("粉丝标识（openid）")))
    code_hash = Column(String(64), nullable=False, info=label(_l("验证码摘要")))
    expires_at = Column(DateTime, nullable=False, info=label(_l("过期时间")))
    attempts = Column(Integer, nullable=False, default=0, server_default="0",
                      info=label(_l("错误次数")))
    used_at = Column(DateTime, nullable=True, info=label(_l("使用时间")))
    created_at = created_at_column()
    __table_args__ = (
        Index("ix_sms_code_merchant_phone", "merchant_id", "phone", "created_at"),
    )


class SmsDailyQuota(db.Model):
    """How many codes one phone number got today, across merchants (运营商限制：每个手机号
    每天不超过十次). Raised only by one conditional UPDATE."""

    __tablename__ = "official_sms_quota"
    phone = Column(String(20), primary_key=True)
    day = Column(Date, primary_key=True)
    sent = Column(Integer, nullable=False, default=0, server_default="0")


class BindingRequest(TenantMixin, db.Model):
    """绑定申请: a follower whose phone matched no member; staff bind or reject it."""

    __label__ = _l("绑定申请")
    __tablename__ = "official_binding_request"
    id = Column(Integer, primary_key=True)
    openid = Column(String(64), nullable=False, info=label(_l("粉丝标识（openid）")))
    phone = Column(String(20), nullable=False, info=label(_l("手机号")))
    name = Column(String(32), nullable=True, info=label(_l("称呼")))
    status = choice_column(BINDING_STATUS, "pending", _l("处理状态"))
    member_id = Column(ForeignKey("member.id"), nullable=True, index=True,
                       info=label(_l("绑定会员")))
    reason = Column(String(255), nullable=True, info=label(_l("拒绝原因")))
    handled_by = Column(String(64), nullable=True, info=label(_l("处理人")))
    handled_at = Column(DateTime, nullable=True, info=label(_l("处理时间")))
    created_at = created_at_column()

    member = relationship(Member, info=label(_l("绑定会员")))
    __table_args__ = (
        Index("ix_binding_request_merchant_created", "merchant_id", "created_at"),
        Index("ix_binding_request_merchant_status", "merchant_id", "status"),
        Index("ix_binding_request_merchant_phone", "merchant_id", "phone"),
    )

    def __str__(self):
        return self.phone

    @property
    def handle_link(self):
        """The row id, for the list's 处理 column."""
        return self.id
