"""商家 (platform admin), 分管理员 and 角色 (多管理员设置, for owners)."""
from flask import flash, g, redirect
from flask_appbuilder.actions import action
from flask_appbuilder.security.sqla.models import Role
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import html_params

from app.admin import permissions as perms
from app.admin.fields import AjaxRelatedField
from app.admin.interface import AdminInterface
from app.admin.views import PlatformModelView, TenantModelView
from app.extensions import db
from app.models.merchant import Merchant, MerchantRole, StaffUser
from app.security import OWNER_ROLE, hash_password, password_problem
from app.services import merchant as merchant_service
from app.services.errors import BusinessError
from app.tenancy import current_merchant_id
from app.views import add

PHONE_VALIDATOR = Regexp(r"^1[3-9]\d{9}$", message=_l("请输入 11 位中国大陆手机号"))


class MerchantView(PlatformModelView):
    """平台管理员: merchants. Creating one creates its owner (phone + 888888)."""

    datamodel = AdminInterface(Merchant)
    list_columns = ["id", "name", "contact_phone", "status", "expires_on", "created_at"]
    search_columns = ["name", "contact_phone", "status", "expires_on", "created_at"]
    add_columns = ["name", "contact_phone", "expires_on"]
    edit_columns = ["name", "status", "expires_on"]
    show_columns = list_columns
    validators_columns = {
        "name": [Length(min=2, max=64, message=_l("商家名称须为 2-64 个字符"))],
        "contact_phone": [PHONE_VALIDATOR],
    }
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_export",
                        "can_freeze", "can_unfreeze"]

    def pre_add(self, item):
        owner_role = self.appbuilder.sm.find_role(OWNER_ROLE)
        merchant_service.create_merchant(db.session, merchant=item, owner_role=owner_role)

    # Action labels that are also status words get the context "action" (en: Freeze/Frozen).
    @action("freeze", lazy_pgettext("action", "冻结"),
            _l("冻结后该商家所有账号将无法登录，确定冻结？"), "fa-lock")
    def freeze(self, items):
        items = self._set_status(items, "frozen")
        flash(_("已冻结 %(n)d 个商家", n=len(items)), "success")
        return redirect(self.get_redirect())

    @action("unfreeze", _l("解冻"), _l("确定解冻所选商家？"), "fa-unlock")
    def unfreeze(self, items):
        items = self._set_status(items, "normal")
        flash(_("已解冻 %(n)d 个商家", n=len(items)), "success")
        return redirect(self.get_redirect())

    def _set_status(self, items, status):
        items = items if isinstance(items, list) else [items]
        for item in items:
            merchant_service.set_merchant_status(item, status)
        db.session.commit()
        return items


def merchant_roles():
    tenant = current_merchant_id()
    query = db.session.query(Role).join(MerchantRole, MerchantRole.role_id == Role.id)
    if tenant is not None:
        query = query.filter(MerchantRole.merchant_id == tenant)
    return query.order_by(Role.id)


def role_label(role):
    return role.name.split(":", 1)[-1]


def check_can_grant(sm, pairs):
    """Nobody grants what they do not hold themselves."""
    user = g.user
    if sm.is_platform_admin(user):
        return
    missing = set(pairs) - sm.user_permissions(user)
    if missing:
        raise BusinessError(_("不能授予您自己没有的权限"), code="grant_exceeds_own",
                            status=403)


def role_pairs(role):
    return {(p.permission.name, p.view_menu.name) for p in role.permissions}


def describe_role(role):
    """The role's permissions in Chinese, grouped as in the role editor."""
    if role is None:
        return ""
    from flask import current_app

    held = {f"{p}|{v}" for p, v in role_pairs(role)}
    lines = []
    for category, items in perms.catalog(current_app.appbuilder):
        for item_label, options in items:
            granted = [str(text) for key, text in options if key in held]
            if granted:
                lines.append(_("%(menu)s / %(item)s：%(permissions)s", menu=category,
                               item=item_label, permissions=_("、").join(granted)))
    return Markup("<br>").join(lines)


class StaffView(TenantModelView):
    """多管理员设置: the owner's sub-admins (分管理员), by phone and password."""

    datamodel = AdminInterface(StaffUser)
    list_title = _l("分管理员列表")
    add_title = _l("新增管理员")
    edit_title = _l("编辑管理员")
    show_title = _l("管理员详情")
    list_columns = ["first_name", "phone", "roles", "active", "last_login"]
    search_columns = ["first_name", "phone", "active"]
    show_columns = ["first_name", "phone", "roles", "active", "last_login", "created_on"]
    add_columns = ["phone", "first_name", "password", "roles", "active"]
    edit_columns = ["first_name", "roles", "active"]
    export_columns = ["first_name", "phone", "roles", "active", "last_login"]
    label_columns = {"first_name": _l("姓名"), "phone": _l("手机号（登录账号）"),
                     "roles": _l("角色"), "active": _l("启用"), "last_login": _l("最后登录"),
                     "created_on": _l("创建时间"), "password": _l("登录密码")}
    description_columns = {"password": _l("8-32 位，须包含字母和数字；员工首次登录须修改"),
                           "roles": _l("员工可使用所选角色的全部权限")}
    base_order = ("id", "desc")
    formatters_columns = {"roles": lambda roles: _("、").join(role_label(r) for r in roles or [])}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_export",
                        "can_reset_password", "can_disable", "can_enable"]
    _roles_field = AjaxRelatedField(_l("角色"), query_func=merchant_roles, get_label=role_label,
                                    multiple=True,
                                    validators=[DataRequired(_l("请至少选择一个角色"))])
    add_form_extra_fields = {
        "phone": StringField(_l("手机号（登录账号）"),
                             validators=[DataRequired(_l("请输入手机号")), PHONE_VALIDATOR]),
        "first_name": StringField(_l("姓名"), validators=[
            DataRequired(_l("请输入姓名")), Length(max=32, message=_l("姓名最多 32 个字符"))]),
        "password": PasswordField(_l("登录密码"), validators=[DataRequired(_l("请输入登录密码"))]),
        "roles": _roles_field,
    }
    edit_form_extra_fields = {
        "first_name": add_form_extra_fields["first_name"],
        "roles": _roles_field,
    }

    def scope_filters(self):
        from flask_appbuilder.models.sqla.filters import FilterEqual

        return super().scope_filters() + [["is_owner", FilterEqual, False]]

    def _check_roles(self, item):
        pairs = set()
        for role in item.roles:
            pairs |= role_pairs(role)
        check_can_grant(self.appbuilder.sm, pairs - perms.baseline_pairs(self.appbuilder))

    def pre_add(self, item):
        super().pre_add(item)
        merchant_service.check_phone(item.phone)
        with db.session.no_autoflush:
            if merchant_service.phone_taken(db.session, item.phone):
                raise BusinessError(_("该手机号已被其他账号使用"), code="phone_taken")
            self._check_roles(item)
        problem = password_problem(item.password or "")
        if problem:
            raise BusinessError(problem, code="weak_password")
        item.username, item.email = merchant_service.staff_identity(item.phone)
        item.last_name = ""
        item.password = hash_password(item.password)
        item.is_owner = False
        item.must_change_password = True

    def pre_update(self, item):
        super().pre_update(item)
        if item.is_owner:
            raise BusinessError(_("不能修改大管理员账号"), code="owner_locked", status=403)
        self._check_roles(item)

    def _set_active(self, items, active, message):
        items = items if isinstance(items, list) else [items]
        for item in items:
            if item.id == g.user.id:
                flash(_("不能停用自己的账号"), "danger")
                return redirect(self.get_redirect())
            item.active = active
        db.session.commit()
        flash(message, "success")
        return redirect(self.get_redirect())

    @action("disable", _l("停用"), _l("停用后该管理员将无法登录，确定停用？"), "fa-ban")
    def disable(self, items):
        return self._set_active(items, False, _("已停用所选管理员"))

    @action("enable", lazy_pgettext("action", "启用"), _l("确定启用所选管理员？"), "fa-check")
    def enable(self, items):
        return self._set_active(items, True, _("已启用所选管理员"))

    @action("reset_password", _l("重置密码"),
            _l("密码将重置为 888888，该管理员下次登录须修改密码。确定重置？"), "fa-key",
            multiple=False)
    def reset_password(self, item):
        item = item[0] if isinstance(item, list) else item
        self.appbuilder.sm.set_password(item, merchant_service.FIRST_PASSWORD, must_change=True)
        db.session.commit()
        flash(_("已重置“%(name)s”的密码为 888888，下次登录须修改", name=item.first_name),
              "success")
        return redirect(self.get_redirect())


class PermissionWidget:
    """Checkboxes grouped by menu, labelled in Chinese."""

    def __call__(self, field, **kwargs):
        chosen = set(field.data or [])
        html = ['<div class="md-permissions">']
        for category, items in field.groups:
            html.append(f'<fieldset><legend>{escape(category)}</legend>')
            for item_label, options in items:
                html.append(f'<div class="md-perm-row"><strong>{escape(item_label)}</strong> ')
                for key, text in options:
                    params = html_params(type="checkbox", name=field.name, value=key,
                                         checked=key in chosen)
                    html.append(f'<label class="checkbox-inline"><input {params}> '
                                f'{escape(text)}</label>')
                html.append("</div>")
            html.append("</fieldset>")
        if not field.groups:
            html.append(f"<p>{escape(_('没有可授予的权限'))}</p>")
        html.append("</div>")
        return Markup("".join(html))


class PermissionField(SelectMultipleField):
    widget = PermissionWidget()

    def pre_validate(self, form):
        valid = {key for _c, items in self.groups for _l2, opts in items for key, _t in opts}
        if set(self.data or []) - valid:
            raise ValidationError(_("包含无效或无权授予的权限"))


class MerchantRoleView(TenantModelView):
    """角色: built from the whitelist of business permissions, capped at the editor's."""

    datamodel = AdminInterface(MerchantRole)
    list_columns = ["label", "description", "created_at"]
    search_columns = ["label"]
    add_columns = edit_columns = ["label", "description", "permissions"]
    show_columns = ["label", "description", "role", "created_at"]
    label_columns = {"permissions": _l("权限"), "role": _l("权限")}
    formatters_columns = {"role": describe_role}
    validators_columns = {"label": [Length(min=1, max=32, message=_l("角色名称最多 32 个字符"))],
                          "description": [Optional(), Length(max=200)]}
    add_form_extra_fields = {"permissions": PermissionField(_l("权限"))}
    edit_form_extra_fields = add_form_extra_fields
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export"]

    def form_ready(self, form, item=None):
        sm = self.appbuilder.sm
        allowed = None if sm.is_platform_admin(g.user) else sm.user_permissions(g.user)
        form.permissions.groups = perms.catalog(self.appbuilder, allowed)
        form.permissions.choices = [(k, t) for _c, items in form.permissions.groups
                                    for _i, opts in items for k, t in opts]
        if item is not None and item.role is not None and not form.permissions.data:
            form.permissions.data = [f"{p}|{v}" for p, v in role_pairs(item.role)]

    def _apply(self, item, form_keys):
        sm = self.appbuilder.sm
        pairs = {tuple(k.split("|", 1)) for k in form_keys or []}
        check_can_grant(sm, pairs)
        tenant = current_merchant_id() or item.merchant_id
        name = f"m{tenant}:{item.label}"
        clash = db.session.execute(select(Role).where(Role.name == name)).scalar_one_or_none()
        if clash is not None and (item.role is None or clash.id != item.role.id):
            raise BusinessError(_("角色名称已存在"), code="role_exists")
        if item.role is None:
            item.role = Role(name=name)
            db.session.add(item.role)
        item.role.name = name
        perms.set_role_permissions(sm, item.role, pairs)
        sm.invalidate_permission_cache()

    def process_form(self, form, is_created):
        # The permissions are not a column: keep them for pre_add/pre_update.
        g.role_permission_keys = form.permissions.data
        del form.permissions

    def pre_add(self, item):
        super().pre_add(item)
        self._apply(item, g.pop("role_permission_keys", []))

    def pre_update(self, item):
        super().pre_update(item)
        self._apply(item, g.pop("role_permission_keys", []))

    def pre_delete(self, item):
        if item.role is not None:
            db.session.delete(item.role)


def register(appbuilder):
    add(appbuilder, StaffView, "staff_list", _l("管理员列表"), "staff_admin", "fa-user")
    add(appbuilder, MerchantRoleView, "role_list", _l("角色管理"), "staff_admin", "fa-key")
    add(appbuilder, MerchantView, "merchant_list", _l("商家管理"), "platform", "fa-building")
