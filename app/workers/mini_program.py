"""数据分析 sync: fetch yesterday's summary, last month's visits and the user portrait of
each merchant's mini program from WeChat's datacube into the cache table the pages read.

``sync_analytics(merchant_id)`` is the RQ job (ids, never objects; safe to retry: it
replaces the cached rows). ``flask md sync-wxa-analytics`` queues it for every bound mini
program; run it daily from cron (WeChat publishes yesterday's data in the morning), e.g.
``30 8 * * * flask md sync-wxa-analytics``.
"""
import logging

import click
from flask import current_app, has_app_context
from flask_babel import force_locale
from sqlalchemy import select

from app.cli import md
from app.extensions import db
from app.models.wechat import MiniProgramConfig
from app.services import mini_program as service
from app.tenancy import platform_scope, tenant_scope
from app.wechat import mini_program as wxa
from app.wechat.errors import WeChatError
from app.workers.queue import enqueue

log = logging.getLogger(__name__)
_worker_app = None

FETCHERS = {
    "summary": lambda client, begin, end: wxa.daily_summary(client, begin),
    "monthly": wxa.monthly_visits,
    "portrait": wxa.user_portrait,
}


def sync_for(merchant_id, today=None):
    """Fetch every analytics kind for one merchant and cache what WeChat answered.
    Returns {kind: None (stored) or the WeChatError}; nothing is cached for a failed kind.
    The run's time and, on failure, its Chinese reason are kept for the 数据分析 page (an
    RQ job has no one to tell otherwise)."""
    with tenant_scope(merchant_id), force_locale("zh"):
        results = _fetch_all(merchant_id, today)
        service.record_analytics_sync(db.session, merchant_id, [
            _reason(error) for error in results.values() if error is not None])
        db.session.commit()
    return results


def _reason(error):
    from flask_babel import gettext

    return gettext(str(error)) if isinstance(error.message, str) else str(error)


def _fetch_all(merchant_id, today):
    """{kind: None or WeChatError}; the caller holds the tenant scope."""
    results = {}
    config = service.mini_program(db.session, merchant_id)
    try:
        client = wxa.client_for(config)
    except WeChatError as exc:
        db.session.rollback()
        return {kind: exc for kind in FETCHERS}
    db.session.rollback()  # no transaction held open while WeChat answers
    for kind, (begin, end) in service.periods(today).items():
        try:
            data = FETCHERS[kind](client, begin, end)
        except WeChatError as exc:
            log.info("analytics %s of merchant %s failed: %s", kind, merchant_id, exc)
            results[kind] = exc
            continue
        ref = data.pop("ref_date", "") or f"{begin:%Y%m%d}"
        service.store_analytics(db.session, merchant_id, kind, ref, data)
        db.session.commit()
        results[kind] = None
    return results


def sync_analytics(merchant_id):
    """RQ entry point; also called in-process when no Redis is configured."""
    global _worker_app
    if has_app_context():
        return sync_for(merchant_id)
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        return sync_for(merchant_id)


def queue_sync(merchant_id):
    """Queue the sync on RQ (returns None), or run it now when no Redis is configured
    (returns its results)."""
    if current_app.config.get("REDIS_URL"):
        enqueue(sync_analytics, merchant_id, job_timeout=600)
        return None
    return sync_for(merchant_id)


def bound_merchants():
    with platform_scope():
        rows = db.session.execute(select(MiniProgramConfig.merchant_id).where(
            MiniProgramConfig.appid.is_not(None))).scalars().all()
        db.session.rollback()
    return sorted(set(rows))


@md.command("sync-wxa-analytics")
@click.option("--merchant", type=int, default=None, help="Only this merchant id.")
def sync_wxa_analytics_command(merchant):
    """Queue the mini program 数据分析 sync for every bound mini program."""
    merchants = [merchant] if merchant else bound_merchants()
    for merchant_id in merchants:
        outcome = queue_sync(merchant_id)
        if outcome is None:
            click.echo(f"merchant {merchant_id}: queued")
            continue
        failed = {k: str(e) for k, e in outcome.items() if e is not None}
        click.echo(f"merchant {merchant_id}: " + ("ok" if not failed else f"failed {failed}"))
    click.echo(f"{len(merchants)} mini program(s)")
