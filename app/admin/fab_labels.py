"""Chinese labels for Flask-AppBuilder's own security views (platform admin only).

FAB labels a column it was given no label for by prettifying its name ("Groups", "Role",
"First Name" in the user statistics' filters): plain English that no catalog translates.
``ChineseColumnLabels`` gives those columns Chinese msgids instead; labels FAB declares
itself stay FAB's (English msgids, translated by translations/zh). It also shows values as
our own views do (是/否, not True/False; nothing for None; lists without brackets).
"""
from flask_appbuilder.security.views import UserStatsChartView as FabUserStatsChartView
from flask_babel import lazy_gettext as _l

from app.admin.labels import display_value

COLUMN_LABELS = {
    "id": _l("ID"),
    "name": _l("名称"),
    "label": _l("显示名称"),
    "description": _l("说明"),
    "user": _l("用户"),
    "users": _l("用户"),
    "role": _l("角色"),
    "roles": _l("角色"),
    "groups": _l("用户组"),
    "permission": _l("权限"),
    "view_menu": _l("视图/菜单"),
    "permission_id": _l("权限ID"),
    "view_menu_id": _l("视图/菜单ID"),
    "first_name": _l("名"),
    "last_name": _l("姓"),
    "username": _l("用户名"),
    "email": _l("电子邮箱"),
    "password": _l("密码"),
    "active": _l("是否启用"),
    "last_login": _l("上次登录"),
    "login_count": _l("登录次数"),
    "fail_login_count": _l("登录失败次数"),
    "created_on": _l("创建时间"),
    "changed_on": _l("修改时间"),
    "created_by": _l("创建人"),
    "changed_by": _l("修改人"),
    "created_by_fk": _l("创建人ID"),
    "changed_by_fk": _l("修改人ID"),
    "created": _l("创建时间"),
    "changed": _l("修改时间"),
    "api_keys": _l("API 密钥"),
    "merchant": _l("商家"),
    "merchant_id": _l("商家ID"),
    "phone": _l("手机号"),
    "is_owner": _l("大管理员"),
    "must_change_password": _l("须修改密码"),
    "password_changed_at": _l("密码修改时间"),
}


def display_text(value):
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(v) for v in value)
    return display_value(value)


class ChineseColumnLabels:
    """Mix into a FAB model view: its unlabelled columns get Chinese labels, not prettified
    English names, and its list and show values read like ours."""

    def _prettify_column(self, name):
        label = COLUMN_LABELS.get(name)
        return label if label is not None else super()._prettify_column(name)

    def _init_properties(self):
        super()._init_properties()
        if not hasattr(self, "formatters_columns"):
            return  # a chart view: no list or show values
        self.formatters_columns = dict(self.formatters_columns or {})
        for name in set(self.list_columns or []) | set(self.show_columns or []):
            self.formatters_columns.setdefault(name, display_text)


class UserStatsChartView(ChineseColumnLabels, FabUserStatsChartView):
    """FAB's user statistics (same name, so the same permissions and menu) with Chinese
    chart names; FAB's are plain English."""

    label_columns = dict(FabUserStatsChartView.label_columns)
    definitions = [
        {"label": _l("登录次数"), "group": "username", "series": ["login_count"]},
        {"label": _l("登录失败次数"), "group": "username", "series": ["fail_login_count"]},
    ]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # FAB names the grouped column after the last chart; the filter keeps its label.
        self.label_columns = dict(self.label_columns, username=_l("用户名"))
