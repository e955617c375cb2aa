"""Enqueue background work: to Redis (RQ) when REDIS_URL is set, else run in-process.

Workers take ids, never objects, so a job is safe to retry and to run in another process.
"""
import logging

from flask import current_app

log = logging.getLogger(__name__)


def redis_connection(url=None):
    from redis import Redis

    return Redis.from_url(url or current_app.config["REDIS_URL"])


def get_queue():
    from rq import Queue

    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def enqueue(func, *args, job_timeout=3600):
    """Run ``func(*args)`` on a worker, or right away when no Redis is configured."""
    if current_app.config.get("REDIS_URL"):
        job = get_queue().enqueue(func, *args, job_timeout=job_timeout)
        log.info("enqueued %s%r as %s", func.__name__, args, job.id)
        return job
    func(*args)
    return None
