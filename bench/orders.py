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
* 导出 of 100,000 orders (orders sheet + items sheet, constant_memory); baseline:
  xlsxwriter writing the same rows from Python lists. Ratio = our throughput / xlsxwriter's
  (higher is better); and the export's peak Python memory growth (tracemalloc).

    .venv/bin/python bench/orders.py [--orders 1000000] [--repeat 3]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/md_bench_orders]

The PostgreSQL database must exist and is emptied first (never point it at real data).
"""
import argparse
import io
import os
import re
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WORKDIR = tempfile.mkdtemp(prefix="md-bench-orders-")
os.environ["MD_INSTANCE_DIR"] = WORKDIR  # read by config.py at import: keep ./instance clean

OWNER_PHONE = "13800000001"
OWNER_PASSWORD = "Bench@2026x"
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
EXPORT_ROWS = 100_000
MEMBERS_PER_MERCHANT = 2_000
CHUNK = 10_000


def build_app(url):
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.filters import FilterEqual
    from flask_appbuilder.models.sqla.interface import SQLAInterface
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import sync_permissions
    from app.models.order import Order
    from app.seed import seed_demo
    from tests.conftest import reset_database

    reset_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "TESTING": True,
                      "EXPORT_SYNC_LIMIT": 10 * EXPORT_ROWS})
    with app.app_context():
        upgrade(revision="heads")
        sync_permissions()
        seed_demo()
        mid = merchant_id(OWNER_PHONE)

        class StockOrderView(ModelView):
            """The baseline: Flask-AppBuilder as it comes, same table and columns."""

            datamodel = SQLAInterface(Order)
            list_columns = ["order_no", "member", "paid_amount", "payment_method",
                            "delivery_method", "status", "logistics_status", "created_at"]
            search_columns = ["status", "order_no", "receiver_phone", "created_at"]
            base_filters = [["merchant_id", FilterEqual, mid]]
            base_order = ("created_at", "desc")
            page_size = 20

        app.appbuilder.add_view_no_menu(StockOrderView)
        sync_permissions()
        grant_owner(app, "StockOrderView")
    return app


def merchant_id(phone):
    from sqlalchemy import select

    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    with platform_scope():
        return db.session.execute(select(StaffUser.merchant_id).where(
            StaffUser.phone == phone)).scalar_one()


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
        role = sm.add_role("bench-stock-orders")
        sm.add_permission_role(role, sm.find_permission_view_menu("can_list", view_name))
        owner.roles.append(role)
        db.session.commit()


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
    each next one a second older, so "the newest 100,000" is a created_at range."""
    from datetime import timedelta
    from decimal import Decimal

    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.base import china_now
    from app.models.member import Member
    from app.models.order import Order, OrderItem
    from app.models.shop import Shop
    from app.tenancy import platform_scope

    a = merchant_id(OWNER_PHONE)
    b = merchant_id("13900000002")
    c = third_merchant()
    start = china_now().replace(microsecond=0)
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


def log_in(client):
    html = client.get("/login/").get_data(as_text=True)
    token = TOKEN_RE.search(html).group(1)
    response = client.post("/login/", data={"username": OWNER_PHONE, "password": OWNER_PASSWORD,
                                            "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit("bench: login failed")


def best(func, repeat):
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        func()
        times.append(time.perf_counter() - began)
    return min(times)


def get_ok(client, url):
    def run():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"bench: {url} answered {response.status_code}")
    return run


class StatementCounter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args):
        self.count += 1

    def of(self, client, url):
        get_ok(client, url)()  # warm (permission cache is per request anyway)
        self.count = 0
        get_ok(client, url)()
        return self.count


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


def bench_export(app, client, start, repeat):
    import tracemalloc
    from datetime import timedelta

    import xlsxwriter
    from flask_login import login_user
    from flask import g

    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    since = (start - timedelta(seconds=EXPORT_ROWS)).strftime("%Y-%m-%d %H:%M:%S")
    query = f"?_flt_0_created_at={since}"
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "OrderView")
    with app.app_context(), platform_scope():
        owner = db.session.execute(db.select(StaffUser).where(
            StaffUser.phone == OWNER_PHONE)).scalar_one()
        owner_id = owner.id

    def run_ours(measure_memory=False):
        with app.test_request_context("/orderview/export/" + query):
            user = db.session.get(StaffUser, owner_id)
            login_user(user)
            g.user = user
            stream = io.BytesIO()
            if measure_memory:
                tracemalloc.start()
            count = view.write_export(stream)
            peak = tracemalloc.get_traced_memory()[1] if measure_memory else 0
            if measure_memory:
                tracemalloc.stop()
            db.session.rollback()
            return count, peak

    count, _peak = run_ours()
    if count != EXPORT_ROWS:
        raise SystemExit(f"bench: export wrote {count} orders, expected {EXPORT_ROWS}")
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
        book = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True,
                                                  "in_memory": True})
        for rows in (order_rows, item_rows):
            sheet = book.add_worksheet()
            for r, row in enumerate(rows):
                sheet.write_row(r, 0, row)
        book.close()

    ours_time = best(lambda: run_ours(), repeat)
    base_time = best(baseline, repeat)
    _count, peak = run_ours(measure_memory=True)
    return ours_time, base_time, peak


def dialect_of(url):
    return url.split(":", 1)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL URL to run on (emptied first); default: SQLite")
    args = parser.parse_args()
    if args.orders * 0.9 < EXPORT_ROWS + 1000:
        raise SystemExit("bench: --orders must be at least 113,000 (A exports 100,000)")
    url = args.database_url or "sqlite:///" + os.path.join(WORKDIR, "bench.db")
    from app.extensions import db

    app = build_app(url)
    try:
        print(f"bench: app built ({dialect_of(url)}), seeding {args.orders:,} orders...",
              file=sys.stderr, flush=True)
        began = time.perf_counter()
        with app.app_context():
            merchant_id_cached["a"] = merchant_id(OWNER_PHONE)
            start = seed_orders(args.orders)
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
            dialect = db.engine.dialect.name
        seeded = time.perf_counter() - began
        client = app.test_client()
        log_in(client)
        print(f"bench: seeded in {seeded:.0f} s, timing pages...", file=sys.stderr, flush=True)
        lists = bench_lists(app, client, args.repeat, args.orders * 90 // 100)
        print("bench: timing the export...", file=sys.stderr, flush=True)
        ours, base, peak = bench_export(app, client, start, args.repeat)
        print(f"全部订单 benchmark: {dialect}, {args.orders:,} orders (A 90 %), one item each "
              f"(seeded in {seeded:.1f} s), best of {args.repeat}")
        print(f"{'page':<16} {'ours':>9} {'stock FAB':>10} {'ratio':>7}  statements (20 / 100 rows)")
        for label, mine, stock, statements in lists:
            print(f"{label:<16} {mine * 1000:>7.1f}ms {stock * 1000:>8.1f}ms "
                  f"{mine / stock:>7.2f}  {statements[0]} / {statements[1]}")
        print(f"导出 {EXPORT_ROWS:,} orders + items: ours {ours:.2f} s, xlsxwriter from lists "
              f"{base:.2f} s, throughput ratio {base / ours:.2f}, "
              f"peak Python memory +{peak / 1024 / 1024:.1f} MB")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(WORKDIR, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
