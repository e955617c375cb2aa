"""RQ job of AI 刷脸: delete retained photos past their expiry (at most 7 days after the
scan). Cron runs `flask md face-purge` (in-process) or `flask md face-purge --queue`, e.g.
hourly; the scan records keep their scores and photo hash."""
import logging

from flask import current_app, has_app_context

log = logging.getLogger(__name__)
_worker_app = None


def purge_face_photos():
    """Delete expired photos of every merchant; returns how many."""
    global _worker_app
    if has_app_context():
        return _execute()
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        return _execute()


def _execute():
    from app.extensions import db
    from app.services.face_coupon import purge_expired_photos
    from app.tenancy import platform_scope

    with platform_scope():  # explicit: the purge spans every merchant
        count = purge_expired_photos(db.session)
        db.session.commit()
    log.info("face photos purged: %d (app %s)", count, current_app.name)
    return count
