"""操作日志: owners see their merchant's log, staff their own entries, the platform all."""
from flask_babel import lazy_gettext as _l

from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView, summarize_changes
from app.models.audit import AuditLog
from app.views import add


def entity_label(name):
    from app.extensions import db

    for mapper in db.Model.registry.mappers:
        if mapper.class_.__name__ == name:
            return str(getattr(mapper.class_, "__label__", name))
    return name


class AuditLogView(TenantModelView):
    datamodel = AdminInterface(AuditLog)
    # Staff see only what they did themselves; owners see everything of their merchant.
    data_scope = "own"
    data_scope_column = "user_id"
    list_columns = ["created_at", "user_name", "ip", "entity", "entity_id", "action", "changes"]
    search_columns = ["created_at", "user_name", "entity", "action", "ip"]
    show_columns = list_columns
    export_columns = list_columns
    base_permissions = ["can_list", "can_show", "can_export"]
    formatters_columns = {"changes": summarize_changes, "entity": entity_label}


def register(appbuilder):
    add(appbuilder, AuditLogView, "audit_log", _l("操作日志"), "audit", "fa-history")
