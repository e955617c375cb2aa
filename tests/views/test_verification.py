"""核销台, 核销记录 and 核销统计: typed codes, once only, other merchants' codes, the data
scope (a 分管理员 sees only their own records) and the statistics."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.views.fulfilment_fixtures import MERCHANT_B, get, make_order, rows


def _code(app, order_id, merchant=None):
    from app.models.order import Order

    order = get(app, Order, order_id) if merchant is None else get(app, Order, order_id,
                                                                    merchant)
    return order.verification_code


def _post(client, path, code):
    return client.post(path, data={"csrf_token": client.csrf("/verification/"), "code": code})


def test_verify_once_with_who_and_when(app, login_as):
    from app.models.fulfilment import VerificationRecord
    from app.models.order import Order, OrderLog

    order_id, _items, order_no, _m = make_order(app, delivery="pickup", payment="wechat")
    code = _code(app, order_id)
    verifier = login_as("verifier_a")
    desk = verifier.get("/verification/")
    assert desk.status_code == 200 and "确认核销到店" not in desk.get_data(as_text=True)
    assert 'id="md-scan"' in desk.get_data(as_text=True)
    preview = _post(verifier, "/verification/preview", f" {code[:6]}-{code[6:]} ")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and order_no in text and "确认核销到店" in text
    assert "25.00" in text and "苹果" in text
    done = _post(verifier, "/verification/confirm", code)
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "核销成功" in text and "李核销" in text
    order = get(app, Order, order_id)
    assert order.status == "completed" and order.completed_at is not None
    [record] = rows(app, select(VerificationRecord).where(VerificationRecord.order_id == order_id))
    assert (record.staff_name, record.amount) == ("李核销", Decimal("25.00"))
    log = rows(app, select(OrderLog).where(OrderLog.order_id == order_id))[-1]
    assert log.action == "complete" and code in log.note
    # The second confirmation (anyone) says when and by whom, and changes nothing.
    again = _post(login_as("owner_a"), "/verification/confirm", code)
    text = again.get_data(as_text=True)
    assert again.status_code == 409 and "该订单已核销" in text and "李核销" in text
    assert record.verified_at.strftime("%Y-%m-%d %H:%M:%S") in text
    assert len(rows(app, select(VerificationRecord).where(
        VerificationRecord.order_id == order_id))) == 1
    # The preview of a verified order says so too.
    assert "该订单已核销" in _post(verifier, "/verification/preview", code).get_data(as_text=True)


def test_codes_that_cannot_be_verified(app, login_as):
    verifier = login_as("verifier_a")
    b_order, _i, _n, _m = make_order(app, MERCHANT_B, delivery="pickup")
    for code, message, status in (
            (_code(app, b_order, MERCHANT_B), "订单不存在", 404),
            ("000000000000", "订单不存在", 404),
            ("<script>", "订单不存在", 404),
            ("", "请输入核销码", 422)):
        response = _post(verifier, "/verification/confirm", code)
        assert response.status_code == status, code
        assert message in response.get_data(as_text=True), code
    from app.models.order import Order

    assert get(app, Order, b_order, MERCHANT_B).status == "awaiting_shipment"
    unpaid, _i, _n, _m = make_order(app, status="unpaid", delivery="pickup")
    response = _post(verifier, "/verification/confirm", _code(app, unpaid))
    assert response.status_code == 409
    assert "订单当前状态为「未付款」，不能核销" in response.get_data(as_text=True)


def test_records_scope_and_stats(app, login_as):
    from app.extensions import db
    from app.models.base import china_now
    from app.models.fulfilment import VerificationRecord
    from app.tenancy import tenant_scope
    from tests.conftest import merchant_id

    verifier, manager, owner = login_as("verifier_a"), login_as("manager_a"), login_as("owner_a")
    mine = make_order(app, delivery="pickup")
    theirs = make_order(app, delivery="pickup", items=(("礼盒", 1, "99.00"),))
    assert _post(verifier, "/verification/confirm", _code(app, mine[0])).status_code == 200
    assert _post(manager, "/verification/confirm", _code(app, theirs[0])).status_code == 200
    # Move the manager's record to the 3rd of last month, to see the month filter work.
    last_month = (china_now().replace(day=1) - timedelta(days=1)).replace(day=3, hour=10)
    with app.app_context(), tenant_scope(merchant_id(app, "鲜果时光")):
        record = db.session.execute(select(VerificationRecord).where(
            VerificationRecord.order_no == theirs[2])).scalar_one()
        record.verified_at = last_month
        db.session.commit()
    staff_list = verifier.get("/verificationrecordview/list/").get_data(as_text=True)
    assert mine[2] in staff_list and theirs[2] not in staff_list
    owner_list = owner.get("/verificationrecordview/list/").get_data(as_text=True)
    assert mine[2] in owner_list and theirs[2] in owner_list
    b_list = login_as("owner_b").get("/verificationrecordview/list/").get_data(as_text=True)
    assert mine[2] not in b_list
    # 核销统计: the staff member sees only their own numbers.
    stats = verifier.get("/verification/stats").get_data(as_text=True)
    assert "仅显示本人的核销数据" in stats and "按核销人统计" not in stats
    owner_stats = owner.get("/verification/stats").get_data(as_text=True)
    assert "按核销人统计" in owner_stats and "李核销" in owner_stats
    month = last_month.strftime("%Y-%m")
    page = owner.get(f"/verification/stats?month={month}").get_data(as_text=True)
    assert last_month.date().isoformat() in page and "王店长" in page and "99.00" in page
    # Bad month input falls back to this month instead of failing.
    assert owner.get("/verification/stats?month=abc").status_code == 200


def test_stats_service_numbers(app):
    from app.extensions import db
    from app.models.base import china_now
    from app.services import verification
    from app.tenancy import tenant_scope
    from tests.conftest import merchant_id

    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_B)):
        today = china_now().date()
        before = verification.stats(db.session, month=today.replace(day=1), today=today)
    order_id, _i, _n, _m = make_order(app, MERCHANT_B, delivery="pickup",
                                      items=(("红茶", 3, "12.50"),))
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_B)):
        code = _code(app, order_id, MERCHANT_B)
        verification.verify(db.session, code=code, staff_id=_owner_id(app, MERCHANT_B),
                            staff_name="茶语老板")
        db.session.commit()
        after = verification.stats(db.session, month=today.replace(day=1), today=today)
    assert after["total"][0] == before["total"][0] + 1
    assert after["today"] == (before["today"][0] + 1, before["today"][1] + Decimal("37.50"))
    day = next(d for d in after["days"] if d["day"] == today)
    assert day["count"] >= 1 and day["amount"] >= Decimal("37.50")
    assert len(after["days"]) >= 28
    assert any(s["name"] == "茶语老板" for s in after["per_staff"])


def _owner_id(app, merchant):
    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope
    from tests.conftest import merchant_id

    with app.app_context(), platform_scope():
        return db.session.execute(select(StaffUser.id).where(
            StaffUser.merchant_id == merchant_id(app, merchant),
            StaffUser.is_owner.is_(True))).scalar()


def test_desk_requires_the_permission(app, login_as):
    """A staff member without 核销 is refused; the desk works for the demo 核销员."""
    from app.extensions import db
    from app.models.merchant import StaffUser
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        verifier = db.session.execute(select(StaffUser).where(
            StaffUser.phone == "13800000021")).scalar_one()
        perms = {(p.permission.name, p.view_menu.name) for r in verifier.roles
                 for p in r.permissions}
    assert ("can_verify", "VerificationDeskView") in perms
    assert ("can_list", "VerificationRecordView") in perms
    response = login_as("manager_b").get("/verification/")
    assert response.status_code == 200  # the demo 店长 holds it as well
