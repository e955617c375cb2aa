"""修改密码: every logged-in account, and the forced change at first login."""
import functools

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from werkzeug.security import check_password_hash

from app.admin.audit import audit_action
from app.extensions import db
from app.security import ChangePasswordForm, password_problem


def login_required(view):
    """For pages every account may open (home, own password): no permission, but a
    login. The security crawler lists these endpoints explicitly."""

    @functools.wraps(view)
    def wrapper(self, *args, **kwargs):
        if g.user is None or not g.user.is_authenticated:
            return redirect(url_for("MerchantAuthView.login", next=request.full_path))
        return view(self, *args, **kwargs)

    return wrapper


class PasswordView(BaseView):
    route_base = "/account"
    default_view = "change"
    merchant_facing = False

    @expose("/password", methods=["GET", "POST"])
    @login_required
    def change(self):
        form = ChangePasswordForm()
        user = g.user
        if form.validate_on_submit():
            if not check_password_hash(user.password, form.old_password.data):
                form.old_password.errors.append(_("原密码不正确"))
            else:
                problem = password_problem(form.password.data, user)
                if problem:
                    form.password.errors.append(problem)
                else:
                    with audit_action(_("修改密码")):
                        self.appbuilder.sm.set_password(user, form.password.data)
                        db.session.commit()
                    flash(_("密码修改成功"), "success")
                    return redirect(url_for("HomeView.index"))
        return self.render_template("account/change_password.html", form=form,
                                    title=_l("修改密码"), forced=user.must_change_password)


def register(appbuilder):
    appbuilder.add_view_no_menu(PasswordView())
