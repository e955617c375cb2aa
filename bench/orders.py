"""全部订单 at scale: list pages, searches and the two-sheet export, each as a ratio to a
baseline measured in the same run, on SQLite or PostgreSQL.

Seeds ``--orders`` orders (default 1,000,000) with one item each for three merchants (A
holds 90 %, B and C 5 % each) by Core inserts on a throwaway database built by the
migrations plus the demo data, logs in as merchant A's owner and measures (best of
``--repeat``):

* 全部订单 (OrderView) pages: default, 待发货 (status), sorted by 下单时间, page 1,000, and
  searches by order number and by phone; baseline: a stock Flask-AppBuilder ModelView over
  the same table (exact count, FAB's default filters: ILIKE for text) with a merchant base
  filter. Ratio = ours / stock (lower is better);
* SQL statements of each of our pages at page sizes 20 and 100 (must not grow);
* 导出 of 100,000 orders (orders sheet + items sheet) to a file with constant_memory, as
  the 任务中心 job writes it; baseline: xlsxwriter writing the same rows from Python lists
  to a file in the same mode. Ratio = our throughput / xlsxwriter's (higher is better);
  and the export's peak Python memory growth (tracemalloc).

    .venv/bin/python bench/orders.py [--orders 1000000] [--repeat 3] [--keep]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/md_bench]
        [--reuse <URL of a database an earlier run seeded>] [--parts lists,export]

The PostgreSQL database must exist and is emptied first (never point it at real data).
Shared parts (app, baseline view, timing, statement counts) are in bench/common.py.
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.common import (OWNER_B_PHONE, OWNER_PHONE, StatementCounter, add_stock_view,  # noqa: E402
                          analyze, best, build_app, close, get_ok, log_in, merchant_id,
                          sqlite_url, workdir)

WORKDIR = workdir("orders")
EXPORT_ROWS = 100_000
MEMBERS_PER_MERCHANT = 2_000
CHUNK = 10_000


def build(url, fresh=True):
    from app.models.order import Order

    app = build_app(url, fresh=fresh, EXPORT_SYNC_LIMIT=10 * EXPORT_ROWS)
    add_stock_view(app, "StockOrderView", Order, page_size=20, list_columns=[
        "order_no", "member", "paid_amount", "payment_method", "delivery_method", "status",
        "logistics_status", "created_at"],
        search_columns=["status", "order_no", "receiver_phone", "created_at"])
    return app


def third_merchant():
    from app.extensions import db
    from app.models.merchant import Merchant
    from app.models.shop import Shop
    from app.security import OWNER_ROLE
    from app.services import merchant as merchant_service
    from app.tenancy import platform_scope
    from flask import current_app

    with platform_scope():
        merchant = Merchant(name="压测商家C", contact_phone="13700009999")
        merchant_service.create_merchant(db.session, merchant=merchant,
                                         owner_role=current_app.appbuilder.sm.find_role(
                                             OWNER_ROLE))
        db.session.flush()
        db.session.add(Shop(merchant_id=merchant.id, name="压测商城C"))
        db.session.commit()
        return merchant.id


STATUSES = ["completed"] * 5 + ["shipped", "awaiting_shipment", "unpaid", "closed",
                                "cancel_requested"]


def seed_orders(total):
    """Orders with one item each: A 90 %, B and C 5 %. A's newest order is ``start`` and
    each next one a second older, so A's newest ``k`` orders are the created_at range
    ``(start - k s, start]``. ``start`` is a day before the oldest demo order, so no demo
    order falls in such a range whatever the time of day."""
    from datetime import timedelta
    from decimal import Decimal

    from sqlalchemy import func, insert, select

    from app.extensions import db
    from app.models.base import china_now
    from app.models.member import Member
    from app.models.order import Order, OrderItem
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    a = merchant_id(OWNER_PHONE)
    b = merchant_id(OWNER_B_PHONE)
    c = third_merchant()
    with platform_scope():
        oldest = db.session.execute(select(func.min(Order.created_at))).scalar()
    start = ((oldest or china_now()) - timedelta(days=1)).replace(microsecond=0)
    shares = [(a, total * 90 // 100), (b, total * 5 // 100)]
    shares.append((c, total - sum(n for _m, n in shares)))
    with platform_scope():
        next_id = (db.session.execute(select(Order.id).order_by(Order.id.desc()).limit(1)
                                      ).scalar() or 0) + 1
        for mid, count in shares:
            shop = db.session.execute(select(Shop.id).where(Shop.merchant_id == mid)
                                      .order_by(Shop.id).limit(1)).scalar()
            db.session.execute(insert(Member.__table__), [dict(
                merchant_id=mid, nickname=f"压测买家{k}", phone=f"15{mid:02d}{k:07d}",
                gender="unknown", source="h5", status="normal", experience=0, points=0,
                order_count=0, total_spend=0, created_at=start) for k in range(
                MEMBERS_PER_MERCHANT)])
            members = db.session.execute(select(Member.id).where(
                Member.merchant_id == mid, Member.nickname.startswith("压测买家"))
                .order_by(Member.id)).scalars().all()
            for base in range(0, count, CHUNK):
                ids = range(next_id + base, next_id + min(base + CHUNK, count))
                orders, items = [], []
                for n, oid in enumerate(ids, start=base):
                    status = STATUSES[n % len(STATUSES)]
                    price = Decimal(10 + n % 90)
                    created = start - timedelta(seconds=n)
                    paid = created + timedelta(minutes=3) if status not in (
                        "unpaid", "closed") else None
                    orders.append(dict(
                        id=oid, merchant_id=mid, order_no=f"{mid:02d}{n:012d}", shop_id=shop,
                        member_id=members[n % len(members)], status=status,
                        logistics_status="shipped" if status in ("shipped", "completed")
                        else "not_shipped", payment_method="wechat",
                        delivery_method="courier", goods_total=price, freight=0,
                        campaign_discount=0, coupon_discount=0, level_discount=0,
                        points_deduction=0, paid_amount=price, points_used=0, points_paid=0,
                        receiver_name=f"收货人{n % 5000}", receiver_phone=f"139{n:08d}"[-11:],
                        receiver_province="浙江省", receiver_city="杭州市",
                        receiver_district="西湖区", receiver_address=f"文三路 {n} 号",
                        payment_no=f"4200{n:016d}" if paid else None, created_at=created,
                        paid_at=paid))
                    items.append(dict(
                        merchant_id=mid, order_id=oid, product_id=1 + n % 500, sku_id=1,
                        product_name=f"压测商品{n % 500:04d}", spec_text="默认", image=None,
                        product_type="normal", unit_price=price, quantity=1, line_total=price,
                        discount_share=0, shipped_quantity=0, refunded_quantity=0,
                        stock_taken=1))
                db.session.execute(insert(Order.__table__), orders)
                db.session.execute(insert(OrderItem.__table__), items)
                db.session.commit()
            next_id += count
    return start


def seeded_start():
    """``start`` of the run that seeded this database: A's order number 0."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.order import Order
    from app.tenancy import platform_scope

    a = merchant_id(OWNER_PHONE)
    with platform_scope():
        return db.session.execute(select(Order.created_at).where(
            Order.merchant_id == a, Order.order_no == f"{a:02d}{0:012d}")).scalar_one()


def bench_lists(app, client, repeat, total):
    from app.extensions import db

    # (label, our query, stock query): stock FAB's filter indexes for text are
    # 0 starts-with (ILIKE 'x%'), 3 equal; our status/phone are 0 equal, order_no 1 prefix.
    order_no = f"{merchant_id_cached['a']:02d}{total // 2:012d}"
    pages = [
        ("默认列表", "", ""),
        ("待发货", "?_flt_0_status=awaiting_shipment", "?_flt_3_status=awaiting_shipment"),
        ("按下单时间排序", "?_oc_OrderView=created_at&_od_OrderView=asc",
         "?_oc_StockOrderView=created_at&_od_StockOrderView=asc"),
        ("第 1000 页", "?page_OrderView=999", "?page_StockOrderView=999"),
        ("订单号搜索", f"?_flt_1_order_no={order_no[:12]}", f"?_flt_0_order_no={order_no[:12]}"),
        ("手机号搜索", "?_flt_0_receiver_phone=13900000777",
         "?_flt_3_receiver_phone=13900000777"),
    ]
    with app.app_context():
        counter = StatementCounter(db.engine)
    rows = []
    for label, ours_q, stock_q in pages:
        ours = f"/orderview/list/{ours_q}"
        stock = f"/stockorderview/list/{stock_q}"
        for url in (ours, stock):
            get_ok(client, url)()
        sep = "&" if ours_q else "?"
        statements = (counter.of(client, ours),
                      counter.of(client, f"{ours}{sep}psize_OrderView=100"))
        rows.append((label, best(get_ok(client, ours), repeat),
                     best(get_ok(client, stock), repeat), statements))
    return rows


merchant_id_cached = {}


def bench_export(app, client, start, repeat, rows=EXPORT_ROWS):
    import tracemalloc
    from datetime import timedelta

    import xlsxwriter
    from flask_login import login_user
    from flask import g

    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    # A's newest EXPORT_ROWS bench orders: created_at > start - EXPORT_ROWS s (filter 0)
    # and < start + 1 s (filter 1); the demo orders are all newer.
    since = (start - timedelta(seconds=rows)).strftime("%Y-%m-%d %H:%M:%S")
    until = (start + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    query = f"?_flt_0_created_at={since}&_flt_1_created_at={until}"
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "OrderView")
    with app.app_context(), platform_scope():
        owner = db.session.execute(db.select(StaffUser).where(
            StaffUser.phone == OWNER_PHONE)).scalar_one()
        owner_id = owner.id

    # An export this big runs as a 任务中心 job, which writes to a file (app/workers/
    # tasks.py): xlsxwriter's constant_memory mode (a stream would need in_memory mode,
    # which keeps every cell). The baseline writes a file in the same mode.
    ours_path = os.path.join(WORKDIR, "export.xlsx")
    base_path = os.path.join(WORKDIR, "baseline.xlsx")

    def run_ours(measure_memory=False):
        with app.test_request_context("/orderview/export/" + query):
            user = db.session.get(StaffUser, owner_id)
            login_user(user)
            g.user = user
            if measure_memory:
                tracemalloc.start()
            count = view.write_export(ours_path)
            peak = tracemalloc.get_traced_memory()[1] if measure_memory else 0
            if measure_memory:
                tracemalloc.stop()
            db.session.rollback()
            return count, peak

    def check():
        count, _peak = run_ours()
        if count != rows:
            raise SystemExit(f"bench: export wrote {count} orders, expected {rows}")

    check()
    with app.test_request_context("/orderview/export/" + query):
        user = db.session.get(StaffUser, owner_id)
        login_user(user)
        g.user = user
        from app.views.order_export import ITEM_SHEET, ORDER_SHEET
        from app.models.member import Member
        from app.models.order import Order, OrderItem

        orders = view.filtered_orders()
        order_rows = [tuple(r) for r in orders.outerjoin(
            Member, Member.id == Order.member_id).with_entities(
            *[e for e, _h, _c in ORDER_SHEET])]
        item_rows = [tuple(r) for r in orders.join(
            OrderItem, OrderItem.order_id == Order.id).with_entities(
            *[e for e, _h, _c in ITEM_SHEET])]
        db.session.rollback()

    def baseline():
        book = xlsxwriter.Workbook(base_path, {"constant_memory": True})
        for rows in (order_rows, item_rows):
            sheet = book.add_worksheet()
            for r, row in enumerate(rows):
                sheet.write_row(r, 0, row)
        book.close()

    ours_time = best(check, repeat)
    base_time = best(baseline, repeat)
    _count, peak = run_ours(measure_memory=True)
    return ours_time, base_time, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL URL to run on (emptied first); default: SQLite")
    parser.add_argument("--keep", action="store_true",
                        help="keep the SQLite database afterwards (its path is printed)")
    parser.add_argument("--reuse", default="",
                        help="measure again on a database an earlier run seeded and kept "
                             "(a URL; --orders must match that run)")
    parser.add_argument("--parts", default="lists,export", help="lists, export or both")
    parser.add_argument("--export-rows", type=int, default=EXPORT_ROWS,
                        help="orders to export (the issue: 100,000)")
    args = parser.parse_args()
    if args.orders * 0.9 < args.export_rows + 1000:
        raise SystemExit(f"bench: --orders must be at least {(args.export_rows + 1000) / 0.9:,.0f} "
                         f"(A exports {args.export_rows:,})")
    url = args.reuse or args.database_url or sqlite_url(WORKDIR)
    parts = set(args.parts.split(","))
    from app.extensions import db

    app = build(url, fresh=not args.reuse)
    try:
        began = time.perf_counter()
        with app.app_context():
            merchant_id_cached["a"] = merchant_id(OWNER_PHONE)
            dialect = db.engine.dialect.name
            if args.reuse:
                start = seeded_start()
            else:
                print(f"bench: app built ({dialect}), seeding {args.orders:,} orders...",
                      file=sys.stderr, flush=True)
                start = seed_orders(args.orders)
        analyze(app)  # also on --reuse: a database kept before statistics existed
        seeded = time.perf_counter() - began
        client = app.test_client()
        log_in(client)
        print(f"bench: seeded in {seeded:.0f} s, timing pages...", file=sys.stderr, flush=True)
        lists = bench_lists(app, client, args.repeat, args.orders * 90 // 100) \
            if "lists" in parts else []
        # The page table first (flushed): the export takes the longest.
        print(f"全部订单 benchmark: {dialect}, {args.orders:,} orders (A 90 %), one item each "
              f"(seeded in {seeded:.1f} s), best of {args.repeat}, load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        if lists:
            print(f"{'page':<16} {'ours':>9} {'stock FAB':>10} {'ratio':>7}  "
                  f"statements (20 / 100 rows)")
        for label, mine, stock, statements in lists:
            print(f"{label:<16} {mine * 1000:>7.1f}ms {stock * 1000:>8.1f}ms "
                  f"{mine / stock:>7.2f}  {statements[0]} / {statements[1]}", flush=True)
        if "export" in parts:
            print("bench: timing the export...", file=sys.stderr, flush=True)
            ours, base, peak = bench_export(app, client, start, args.repeat, args.export_rows)
            print(f"导出 {args.export_rows:,} orders + items: ours {ours:.2f} s, xlsxwriter from "
                  f"lists {base:.2f} s, throughput ratio {base / ours:.2f}, "
                  f"peak Python memory +{peak / 1024 / 1024:.1f} MB")
    finally:
        if args.keep and not args.database_url:
            print(f"bench: kept {url}", file=sys.stderr)
        close(app, None if args.keep else WORKDIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
