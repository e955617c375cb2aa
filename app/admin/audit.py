"""操作日志, written by the session itself so no view can forget it.

``after_flush`` sees every new, changed and deleted row of an auditable model and inserts
one audit row each through the same connection, hence in the same transaction. Only
changes made by a known operator (a logged-in request) are logged; views name the
operation (an action's label) through ``audit_action()``.
"""
import json
from contextlib import contextmanager

from flask import g, has_request_context
from flask_babel import force_locale, gettext as _
from sqlalchemy import event, inspect as sa_inspect, insert
from sqlalchemy.orm import Session

from app.admin.labels import display_value, is_secret, mask_secret
from app.models.audit import AuditLog
from app.models.base import china_now
from app.models.merchant import Merchant, StaffUser
from app.tenancy import TenantScoped

_SKIP_COLUMNS = {"created_at", "changed_on", "created_on", "last_login", "login_count",
                 "fail_login_count"}


@contextmanager
def audit_action(name):
    """Label the changes made inside the block with an action name (e.g. 冻结)."""
    previous = g.get("audit_action")
    g.audit_action = str(name)
    try:
        yield
    finally:
        g.audit_action = previous


def _actor():
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    try:
        if user is None or not user.is_authenticated:
            return None
        return user
    except Exception:
        return None


def _auditable(obj):
    return getattr(type(obj), "__audit__", True) and hasattr(type(obj), "__table__")


def _value(obj, key, value):
    if is_secret(type(obj), key):
        return mask_secret(value)
    return display_value(value)


def _merchant_of(obj, actor):
    if isinstance(obj, Merchant):
        return obj.id
    if isinstance(obj, (TenantScoped, StaffUser)):
        return obj.merchant_id
    return actor.merchant_id


def _diff(obj, kind):
    state = sa_inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIP_COLUMNS:
            continue
        if kind == "update":
            hist = state.attrs[key].history
            if not hist.has_changes():
                continue
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before == after:
                continue
            changes[key] = [_value(obj, key, before), _value(obj, key, after)]
        else:
            value = state.attrs[key].value if kind == "create" else state.attrs[key].loaded_value
            if value is None or getattr(value, "__class__", None).__name__ == "symbol":
                continue
            pair = [None, _value(obj, key, value)] if kind == "create" else [
                _value(obj, key, value), None]
            changes[key] = pair
    for rel in state.mapper.relationships:
        if not rel.uselist or kind != "update":
            continue
        hist = state.attrs[rel.key].history
        if hist.added or hist.deleted:
            now = [str(x) for x in tuple(hist.unchanged or ()) + tuple(hist.added or ())]
            before = [str(x) for x in tuple(hist.unchanged or ()) + tuple(hist.deleted or ())]
            changes[rel.key] = ["、".join(before), "、".join(now)]
    return changes


@event.listens_for(Session, "after_flush")
def _write_audit_rows(session, flush_context):
    actor = _actor()
    if actor is None:
        return
    with force_locale("zh"):
        default_names = {"create": _("新增"), "update": _("修改"), "delete": _("删除")}
    action = g.get("audit_action")
    rows = []
    for kind, objects in (("create", session.new), ("update", session.dirty),
                          ("delete", session.deleted)):
        for obj in objects:
            if not _auditable(obj):
                continue
            if kind == "update" and not session.is_modified(obj, include_collections=True):
                continue
            changes = _diff(obj, kind)
            if kind == "update" and not changes:
                continue
            identity = sa_inspect(obj).mapper.primary_key_from_instance(obj)
            rows.append({
                "merchant_id": _merchant_of(obj, actor),
                "created_at": china_now(),
                "user_id": actor.id,
                "user_name": (actor.display_name or "")[:64],
                "ip": g.get("client_ip", "")[:45],
                "entity": type(obj).__name__,
                "entity_id": ",".join(str(v) for v in identity if v is not None) or None,
                "action": (action or default_names[kind])[:64],
                "changes": json.dumps(changes, ensure_ascii=False),
            })
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


def record_event(*, entity, action, entity_id=None, detail=None):
    """Log an operation that changes no row (an export, a login) and commit it."""
    from app.extensions import db

    actor = _actor()
    if actor is None:
        return
    db.session.add(AuditLog(
        merchant_id=actor.merchant_id, created_at=china_now(), user_id=actor.id,
        user_name=(actor.display_name or "")[:64], ip=g.get("client_ip", "")[:45],
        entity=entity, entity_id=entity_id, action=str(action)[:64],
        changes=json.dumps(detail or {}, ensure_ascii=False)))
    db.session.commit()
