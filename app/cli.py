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


def init_app(app):
    app.cli.add_command(md)
