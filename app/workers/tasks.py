"""Task-center jobs. A Task row is the merchant-visible record of each job: status,
progress, result file and error report. ``run_task(task_id)`` is what RQ executes."""
import json
import logging
import os
from urllib.parse import urlencode

from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy import update

from app.extensions import db
from app.models.base import china_now
from app.models.merchant import StaffUser
from app.models.task import Task
from app.tenancy import platform_scope
from app.workers.queue import enqueue

log = logging.getLogger(__name__)
_worker_app = None


def _set_progress(task_id, **values):
    """Progress goes through its own short transaction, beside the job's long read."""
    with db.engine.begin() as conn:
        conn.execute(update(Task.__table__).where(Task.__table__.c.id == task_id)
                     .values(**values))


def submit_export(view, args):
    """Queue an export of ``view``'s current list (as filtered by ``args``) for the user."""
    user = g.user
    task = Task(user_id=user.id, merchant_id=user.merchant_id, kind="export",
                title=str(_("导出%(title)s", title=view.list_title))[:100], status="pending",
                payload=json.dumps({"view": type(view).__name__, "args": args},
                                   ensure_ascii=False))
    db.session.add(task)
    db.session.commit()
    enqueue(run_task, task.id)
    db.session.refresh(task)
    return task


def _find_view(name):
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == name:
            return view
    raise LookupError(name)


def _run_export(task, user, payload):
    view = _find_view(payload["view"])
    folder = current_app.config["TASK_RESULT_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"task_{task.id}.xlsx")
    query_string = urlencode(payload.get("args") or {}, doseq=True)
    with current_app.test_request_context("/?" + query_string):
        login_user(user)
        g.user = user
        total = max(view.export_query().order_by(None).count(), 1)
        count = view.write_export(
            path, progress=lambda n: _set_progress(task.id, progress=min(99, n * 100 // total)))
        name = view.export_filename()
    return path, name, count


HANDLERS = {"export": _run_export}


def _execute(task_id):
    with platform_scope():
        task = db.session.get(Task, task_id)
        if task is None or task.status in ("done", "running"):
            return
        user = db.session.get(StaffUser, task.user_id)
        payload = json.loads(task.payload or "{}")
    _set_progress(task_id, status="running", started_at=china_now(), progress=0)
    try:
        path, name, _count = HANDLERS[task.kind](task, user, payload)
    except Exception as exc:
        # The full traceback goes to the log; the merchant reads a Chinese reason.
        log.exception("task %s failed", task_id)
        db.session.rollback()
        # A job may carry its own Chinese report (an import's per-row errors).
        report = getattr(exc, "task_error", None)
        _set_progress(task_id, status="failed", finished_at=china_now(),
                      error=report[:20000] if report else _(
                          "任务执行失败（%(kind)s），请稍后重试；仍失败请联系客服并提供任务编号 #%(id)d。",
                          kind=type(exc).__name__, id=task_id)[:2000])
        return
    _set_progress(task_id, status="done", progress=100, finished_at=china_now(),
                  result_path=path, result_name=name[:150])


def run_task(task_id):
    """RQ entry point; also called in-process when no Redis is configured."""
    global _worker_app
    if has_app_context():
        app = current_app._get_current_object()
        with app.app_context():
            _execute(task_id)
        return
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        _execute(task_id)
