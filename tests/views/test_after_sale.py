"""售后管理: the buyer applies through the shop API, the merchant handles it in the console,
following the second guide's flows for 仅退款, 退货退款 and 换货."""
from decimal import Decimal

from sqlalchemy import select

from tests.conftest import merchant_id
from tests.views.fulfilment_fixtures import (MERCHANT_A, MERCHANT_B, get, make_order, rows,
                                             wechat_order, wechat_pay)


def _headers(app, member_id, merchant=MERCHANT_A):
    from app.extensions import db
    from app.models.member import Member
    from app.services import member as members
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        token = members.issue_member_token(db.session.get(Member, member_id))
    return {"Authorization": f"Bearer {token}"}


def _apply(client, headers, order_no, **body):
    return client.post(f"/api/v1/orders/{order_no}/after-sales", json=body, headers=headers)


def _handle(client, pk, **form):
    form["csrf_token"] = client.csrf("/fulfilment/batch/")
    return client.post(f"/aftersaleview/handle/{pk}", data=form)


def _row(app, no):
    from app.models.fulfilment import AfterSale

    return rows(app, select(AfterSale).where(AfterSale.after_sale_no == no))[0]


def test_refund_only_agree_refunds_the_card(app, client, login_as):
    from app.extensions import db
    from app.models.member import Member, StoredValueCard
    from app.models.order import OrderItem
    from app.services import stored_value
    from app.tenancy import tenant_scope

    order_id, (apple, _banana), order_no, member_id = make_order(
        app, status="shipped", payment="stored_value")
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        card_id = stored_value.issue_card(db.session, db.session.get(Member, member_id)).id
        db.session.commit()
    headers = _headers(app, member_id)
    response = _apply(client, headers, order_no, order_item_id=apple, type="refund_only",
                      quantity=1, reason="坏了一个", amount="10.01")
    assert response.status_code == 422 and "不能超过 10.00 元" in response.get_json()["error"]
    response = _apply(client, headers, order_no, order_item_id=apple, type="refund_only",
                      quantity=1, reason="坏了一个")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["status"], body["amount"]) == ("pending", "10.00")
    # One open after-sale per item.
    again = _apply(client, headers, order_no, order_item_id=apple, type="refund_only",
                   quantity=1, reason="再来")
    assert again.status_code == 409 and "已有进行中的售后申请" in again.get_json()["error"]
    row = _row(app, body["after_sale_no"])
    owner = login_as("owner_a")
    listing = owner.get("/aftersaleview/list/").get_data(as_text=True)
    assert body["after_sale_no"] in listing and "仅退款" in listing
    assert _handle(owner, row.id, op="agree").status_code == 302
    row = _row(app, body["after_sale_no"])
    assert row.status == "completed" and row.refund_id
    assert get(app, StoredValueCard, card_id).balance == Decimal("10.00")
    assert get(app, OrderItem, apple).refunded_quantity == 1
    # Handled: a second 同意 names the state.
    response = _handle(owner, row.id, op="agree")
    assert response.status_code == 409
    assert "售后单当前状态为「已完成」，不能同意" in response.get_data(as_text=True)


def test_return_refund_flow_with_wechat(app, client, login_as, wechat):
    from app.models.fulfilment import Refund

    wechat_pay(app, wechat)
    order_id, (apple, _b), order_no, member_id = make_order(app, status="completed")
    wechat_order(app, wechat, order_no, "25.00")
    headers = _headers(app, member_id)
    body = _apply(client, headers, order_no, order_item_id=apple, type="return_refund",
                  quantity=2, reason="不新鲜", description="有照片").get_json()
    owner = login_as("owner_a")
    row = _row(app, body["after_sale_no"])
    # 同意 needs the return address; the error sits at the field.
    response = _handle(owner, row.id, op="agree", return_address="")
    assert response.status_code == 422 and "请填写退货地址" in response.get_data(as_text=True)
    assert _handle(owner, row.id, op="agree",
                   return_address="杭州市西湖区文三路 1 号 鲜果时光 收").status_code == 302
    # The buyer sees the address and enters the return waybill.
    progress = client.get(f"/api/v1/after-sales/{body['after_sale_no']}", headers=headers)
    assert progress.get_json()["status"] == "awaiting_return"
    assert "文三路" in progress.get_json()["return_address"]
    bad = client.post(f"/api/v1/after-sales/{body['after_sale_no']}/return",
                      json={"courier": "顺丰速运", "waybill_no": "x"}, headers=headers)
    assert bad.status_code == 422 and "运单号格式不正确" in bad.get_json()["error"]
    sent = client.post(f"/api/v1/after-sales/{body['after_sale_no']}/return",
                       json={"courier": "顺丰速运", "waybill_no": "SF5550001"}, headers=headers)
    assert sent.status_code == 200 and sent.get_json()["status"] == "returned"
    page = owner.get(f"/aftersaleview/handle/{row.id}").get_data(as_text=True)
    assert "SF5550001" in page and "确认收货并退款" in page
    assert _handle(owner, row.id, op="receive_refund").status_code == 302
    row = _row(app, body["after_sale_no"])
    assert row.status == "completed"
    refund = get(app, Refund, row.refund_id)
    assert (refund.method, refund.amount, refund.status) == ("wechat", Decimal("20.00"),
                                                             "succeeded")


def test_exchange_flow_and_reject(app, client, login_as):
    order_id, (apple, banana), order_no, member_id = make_order(app, status="shipped")
    headers = _headers(app, member_id)
    body = _apply(client, headers, order_no, order_item_id=banana, type="exchange",
                  quantity=1, reason="发错规格").get_json()
    assert body["amount"] == "0.00"
    owner = login_as("owner_a")
    row = _row(app, body["after_sale_no"])
    _handle(owner, row.id, op="agree", return_address="杭州仓")
    client.post(f"/api/v1/after-sales/{body['after_sale_no']}/return",
                json={"courier": "中通快递", "waybill_no": "ZT777000"}, headers=headers)
    response = _handle(owner, row.id, op="receive_reship", reship_courier="中通快递",
                       reship_waybill="")
    assert response.status_code == 422 and "请填写运单号" in response.get_data(as_text=True)
    assert _handle(owner, row.id, op="receive_reship", reship_courier="中通快递",
                   reship_waybill="ZT888000").status_code == 302
    row = _row(app, body["after_sale_no"])
    assert (row.status, row.reship_waybill) == ("reshipped", "ZT888000")
    done = client.post(f"/api/v1/after-sales/{body['after_sale_no']}/confirm", headers=headers)
    assert done.get_json()["status"] == "completed"
    # 驳回 with a reason the buyer reads.
    body = _apply(client, headers, order_no, order_item_id=apple, type="refund_only",
                  quantity=1, reason="想退").get_json()
    row = _row(app, body["after_sale_no"])
    response = _handle(owner, row.id, op="reject", reject_reason="")
    assert response.status_code == 422 and "请填写驳回原因" in response.get_data(as_text=True)
    assert _handle(owner, row.id, op="reject", reject_reason="已过售后期").status_code == 302
    progress = client.get(f"/api/v1/after-sales/{body['after_sale_no']}", headers=headers)
    assert progress.get_json()["status"] == "rejected"
    assert progress.get_json()["reject_reason"] == "已过售后期"


def test_apply_refusals(app, client):
    _id, (apple, _b), unshipped_no, member_id = make_order(app)
    headers = _headers(app, member_id)
    response = _apply(client, headers, unshipped_no, order_item_id=apple,
                      type="return_refund", quantity=1, reason="x")
    assert response.status_code == 409
    assert "订单当前状态为「待发货」，不能申请该售后" in response.get_json()["error"]
    response = _apply(client, headers, unshipped_no, order_item_id=apple, type="refund_only",
                      quantity=3, reason="x")
    assert response.status_code == 422 and "最多可申请 2 件" in response.get_json()["error"]
    # Another member's order, another merchant's order: not found.
    _i, _items, other_no, _other = make_order(app)
    assert _apply(client, headers, other_no, order_item_id=apple, type="refund_only",
                  quantity=1, reason="x").status_code == 404
    _i, _items, b_no, _b_member = make_order(app, MERCHANT_B)
    assert _apply(client, headers, b_no, order_item_id=apple, type="refund_only",
                  quantity=1, reason="x").status_code == 404
    assert client.get("/api/v1/after-sales/AS000", headers=headers).status_code == 404
    assert client.post(f"/api/v1/orders/{unshipped_no}/after-sales",
                       json={}).status_code == 401


def test_after_sale_search_by_guide_fields(app, client, login_as):
    _id, (apple, _b), order_no, member_id = make_order(app, status="shipped",
                                                       phone="13566660001")
    body = _apply(client, _headers(app, member_id), order_no, order_item_id=apple,
                  type="refund_only", quantity=1, reason="搜索测试").get_json()
    owner = login_as("owner_a")
    for flt in (f"_flt_0_order_no={order_no}", f"_flt_0_after_sale_no={body['after_sale_no']}",
                "_flt_0_receiver_phone=13812345678", "_flt_0_product_name=苹果",
                "_flt_0_type=refund_only", "_flt_0_status=pending"):
        page = owner.get(f"/aftersaleview/list/?{flt}").get_data(as_text=True)
        assert body["after_sale_no"] in page, flt
    page = owner.get("/aftersaleview/list/?_flt_0_order_no=NOPE").get_data(as_text=True)
    assert body["after_sale_no"] not in page
    # Merchant B sees nothing of it.
    assert body["after_sale_no"] not in login_as("owner_b").get(
        "/aftersaleview/list/").get_data(as_text=True)
