"""批量发货 (the second guide's 订单发货 5): template download, upload of csv / xls / xlsx
(at most 1,000 rows and 1 MB), a task-center job that ships every row on its own, and the
per-row results (成功 / 失败 with the reason) on the batch page.
"""
import io
import os

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.admin.pages import merchant_id_or_403
from app.admin.views import send_xlsx
from app.admin.xlsx import SheetReadError, XlsxWriter, read_rows
from app.extensions import db
from app.models.fulfilment import ROW_RESULTS, ShippingBatch, ShippingBatchRow
from app.models.task import Task
from app.services import shipping as shipping_service
from app.services.fulfilment import FulfilmentError, status_text
from app.workers.queue import enqueue
from app.workers.shipping import ship_batch_job

EXTENSIONS = (".csv", ".xls", ".xlsx")


class BatchRefused(Exception):
    """The file as a whole cannot be used; the message is Chinese."""


def read_batch_file(filename, data):
    """[(row number, cells)] of the non-blank rows, header first; refuses the whole file
    for its type, size, row count or header."""
    name = filename.lower()
    if not name.endswith(EXTENSIONS):
        raise BatchRefused(_("仅支持 csv、xls、xlsx 格式的文件"))
    if not data:
        raise BatchRefused(_("文件是空的，请填写数据后再上传"))
    if len(data) > shipping_service.BATCH_MAX_BYTES:
        raise BatchRefused(_("文件大小请控制在 1MB 以内"))
    try:
        # python-calamine detects the format from the content, so the old binary .xls
        # goes through the same reader as .xlsx.
        rows = read_rows(filename[:-4] + ".xlsx" if name.endswith(".xls") else filename, data)
    except SheetReadError as exc:
        raise BatchRefused(str(exc)) from None
    rows = [(n, cells) for n, cells in enumerate(rows, start=1) if any(c != "" for c in cells)]
    if len(rows) < 2:
        raise BatchRefused(_("文件中没有发货数据，请按模板填写后再上传"))
    if len(rows) - 1 > shipping_service.BATCH_MAX_ROWS:
        raise BatchRefused(_("最大支持 %(max)d 条记录，本文件有 %(n)d 条，请拆分后分批上传",
                             max=shipping_service.BATCH_MAX_ROWS, n=len(rows) - 1))
    try:
        shipping_service.parse_batch_header(rows[0][1])
    except FulfilmentError as exc:
        raise BatchRefused(str(exc)) from None
    return rows


def create_batch(filename, rows):
    """The batch, its pending rows and its task-center Task, committed."""
    columns = shipping_service.parse_batch_header(rows[0][1])

    def cell(cells, key):
        index = columns[key]
        return (cells[index] if index < len(cells) else "").strip()

    user = g.user
    task = Task(user_id=user.id, merchant_id=user.merchant_id, kind="import",
                title=f"{_('批量发货')}（{filename}）"[:100], status="pending")
    db.session.add(task)
    db.session.flush()
    batch = ShippingBatch(merchant_id=user.merchant_id, user_id=user.id, task_id=task.id,
                          filename=filename[:100], status="pending", total=len(rows) - 1,
                          succeeded=0, failed=0)
    batch.rows = [ShippingBatchRow(merchant_id=user.merchant_id, row_number=number,
                                   order_no=cell(cells, "order_no")[:40],
                                   courier_name=cell(cells, "courier_name")[:40],
                                   waybill_no=cell(cells, "waybill_no")[:60], result="pending")
                  for number, cells in rows[1:]]
    db.session.add(batch)
    db.session.commit()
    return batch


class ShippingBatchView(BaseView):
    route_base = "/fulfilment/batch"
    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_batch"]
    permission_labels = {"can_batch": _l("批量发货")}

    def _render(self, error=None, status=200):
        batches = db.session.execute(select(ShippingBatch).order_by(ShippingBatch.id.desc())
                                     .limit(20)).scalars().all()
        return self.render_template(
            "fulfilment/batch.html", title=_("批量发货"), batches=batches, error=error,
            max_rows=shipping_service.BATCH_MAX_ROWS,
            status_text=lambda code: status_text(code, _batch_status())), status

    @expose("/")
    @has_access
    @permission_name("batch")
    def index(self):
        merchant_id_or_403()
        return self._render()

    @expose("/template")
    @has_access
    @permission_name("batch")
    def template(self):
        """模板: 订单编号, 物流公司, 运单号 with an example row."""
        merchant_id_or_403()
        stream = io.BytesIO()
        writer = XlsxWriter(stream, list(shipping_service.BATCH_HEADERS),
                            sheet_name=str(_("批量发货")))
        text = writer.book.add_format({"num_format": "@"})
        writer.sheet.set_column(0, 2, 24, text)
        writer.sheet.write_comment(0, 1, str(_("须与后台【物流管理】中物流公司名称完全一致")))
        writer.close()
        stream.seek(0)
        return send_xlsx(stream, f"{_('批量发货模板')}.xlsx")

    @expose("/", methods=["POST"])
    @has_access
    @permission_name("batch")
    def upload(self):
        merchant_id_or_403()
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self._render(_("请选择要上传的文件"), 400)
        filename = os.path.basename(upload.filename.replace("\\", "/"))[:100]
        data = upload.stream.read(shipping_service.BATCH_MAX_BYTES + 1)
        try:
            rows = read_batch_file(filename, data)
        except BatchRefused as exc:
            return self._render(str(exc), 400)
        batch = create_batch(filename, rows)
        enqueue(ship_batch_job, batch.id)
        flash(_("已提交批量发货（%(n)d 条），处理完成后点击“刷新”查看结果", n=batch.total), "info")
        return redirect(url_for("ShippingBatchView.detail", shipping_batch_id=batch.id))

    @expose("/<int:shipping_batch_id>")
    @has_access
    @permission_name("batch")
    def detail(self, shipping_batch_id):
        merchant_id_or_403()
        batch = db.session.execute(select(ShippingBatch).where(
            ShippingBatch.id == shipping_batch_id)).scalar()
        if batch is None:
            abort(404)
        rows = db.session.execute(select(ShippingBatchRow).where(
            ShippingBatchRow.batch_id == batch.id).order_by(ShippingBatchRow.row_number)
        ).scalars().all()
        return self.render_template(
            "fulfilment/batch_detail.html", title=_("批量发货结果"), batch=batch, rows=rows,
            result_text=lambda code: status_text(code, ROW_RESULTS),
            status_text=status_text(batch.status, _batch_status()))


def _batch_status():
    from app.models.fulfilment import BATCH_STATUS

    return BATCH_STATUS


def register(appbuilder):
    from app.views import add

    add(appbuilder, ShippingBatchView, "shipping_batch", _l("批量发货"), "orders", "fa-truck")
