"""素材库: every image and video a merchant uses, in groups (分组).

A file is stored under the merchant's own prefix (``m<merchant_id>/...``) by the storage
backend of app/services/media.py. Its ``token`` is the unguessable part of the public URL
``/api/v1/media/<token>`` that shop front ends load; the back office serves it by id, to its own
merchant only.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import choice_column, created_at_column, label
from app.tenancy import TenantMixin

MEDIA_KINDS = [("image", _l("图片")), ("video", _l("视频"))]


class MediaGroup(TenantMixin, db.Model):
    __label__ = _l("素材分组")
    __tablename__ = "media_group"
    id = Column(Integer, primary_key=True)
    name = Column(String(30), nullable=False, info=label(_l("分组名称")))
    sort = Column(Integer, nullable=False, default=0, info=label(
        _l("排序"), description=_l("数字越小越靠前")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("merchant_id", "name", name="uq_media_group_merchant_name"),)

    def __str__(self):
        return self.name


class MediaFile(TenantMixin, db.Model):
    __label__ = _l("素材")
    __tablename__ = "media_file"
    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey("media_group.id", ondelete="SET NULL"), nullable=True,
                      index=True, info=label(_l("分组")))
    group = relationship("MediaGroup", info=label(_l("分组")))
    name = Column(String(100), nullable=False, info=label(_l("素材名称")))
    kind = choice_column(MEDIA_KINDS, "image", _l("类型"))
    storage_key = Column(String(255), nullable=False, info=label(_l("存储位置")))
    thumb_key = Column(String(255), nullable=True, info=label(_l("缩略图位置")))
    token = Column(String(48), nullable=False, unique=True, info=label(_l("公开链接标识")))
    content_type = Column(String(50), nullable=False, info=label(_l("文件类型")))
    size = Column(Integer, nullable=False, default=0, info=label(_l("大小(字节)")))
    width = Column(Integer, nullable=True, info=label(_l("宽")))
    height = Column(Integer, nullable=True, info=label(_l("高")))
    created_at = created_at_column()
    __table_args__ = (
        Index("ix_media_file_merchant_created", "merchant_id", "created_at"),
        Index("ix_media_file_merchant_group", "merchant_id", "group_id"),
    )

    def __str__(self):
        return self.name

    @property
    def public_path(self):
        """The path shop pages reference (the picker inserts it into page JSON)."""
        return f"/api/v1/media/{self.token}"

    @property
    def preview(self):
        """The row for the list's 预览 column; the view renders the thumbnail."""
        return self.id
