"""The low-code base: declare a model and a view, get a safe Chinese admin.

``AdminModelView`` gives every view, without per-view code: Chinese titles and labels from
the model, choice/money/bool formatting, a capped list count, clamped paging, tolerant sort
and filter arguments, per-request filter state (FAB #2366), Excel export of the current
list, a paginated related-field endpoint, pk-checked actions and downloads, and forms that
keep their input when a save fails. ``TenantModelView`` adds tenant isolation (layer 2 of
3) and the optional staff data scope; ``PlatformModelView`` is for the platform admin.
"""
import json
import logging
import os
import re
from urllib.parse import unquote_plus
from datetime import date

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Boolean, Integer, inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError, StatementError
from werkzeug.utils import safe_join
from wtforms import BooleanField, SelectField
from wtforms.validators import InputRequired, Optional as OptionalValidator

from app.admin import uploads
from app.admin.audit import audit_action, record_event
from app.admin.fields import bind_related_urls
from app.admin.interface import FilterCurrentTenant, FilterOwnRows
from app.admin.safe_args import get_filter_args
from app.admin.labels import (choice_text, choices_of, column_info, column_label,
                              display_value, is_secret, mask_secret, model_label)
from app.security import permitted_action
from app.services.errors import BusinessError
from app.tenancy import TenantScoped

log = logging.getLogger(__name__)

_HIDDEN_FORM_COLUMNS = {"merchant", "merchant_id", "created_at"}


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_xlsx(source, filename):
    """Send an xlsx with its Chinese name (RFC 5987) and a readable ASCII fallback for
    clients that ignore ``filename*``."""
    from urllib.parse import quote

    response = send_file(source, as_attachment=True, download_name=filename,
                         mimetype=XLSX_MIMETYPE)
    fallback = "export_" + "".join(ch for ch in filename if ch.isdigit())[-8:] + ".xlsx"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}")
    return response


class AdminListWidget(ListWidget):
    template = "admin/list.html"


class AdminModelView(ModelView):
    """Base of every ModelView in the app (a start-up check enforces it)."""

    list_template = "admin/model_list.html"
    # In the merchant role editor? Platform-only views say False.
    merchant_facing = True
    # Columns of the Excel export; defaults to list_columns.
    export_columns = None
    # Staff data scope: "own" limits staff (not owners) to rows whose
    # ``data_scope_column`` is their user id.
    data_scope = None
    data_scope_column = None
    list_widget = AdminListWidget
    page_size = 25

    # -- declarations -> FAB properties ----------------------------------------------
    _PER_INSTANCE = ("label_columns", "formatters_columns", "description_columns",
                     "validators_columns", "add_form_extra_fields", "edit_form_extra_fields",
                     "add_form_query_rel_fields", "edit_form_query_rel_fields",
                     "search_form_query_rel_fields")

    def _init_properties(self):
        # FAB fills these dicts in place; copy them so the class declarations stay as
        # written (several apps per process in tests, and a clear "declared" set here).
        declared = dict(getattr(type(self), "label_columns", None) or {})
        for attr in self._PER_INSTANCE:
            setattr(self, attr, dict(getattr(type(self), attr, None) or {}))
        model = self.datamodel.obj
        cols = [c.key for c in sa_inspect(model).column_attrs]
        rels = [r.key for r in sa_inspect(model).relationships]
        self.add_exclude_columns = list(self.add_exclude_columns or []) + list(
            _HIDDEN_FORM_COLUMNS)
        self.edit_exclude_columns = list(self.edit_exclude_columns or []) + list(
            _HIDDEN_FORM_COLUMNS)
        self.show_exclude_columns = list(self.show_exclude_columns or []) + ["merchant"]
        self.search_exclude_columns = list(self.search_exclude_columns or []) + [
            "merchant", "merchant_id"]
        if self.base_order is None:
            self.base_order = ("created_at", "desc") if "created_at" in cols else ("id", "desc")
        self.base_filters = list(self.base_filters or []) + self.scope_filters()
        super()._init_properties()
        # Only real columns sort; computed properties (a QR link, a diff) do not.
        self.order_columns = [c for c in self.order_columns if c in cols or "." in c]
        for name in cols + rels:
            if name not in declared:
                self.label_columns[name] = column_label(model, name)
            info = column_info(model, name)
            if info.get("description") and name not in self.description_columns:
                self.description_columns[name] = info["description"]
        for name in set((self.list_columns or []) + (self.show_columns or [])
                        + (self.export_columns or [])):
            if name not in self.label_columns:
                self.label_columns[name] = column_label(model, name)
        self._init_formatters(model, cols)
        self._init_choice_fields(model)
        self._init_boolean_fields(model)
        self._init_image_fields(model)
        self._init_related_filters(model)
        self.export_columns = list(self.export_columns or self.list_columns)
        self.datamodel.eager_load(self.list_columns + self.export_columns)

    def scope_filters(self):
        filters = []
        if self.data_scope == "own":
            if not self.data_scope_column:
                raise TypeError(f"{type(self).__name__}: data_scope 'own' needs data_scope_column")
            filters.append([self.data_scope_column, FilterOwnRows, None])
        return filters

    def _init_formatters(self, model, cols):
        for name in cols:
            if name in self.formatters_columns:
                continue
            choices = choices_of(model, name)
            if choices:
                self.formatters_columns[name] = (lambda c: lambda v: choice_text(c, v))(choices)
            elif is_secret(model, name):
                self.formatters_columns[name] = mask_secret
            else:
                self.formatters_columns[name] = display_value

    def _init_choice_fields(self, model):
        for name in set(self.add_columns or []) | set(self.edit_columns or []):
            choices = choices_of(model, name)
            if not choices:
                continue
            column = sa_inspect(model).columns[name]
            validators = [OptionalValidator()] if column.nullable else [
                InputRequired(_l("请选择%(label)s", label=column_label(model, name)))]
            field = SelectField(column_label(model, name), choices=choices,
                                validators=validators, default=column.default.arg
                                if column.default is not None else None,
                                description=column.info.get("description", ""))
            self.add_form_extra_fields.setdefault(name, field)
            self.edit_form_extra_fields.setdefault(name, field)

    def _init_boolean_fields(self, model):
        # FAB makes a NOT NULL Boolean column's checkbox required, so "unticked" (False)
        # could never be saved; a checkbox is always a complete answer.
        columns = sa_inspect(model).columns
        for name in set(self.add_columns or []) | set(self.edit_columns or []):
            column = columns.get(name)
            if column is None or not isinstance(column.type, Boolean):
                continue
            default = column.default.arg if column.default is not None else False
            default = False if callable(default) else bool(default)
            field = BooleanField(column_label(model, name), default=default,
                                 description=column.info.get("description", ""))
            self.add_form_extra_fields.setdefault(name, field)
            self.edit_form_extra_fields.setdefault(name, field)

    def image_columns(self):
        model = self.datamodel.obj
        return [c.key for c in sa_inspect(model).column_attrs
                if column_info(model, c.key).get("image")]

    def _init_image_fields(self, model):
        if self.file_columns() and "can_download" not in self.base_permissions:
            # Showing an uploaded image goes through the checked download route.
            self.base_permissions = list(self.base_permissions) + ["can_download"]
        for name in self.image_columns():
            if name in (self.add_columns or []) or name in (self.edit_columns or []):
                field = uploads.image_field(column_label(model, name))
                self.add_form_extra_fields.setdefault(name, field)
                self.edit_form_extra_fields.setdefault(name, field)
            declared = getattr(type(self), "formatters_columns", None) or {}
            if name not in declared:
                self.formatters_columns[name] = uploads.thumbnail(type(self).__name__)

    def _init_related_filters(self, model):
        """Related dropdowns list only the current merchant's rows (notes/fab.md)."""
        for rel in sa_inspect(model).relationships:
            if not issubclass(rel.mapper.class_, TenantScoped):
                continue
            tenant_filter = [["merchant_id", FilterCurrentTenant, None]]
            for attr in ("add_form_query_rel_fields", "edit_form_query_rel_fields",
                         "search_form_query_rel_fields"):
                fields = dict(getattr(self, attr) or {})
                fields.setdefault(rel.key, tenant_filter)
                setattr(self, attr, fields)

    def _init_titles(self):
        name = model_label(self.datamodel.obj)
        self.list_title = self.list_title or _l("%(name)s列表", name=name)
        self.add_title = self.add_title or _l("新增%(name)s", name=name)
        self.edit_title = self.edit_title or _l("编辑%(name)s", name=name)
        self.show_title = self.show_title or _l("%(name)s详情", name=name)
        self.title = self.list_title

    # -- list --------------------------------------------------------------------------
    def request_filters(self):
        """A Filters object for this request only: FAB mutates ``self._filters`` in place,
        which leaks one request's search into another under threads (FAB #2366)."""
        filters = self.datamodel.get_filters(self.search_columns)
        get_filter_args(filters)
        return filters

    def request_order(self):
        order = {}
        name = self.__class__.__name__
        column = request.args.get(f"_oc_{name}")
        direction = request.args.get(f"_od_{name}")
        if column in (self.order_columns or []) and direction in ("asc", "desc"):
            order = {"order_column": column, "order_direction": direction}
        return order

    def request_paging(self):
        name = self.__class__.__name__
        limit = current_app.config.get("LIST_MAX_PAGE_SIZE", 100)

        def _int(arg, default):
            try:
                return int(request.args.get(arg, default))
            except (TypeError, ValueError):
                return default

        page = max(_int(f"page_{name}", 0), 0)
        size = min(max(_int(f"psize_{name}", self.page_size), 1), limit)
        return page, size

    def _list(self, **kwargs):
        filters = self.request_filters()
        page, page_size = self.request_paging()
        order = self.request_order()
        self.datamodel.count_cap = current_app.config.get("LIST_COUNT_CAP", 10000)
        widgets = self._get_list_widget(
            filters=filters,
            order_column=order.get("order_column", ""),
            order_direction=order.get("order_direction", ""),
            page=page, page_size=page_size,
            count_cap=self.datamodel.count_cap,
            export_url=self.export_url(),
            import_url=self.import_url(),
            **kwargs,
        )
        form = self.search_form.refresh()
        self.update_redirect()
        return self._get_search_widget(form=form, widgets=widgets, filters=filters)

    def _get_search_widget(self, form=None, exclude_cols=None, widgets=None, filters=None):
        widgets = widgets or {}
        widgets["search"] = self.search_widget(
            route_base=self.route_base, form=form, include_cols=self.search_columns,
            exclude_cols=exclude_cols or [], filters=filters or self.request_filters())
        return widgets

    @expose("/list/")
    @has_access
    def list(self):
        try:
            widgets = self._list()
        except (StatementError, SQLAlchemyError, ValueError) as exc:
            # A filter value the database cannot compare (a date like "abc"...).
            self.datamodel.session.rollback()
            log.info("bad list arguments: %s", exc)
            flash(_("筛选条件无效，请检查后重试"), "warning")
            return redirect(url_for(f"{self.endpoint}.list")), 302
        search_open = any(key.startswith("_flt_") for key in request.args)
        return self.render_template(self.list_template, title=self.list_title,
                                    widgets=widgets, search_open=search_open)

    def export_url(self):
        if not self.appbuilder.sm.has_access("can_export", self.class_permission_name):
            return None
        return url_for(f"{self.endpoint}.export", **request.args)

    def import_url(self):
        return None

    # -- pks, show, edit, delete -----------------------------------------------------
    def _deserialize_pk_if_composite(self, pk):
        """An id that cannot be this model's pk is simply "not found"."""
        pk_col = sa_inspect(self.datamodel.obj).primary_key[0]
        if isinstance(pk_col.type, Integer):
            if not re.fullmatch(r"\d{1,18}", str(pk)):
                abort(404)
            return int(pk)
        return super()._deserialize_pk_if_composite(pk)

    def get_visible(self, pk):
        """The row with this pk if the current user may see it, else 404."""
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    def _add(self):
        form = self.add_form.refresh()
        bind_related_urls(form, self)
        self.form_ready(form)
        if request.method == "POST" and form.validate():
            self.process_form(form, True)
            item = self.datamodel.obj()
            try:
                uploads.store_uploads(form, self.image_columns())
                form.populate_obj(item)
                self.pre_add(item)
                self.datamodel.add(item)
                self.post_add(item)
            except BusinessError as exc:
                flash(str(exc), "danger")
            else:
                flash(_("添加成功"), "success")
                return None
        elif request.method == "POST":
            flash(_("请检查表单中标红的内容"), "danger")
        return self._get_add_widget(form=form)

    def form_ready(self, form, item=None):
        """Hook: set per-request choices on a fresh add or edit form."""

    def _edit(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        pk = self.datamodel.get_pk_value(item)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            form._id = pk
            bind_related_urls(form, self)
            self.form_ready(form, item)
            if form.validate():
                self.process_form(form, False)
                try:
                    uploads.store_uploads(form, self.image_columns())
                    form.populate_obj(item)
                    self.pre_update(item)
                    self.datamodel.edit(item)
                    self.post_update(item)
                except BusinessError as exc:
                    flash(str(exc), "danger")
                else:
                    flash(_("保存成功"), "success")
                    return None
            else:
                flash(_("请检查表单中标红的内容"), "danger")
        else:
            form = self.edit_form.refresh(obj=item)
            bind_related_urls(form, self)
            self.form_ready(form, item)
            self.prefill_form(form, pk)
        widgets = self._get_edit_widget(form=form)
        return self._get_related_views_widgets(item, filters={}, orders={}, pages={},
                                               page_sizes={}, widgets=widgets)

    def _delete(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        try:
            self.pre_delete(item)
            self.datamodel.delete(item)
            self.post_delete(item)
        except BusinessError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("删除成功"), "success")
        self.update_redirect()

    # -- actions: rows re-checked against the base filters ---------------------------
    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        action = permitted_action(self, name)
        item = self.get_visible(pk)
        with audit_action(action.text):
            return action.func(item)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        action = permitted_action(self, request.form.get("action", ""))
        pks = request.form.getlist("rowid")
        if not pks:
            flash(_("请先勾选要操作的数据"), "warning")
            return redirect(self.get_redirect())
        items = [self.get_visible(pk) for pk in pks]
        with audit_action(action.text):
            return action.func(items)

    # -- downloads: only files referenced by a visible row ---------------------------
    def file_columns(self):
        model = self.datamodel.obj
        return [c.key for c in sa_inspect(model).column_attrs
                if column_info(model, c.key).get("image") or column_info(model, c.key).get("file")]

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        model = self.datamodel.obj
        columns = self.file_columns()
        if not columns or "/" in filename or "\\" in filename:
            abort(404)
        query = self.datamodel.session.query(model)
        query = self._base_filters.apply_all(query)
        from sqlalchemy import or_

        if query.filter(or_(*[getattr(model, c) == filename for c in columns])).first() is None:
            abort(404)
        path = safe_join(current_app.config["UPLOAD_FOLDER"], filename)
        if path is None or not os.path.isfile(path):
            abort(404)
        # Images were verified by Pillow on upload: shown inline; other files download.
        inline = os.path.splitext(filename)[1].lower() in uploads.IMAGE_EXTENSIONS
        return send_file(path, as_attachment=not inline, download_name=filename)

    # -- Excel export ----------------------------------------------------------------
    def export_query(self):
        """The current list query: same filters, search and sort, every page."""
        filters = self.request_filters()
        joined = filters.get_joined_filters(self._base_filters)
        order = self.request_order()
        column, direction = order.get("order_column"), order.get("order_direction")
        if not column and self.base_order:
            column, direction = self.base_order
        query = self.datamodel.session.query(self.datamodel.obj)
        return self.datamodel.apply_all(query, joined, column or "", direction or "")

    def export_headers(self):
        return [str(self.label_columns.get(c) or column_label(self.datamodel.obj, c))
                for c in self.export_columns]

    def export_value(self, item, column):
        model = self.datamodel.obj
        value = item
        for part in column.split("."):
            value = getattr(value, part, None) if value is not None else None
            if callable(value):
                value = value()
        if "." not in column:
            choices = choices_of(model, column)
            if choices:
                return choice_text(choices, value)
            if is_secret(model, column):
                return mask_secret(value)
        if value is None or isinstance(value, (str, int, float, date)) or hasattr(
                value, "quantize"):
            return value
        formatter = self.formatters_columns.get(column)
        if formatter is not None:
            return str(formatter(value))
        if isinstance(value, (list, tuple, set)):
            return "、".join(str(v) for v in value)
        return str(value)

    def export_filename(self):
        from app.models.base import china_now  # merchants' date, not the server's (UTC)

        today = china_now().strftime("%Y%m%d")
        return f"{self.list_title}_{today}.xlsx"

    def write_export(self, target, progress=None):
        """Stream the current list into an xlsx file or stream; returns the row count."""
        from app.admin.xlsx import XlsxWriter

        writer = XlsxWriter(target, self.export_headers(), sheet_name=str(self.list_title))
        count = 0
        for item in self.export_query().yield_per(1000):
            writer.write_row([self.export_value(item, c) for c in self.export_columns])
            count += 1
            if progress and count % 1000 == 0:
                progress(count)
        writer.close()
        return count

    @expose("/export/")
    @has_access
    def export(self):
        import io

        from app.workers.tasks import submit_export

        limit = current_app.config["EXPORT_SYNC_LIMIT"]
        try:
            total = self.export_query().order_by(None).limit(limit + 1).count()
        except (StatementError, SQLAlchemyError, ValueError):
            self.datamodel.session.rollback()
            flash(_("筛选条件无效，请检查后重试"), "warning")
            return redirect(url_for(f"{self.endpoint}.list"))
        if total > limit:
            task = submit_export(self, dict(request.args.lists()))
            flash(_("数据超过 %(n)d 条，已提交到任务中心后台导出（任务 #%(id)d），完成后可在任务中心下载",
                    n=limit, id=task.id), "info")
            return redirect(url_for("TaskView.list"))
        stream = io.BytesIO()
        count = self.write_export(stream)
        stream.seek(0)
        record_event(entity=self.datamodel.obj.__name__, action=_("导出Excel"),
                     detail={_("行数"): count,
                             _("筛选条件"): unquote_plus(request.query_string.decode())[:500] or _("全部")})
        return send_xlsx(stream, self.export_filename())

    # -- related fields for large tables (select2 AJAX) ------------------------------
    @expose("/related/<column>")
    @has_access
    @permission_name("list")
    def related(self, column):
        """Paginated, tenant-filtered options for a relation field: ?q=&page=."""
        model = self.datamodel.obj
        rel = sa_inspect(model).relationships.get(column)
        form_cols = set(self.add_columns or []) | set(self.edit_columns or []) | set(
            self.search_columns or [])
        if rel is None or column not in form_cols:
            abort(404)
        target = rel.mapper.class_
        # The same options the form offers: a declared field's own query, else the
        # relation filtered by the view's *_query_rel_fields (tenant filter included).
        unbound = self.edit_form_extra_fields.get(column) or self.add_form_extra_fields.get(
            column)
        field_kwargs = getattr(unbound, "kwargs", {}) if unbound is not None else {}
        get_label = field_kwargs.get("get_label") or str
        if "query_func" in field_kwargs:
            query = field_kwargs["query_func"]()
        else:
            rel_filters = (self.edit_form_query_rel_fields.get(column)
                           or self.add_form_query_rel_fields.get(column) or [])
            related = self.datamodel.get_related_interface(column)
            filters = related.get_filters().add_filter_list(rel_filters)
            query = filters.apply_all(self.datamodel.session.query(target))
        term = (request.args.get("q") or "").strip()[:50]
        label_col = getattr(target, "__search_column__", None) or next(
            (getattr(target, n) for n in ("name", "nickname", "label", "title")
             if hasattr(target, n)), None)
        if term and label_col is not None:
            query = query.filter(label_col.startswith(term, autoescape=True))
        try:
            page = max(int(request.args.get("page", 1)), 1)
        except ValueError:
            page = 1
        size = 20
        pk = sa_inspect(target).primary_key[0]
        rows = query.order_by(pk).offset((page - 1) * size).limit(size + 1).all()
        more = len(rows) > size
        results = [{"id": sa_inspect(r).identity[0], "text": str(get_label(r))}
                   for r in rows[:size]]
        return jsonify(results=results, pagination={"more": more})


class TenantModelView(AdminModelView):
    """Every view of a merchant-owned model: tenant isolation comes with the base."""

    def scope_filters(self):
        return [["merchant_id", FilterCurrentTenant, None]] + super().scope_filters()

    def pre_add(self, item):
        from app.tenancy import current_merchant_id

        tenant = current_merchant_id()
        if tenant is not None:
            item.merchant_id = tenant

    def pre_update(self, item):
        from app.tenancy import current_merchant_id

        tenant = current_merchant_id()
        if tenant is not None and item.merchant_id != tenant:
            abort(404)


class PlatformModelView(AdminModelView):
    """Views only the platform admin uses (merchants, platform settings)."""

    merchant_facing = False


def summarize_changes(entry, model=None):
    """Audit-log diff as readable text: 商城名称: 旧 → 新；... (other details as key: value)."""
    try:
        changes = json.loads(entry.changes or "{}")
    except ValueError:
        return entry.changes or ""
    parts = []
    for key, value in changes.items():
        name = str(column_label(model, key)) if model is not None else key
        if isinstance(value, list) and len(value) == 2:
            before, after = ("—" if v is None else v for v in value)
            parts.append(f"{name}: {before} → {after}")
        else:
            parts.append(f"{name}: {value}")
    return "；".join(parts)
