"""模板消息 send job: takes a send-log id, calls WeChat, writes the outcome in the log.

Safe to retry: a row that is no longer pending is left alone. Runs on an RQ worker (its own
app) or in-process when no Redis is configured.
"""
import json
import logging

from flask import current_app, has_app_context
from flask_babel import force_locale

from app.extensions import db
from app.models.official_account import TemplateMessageLog
from app.services import official_account as service
from app.services import wechat as wechat_service
from app.tenancy import platform_scope, tenant_scope
from app.wechat import official_api
from app.wechat.callbacks import official_account
from app.wechat.errors import WeChatError

log = logging.getLogger(__name__)
_worker_app = None


def _deliver(log_id):
    with platform_scope():
        row = db.session.get(TemplateMessageLog, log_id)
        merchant_id = row.merchant_id if row is not None else None
    if row is None or row.status != "pending":
        return
    with tenant_scope(merchant_id), force_locale("zh"):
        row = db.session.get(TemplateMessageLog, log_id)
        config = wechat_service.official_account(db.session, merchant_id)
        error = msgid = None
        try:
            if config is None or not config.appid or not config.app_secret:
                raise WeChatError(service.N_("公众号尚未完成开发者配置（AppID、AppSecret）"),
                                  code="no_credentials")
            msgid = official_api.send_template(official_account(config), row.openid,
                                               row.template_id,
                                               json.loads(row.payload or "{}"), url=row.url)
        except WeChatError as exc:
            log.info("template message %s failed: %s", log_id, exc.code)
            error = exc
        # The reason is stored in Chinese, as the merchant reads it.
        service.record_send_result(row, msgid=msgid,
                                   error=None if error is None else _reason(error))
        db.session.commit()


def _reason(error):
    from flask_babel import gettext

    return gettext(str(error)) if isinstance(error.message, str) else str(error)


def deliver_template_message(log_id):
    """RQ entry point; also called in-process when no Redis is configured."""
    global _worker_app
    if has_app_context():
        app = current_app._get_current_object()
        with app.app_context():
            _deliver(log_id)
        return
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        _deliver(log_id)
