"""Request hooks: who is calling, whether they may still be here, and Chinese errors."""
from flask import flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user
from flask_wtf.csrf import CSRFError

from app.security import client_ip

# Endpoints a user who must change the password may still reach.
_PASSWORD_FREE = {"PasswordView.change", "MerchantAuthView.logout", "static",
                  "appbuilder.static", "LocaleView.index"}


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error(status, message):
    if _wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def init_app(app):
    @app.context_processor
    def _appbuilder():
        # Plain render_template pages (errors) extend the same layout as FAB's.
        return {"appbuilder": app.appbuilder}

    @app.before_request
    def _who_and_whether():
        g.client_ip = client_ip()
        user = getattr(g, "user", None)
        if user is None or not user.is_authenticated:
            return None
        session.permanent = True  # idle sessions expire after PERMANENT_SESSION_LIFETIME
        reason = None
        if not user.active:
            reason = _("该账号已被停用，请联系商家管理员")
        elif user.merchant is not None:
            reason = user.merchant.login_block_reason()
        if reason:
            logout_user()
            session.clear()
            flash(reason, "danger")
            return redirect(url_for("MerchantAuthView.login"))
        if user.must_change_password and request.endpoint not in _PASSWORD_FREE:
            if _wants_json():
                return _error(403, _("首次登录请先修改密码"))
            return redirect(url_for("PasswordView.change"))
        return None

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _error(400, _("页面已过期或请求无效（缺少安全令牌），请刷新页面后重试"))

    @app.errorhandler(400)
    def _bad_request(exc):
        return _error(400, _("请求参数无效"))

    @app.errorhandler(403)
    def _forbidden(exc):
        return _error(403, _("无权限访问该页面，请联系商家管理员开通权限"))

    @app.errorhandler(404)
    def _not_found(exc):
        return _error(404, _("页面不存在，或数据已被删除"))

    @app.errorhandler(405)
    def _method(exc):
        return _error(405, _("不支持的请求方式"))

    @app.errorhandler(413)
    def _too_large(exc):
        mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return _error(413, _("上传的文件太大，单个文件不能超过 %(mb)d MB", mb=mb))

    @app.errorhandler(500)
    def _server_error(exc):
        return _error(500, _("系统繁忙，请稍后重试"))
