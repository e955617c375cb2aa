"""Shared fixtures: one app and one database per test session, with the demo data.

The database comes from TEST_DATABASE_URL (PostgreSQL, MariaDB) and defaults to a
temporary SQLite file. The schema is built by the Alembic migrations, exactly as in
production, then permissions are synced and the demo data seeded.
"""
import os
import re
import shutil
import tempfile

import pytest
from sqlalchemy import MetaData, create_engine, inspect, text

os.environ.setdefault("MD_INSTANCE_DIR", tempfile.mkdtemp(prefix="md-test-instance-"))

CI = os.environ.get("CI", "").lower() == "true"
TOKEN_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')

# Passwords the fixtures give the demo owners (who otherwise must change 888888).
OWNER_PASSWORD = "Owner@2026x"


def database_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    folder = tempfile.mkdtemp(prefix="md-test-db-")
    return "sqlite:///" + os.path.join(folder, "test.db")


def reset_database(url):
    """Drop every table (also FAB's and alembic_version) so migrations start clean."""
    if url.startswith("sqlite"):
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        meta = MetaData()
        meta.reflect(bind=conn)
        for table in reversed(meta.sorted_tables):
            table.drop(conn)
        if conn.dialect.name == "mysql" and conn.dialect.supports_sequences:
            for (name,) in conn.execute(text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() AND table_type = 'SEQUENCE'")):
                conn.execute(text(f"DROP SEQUENCE IF EXISTS `{name}`"))
        if conn.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    engine.dispose()


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import sync_permissions
    from app.seed import seed_demo
    from app.wechat.transport import register_adapter
    from tests.fakes.wechat import WECHAT_HOSTS, FakeWeChat

    url = database_url()
    reset_database(url)
    flask_app = create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "TESTING": True,
        "REDIS_URL": "",
        "EXPORT_SYNC_LIMIT": 50,
        "SHOP_PUBLIC_BASE_URL": "https://shop.example.test/s",
    })
    # Every WeChat client session of this app goes to the loopback fake (tests/fakes).
    fake = FakeWeChat().start()
    for host in WECHAT_HOSTS:
        register_adapter(flask_app, f"https://{host}/", fake.adapter())
    flask_app.extensions["tests.wechat_fake"] = fake
    with flask_app.app_context():
        upgrade(revision="heads")
        sync_permissions()
        seed_demo()
        _prepare_demo_owners()
    yield flask_app
    with flask_app.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(flask_app.config["UPLOAD_FOLDER"], ignore_errors=True)
    fake.stop()


@pytest.fixture()
def wechat(app):
    """The loopback fake WeChat, emptied for this test (tests/fakes/wechat.py)."""
    fake = app.extensions["tests.wechat_fake"]
    fake.reset()
    yield fake
    fake.reset()


def _prepare_demo_owners():
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models.merchant import StaffUser

    for owner in db.session.query(StaffUser).filter(StaffUser.is_owner.is_(True)):
        owner.password = generate_password_hash(OWNER_PASSWORD)
        owner.must_change_password = False
    db.session.commit()


@pytest.fixture()
def client(app):
    return app.test_client()


def csrf_token(client, path="/login/"):
    """A CSRF token for the client's session, read from a page with a form."""
    html = client.get(path).get_data(as_text=True)
    match = TOKEN_RE.search(html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


def login(client, account, password):
    token = csrf_token(client, "/login/")
    return client.post("/login/", data={"username": account, "password": password,
                                         "csrf_token": token}, follow_redirects=False)


# Demo accounts (app/seed.py).
ACCOUNTS = {
    "platform": ("admin", "Admin@2026"),
    "owner_a": ("13800000001", OWNER_PASSWORD),
    "manager_a": ("13800000011", "Manager@2026"),
    "verifier_a": ("13800000021", "Verify@2026"),
    "owner_b": ("13900000002", OWNER_PASSWORD),
    "manager_b": ("13900000012", "Manager@2026"),
    "verifier_b": ("13900000022", "Verify@2026"),
}


@pytest.fixture()
def login_as(app):
    """login_as("owner_a") -> a test client logged in as that demo account."""

    def _login(who):
        client = app.test_client()
        account, password = ACCOUNTS[who]
        response = login(client, account, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        client.csrf = lambda path="/account/password": csrf_token(client, path)
        return client

    return _login


@pytest.fixture()
def db_session(app):
    from app.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


def merchant_id(app, name):
    from app.extensions import db
    from app.models.merchant import Merchant
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        return db.session.query(Merchant).filter_by(name=name).one().id


def requires_service(name, available, reason):
    """Skip when a service is missing, except under CI=true where it must run."""
    if available:
        return
    if CI:
        pytest.fail(f"{name} is required under CI: {reason}")
    pytest.skip(f"{name} not available: {reason}")


def table_names(app):
    from app.extensions import db

    with app.app_context():
        return set(inspect(db.engine).get_table_names())
