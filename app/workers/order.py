"""RQ job of the scheduled order work (close unpaid orders, confirm receipt). Enqueue it
from cron with `flask md order-jobs --queue`, or run it in-process with `flask md order-jobs`."""
import logging

from flask import current_app, has_app_context

log = logging.getLogger(__name__)
_worker_app = None


def _settings(app):
    from app.services.order_schedule import DEFAULT_CONFIRM_DAYS, DEFAULT_UNPAID_MINUTES

    return (int(app.config.get("ORDER_UNPAID_CLOSE_MINUTES") or DEFAULT_UNPAID_MINUTES),
            int(app.config.get("ORDER_AUTO_CONFIRM_DAYS") or DEFAULT_CONFIRM_DAYS))


def run_order_jobs():
    """Close unpaid orders and confirm old shipped ones; returns (closed, confirmed)."""
    global _worker_app
    if has_app_context():
        return _execute(current_app._get_current_object())
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        return _execute(_worker_app)


def _execute(app):
    from app.extensions import db
    from app.services.order_schedule import auto_confirm, close_unpaid

    minutes, days = _settings(app)
    closed = close_unpaid(db.session, minutes=minutes)
    confirmed = auto_confirm(db.session, days=days)
    log.info("order jobs: %d closed, %d confirmed", closed, confirmed)
    return closed, confirmed
