"""抽红包 under load (issue #8): the shop API's draw endpoint on PostgreSQL under gunicorn with
4 sync workers, driven by a load generator on 127.0.0.1, against a no-op JSON endpoint in
the same server and the same run.

    .venv/bin/python bench/lottery.py \\
        [--db-url postgresql+psycopg://postgres@127.0.0.1:5432/md_redpacket_bench] \\
        [--requests 2000] [--concurrency 16] [--budget 200] \\
        [--redis-url redis://127.0.0.1:6379/9]

It empties that database, builds the schema with the migrations plus the demo data, funds
merchant A's pool, creates one activity (tiers 5 元 10 %, 2 元 20 %, 1 元 30 %; no per-member
limit) and 200 members with API tokens, then starts gunicorn on a free port. It prints:

* draws per second, and as a ratio to the no-op endpoint's requests per second (aim: 0.5);
* the budget overspend (awards beyond the budget; must be 0.00) and whether the budget
  ledger matches the activity's remaining amount;
* p50 / p99 latency of each endpoint.

Payouts are queued for an RQ worker after each winning draw's commit, as in production
(``--redis-url``, default db 9 of the local Redis, emptied before and after; no worker
runs, so the jobs only wait). With ``--redis-url ''`` they run in the request instead,
the in-process fallback: the bench configures no platform WeChat Pay account, so each one
then ends 发放失败 at once without a network call.
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal

import sqlalchemy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import build_app, close, merchant_id, workdir  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/md_redpacket_bench"
MEMBERS = 200
TIERS = [("5", "10"), ("2", "20"), ("1", "30")]


# The write floor: what any endpoint that authenticates a member and commits one row
# costs here (no ORM unit of work), to read the draw's ratio against. Not an app table.
WRITE_FLOOR = sqlalchemy.Table(
    "bench_write_floor", sqlalchemy.MetaData(),
    sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
    sqlalchemy.Column("member_id", sqlalchemy.Integer, nullable=False))


def serve_app():
    """gunicorn's app factory: the app on BENCH_DB_URL plus a no-op JSON endpoint and the
    write floor (member token + one INSERT + commit)."""
    from flask import g, jsonify

    from app import create_app
    from app.api import member_required
    from app.extensions import csrf, db

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DB_URL"],
                      "REDIS_URL": os.environ.get("BENCH_REDIS_URL", ""),
                      "RATELIMIT_ENABLED": False})

    @app.route("/bench/noop")
    def noop():
        return jsonify(ok=True)

    @app.route("/bench/write", methods=["POST"])
    @csrf.exempt
    @member_required
    def write_floor():
        db.session.execute(WRITE_FLOOR.insert().values(member_id=g.member.id))
        db.session.commit()
        return jsonify(ok=True), 201

    return app


def prepare(url, budget):
    from app.extensions import db
    from app.models.base import china_now
    from app.services import member as members
    from app.services import red_packet as service
    from app.tenancy import tenant_scope

    app = build_app(url)
    with app.app_context():
        WRITE_FLOOR.create(db.engine)
        mid = merchant_id()
        with tenant_scope(mid):
            service.offline_credit(db.session, mid, budget, "bench 线下充值", None, "bench")
            activity, errors = service.create_activity(
                db.session, mid, {"name": "压测红包", "total": str(budget), "claim_mode": "24h",
                                  "per_day": "0", "per_member": "0"}, TIERS, now=china_now())
            if errors:
                raise SystemExit(f"bench: {errors}")
            tokens = []
            for i in range(MEMBERS):
                member = members.create_member(db.session, nickname=f"压测{i}",
                                               phone=f"1370000{i:04d}")
                tokens.append(members.issue_member_token(member))
            db.session.commit()
            activity_id = activity.id
    return app, mid, activity_id, tokens


def flush_redis(url):
    """Empty the bench's Redis db; returns how many keys it held."""
    if not url:
        return 0
    from redis import Redis

    conn = Redis.from_url(url)
    keys = conn.dbsize()
    conn.flushdb()
    return keys


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/bench/noop")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("bench: gunicorn did not start")


def load(port, total, concurrency, make_request):
    """Send ``total`` requests from ``concurrency`` threads (one keep-alive connection
    each); returns (requests per second, [latencies in s], {status: count})."""
    latencies, statuses = [], {}
    lock = threading.Lock()
    counter = iter(range(total))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, seen = [], {}
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, headers = make_request(i)
            began = time.perf_counter()
            conn.request(method, path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - began)
            seen[response.status] = seen.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in seen.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return total / (time.perf_counter() - began), latencies, statuses


def p(values, q):
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--budget", type=Decimal, default=Decimal("200"))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9",
                        help="the RQ queue for payouts (emptied); '' runs them in the request")
    args = parser.parse_args()
    if not args.db_url.startswith("postgresql"):
        raise SystemExit("bench: the issue asks for PostgreSQL (--db-url postgresql+psycopg://...)")

    folder = workdir("lottery")
    app, mid, activity_id, tokens = prepare(args.db_url, args.budget)
    port = free_port()
    env = dict(os.environ, BENCH_DB_URL=args.db_url, MD_INSTANCE_DIR=folder,
               PYTHONPATH=ROOT, BENCH_REDIS_URL=args.redis_url)
    flush_redis(args.redis_url)
    log = tempfile.NamedTemporaryFile(prefix="md-bench-gunicorn-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-w", "4", "-k", "sync",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "bench.lottery:serve_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_ready(port)
        noop = lambda i: ("GET", "/bench/noop", {})  # noqa: E731
        draw = lambda i: ("POST", f"/api/v1/red-packets/{activity_id}/draw",  # noqa: E731
                          {"Authorization": f"Bearer {tokens[i % len(tokens)]}",
                           "Content-Length": "0"})
        load(port, min(200, args.requests), args.concurrency, noop)  # warm-up
        write = lambda i: ("POST", "/bench/write",  # noqa: E731
                           {"Authorization": f"Bearer {tokens[i % len(tokens)]}",
                            "Content-Length": "0"})
        noop_rps, noop_lat, noop_status = load(port, args.requests, args.concurrency, noop)
        write_rps, write_lat, write_status = load(port, args.requests, args.concurrency,
                                                  write)
        draw_rps, draw_lat, draw_status = load(port, args.requests, args.concurrency, draw)
    finally:
        server.terminate()  # graceful: gunicorn lets its workers finish (slow under load)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        queued = flush_redis(args.redis_url)

    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.red_packet import RedPacketActivity, RedPacketDraw
    from app.services import red_packet as service
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(mid):
        activity = db.session.get(RedPacketActivity, activity_id)
        awarded = db.session.execute(select(func.coalesce(func.sum(RedPacketDraw.amount), 0))
                                     .where(RedPacketDraw.activity_id == activity_id)).scalar()
        draws = db.session.execute(select(func.count(RedPacketDraw.id)).where(
            RedPacketDraw.activity_id == activity_id)).scalar()
        ledger_ok = service.budget_ledger_sum(db.session, activity_id) == activity.remaining
        remaining = activity.remaining
    overspend = max(Decimal(awarded) - args.budget, Decimal("0.00"))
    print(json.dumps({"noop_status": noop_status, "write_status": write_status,
                      "draw_status": draw_status}))
    print(f"| measure | value |\n| --- | --- |")
    print(f"| write floor (member token + one INSERT + commit) | {write_rps:.0f} req/s, "
          f"p50 {p(write_lat, 50):.1f} ms, p99 {p(write_lat, 99):.1f} ms; "
          f"ratio to no-op {write_rps / noop_rps:.2f} |")
    print(f"| no-op JSON endpoint | {noop_rps:.0f} req/s, p50 {p(noop_lat, 50):.1f} ms, "
          f"p99 {p(noop_lat, 99):.1f} ms |")
    print(f"| 抽红包 (POST draw) | {draw_rps:.0f} draws/s, p50 {p(draw_lat, 50):.1f} ms, "
          f"p99 {p(draw_lat, 99):.1f} ms |")
    print(f"| ratio draws / no-op | {draw_rps / noop_rps:.2f} |")
    print(f"| payouts | {'queued for RQ (' + str(queued) + ' Redis keys)' if args.redis_url else 'sent in the request'} |")
    print(f"| draws recorded | {draws} of {args.requests} |")
    print(f"| awarded / budget | {Decimal(awarded):.2f} / {args.budget:.2f} "
          f"(remaining {remaining}) |")
    print(f"| overspend | {overspend:.2f} |")
    print(f"| budget ledger = remaining | {ledger_ok} |")
    close(app, folder)
    if overspend > 0 or not ledger_ok or draws != args.requests:
        raise SystemExit("bench: the budget did not hold")


if __name__ == "__main__":
    main()
