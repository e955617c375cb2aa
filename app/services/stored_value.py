"""储值卡: issue, recharge (with the matching 充返 tier), deduct, freeze, and the ledger.

A card's balance changes only through ``move`` (recharge, deduct, order payment, refunds):
one conditional UPDATE (``balance + :delta >= 0``, card not frozen) and a ``BalanceLedger`` row in the same transaction. Two
cashiers deducting at once can never take a card below zero.
"""
import secrets
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.models.member import BalanceLedger, RechargeTier, StoredValueCard, StoredValueSetting
from app.services.errors import N_
from app.services.member import LoyaltyError, apply_delta, current_value, money, new_key


def matching_tier(session, amount):
    """The highest 充 X 返 Y tier whose X the amount reaches, or None."""
    return session.execute(select(RechargeTier).where(RechargeTier.amount <= amount)
                           .order_by(RechargeTier.amount.desc()).limit(1)).scalar()


def check_tier(session, amount, bonus, tier_id=None):
    """Validated (amount, bonus) of a tier; duplicate amounts refused."""
    amount = money(amount, field="amount")
    bonus = money(bonus, field="bonus", allow_zero=True)
    query = select(RechargeTier.id).where(RechargeTier.amount == amount)
    if tier_id:
        query = query.where(RechargeTier.id != tier_id)
    if session.execute(query.limit(1)).first():
        raise LoyaltyError(N_("已有充值 %(amount)s 元的档位"), code="duplicate_tier",
                           field="amount", amount=amount)
    return amount, bonus


def stored_value_setting(session, merchant_id=None):
    row = session.execute(select(StoredValueSetting).limit(1)).scalar()
    if row is None:
        row = StoredValueSetting(online_signup=False)
        if merchant_id is not None:
            row.merchant_id = merchant_id
        session.add(row)
        session.flush()
    return row


def card_of(session, member):
    return session.execute(select(StoredValueCard).where(
        StoredValueCard.member_id == member.id)).scalar()


def issue_card(session, member):
    """面对面办理储值卡: one card per member."""
    if member.status == "blacklist":
        raise LoyaltyError(N_("该会员在黑名单中，不能办理储值卡"), code="blacklisted",
                           field="phone")
    if card_of(session, member) is not None:
        raise LoyaltyError(N_("该会员已有储值卡"), code="has_card", field="phone")
    card = StoredValueCard(merchant_id=member.merchant_id, member=member,
                           card_no=_card_no(), balance=Decimal("0.00"),
                           total_recharge=Decimal("0.00"), status="active")
    session.add(card)
    session.flush()
    return card


def _card_no():
    return "8" + "".join(secrets.choice("0123456789") for _ in range(15))


def _ledger_row(session, key):
    return session.execute(select(BalanceLedger).where(
        BalanceLedger.idempotency_key == key)).scalar()


def move(session, card, delta, kind, reason, key, operator_id):
    existing = _ledger_row(session, key)
    if existing is not None:
        return existing
    table = StoredValueCard.__table__
    if delta < 0:
        # Frozen cards pay nothing: the condition is part of the same UPDATE.
        stmt = (update(table).where(table.c.id == card.id, table.c.status == "active",
                                    table.c.balance + delta >= 0)
                .values(balance=table.c.balance + delta))
        if session.execute(stmt).rowcount != 1:
            status = current_value(session, table, card.id, "status")
            if status != "active":
                raise LoyaltyError(N_("储值卡已封禁，余额不可使用"), code="card_frozen",
                                   field="amount")
            raise LoyaltyError(N_("余额不足：当前余额 %(balance)s 元，本次划卡 %(amount)s 元"),
                               code="insufficient_balance", field="amount",
                               balance=current_value(session, table, card.id, "balance"),
                               amount=-delta)
        after = current_value(session, table, card.id, "balance")
    else:
        after = apply_delta(session, table, card.id, "balance", delta)
    set_committed_value(card, "balance", after)
    row = BalanceLedger(merchant_id=card.merchant_id, card_id=card.id,
                        member_id=card.member_id, kind=kind, delta=delta,
                        balance_after=after, reason=reason[:100], idempotency_key=key,
                        operator_id=operator_id)
    session.add(row)
    session.flush()
    return row


def recharge(session, card, amount, operator_id=None, idempotency_key=None, reason=None):
    """充值: the amount, then the matching tier's bonus as its own ledger line.
    Returns (recharge row, bonus row or None)."""
    amount = money(amount)
    if card.status != "active":
        raise LoyaltyError(N_("储值卡已封禁，请先解封"), code="card_frozen", field="amount")
    key = idempotency_key or new_key("recharge")
    existing = _ledger_row(session, key)
    if existing is not None:  # a replay: the first call's rows
        return existing, _ledger_row(session, key + ":bonus")
    row = move(session, card, amount, "recharge", reason or "充值", key, operator_id)
    apply_delta(session, StoredValueCard.__table__, card.id, "total_recharge", amount, None)
    tier = matching_tier(session, amount)
    bonus = None
    if tier is not None and tier.bonus > 0:
        bonus = move(session, card, tier.bonus, "bonus",
                      f"充{tier.amount}元返{tier.bonus}元", key + ":bonus", operator_id)
    return row, bonus


def deduct(session, card, amount, operator_id=None, idempotency_key=None, reason=None):
    """划卡: refused when the card is frozen or the balance is short (balance shown)."""
    amount = money(amount)
    return move(session, card, -amount, "deduct", reason or "到店消费划卡",
                 idempotency_key or new_key("deduct"), operator_id)


def set_frozen(session, card, frozen):
    card.status = "frozen" if frozen else "active"
    session.flush()


def balance_ledger_sum(session, card_id):
    return session.execute(select(func.coalesce(func.sum(BalanceLedger.delta), 0)).where(
        BalanceLedger.card_id == card_id)).scalar()


def totals(session, day_start, day_end):
    """Home card: total balance, recharge (incl. bonus) and deductions in [start, end)."""
    total = session.execute(select(func.coalesce(func.sum(StoredValueCard.balance), 0))).scalar()

    def _sum(kinds):
        return session.execute(select(func.coalesce(func.sum(BalanceLedger.delta), 0)).where(
            BalanceLedger.kind.in_(kinds), BalanceLedger.created_at >= day_start,
            BalanceLedger.created_at < day_end)).scalar()

    return {"total": Decimal(total), "recharged": Decimal(_sum(["recharge", "bonus"])),
            "deducted": -Decimal(_sum(["deduct", "order"]))}
