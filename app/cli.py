"""`flask md ...`: set-up, permission sync, demo data and the RQ worker."""
import click
from flask import current_app
from flask.cli import AppGroup

md = AppGroup("md", help="MerchantDesk set-up and maintenance.")


def sync_permissions():
    """Create FAB's built-in roles and every view's permissions, then the owner role.
    Run at deploy time; web workers run with FAB_UPDATE_PERMS=False."""
    from app.admin.permissions import sync_owner_role, sync_platform_role

    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    current_app.config["FAB_CREATE_DB"] = True
    try:
        sm.create_db()  # tables exist (Alembic); this adds the Admin and Public roles
    finally:
        current_app.config["FAB_CREATE_DB"] = False
    appbuilder.add_permissions(update_perms=True)
    sync_owner_role(sm)
    sync_platform_role(sm)


@md.command("sync")
def sync_command():
    """Sync permissions and roles with the registered views."""
    sync_permissions()
    click.echo("permissions synced")


@md.command("setup")
@click.option("--demo/--no-demo", default=False, help="Seed the demo data once.")
def setup_command(demo):
    """Apply migrations, sync permissions and, with --demo, seed the demo data once."""
    from flask_migrate import upgrade

    upgrade(revision="heads")
    sync_permissions()
    if demo:
        from app.seed import seed_demo

        created = seed_demo()
        click.echo("demo data seeded" if created else "demo data already present")


@md.command("logins")
def logins_command():
    """Print the demo logins."""
    from app.seed import print_logins

    print_logins(click.echo)


@md.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst):
    """Run an RQ worker for the task center (needs REDIS_URL)."""
    from rq import SimpleWorker

    from app.workers.queue import get_queue, redis_connection

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, no worker needed")
    # SimpleWorker runs jobs in this process, which already holds the app context;
    # forking would share database connections with the child.
    worker = SimpleWorker([get_queue()], connection=redis_connection())
    worker.work(burst=burst)


@md.command("order-jobs")
@click.option("--queue", "to_queue", is_flag=True,
              help="Enqueue the job for an RQ worker instead of running it here.")
def order_jobs_command(to_queue):
    """Close unpaid orders after ORDER_UNPAID_CLOSE_MINUTES and confirm receipt of orders
    shipped ORDER_AUTO_CONFIRM_DAYS ago. Cron runs it, e.g. every 5 minutes."""
    from app.workers.order import run_order_jobs

    if to_queue:
        from app.workers.queue import enqueue

        enqueue(run_order_jobs)
        click.echo("order jobs enqueued")
        return
    closed, confirmed = run_order_jobs()
    click.echo(f"closed {closed} unpaid orders, confirmed {confirmed} shipped orders")


@md.command("face-purge")
@click.option("--queue", "to_queue", is_flag=True,
              help="Enqueue the job for an RQ worker instead of running it here.")
def face_purge_command(to_queue):
    """AI 刷脸: delete retained photos past their expiry. Cron runs it, e.g. hourly."""
    from app.workers.face_coupon import purge_face_photos

    if to_queue:
        from app.workers.queue import enqueue

        enqueue(purge_face_photos)
        click.echo("face photo purge enqueued")
        return
    click.echo(f"deleted {purge_face_photos()} expired face photos")


def refresh_planner_statistics():
    """Fresh query-planner statistics. SQLite keeps none until ANALYZE runs, and without
    them it looked up the 20 orders' items of the 全部订单 page through the merchant index
    (every item of the merchant) instead of the order index (bench/orders.py: the page took
    twice the stock view's time on 900,000 orders). ``analysis_limit`` samples each index,
    so this takes well under a second on a 1 GB SQLite file; PostgreSQL and MariaDB keep
    their own statistics, this only refreshes them after a bulk load."""
    from sqlalchemy import inspect

    from app.extensions import db

    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=400")
            conn.exec_driver_sql("ANALYZE")
        elif engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
        else:
            for table in inspect(conn).get_table_names():
                conn.exec_driver_sql(f"ANALYZE TABLE `{table}`")


@md.command("analyze")
def analyze_command():
    """Refresh the database's query-planner statistics (SQLite has none until this runs).
    Cron runs it nightly, and after a bulk import."""
    refresh_planner_statistics()
    click.echo("planner statistics refreshed")


def init_app(app):
    app.cli.add_command(md)


@md.command("red-packet-jobs")
@click.option("--queue", "to_queue", is_flag=True,
              help="Enqueue the job for an RQ worker instead of running it here.")
def red_packet_jobs_command(to_queue):
    """微红包: end activities whose claim window closed (unspent budget back to the pool) and
    sync sent red packets with WeChat (claimed; refunded after 24 h back to the pool).
    Cron runs it, e.g. every 10 minutes."""
    from app.workers.red_packet import run_red_packet_jobs

    if to_queue:
        from app.workers.queue import enqueue

        enqueue(run_red_packet_jobs)
        click.echo("red packet jobs enqueued")
        return
    ended, synced = run_red_packet_jobs()
    click.echo(f"ended {ended} activities, synced packets: {synced}")
