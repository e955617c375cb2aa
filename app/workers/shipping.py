"""批量发货 as a task-center job.

The request reads and checks the file (type, size, row count, header) and stores its rows
as ``ShippingBatchRow``s (待处理) with a ``ShippingBatch`` and a ``Task``; the job ships
each row on its own (a savepoint per row, committed as it goes), so good rows ship even when
others fail, and a re-run after a crash skips rows already done. The per-row results
(成功 / 失败 with the reason) show on the batch page and download from the task center.
"""
import logging
import os

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext as _
from sqlalchemy import func, select, update

from app.extensions import db
from app.models.base import china_now
from app.models.fulfilment import ShippingBatch, ShippingBatchRow
from app.models.task import Task
from app.services import shipping as shipping_service
from app.tenancy import platform_scope, tenant_scope

log = logging.getLogger(__name__)


def _task(task_id, **values):
    if task_id is None:
        return
    with db.engine.begin() as conn:
        conn.execute(update(Task.__table__).where(Task.__table__.c.id == task_id)
                     .values(**values))


def run_batch(batch_id):
    """Ship every pending row of a batch; returns (succeeded, failed)."""
    with platform_scope():
        batch = db.session.get(ShippingBatch, batch_id)
        merchant_id = batch.merchant_id if batch is not None else None
        db.session.rollback()
    if merchant_id is None:
        return None
    with tenant_scope(merchant_id), force_locale("zh"):
        batch = db.session.get(ShippingBatch, batch_id)
        task_id, user_id = batch.task_id, batch.user_id
        batch.status = "running"
        db.session.commit()
        _task(task_id, status="running", started_at=china_now(), progress=0)
        try:
            rows = db.session.execute(select(ShippingBatchRow).where(
                ShippingBatchRow.batch_id == batch_id, ShippingBatchRow.result == "pending")
                .order_by(ShippingBatchRow.row_number)).scalars().all()
            for done, row in enumerate(rows, start=1):
                reason = shipping_service.ship_row(db.session, row.order_no, row.courier_name,
                                                   row.waybill_no, operator_id=user_id)
                row.result = "success" if reason is None else "failed"
                row.reason = None if reason is None else str(reason)[:100]
                db.session.commit()
                if done % 50 == 0:
                    _task(task_id, progress=min(99, done * 100 // max(len(rows), 1)))
            counts = dict(db.session.execute(
                select(ShippingBatchRow.result, func.count(ShippingBatchRow.id))
                .where(ShippingBatchRow.batch_id == batch_id)
                .group_by(ShippingBatchRow.result)).all())
            batch = db.session.get(ShippingBatch, batch_id)
            batch.succeeded, batch.failed = counts.get("success", 0), counts.get("failed", 0)
            batch.status, batch.finished_at = "done", china_now()
            db.session.commit()
            path, name = write_result(batch)
        except Exception:
            log.exception("batch shipping %s failed", batch_id)
            db.session.rollback()
            db.session.execute(update(ShippingBatch.__table__).where(
                ShippingBatch.__table__.c.id == batch_id).values(
                status="failed", finished_at=china_now(),
                error=_("处理中断，已发货的行不受影响；请稍后重新上传未成功的行")))
            db.session.commit()
            _task(task_id, status="failed", finished_at=china_now(),
                  error=_("批量发货处理中断，已发货的行不受影响；请稍后重新上传未成功的行"))
            raise
        summary = _("共 %(total)d 行：成功 %(ok)d 行，失败 %(bad)d 行", total=batch.total,
                    ok=batch.succeeded, bad=batch.failed)
        _task(task_id, status="done", progress=100, finished_at=china_now(),
              result_path=path, result_name=name[:150],
              error=summary if batch.failed else None)
        return batch.succeeded, batch.failed


def write_result(batch):
    """The per-row results as an xlsx beside the other task results."""
    from app.admin.xlsx import XlsxWriter

    folder = current_app.config["TASK_RESULT_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"shipping_batch_{batch.id}.xlsx")
    writer = XlsxWriter(path, [_("行号"), _("订单编号"), _("物流公司"), _("运单号"),
                               _("结果"), _("失败原因")], sheet_name=str(_("批量发货结果")))
    labels = {"success": _("成功"), "failed": _("失败"), "pending": _("待处理")}
    for row in batch.rows:
        writer.write_row([row.row_number, row.order_no, row.courier_name, row.waybill_no,
                          labels.get(row.result, row.result), row.reason or ""])
    writer.close()
    return path, f"{_('批量发货结果')}_{batch.id}.xlsx"


def ship_batch_job(batch_id):
    """RQ entry point (an id, safe to re-run: done rows are skipped)."""
    if has_app_context():
        return run_batch(batch_id)
    from app import create_app

    with create_app().app_context():
        return run_batch(batch_id)
