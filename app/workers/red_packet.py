"""微红包 jobs: sending payouts, syncing sent packets, closing ended activities.

* ``send_payout(payout_id)`` claims a 待发放 payout (→ 发放中, one attempt), commits, calls
  WeChat Pay's 发放现金红包 with the payout's ``mch_billno`` (WeChat pays one number once,
  so a retry after a failure or a crash never pays twice) from the platform's merchant
  account (the pool is recharged there), then records 已发放, or 发放失败 with WeChat's
  Chinese reason; the merchant may retry a failed payout.
* ``sync_payouts()`` queries sent packets: 已领取 when received, 已退回 (money back in the
  pool through the ledger) when WeChat refunded them unclaimed after 24 hours. A send left
  unresolved (a crash after the claim) is looked up too: found means sent, unknown means
  failed and retryable with the same number.
* ``close_activities()`` ends every activity whose window closed and returns its unspent
  budget to the pool.

``flask md red-packet-jobs`` runs the last two (cron, e.g. every 10 minutes); payouts are
enqueued after the commit that created them: ``enqueue_payouts([payout.id, ...])``.
"""
import logging

from flask import current_app, has_app_context
from flask_babel import force_locale, gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models.base import china_now
from app.models.red_packet import RedPacketPayout
from app.services import red_packet as service
from app.services import wechat as wechat_service
from app.tenancy import platform_scope, tenant_scope
from app.wechat import pay
from app.wechat.errors import WeChatError

log = logging.getLogger(__name__)


def platform_account(session):
    """The platform's own WeChat Pay account: it takes the pool recharges and sends the
    red packets. Raises WeChatError (Chinese) when the platform has not configured it."""
    with platform_scope():
        config = wechat_service.platform_config(session)
    if config is None or not (config.sp_appid and config.sp_mch_id and config.sp_api_key):
        raise WeChatError(_("平台尚未配置微信支付商户号，暂不能充值和发放红包，请联系平台"),
                          code="no_platform_pay")
    return pay.PayAccount(appid=config.sp_appid, mch_id=config.sp_mch_id,
                          api_key=config.sp_api_key, cert_pem=config.sp_cert_pem,
                          key_pem=config.sp_key_pem, cert_expires_at=config.sp_cert_expires_at)


def _client_ip():
    return current_app.config.get("WECHAT_CLIENT_IP") or "127.0.0.1"


def _merchant_of(payout_id):
    with platform_scope():
        merchant_id = db.session.execute(select(RedPacketPayout.merchant_id).where(
            RedPacketPayout.id == payout_id)).scalar()
        db.session.rollback()
    return merchant_id


def process_payout(payout_id):
    """One attempt at sending a payout; returns its status afterwards."""
    merchant_id = _merchant_of(payout_id)
    if merchant_id is None:
        return None
    with tenant_scope(merchant_id), force_locale("zh"):
        payout = db.session.get(RedPacketPayout, payout_id)
        if not service.start_sending(db.session, payout):
            db.session.rollback()
            return db.session.get(RedPacketPayout, payout_id).status
        db.session.commit()
        payout = db.session.get(RedPacketPayout, payout_id)
        try:
            if not payout.openid:
                raise WeChatError(_("该会员没有微信用户标识（openid），无法发放微信红包"),
                                  code="no_openid")
            from app.models.merchant import Merchant

            merchant = db.session.get(Merchant, merchant_id)
            account = platform_account(db.session)
            result = pay.send_redpack(
                account, openid=payout.openid, amount=payout.amount,
                mch_billno=payout.mch_billno, send_name=(merchant.name if merchant else "")
                or _("微红包"), act_name=payout.act_name or _("微红包"),
                wishing=_("恭喜发财，大吉大利"), remark=_("感谢您的参与"),
                client_ip=_client_ip())
        except WeChatError as exc:
            log.info("red packet %s failed: %s", payout.mch_billno, exc.code)
            db.session.rollback()
            service.payout_failed(db.session, payout, str(exc), str(exc.code or ""))
            db.session.commit()
            return "failed"
        except Exception:
            # Unknown outcome: shown as failed; a retry reuses the mch_billno.
            log.exception("red packet %s crashed", payout.mch_billno)
            db.session.rollback()
            service.payout_failed(db.session, payout, _("红包发放请求异常，请稍后重试"), "error")
            db.session.commit()
            return "failed"
        service.payout_sent(db.session, payout, result.get("send_listid"))
        db.session.commit()
        return "sent"


def _in_app(func, *args):
    if has_app_context():
        return func(*args)
    from app import create_app

    with create_app().app_context():
        return func(*args)


def payout_job(payout_id):
    """RQ entry point (an id, safe to retry); also run in-process without Redis."""
    return _in_app(process_payout, payout_id)


def enqueue_payouts(ids):
    """Send committed 待发放 payouts (RQ when REDIS_URL is set, else right away)."""
    from app.workers.queue import enqueue

    for payout_id in ids or ():
        if payout_id is not None:
            enqueue(payout_job, payout_id)


def sync_payout(payout_id, merchant_id):
    """Ask WeChat about one sent (or unresolved) packet; returns its status afterwards."""
    with tenant_scope(merchant_id), force_locale("zh"):
        payout = db.session.get(RedPacketPayout, payout_id)
        if payout is None or payout.status not in ("sent", "sending"):
            db.session.rollback()
            return payout.status if payout else None
        try:
            result = pay.query_redpack(platform_account(db.session), payout.mch_billno)
        except WeChatError as exc:
            db.session.rollback()
            if payout.status == "sending" and str(exc.code or "").upper() == "NOT_FOUND":
                service.payout_failed(db.session, payout,
                                      _("红包未发出（微信无此单号），可重新发放"), "NOT_FOUND")
                db.session.commit()
                return "failed"
            log.info("red packet sync %s failed: %s", payout.mch_billno, exc.code)
            return payout.status
        status = result["status"]
        if payout.status == "sending" and status in ("sending", "sent", "received",
                                                      "refunding", "refunded"):
            service.payout_sent(db.session, payout, None)
            db.session.flush()
            db.session.refresh(payout)
        if status == "received":
            service.payout_claimed(db.session, payout)
        elif status == "refunded":
            service.payout_returned(db.session, payout)
        elif status == "failed":
            table = RedPacketPayout.__table__
            db.session.execute(table.update().where(
                table.c.id == payout.id, table.c.merchant_id == merchant_id,
                table.c.status == "sent").values(status="failed", error=_("微信红包发放失败"),
                                                 error_code="FAILED"))
        else:
            payout.synced_at = china_now()
        db.session.commit()
        return db.session.get(RedPacketPayout, payout_id).status


def sync_payouts(now=None):
    """Query every merchant's sent packets; returns {status: count}."""
    now = now or china_now()
    with platform_scope():
        rows = service.payouts_to_sync(db.session, now)
        db.session.rollback()
    counts = {}
    for payout_id, merchant_id in rows:
        status = sync_payout(payout_id, merchant_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


def close_activities(now=None):
    """End every activity whose window closed; returns the number ended."""
    now = now or china_now()
    with platform_scope():
        rows = service.expired_activities(db.session, now)
        db.session.rollback()
    ended = 0
    for activity_id, merchant_id in rows:
        with tenant_scope(merchant_id):
            if service.end_activity(db.session, activity_id, merchant_id, now) is not None:
                ended += 1
            db.session.commit()
    return ended


def run_red_packet_jobs():
    """The scheduled work: close ended activities, then sync sent packets."""
    return _in_app(_run)


def _run():
    return close_activities(), sync_payouts()
