"""Task center on a real RQ worker and real Redis (ARCHITECTURE.md, "Long work").

A big shop export is queued to Redis as a Task, a real ``rq.SimpleWorker`` (what
``flask md worker`` runs) executes it, and the owner downloads the xlsx from the task
center. The same export without Redis runs in-process at once.

Redis comes from REDIS_URL (CI: redis://127.0.0.1:6379/<n>), else db 15 on localhost.
Without a reachable Redis the worker test skips, except under CI=true where it fails.
"""
import io
import os
import signal
import uuid

import pytest

from tests.conftest import ACCOUNTS, login, requires_service

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
SYNC_LIMIT = 5
EXTRA_SHOPS = 8  # merchant A then has more than SYNC_LIMIT shops: the export queues


@pytest.fixture()
def redis_conn():
    """A connection to the test Redis; skips (fails under CI=true) when unreachable."""
    from redis import Redis
    from redis.exceptions import RedisError

    conn = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=10)
    try:
        conn.ping()
    except (RedisError, OSError) as exc:
        conn.close()
        requires_service("Redis", False, f"{REDIS_URL}: {exc}")
    yield conn
    conn.close()


@pytest.fixture()
def make_app(app, tmp_path):
    """A second app on the session database, with its own Redis setting and task folder."""
    from app import create_app
    from app.extensions import db

    made = []

    def _make(redis_url, queue_name="merchantdesk-test"):
        new_app = create_app({
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "TESTING": True,
            "REDIS_URL": redis_url,
            "RQ_QUEUE": queue_name,
            "EXPORT_SYNC_LIMIT": SYNC_LIMIT,
            "TASK_RESULT_FOLDER": str(tmp_path / f"results-{len(made)}"),
            "SHOP_PUBLIC_BASE_URL": app.config["SHOP_PUBLIC_BASE_URL"],
        })
        made.append(new_app)
        return new_app

    yield _make
    for new_app in made:
        with new_app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture()
def extra_shops(app):
    """Enough shops for merchant A that its shop export goes to the task center; the
    shops, and every Task row created meanwhile, are removed afterwards."""
    from app.extensions import db
    from app.models.merchant import Merchant
    from app.models.shop import Shop
    from app.models.task import Task
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        merchant_a = db.session.query(Merchant.id).filter_by(name="鲜果时光").scalar()
        tag = uuid.uuid4().hex[:6]
        shops = [Shop(merchant_id=merchant_a, name=f"导出测试{tag}-{i:02d}",
                      shop_type="mini_mall" if i % 2 else "wx_mall") for i in range(EXTRA_SHOPS)]
        db.session.add_all(shops)
        db.session.commit()
        shop_ids = [s.id for s in shops]
        last_task = db.session.query(db.func.max(Task.id)).scalar() or 0
    yield merchant_a
    with app.app_context(), platform_scope():
        for task in db.session.query(Task).filter(Task.id > last_task):
            if task.result_path and os.path.isfile(task.result_path):
                os.remove(task.result_path)
            db.session.delete(task)
        db.session.query(Shop).filter(Shop.id.in_(shop_ids)).delete(synchronize_session=False)
        db.session.commit()


def _logged_in(flask_app, who):
    client = flask_app.test_client()
    response = login(client, *ACCOUNTS[who])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def _expected_rows(flask_app, merchant_id):
    """Merchant A's shops as the export writes them: id, name (formula-safe), type and
    status labels, colour."""
    from app.admin.xlsx import neutralise
    from app.extensions import db
    from app.models.shop import SHOP_STATUS, SHOP_TYPES, Shop
    from app.tenancy import platform_scope

    types, statuses = dict(SHOP_TYPES), dict(SHOP_STATUS)
    with flask_app.app_context(), platform_scope():
        return {(s.id, neutralise(s.name), str(types[s.shop_type]), str(statuses[s.status]),
                 s.theme_color)
                for s in db.session.query(Shop).filter_by(merchant_id=merchant_id)}


def _xlsx_rows(data):
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    header, body = rows[0], rows[1:]
    return header, {(int(r[0]), r[1], r[2], r[3], r[4]) for r in body}


def _tasks_of(flask_app, owner_phone):
    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.models.task import Task
    from app.tenancy import platform_scope

    with flask_app.app_context(), platform_scope():
        user = db.session.query(StaffUser).filter_by(phone=owner_phone).one()
        return [(t.id, t.status, t.progress, t.result_path, t.kind)
                for t in db.session.query(Task).filter_by(user_id=user.id).order_by(Task.id)]


def _clean_redis(conn, queue, job_ids, worker_names):
    """Remove the test's queue, registries, jobs and worker entries (nothing else: CI
    shares the Redis database between suites)."""
    queue.delete(delete_jobs=True)  # the queue key, its jobs, and its rq:queues entry
    patterns = [f"rq:*:{queue.name}"] + [f"rq:*{job_id}*" for job_id in job_ids]
    keys = {key for pattern in patterns for key in conn.scan_iter(match=pattern, count=500)}
    keys |= {f"rq:worker:{name}" for name in worker_names}
    if keys:
        conn.delete(*keys)
    conn.srem("rq:workers", *(f"rq:worker:{name}" for name in worker_names or ["-"]))


def test_big_export_runs_on_a_real_rq_worker(redis_conn, app, make_app, extra_shops):
    from rq import Queue, SimpleWorker
    from rq.job import JobStatus

    conn = redis_conn
    queue_name = f"md-test-{uuid.uuid4().hex[:12]}"
    worker_app = make_app(REDIS_URL, queue_name)
    queue = Queue(queue_name, connection=conn)
    job_ids, worker_names = [], []
    try:
        owner_phone = ACCOUNTS["owner_a"][0]
        before = {t[0] for t in _tasks_of(worker_app, owner_phone)}
        client = _logged_in(worker_app, "owner_a")

        response = client.get("/shopview/export/")
        assert response.status_code == 302
        assert response.location.endswith("/taskview/list/")

        new = [t for t in _tasks_of(worker_app, owner_phone) if t[0] not in before]
        assert len(new) == 1, new
        task_id, status, progress, result_path, kind = new[0]
        assert (status, progress, result_path, kind) == ("pending", 0, None, "export")

        job_ids = queue.get_job_ids()
        assert len(job_ids) == 1, job_ids
        job = queue.fetch_job(job_ids[0])
        assert job.func_name == "app.workers.tasks.run_task"
        assert tuple(job.args) == (task_id,)
        assert job.get_status() == JobStatus.QUEUED

        # The task center shows the queued job to its owner.
        assert "排队中" in client.get("/taskview/list/").get_data(as_text=True)

        # What `flask md worker --burst` does: a SimpleWorker in the app's context.
        # The worker installs SIGINT/SIGTERM handlers; give pytest its own back after.
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            with worker_app.app_context():
                worker = SimpleWorker([queue], connection=conn)
                worker_names.append(worker.name)
                assert worker.work(burst=True) is True  # True: it performed a job
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

        assert queue.count == 0
        assert job.get_status(refresh=True) == JobStatus.FINISHED

        (_id, status, progress, result_path, kind), = [
            t for t in _tasks_of(worker_app, owner_phone) if t[0] == task_id]
        assert (status, progress) == ("done", 100)
        assert result_path and os.path.isfile(result_path)
        assert os.path.realpath(result_path).startswith(
            os.path.realpath(worker_app.config["TASK_RESULT_FOLDER"]) + os.sep)

        download = client.get(f"/taskview/result/{task_id}")
        assert download.status_code == 200
        assert "attachment" in download.headers["Content-Disposition"]
        assert download.data[:2] == b"PK"  # a zip container: xlsx
        header, rows = _xlsx_rows(download.data)
        assert header == ["ID", "商城名称", "商城类型", "状态", "主题色", "创建时间"], header
        expected = _expected_rows(worker_app, extra_shops)
        assert len(expected) > SYNC_LIMIT
        assert rows == expected
        assert not any("茶语" in row[1] for row in rows)  # nothing of merchant B

        # Another merchant's owner cannot fetch the result.
        other = _logged_in(worker_app, "owner_b")
        assert other.get(f"/taskview/result/{task_id}").status_code == 404
    finally:
        _clean_redis(conn, queue, job_ids, worker_names)


def test_without_redis_the_export_runs_in_process(app, make_app, extra_shops):
    local_app = make_app("")
    owner_phone = ACCOUNTS["owner_a"][0]
    before = {t[0] for t in _tasks_of(local_app, owner_phone)}
    client = _logged_in(local_app, "owner_a")

    response = client.get("/shopview/export/")
    assert response.status_code == 302
    assert response.location.endswith("/taskview/list/")

    new = [t for t in _tasks_of(local_app, owner_phone) if t[0] not in before]
    assert len(new) == 1, new
    task_id, status, progress, result_path, _kind = new[0]
    assert (status, progress) == ("done", 100)
    assert result_path and os.path.isfile(result_path)

    download = client.get(f"/taskview/result/{task_id}")
    assert download.status_code == 200
    _header, rows = _xlsx_rows(download.data)
    assert rows == _expected_rows(local_app, extra_shops)
