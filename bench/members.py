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
its own, never a shared one. Shared parts (app, baseline view, statement counts) are in
bench/common.py.
"""
import argparse
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import (StatementCounter, add_stock_view, analyze, build_app,  # noqa: E402
                          close, log_in, merchant_id, sqlite_url, workdir)

WORKDIR = workdir("members")
PHONE_BASE = 17700000000
NAME_RE = re.compile(r"压测会员\d{6}")


def build(url):
    from app.models.member import Member

    app = build_app(url)
    add_stock_view(app, "StockMemberView", Member, list_columns=[
        "nickname", "phone", "level", "tags", "order_count", "total_spend", "points",
        "last_order_at", "source", "status", "created_at"], search_columns=[
        "status", "level", "last_order_at", "order_count", "points", "total_spend",
        "created_at", "nickname", "phone", "tags", "source"])
    return app


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

    mid = merchant_id()
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
    url = args.db_url or sqlite_url(WORKDIR)
    from app.extensions import db

    app = build(url)
    try:
        began = time.perf_counter()
        with app.app_context():
            values = seed_members(args.members)
            dialect = db.engine.dialect.name
            counter = StatementCounter(db.engine)
        analyze(app)
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
        close(app, WORKDIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
