"""Shared pieces of the member module's views (members, points, stored value,
distribution): list filters an index can serve, and one-row settings forms."""
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (FilterEqual, FilterGreater,
                                                  FilterRelationManyToManyEqual,
                                                  FilterRelationOneToManyEqual, FilterSmaller,
                                                  SQLAFilterConverter, get_field_setup_query)
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Boolean, Integer, Numeric, inspect as sa_inspect

from app.admin.interface import AdminInterface
from app.admin.labels import choices_of, column_label
from app.extensions import db
from app.tenancy import current_merchant_id


# -- filters an index can serve ---------------------------------------------------------
def prefix_upper_bound(value):
    """The smallest string above every string that starts with ``value`` ("abc" -> "abd"),
    or None when the last character has no successor we can write."""
    code = ord(value[-1]) + 1
    if code > 0x10FFFF or 0xD800 <= code < 0xE000:
        return None
    return value[:-1] + chr(code)


class FilterPrefix(BaseFilter):
    """开头是: ``column >= 'x' AND column < 'y' AND column LIKE 'x%'``. The range is what a
    (merchant_id, column) btree index serves on every database: SQLite's LIKE is
    case-insensitive and PostgreSQL's needs a C collation or a pattern operator class, so
    neither uses an index for LIKE alone (bench/members.py measured 3-5x a table-scanning
    ILIKE). The LIKE keeps the meaning exact whatever the collation."""

    name = _l("开头是")
    arg_name = "sw"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        value = (value or "").strip()
        if not value:
            return query
        conditions = [field >= value, field.startswith(value, autoescape=True)]
        upper = prefix_upper_bound(value)
        if upper is not None:
            conditions.append(field < upper)
        return query.filter(*conditions)


def _typed(filter_class):
    """``filter_class`` with its value converted to the column's type first (PostgreSQL
    compares no numeric with text); a value that does not convert is a ValueError, which
    the list answers with "筛选条件无效"."""

    class Typed(filter_class):
        def apply(self, query, value):
            column = sa_inspect(self.model).columns.get(self.column_name)
            if column is not None and value not in (None, ""):
                try:
                    if isinstance(column.type, Integer):
                        value = int(str(value).strip())
                    elif isinstance(column.type, Numeric):
                        value = Decimal(str(value).strip())
                except (ValueError, InvalidOperation):
                    raise ValueError(f"bad number for {self.column_name}") from None
            return super().apply(query, value)

    Typed.__name__ = f"Typed{filter_class.__name__}"
    return Typed


TypedEqual, TypedGreater, TypedSmaller = (_typed(FilterEqual), _typed(FilterGreater),
                                          _typed(FilterSmaller))


class IndexedFilterConverter(SQLAFilterConverter):
    """Only equality, range and prefix filters: every member search works on 100,000 rows
    through the (merchant_id, column) indexes. Choice columns compare by equality."""

    conversion_table = (
        ("is_relation_many_to_one", [FilterRelationOneToManyEqual]),
        ("is_relation_many_to_many", [FilterRelationManyToManyEqual]),
        ("is_relation_one_to_many", [FilterRelationManyToManyEqual]),
        ("is_string", [FilterPrefix, FilterEqual]),
        ("is_integer", [TypedEqual, TypedGreater, TypedSmaller]),
        ("is_numeric", [TypedEqual, TypedGreater, TypedSmaller]),
        ("is_boolean", [FilterEqual]),
        ("is_datetime", [FilterGreater, FilterSmaller]),
        ("is_date", [FilterGreater, FilterSmaller, FilterEqual]),
    )

    def convert(self, col_name):
        if choices_of(self.datamodel.obj, col_name):
            return [FilterEqual(col_name, self.datamodel)]
        return super().convert(col_name)


class IndexedInterface(AdminInterface):
    filter_converter_class = IndexedFilterConverter


# -- one-row settings forms (积分规则, 储值卡设置, 分销规则) --------------------------------------
class RowSettingsView(BaseView):
    """A merchant's one-row settings as a form built from the model's labels and help
    texts. Subclasses declare ``model``, ``fields``, ``get_row(session, merchant_id)`` and
    optionally ``check(values)`` returning {field: Chinese message}."""

    default_view = "index"
    merchant_facing = True
    base_permissions = ["can_edit"]
    model = None
    fields = ()
    title = None
    intro = None

    def get_row(self, session, merchant_id):
        raise NotImplementedError

    def check(self, values):
        return {}

    def _specs(self):
        specs = []
        mapper = sa_inspect(self.model)
        for name in self.fields:
            column = mapper.columns[name]
            if isinstance(column.type, Boolean):
                kind = "bool"
            elif isinstance(column.type, Numeric):
                kind = "decimal"
            else:
                kind = "int"
            specs.append({"name": name, "kind": kind, "label": column_label(self.model, name),
                          "help": column.info.get("description")})
        return specs

    def _parse(self, specs):
        values, errors = {}, {}
        for spec in specs:
            name = spec["name"]
            raw = (request.form.get(name) or "").strip()[:30]
            if spec["kind"] == "bool":
                values[name] = bool(raw)
                continue
            values[name] = raw
            try:
                number = int(raw) if spec["kind"] == "int" else Decimal(raw)
                if spec["kind"] == "decimal" and (not number.is_finite() or
                                                  number != number.quantize(Decimal("0.01"))):
                    raise ValueError(raw)
            except (ValueError, InvalidOperation):
                errors[name] = _("请输入整数") if spec["kind"] == "int" else _(
                    "请输入数字，最多两位小数")
                continue
            values[name] = number
        if not errors:
            errors = {k: _(v) for k, v in self.check(values).items()}
        return values, errors

    @expose("/", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def index(self):
        merchant_id = current_merchant_id()
        if not merchant_id or merchant_id < 0:
            abort(403)  # the platform has no merchant settings
        row = self.get_row(db.session, merchant_id)
        specs = self._specs()
        errors = {}
        values = {spec["name"]: getattr(row, spec["name"]) for spec in specs}
        if request.method == "POST":
            values, errors = self._parse(specs)
            if errors:
                db.session.rollback()
                flash(_("请检查表单中标红的内容"), "danger")
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                db.session.commit()
                flash(_("保存成功"), "success")
                return redirect(url_for(f"{self.endpoint}.index"))
        else:
            db.session.commit()  # the row, if it was just created
        return self.render_template("member/settings.html", title=self.title,
                                    intro=self.intro, fields=specs, values=values,
                                    errors=errors)
