"""全部订单 in the console: quick tabs with pending counts, the sidebar badge, 高级搜索 over
the guide's fields, 导出 Excel with two sheets, 查看/备注/星标/关闭, the 到店核销 button, home
cards, and tenant isolation."""
import io
import re

from sqlalchemy import func, select

from app.extensions import db
from app.tenancy import tenant_scope
from tests.conftest import merchant_id
from tests.views.order_fixtures import auth, make_product, new_member, place

A, B = "鲜果时光", "茶语小铺"


def _count(app, merchant=A, **where):
    from app.models.order import Order

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        query = select(func.count(Order.id))
        for key, value in where.items():
            query = query.where(getattr(Order, key) == value)
        return db.session.execute(query).scalar()


def _order_nos(html):
    return re.findall(r'class="md-order-no" href="/orderview/show/\d+">([^<]+)<', html)


def _place(app, client, merchant=A, **product):
    _pid, sku = make_product(app, merchant, **product)
    _mid, token = new_member(app, merchant)
    data = place(client, app, token, [(sku, 1)], merchant=merchant).get_json()
    return data["order_no"], token


def _pk(app, order_no, merchant=A):
    from app.models.order import Order

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        return db.session.execute(select(Order.id).where(Order.order_no == order_no)).scalar()


def test_tabs_show_pending_counts_and_the_sidebar_total(app, login_as):
    owner = login_as("owner_a")
    html = owner.get("/orderview/list/").get_data(as_text=True)
    waiting = _count(app, status="awaiting_shipment")
    requested = _count(app, status="cancel_requested")
    for label in ("近三个月", "未付款", "待发货", "已发货", "已完成", "已关闭", "退单申请", "星标订单"):
        assert label in html
    tab = re.search(r'data-tab="awaiting_shipment">.*?</li>', html, re.S).group(0)
    assert f'md-tab-count">{waiting}<' in tab
    tab = re.search(r'data-tab="cancel_requested">.*?</li>', html, re.S).group(0)
    assert f'md-tab-count">{requested}<' in tab
    assert f'id="md-nav-badge-orders">{waiting + requested}<' in html


def test_status_tab_lists_only_that_state(app, login_as):
    owner = login_as("owner_a")
    html = owner.get("/orderview/list/?_flt_0_status=completed&psize_OrderView=100")
    html = html.get_data(as_text=True)
    assert len(_order_nos(html)) == _count(app, status="completed") > 0
    assert re.search(r'class="active" data-tab="completed"', html)


def test_starred_tab(app, login_as):
    from app.models.order import Order

    owner = login_as("owner_a")
    html = owner.get("/orderview/list/?_flt_1_star_color=1&psize_OrderView=100").get_data(
        as_text=True)
    with app.app_context(), tenant_scope(merchant_id(app, A)):
        starred = db.session.execute(select(func.count(Order.id)).where(
            Order.star_color.isnot(None))).scalar()
    assert starred > 0 and len(_order_nos(html)) == starred


def test_search_by_order_number_phone_and_product(app, client, login_as):
    from app.models.order import Order, OrderItem

    order_no, _token = _place(app, client)
    owner = login_as("owner_a")
    for query in (f"_flt_0_order_no={order_no}", f"_flt_1_order_no={order_no[:18]}"):
        found = _order_nos(owner.get(f"/orderview/list/?{query}").get_data(as_text=True))
        assert order_no in found
    with app.app_context(), tenant_scope(merchant_id(app, A)):
        order = db.session.execute(select(Order).where(Order.order_no == order_no)).scalar()
        item = db.session.execute(select(OrderItem).where(OrderItem.order_id == order.id)
                                  ).scalar()
        name, product_id, code = item.product_name, item.product_id, item.product_code
    for query in (f"_flt_0_product_name={name}", f"_flt_0_product_id={product_id}",
                  f"_flt_0_product_code={code}", "_flt_0_receiver_phone=13912340000",
                  "_flt_0_receiver_name=张三"):
        found = _order_nos(owner.get(f"/orderview/list/?{query}&psize_OrderView=100")
                           .get_data(as_text=True))
        assert order_no in found, query
    assert _order_nos(owner.get("/orderview/list/?_flt_0_product_name=不存在的商品")
                      .get_data(as_text=True)) == []
    bad = owner.get("/orderview/list/?_flt_0_product_id=abc")
    assert bad.status_code == 302  # "筛选条件无效", not a 500


def test_search_by_waybill_number(app, client, login_as):
    from app.models.base import china_now
    from app.models.fulfilment import Shipment

    order_no, _token = _place(app, client)
    pk = _pk(app, order_no)
    with app.app_context(), tenant_scope(merchant_id(app, A)):
        db.session.add(Shipment(order_id=pk, kind="courier", courier_name="顺丰速运",
                                waybill_no="SF1234567890", shipped_at=china_now()))
        db.session.commit()
    owner = login_as("owner_a")
    found = _order_nos(owner.get("/orderview/list/?_flt_0_waybill_no=SF1234567890")
                       .get_data(as_text=True))
    assert found == [order_no]


def test_member_link_filter(app, client, login_as):
    order_no, _token = _place(app, client)
    from app.models.order import Order

    with app.app_context(), tenant_scope(merchant_id(app, A)):
        member_id = db.session.execute(select(Order.member_id).where(
            Order.order_no == order_no)).scalar()
    owner = login_as("owner_a")
    found = _order_nos(owner.get(f"/orderview/list/?_flt_0_member={member_id}")
                       .get_data(as_text=True))
    assert found == [order_no]


def test_export_has_an_orders_sheet_and_an_items_sheet(app, login_as):
    from python_calamine import CalamineWorkbook

    from app.models.order import Order, OrderItem

    owner = login_as("owner_a")
    response = owner.get("/orderview/export/?_flt_0_status=completed")
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.data))
    assert book.sheet_names == ["订单", "订单商品"]
    orders = book.get_sheet_by_name("订单").to_python()
    items = book.get_sheet_by_name("订单商品").to_python()
    with app.app_context(), tenant_scope(merchant_id(app, A)):
        expected = db.session.execute(select(Order.order_no).where(
            Order.status == "completed")).scalars().all()
        item_count = db.session.execute(select(func.count(OrderItem.id)).join(
            Order, Order.id == OrderItem.order_id).where(Order.status == "completed")).scalar()
    assert orders[0][0] == "订单编号" and orders[0][1] == "订单状态"
    assert sorted(str(r[0]) for r in orders[1:]) == sorted(expected)
    assert {r[1] for r in orders[1:]} == {"已完成"}
    assert len(items) - 1 == item_count and items[0][3] == "商品名称"
    assert {str(r[0]) for r in items[1:]} <= set(expected)


def test_export_neutralises_formulas(app, client, login_as):
    from python_calamine import CalamineWorkbook

    _pid, sku = make_product(app)
    _mid, token = new_member(app)
    data = place(client, app, token, [(sku, 1)], buyer_note="=HYPERLINK(\"x\")").get_json()
    owner = login_as("owner_a")
    response = owner.get(f"/orderview/export/?_flt_0_order_no={data['order_no']}")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.data)).get_sheet_by_index(
        0).to_python()
    note_col = rows[0].index("买家留言")
    assert rows[1][note_col] == "'=HYPERLINK(\"x\")"


def test_note_and_star(app, client, login_as):
    order_no, _token = _place(app, client)
    pk = _pk(app, order_no)
    owner = login_as("owner_a")
    token = owner.csrf(f"/orderview/show/{pk}")
    owner.post(f"/orderview/note/{pk}", data={"merchant_note": "周末送达", "csrf_token": token})
    owner.post(f"/orderview/star/{pk}", data={"star_color": "blue", "csrf_token": token})
    bad = owner.post(f"/orderview/star/{pk}", data={"star_color": "pink", "csrf_token": token},
                     follow_redirects=True)
    assert "请选择星标颜色" in bad.get_data(as_text=True)
    html = owner.get(f"/orderview/show/{pk}").get_data(as_text=True)
    assert "周末送达" in html and '<option value="blue" selected>' in html
    assert "备注" in html and "星标" in html  # logged


def test_close_unpaid_order_in_the_console(app, client, login_as):
    order_no, _token = _place(app, client, strategy="on_order", stock=3)
    pk = _pk(app, order_no)
    owner = login_as("owner_a")
    token = owner.csrf(f"/orderview/show/{pk}")
    empty = owner.post(f"/orderview/close/{pk}", data={"reason": "", "csrf_token": token},
                       follow_redirects=True)
    assert "请填写关闭原因" in empty.get_data(as_text=True)
    owner.post(f"/orderview/close/{pk}", data={"reason": "顾客要求", "csrf_token": token})
    assert _count(app, order_no=order_no, status="closed") == 1


def test_pickup_order_shows_the_verification_button(app, client, login_as):
    _pid, sku = make_product(app, delivery="store")
    member_id, token = new_member(app)
    data = place(client, app, token, [(sku, 1)], delivery_method="pickup", receiver=None,
                 payment_method="stored_value").get_json()
    from app.models.member import Member
    from app.services import stored_value

    with app.app_context(), tenant_scope(merchant_id(app, A)):
        card = stored_value.issue_card(db.session, db.session.get(Member, member_id))
        stored_value.recharge(db.session, card, "100")
        db.session.commit()
    pk = _pk(app, data["order_no"])
    owner = login_as("owner_a")
    unpaid = owner.get(f"/orderview/show/{pk}").get_data(as_text=True)
    assert 'id="md-verify"' not in unpaid  # only paid orders wait for 核销
    client.post(f"/api/v1/orders/{data['order_no']}/pay", headers=auth(token))
    html = owner.get(f"/orderview/show/{pk}").get_data(as_text=True)
    code = data["verification_code"]
    if "VerificationDeskView.desk" in app.view_functions:
        assert re.search(rf'id="md-verify" href="[^"]*code={code}"', html)
    else:
        assert 'id="md-verify"' not in html


def test_other_merchant_cannot_see_or_touch_orders(app, client, login_as):
    order_no, _token = _place(app, client)
    pk = _pk(app, order_no)
    other = login_as("owner_b")
    assert other.get(f"/orderview/show/{pk}").status_code == 404
    token = other.csrf("/orderview/list/")
    for path in (f"/orderview/note/{pk}", f"/orderview/star/{pk}", f"/orderview/close/{pk}",
                 f"/orderview/price/{pk}"):
        response = other.post(path, data={"merchant_note": "x", "star_color": "red",
                                          "reason": "x", "new_total": "1", "csrf_token": token})
        assert response.status_code == 404, path
    assert _order_nos(other.get(f"/orderview/list/?_flt_0_order_no={order_no}").get_data(
        as_text=True)) == []
    export = other.get(f"/orderview/export/?_flt_0_order_no={order_no}")
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.data)).get_sheet_by_index(
        0).to_python()
    assert len(rows) == 1  # headers only
    assert _count(app, order_no=order_no, merchant_note=None) == 1


def test_staff_without_permission_is_refused(app, login_as):
    verifier = login_as("verifier_a")
    assert verifier.get("/orderview/list/").status_code in (302, 403)
    html = verifier.get("/").get_data(as_text=True)
    assert 'id="card-orders"' not in html and "md-nav-badge-orders" not in html


def test_manager_sees_orders_and_home_cards(app, login_as):
    manager = login_as("manager_a")
    assert manager.get("/orderview/list/").status_code == 200
    html = manager.get("/").get_data(as_text=True)
    card = re.search(r'id="card-orders">.*?</section>', html, re.S).group(0)
    assert "待处理订单" in card and "昨日总订单" in card and "昨日总付款" in card
