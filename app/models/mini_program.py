"""小程序设置管理: fast registrations through the platform's component, 附近的小程序 POIs and
the cached 数据分析. The mini program itself (AppID, the authorizer refresh token) is
``app.models.wechat.MiniProgramConfig``.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, Index, Integer, String, Text, UniqueConstraint

from app.extensions import db
from app.models.base import china_now, choice_column, created_at_column, label
from app.tenancy import TenantMixin

# code_type of component/fastregisterweapp
CODE_TYPES = [("1", _l("统一社会信用代码")), ("2", _l("组织机构代码")), ("3", _l("营业执照注册号"))]
REGISTRATION_STATUS = [("submitted", _l("待法人确认")), ("success", _l("注册成功")),
                       ("failed", _l("注册失败"))]
POI_AUDIT_STATUS = [("auditing", _l("审核中")), ("passed", _l("审核通过")),
                    ("rejected", _l("审核失败"))]
ANALYTICS_KINDS = [("summary", _l("昨日概况")), ("monthly", _l("上月数据")),
                   ("portrait", _l("用户画像"))]


class MiniProgramRegistration(TenantMixin, db.Model):
    """快速注册小程序: one request to WeChat; the legal representative confirms in WeChat and
    the result arrives as a push to the component's 授权事件接收 URL."""

    __label__ = _l("快速注册申请")
    __tablename__ = "mini_program_registration"
    id = Column(Integer, primary_key=True)
    company_name = Column(String(100), nullable=False, info=label(_l("企业名称")))
    code = Column(String(20), nullable=False, info=label(_l("企业代码")))
    code_type = choice_column(CODE_TYPES, "1", _l("企业代码类型"))
    legal_persona_name = Column(String(32), nullable=False, info=label(_l("法人姓名")))
    legal_persona_wechat = Column(String(64), nullable=False, info=label(_l("法人微信号")))
    component_phone = Column(String(20), nullable=True, info=label(_l("联系电话")))
    status = choice_column(REGISTRATION_STATUS, "submitted", _l("状态"))
    message = Column(String(255), nullable=True, info=label(_l("说明")))
    appid = Column(String(32), nullable=True, info=label(_l("小程序 AppID")))
    updated_at = Column(DateTime, nullable=False, default=china_now, onupdate=china_now,
                        info=label(_l("更新时间")))
    created_at = created_at_column()
    __table_args__ = (Index("ix_mp_registration_merchant_status", "merchant_id", "status"),)

    def __str__(self):
        return self.company_name or ""


class NearbyPoi(TenantMixin, db.Model):
    """附近的小程序: one address (at most 10 per mini program), audited by WeChat."""

    __label__ = _l("附近小程序地点")
    __tablename__ = "mini_program_nearby_poi"
    id = Column(Integer, primary_key=True)
    related_name = Column(String(100), nullable=False, info=label(_l("经营资质名称")))
    related_credential = Column(String(20), nullable=False, info=label(_l("经营资质证件号")))
    related_address = Column(String(255), nullable=False, info=label(_l("经营资质地址")))
    proof_name = Column(String(100), nullable=True, info=label(_l("相关证明材料")))
    poi_id = Column(String(32), nullable=True, info=label(_l("地点 ID")))
    audit_id = Column(String(32), nullable=True, info=label(_l("审核单号")))
    audit_status = choice_column(POI_AUDIT_STATUS, "auditing", _l("审核状态"))
    refuse_reason = Column(String(255), nullable=True, info=label(_l("驳回原因")))
    synced_at = Column(DateTime, nullable=True, info=label(_l("状态同步时间")))
    created_at = created_at_column()
    __table_args__ = (
        UniqueConstraint("merchant_id", "poi_id", name="uq_nearby_poi_poi_id"),
        Index("ix_nearby_poi_merchant_status", "merchant_id", "audit_status"),
    )

    def __str__(self):
        return self.related_name or ""


class WxaAnalytics(TenantMixin, db.Model):
    """数据分析 cache: the latest datacube answer of each kind, written by the sync job, so
    pages never wait on WeChat."""

    __label__ = _l("小程序数据分析")
    __tablename__ = "mini_program_analytics"
    # A cache of WeChat's numbers, replaced by every sync: the 立即同步 click is logged
    # instead (app/views/mini_program.py), not each replaced JSON document.
    __audit__ = False
    id = Column(Integer, primary_key=True)
    kind = choice_column(ANALYTICS_KINDS, "summary", _l("数据类型"))
    ref_date = Column(String(32), nullable=False, info=label(_l("统计日期")))
    data = Column(Text, nullable=False, info=label(_l("数据")))
    fetched_at = Column(DateTime, nullable=False, default=china_now,
                        info=label(_l("同步时间")))
    __table_args__ = (UniqueConstraint("merchant_id", "kind", name="uq_mp_analytics_kind"),)
