"""WeChat credentials and what WeChat tells us: payment, official account, mini program,
the platform's third-party component, shared access tokens, followers and notifications.

Every secret column is ``EncryptedText`` with ``info={"secret": True}``: encrypted at rest,
masked (``****1234``) on every screen, diff and export.
"""
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, String,
                        UniqueConstraint)

from app.crypto import EncryptedText
from app.extensions import db
from app.models.base import china_now, choice_column, created_at_column, label, money_column
from app.tenancy import TenantMixin

PAY_MODES = [("own", _l("商户自有商户号")), ("service", _l("服务商代开"))]
# The two menus that open the payment wizard, each with its own configuration.
PAY_CHANNELS = [("wechat", _l("微信支付")), ("mini", _l("小程序支付"))]
APP_KINDS = [("official", _l("公众号")), ("mini", _l("小程序"))]
VERIFY_RESULTS = [("none", _l("未验证")), ("ok", _l("验证通过")), ("failed", _l("验证失败"))]
OA_MODES = [("plain", _l("明文模式")), ("safe", _l("安全模式"))]
NOTIFY_STATUS = [("recorded", _l("已记录")), ("applied", _l("已入账"))]


def new_public_token():
    """An unguessable token for a merchant's public callback URLs."""
    return secrets.token_urlsafe(18)


def secret_column(text, **info):
    return Column(EncryptedText, nullable=True, info=label(text, secret=True, **info))


class PaymentConfig(TenantMixin, db.Model):
    """支付设置: one per merchant and menu (微信支付, 小程序支付设置), saved step by step."""

    __label__ = _l("支付设置")
    __tablename__ = "wechat_payment_config"
    id = Column(Integer, primary_key=True)
    channel = choice_column(PAY_CHANNELS, "wechat", _l("支付渠道"))
    app_kind = choice_column(APP_KINDS, "official", _l("AppID 类型"))
    mode = choice_column(PAY_MODES, "own", _l("开通方式"))
    appid = Column(String(32), nullable=True, info=label(_l("AppID")))
    mch_id = Column(String(32), nullable=True, info=label(_l("商户号")))
    sub_mch_id = Column(String(32), nullable=True, info=label(_l("子商户号")))
    api_key = secret_column(_l("API 密钥"))
    apiv3_key = secret_column(_l("APIv3 密钥"))
    cert_pem = secret_column(_l("API 证书"))
    key_pem = secret_column(_l("API 证书私钥"))
    cert_serial = Column(String(64), nullable=True, info=label(_l("证书序列号")))
    cert_expires_at = Column(DateTime, nullable=True, info=label(_l("证书到期时间")))
    # The furthest wizard step saved; the merchant can leave and come back.
    step = Column(Integer, nullable=False, default=1, server_default="1",
                  info=label(_l("进度")))
    verify_result = choice_column(VERIFY_RESULTS, "none", _l("验证结果"))
    verify_message = Column(String(255), nullable=True, info=label(_l("验证说明")))
    verified_at = Column(DateTime, nullable=True, info=label(_l("验证时间")))
    enabled = Column(Boolean, nullable=False, default=False, server_default="0",
                     info=label(_l("已启用")))
    # APIv3 (wechatpayv3) is checked and reported on its own: v2 takes the payments today,
    # so a v3 problem does not block enabling (v3 serves 商家券 / 商家转账 later).
    v3_verify_result = choice_column(VERIFY_RESULTS, "none", _l("APIv3 验证结果"))
    v3_verify_message = Column(String(255), nullable=True, info=label(_l("APIv3 验证说明")))
    v3_verified_at = Column(DateTime, nullable=True, info=label(_l("APIv3 验证时间")))
    notify_token = Column(String(32), nullable=False, default=new_public_token, unique=True,
                          info=label(_l("通知地址令牌")))
    updated_at = Column(DateTime, nullable=False, default=china_now, onupdate=china_now,
                        info=label(_l("更新时间")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("merchant_id", "channel", name="uq_payment_config_channel"),)

    def __str__(self):
        return self.mch_id or self.sub_mch_id or ""


class PaymentNotification(TenantMixin, db.Model):
    """支付结果通知 received from WeChat Pay, one row per transaction (repeats are ignored)."""

    __label__ = _l("支付通知")
    __tablename__ = "wechat_payment_notification"
    id = Column(Integer, primary_key=True)
    config_id = Column(ForeignKey("wechat_payment_config.id"), nullable=False, index=True)
    out_trade_no = Column(String(64), nullable=False, info=label(_l("商户订单号")))
    transaction_id = Column(String(64), nullable=False, info=label(_l("微信支付单号")))
    total_fee = money_column(_l("支付金额"))
    openid = Column(String(64), nullable=True, info=label(_l("付款人标识（openid）")))
    time_end = Column(String(14), nullable=True, info=label(_l("支付完成时间")))
    status = choice_column(NOTIFY_STATUS, "recorded", _l("状态"))
    repeats = Column(Integer, nullable=False, default=0, server_default="0",
                     info=label(_l("重复通知次数")))
    created_at = created_at_column()
    __table_args__ = (
        UniqueConstraint("merchant_id", "transaction_id", name="uq_pay_notify_transaction"),
        Index("ix_pay_notify_merchant_created", "merchant_id", "created_at"),
        Index("ix_pay_notify_merchant_status", "merchant_id", "status"),
    )


class OfficialAccountConfig(TenantMixin, db.Model):
    """公众号 开发者配置 and behaviour: one per merchant."""

    __label__ = _l("公众号配置")
    __tablename__ = "wechat_official_account"
    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=True, info=label(_l("公众号名称")))
    appid = Column(String(32), nullable=True, info=label(_l("AppID")))
    app_secret = secret_column(_l("AppSecret"))
    token = secret_column(_l("Token"))
    encoding_aes_key = secret_column(_l("EncodingAESKey"))
    message_mode = choice_column(OA_MODES, "safe", _l("消息加解密方式"))
    callback_token = Column(String(32), nullable=False, default=new_public_token, unique=True,
                            info=label(_l("服务器地址令牌")))
    follow_creates_member = Column(Boolean, nullable=False, default=False, server_default="0",
                                   info=label(_l("关注成为会员")))
    follow_sends_register_link = Column(Boolean, nullable=False, default=False,
                                        server_default="0", info=label(_l("关注发送注册链接")))
    register_url = Column(String(255), nullable=True, info=label(_l("注册链接")))
    boss_code = Column(String(32), nullable=True, info=label(_l("老板特殊码")))
    auto_reply = Column(String(600), nullable=True, info=label(_l("自动回复")))
    updated_at = Column(DateTime, nullable=False, default=china_now, onupdate=china_now,
                        info=label(_l("更新时间")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_official_account_merchant"),)

    def __str__(self):
        return self.name or self.appid or ""


class Follower(TenantMixin, db.Model):
    """A WeChat user who follows (or followed) the merchant's official account."""

    __label__ = _l("粉丝")
    __tablename__ = "wechat_follower"
    id = Column(Integer, primary_key=True)
    openid = Column(String(64), nullable=False, info=label(_l("粉丝标识（openid）")))
    subscribed = Column(Boolean, nullable=False, default=True, server_default="1",
                        info=label(_l("关注中")))
    scene = Column(String(64), nullable=True, info=label(_l("关注场景值")))
    subscribed_at = Column(DateTime, nullable=True, info=label(_l("关注时间")))
    unsubscribed_at = Column(DateTime, nullable=True, info=label(_l("取消关注时间")))
    created_at = created_at_column()
    __table_args__ = (
        UniqueConstraint("merchant_id", "openid", name="uq_follower_openid"),
        Index("ix_follower_merchant_created", "merchant_id", "created_at"),
    )

    def __str__(self):
        return self.openid


class MiniProgramConfig(TenantMixin, db.Model):
    """The merchant's mini program: credentials, or the component authorization."""

    __label__ = _l("小程序配置")
    __tablename__ = "wechat_mini_program"
    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=True, info=label(_l("小程序名称")))
    appid = Column(String(32), nullable=True, info=label(_l("AppID")))
    app_secret = secret_column(_l("AppSecret"))
    authorizer_refresh_token = secret_column(_l("授权刷新令牌"))
    # 数据分析 sync: when it last ran and, if it failed, why (shown on the page).
    analytics_synced_at = Column(DateTime, nullable=True, info=label(_l("数据同步时间")))
    analytics_error = Column(String(255), nullable=True, info=label(_l("数据同步失败原因")))
    updated_at = Column(DateTime, nullable=False, default=china_now, onupdate=china_now,
                        info=label(_l("更新时间")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_mini_program_merchant"),)

    def __str__(self):
        return self.name or self.appid or ""


class PlatformWeChatConfig(db.Model):
    """The platform's own WeChat accounts (one row, edited by the platform operator): the
    开放平台第三方平台 component, and the service provider's WeChat Pay account used for
    服务商代开 merchants and for payments to the platform (red-packet pool recharges)."""

    __label__ = _l("平台微信配置")
    __tablename__ = "wechat_platform"
    id = Column(Integer, primary_key=True)
    component_appid = Column(String(32), nullable=True, info=label(_l("第三方平台 AppID")))
    component_secret = secret_column(_l("第三方平台 AppSecret"))
    component_token = secret_column(_l("消息校验 Token"))
    component_aes_key = secret_column(_l("消息加解密 Key"))
    sp_appid = Column(String(32), nullable=True, info=label(_l("服务商 AppID")))
    sp_mch_id = Column(String(32), nullable=True, info=label(_l("服务商商户号")))
    sp_api_key = secret_column(_l("服务商 API 密钥"))
    sp_cert_pem = secret_column(_l("服务商 API 证书"))
    sp_key_pem = secret_column(_l("服务商 API 证书私钥"))
    sp_cert_serial = Column(String(64), nullable=True, info=label(_l("证书序列号")))
    sp_cert_expires_at = Column(DateTime, nullable=True, info=label(_l("证书到期时间")))
    updated_at = Column(DateTime, nullable=False, default=china_now, onupdate=china_now,
                        info=label(_l("更新时间")))

    def __str__(self):
        return self.component_appid or self.sp_mch_id or ""


class WeChatToken(db.Model):
    """wechatpy's session storage in the database (access tokens, tickets) when no Redis is
    configured, so every process shares one token instead of each fetching its own."""

    __tablename__ = "wechat_token"
    key = Column(String(191), primary_key=True)
    value = Column(EncryptedText, nullable=False)
    expires_at = Column(Integer, nullable=True)  # unix time; None never expires
