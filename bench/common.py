"""What every "ratio to a baseline" benchmark shares: a throwaway instance folder and
database built by the migrations plus the demo data, merchant A's owner logged in, the
stock Flask-AppBuilder ModelView baseline, timing (best of N) and SQL statement counting.

Import it first thing in a script (before anything of ``app``): ``workdir()`` points
``MD_INSTANCE_DIR`` at a temporary folder, which config.py reads at import.

    ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, ROOT)
    from bench.common import ...

Temporary folders follow ``TMPDIR`` (e.g. ``TMPDIR=/tmp/md_bench``).
"""
import os
import re
import shutil
import tempfile
import time

OWNER_PHONE = "13800000001"  # merchant A's owner (app/seed.py)
OWNER_B_PHONE = "13900000002"  # merchant B's owner
OWNER_PASSWORD = "Bench@2026x"
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def workdir(name):
    """A fresh temporary folder for the instance files (and the SQLite database)."""
    folder = tempfile.mkdtemp(prefix=f"md-bench-{name}-")
    os.environ["MD_INSTANCE_DIR"] = folder  # read by config.py at import
    return folder


def sqlite_url(folder):
    return "sqlite:///" + os.path.join(folder, "bench.db")


def reset_database(url):
    """Drop every table of a server database (PostgreSQL, MariaDB) so the migrations
    start clean; SQLite files are new anyway. Never point it at real data."""
    from tests.conftest import reset_database as reset

    reset(url)


def build_app(url, fresh=True, **config):
    """The app on ``url`` (emptied first), schema by the migrations, permissions synced,
    the demo data seeded. ``config`` adds to the app's settings. ``fresh=False`` opens a
    database an earlier run built (and kept) as it is."""
    from app import create_app
    from app.cli import sync_permissions
    from app.seed import seed_demo

    if fresh:
        reset_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "TESTING": True,
                      **config})
    if not fresh:
        return app
    with app.app_context():
        upgrade_heads(app)
        sync_permissions()
        seed_demo()
    return app


def upgrade_heads(app):
    """``upgrade heads``, one head at a time: same schema, but alembic 1.20's one-pass
    upgrade of every head stumbled on this tree's branch points (KeyError '0004_catalog'
    once 0014_orders_more was added under 0009_fulfilment)."""
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    config = app.extensions["migrate"].migrate.get_config()
    for head in sorted(ScriptDirectory.from_config(config).get_heads()):
        upgrade(revision=head)


def merchant_id(phone=OWNER_PHONE):
    """The merchant of the staff member with this phone (inside an app context)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    with platform_scope():
        return db.session.execute(select(StaffUser.merchant_id).where(
            StaffUser.phone == phone)).scalar_one()


def add_stock_view(app, name, model, list_columns, search_columns,
                   base_order=("created_at", "desc"), page_size=None):
    """The baseline: a stock Flask-AppBuilder ModelView (exact count, FAB's own filters:
    ILIKE for text) over ``model`` with merchant A's base filter, registered without a
    menu as ``name`` (URL ``/<name lower>/list/``); merchant A's owner may list it, and
    gets the password OWNER_PASSWORD."""
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.filters import FilterEqual
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from app.cli import sync_permissions

    with app.app_context():
        attrs = {"__doc__": "Flask-AppBuilder as it comes (the benchmark's baseline).",
                 "datamodel": SQLAInterface(model), "list_columns": list(list_columns),
                 "search_columns": list(search_columns),
                 "base_filters": [["merchant_id", FilterEqual, merchant_id()]],
                 "base_order": base_order}
        if page_size is not None:
            attrs["page_size"] = page_size
        app.appbuilder.add_view_no_menu(type(name, (ModelView,), attrs))
        sync_permissions()
        grant_owner(app, name)


def grant_owner(app, view_name):
    """Merchant A's owner: a known password, no forced change, and can_list on the view."""
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    sm = app.appbuilder.sm
    with platform_scope():
        owner = db.session.execute(select(StaffUser).where(StaffUser.phone == OWNER_PHONE)
                                   ).scalar_one()
        owner.password = generate_password_hash(OWNER_PASSWORD)
        owner.must_change_password = False
        role = sm.add_role(f"bench-{view_name}")  # the existing one on a kept database
        sm.add_permission_role(role, sm.find_permission_view_menu("can_list", view_name))
        if role not in owner.roles:
            owner.roles.append(role)
        db.session.commit()


def analyze(app):
    """Fresh planner statistics after a bulk seed, as `flask md analyze` makes them (both the
    stock view and ours run on them)."""
    from app.cli import refresh_planner_statistics

    with app.app_context():
        refresh_planner_statistics()


def log_in(client):
    """Log merchant A's owner in; returns the CSRF token of the session."""
    html = client.get("/login/").get_data(as_text=True)
    token = TOKEN_RE.search(html).group(1)
    response = client.post("/login/", data={"username": OWNER_PHONE, "password": OWNER_PASSWORD,
                                            "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit("bench: login failed")
    return token


def best(func, repeat):
    """The best of ``repeat`` timings of ``func()``, in seconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        func()
        times.append(time.perf_counter() - began)
    return min(times)


def get_ok(client, url):
    """A function that GETs ``url`` and stops the benchmark unless it answers 200."""
    def run():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"bench: {url} answered {response.status_code}")
        return response
    return run


class StatementCounter:
    """Counts every SQL statement sent on ``engine`` (a ``before_cursor_execute``
    listener): exact and repeatable, unlike timings."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args, **_kwargs):
        self.count += 1

    def of(self, client, url):
        """Statements of one request to ``url`` (after a warm-up request)."""
        get_ok(client, url)()
        before = self.count
        get_ok(client, url)()
        return self.count - before


def close(app, folder):
    """Release the database and remove the temporary folder (kept when None)."""
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
