"""微信支付退款 as a job: money leaves outside any transaction, keyed by out_refund_no.

``refund_job(refund_id)`` claims the refund (pending → processing, one attempt), commits,
calls WeChat Pay's 申请退款 with the refund's ``out_refund_no`` (WeChat refunds a number
once, so a retry after a failure or a crash never pays twice), then records the outcome:
succeeded, or failed with the Chinese reason and the guide's advice (余额不足: 充值;
证书过期: 更换证书) for the merchant, who may retry. Enqueue it after the commit that
created or reset the refund: ``enqueue(refund_job, refund.id)``.
"""
import logging

from flask import has_app_context
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models.fulfilment import Refund
from app.models.order import Order
from app.models.shop import Shop
from app.services import refund as refund_service
from app.services import wechat as wechat_service
from app.tenancy import platform_scope, tenant_scope
from app.wechat import pay
from app.wechat.errors import WeChatError

log = logging.getLogger(__name__)


def payment_account(session, order):
    """The PayAccount that took the order's money: the mini program's config for mini
    program shops, else the official account's (微信支付)."""
    from app.wechat.callbacks import payment_account as account_of

    shop = session.get(Shop, order.shop_id)
    channel = "mini" if shop is not None and shop.shop_type in ("mini_mall", "diy_mini") \
        else "wechat"
    config = wechat_service.payment_config(session, order.merchant_id, channel)
    if config.id is None or not (config.mch_id or config.sub_mch_id):
        raise WeChatError(_("尚未配置微信支付，无法在线退款"), code="no_config",
                          fix=_("请在【公众号设置 - 微信支付】完成配置并验证后重试。"))
    return account_of(config)


def process_refund(refund_id):
    """One attempt at a WeChat refund; returns the refund's status afterwards."""
    with platform_scope():
        merchant_id = db.session.execute(select(Refund.merchant_id).where(
            Refund.id == refund_id)).scalar()
        db.session.rollback()
    if merchant_id is None:
        return None
    with tenant_scope(merchant_id), force_locale("zh"):
        refund = refund_service.start_attempt(db.session, refund_id)
        db.session.commit()
        if refund is None:  # done already, or another worker holds it
            return db.session.get(Refund, refund_id).status
        order = db.session.get(Order, refund.order_id)
        try:
            account = payment_account(db.session, order)
            result = pay.refund(account, out_refund_no=refund.out_refund_no,
                                total=order.paid_amount, amount=refund.amount,
                                transaction_id=order.payment_no or None,
                                out_trade_no=order.order_no, reason=refund.reason)
        except WeChatError as exc:
            log.info("WeChat refund %s failed: %s", refund.out_refund_no, exc.code)
            db.session.rollback()
            refund_service.record_failure(db.session, refund, message=str(exc),
                                          advice=str(exc.fix) if exc.fix else None,
                                          code=str(exc.code or ""))
            db.session.commit()
            return "failed"
        except Exception:
            # Unknown outcome: shown as failed; a retry reuses the out_refund_no.
            log.exception("WeChat refund %s crashed", refund.out_refund_no)
            db.session.rollback()
            refund_service.record_failure(db.session, refund,
                                          message=_("退款请求异常，请稍后重试"), code="error")
            db.session.commit()
            return "failed"
        refund_service.record_success(db.session, refund, result.get("refund_id"))
        db.session.commit()
        return "succeeded"


def refund_job(refund_id):
    """RQ entry point (an id, safe to retry); also run in-process without Redis."""
    if has_app_context():
        return process_refund(refund_id)
    from app import create_app

    with create_app().app_context():
        return process_refund(refund_id)


def submit(refund):
    """Queue a committed pending WeChat refund."""
    from app.workers.queue import enqueue

    if refund is not None and refund.method == "wechat" and refund.status == "pending":
        enqueue(refund_job, refund.id)
    return refund

