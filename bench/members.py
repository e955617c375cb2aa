"""全部会员列表 at scale: every search filter of the list on 100,000 members, as a ratio to a
stock Flask-AppBuilder ModelView over the same table in the same run, with the SQL
statement count of each page.

Seeds ``--members`` members (default 100,000) for merchant A (built by the migrations, plus
the demo data), logged in as its owner, then for each filter the issue lists (账号状态,
会员等级, 最新下单时间, 成交单数, 积分, 消费总额, 注册时间, 昵称, 手机号, 标签, 注册来源)
loads page 1 of MemberView and of the stock view (same search columns, a merchant base
filter, the same base order, FAB's own filters: ILIKE for text) and keeps the best of
``--repeat`` runs. Each filter's value matches roughly 0.1-20 % of the members (shown), so a
table scan would show.

    .venv/bin/python bench/members.py [--members 100000] [--repeat 3]
        [--db-url postgresql+psycopg://postgres@127.0.0.1:5432/md_members]

With ``--db-url`` every table of that database is dropped first: give it a database of
its own, never a shared one.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WORKDIR = tempfile.mkdtemp(prefix="md-bench-members-")
os.environ["MD_INSTANCE_DIR"] = WORKDIR  # read by config.py at import: keep ./instance clean

OWNER_PHONE = "13800000001"
OWNER_PASSWORD = "Bench@2026x"
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PHONE_BASE = 17700000000
NAME_RE = re.compile(r"压测会员\d{6}")


def reset_database(url):
    """Drop every table of a server database so the migrations start clean."""
    from sqlalchemy import MetaData, create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        meta = MetaData()
        meta.reflect(bind=conn)
        for table in reversed(meta.sorted_tables):
            table.drop(conn)
        if conn.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    engine.dispose()


def build_app(url):
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.filters import FilterEqual
    from flask_appbuilder.models.sqla.interface import SQLAInterface
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import sync_permissions
    from app.models.member import Member
    from app.seed import seed_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "TESTING": True})
    with app.app_context():
        upgrade(revision="heads")
        sync_permissions()
        seed_demo()
        mid = merchant_a()

        class StockMemberView(ModelView):
            """The baseline: Flask-AppBuilder as it comes, same table, search and order."""

            datamodel = SQLAInterface(Member)
            list_columns = ["nickname", "phone", "level", "tags", "order_count", "total_spend",
                            "points", "last_order_at", "source", "status", "created_at"]
            search_columns = ["status", "level", "last_order_at", "order_count", "points",
                              "total_spend", "created_at", "nickname", "phone", "tags",
                              "source"]
            base_filters = [["merchant_id", FilterEqual, mid]]
            base_order = ("created_at", "desc")

        app.appbuilder.add_view_no_menu(StockMemberView)
        sync_permissions()
        grant_owner(app, "StockMemberView")
    return app


def merchant_a():
    from sqlalchemy import select

    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    with platform_scope():
        return db.session.execute(select(StaffUser.merchant_id).where(
            StaffUser.phone == OWNER_PHONE)).scalar_one()


def grant_owner(app, view_name):
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
        role = sm.add_role("bench-stock-view")
        sm.add_permission_role(role, sm.find_permission_view_menu("can_list", view_name))
        owner.roles.append(role)
        db.session.commit()


def seed_members(count):
    """``count`` members of merchant A by Core inserts: levels, sources, 1 % blacklisted,
    2 % carrying one tag, activity spread over two years. Returns the filter values."""
    from datetime import timedelta
    from decimal import Decimal

    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.base import china_now
    from app.models.member import Member, MemberLevel, MemberTag, member_tag_link
    from app.tenancy import platform_scope

    mid = merchant_a()
    sources = ("official", "mini", "h5", "store", "import")
    with platform_scope():
        levels = db.session.execute(select(MemberLevel.id).where(
            MemberLevel.merchant_id == mid).order_by(MemberLevel.experience_threshold)
        ).scalars().all()
        tag = db.session.execute(select(MemberTag.id).where(MemberTag.merchant_id == mid)
                                 .order_by(MemberTag.id)).scalars().first()
        start = (db.session.execute(select(Member.id).order_by(Member.id.desc()).limit(1)
                                    ).scalar() or 0) + 1
        now = china_now()
        chunk = 10_000
        for base in range(0, count, chunk):
            ids = range(start + base, start + min(base + chunk, count))
            rows = []
            for i in ids:
                n = i - start
                rows.append(dict(
                    id=i, merchant_id=mid, nickname=f"压测会员{n:06d}",
                    phone=str(PHONE_BASE + n), gender="unknown", source=sources[n % 5],
                    # the top level for 5 %, the rest spread over the others
                    level_id=levels[-1] if n % 20 == 0 else levels[n % (len(levels) - 1)],
                    experience=n % 5000, points=(n * 7919) % 10000,
                    status="blacklist" if n % 100 == 7 else "normal",
                    created_at=now - timedelta(minutes=(n * 7) % (730 * 1440)),
                    last_login_at=None, order_count=(n * 31) % 100,
                    total_spend=Decimal((n * 104729) % 1000000) / 100,
                    last_order_at=now - timedelta(minutes=(n * 13) % (180 * 1440))))
            db.session.execute(insert(Member.__table__), rows)
            db.session.execute(insert(member_tag_link), [
                dict(member_id=i, tag_id=tag) for i in ids if (i - start) % 50 == 3])
        db.session.commit()
    return {"top_level": levels[-1], "tag": tag, "now": now}


def filters(values):
    """(label, our query string, the stock view's query string)."""
    from datetime import timedelta

    now = values["now"]
    recent_order = (now - timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    recent_join = (now - timedelta(days=7)).strftime("%Y-%m-%d %H:%M:%S")
    return [
        ("默认列表（无筛选）", "", ""),
        ("账号状态 = 黑名单", "_flt_0_status=blacklist", "_flt_3_status=blacklist"),
        ("会员等级 = 最高级", f"_flt_0_level={values['top_level']}",
         f"_flt_0_level={values['top_level']}"),
        ("最新下单时间 近 3 天", f"_flt_0_last_order_at={recent_order}",
         f"_flt_1_last_order_at={recent_order}"),
        ("成交单数 > 95", "_flt_1_order_count=95", "_flt_1_order_count=95"),
        ("积分 > 9800", "_flt_1_points=9800", "_flt_1_points=9800"),
        ("消费总额 > 9800", "_flt_1_total_spend=9800", "_flt_1_total_spend=9800"),
        ("注册时间 近 7 天", f"_flt_0_created_at={recent_join}",
         f"_flt_1_created_at={recent_join}"),
        ("昵称 开头是", "_flt_0_nickname=压测会员0012", "_flt_0_nickname=压测会员0012"),
        ("手机号 开头是", "_flt_0_phone=17700012", "_flt_0_phone=17700012"),
        ("标签 = 一个标签", f"_flt_0_tags={values['tag']}", f"_flt_0_tags={values['tag']}"),
        ("注册来源 = 门店", "_flt_0_source=store", "_flt_3_source=store"),
    ]


def log_in(client):
    html = client.get("/login/").get_data(as_text=True)
    token = TOKEN_RE.search(html).group(1)
    response = client.post("/login/", data={"username": OWNER_PHONE, "password": OWNER_PASSWORD,
                                            "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit("bench: login failed")


class StatementCounter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args, **kwargs):
        self.count += 1


def measure(client, counter, url, repeat, may_fail=False):
    """(best seconds, statements of one request, the page), or None when the stock page
    fails (FAB 5.3 compares a Numeric column with a text parameter: PostgreSQL refuses)."""
    try:
        response = client.get(url)  # warm-up, and the page must render
    except Exception:  # noqa: BLE001 - TESTING propagates the stock view's database error
        if not may_fail:
            raise
        return None
    if response.status_code != 200:
        if may_fail:
            return None
        raise SystemExit(f"bench: {url} answered {response.status_code}")
    times, statements = [], None
    for _ in range(repeat):
        before = counter.count
        began = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - began)
        statements = counter.count - before
    return min(times), statements, response.get_data(as_text=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db-url", default="")
    args = parser.parse_args()
    url = args.db_url or "sqlite:///" + os.path.join(WORKDIR, "bench.db")
    if args.db_url:
        reset_database(url)
    from app.extensions import db

    app = build_app(url)
    try:
        began = time.perf_counter()
        with app.app_context():
            values = seed_members(args.members)
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
            dialect = db.engine.dialect.name
            counter = StatementCounter(db.engine)
        seeded = time.perf_counter() - began
        client = app.test_client()
        log_in(client)
        results = []
        for label, ours_q, stock_q in filters(values):
            ours = measure(client, counter, f"/memberview/list/?{ours_q}", args.repeat)
            stock = measure(client, counter, f"/stockmemberview/list/?{stock_q}", args.repeat,
                            may_fail=True)
            results.append((label, ours, stock))
        print(f"全部会员列表 benchmark: {dialect}, {args.members:,} members "
              f"(seeded in {seeded:.1f} s), page 1, best of {args.repeat}")
        print(f"{'filter':<20} {'ours':>9} {'stock':>9} {'ratio':>6} {'stmts':>6} "
              f"{'stock stmts':>11}")
        worst, mismatched = 0, []
        for label, (t_ours, s_ours, page), stock in results:
            if stock is None:
                print(f"{label:<20} {t_ours * 1000:>7.1f}ms {'error':>9} {'-':>6} {s_ours:>6} "
                      f"{'-':>11} {len(NAME_RE.findall(page)):>5} rows (stock page failed)")
                continue
            t_stock, s_stock, stock_page = stock
            ratio = t_ours / t_stock
            worst = max(worst, ratio)
            # Both pages must list the same members in the same order (the filter applied).
            rows = NAME_RE.findall(page)
            if rows != NAME_RE.findall(stock_page):
                mismatched.append(label)
            print(f"{label:<20} {t_ours * 1000:>7.1f}ms {t_stock * 1000:>7.1f}ms "
                  f"{ratio:>6.2f} {s_ours:>6} {s_stock:>11} {len(rows):>5} rows")
        print(f"worst ratio {worst:.2f}")
        if mismatched:
            print("pages differ from the stock view: " + ", ".join(mismatched))
            return 1
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(WORKDIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
