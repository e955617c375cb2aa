"""SQLAInterface with a capped count, friendly write errors and tenant/data-scope filters."""
import logging

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import get_field_setup_query
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload

from app.services.errors import BusinessError
from app.tenancy import TenantIsolationError, current_merchant_id

log = logging.getLogger(__name__)


class SaveError(BusinessError):
    """A write was refused by the database or the tenant guard."""


class FilterCurrentTenant(BaseFilter):
    """Base filter: rows of the current merchant (the platform admin sees all)."""

    name = _l("当前商家")

    def apply(self, query, value):
        tenant = current_merchant_id()
        if tenant is None:
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field == tenant)


class FilterOwnRows(BaseFilter):
    """Data scope "own": staff see only the rows they handled; owners and the platform
    admin see every row of their scope."""

    name = _l("本人经手")

    def apply(self, query, value):
        user = getattr(g, "user", None)
        if user is None or not user.is_authenticated:
            return query.filter(False)
        if user.merchant_id is None or user.is_owner:
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field == user.id)


class AdminInterface(SQLAInterface):
    count_cap = 10000
    # Relations shown in list or export columns. FAB loads them lazily, one query per row
    # (N+1, notes/fab.md); they are selectin-loaded instead: one query per relation and
    # page (or per yield_per batch of an export), whatever the page size.
    eager_relations = ()

    def eager_load(self, columns):
        """Declare the columns a view lists or exports; their relations load eagerly.
        Views of one model may share this interface, so declarations accumulate."""
        rels = sa_inspect(self.obj).relationships
        roots = {c.split(".", 1)[0] for c in columns or []}
        self.eager_relations = tuple(sorted(set(self.eager_relations) | (roots & set(rels.keys()))))

    def apply_all(self, query, filters=None, order_column="", order_direction="", page=None,
                  page_size=None, select_columns=None, outer_default_load=False):
        query = super().apply_all(query, filters, order_column, order_direction, page,
                                  page_size, select_columns, outer_default_load)
        if select_columns or not self.eager_relations:
            return query  # FAB's own select-column joins (REST) already load what they show
        return query.options(*(selectinload(getattr(self.obj, name))
                               for name in self.eager_relations))

    def query_count(self, query, filters=None, select_columns=None):
        """Count at most ``count_cap + 1`` rows: the list shows "10000+" beyond that. The
        capped subquery selects only the primary key: with every column SQLite read 10,001
        whole rows instead of an index (待发货 among 900,000 orders: 57 ms against 1 ms for
        the page itself, bench/orders.py)."""
        inner = self._apply_inner_all(query, filters, select_columns=select_columns,
                                      aliases_mapping={})
        keys = list(self.obj.__mapper__.primary_key)
        return inner.with_entities(*keys).order_by(None).limit(self.count_cap + 1).count()

    def _write(self, operation, item):
        try:
            operation(item, commit=True)
        except TenantIsolationError as exc:
            self.session.rollback()
            raise SaveError(str(exc)) from exc
        except IntegrityError as exc:
            self.session.rollback()
            log.info("integrity error: %s", exc)
            raise SaveError(_("保存失败：数据重复，或仍被其他数据引用")) from exc
        except SQLAlchemyError as exc:
            self.session.rollback()
            log.exception("database error")
            raise SaveError(_("保存失败，请检查输入后重试")) from exc
        except Exception as exc:  # e.g. DatabaseException wrapping the above
            self.session.rollback()
            cause = exc.__cause__
            if isinstance(cause, IntegrityError):
                raise SaveError(_("保存失败：数据重复，或仍被其他数据引用")) from exc
            if isinstance(cause, TenantIsolationError):
                raise SaveError(str(cause)) from exc
            raise

    def add(self, item, commit=True):
        self._write(super().add, item)

    def edit(self, item, commit=True):
        self._write(super().edit, item)

    def delete(self, item, commit=True):
        self._write(super().delete, item)
