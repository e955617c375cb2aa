"""插件管理 → AI 刷脸设置: a face is analysed for 颜值 (beauty), gender and age, and the shopper
gets a coupon to spend in the campaign's shop.

- ``face_settings``: one per merchant: the analysis provider (``local`` offline, or Tencent
  Cloud IAI with the merchant's SecretId/SecretKey encrypted at rest) and photo retention.
- ``face_campaign``: 设置基本信息 (name, shop, rules, share title and image, status,
  participation limit) and which rule picks the tier (颜值 bands, or age and gender bands).
- ``face_coupon_tier``: 设置优惠券: amount, quantity and validity, each backed by a real
  coupon batch (``coupon_batch``) whose ``remaining`` is the tier's counter: coupons leave
  only through app/services/coupon.py (conditional UPDATE + ``coupon_ledger`` row).
- ``face_scan``: every scan: the scores, the sha256 of the photo, the coupon given.
- ``face_photo``: a photo kept (encrypted) only when the merchant turned retention on, until
  ``expires_at`` (at most 7 days); ``flask md face-purge`` deletes expired ones.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Column, DateTime, ForeignKey, Index, Integer, LargeBinary, Numeric,
                        String, Text, UniqueConstraint)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import china_now, choice_column, created_at_column, label
from app.models.wechat import secret_column
from app.tenancy import TenantMixin

FACE_PROVIDERS = [("local", _l("本地识别（离线，识别年龄和性别，不测颜值）")),
                  ("tencent", _l("腾讯云人脸识别（颜值、年龄和性别）"))]
RULE_MODES = [("beauty", _l("按颜值发券")), ("age_gender", _l("按年龄和性别发券"))]
GENDERS = [("any", _l("不限")), ("female", _l("女")), ("male", _l("男"))]
FACE_CAMPAIGN_STATUS = [("active", _l("进行中")), ("paused", _l("已暂停"))]
PROVIDER_NAMES = [("local", _l("本地识别")), ("tencent", _l("腾讯云"))]
SCAN_GENDERS = [("female", _l("女")), ("male", _l("男"))]
SCAN_RESULTS = [("rewarded", _l("已获券")), ("no_match", _l("未命中发券规则")),
                ("sold_out", _l("优惠券已领完")), ("no_face", _l("未检测到人脸")),
                ("multi_face", _l("多于一人"))]
# An encrypted photo of at most 5 MB is about 7 MB: MySQL's BLOB holds only 64 KB.
PHOTO_TYPE = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


class FaceSettings(TenantMixin, db.Model):
    """识别服务设置: one row per merchant."""

    __label__ = _l("识别服务设置")
    __tablename__ = "face_settings"
    id = Column(Integer, primary_key=True)
    provider = choice_column(FACE_PROVIDERS, "local", _l("识别服务"))
    tencent_secret_id = secret_column(_l("腾讯云 SecretId"))
    tencent_secret_key = secret_column(_l("腾讯云 SecretKey"))
    tencent_region = Column(String(32), nullable=False, default="ap-guangzhou",
                            server_default="ap-guangzhou", info=label(_l("腾讯云地域")))
    retention_days = Column(Integer, nullable=False, default=0, server_default="0",
                            info=label(_l("照片保留天数"),
                                       description=_l("0 表示识别后立即删除，最多 7 天")))
    updated_at = Column(DateTime, nullable=False, default=china_now, onupdate=china_now,
                        info=label(_l("更新时间")))
    __table_args__ = (UniqueConstraint("merchant_id", name="uq_face_settings_merchant"),)


class FaceCampaign(TenantMixin, db.Model):
    """AI 刷脸活动: 设置基本信息 plus the rule mode; tiers are ``FaceCouponTier``."""

    __label__ = _l("AI 刷脸活动")
    __tablename__ = "face_campaign"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False, info=label(_l("活动名称")))
    shop_id = Column(ForeignKey("shop.id"), nullable=False, info=label(_l("指定商城")))
    rules = Column(Text, nullable=True, info=label(_l("活动规则")))
    share_title = Column(String(50), nullable=True, info=label(_l("分享标题")))
    share_image = Column(String(255), nullable=True, info=label(_l("分享图片"), image=True))
    status = choice_column(FACE_CAMPAIGN_STATUS, "active", _l("状态"))
    participation_limit = Column(Integer, nullable=False, default=1, server_default="1",
                                 info=label(_l("每人参与次数")))
    rule_mode = choice_column(RULE_MODES, "age_gender", _l("发券规则"))
    created_at = created_at_column()
    shop = relationship("Shop", lazy="joined")
    tiers = relationship("FaceCouponTier", back_populates="campaign",
                         order_by=lambda: [FaceCouponTier.amount.desc(), FaceCouponTier.id])
    __table_args__ = (
        Index("ix_face_campaign_merchant_created", "merchant_id", "created_at"),
        Index("ix_face_campaign_merchant_status", "merchant_id", "status"),
    )

    def __str__(self):
        return self.name

    @property
    def ops(self):
        return self

    @property
    def tier_summary(self):
        """"¥50×10 / ¥20×100": the tiers, largest first (no Chinese: English pages show it)."""
        return " / ".join(f"¥{t.amount.normalize():f}×{t.quantity}" for t in self.tiers)


class FaceCouponTier(TenantMixin, db.Model):
    """设置优惠券: one tier = one published coupon batch, plus the band that selects it."""

    __label__ = _l("刷脸优惠券档位")
    __tablename__ = "face_coupon_tier"
    id = Column(Integer, primary_key=True)
    campaign_id = Column(ForeignKey("face_campaign.id", ondelete="CASCADE"), nullable=False,
                         index=True, info=label(_l("活动")))
    batch_id = Column(ForeignKey("coupon_batch.id"), nullable=False, info=label(_l("优惠券")))
    amount = Column(Numeric(12, 2), nullable=False, info=label(_l("优惠券金额"), money=True))
    quantity = Column(Integer, nullable=False, info=label(_l("优惠券数量")))
    valid_from = Column(DateTime, nullable=False, info=label(_l("有效期开始")))
    valid_to = Column(DateTime, nullable=False, info=label(_l("有效期结束")))
    beauty_min = Column(Integer, nullable=True, info=label(_l("颜值下限")))
    beauty_max = Column(Integer, nullable=True, info=label(_l("颜值上限")))
    gender = choice_column(GENDERS, "any", _l("性别"))
    age_min = Column(Integer, nullable=True, info=label(_l("年龄下限")))
    age_max = Column(Integer, nullable=True, info=label(_l("年龄上限")))
    created_at = created_at_column()
    campaign = relationship(FaceCampaign, back_populates="tiers")
    batch = relationship("CouponBatch", lazy="joined")

    def __str__(self):
        return f"{self.amount.normalize():f}元"


class FaceScan(TenantMixin, db.Model):
    """扫脸记录: one row per analysed photo. ``slot`` numbers a member's counted scans
    (1..每人参与次数); the unique key keeps the limit under concurrency."""

    __label__ = _l("刷脸记录")
    __tablename__ = "face_scan"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    campaign_id = Column(ForeignKey("face_campaign.id", ondelete="CASCADE"), nullable=False,
                         info=label(_l("活动")))
    member_id = Column(ForeignKey("member.id", ondelete="CASCADE"), nullable=False,
                       info=label(_l("会员")))
    slot = Column(Integer, nullable=True, info=label(_l("参与序号")))
    result = choice_column(SCAN_RESULTS, "rewarded", _l("结果"))
    provider = Column(String(16), nullable=False,
                      info=label(_l("识别服务"), choices=PROVIDER_NAMES))
    beauty = Column(Integer, nullable=True,
                    info=label(_l("颜值"), description=_l("本地识别不测颜值，为空")))
    gender = Column(String(8), nullable=True, info=label(_l("性别"), choices=SCAN_GENDERS))
    age = Column(Integer, nullable=True, info=label(_l("年龄")))
    image_sha256 = Column(String(64), nullable=False, info=label(_l("照片 SHA-256")))
    tier_id = Column(ForeignKey("face_coupon_tier.id", ondelete="SET NULL"), nullable=True,
                     info=label(_l("获得档位")))
    amount = Column(Numeric(12, 2), nullable=True, info=label(_l("优惠券金额"), money=True))
    member_coupon_id = Column(ForeignKey("member_coupon.id", ondelete="SET NULL"),
                              nullable=True, info=label(_l("会员优惠券")))
    coupon_code = Column(String(32), nullable=True, info=label(_l("优惠码")))
    photo_expires_at = Column(DateTime, nullable=True, info=label(_l("照片保留至")))
    created_at = created_at_column()
    campaign = relationship(FaceCampaign, lazy="joined")
    member = relationship("Member", lazy="joined")
    __table_args__ = (
        UniqueConstraint("campaign_id", "member_id", "slot", name="uq_face_scan_slot"),
        Index("ix_face_scan_merchant_created", "merchant_id", "created_at"),
        Index("ix_face_scan_campaign_result", "campaign_id", "result"),
        Index("ix_face_scan_member", "member_id", "campaign_id"),
    )

    @property
    def photo(self):
        """The row itself, for the show page's 照片 link (retained photos only)."""
        return self


class FacePhoto(TenantMixin, db.Model):
    """A retained photo, Fernet-encrypted, deleted at ``expires_at``."""

    __label__ = _l("刷脸照片")
    __tablename__ = "face_photo"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    scan_id = Column(ForeignKey("face_scan.id", ondelete="CASCADE"), nullable=False,
                     unique=True, info=label(_l("刷脸记录")))
    content_type = Column(String(20), nullable=False, info=label(_l("类型")))
    data = Column(PHOTO_TYPE, nullable=False, info=label(_l("照片")))
    expires_at = Column(DateTime, nullable=False, index=True, info=label(_l("保留至")))
    created_at = created_at_column()
