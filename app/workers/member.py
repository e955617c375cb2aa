"""Scheduled member work: 积分清零 (points expiry).

Cron (or an RQ scheduler) runs it once a day, or at least once after New Year:

    flask md expire-points            # every merchant whose rule says 积分次年年底清零
    flask md expire-points --merchant 3

or enqueues ``expire_points_job`` on RQ (``app.workers.queue.enqueue``). Each merchant runs
in its own tenant scope and transaction; re-running writes nothing twice (the ledger's
idempotency key is per member and year).
"""
import logging

import click
from flask import current_app, has_app_context
from sqlalchemy import select

from app.cli import md
from app.extensions import db
from app.models.base import china_now
from app.models.member import PointsRule
from app.services import points as points_service
from app.tenancy import platform_scope, tenant_scope

log = logging.getLogger(__name__)


def expire_points_for_all(merchant_id=None, now=None):
    """Expire points for one merchant or every merchant with the yearly rule on; returns
    {merchant id: ledger rows written}."""
    now = now or china_now()
    with platform_scope():
        query = select(PointsRule.merchant_id).where(PointsRule.expire_yearly.is_(True))
        if merchant_id is not None:
            query = query.where(PointsRule.merchant_id == merchant_id)
        merchants = [row[0] for row in db.session.execute(query)]
        db.session.rollback()
    written = {}
    for mid in merchants:
        with tenant_scope(mid):
            try:
                written[mid] = points_service.expire_points(db.session, now)
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("points expiry failed for merchant %s", mid)
                raise
    return written


def expire_points_job(merchant_id=None):
    """RQ entry point (ids only, safe to retry)."""
    if has_app_context():
        return expire_points_for_all(merchant_id)
    from app import create_app

    with create_app().app_context():
        return expire_points_for_all(merchant_id)


@md.command("expire-points")
@click.option("--merchant", type=int, default=None, help="Only this merchant id.")
def expire_points_command(merchant):
    """积分清零: expire points earned before last year (run daily or after New Year)."""
    written = expire_points_for_all(merchant)
    total = sum(written.values())
    click.echo(f"points expired for {total} members in {len(written)} merchants")
    current_app.logger.info("expire-points: %s", written)
