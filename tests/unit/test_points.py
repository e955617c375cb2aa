"""Points, experience, stored value and commission services on a bare SQLite database:
no Flask app, only the models, the tenant guard and the services."""
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models.member import (BalanceLedger, Member, MemberLevel, PointsLedger, SignIn,
                               StoredValueCard)
from app.models.merchant import Merchant
from app.services import distribution, points, stored_value
from app.services import member as members
from app.services.member import LoyaltyError
from app.tenancy import platform_scope, tenant_scope


@pytest.fixture()
def session():
    import app.models  # noqa: F401  (complete metadata)

    engine = create_engine("sqlite://")

    @event.listens_for(engine, "connect")
    def _fk(conn, _record):
        conn.execute("PRAGMA foreign_keys=ON")

    db.metadata.create_all(engine)
    with Session(engine) as s:
        with platform_scope():
            merchant = Merchant(name="测试商家", contact_phone="13700000000")
            other = Merchant(name="别家", contact_phone="13700000001")
            s.add_all([merchant, other])
            s.commit()
            s.info["merchant_id"], s.info["other_id"] = merchant.id, other.id
        with tenant_scope(merchant.id):
            yield s
    engine.dispose()


def _member(session, phone="13912345678", **fields):
    return members.create_member(session, nickname="测试会员", phone=phone, **fields)


# -- points --------------------------------------------------------------------------------
def test_change_points_writes_ledger_with_balance_after(session):
    member = _member(session)
    points.change_points(session, member, 100, "注册送积分", "register", "k1")
    row = points.change_points(session, member, -30, "兑换", "redeem", "k2")
    session.commit()
    assert member.points == 70
    assert (row.delta, row.balance_after, row.reason, row.source) == (-30, 70, "兑换", "redeem")
    assert session.execute(select(Member.points).where(Member.id == member.id)).scalar() == 70


def test_points_never_go_below_zero(session):
    member = _member(session)
    points.change_points(session, member, 10, "注册", "register", "k1")
    session.commit()
    with pytest.raises(LoyaltyError) as err:
        points.change_points(session, member, -11, "扣减", "admin", "k2")
    assert err.value.code == "insufficient_points" and "当前积分 10" in str(err.value)
    session.rollback()
    assert session.get(Member, member.id).points == 10
    assert session.execute(select(PointsLedger).where(PointsLedger.idempotency_key == "k2")
                           ).first() is None


def test_change_points_is_idempotent_on_key(session):
    member = _member(session)
    first = points.change_points(session, member, 50, "签到", "sign_in", "same")
    again = points.change_points(session, member, 50, "签到", "sign_in", "same")
    session.commit()
    assert first.id == again.id and session.get(Member, member.id).points == 50


@pytest.mark.parametrize("delta", [0, 1.5, "3", True])
def test_change_points_refuses_non_integer_or_zero(session, delta):
    member = _member(session)
    with pytest.raises(LoyaltyError):
        points.change_points(session, member, delta, "x", "admin", "k")


def test_change_points_requires_a_reason(session):
    member = _member(session)
    with pytest.raises(LoyaltyError) as err:
        points.change_points(session, member, 5, "  ", "admin", "k")
    assert err.value.field == "reason"


def test_points_equal_ledger_sum_after_a_random_sequence(session):
    member = _member(session)
    rng = random.Random(20261122)
    refused = 0
    for i in range(400):
        delta = rng.randint(-200, 150) or 1
        key = f"r{rng.randint(0, 300)}"  # repeated keys must not apply twice
        try:
            points.change_points(session, member, delta, "随机", "admin", key)
            session.commit()
        except LoyaltyError:
            session.rollback()
            refused += 1
    balance = session.execute(select(Member.points).where(Member.id == member.id)).scalar()
    assert balance >= 0 and refused > 0
    assert balance == points.ledger_sum(session, member.id)
    last = session.execute(select(PointsLedger).where(PointsLedger.member_id == member.id)
                           .order_by(PointsLedger.id.desc())).scalars().first()
    assert last.balance_after == balance


def test_points_rounding_is_floor():
    assert points.floor_points(Decimal("9.8")) == 9
    assert points.points_for_amount(Decimal("99.90"), Decimal("1")) == 99
    assert points.points_for_amount(Decimal("10"), Decimal("0.15")) == 1


# -- experience and levels -----------------------------------------------------------------
def test_experience_upgrades_level_automatically(session):
    member = _member(session)
    silver = MemberLevel(name="银卡", experience_threshold=300, discount=Decimal("0.98"))
    gold = MemberLevel(name="金卡", experience_threshold=1000, discount=Decimal("0.95"))
    session.add_all([silver, gold])
    session.flush()
    assert member.level.is_default
    members.change_experience(session, member, 299, "消费", "order", "e1")
    assert member.level.is_default
    members.change_experience(session, member, 1, "消费", "order", "e2")
    assert member.level is silver
    members.change_experience(session, member, 5000, "消费", "order", "e3")
    assert member.level is gold and member.experience == 5300


def test_experience_fraction_below_one_rounds_up():
    assert members.experience_for_amount(Decimal("0.02"), Decimal("10")) == 1
    assert members.experience_for_amount(Decimal("1.55"), Decimal("10")) == 15
    assert members.experience_for_amount(Decimal("0"), Decimal("10")) == 0


def test_default_level_cannot_be_deleted(session):
    level = members.ensure_default_level(session)
    with pytest.raises(LoyaltyError):
        members.check_level_delete(session, level)


@pytest.mark.parametrize("zhe,ratio", [("9.5", "0.95"), ("10", "1.00"), ("0.1", "0.01")])
def test_discount_entered_in_zhe(zhe, ratio):
    assert members.discount_from_zhe(zhe) == Decimal(ratio)


@pytest.mark.parametrize("zhe", ["0", "10.5", "-1", "abc", "0.05"])
def test_discount_outside_range_is_refused(zhe):
    with pytest.raises(LoyaltyError) as err:
        members.discount_from_zhe(zhe)
    assert err.value.field == "discount"


def test_id_number_is_validated_and_masked():
    assert members.mask_id_number("11010519491231002X") == "1101**********002X"
    with pytest.raises(LoyaltyError):
        members.mask_id_number("110105194912310021")  # wrong check digit
    with pytest.raises(LoyaltyError):
        members.mask_id_number("12345")


def test_duplicate_phone_is_refused(session):
    _member(session, phone="13900000001")
    with pytest.raises(LoyaltyError) as err:
        _member(session, phone="13900000001")
    assert err.value.field == "phone"


# -- sign-in ---------------------------------------------------------------------------------
def test_sign_in_once_per_day_and_streak_bonus_once(session):
    rule = points.points_rule(session)
    rule.sign_in_points, rule.streak_7_points = 10, 30
    member = _member(session)
    start = date(2026, 3, 1)
    for day in range(7):
        row, credited = points.sign_in(session, member, start + timedelta(days=day))
        session.commit()
        assert row.streak == day + 1
        assert credited == (40 if day == 6 else 10)
    with pytest.raises(LoyaltyError) as err:
        points.sign_in(session, member, start + timedelta(days=6))
    assert err.value.code == "already_signed"
    session.rollback()
    assert session.get(Member, member.id).points == 7 * 10 + 30
    # A gap resets the streak; a new month starts from 1 as well.
    row, _ = points.sign_in(session, member, start + timedelta(days=8))
    assert row.streak == 1
    session.commit()
    assert points.ledger_sum(session, member.id) == session.get(Member, member.id).points


def test_sign_in_streak_restarts_in_a_new_month(session):
    member = _member(session)
    points.sign_in(session, member, date(2026, 3, 31))
    row, _ = points.sign_in(session, member, date(2026, 4, 1))
    assert row.streak == 1


def test_blacklisted_member_cannot_sign_in(session):
    member = _member(session, status="blacklist")
    with pytest.raises(LoyaltyError) as err:
        points.sign_in(session, member, date(2026, 3, 1))
    assert err.value.status == 403


# -- expiry ---------------------------------------------------------------------------------------
def test_points_earned_in_a_year_expire_at_the_end_of_the_next(session):
    rule = points.points_rule(session)
    rule.expire_yearly = True
    member = _member(session)
    points.change_points(session, member, 100, "2024 获得", "order", "a")
    points.change_points(session, member, 50, "2025 获得", "order", "b")
    points.change_points(session, member, -30, "2025 使用", "redeem", "c")
    rows = session.execute(select(PointsLedger).order_by(PointsLedger.id)).scalars().all()
    rows[0].created_at = datetime(2024, 5, 1)
    rows[1].created_at = datetime(2025, 5, 1)
    rows[2].created_at = datetime(2025, 6, 1)
    session.commit()
    assert points.expire_points(session, datetime(2026, 1, 1, 0, 5)) == 1
    session.commit()
    # 100 earned in 2024, 30 used first-in-first-out: 70 expire; the 2025 points stay.
    assert session.get(Member, member.id).points == 50
    assert points.expire_points(session, datetime(2026, 1, 2)) == 0  # idempotent
    expiry = session.execute(select(PointsLedger).where(PointsLedger.source == "expire")
                             ).scalar_one()
    assert (expiry.delta, expiry.balance_after) == (-70, 50)


def test_expiry_does_nothing_when_the_rule_is_off(session):
    member = _member(session)
    points.change_points(session, member, 100, "x", "order", "a")
    session.execute(PointsLedger.__table__.update().values(created_at=datetime(2020, 1, 1)))
    assert points.expire_points(session, datetime(2026, 1, 1)) == 0


# -- stored value ---------------------------------------------------------------------------------
def test_recharge_applies_tier_bonus_as_its_own_line(session):
    from app.models.member import RechargeTier

    session.add_all([RechargeTier(amount=Decimal("100"), bonus=Decimal("10")),
                     RechargeTier(amount=Decimal("500"), bonus=Decimal("80"))])
    card = stored_value.issue_card(session, _member(session))
    row, bonus = stored_value.recharge(session, card, "600", idempotency_key="r1")
    session.commit()
    assert (row.kind, row.delta, bonus.kind, bonus.delta) == (
        "recharge", Decimal("600.00"), "bonus", Decimal("80.00"))
    assert card.balance == Decimal("680.00") and bonus.balance_after == Decimal("680.00")
    again, again_bonus = stored_value.recharge(session, card, "600", idempotency_key="r1")
    assert again.id == row.id and again_bonus.id == bonus.id
    assert stored_value.balance_ledger_sum(session, card.id) == card.balance


def test_deduct_over_balance_is_refused_with_the_balance(session):
    card = stored_value.issue_card(session, _member(session))
    stored_value.recharge(session, card, "20")
    session.commit()
    with pytest.raises(LoyaltyError) as err:
        stored_value.deduct(session, card, "20.01")
    assert "当前余额 20.00 元" in str(err.value)
    session.rollback()
    assert session.get(StoredValueCard, card.id).balance == Decimal("20.00")


def test_frozen_card_cannot_pay(session):
    card = stored_value.issue_card(session, _member(session))
    stored_value.recharge(session, card, "50")
    stored_value.set_frozen(session, card, True)
    with pytest.raises(LoyaltyError) as err:
        stored_value.deduct(session, card, "1")
    assert err.value.code == "card_frozen"


@pytest.mark.parametrize("amount", ["-1", "0", "abc", "1.234", "nan"])
def test_bad_amounts_are_refused(session, amount):
    card = stored_value.issue_card(session, _member(session))
    with pytest.raises(LoyaltyError) as err:
        stored_value.recharge(session, card, amount)
    assert err.value.field == "amount"
    assert session.execute(select(BalanceLedger)).first() is None


def test_one_card_per_member(session):
    member = _member(session)
    stored_value.issue_card(session, member)
    with pytest.raises(LoyaltyError):
        stored_value.issue_card(session, member)


# -- distribution ---------------------------------------------------------------------------------
def test_withdrawal_only_within_commission_balance(session):
    from app.models.member import Distributor

    distributor = Distributor(name="张三", city="北京", phone="13900000009")
    session.add(distributor)
    session.flush()
    distribution.approve_application(session, distributor, "12.5")
    distribution.credit_commission(session, distributor, "100", "订单提成", "O1", "c1")
    distribution.credit_commission(session, distributor, "100", "订单提成", "O1", "c1")
    small = distribution.request_withdrawal(session, distributor, "60")
    # A request may not exceed the balance less the requests still pending ...
    with pytest.raises(LoyaltyError) as err:
        distribution.request_withdrawal(session, distributor, "60")
    assert "当前可提现 40.00 元" in str(err.value)
    # ... and the approval keeps its own guard (a request written by other means).
    from app.models.member import Withdrawal

    big = Withdrawal(merchant_id=distributor.merchant_id, distributor=distributor,
                     amount=Decimal("60.00"), status="pending")
    session.add(big)
    session.flush()
    distribution.approve_withdrawal(session, small)
    session.commit()
    with pytest.raises(LoyaltyError) as err:
        distribution.approve_withdrawal(session, big)
    assert "当前 40.00 元" in str(err.value)
    session.rollback()
    distributor = session.get(Distributor, distributor.id)
    assert distributor.commission_balance == Decimal("40.00")
    assert distribution.commission_ledger_sum(session, distributor.id) == Decimal("40.00")


@pytest.mark.parametrize("rate", ["-1", "100.01", "abc", "1.234"])
def test_commission_rate_limits(rate):
    with pytest.raises(LoyaltyError):
        distribution.check_rate(rate)


def test_reject_needs_a_reason(session):
    from app.models.member import Distributor

    distributor = Distributor(name="李四", city="上海", phone="13900000008")
    session.add(distributor)
    session.flush()
    with pytest.raises(LoyaltyError):
        distribution.reject_application(session, distributor, "")
    distribution.reject_application(session, distributor, "资料不全")
    assert distributor.status == "rejected"


# -- tokens ------------------------------------------------------------------------------------------
def test_member_token_round_trip_and_tampering(session):
    member = _member(session)
    token = members.issue_member_token(member, "secret")
    assert members.read_member_token(token, "secret") == (member.merchant_id, member.id)
    with pytest.raises(LoyaltyError) as err:
        members.read_member_token(token + "x", "secret")
    assert err.value.status == 401
    with pytest.raises(LoyaltyError):
        members.read_member_token(token, "other-secret")


def test_sign_in_rows_are_unique_per_day(session):
    member = _member(session)
    session.add(SignIn(member_id=member.id, sign_date=date(2026, 1, 1)))
    session.flush()
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        session.add(SignIn(member_id=member.id, sign_date=date(2026, 1, 1)))
        session.flush()
