"""Accounts: phone login, throttling, forced first password change, merchant status,
per-request permission cache, and merchant-owned roles on top of FAB's global roles."""
import re
from datetime import timedelta

from flask import (abort, current_app, flash, g, has_request_context, redirect, request,
                   session, url_for)
from flask_appbuilder import expose
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.admin.fab_labels import ChineseColumnLabels, UserStatsChartView
from app.models.base import china_now
from app.models.merchant import LoginFailure, StaffUser

OWNER_ROLE = "商家大管理员"
PLATFORM_ROLE = "平台管理员"

_WEAK = {"888888", "12345678", "123456789", "password", "11111111", "88888888", "00000000",
         "abc12345", "a1234567", "qwerty123"}


def password_problem(password, user=None):
    """The strength rule for console passwords; returns a Chinese reason or None."""
    if len(password) < 8 or len(password) > 32:
        return _("密码长度须为 8-32 位")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return _("密码须同时包含字母和数字")
    if password.lower() in _WEAK:
        return _("密码过于简单，请换一个")
    if user is not None and user.phone and user.phone in password:
        return _("密码不能包含手机号")
    if user is not None and user.password and check_password_hash(user.password, password):
        return _("新密码不能与原密码相同")
    return None


def hash_password(password):
    return generate_password_hash(password, method="scrypt", salt_length=16)


def client_ip():
    if not has_request_context():
        return ""
    # Behind a proxy configure ProxyFix; never trust X-Forwarded-For blindly here.
    return (request.remote_addr or "")[:45]


class LoginForm(FlaskForm):
    username = StringField(_l("手机号 / 账号"), validators=[DataRequired(_l("请输入手机号"))])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码"))])


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l("原密码"), validators=[DataRequired(_l("请输入原密码"))])
    password = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码")),
                                                     Length(max=32)])
    confirm = PasswordField(_l("确认新密码"), validators=[
        DataRequired(_l("请再次输入新密码")), EqualTo("password", _l("两次输入的新密码不一致"))])


class MerchantAuthView(AuthDBView):
    """Login by phone (staff) or username (platform admin), in Chinese, throttled."""

    login_template = "security/login.html"
    title = _l("登录商家后台")

    @expose("/login/", methods=["GET", "POST"])
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        form = LoginForm()
        if form.validate_on_submit():
            sm = self.appbuilder.sm
            account = form.username.data.strip()
            user, message = sm.authenticate(account, form.password.data, client_ip())
            if user is None:
                flash(message, "danger")
                return self.render_template(self.login_template, title=self.title,
                                            form=form, appbuilder=self.appbuilder), 200
            session.clear()
            session.permanent = True
            login_user(user, remember=False)
            if user.must_change_password:
                flash(_("首次登录请先修改密码"), "warning")
                return redirect(url_for("PasswordView.change"))
            return redirect(self._get_safe_next_url())
        return self.render_template(self.login_template, title=self.title, form=form,
                                    appbuilder=self.appbuilder)


def permitted_action(view, name):
    """The action ``name`` of a ModelView, if the current user may run it: visitors go to
    the login page, an unknown name is a 404, a missing permission a 403."""
    if not current_user.is_authenticated:
        abort(redirect(url_for(f"{view.appbuilder.sm.auth_view.endpoint}.login",
                               next=request.url)))
    action = (view.actions or {}).get(name)
    if action is None:
        abort(404)
    if not view.appbuilder.sm.has_access(view.get_action_permission_name(name),
                                         view.class_permission_name):
        abort(403)
    return action


class _CheckedActions:
    """FAB's own ``action``/``action_post`` (on its security views) answer a 500 for an
    unknown action name, redirect visitors to "." and accept GET. These follow the rules
    of AdminModelView's: POST only, ``permitted_action`` first, then the rows."""

    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        action = permitted_action(self, name)
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None or not action.single:  # FAB's list-only actions take a list
            abort(404)
        return action.func(item)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        action = permitted_action(self, request.form.get("action", ""))
        items = [self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
                 for pk in request.form.getlist("rowid")]
        if not items or any(item is None for item in items) or not action.multiple:
            abort(404)  # FAB's single-row actions (reset password...) take one row
        return action.func(items)


def _checked(view_class):
    """``view_class`` with checked actions and Chinese labels for the columns FAB leaves
    unlabelled, under the same name: endpoints, permission names and menus stay FAB's."""
    return type(view_class.__name__, (_CheckedActions, ChineseColumnLabels, view_class),
                {"__module__": __name__})


class MerchantSecurityManager(SecurityManager):
    user_model = StaffUser
    authdbview = MerchantAuthView
    # FAB's security views (platform only), with checked action endpoints.
    userdbmodelview = _checked(SecurityManager.userdbmodelview)
    rolemodelview = _checked(SecurityManager.rolemodelview)
    groupmodelview = _checked(SecurityManager.groupmodelview)
    permissionmodelview = _checked(SecurityManager.permissionmodelview)
    viewmenumodelview = _checked(SecurityManager.viewmenumodelview)
    permissionviewmodelview = _checked(SecurityManager.permissionviewmodelview)
    userstatschartview = UserStatsChartView  # Chinese chart names and filter labels

    def register_views(self):
        # No JWT login API (/api/v1/security/login): staff log in through the form, which
        # throttles and checks the merchant's status. The shop API has its own auth.
        add_api = self.appbuilder.add_api
        self.appbuilder.add_api = lambda view: None
        try:
            super().register_views()
        finally:
            self.appbuilder.add_api = add_api

    def auth_user_db(self, username, password):
        """Any FAB path that authenticates goes through the same throttled check."""
        user, _message = self.authenticate((username or "").strip(), password or "",
                                           client_ip())
        return user

    # -- finding users ---------------------------------------------------------------
    def find_user(self, username=None, email=None):
        if username:
            user = self.session.execute(
                select(StaffUser).where(StaffUser.phone == username)
            ).scalar_one_or_none()
            if user is not None:
                return user
        return super().find_user(username=username, email=email)

    # -- login -----------------------------------------------------------------------
    def _recent_failures(self, column, value):
        cfg = current_app.config
        since = china_now() - timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
        return self.session.execute(
            select(func.count()).select_from(LoginFailure)
            .where(column == value, LoginFailure.failed_at >= since)
        ).scalar()

    def authenticate(self, account, password, ip):
        """Check one login attempt. Returns (user, None) or (None, Chinese reason)."""
        cfg = current_app.config
        account = account[:64]
        locked = _("登录失败次数过多，请 %(n)d 分钟后再试", n=cfg["LOGIN_LOCK_MINUTES"])
        if self._recent_failures(LoginFailure.account, account) >= cfg[
                "LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
            return None, locked
        if self._recent_failures(LoginFailure.ip, ip) >= cfg["LOGIN_MAX_FAILURES_PER_IP"]:
            return None, locked
        user = self.find_user(username=account)
        if user is None or not user.password or not check_password_hash(user.password,
                                                                         password or ""):
            if user is None:  # same cost for unknown accounts
                check_password_hash(cfg["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], "password")
            self.session.add(LoginFailure(account=account, ip=ip))
            self.session.commit()
            left = cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"] - self._recent_failures(
                LoginFailure.account, account)
            if left <= 0:
                return None, locked
            return None, _("账号或密码错误，还可尝试 %(n)d 次", n=left)
        if not user.active:
            return None, _("该账号已被停用，请联系商家管理员")
        if user.merchant is not None:
            reason = user.merchant.login_block_reason()
            if reason:
                return None, reason
        self.session.execute(delete(LoginFailure).where(LoginFailure.account == account))
        self.update_user_auth_stat(user, True)
        user.last_login = china_now()  # FAB stamps server time; merchants read China time
        self.session.commit()
        return user, None

    def set_password(self, user, password, must_change=False):
        user.password = hash_password(password)
        user.must_change_password = must_change
        user.password_changed_at = None if must_change else china_now()

    # -- permissions, cached per request (FAB caches nothing: ~15 queries a page) ----
    def _permission_set(self, user):
        cache = g.setdefault("_md_permissions", {}) if has_request_context() else {}
        key = getattr(user, "id", None)
        if key not in cache:
            roles = self.get_user_roles(user)
            role_ids = [r.id for r in roles if r.name not in self.builtin_roles]
            perms = set()
            for role in roles:
                if role.name in self.builtin_roles:
                    perms.add(("*builtin*", role.name))
            if role_ids:
                pvm = self.permissionview_model
                rows = self.session.execute(
                    select(self.permission_model.name, self.viewmenu_model.name)
                    .select_from(pvm)
                    .join(self.permission_model, pvm.permission_id == self.permission_model.id)
                    .join(self.viewmenu_model, pvm.view_menu_id == self.viewmenu_model.id)
                    .join(pvm.role)
                    .where(self.role_model.id.in_(role_ids))
                ).all()
                perms.update((p, v) for p, v in rows)
            cache[key] = (perms, roles)
        return cache[key]

    def _has_view_access(self, user, permission_name, view_name):
        perms, roles = self._permission_set(user)
        if (permission_name, view_name) in perms:
            return True
        return any(
            role.name in self.builtin_roles
            and self._has_access_builtin_roles(role, permission_name, view_name)
            for role in roles
        )

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        if user is None or not user.is_authenticated:
            return super()._get_user_permission_view_menus(None, permission_name,
                                                           view_menus_name)
        return {v for v in view_menus_name if self._has_view_access(user, permission_name, v)}

    def user_permissions(self, user):
        """Every (permission, view) the user holds through database roles."""
        perms, _roles = self._permission_set(user)
        return {p for p in perms if p[0] != "*builtin*"}

    def is_platform_admin(self, user):
        return user is not None and user.is_authenticated and user.merchant_id is None

    def invalidate_permission_cache(self):
        if has_request_context():
            g.pop("_md_permissions", None)
