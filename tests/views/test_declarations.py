"""Declarations are checked in CI, as Django's system checks do at start-up: a typo in a
column list, a tenant model behind the wrong base view or an action without a permission
fails here, before any merchant meets it."""
from flask_appbuilder import ModelView
from sqlalchemy import inspect as sa_inspect

from app.admin.views import AdminModelView, TenantModelView
from app.tenancy import TenantScoped


def _views(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, ModelView)]


# FAB's own security views (platform admin only), wrapped in app/security.py for checked
# actions but otherwise FAB's: they keep FAB's base class.
FAB_SECURITY_VIEWS = {"UserDBModelView", "RoleModelView", "UserGroupModelView",
                      "PermissionModelView", "ViewMenuModelView", "PermissionViewModelView"}


def _ours(view):
    return (type(view).__module__.startswith("app.")
            and type(view).__name__ not in FAB_SECURITY_VIEWS)


def _has_attribute(model, name):
    head = name.split(".", 1)[0]
    mapper = sa_inspect(model)
    return head in mapper.attrs or hasattr(model, head)


def test_every_model_view_of_ours_derives_from_the_base(app):
    bad = [type(v).__name__ for v in _views(app) if _ours(v)
           and not isinstance(v, AdminModelView)]
    assert not bad, f"views not derived from AdminModelView: {bad}"


def test_tenant_models_use_tenant_views(app):
    bad = [type(v).__name__ for v in _views(app) if _ours(v)
           and issubclass(v.datamodel.obj, TenantScoped)
           and not isinstance(v, TenantModelView)]
    assert not bad, f"tenant models behind a non-tenant view: {bad}"


def test_declared_columns_exist(app):
    problems = []
    for view in _views(app):
        if not _ours(view):
            continue
        model = view.datamodel.obj
        for attr in ("list_columns", "search_columns", "show_columns", "export_columns",
                     "order_columns"):
            for name in getattr(view, attr) or []:
                if attr == "search_columns" and name in getattr(view, "pseudo_search_columns", ()):
                    continue  # a filter over related rows, declared by the view itself
                if not _has_attribute(model, name):
                    problems.append(f"{type(view).__name__}.{attr}: {name}")
    assert not problems, "unknown columns:\n" + "\n".join(problems)


def test_every_action_has_a_permission(app):
    problems = []
    for view in _views(app):
        if not _ours(view):
            continue
        for name in view.actions:
            permission = view.get_action_permission_name(name)
            if permission not in view.base_permissions:
                problems.append(f"{type(view).__name__}: action {name} has no permission")
    assert not problems, "\n".join(problems)


def test_every_column_has_a_chinese_label(app):
    problems = []
    for view in _views(app):
        if not _ours(view):
            continue
        for name in set(view.list_columns) | set(view.export_columns or []):
            label = str(view.label_columns.get(name, ""))
            if not label or label.replace(" ", "").isascii() and label != "ID":
                problems.append(f"{type(view).__name__}.{name}: {label!r}")
    assert not problems, "columns without a Chinese label:\n" + "\n".join(problems)


def test_checkboxes_of_not_null_booleans_are_not_required(app):
    """An unticked checkbox is a complete answer (False); FAB would make it required."""
    from sqlalchemy import Boolean

    problems = []
    with app.test_request_context():
        for view in _views(app):
            if not _ours(view) or not view.add_columns:
                continue
            columns = sa_inspect(view.datamodel.obj).columns
            form = view.add_form(meta={"csrf": False})
            for name in view.add_columns:
                column = columns.get(name)
                if column is None or not isinstance(column.type, Boolean) or name not in form:
                    continue
                if form[name].flags.required:
                    problems.append(f"{type(view).__name__}.{name}")
    assert not problems, "required checkboxes:\n" + "\n".join(problems)
