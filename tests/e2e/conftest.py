"""Browser tests: a live MerchantDesk server and headless Chromium driven by Playwright.

The server is a second app made by ``create_app`` in this process, on its own temporary
SQLite database, instance, upload and task folders; it never touches the session ``app``
fixture of tests/conftest.py. Its schema comes from the Alembic migrations, then
permissions are synced and the demo data seeded, as ``flask md setup --demo`` does. It is
served by werkzeug's threaded server on 127.0.0.1 and a free port, in a daemon thread,
and shut down at the end of the session. Tests reach its database through
``live_server.app`` (an app context plus ``platform_scope()``), e.g. ``new_merchant``.

Chromium is Debian's /usr/bin/chromium (never ``playwright install``). Without it or
without Playwright the tests are skipped, except under CI=true, where they fail.
An exception in the server or a JavaScript error in the page fails the test.
Screenshots go to a temporary folder, or to $E2E_SCREENSHOT_DIR when set.
"""
import itertools
import logging
import os
import random
import shutil
import threading
import traceback
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import requires_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
VIEWPORT = {"width": 1280, "height": 800}
# Every page here answers in well under a second: fail fast locally. CI runs the three
# database suites at once on two cores, where a first page load can take several seconds.
DEFAULT_TIMEOUT_MS = 30_000 if os.environ.get("CI", "").lower() == "true" else 10_000
FIRST_PASSWORD = "888888"


@pytest.fixture(scope="session", autouse=True)
def _e2e_requirements():
    """Skip (or fail under CI=true) before anything is started."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        requires_service("playwright", False, f"cannot import playwright.sync_api ({exc})")
    requires_service("chromium", os.access(CHROMIUM, os.X_OK),
                     f"{CHROMIUM} is missing (apt-get install chromium fonts-wqy-microhei)")


@dataclass
class LiveServer:
    app: object
    url: str
    root: Path
    errors: list = field(default_factory=list)  # tracebacks of unhandled exceptions
    wechat: object = None  # the loopback fake WeChat (tests/fakes/wechat.py)

    def __call__(self, path="/"):
        return self.url + path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from flask import got_request_exception
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from app import create_app
    from app.cli import sync_permissions
    from app.extensions import db
    from app.seed import seed_demo
    from app.wechat.transport import register_adapter
    from tests.fakes.wechat import WECHAT_HOSTS, FakeWeChat

    root = tmp_path_factory.mktemp("md-e2e-instance")
    flask_app = create_app({
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(root / "e2e.db"),
        "UPLOAD_FOLDER": str(root / "uploads"),
        "TASK_RESULT_FOLDER": str(root / "task_results"),
        "REDIS_URL": "",  # exports and imports run in-process
        "SHOP_PUBLIC_BASE_URL": "https://shop.example.test/s",
    })
    # MD_INSTANCE_DIR is read once, when config.py is first imported (by tests/conftest.py
    # or another test module), so this server's instance folder is set here instead.
    flask_app.instance_path = str(root)
    # WeChat calls of the live server go to the loopback fake (tests/fakes/wechat.py).
    wechat = FakeWeChat().start()
    for host in WECHAT_HOSTS:
        register_adapter(flask_app, f"https://{host}/", wechat.adapter())
    with flask_app.app_context():
        upgrade(revision="heads")
        sync_permissions()
        seed_demo()
        db.session.remove()

    server_state = LiveServer(flask_app, "", root, wechat=wechat)

    def _record(sender, exception, **extra):
        server_state.errors.append("".join(traceback.format_exception(exception)))

    got_request_exception.connect(_record, flask_app, weak=False)
    # One log line per static file drowns the useful output of a failing test.
    werkzeug_log = logging.getLogger("werkzeug")
    old_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    server_state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="md-e2e-server", daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        werkzeug_log.setLevel(old_level)
        got_request_exception.disconnect(_record, flask_app)
        with flask_app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(root, ignore_errors=True)
        wechat.stop()


@dataclass
class NewMerchant:
    id: int
    name: str
    phone: str  # the owner's login; the password is 888888 until changed
    shop_ids: dict  # shop name -> id


_numbers = itertools.count(1)


@pytest.fixture()
def new_merchant(live_server):
    """new_merchant(shops=[(name, shop_type), ...]) -> NewMerchant: a fresh merchant made by
    create_merchant in the live server's database, as the platform admin would. Its owner
    logs in with the phone and 888888 and must change the password first."""
    from app.extensions import db
    from app.models.merchant import Merchant
    from app.models.shop import Shop
    from app.security import OWNER_ROLE
    from app.services.merchant import create_merchant, phone_taken
    from app.tenancy import platform_scope

    app = live_server.app

    def _create(shops=()):
        with app.app_context(), platform_scope():
            while True:
                phone = "137" + f"{random.randrange(10 ** 8):08d}"
                if not phone_taken(db.session, phone):
                    break
            merchant = Merchant(name=f"端到端测试商家{next(_numbers)}号", contact_phone=phone,
                                expires_on=date.today() + timedelta(days=365))
            create_merchant(db.session, merchant=merchant,
                            owner_role=app.appbuilder.sm.find_role(OWNER_ROLE))
            db.session.flush()
            rows = [Shop(merchant_id=merchant.id, name=name, shop_type=shop_type)
                    for name, shop_type in shops]
            db.session.add_all(rows)
            db.session.commit()
            created = NewMerchant(merchant.id, merchant.name, phone,
                                  {shop.name: shop.id for shop in rows})
            db.session.remove()
        return created

    return _create


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(browser, live_server):
    """A fresh browser context (no cookies) per test. Fails the test on a server
    exception or a JavaScript error in the page."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    from playwright.sync_api import expect
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    js_errors = []
    page.on("pageerror", lambda exc: js_errors.append(f"{page.url}: {exc}"))
    seen = len(live_server.errors)
    try:
        yield page
    finally:
        context.close()
    server_errors = live_server.errors[seen:]
    report = [f"{title}:\n" + "\n".join(found) for title, found in (
        ("server exceptions", server_errors), ("JavaScript errors", js_errors)) if found]
    if report:
        pytest.fail("\n".join(report), pytrace=False)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory):
    folder = os.environ.get("E2E_SCREENSHOT_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("md-e2e-screenshots")


@pytest.fixture()
def screenshot(page, screenshot_dir, request):
    """screenshot("login") saves a full-page PNG named after the test; returns its path."""

    def _shot(name):
        path = screenshot_dir / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


def log_in_new_owner(page, live_server, merchant, new_password="Spring2026go"):
    """Log a NewMerchant's owner in and get past the forced password change."""
    from playwright.sync_api import expect

    from app.services.merchant import FIRST_PASSWORD

    page.goto(live_server("/login/"))
    page.get_by_label("手机号 / 账号").fill(merchant.phone)
    page.get_by_label("密码").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("原密码").fill(FIRST_PASSWORD)
    page.get_by_label("新密码", exact=True).fill(new_password)
    page.get_by_label("确认新密码").fill(new_password)
    page.get_by_role("button", name="确认修改").click()
    expect(page.get_by_text("密码修改成功")).to_be_visible()
