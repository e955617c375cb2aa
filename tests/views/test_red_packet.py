"""微红包 end to end: the pool and its ledger, 线下充值 by the platform, 充值 by WeChat Native
pay with a signed notification, 设置活动基本信息, 新增活动 (reserved from the pool), draws
through the shop API, payouts by the loopback WeChat fake (NOTENOUGH, retry, sync, returned
packets back into the pool), ending an activity, the lists, and every bad input with its
Chinese message and nothing moved."""
import random
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.conftest import merchant_id
from tests.fakes.wechat import from_xml
from tests.views.red_packet_fixtures import (MERCHANT_A, MERCHANT_B, SP_MCH_ID, SP_APPID,
                                             as_merchant, auth, fund_pool, new_activity,
                                             new_member, platform_pay, pool_balance)  # noqa: F401

TIERS = [("5", "10"), ("2", "30"), ("1", "40")]


def _activity(app, activity_id, merchant=MERCHANT_A):
    from app.models.red_packet import RedPacketActivity

    with as_merchant(app, merchant) as session:
        row = session.get(RedPacketActivity, activity_id)
        session.expunge(row)
        return row


def _payouts(app, merchant=MERCHANT_A):
    from app.models.red_packet import RedPacketPayout

    with as_merchant(app, merchant) as session:
        rows = session.execute(select(RedPacketPayout).order_by(RedPacketPayout.id)).scalars()
        return [(p.id, p.status, p.amount, p.mch_billno, p.error) for p in rows]


# -- the pool --------------------------------------------------------------------------------
def test_debit_and_credit_pool_are_conditional_and_idempotent(app):
    from app.services import red_packet as service

    mid = merchant_id(app, MERCHANT_B)
    before, _sum = pool_balance(app, MERCHANT_B)
    with as_merchant(app, MERCHANT_B) as session:
        key = uuid.uuid4().hex
        assert service.credit_pool(session, mid, Decimal("10"), "offline", None, key, note="x")
        assert not service.credit_pool(session, mid, Decimal("10"), "offline", None, key)
        assert not service.debit_pool(session, mid, before + Decimal("10.01"), "game", "g1",
                                      uuid.uuid4().hex)
        debit_key = uuid.uuid4().hex
        assert service.debit_pool(session, mid, Decimal("3.50"), "game", "g1", debit_key)
        assert service.debit_pool(session, mid, Decimal("3.50"), "game", "g1", debit_key)
        session.commit()
    balance, ledger = pool_balance(app, MERCHANT_B)
    assert balance == before + Decimal("6.50") and balance == ledger


def test_platform_offline_credit_needs_a_note(app, login_as):
    client = login_as("platform")
    mid = merchant_id(app, MERCHANT_B)
    before, _ = pool_balance(app, MERCHANT_B)
    page = client.get(f"/platform/redpacket-pools/credit/{mid}")
    assert page.status_code == 200 and "线下充值" in page.get_data(as_text=True)
    token = client.csrf(f"/platform/redpacket-pools/credit/{mid}")
    key = uuid.uuid4().hex
    refused = client.post(f"/platform/redpacket-pools/credit/{mid}",
                          data={"csrf_token": token, "amount": "100", "note": "", "key": key})
    assert "请填写备注" in refused.get_data(as_text=True)
    assert pool_balance(app, MERCHANT_B)[0] == before
    done = client.post(f"/platform/redpacket-pools/credit/{mid}",
                       data={"csrf_token": token, "amount": "100", "note": "转账流水 8839",
                             "key": key})
    assert done.status_code == 302
    again = client.post(f"/platform/redpacket-pools/credit/{mid}",
                        data={"csrf_token": token, "amount": "100", "note": "转账流水 8839",
                              "key": key})
    assert again.status_code == 302
    balance, ledger = pool_balance(app, MERCHANT_B)
    assert balance == before + 100 and balance == ledger
    # A merchant cannot reach the platform page.
    owner = login_as("owner_b")
    assert owner.get(f"/platform/redpacket-pools/credit/{mid}").status_code in (302, 403, 404)


# -- recharge by WeChat Native pay ----------------------------------------------------------
def test_recharge_under_two_yuan_is_refused(app, login_as):
    from app.models.red_packet import RedPacketRecharge

    client = login_as("owner_a")
    token = client.csrf("/redpacket/recharges/new")
    for amount in ("1.99", "abc", "-5", "2.001"):
        page = client.post("/redpacket/recharges/new", data={"csrf_token": token,
                                                             "amount": amount})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "充值金额不能少于 2 元" in text or "金额" in text
    assert "充值金额不能少于 2 元" in client.post(
        "/redpacket/recharges/new", data={"csrf_token": token, "amount": "1.99"}
    ).get_data(as_text=True)
    with as_merchant(app) as session:
        assert session.execute(select(func.count(RedPacketRecharge.id)).where(
            RedPacketRecharge.amount < 2)).scalar() == 0


def test_native_recharge_and_signed_notification_credit_once(app, login_as, client,
                                                             platform_pay, wechat):
    from app.models.red_packet import RedPacketRecharge

    owner = login_as("owner_a")
    before, _ = pool_balance(app)
    token = owner.csrf("/redpacket/recharges/new")
    response = owner.post("/redpacket/recharges/new", data={"csrf_token": token,
                                                             "amount": "20.00"})
    assert response.status_code == 302 and "/redpacket/recharges/pay/" in response.location
    sent = [from_xml(r["body"]) for r in wechat.received("/pay/unifiedorder")]
    assert len(sent) == 1 and sent[0]["trade_type"] == "NATIVE" and sent[0]["total_fee"] == "2000"
    assert sent[0]["notify_url"].endswith("/wechat/platform/pay/notify")
    page = owner.get(response.location).get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page and "支付成功后本页自动刷新" in page
    with as_merchant(app) as session:
        recharge = session.execute(select(RedPacketRecharge).order_by(
            RedPacketRecharge.id.desc())).scalars().first()
        out_trade_no, recharge_id = recharge.out_trade_no, recharge.id
        assert recharge.code_url.startswith("weixin://wxpay/bizpayurl")
    status = owner.get(f"/redpacket/recharges/status/{recharge_id}").get_json()
    assert status["status"] == "pending"

    # A forged notification (wrong key) and a wrong amount move nothing.
    forged = wechat.payment_notification(SP_MCH_ID, SP_APPID, out_trade_no, 2000,
                                         key="F" * 32)
    assert client.post("/wechat/platform/pay/notify", data=forged).status_code == 400
    wrong = wechat.payment_notification(SP_MCH_ID, SP_APPID, out_trade_no, 200)
    assert client.post("/wechat/platform/pay/notify", data=wrong).status_code == 400
    assert pool_balance(app)[0] == before

    body = wechat.payment_notification(SP_MCH_ID, SP_APPID, out_trade_no, 2000,
                                       sign_type="HMAC-SHA256")
    first = client.post("/wechat/platform/pay/notify", data=body)
    again = client.post("/wechat/platform/pay/notify", data=body)
    assert first.status_code == 200 and b"SUCCESS" in first.data
    assert again.status_code == 200 and b"SUCCESS" in again.data
    balance, ledger = pool_balance(app)
    assert balance == before + Decimal("20.00") and balance == ledger
    status = owner.get(f"/redpacket/recharges/status/{recharge_id}").get_json()
    assert status["status"] == "paid"
    # Another merchant cannot see the recharge.
    assert login_as("owner_b").get(
        f"/redpacket/recharges/status/{recharge_id}").status_code == 404


def test_recharge_without_platform_account_fails_with_a_reason(app, login_as, wechat):
    owner = login_as("owner_a")
    token = owner.csrf("/redpacket/recharges/new")
    response = owner.post("/redpacket/recharges/new", data={"csrf_token": token,
                                                             "amount": "5"},
                          follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "下单失败" in text


# -- 设置活动基本信息 --------------------------------------------------------------------------
def test_settings_validate_and_sanitize(app, login_as):
    from app.models.red_packet import RedPacketSetting

    client = login_as("owner_a")
    page = client.get("/redpacket/activities/settings").get_data(as_text=True)
    assert "当前已输入0个字符，您还可以输入10000个字符。" in page and "查看示例图" in page
    token = client.csrf("/redpacket/activities/settings")
    good = {"csrf_token": token, "name": "鲜果双十二抢红包", "home_second": "全场满减",
            "home_third": "关注有礼"}
    bad = client.post("/redpacket/activities/settings", data=dict(
        good, name="红", home_third="x" * 51, rules="<p>" + "字" * 10001 + "</p>"))
    text = bad.get_data(as_text=True)
    assert "活动名称请输入2-50个字符" in text and "首页第三栏请输入2-50个字符" in text
    assert "活动规则不能超过 10000 个字符" in text
    with as_merchant(app) as session:
        row = session.execute(select(RedPacketSetting)).scalar()
        assert row is None or row.name != "红"
    ok = client.post("/redpacket/activities/settings", data=dict(
        good, rules='<p onclick="x()">规则<script>alert(1)</script><b>一</b></p>'))
    assert ok.status_code == 302
    with as_merchant(app) as session:
        row = session.execute(select(RedPacketSetting)).scalar()
        assert row.name == "鲜果双十二抢红包" and "<script" not in row.rules
        assert "onclick" not in row.rules and "<b>一</b>" in row.rules


# -- 新增活动 ----------------------------------------------------------------------------------
def _new_form(token, **values):
    data = {"csrf_token": token, "name": "周末红包", "total": "10", "claim_mode": "24h",
            "per_day": "1", "per_member": "3", "tier_amount": ["2", "1"],
            "tier_probability": ["20", "50"]}
    data.update(values)
    return data


def test_new_activity_bad_input_moves_nothing(app, login_as):
    from app.models.red_packet import RedPacketActivity

    fund_pool(app, 50)
    before = pool_balance(app)
    client = login_as("owner_a")
    token = client.csrf("/redpacket/activities/new")
    cases = [
        (dict(name="周"), "活动名称请输入2-20个字符"),
        (dict(name="周" * 21), "活动名称请输入2-20个字符"),
        (dict(total="0.99"), "红包总金额至少设置一元"),
        (dict(tier_amount=["0.5", "1"]), "红包金额不能小于1元"),
        (dict(tier_probability=["-1", "50"]), "中奖概率必须在 0 到 100 之间"),
        (dict(tier_probability=["abc", "50"]), "中奖概率必须是数字"),
        (dict(claim_mode="window", starts_at="2026-12-02T10:00", ends_at="2026-12-01T10:00"),
         "结束时间必须晚于开始时间"),
        (dict(per_day="x"), "请输入整数"),
        (dict(total="5", tier_amount=["6", "1"]), "单个红包金额不能大于红包总金额"),
    ]
    with as_merchant(app) as session:
        count = session.execute(select(func.count(RedPacketActivity.id))).scalar()
    for values, message in cases:
        page = client.post("/redpacket/activities/new", data=_new_form(token, **values))
        assert page.status_code == 200, values
        assert message in page.get_data(as_text=True), (values, message)
    with as_merchant(app) as session:
        assert session.execute(select(func.count(RedPacketActivity.id))).scalar() == count
    assert pool_balance(app) == before


def test_new_activity_needs_the_pool_and_reserves_the_total(app, login_as):
    from app.models.red_packet import RedPacketActivity

    balance, _ = pool_balance(app, MERCHANT_B)
    client = login_as("owner_b")
    token = client.csrf("/redpacket/activities/new")
    short = client.post("/redpacket/activities/new",
                        data=_new_form(token, total=str(balance + 1)))
    assert "新增活动前需先充值" in short.get_data(as_text=True)
    assert pool_balance(app, MERCHANT_B)[0] == balance
    with as_merchant(app, MERCHANT_B) as session:
        assert session.execute(select(RedPacketActivity).where(
            RedPacketActivity.total == balance + 1)).first() is None
    fund_pool(app, 30, MERCHANT_B)
    done = client.post("/redpacket/activities/new", data=_new_form(token, total="30"))
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    balance_after, ledger = pool_balance(app, MERCHANT_B)
    assert balance_after == balance and balance_after == ledger
    detail = client.get(done.location).get_data(as_text=True)
    # 20 % and 50 %: 未中奖 30 %, shown next to the tiers.
    assert "未中奖" in detail and "30.00" in detail and "20.00" in detail
    page = client.get("/redpacket/activities/list/").get_data(as_text=True)
    assert "周末红包" in page and "红包余额" in page
    # FAB's generic add form is closed: it would skip the pool reserve.
    generic = client.post("/redpacket/activities/add", data=_new_form(token, total="1"))
    assert generic.status_code == 302 and generic.location.endswith("/redpacket/activities/new")


def test_probabilities_over_100_are_normalised_on_the_detail_page(app, login_as):
    activity_id = new_activity(app, 10, [("2", "90"), ("1", "60")])
    page = login_as("owner_a").get(f"/redpacket/activities/detail/{activity_id}")
    text = page.get_data(as_text=True)
    assert "60.00" in text and "40.00" in text and "0.00" in text


# -- draws through the shop API ---------------------------------------------------------------
def test_draw_pays_out_through_wechat_and_keeps_the_books(app, client, platform_pay, wechat):
    from app.services import red_packet as service

    activity_id = new_activity(app, 10, [("2", "100")], per_day=3, per_member=4)
    _member_id, token = new_member(app, "13577770001")
    info = client.get(f"/api/v1/red-packets/{activity_id}", headers=auth(token)).get_json()
    assert info["open"] is True and info["tiers"][0]["amount"] == "2.00"
    won = client.post(f"/api/v1/red-packets/{activity_id}/draw", headers=auth(token))
    assert won.status_code == 201, won.get_json()
    data = won.get_json()
    assert data["won"] is True and data["amount"] == "2.00" and data["payout_status"] == "sent"
    sent = [from_xml(r["body"]) for r in wechat.received("/mmpaymkttransfers/sendredpack")]
    assert len(sent) == 1 and sent[0]["total_amount"] == "200"
    assert sent[0]["re_openid"] == "o13577770001openid" and sent[0]["wxappid"] == SP_APPID
    for _ in range(2):
        assert client.post(f"/api/v1/red-packets/{activity_id}/draw",
                           headers=auth(token)).status_code == 201
    over = client.post(f"/api/v1/red-packets/{activity_id}/draw", headers=auth(token))
    assert over.status_code == 422 and "今天的抽奖次数已用完" in over.get_json()["error"]
    activity = _activity(app, activity_id)
    assert activity.remaining == Decimal("4.00") and activity.awarded == Decimal("6.00")
    with as_merchant(app) as session:
        assert activity.total + service.budget_ledger_sum(session, activity_id) \
            - activity.total == activity.remaining
    assert [p[1] for p in _payouts(app)][-3:] == ["sent", "sent", "sent"]


def test_falls_to_a_smaller_tier_then_nothing_when_the_budget_runs_out(app):
    from app.models.member import Member
    from app.services import red_packet as service

    activity_id = new_activity(app, 3, [("2", "100"), ("1", "0")])
    member_id, _token = new_member(app, "13577770002")
    results = []
    with as_merchant(app) as session:
        member = session.get(Member, member_id)
        for _ in range(3):
            row, _payout = service.draw(session, activity_id, member, rng=random.Random(1))
            results.append(row.amount)
        session.commit()
    assert results == [Decimal("2.00"), Decimal("1.00"), Decimal("0.00")]
    assert _activity(app, activity_id).remaining == Decimal("0.00")


def test_draws_outside_the_window_over_the_limit_or_blacklisted_move_nothing(app, client):
    from app.models.base import china_now
    from app.models.member import Member
    from app.services import lottery
    from app.services import red_packet as service

    start = china_now() + timedelta(days=1)
    later = new_activity(app, 5, [("1", "100")])  # 24 hours from now, then moved to tomorrow
    with as_merchant(app) as session:
        from app.models.red_packet import RedPacketActivity

        row = session.get(RedPacketActivity, later)
        row.starts_at, row.ends_at = start, start + timedelta(days=1)
        session.commit()
    _member_id, token = new_member(app, "13577770003")
    early = client.post(f"/api/v1/red-packets/{later}/draw", headers=auth(token))
    assert early.status_code == 422 and early.get_json()["error"] == "活动尚未开始"

    limited = new_activity(app, 5, [("1", "100")], per_member=1)
    assert client.post(f"/api/v1/red-packets/{limited}/draw",
                       headers=auth(token)).status_code == 201
    second = client.post(f"/api/v1/red-packets/{limited}/draw", headers=auth(token))
    assert second.status_code == 422 and "抽奖次数已用完" in second.get_json()["error"]

    black_id, black_token = new_member(app, "13577770004", status="blacklist")
    refused = client.post(f"/api/v1/red-packets/{limited}/draw", headers=auth(black_token))
    assert refused.status_code == 403
    with as_merchant(app) as session:  # the service refuses too, without the API
        member = session.get(Member, black_id)
        try:
            service.draw(session, limited, member)
        except lottery.LotteryError as exc:
            assert exc.code == "blacklisted"
        else:
            raise AssertionError("a blacklisted member drew")
    assert _activity(app, later).remaining == Decimal("5.00")
    assert _activity(app, limited).remaining == Decimal("4.00")


def test_another_merchants_member_cannot_draw(app, client):
    activity_id = new_activity(app, 5, [("1", "100")])
    _member_id, token = new_member(app, "13577770005", merchant=MERCHANT_B)
    response = client.post(f"/api/v1/red-packets/{activity_id}/draw", headers=auth(token))
    assert response.status_code == 404
    assert _activity(app, activity_id).remaining == Decimal("5.00")


# -- payouts ---------------------------------------------------------------------------------
def test_payout_failure_shows_wechats_reason_and_retry_never_pays_twice(
        app, client, login_as, platform_pay, wechat):
    activity_id = new_activity(app, 10, [("3", "100")])
    _member_id, token = new_member(app, "13577770006")
    platform_pay.balance_fen = 100  # the platform account cannot pay 3 yuan
    response = client.post(f"/api/v1/red-packets/{activity_id}/draw", headers=auth(token))
    assert response.status_code == 201 and response.get_json()["payout_status"] == "failed"
    payout_id, status, amount, billno, error = _payouts(app)[-1]
    assert status == "failed" and "余额不足" in error
    page = login_as("owner_a").get("/redpacket/payouts/list/").get_data(as_text=True)
    assert "发放失败" in page and "余额不足" in page

    platform_pay.balance_fen = 1_000_000
    owner = login_as("owner_a")
    token_csrf = owner.csrf("/redpacket/payouts/list/")
    retried = owner.post(f"/redpacket/payouts/action/retry/{payout_id}",
                         data={"csrf_token": token_csrf})
    assert retried.status_code == 302
    assert _payouts(app)[-1][1] == "sent"
    # A second retry of a sent payout is refused; WeChat got one number only.
    owner.post(f"/redpacket/payouts/action/retry/{payout_id}", data={"csrf_token": token_csrf})
    sends = [r for r in wechat.received("/mmpaymkttransfers/sendredpack")
             if billno.encode() in r["body"]]
    assert len(sends) == 2  # the failed attempt and the retry, same mch_billno
    assert len([k for k in wechat.redpacks if k[1] == billno]) == 1
    assert platform_pay.balance_fen == 1_000_000 - 300


def test_sync_marks_claimed_and_returns_refunded_packets_to_the_pool(app, client,
                                                                     platform_pay, wechat):
    from app.workers.red_packet import sync_payouts

    activity_id = new_activity(app, 10, [("2", "100")])
    _m1, token1 = new_member(app, "13577770007")
    _m2, token2 = new_member(app, "13577770008")
    for token in (token1, token2):
        assert client.post(f"/api/v1/red-packets/{activity_id}/draw",
                           headers=auth(token)).get_json()["payout_status"] == "sent"
    (id1, _s1, _a1, bill1, _e1), (id2, _s2, _a2, bill2, _e2) = _payouts(app)[-2:]
    wechat.redpacks[(SP_MCH_ID, bill1)]["status"] = "RECEIVED"
    wechat.redpacks[(SP_MCH_ID, bill2)]["status"] = "REFUND"
    before, _ = pool_balance(app)
    with app.app_context():
        sync_payouts()
        sync_payouts()  # a second run changes nothing
    statuses = {p[0]: p[1] for p in _payouts(app)}
    assert statuses[id1] == "claimed" and statuses[id2] == "returned"
    balance, ledger = pool_balance(app)
    assert balance == before + 2 and balance == ledger


def test_create_payout_is_the_games_interface(app, platform_pay, wechat):
    from app.models.member import Member
    from app.services import red_packet as service
    from app.workers.red_packet import enqueue_payouts

    fund_pool(app, 5)
    member_id, _token = new_member(app, "13577770009")
    before, _ = pool_balance(app)
    mid = merchant_id(app, MERCHANT_A)
    with as_merchant(app) as session:
        assert service.debit_pool(session, mid, Decimal("1.50"), "game", "prize:1",
                                  "game-draw:test:1")
        payout = service.create_payout(session, mid, session.get(Member, member_id),
                                       Decimal("1.50"), "game", "game-draw:1")
        session.commit()
        payout_id = payout.id
        enqueue_payouts([payout_id])
    assert {p[0]: p[1] for p in _payouts(app)}[payout_id] == "sent"
    assert pool_balance(app)[0] == before - Decimal("1.50")


# -- ending --------------------------------------------------------------------------------------
def test_ending_returns_the_unspent_budget_once(app, login_as):
    from app.models.base import china_now
    from app.services import red_packet as service
    from app.workers.red_packet import close_activities

    activity_id = new_activity(app, 7, [("1", "0")])
    before, _ = pool_balance(app)
    owner = login_as("owner_a")
    token = owner.csrf(f"/redpacket/activities/detail/{activity_id}")
    assert owner.post(f"/redpacket/activities/end/{activity_id}",
                      data={"csrf_token": token}).status_code == 302
    owner.post(f"/redpacket/activities/end/{activity_id}", data={"csrf_token": token})
    balance, ledger = pool_balance(app)
    assert balance == before + 7 and balance == ledger
    activity = _activity(app, activity_id)
    assert activity.status == "ended" and activity.remaining == 0
    with as_merchant(app) as session:
        assert service.budget_ledger_sum(session, activity_id) == 0

    # The window closing does the same (the scheduled job).
    expiring = new_activity(app, 4, [("1", "0")])
    with as_merchant(app) as session:
        from app.models.red_packet import RedPacketActivity

        session.get(RedPacketActivity, expiring).ends_at = china_now() - timedelta(minutes=1)
        session.commit()
    before, _ = pool_balance(app)
    with app.app_context():
        assert close_activities() >= 1
    assert pool_balance(app)[0] == before + 4
    assert login_as("owner_b").post(f"/redpacket/activities/end/{expiring}",
                                    data={"csrf_token": token}).status_code in (400, 404)


# -- lists and preview --------------------------------------------------------------------------
def test_lists_export_and_preview(app, client, login_as, platform_pay, wechat):
    activity_id = new_activity(app, 5, [("1", "100")])
    _member_id, token = new_member(app, "13577770010")
    client.post(f"/api/v1/red-packets/{activity_id}/draw", headers=auth(token))
    owner = login_as("owner_a")
    draws = owner.get(f"/redpacket/draws/list/?_flt_0_activity={activity_id}")
    assert draws.status_code == 200 and "红包0010" in draws.get_data(as_text=True)
    export = owner.get(f"/redpacket/draws/export/?_flt_0_activity={activity_id}")
    assert export.status_code == 200 and export.mimetype.endswith("sheet")
    ledger = owner.get("/redpacket/ledger/list/").get_data(as_text=True)
    assert "新增活动" in ledger and "线下充值" in ledger
    listing = owner.get("/redpacket/activities/list/").get_data(as_text=True)
    assert "参与人数" in listing
    preview = owner.get(f"/redpacket/activities/preview/{activity_id}")
    assert preview.status_code == 200 and 'name="viewport"' in preview.get_data(as_text=True)
    before = _activity(app, activity_id).remaining
    tried = owner.post(f"/redpacket/activities/preview/{activity_id}/draw",
                       headers={"X-CSRFToken": owner.csrf("/redpacket/activities/settings")})
    assert tried.status_code == 200 and tried.get_json()["preview"] is True
    assert _activity(app, activity_id).remaining == before
    assert login_as("owner_b").get(
        f"/redpacket/activities/preview/{activity_id}").status_code == 404
