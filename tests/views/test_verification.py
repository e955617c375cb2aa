"""核销台, 核销记录 and 核销统计: typed codes, once only, other merchants' codes, the data
scope (a 分管理员 sees only their own records) and the statistics; the desk also takes
抽奖游戏 gift codes (preview, redeem once, not another merchant's, the desk's permission)."""
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
            (_code(app, b_order, MERCHANT_B), "核销码不存在", 404),
            ("000000000000", "核销码不存在", 404),
            ("<script>", "核销码不存在", 404),
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


# -- 抽奖游戏 gift codes at the 核销台 (issue #8) ---------------------------------------------
_GIFT_PHONES = iter(range(100, 10_000))


def _gift_phone():
    """Phones of the gift-code fixtures: the 1375501xxxx range only."""
    return f"1375501{next(_GIFT_PHONES):04d}"


def _won_gift(app, merchant=None):
    """A 抽奖游戏 physical prize won by a new member of ``merchant`` (A by default):
    returns (its 核销码, draw id, member nickname, member phone)."""
    from app.extensions import db
    from app.models.base import china_now
    from app.models.lottery_game import LotteryGame
    from app.models.member import Member
    from app.services import lottery_game as games
    from app.services import member as members
    from app.tenancy import tenant_scope
    from tests.conftest import merchant_id
    from tests.views.fulfilment_fixtures import MERCHANT_A

    mid = merchant_id(app, merchant or MERCHANT_A)
    with app.app_context(), tenant_scope(mid):
        now = china_now()
        game = games.save_game(db.session, dict(
            name="核销台砸金蛋", game_type="golden_egg", starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=1), per_day=0, total=0, points_cost=0,
            status="active"))
        games.save_prize(db.session, game, dict(name="核销台礼品", kind="gift",
                                                probability="100", stock=5,
                                                amount=Decimal("30")))
        phone = _gift_phone()
        member = members.create_member(db.session, nickname="礼品会员", phone=phone)
        db.session.commit()
        row = games.play(db.session, game=db.session.get(LotteryGame, game.id),
                         member=db.session.get(Member, member.id), now=china_now())
        db.session.commit()
        assert row.result == "won" and row.code
        result = (row.code, row.id, "礼品会员", phone)
        db.session.remove()
    return result


def test_find_code_tells_orders_from_gifts(app):
    """The service: an order code is an order, a gift code (any case) a gift, and another
    merchant's gift code is "核销码不存在" exactly like an unknown code."""
    import pytest

    from app.extensions import db
    from app.models.order import Order
    from app.services import verification
    from app.services.fulfilment import FulfilmentError
    from app.tenancy import tenant_scope
    from tests.conftest import merchant_id
    from tests.views.fulfilment_fixtures import MERCHANT_A

    order_id, _i, _n, _m = make_order(app, delivery="pickup")
    order_code = _code(app, order_id)
    gift_code, draw_id, _nick, _phone = _won_gift(app)
    b_code, _b_id, _bn, _bp = _won_gift(app, MERCHANT_B)
    with app.app_context(), tenant_scope(merchant_id(app, MERCHANT_A)):
        kind, order = verification.find_code(db.session, order_code)
        assert (kind, order.id) == ("order", order_id) and isinstance(order, Order)
        typed = f" {gift_code[:6].lower()}-{gift_code[6:]}"  # as staff might type it
        kind, gift = verification.find_code(db.session, typed)
        assert (kind, gift.id, gift.prize_name) == ("gift", draw_id, "核销台礼品")
        messages = set()
        for code in (b_code, "ABCDEFGHJKLM", "000000000000"):
            with pytest.raises(FulfilmentError) as caught:
                verification.find_code(db.session, code)
            assert caught.value.code == "not_found" and caught.value.status == 404
            messages.add(str(caught.value))
        assert messages == {"核销码不存在"}
        with pytest.raises(FulfilmentError, match="请输入核销码"):
            verification.find_code(db.session, "  ")
        db.session.remove()


def test_desk_previews_and_redeems_a_gift_once(app, login_as):
    from app.models.fulfilment import VerificationRecord
    from app.models.lottery_game import LotteryGameDraw

    code, draw_id, nickname, phone = _won_gift(app)
    records_before = len(rows(app, select(VerificationRecord)))
    verifier = login_as("verifier_a")
    preview = _post(verifier, "/verification/preview", code.lower())
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="md-gift-preview"' in text
    for shown in ("核销台礼品", "核销台砸金蛋", nickname, phone, "确认核销奖品", "未核销"):
        assert shown in text, shown
    assert "确认核销到店" not in text
    assert get(app, LotteryGameDraw, draw_id).redeemed_at is None  # a preview redeems nothing
    done = _post(verifier, "/verification/confirm", code)
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and 'id="md-gift-done"' in text
    assert "核销成功" in text and "核销台礼品" in text and "李核销" in text
    draw = get(app, LotteryGameDraw, draw_id)
    assert draw.redeemed_at is not None and draw.redeemed_by_name == "李核销"
    # once only: a second confirmation (anyone) and the preview say when and by whom
    again = _post(login_as("owner_a"), "/verification/confirm", code)
    text = again.get_data(as_text=True)
    assert again.status_code == 409 and "该奖品已核销" in text and "李核销" in text
    assert draw.redeemed_at.strftime("%Y-%m-%d %H:%M:%S") in text
    assert "确认核销奖品" not in text
    preview = _post(verifier, "/verification/preview", code)
    assert preview.status_code == 409 and "该奖品已核销" in preview.get_data(as_text=True)
    assert get(app, LotteryGameDraw, draw_id).redeemed_at == draw.redeemed_at
    # the orders' 核销记录 are not involved
    assert len(rows(app, select(VerificationRecord))) == records_before


def test_desk_refuses_another_merchants_gift_code(app, login_as):
    from app.models.lottery_game import LotteryGameDraw

    code, draw_id, _nick, _phone = _won_gift(app)
    other = login_as("verifier_b")
    unknown = _post(other, "/verification/confirm", "ABCDEFGHJKLM")
    for response in (_post(other, "/verification/preview", code),
                     _post(other, "/verification/confirm", code), unknown):
        text = response.get_data(as_text=True)
        assert response.status_code == 404 and "核销码不存在" in text
        assert "核销台礼品" not in text and 'id="md-gift-preview"' not in text
    assert get(app, LotteryGameDraw, draw_id).redeemed_at is None


def test_gift_codes_need_the_desks_permission(app, login_as):
    """A staff member who may redeem prizes on the games' page but lacks the desk's 核销
    cannot use the desk for gift codes either."""
    from app.admin import permissions as perms
    from app.extensions import db
    from app.models.lottery_game import LotteryGameDraw
    from app.models.merchant import Merchant, MerchantRole
    from app.security import hash_password
    from app.services import merchant as merchant_service
    from app.tenancy import platform_scope
    from tests.conftest import login
    from tests.views.fulfilment_fixtures import MERCHANT_A

    code, draw_id, _nick, _phone = _won_gift(app)
    phone = _gift_phone()
    with app.app_context(), platform_scope():
        sm = app.appbuilder.sm
        merchant = db.session.execute(select(Merchant).where(
            Merchant.name == MERCHANT_A)).scalar_one()
        role = sm.add_role(f"m{merchant.id}:奖品核销员{phone[-4:]}")
        perms.set_role_permissions(sm, role, {("can_redeem", "LotteryGiftRedeemView"),
                                              ("can_list", "LotteryGameDrawView")})
        db.session.add(MerchantRole(merchant_id=merchant.id, role=role, label="奖品核销员",
                                    description="测试角色"))
        user = merchant_service.new_staff_user(
            merchant=merchant, phone=phone, name="奖品核销员", is_owner=False, roles=[role],
            password_hash=hash_password("Gift@2026x"))
        user.must_change_password = False
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    assert login(client, phone, "Gift@2026x").status_code == 302
    assert client.get("/verification/").status_code in (302, 403)
    from tests.conftest import csrf_token

    token = csrf_token(client, "/lottery-gift/")
    response = client.post("/verification/confirm", data={"csrf_token": token, "code": code})
    assert response.status_code in (302, 403)
    assert get(app, LotteryGameDraw, draw_id).redeemed_at is None
