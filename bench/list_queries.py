"""How many SQL statements one list page issues, at page sizes 25 and 100.

A list page must cost the same number of statements whatever its page size: a relation
column that loads per row (N+1, notes/fab.md) makes the count grow with the page. The
permission checks of a page must also stay at one query (the per-request cache of
app/security.py), instead of FAB's ~15.

Runs on a throwaway SQLite database (built by the migrations, with the demo data plus a
few hundred shops and staff for merchant A), logged in as merchant A's owner. Counts come
from a ``before_cursor_execute`` listener on the engine, so they are exact and repeatable,
unlike timings. Prints the counts and the ratio count(100)/count(25) for each view, and
exits 1 when a count grows with the page size (or a page does not render).

    .venv/bin/python bench/list_queries.py
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import (OWNER_PASSWORD, OWNER_PHONE, build_app, close, log_in,  # noqa: E402
                          sqlite_url, workdir)

WORKDIR = workdir("list")

VIEWS = [("ShopView", "/shopview/list/"), ("StaffView", "/staffview/list/")]
PAGE_SIZES = (25, 100)
SHOPS = 300
STAFF = 150
PERMISSION_TABLES = re.compile(r"\bab_permission(_view(_role)?)?\b", re.I)


def build():
    app = build_app(sqlite_url(WORKDIR))
    with app.app_context():
        seed_rows()
    return app


def seed_rows():
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models.merchant import MerchantRole, StaffUser
    from app.models.shop import Shop
    from app.services.merchant import new_staff_user
    from app.tenancy import platform_scope

    with platform_scope():
        owner = db.session.execute(
            select(StaffUser).where(StaffUser.phone == OWNER_PHONE)).scalar_one()
        owner.password = generate_password_hash(OWNER_PASSWORD)
        owner.must_change_password = False
        merchant = owner.merchant
        roles = [mr.role for mr in db.session.execute(
            select(MerchantRole).where(MerchantRole.merchant_id == merchant.id)).scalars()]
        kinds = ["wx_mall", "mini_mall", "diy_mini"]
        db.session.add_all(Shop(merchant_id=merchant.id, name=f"压测商城{i:04d}",
                                shop_type=kinds[i % 3]) for i in range(SHOPS))
        staff_hash = generate_password_hash("Staff@2026x", method="pbkdf2:sha256:1000")
        for i in range(STAFF):
            user = new_staff_user(merchant=merchant, phone=f"1370{i:07d}", name=f"员工{i:03d}",
                                  password_hash=staff_hash, is_owner=False,
                                  roles=roles[: 1 + i % len(roles)])
            user.must_change_password = False
            db.session.add(user)
        db.session.commit()


class StatementCounter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.statements = []
        self.recording = False
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self.recording:
            self.statements.append(statement)

    def measure(self, client, url):
        """Statements issued by one GET of ``url``: (total, permission queries)."""
        self.statements, self.recording = [], True
        try:
            response = client.get(url)
        finally:
            self.recording = False
        if response.status_code != 200:
            raise SystemExit(f"bench: {url} answered {response.status_code}")
        permission = sum(1 for s in self.statements if PERMISSION_TABLES.search(s))
        return len(self.statements), permission, response.get_data(as_text=True)


def main():
    from app.extensions import db

    app = build()
    failed = False
    try:
        with app.app_context():
            counter = StatementCounter(db.engine)
        client = app.test_client()
        log_in(client)
        print(f"SQL statements per list page (SQLite, merchant A: {SHOPS + 2} shops, "
              f"{STAFF + 2} staff; logged in as its owner)")
        print(f"{'view':<10} {'psize':>5} {'rows':>5} {'statements':>10} {'permission':>10}")
        for view, path in VIEWS:
            counts = {}
            for size in PAGE_SIZES:
                url = f"{path}?psize_{view}={size}"
                client.get(url)  # warm-up: first-render work is not what we measure
                total, permission, html = counter.measure(client, url)
                again = counter.measure(client, url)[:2]
                if again != (total, permission):
                    print(f"  {view}: counts not repeatable: {(total, permission)} vs {again}")
                    failed = True
                rows = len(re.findall(r'name="rowid"', html)) or html.count("<tr") - 1
                counts[size] = total
                print(f"{view:<10} {size:>5} {rows:>5} {total:>10} {permission:>10}")
                if permission > 1:
                    print(f"  {view}: {permission} permission queries (expected 1: per-request "
                          "cache)")
                    failed = True
            small, large = counts[PAGE_SIZES[0]], counts[PAGE_SIZES[-1]]
            verdict = "ok" if large <= small else "GROWS WITH PAGE SIZE (N+1)"
            print(f"{view:<10} ratio count({PAGE_SIZES[-1]})/count({PAGE_SIZES[0]}) = "
                  f"{large / small:.2f}  {verdict}")
            failed |= large > small
    finally:
        close(app, WORKDIR)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
