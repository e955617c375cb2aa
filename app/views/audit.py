"""操作日志: owners see their merchant's log, staff their own entries, the platform all."""
from flask_babel import lazy_gettext as _l

from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView, summarize_changes
from app.models.audit import AuditLog
from app.views import add


def entity_model(name):
    from app.extensions import db

    for mapper in db.Model.registry.mappers:
        if mapper.class_.__name__ == name:
            return mapper.class_
    return None


def entity_label(name):
    model = entity_model(name)
    return str(getattr(model, "__label__", name)) if model is not None else name


def describe(entry):
    return summarize_changes(entry, entity_model(entry.entity))


class AuditLogView(TenantModelView):
    datamodel = AdminInterface(AuditLog)
    # Staff see only what they did themselves; owners see everything of their merchant.
    data_scope = "own"
    data_scope_column = "user_id"
    list_columns = ["created_at", "user_name", "ip", "entity", "entity_id", "action",
                    "change_summary"]
    search_columns = ["created_at", "user_name", "entity", "action", "ip"]
    show_columns = list_columns
    export_columns = list_columns
    label_columns = {"change_summary": _l("变更内容")}
    base_permissions = ["can_list", "can_show", "can_export"]
    formatters_columns = {"change_summary": describe, "entity": entity_label}


def register(appbuilder):
    add(appbuilder, AuditLogView, "audit_log", _l("操作日志"), "audit", "fa-history")
