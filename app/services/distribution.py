"""分销: rules, distributor applications, the commission ledger and withdrawals.

The commission balance changes only through ``credit_commission`` (the orders module calls
it) and ``approve_withdrawal``: a conditional UPDATE plus a ``CommissionLedger`` row.
"""
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.models.base import china_now
from app.models.member import (CommissionLedger, Distributor, DistributionRule, Member,
                               Withdrawal)
from app.services.errors import N_
from app.services.member import LoyaltyError, apply_delta, current_value, money


def distribution_rule(session, merchant_id=None):
    rule = session.execute(select(DistributionRule).limit(1)).scalar()
    if rule is None:
        rule = DistributionRule(default_rate=Decimal("0.00"), show_apply=False)
        if merchant_id is not None:
            rule.merchant_id = merchant_id
        session.add(rule)
        session.flush()
    return rule


def check_rate(value, field="commission_rate"):
    """A commission rate in percent: 0 to 100, at most two decimals."""
    try:
        rate = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise LoyaltyError(N_("请输入 0-100 之间的提成比例"), code="bad_rate", field=field) from None
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise LoyaltyError(N_("提成比例须在 0-100 之间"), code="bad_rate", field=field)
    if rate != rate.quantize(Decimal("0.01")):
        raise LoyaltyError(N_("提成比例最多两位小数"), code="bad_rate", field=field)
    return rate.quantize(Decimal("0.01"))


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise LoyaltyError(N_("请填写原因"), code="no_reason", field="reason")
    if len(reason) > 100:
        raise LoyaltyError(N_("原因最多 100 个字"), code="long_reason", field="reason")
    return reason


APPLY_LIMITS = (("name", 32, N_("请填写姓名"), N_("姓名最多 32 个字")),
                ("city", 32, N_("请填写城市"), N_("城市最多 32 个字")))


def distributor_of(session, member):
    """The member's latest distributor application (or distributor), or None."""
    return session.execute(select(Distributor).where(Distributor.member_id == member.id)
                           .order_by(Distributor.id.desc()).limit(1)).scalar()


def apply_as_distributor(session, member, *, name, city, phone):
    """申请分销商 from the shop: 姓名, 城市, 联系方式 as 申请分销商管理 lists them, while the
    rules show the entry. One open application per member: a pending or approved one is
    refused, a rejected one may apply again (the same row goes back to 待审核)."""
    from app.services.member import check_phone

    rule = distribution_rule(session, member.merchant_id)
    if not rule.show_apply:
        raise LoyaltyError(N_("商家暂未开放分销商申请"), code="apply_closed", status=403)
    values = {"name": (name or "").strip(), "city": (city or "").strip()}
    for field, limit, missing, too_long in APPLY_LIMITS:
        if not values[field]:
            raise LoyaltyError(missing, code="bad_application", field=field)
        if len(values[field]) > limit:
            raise LoyaltyError(too_long, code="bad_application", field=field)
    phone = (phone or "").strip()
    check_phone(phone)
    # One member's applications queue on the member row (no unique key can say "one open
    # application"; a no-op on SQLite, which has one writer).
    session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    existing = distributor_of(session, member)
    if existing is not None and existing.status == "pending":
        raise LoyaltyError(N_("已提交申请，请等待商家审核"), code="already_applied", status=409)
    if existing is not None and existing.status == "approved":
        raise LoyaltyError(N_("您已经是分销商"), code="already_distributor", status=409)
    row = existing or Distributor(merchant_id=member.merchant_id, member_id=member.id)
    row.name, row.city, row.phone = values["name"], values["city"], phone
    row.status, row.reject_reason = "pending", None
    session.add(row)
    session.flush()
    return row


def approve_application(session, distributor, rate=None):
    """通过: the distributor gets ``rate`` or the merchant's default rate."""
    if distributor.status != "pending":
        raise LoyaltyError(N_("该申请已处理"), code="not_pending")
    if rate is None:
        rate = distribution_rule(session, distributor.merchant_id).default_rate
    distributor.commission_rate = check_rate(rate)
    distributor.status = "approved"
    distributor.reject_reason = None
    session.flush()


def reject_application(session, distributor, reason):
    """拒绝, with a reason the applicant sees."""
    if distributor.status != "pending":
        raise LoyaltyError(N_("该申请已处理"), code="not_pending")
    distributor.reject_reason = _reason(reason)
    distributor.status = "rejected"
    session.flush()


def set_commission_rate(session, distributor, rate):
    """设置提成比例, for approved distributors only."""
    if distributor.status != "approved":
        raise LoyaltyError(N_("只能为已通过的分销商设置提成比例"), code="not_approved",
                           field="commission_rate")
    distributor.commission_rate = check_rate(rate)
    session.flush()


def _ledger(session, distributor, delta, kind, reason, ref, key, after):
    row = CommissionLedger(merchant_id=distributor.merchant_id, distributor_id=distributor.id,
                           kind=kind, delta=delta, balance_after=after, reason=reason[:100],
                           ref=ref, idempotency_key=key)
    session.add(row)
    session.flush()
    return row


def credit_commission(session, distributor, amount, reason, ref, idempotency_key):
    """Credit an order's commission to an approved distributor (the orders module calls
    this when an order completes). Idempotent on the key; the caller commits."""
    existing = session.execute(select(CommissionLedger).where(
        CommissionLedger.idempotency_key == idempotency_key)).scalar()
    if existing is not None:
        return existing
    if distributor.status != "approved":
        raise LoyaltyError(N_("分销商未通过审核，不能计入提成"), code="not_approved")
    amount = money(amount)
    table = Distributor.__table__
    after = apply_delta(session, table, distributor.id, "commission_balance", amount)
    apply_delta(session, table, distributor.id, "total_commission", amount, None)
    set_committed_value(distributor, "commission_balance", after)
    return _ledger(session, distributor, amount, "order", reason, ref, idempotency_key, after)


def pending_withdrawals(session, distributor_id):
    """The total of a distributor's withdrawal requests still waiting for review."""
    return session.execute(select(func.coalesce(func.sum(Withdrawal.amount), 0)).where(
        Withdrawal.distributor_id == distributor_id, Withdrawal.status == "pending")).scalar()


def withdrawable(session, distributor):
    """可提现金额: the commission balance less the requests still pending."""
    balance = current_value(session, Distributor.__table__, distributor.id,
                            "commission_balance") or Decimal("0")
    return max(Decimal("0.00"), money(balance, allow_zero=True)
               - money(pending_withdrawals(session, distributor.id), allow_zero=True))


def request_withdrawal(session, distributor, amount):
    """A distributor asks to withdraw (from the shop side); approved later by staff.
    The guides set no minimum: any positive amount in yuan (two decimals) up to the
    commission balance less the requests still pending. Requests of one distributor queue
    on its row, so two at once cannot both claim the same balance."""
    amount = money(amount)
    if distributor.status != "approved":
        raise LoyaltyError(N_("分销商未通过审核"), code="not_approved")
    session.execute(select(Distributor.id).where(Distributor.id == distributor.id)
                    .with_for_update())
    available = withdrawable(session, distributor)
    if amount > available:
        raise LoyaltyError(N_("可提现金额不足：当前可提现 %(available)s 元，申请提现 %(amount)s 元"),
                           code="insufficient_commission", field="amount",
                           available=available, amount=amount)
    row = Withdrawal(merchant_id=distributor.merchant_id, distributor=distributor,
                     amount=amount, status="pending")
    session.add(row)
    session.flush()
    return row


def approve_withdrawal(session, withdrawal):
    """同意提现: only within the distributor's commission balance (conditional UPDATE)."""
    if withdrawal.status != "pending":
        raise LoyaltyError(N_("该提现申请已处理"), code="not_pending")
    distributor = withdrawal.distributor
    table = Distributor.__table__
    stmt = (update(table).where(table.c.id == distributor.id,
                                table.c.commission_balance >= withdrawal.amount)
            .values(commission_balance=table.c.commission_balance - withdrawal.amount))
    if session.execute(stmt).rowcount != 1:
        raise LoyaltyError(N_("可提现提成不足：当前 %(balance)s 元，申请提现 %(amount)s 元"),
                           code="insufficient_commission",
                           balance=current_value(session, table, distributor.id,
                                                 "commission_balance"),
                           amount=withdrawal.amount)
    after = current_value(session, table, distributor.id, "commission_balance")
    set_committed_value(distributor, "commission_balance", after)
    withdrawal.status = "approved"
    withdrawal.reviewed_at = china_now()
    _ledger(session, distributor, -withdrawal.amount, "withdrawal", "提现申请已同意",
            f"W{withdrawal.id}", f"withdrawal:{withdrawal.id}", after)
    session.flush()


def reject_withdrawal(session, withdrawal, reason):
    if withdrawal.status != "pending":
        raise LoyaltyError(N_("该提现申请已处理"), code="not_pending")
    withdrawal.reason = _reason(reason)
    withdrawal.status = "rejected"
    withdrawal.reviewed_at = china_now()
    session.flush()


def commission_ledger_sum(session, distributor_id):
    return session.execute(select(func.coalesce(func.sum(CommissionLedger.delta), 0)).where(
        CommissionLedger.distributor_id == distributor_id)).scalar()
