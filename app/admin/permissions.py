"""Business permissions: the whitelist merchants build their roles from.

A permission is FAB's (permission, view) pair. The whitelist is derived from the
registered views that are ``merchant_facing``, so a new module's view appears in the
role editor, grouped under its menu and labelled in Chinese, without extra code.
"""
from flask_babel import lazy_gettext as _l

PERMISSION_LABELS = {
    "can_list": _l("查看列表"),
    "can_show": _l("查看详情"),
    "can_add": _l("新增"),
    "can_edit": _l("编辑"),
    "can_delete": _l("删除"),
    "can_export": _l("导出Excel"),
    "can_import": _l("导入"),
    "can_download": _l("下载附件"),
    "can_qrcode": _l("查看二维码"),
    "can_result": _l("下载结果"),
}
# Every merchant role gets these: a user always sees their own jobs.
BASELINE_VIEWS = {"TaskView"}


def permission_label(view, permission):
    if permission in PERMISSION_LABELS:
        return PERMISSION_LABELS[permission]
    # A custom page names its own permissions (核销台: {"can_verify": "核销"}).
    own = getattr(view, "permission_labels", None) or {}
    if permission in own:
        return own[permission]
    # An action's permission is "can_" + its name (FAB's get_action_permission_name).
    name = permission[len("can_"):] if permission.startswith("can_") else permission
    action = (getattr(view, "actions", None) or {}).get(name)
    if action is not None:
        return action.text
    return permission


def _menu_index(appbuilder):
    """view class name -> (category label, item label, item name, category order)."""
    index = {}
    for order, category in enumerate(appbuilder.menu.get_list()):
        for item in category.childs or []:
            view = getattr(item, "baseview", None)
            if view is not None:
                index[type(view).__name__] = (category.label, item.label, item.name, order)
    return index


def business_views(appbuilder):
    return [v for v in appbuilder.baseviews if getattr(v, "merchant_facing", False)]


def business_pairs(appbuilder):
    """Every (permission, view) a merchant may hold, with each menu item's access."""
    menus = _menu_index(appbuilder)
    pairs = set()
    for view in business_views(appbuilder):
        for perm in view.base_permissions or []:
            pairs.add((perm, view.class_permission_name))
        if type(view).__name__ in menus:
            pairs.add(("menu_access", menus[type(view).__name__][2]))
    return pairs


def catalog(appbuilder, allowed=None):
    """The role editor's checkboxes: [(category, [(view label, [(key, label)])])].

    ``allowed`` caps the offer at the editing user's own permissions.
    """
    menus = _menu_index(appbuilder)
    groups = {}
    for view in business_views(appbuilder):
        name = type(view).__name__
        if name in BASELINE_VIEWS:
            continue
        category, item_label, _item, order = menus.get(
            name, (_l("其他"), getattr(view, "list_title", None) or name, None, 999))
        perms = []
        for perm in sorted(view.base_permissions or []):
            if allowed is not None and (perm, view.class_permission_name) not in allowed:
                continue
            perms.append((f"{perm}|{view.class_permission_name}",
                          permission_label(view, perm)))
        if perms:
            groups.setdefault((order, str(category)), []).append((item_label, perms))
    return [(category, items) for (order, category), items in sorted(groups.items())]


def menu_pairs_for(appbuilder, pairs):
    """Menu access that goes with the granted view permissions."""
    menus = _menu_index(appbuilder)
    by_permission_name = {v.class_permission_name: type(v).__name__
                          for v in business_views(appbuilder)}
    extra = set()
    for _perm, view_name in pairs:
        cls = by_permission_name.get(view_name)
        if cls in menus:
            extra.add(("menu_access", menus[cls][2]))
    return extra


def baseline_pairs(appbuilder):
    menus = _menu_index(appbuilder)
    pairs = set()
    for view in business_views(appbuilder):
        if type(view).__name__ in BASELINE_VIEWS:
            pairs.update((p, view.class_permission_name) for p in view.base_permissions)
            if type(view).__name__ in menus:
                pairs.add(("menu_access", menus[type(view).__name__][2]))
    return pairs


def set_role_permissions(sm, role, pairs):
    """Replace a role's permissions with ``pairs`` plus their menus and the baseline."""
    appbuilder = sm.appbuilder
    wanted = set(pairs) | menu_pairs_for(appbuilder, pairs) | baseline_pairs(appbuilder)
    pvms = []
    for perm, view in sorted(wanted):
        pvm = sm.find_permission_view_menu(perm, view) or sm.add_permission_view_menu(perm, view)
        pvms.append(pvm)
    role.permissions = pvms


def sync_owner_role(sm):
    """The owner role holds every business permission; run at deploy time."""
    from app.security import OWNER_ROLE

    role = sm.find_role(OWNER_ROLE) or sm.add_role(OWNER_ROLE)
    set_role_permissions(sm, role, business_pairs(sm.appbuilder))
    sm.session.commit()
    return role


# Views the platform admin uses besides the platform-only ones.
PLATFORM_BUSINESS_VIEWS = {"AuditLogView", "TaskView"}


def platform_pairs(appbuilder):
    """The platform admin's permissions: every view that is not merchant-facing (merchants,
    FAB's security views) plus the audit log and the task center."""
    menus = _menu_index(appbuilder)
    pairs = set()
    for view in appbuilder.baseviews:
        name = type(view).__name__
        if getattr(view, "merchant_facing", False) and name not in PLATFORM_BUSINESS_VIEWS:
            continue
        for perm in getattr(view, "base_permissions", None) or []:
            pairs.add((perm, view.class_permission_name))
        if name in menus:
            pairs.add(("menu_access", menus[name][2]))
    for category in appbuilder.menu.get_list():  # FAB's own security menu
        if not category.childs:
            continue
        for item in category.childs:
            view = getattr(item, "baseview", None)
            if view is not None and not getattr(view, "merchant_facing", False):
                pairs.add(("menu_access", item.name))
    return pairs


def sync_platform_role(sm):
    from app.security import PLATFORM_ROLE

    role = sm.find_role(PLATFORM_ROLE) or sm.add_role(PLATFORM_ROLE)
    pvms = []
    for perm, view in sorted(platform_pairs(sm.appbuilder)):
        pvms.append(sm.find_permission_view_menu(perm, view)
                    or sm.add_permission_view_menu(perm, view))
    role.permissions = pvms
    sm.session.commit()
    return role
