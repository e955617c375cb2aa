"""Excel / CSV import for any admin view: declare ``import_columns``, get 导入.

A view opts in by mixing ``ImportMixin`` in *before* its base view and naming the model
columns a file may fill::

    class ShopView(ImportMixin, TenantModelView):
        import_columns = ["name", "shop_type", "status", "theme_color"]

That adds, under the view (permission ``can_import``, which is added to the view's
``base_permissions`` so `flask md sync` grants it to the owner role):

* ``GET  /import/``         the Chinese import page: columns, limits, template link, upload form;
* ``GET  /import/template`` an xlsx template with the Chinese headers and notes;
* ``POST /import/``         the upload.

Rules (ARCHITECTURE.md "Data at scale"): .xlsx and UTF-8 / GBK CSV only, at most
``IMPORT_MAX_MB`` and ``IMPORT_MAX_ROWS``; headers are matched by their Chinese labels (or
the raw column names); every row is validated before anything is written, errors are
reported per row in Chinese (第 N 行，列名：原因, N being the row number Excel shows);
all rows are then inserted in one transaction through the ORM session, so the tenant guard
and the audit log apply. Each upload leaves a Task row (kind "import") in the task center.

Validation derives from the model: required (NOT NULL without a default), String length,
integers, Numeric money as Decimal (at most ``scale`` decimals), dates, booleans (是/否),
choice columns (Chinese label or code). On top of that come the view's own WTForms
``Length`` and ``Regexp`` validators from ``validators_columns``, and the optional hook
``validate_import_row(values, row_number)``.
"""
import json
import logging
import os
import re
from dataclasses import dataclass, field

from flask import current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import force_locale, gettext as _
from sqlalchemy import (Boolean, Date, DateTime, Float, Integer, Numeric, String,
                        inspect as sa_inspect)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms.validators import Length, Regexp

from app.admin.audit import audit_action
from app.admin.import_cells import INT_RANGES, CellError, ImportField, parse_cell
from app.admin.labels import choices_of, column_info, column_label, model_label
from app.admin.xlsx import SheetReadError, XlsxWriter, read_rows
from app.services.errors import BusinessError
from app.tenancy import TenantIsolationError, TenantMixin

log = logging.getLogger(__name__)

IMPORT_EXTENSIONS = (".xlsx", ".csv")
# Columns a file may never set: the tenant is the importing user's, ids are the database's.
FORBIDDEN_IMPORT_COLUMNS = {"id", "merchant", "merchant_id", "created_at"}
# Task.error is TEXT (64 KB on MySQL, 3 bytes a Chinese character): keep the report below.
TASK_ERROR_MAX_CHARS = 20000


class ImportRefused(Exception):
    """The file as a whole cannot be imported; the message is Chinese and shown as is."""


@dataclass
class ImportResult:
    created: int = 0
    errors: list = field(default_factory=list)
    ignored_headers: list = field(default_factory=list)
    refused: bool = False  # the file as a whole was refused (errors holds one message)
    task: object = None
    queued: bool = False  # too many rows for the request: queued as a task-center job
    rows: int = 0

    @property
    def ok(self):
        return not self.errors


def _header_key(text):
    """Header text as compared: no spaces, no required marks, no (必填)/(选填)."""
    text = re.sub(r"[（(](必填|选填|可选)[)）]", "", str(text or ""))
    return re.sub(r"[\s*＊]", "", text).lower()


def _row_error(row_number, label, reason):
    return _("第 %(row)d 行，%(column)s：%(reason)s", row=row_number, column=label,
             reason=reason)


def _max_upload_bytes():
    config = current_app.config
    limit = int(float(config.get("IMPORT_MAX_MB", 5)) * 1024 * 1024)
    if config.get("MAX_CONTENT_LENGTH"):
        limit = min(limit, int(config["MAX_CONTENT_LENGTH"]))
    return limit


def _max_rows():
    return int(current_app.config.get("IMPORT_MAX_ROWS", 5000))


def _job_rows():
    """Above this many data rows, a view with ``import_in_jobs`` imports as a job."""
    return int(current_app.config.get("IMPORT_JOB_ROWS", 2000))


def _job_max_rows():
    return int(current_app.config.get("IMPORT_JOB_MAX_ROWS", 100000))


class ImportJobFailed(Exception):
    """A queued import found errors: ``task_error`` is the Chinese report for the task."""

    def __init__(self, report):
        super().__init__("import refused")
        self.task_error = report


# -- cell parsing ----------------------------------------------------------------------
# -- the mixin -------------------------------------------------------------------------
class ImportMixin:
    """Excel / CSV import for an ``AdminModelView`` subclass (mix it in first)."""

    #: Model column names a file may fill, in template order. Required to opt in.
    import_columns = None
    import_page_template = "admin/import.html"
    #: How many row errors the page lists; the rest are counted.
    import_error_display_limit = 200
    #: Large files (more than IMPORT_JOB_ROWS rows, up to IMPORT_JOB_MAX_ROWS) run as a
    #: task-center job instead of in the request.
    import_in_jobs = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.import_columns:
            raise TypeError(f"{type(self).__name__}: ImportMixin needs import_columns")
        mapper = sa_inspect(self.datamodel.obj)
        for name in self.import_columns:
            if name not in mapper.columns or name in FORBIDDEN_IMPORT_COLUMNS:
                raise TypeError(f"{type(self).__name__}.import_columns: "
                                f"{name!r} is not an importable column")
        # FAB derives base_permissions from the exposed methods only when a view declares
        # none; most views declare them, so add ours (the owner-role sync reads this list).
        if "can_import" not in self.base_permissions:
            self.base_permissions = list(self.base_permissions) + ["can_import"]

    # -- hooks a view may override -----------------------------------------------------
    def validate_import_row(self, values, row_number):
        """Extra checks for one row whose cells all parsed. ``values`` maps column names to
        Python values (None when blank). Return a list of errors, each a Chinese reason
        (str) or a ``(column name or label, reason)`` pair; [] when the row is fine."""
        return []

    def make_import_item(self, values):
        """One valid row as ``save_import`` will write it: by default an unsaved model
        object (a view that writes with bulk statements may return a plain dict)."""
        item = self.datamodel.obj()
        for name, value in values.items():
            if value is not None:
                setattr(item, name, value)
        return item

    def import_pre_add(self, item):
        """Called on each new row before it is written; defaults to the view's pre_add
        (which stamps merchant_id on a TenantModelView). May raise BusinessError."""
        self.pre_add(item)

    def import_options_from_form(self, form):
        """Hook: options the import page offers (kept for a queued job), from the form."""
        return {}

    def import_max_rows(self):
        return _job_max_rows() if self.import_in_jobs else _max_rows()

    def import_title(self):
        return _("导入%(name)s", name=model_label(self.datamodel.obj))

    # -- URLs --------------------------------------------------------------------------
    def import_url(self):
        if "can_import" not in self.base_permissions or not self.appbuilder.sm.has_access(
                "can_import", self.class_permission_name):
            return None
        return url_for(f"{self.endpoint}.import_form")

    # -- columns -----------------------------------------------------------------------
    def import_fields(self):
        """ImportField per import column, labels in the current locale."""
        model = self.datamodel.obj
        mapper = sa_inspect(model)
        fields = []
        for name in self.import_columns:
            column = mapper.columns[name]
            ctype = column.type
            label = str(self.label_columns.get(name) or column_label(model, name))
            choices = choices_of(model, name)
            has_default = column.default is not None or column.server_default is not None
            spec = ImportField(
                name=name, label=label, kind="string",
                required=not column.nullable and not has_default,
                has_default=has_default, nullable=column.nullable,
                description=str(column_info(model, name).get("description") or ""),
                validators=[v for v in self.validators_columns.get(name, [])
                            if isinstance(v, (Length, Regexp))])
            if choices:
                spec.kind, spec.choices = "choice", choices
            elif isinstance(ctype, Boolean):
                spec.kind = "boolean"
            elif isinstance(ctype, DateTime):
                spec.kind = "datetime"
            elif isinstance(ctype, Date):
                spec.kind = "date"
            elif isinstance(ctype, Float):
                spec.kind = "float"
            elif isinstance(ctype, Numeric):
                spec.kind, spec.precision, spec.scale = "decimal", ctype.precision, (
                    ctype.scale if ctype.scale is not None else 2)
            elif isinstance(ctype, Integer):
                spec.kind = "integer"
                spec.int_limit = next((limit for cls, limit in INT_RANGES.items()
                                       if isinstance(ctype, cls)), 2 ** 31)
            elif isinstance(ctype, String):
                spec.max_length = ctype.length
            default = column.default.arg if column.default is not None and not callable(
                column.default.arg) else None
            if default is not None:
                if choices:
                    default = next((str(t) for c, t in choices if c == default), default)
                elif isinstance(default, bool):
                    default = _("是") if default else _("否")
                spec.default_text = str(default)
            spec.aliases = {_header_key(label), _header_key(name)}
            with force_locale("zh"):
                spec.aliases.add(_header_key(str(self.label_columns.get(name)
                                                  or column_label(model, name))))
            fields.append(spec)
        return fields

    # -- pages -------------------------------------------------------------------------
    def _render_import(self, result=None, status=200):
        fields = self.import_fields()
        errors = list(result.errors) if result else []
        shown = errors[:self.import_error_display_limit]
        return self.render_template(
            self.import_page_template, title=self.import_title(), fields=fields,
            max_rows=self.import_max_rows(), max_mb=_max_upload_bytes() / (1024 * 1024),
            template_url=url_for(f"{self.endpoint}.import_template_xlsx"),
            upload_url=url_for(f"{self.endpoint}.import_upload"),
            list_url=url_for(f"{self.endpoint}.list"),
            task_url=url_for("TaskView.list") if "TaskView" in
            current_app.blueprints else None,
            errors=shown, hidden_errors=len(errors) - len(shown),
            refused=bool(result and result.refused),
            total_errors=len(errors)), status

    @expose("/import/", methods=["GET"])
    @has_access
    @permission_name("import")
    def import_form(self):
        return self._render_import()

    @expose("/import/template")
    @has_access
    @permission_name("import")
    def import_template_xlsx(self):
        import io

        fields = self.import_fields()
        name = model_label(self.datamodel.obj)
        stream = io.BytesIO()
        self.write_import_template(stream, fields)
        stream.seek(0)
        return send_file(stream, as_attachment=True,
                         download_name=str(_("%(name)s导入模板", name=name)) + ".xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument."
                                  "spreadsheetml.sheet")

    def write_import_template(self, target, fields):
        """Sheet 1: the header row (notes as cell comments, dropdowns for choices, text
        format so 0012 and phone numbers stay as typed). Sheet 2: 填写说明."""
        writer = XlsxWriter(target, [f.label for f in fields],
                            sheet_name=str(_("%(name)s导入模板",
                                             name=model_label(self.datamodel.obj))))
        book, sheet = writer.book, writer.sheet
        text_format = book.add_format({"num_format": "@"})
        formats = {"string": text_format, "choice": text_format,
                   "date": writer.formats["date"], "datetime": writer.formats["datetime"],
                   "decimal": writer.formats["money"]}
        last_row = min(_max_rows(), 1048575)
        for col, spec in enumerate(fields):
            width = max(12, min(40, len(spec.label) * 2 + 6))
            sheet.set_column(col, col, width, formats.get(spec.kind))
            required = _("必填") if spec.required else _("选填")
            sheet.write_comment(0, col, f"{required}。{spec.note()}",
                                {"x_scale": 1.6, "y_scale": 1.2})
            if spec.kind in ("choice", "boolean"):
                options = ([str(t) for _c, t in spec.choices] if spec.kind == "choice"
                           else [_("是"), _("否")])
                if sum(len(o) + 1 for o in options) <= 250:
                    sheet.data_validation(1, col, last_row, col, {
                        "validate": "list", "source": options, "error_type": "warning",
                        "error_title": str(_("无效的选项")),
                        "error_message": str(_("可选：%(options)s",
                                               options=_("、").join(options)))[:250]})
        guide = book.add_worksheet(str(_("填写说明")))
        guide.set_column(0, 0, 18)
        guide.set_column(1, 1, 10)
        guide.set_column(2, 2, 70)
        bold = writer.formats["header"]
        guide.write_row(0, 0, [_("列名"), _("是否必填"), _("填写说明")], bold)
        for row, spec in enumerate(fields, start=1):
            guide.write_row(row, 0, [spec.label, _("必填") if spec.required else _("选填"),
                                     spec.note()])
        row = len(fields) + 2
        for line in self.import_rules():
            guide.write_string(row, 0, line)
            row += 1
        writer.close()

    def import_rules(self):
        mb = _max_upload_bytes() / (1024 * 1024)
        return [
            _("第 1 行为表头，请勿修改；从第 2 行起每行一条数据。"),
            _("支持 .xlsx 和 .csv（UTF-8 或 GBK 编码）文件，单个文件不超过 %(mb)s MB，"
              "最多 %(rows)d 行数据。", mb=f"{mb:g}", rows=self.import_max_rows()),
            _("所有行校验通过后才会一次性写入；只要有一行出错，就不会写入任何数据。"),
        ]

    @expose("/import/", methods=["POST"])
    @has_access
    @permission_name("import")
    def import_upload(self):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("请选择要导入的文件"), "warning")
            return self._render_import(status=400)
        filename = os.path.basename(upload.filename.replace("\\", "/"))[:80] or "upload"
        g.import_options = self.import_options_from_form(request.form)
        result = self.run_import(filename, upload.stream)
        if result.queued:
            flash(_("数据较多（%(n)d 行），已提交到任务中心后台导入（任务 #%(id)d），完成后可在任务中心查看结果",
                    n=result.rows, id=result.task.id), "info")
            return redirect(url_for("TaskView.list"))
        if result.ok:
            flash(_("导入成功，共新增 %(n)d 条%(name)s", n=result.created,
                    name=model_label(self.datamodel.obj)), "success")
            if result.ignored_headers:
                flash(_("以下列无法识别，已忽略：%(cols)s",
                        cols=_("、").join(result.ignored_headers)), "warning")
            return redirect(url_for(f"{self.endpoint}.list"))
        # The page lists the errors itself (导入失败：共发现 N 处错误…): no flash.
        return self._render_import(result, status=200)

    # -- the work ----------------------------------------------------------------------
    def run_import(self, filename, stream):
        """Read, validate and (only when every row is valid) insert; always leaves a Task."""
        import io

        started = _now()
        result = ImportResult()
        raw = stream.read(_max_upload_bytes() + 1)
        try:
            rows = self.read_import_file(filename, io.BytesIO(raw))
            result.rows = len(rows) - 1
            if self.import_in_jobs and not g.get("import_job") and result.rows > _job_rows():
                result.task, result.queued = self.queue_import(filename, raw), True
                return result
            fields = self.import_fields()
            columns, result.ignored_headers = self.match_import_header(rows[0][1], fields)
            items, result.errors = self.validate_import_rows(rows[1:], columns, fields)
        except ImportRefused as exc:
            result.errors, result.refused = [str(exc)], True
            items = []
        if not result.errors:
            try:
                result.task = self.save_import(items, filename, started)
                result.created = len(items)
                return result
            except ImportRefused as exc:
                result.errors, result.refused = [str(exc)], True
        result.task = self.record_import_task(filename, started, result.errors)
        return result

    def read_import_file(self, filename, stream):
        """[(row number, cells)] of the non-blank rows; the first is the header."""
        lowered = filename.lower()
        if lowered.endswith(".xls"):
            raise ImportRefused(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传"))
        if not lowered.endswith(IMPORT_EXTENSIONS):
            raise ImportRefused(_("文件类型不支持：只能上传 .xlsx 或 .csv 文件"))
        limit = _max_upload_bytes()
        data = stream.read(limit + 1)
        if not data:
            raise ImportRefused(_("文件是空的，请填写数据后再上传"))
        if len(data) > limit:
            raise ImportRefused(_("文件太大：不能超过 %(mb)s MB，请拆分成多个文件后分批导入",
                                  mb=f"{limit / (1024 * 1024):g}"))
        try:
            raw_rows = read_rows(filename, data)
        except SheetReadError as exc:
            raise ImportRefused(_("文件无法读取：%(reason)s", reason=str(exc))) from None
        except Exception:  # a damaged file the reader chokes on
            log.info("unreadable import file %r", filename, exc_info=True)
            raise ImportRefused(_("文件无法读取，请使用下载的模板填写后再上传")) from None
        rows = [(number, cells) for number, cells in enumerate(raw_rows, start=1)
                if any(cell != "" for cell in cells)]
        if not rows:
            raise ImportRefused(_("文件是空的，请填写数据后再上传"))
        if len(rows) == 1:
            raise ImportRefused(_("文件中只有表头，没有数据行"))
        max_rows = self.import_max_rows()
        if len(rows) - 1 > max_rows:
            raise ImportRefused(_("数据行数过多：本文件有 %(n)d 行，一次最多导入 %(max)d 行，"
                                  "请拆分成多个文件后分批导入", n=len(rows) - 1, max=max_rows))
        return rows

    def match_import_header(self, header, fields):
        """{cell index: ImportField} from the header row; refuses missing required columns
        and columns given twice. Returns (mapping, ignored header texts)."""
        by_key = {}
        for spec in fields:
            for alias in spec.aliases:
                by_key.setdefault(alias, spec)
        columns, seen, ignored, duplicated = {}, {}, [], []
        for index, text in enumerate(header):
            if not text:
                continue
            spec = by_key.get(_header_key(text))
            if spec is None:
                ignored.append(text[:30])
            elif spec.name in seen:
                duplicated.append(spec.label)
            else:
                seen[spec.name] = index
                columns[index] = spec
        if duplicated:
            raise ImportRefused(_("表头中有重复的列：%(cols)s", cols=_("、").join(duplicated)))
        missing = [spec.label for spec in fields if spec.required and spec.name not in seen]
        if missing:
            raise ImportRefused(_("缺少必填列：%(cols)s。请使用下载的模板，第 1 行表头不要修改",
                                  cols=_("、").join(missing)))
        if not columns:
            raise ImportRefused(_("第 1 行表头无法识别，请使用下载的模板"))
        return columns, ignored

    def validate_import_rows(self, rows, columns, fields):
        """(items, errors): one ``make_import_item`` per row, or the Chinese errors."""
        labels = {spec.name: spec.label for spec in fields}
        present = {spec.name for spec in columns.values()}
        absent = [spec for spec in fields if spec.name not in present]
        items, errors = [], []
        for number, cells in rows:
            values, row_errors = {}, []
            for index, spec in columns.items():
                raw = cells[index] if index < len(cells) else ""
                try:
                    values[spec.name] = parse_cell(spec, raw)
                except CellError as exc:
                    row_errors.append(_row_error(number, spec.label, str(exc)))
            for spec in absent:
                values[spec.name] = None
            if not row_errors:
                for problem in self.validate_import_row(values, number) or []:
                    if isinstance(problem, (tuple, list)):
                        column, reason = problem
                        row_errors.append(_row_error(number, labels.get(column, column),
                                                     reason))
                    else:
                        row_errors.append(_("第 %(row)d 行：%(reason)s", row=number,
                                            reason=problem))
            if not row_errors:
                item = self.make_import_item(values)
                try:
                    self.import_pre_add(item)
                except BusinessError as exc:
                    row_errors.append(_("第 %(row)d 行：%(reason)s", row=number,
                                        reason=str(exc)))
                else:
                    if isinstance(item, TenantMixin) and item.merchant_id is None:
                        raise ImportRefused(_("无法确定数据所属的商家，请用商家账号导入"))
                    items.append(item)
            errors.extend(row_errors)
        return items, errors

    def save_import(self, items, filename, started):
        """Insert every row and the done Task in one transaction, or nothing."""
        session = self.datamodel.session
        try:
            with audit_action(_("导入")):
                session.add_all(items)
                session.flush()
                task = self._import_task(filename, started, "done", created=len(items))
                if g.get("import_job"):
                    task = None  # the job's own task records the outcome
                else:
                    session.add(task)
                session.commit()
        except TenantIsolationError as exc:
            session.rollback()
            raise ImportRefused(_("保存失败：%(reason)s", reason=str(exc))) from None
        except IntegrityError:
            session.rollback()
            log.info("import integrity error", exc_info=True)
            raise ImportRefused(_("保存失败：数据与已有数据重复或冲突，未写入任何数据")) from None
        except SQLAlchemyError:
            session.rollback()
            log.exception("import failed")
            raise ImportRefused(_("保存失败，未写入任何数据，请检查数据后重试")) from None
        return task

    def _import_task(self, filename, started, status, created=0, errors=None):
        from app.models.task import Task

        user = g.user
        title = f"{self.import_title()}（{filename}）"[:100]
        error_text = None
        if errors:
            head = _("导入失败，未写入任何数据。共 %(n)d 处错误：", n=len(errors))
            lines, size = [str(head)], len(head)
            for number, line in enumerate(errors):
                if size + len(line) + 1 > TASK_ERROR_MAX_CHARS:
                    lines.append(str(_("……另有 %(n)d 处错误未列出", n=len(errors) - number)))
                    break
                lines.append(line)
                size += len(line) + 1
            error_text = "\n".join(lines)
        return Task(user_id=user.id, merchant_id=user.merchant_id, kind="import",
                    title=title, status=status, progress=100 if status == "done" else 0,
                    started_at=started, finished_at=_now(), error=error_text,
                    payload=json.dumps({"view": type(self).__name__, "file": filename,
                                        "created": created,
                                        "errors": len(errors or [])}, ensure_ascii=False))

    def queue_import(self, filename, raw):
        """Keep the upload beside the task results and queue ``run_task`` for it."""
        import uuid

        from app.models.task import Task
        from app.workers.queue import enqueue
        from app.workers.tasks import run_task

        folder = current_app.config["TASK_RESULT_FOLDER"]
        os.makedirs(folder, exist_ok=True)
        extension = os.path.splitext(filename)[1].lower()
        path = os.path.join(folder, f"import_{uuid.uuid4().hex}{extension}")
        with open(path, "wb") as fh:
            fh.write(raw)
        user = g.user
        task = Task(user_id=user.id, merchant_id=user.merchant_id, kind="import",
                    title=f"{self.import_title()}（{filename}）"[:100], status="pending",
                    payload=json.dumps({"view": type(self).__name__, "file": filename,
                                        "path": path, "options": g.get("import_options") or {}},
                                       ensure_ascii=False))
        session = self.datamodel.session
        session.add(task)
        session.commit()
        task_id = task.id
        enqueue(run_task, task_id)
        return session.get(Task, task_id)

    def record_import_task(self, filename, started, errors):
        """The failed Task, in its own transaction (nothing else is pending)."""
        session = self.datamodel.session
        session.rollback()
        if g.get("import_job"):
            task = self._import_task(filename, started, "failed", errors=errors)
            raise ImportJobFailed(task.error)
        task = self._import_task(filename, started, "failed", errors=errors)
        session.add(task)
        session.commit()
        return task


def _now():
    from app.models.base import china_now

    return china_now()


# -- imports as task-center jobs ----------------------------------------------------------
def run_import_job(task, user, payload):
    """Task handler "import": the same validation and all-or-nothing save, as the user."""
    from flask_login import login_user

    from app.workers.tasks import _find_view

    view = _find_view(payload["view"])
    path = payload["path"]
    try:
        with current_app.test_request_context("/"):
            login_user(user)
            g.user, g.import_job = user, True
            g.import_options = payload.get("options") or {}
            with open(path, "rb") as fh:
                result = view.run_import(payload["file"], fh)
    finally:
        if os.path.exists(path):
            os.remove(path)
    if not result.ok:
        raise ImportJobFailed("\n".join(result.errors))
    return None, "", result.created


def _register_job_handler():
    from app.workers import tasks

    tasks.HANDLERS.setdefault("import", run_import_job)


_register_job_handler()
