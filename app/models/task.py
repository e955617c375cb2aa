"""任务中心: long work (exports, imports, later SMS and payouts) with progress and results."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text

from app.extensions import db
from app.models.base import choice_column, created_at_column, label
from app.tenancy import OptionalTenantMixin

TASK_KINDS = [("export", _l("导出")), ("import", _l("导入"))]
TASK_STATUS = [("pending", _l("排队中")), ("running", _l("进行中")),
               ("done", _l("已完成")), ("failed", _l("失败"))]


class Task(OptionalTenantMixin, db.Model):
    __label__ = _l("任务")
    __tablename__ = "task"
    __audit__ = False
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    kind = choice_column(TASK_KINDS, "export", _l("任务类型"))
    title = Column(String(100), nullable=False, info=label(_l("任务名称")))
    status = choice_column(TASK_STATUS, "pending", _l("状态"))
    progress = Column(Integer, nullable=False, default=0, info=label(_l("进度 %")))
    created_at = created_at_column()
    started_at = Column(DateTime, nullable=True, info=label(_l("开始时间")))
    finished_at = Column(DateTime, nullable=True, info=label(_l("完成时间")))
    payload = Column(Text, nullable=True)
    result_path = Column(String(255), nullable=True)
    result_name = Column(String(150), nullable=True, info=label(_l("结果文件")))
    error = Column(Text, nullable=True, info=label(_l("错误报告")))
    __table_args__ = (Index("ix_task_user_created", "user_id", "created_at"),)

    @property
    def download(self):
        """The row itself, for the list's "结果" column; the view renders the link."""
        return self
