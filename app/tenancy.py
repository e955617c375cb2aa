"""Tenant isolation at the ORM level: the first of three layers (ARCHITECTURE.md).

Every SELECT touching a tenant table gets ``merchant_id = <current>`` through
``with_loader_criteria``; every flush stamps new rows and refuses writes, deletes and
references that cross tenants. Who "current" is:

* inside ``tenant_scope(mid)`` / ``platform_scope()``: what the block says (jobs, CLI, API);
* in a request with a logged-in user: the user's merchant (None = platform admin = all);
* anywhere else: nothing is visible. "No user" never means "no filter".
"""
from contextlib import contextmanager
from contextvars import ContextVar

from flask import g, has_request_context
from flask_appbuilder import Model
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Integer, event, inspect as sa_inspect, select
from sqlalchemy.orm import Session, declared_attr, with_loader_criteria
from sqlalchemy.sql.util import find_tables

PLATFORM = "platform"
_NOBODY = -1  # matches no row: merchant ids are positive
_scope = ContextVar("merchantdesk_tenant_scope", default=None)


class TenantIsolationError(PermissionError):
    """A write or reference crossed tenants. Raised at flush; nothing is written."""


class TenantScoped:
    """Every table whose rows belong to a merchant. The guard's criteria are written
    against this class, so it declares ``merchant_id`` itself."""

    __tenant_nullable__ = False

    @declared_attr
    def merchant_id(cls):
        return Column(Integer, ForeignKey("merchant.id"), nullable=cls.__tenant_nullable__,
                      index=True, info={"label": _l("商家")})


class TenantMixin(TenantScoped):
    """Merchant-owned table: ``merchant_id`` is indexed and never null."""


class OptionalTenantMixin(TenantScoped):
    """Rows that belong to a merchant or, with NULL, to the platform (audit log, tasks).
    Merchants see only their own rows; NULL rows are visible to the platform admin only."""

    __tenant_nullable__ = True


@contextmanager
def tenant_scope(merchant_id):
    """Run a block as merchant ``merchant_id`` (jobs, public API, CLI)."""
    token = _scope.set(int(merchant_id))
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def platform_scope():
    """Run a block with every tenant visible. Explicit, never implied."""
    token = _scope.set(PLATFORM)
    try:
        yield
    finally:
        _scope.reset(token)


def _request_user():
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    try:
        if user is not None and user.is_authenticated:
            return user
    except Exception:  # detached or anonymous proxies
        return None
    return None


def current_merchant_id():
    """The merchant the current code acts for: an int, or None for the platform (all)."""
    scope = _scope.get()
    if scope == PLATFORM:
        return None
    if scope is not None:
        return scope
    user = _request_user()
    if user is None:
        return _NOBODY
    return user.merchant_id


def is_platform():
    return current_merchant_id() is None


_tenant_tables = [0, frozenset()]  # number of mappers seen, tables of tenant models


def _tables_of_tenant_models():
    """The tables of every TenantScoped model (one declarative base: FAB's Model, see
    app/extensions.py), recomputed only when models were added."""
    mappers = Model.registry.mappers
    if _tenant_tables[0] != len(mappers):
        _tenant_tables[:] = [len(mappers), frozenset(
            table for m in mappers if issubclass(m.class_, TenantScoped) for table in m.tables)]
    return _tenant_tables[1]


def _selects_from_tenant_table(statement):
    """``select(func.count()).select_from(Model)`` or ``select(func.count()).where(Model.x
    == 1)`` names no entity column, so its mapper is not in ``all_mappers``; its tables still
    appear in the expression. find_tables walks the expression (microseconds); the previous
    ``get_final_froms`` compiled the statement, about 2 ms for each of the four security
    queries every page runs."""
    tenant_tables = _tables_of_tenant_models()
    return any(table in tenant_tables for table in find_tables(
        statement, include_joins=True, include_aliases=True))


@event.listens_for(Session, "do_orm_execute")
def _tenant_criteria(state):
    if not state.is_select or state.execution_options.get("skip_tenant"):
        return
    # Checking the mappers first also avoids recursion while the user row loads.
    if not (any(issubclass(m.class_, TenantScoped) for m in state.all_mappers)
            or _selects_from_tenant_table(state.statement)):
        return
    tenant = current_merchant_id()
    if tenant is None:
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped, lambda cls: cls.merchant_id == tenant, include_aliases=True
        )
    )


def _tenant_of(session, target_cls, pk):
    """The merchant of the row ``pk`` of ``target_cls``: from the session when it holds that
    row already (a red-packet draw's insert referenced three rows the request had just
    read, one query each), else from the database."""
    if pk is None:
        return None
    loaded = session.identity_map.get(
        sa_inspect(target_cls).identity_key_from_primary_key([pk]))
    if loaded is not None and "merchant_id" in loaded.__dict__:
        return loaded.merchant_id
    return session.execute(
        select(target_cls.merchant_id).where(
            sa_inspect(target_cls).primary_key[0] == pk
        ).execution_options(skip_tenant=True)
    ).scalar()


def _check_references(session, obj, tenant):
    mapper = sa_inspect(obj).mapper
    for rel in mapper.relationships:
        if rel.direction.name != "MANYTOONE" or not issubclass(rel.mapper.class_, TenantScoped):
            continue
        target = getattr(obj, rel.key, None) if rel.key in obj.__dict__ else None
        if target is not None:
            owner = target.merchant_id
        else:
            fk_cols = [c for c in rel.local_columns]
            if len(fk_cols) != 1:
                continue
            fk_attr = mapper.get_property_by_column(fk_cols[0]).key
            owner = _tenant_of(session, rel.mapper.class_, getattr(obj, fk_attr, None))
        if owner is not None and owner != tenant:
            raise TenantIsolationError(
                _("%(field)s 引用了其他商家的数据", field=f"{type(obj).__name__}.{rel.key}")
            )


@event.listens_for(Session, "before_flush")
def _tenant_guard(session, flush_context, instances):
    tenant = current_merchant_id()
    if tenant is None:  # platform: may write anywhere
        return
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.merchant_id is None and tenant != _NOBODY:
            obj.merchant_id = tenant
        if obj.merchant_id != tenant:
            raise TenantIsolationError(_("不能为其他商家创建%(model)s",
                                               model=type(obj).__name__))
        _check_references(session, obj, tenant)
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantScoped):
            continue
        history = sa_inspect(obj).attrs.merchant_id.history
        original = history.deleted[0] if history.deleted else obj.merchant_id
        if original != tenant or obj.merchant_id != tenant:
            raise TenantIsolationError(_("不能修改其他商家的%(model)s",
                                               model=type(obj).__name__))
        if obj in session.dirty:
            _check_references(session, obj, tenant)
