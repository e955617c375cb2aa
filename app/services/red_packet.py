"""微红包: the merchant's red-packet pool, recharges, activities, draws and payouts. No Flask.

Money moves only by one conditional UPDATE, checked by rowcount, plus a ledger row in the
same transaction:

* the pool: ``debit_pool`` (``balance >= :amount``) and ``credit_pool``, each with a
  ``red_packet_pool_ledger`` row keyed by an idempotency key (a replay moves nothing);
* an activity's budget: reserved from the pool when the activity is created, spent by
  draws (``remaining >= :amount``, the draw engine falls to a smaller tier when it cannot),
  returned to the pool when the activity ends, each with a ``red_packet_budget_ledger`` row;
* a payout (``create_payout``) is money that already left the pool or an activity; the
  worker sends it with WeChat's ``mch_billno`` as the idempotency key, and a packet WeChat
  returns unclaimed goes back into the pool through the ledger.

``debit_pool``, ``credit_pool`` and ``create_payout`` are also the lottery games' interface
for red-packet prizes (source ``game``).
"""
import re
import secrets
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import nh3
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.models.base import china_now
from app.models.red_packet import (RedPacketActivity, RedPacketBudgetLedger, RedPacketDraw,
                                   RedPacketPayout, RedPacketPool, RedPacketPoolLedger,
                                   RedPacketRecharge, RedPacketSetting, RedPacketTier)
from app.services import lottery
from app.services.errors import BusinessError, N_

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999.99")
MIN_RECHARGE = Decimal("2")
MIN_TOTAL = Decimal("1")
MIN_TIER = Decimal("1")
# WeChat sends one cash red packet of 1.00 to 200.00 yuan.
MAX_TIER = Decimal("200")
MAX_TIERS = 10
RULES_MAX_CHARS = 10_000
RULES_MAX_HTML = 60_000
MAX_DRAWS_LIMIT = 1000
PAYOUT_SYNC_BATCH = 200
# How long a "sending" payout may stay unresolved before the sync job asks WeChat.
SENDING_STALE = timedelta(minutes=10)
KIND = "red_packet"

RULE_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "s", "span", "h2", "h3", "h4", "ul",
             "ol", "li", "blockquote", "a", "img"}
RULE_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"},
                   "span": {"style"}, "p": {"style"}}


class RedPacketError(BusinessError):
    """A refused request; ``field`` names the form field the message belongs to."""

    def __init__(self, message, code="invalid", field=None, status=None, **params):
        self.params = params
        super().__init__(message, code=code, status=status)
        self.field = field

    def __str__(self):
        message = super().__str__()
        if self.params:
            try:
                return message % self.params
            except (KeyError, TypeError, ValueError):
                return message
        return message


# -- input checks ----------------------------------------------------------------------------
def amount_of(value, *, minimum, field, message):
    """A yuan amount with at most two decimals, at least ``minimum`` (``message``)."""
    try:
        amount = Decimal(str(value if value is not None else "").strip())
    except (InvalidOperation, ValueError):
        raise RedPacketError(N_("请输入有效的金额"), code="bad_amount", field=field) from None
    if not amount.is_finite():
        raise RedPacketError(N_("请输入有效的金额"), code="bad_amount", field=field)
    if amount != amount.quantize(CENT):
        raise RedPacketError(N_("金额最多两位小数"), code="bad_amount", field=field)
    if amount < minimum:
        raise RedPacketError(message, code="too_small", field=field)
    if amount > MAX_AMOUNT:
        raise RedPacketError(N_("金额过大"), code="bad_amount", field=field)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def text_of(value, *, field, low, high, label_message):
    """A trimmed text of ``low``..``high`` characters."""
    text = (value or "").strip()
    if not low <= len(text) <= high:
        raise RedPacketError(label_message, code="bad_length", field=field)
    return text


def count_of(value, *, field):
    try:
        number = int(str(value if value is not None else "").strip())
    except ValueError:
        raise RedPacketError(N_("请输入整数"), code="bad_count", field=field) from None
    if number < 0 or number > MAX_DRAWS_LIMIT:
        raise RedPacketError(N_("次数须在 0 到 1000 之间（0 表示不限）"), code="bad_count",
                             field=field)
    return number


def rules_text_length(html):
    """What the live counter counts: the visible characters of the rules."""
    text = re.sub(r"<[^>]*>", "", html or "")
    for entity, char in (("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"),
                         ("&quot;", '"'), ("&#39;", "'")):
        text = text.replace(entity, char)
    return len(text)


def clean_rules(html):
    """活动规则: sanitized with an allow-list; at most 10,000 characters."""
    html = html or ""
    if len(html) > RULES_MAX_HTML or rules_text_length(html) > RULES_MAX_CHARS:
        raise RedPacketError(N_("活动规则不能超过 10000 个字符"), code="rules_too_long",
                             field="rules")
    clean = nh3.clean(html, tags=RULE_TAGS, attributes=RULE_ATTRIBUTES,
                      url_schemes={"http", "https"}, link_rel="noopener noreferrer").strip()
    if rules_text_length(clean) > RULES_MAX_CHARS:
        raise RedPacketError(N_("活动规则不能超过 10000 个字符"), code="rules_too_long",
                             field="rules")
    return clean


# -- the pool ----------------------------------------------------------------------------------
def pool_of(session, merchant_id):
    """The merchant's pool row (created with balance 0 on first use)."""
    row = session.execute(select(RedPacketPool).where(
        RedPacketPool.merchant_id == merchant_id)).scalar()
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.execute(insert(RedPacketPool.__table__).values(
                merchant_id=merchant_id, balance=Decimal("0.00"),
                total_recharged=Decimal("0.00"), updated_at=china_now()))
    except IntegrityError:
        pass  # created by a concurrent request
    return session.execute(select(RedPacketPool).where(
        RedPacketPool.merchant_id == merchant_id)).scalar_one()


def _ledger_by_key(session, key):
    return session.execute(select(RedPacketPoolLedger).where(
        RedPacketPoolLedger.idempotency_key == key)
        .execution_options(skip_tenant=True)).scalar()


def _pool_balance(session, merchant_id):
    table = RedPacketPool.__table__
    return session.execute(select(table.c.balance).where(
        table.c.merchant_id == merchant_id)).scalar()


def _write_pool_ledger(session, merchant_id, delta, kind, ref, key, note, operator_id):
    after = _pool_balance(session, merchant_id)
    session.execute(insert(RedPacketPoolLedger.__table__).values(
        merchant_id=merchant_id, kind=kind, delta=delta, balance_after=after,
        ref=(str(ref)[:64] if ref is not None else None), note=(note or None) and note[:200],
        idempotency_key=key[:96], operator_id=operator_id, created_at=china_now()))
    return after


def debit_pool(session, merchant_id, amount, kind, ref, idempotency_key, operator_id=None):
    """Take ``amount`` from the pool: one conditional UPDATE (``balance >= amount``) plus a
    ledger row. False when the pool is short (nothing written); True also for a replay of
    the same idempotency key (nothing moves twice)."""
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise RedPacketError(N_("金额必须大于 0"), code="bad_amount", field="amount")
    if _ledger_by_key(session, idempotency_key) is not None:
        return True
    pool_of(session, merchant_id)
    table = RedPacketPool.__table__
    result = session.execute(update(table).where(
        table.c.merchant_id == merchant_id, table.c.balance >= amount)
        .values(balance=table.c.balance - amount, updated_at=china_now()))
    if result.rowcount != 1:
        return False
    _write_pool_ledger(session, merchant_id, -amount, kind, ref, idempotency_key, None,
                       operator_id)
    return True


def credit_pool(session, merchant_id, amount, kind, ref, idempotency_key, note=None,
                operator_id=None):
    """Put ``amount`` back into (or for the first time into) the pool, with a ledger row.
    Returns True when it moved, False for a replay of the same idempotency key."""
    amount = Decimal(amount).quantize(CENT)
    if amount <= 0:
        raise RedPacketError(N_("金额必须大于 0"), code="bad_amount", field="amount")
    if _ledger_by_key(session, idempotency_key) is not None:
        return False
    pool_of(session, merchant_id)
    table = RedPacketPool.__table__
    values = {"balance": table.c.balance + amount, "updated_at": china_now()}
    if kind in ("recharge", "offline"):
        values["total_recharged"] = table.c.total_recharged + amount
    result = session.execute(update(table).where(table.c.merchant_id == merchant_id)
                             .values(**values))
    if result.rowcount != 1:  # pragma: no cover - pool_of created the row
        raise RedPacketError(N_("红包余额不存在"), code="no_pool")
    try:
        with session.begin_nested():
            _write_pool_ledger(session, merchant_id, amount, kind, ref, idempotency_key,
                               note, operator_id)
    except IntegrityError:
        # The same key credited concurrently: undo this credit, the other one stands.
        session.execute(update(table).where(table.c.merchant_id == merchant_id)
                        .values(balance=table.c.balance - amount,
                                **({"total_recharged": table.c.total_recharged - amount}
                                   if kind in ("recharge", "offline") else {})))
        return False
    return True


def offline_credit(session, merchant_id, amount, note, operator_id, idempotency_key):
    """平台线下充值: the platform operator credits an offline transfer; the note is required."""
    amount = amount_of(amount, minimum=CENT, field="amount", message=N_("金额必须大于 0"))
    note = (note or "").strip()
    if not 2 <= len(note) <= 200:
        raise RedPacketError(N_("请填写备注（2-200 个字符），例如转账流水号"),
                             code="note_required", field="note")
    return credit_pool(session, merchant_id, amount, "offline", None,
                       f"offline:{idempotency_key}", note=note, operator_id=operator_id)


def pool_ledger_sum(session, merchant_id):
    return session.execute(select(func.coalesce(func.sum(RedPacketPoolLedger.delta), 0)).where(
        RedPacketPoolLedger.merchant_id == merchant_id)).scalar()


# -- recharges (WeChat Native pay to the platform's merchant account) -------------------------
def new_trade_no(prefix):
    return f"{prefix}{china_now():%Y%m%d%H%M%S}{secrets.randbelow(10 ** 12):012d}"


def start_recharge(session, merchant_id, amount, operator_id=None):
    """A pending 充值 of at least 2 yuan; the caller commits, then asks WeChat for the
    code_url (``recharge_ordered`` / ``recharge_failed``)."""
    amount = amount_of(amount, minimum=MIN_RECHARGE, field="amount",
                       message=N_("充值金额不能少于 2 元"))
    row = RedPacketRecharge(merchant_id=merchant_id, amount=amount,
                            out_trade_no=new_trade_no("RPR"), status="pending",
                            operator_id=operator_id)
    session.add(row)
    session.flush()
    return row


def recharge_ordered(session, recharge, code_url):
    recharge.code_url = code_url[:255]
    session.flush()


def recharge_failed(session, recharge, message):
    recharge.status = "failed"
    recharge.error = str(message)[:255]
    session.flush()


def apply_recharge_payment(session, payment):
    """A verified payment notification for a recharge: marks it paid and credits the pool
    once (a repeated notification changes nothing). Returns (recharge, credited) or
    (None, False) when the trade is not a recharge. Raises on an amount mismatch."""
    recharge = session.execute(select(RedPacketRecharge).where(
        RedPacketRecharge.out_trade_no == payment["out_trade_no"])).scalar()
    if recharge is None:
        return None, False
    if Decimal(payment["amount"]) != recharge.amount:
        raise RedPacketError(N_("支付金额与充值金额不一致"), code="amount_mismatch")
    table = RedPacketRecharge.__table__
    result = session.execute(update(table).where(
        table.c.id == recharge.id, table.c.merchant_id == recharge.merchant_id,
        table.c.status != "paid").values(status="paid", paid_at=china_now(),
                                         transaction_id=payment["transaction_id"][:64],
                                         error=None))
    if result.rowcount != 1:
        return recharge, False
    credit_pool(session, recharge.merchant_id, recharge.amount, "recharge",
                recharge.out_trade_no, f"recharge:{recharge.out_trade_no}")
    session.refresh(recharge)
    return recharge, True


# -- 设置活动基本信息 --------------------------------------------------------------------------
def setting_of(session, merchant_id):
    row = session.execute(select(RedPacketSetting).where(
        RedPacketSetting.merchant_id == merchant_id)).scalar()
    if row is None:
        row = RedPacketSetting(merchant_id=merchant_id)
        session.add(row)
        session.flush()
    return row


def save_setting(session, setting, values):
    """Validate everything first; returns {field: message} (nothing saved) or {}."""
    errors = {}
    checks = {
        "name": lambda v: text_of(v, field="name", low=2, high=50,
                                  label_message=N_("活动名称请输入2-50个字符")),
        "home_second": lambda v: text_of(v, field="home_second", low=2, high=50,
                                         label_message=N_("首页第二栏请输入2-50个字符")),
        "home_third": lambda v: text_of(v, field="home_third", low=2, high=50,
                                        label_message=N_("首页第三栏请输入2-50个字符")),
        "rules": clean_rules,
    }
    clean = {}
    for name, check in checks.items():
        try:
            clean[name] = check(values.get(name))
        except RedPacketError as exc:
            errors[name] = str(exc)
    if errors:
        return errors
    for name, value in clean.items():
        setattr(setting, name, value)
    for name in ("follow_qr", "home_image"):
        if values.get(name):
            setattr(setting, name, values[name])
    setting.updated_at = china_now()
    session.flush()
    return {}


# -- activities --------------------------------------------------------------------------------
def parse_tiers(rows):
    """[(amount, probability) as entered] -> [(Decimal amount, Decimal probability)].
    Errors name the row: {"tier_amount_0": ...}. Empty rows are skipped."""
    tiers, errors = [], {}
    for index, (amount, probability) in enumerate(rows):
        if not str(amount or "").strip() and not str(probability or "").strip():
            continue
        try:
            value = amount_of(amount, minimum=MIN_TIER, field=f"tier_amount_{index}",
                              message=N_("红包金额不能小于1元"))
            if value > MAX_TIER:
                raise RedPacketError(N_("单个红包金额不能超过 200 元"), code="tier_too_big",
                                     field=f"tier_amount_{index}")
        except RedPacketError as exc:
            errors[exc.field] = str(exc)
            value = None
        try:
            rate = lottery.parse_probability(probability)
        except lottery.LotteryError as exc:
            errors[f"tier_probability_{index}"] = str(exc)
            rate = None
        if value is not None and rate is not None:
            tiers.append((value, rate))
    if not tiers and not errors:
        errors["tiers"] = str(RedPacketError(N_("请至少设置一个红包金额和中奖概率")))
    if len(tiers) > MAX_TIERS:
        errors["tiers"] = str(RedPacketError(N_("最多设置 10 个红包金额")))
    amounts = [a for a, _p in tiers]
    if len(set(amounts)) != len(amounts):
        errors["tiers"] = str(RedPacketError(N_("红包金额不能重复")))
    return tiers, errors


def check_activity(values, now):
    """Validated activity fields or RedPacketError per field: returns (clean, errors)."""
    clean, errors = {}, {}

    def run(name, check):
        try:
            clean[name] = check(values.get(name))
        except RedPacketError as exc:
            errors[exc.field or name] = str(exc)

    run("name", lambda v: text_of(v, field="name", low=2, high=20,
                                  label_message=N_("活动名称请输入2-20个字符")))
    run("total", lambda v: amount_of(v, minimum=MIN_TOTAL, field="total",
                                     message=N_("红包总金额至少设置一元")))
    run("per_day", lambda v: count_of(v, field="per_day"))
    run("per_member", lambda v: count_of(v, field="per_member"))
    mode = values.get("claim_mode") or "24h"
    if mode not in ("24h", "window"):
        errors["claim_mode"] = str(RedPacketError(N_("请选择领取时间")))
    clean["claim_mode"] = mode
    if mode == "24h":
        clean["starts_at"], clean["ends_at"] = now, now + timedelta(hours=24)
    else:
        starts, ends = values.get("starts_at"), values.get("ends_at")
        if starts is None or ends is None:
            errors["starts_at"] = str(RedPacketError(N_("请填写领取开始和结束时间")))
        elif ends <= starts:
            errors["ends_at"] = str(RedPacketError(N_("结束时间必须晚于开始时间")))
        elif ends <= now:
            errors["ends_at"] = str(RedPacketError(N_("结束时间必须晚于当前时间")))
        else:
            clean["starts_at"], clean["ends_at"] = starts, ends
    return clean, errors


def create_activity(session, merchant_id, values, tier_rows, now=None, operator_id=None):
    """新增活动: validated, then the total is reserved from the pool by ``debit_pool``.
    Raises RedPacketError (field "total", "新增活动前需先充值") when the pool is short;
    returns (activity, {}) or (None, errors) with nothing written."""
    now = now or china_now()
    clean, errors = check_activity(values, now)
    tiers, tier_errors = parse_tiers(tier_rows)
    errors.update(tier_errors)
    if not errors and max(a for a, _p in tiers) > clean["total"]:
        errors["tiers"] = str(RedPacketError(N_("单个红包金额不能大于红包总金额")))
    if errors:
        return None, errors
    activity = RedPacketActivity(merchant_id=merchant_id, name=clean["name"],
                                 logo=values.get("logo") or None, total=clean["total"],
                                 remaining=clean["total"], awarded=Decimal("0.00"),
                                 claim_mode=clean["claim_mode"], starts_at=clean["starts_at"],
                                 ends_at=clean["ends_at"], per_day=clean["per_day"],
                                 per_member=clean["per_member"], status="active",
                                 created_at=now)
    for amount, rate in tiers:
        activity.tiers.append(RedPacketTier(merchant_id=merchant_id, amount=amount,
                                            probability=rate))
    session.add(activity)
    session.flush()
    if not debit_pool(session, merchant_id, activity.total, "activity", f"activity:{activity.id}",
                      f"activity:{activity.id}:reserve", operator_id=operator_id):
        raise RedPacketError(N_("新增活动前需先充值：红包余额不足 %(total)s 元"),
                             code="pool_short", field="total", total=activity.total)
    session.execute(insert(RedPacketBudgetLedger.__table__).values(
        merchant_id=merchant_id, activity_id=activity.id, kind="reserve", delta=activity.total,
        remaining_after=activity.total, ref=f"activity:{activity.id}", created_at=now))
    return activity, {}


def end_activity(session, activity_id, merchant_id, now=None):
    """End an activity and return its unspent budget to the pool, once. Returns the amount
    returned, or None when it had ended already. Draws racing with this stop at the
    status condition of their own UPDATE."""
    now = now or china_now()
    table = RedPacketActivity.__table__
    result = session.execute(update(table).where(
        table.c.id == activity_id, table.c.merchant_id == merchant_id,
        table.c.status == "active").values(status="ended", ended_at=now))
    if result.rowcount != 1:
        return None
    left = session.execute(select(table.c.remaining).where(table.c.id == activity_id)).scalar()
    if left and left > 0:
        moved = session.execute(update(table).where(
            table.c.id == activity_id, table.c.merchant_id == merchant_id,
            table.c.remaining >= left).values(remaining=table.c.remaining - left))
        if moved.rowcount != 1:  # pragma: no cover - the row is ours after the UPDATE above
            raise RedPacketError(N_("活动结束失败，请重试"), code="end_race")
        session.execute(insert(RedPacketBudgetLedger.__table__).values(
            merchant_id=merchant_id, activity_id=activity_id, kind="end", delta=-left,
            remaining_after=Decimal("0.00"), ref=f"activity:{activity_id}", created_at=now))
        credit_pool(session, merchant_id, left, "activity_end", f"activity:{activity_id}",
                    f"activity:{activity_id}:end")
    return left or Decimal("0.00")


def expired_activities(session, now):
    """(id, merchant_id) of every merchant's active activity whose window closed."""
    return session.execute(select(RedPacketActivity.id, RedPacketActivity.merchant_id).where(
        RedPacketActivity.status == "active", RedPacketActivity.ends_at <= now)
        .execution_options(skip_tenant=True)).all()


def budget_ledger_sum(session, activity_id):
    return session.execute(select(func.coalesce(func.sum(RedPacketBudgetLedger.delta), 0))
                           .where(RedPacketBudgetLedger.activity_id == activity_id)).scalar()


def engine_tiers(activity):
    return [lottery.Tier(id=t.id, probability=t.probability, value=t.amount)
            for t in activity.tiers]


def effective_probabilities(activity):
    """[(tier or None, percent)] as the admin page shows them (None: 未中奖)."""
    by_id = {t.id: t for t in activity.tiers}
    return [(by_id.get(t.id) if t is not None else None, p)
            for t, p in lottery.effective_probabilities(engine_tiers(activity))]


def participants(session, activity_id):
    return session.execute(select(func.count(func.distinct(RedPacketDraw.member_id))).where(
        RedPacketDraw.activity_id == activity_id)).scalar()


# -- draws -------------------------------------------------------------------------------------
def draw(session, activity_id, member, now=None, rng=None):
    """抽红包 for ``member``: returns (draw row, payout or None). Raises LotteryError or
    RedPacketError before anything moves. Does not commit; after the commit, send the
    payout with ``app.workers.red_packet.enqueue_payouts([payout.id])``."""
    now = now or china_now()
    activity = session.execute(select(RedPacketActivity).where(
        RedPacketActivity.id == activity_id)).scalar()
    if activity is None:
        raise RedPacketError(N_("活动不存在"), code="not_found", status=404)
    if activity.status != "active":
        raise lottery.LotteryError(N_("活动已结束"), code="ended")
    merchant_id = activity.merchant_id
    table = RedPacketActivity.__table__
    tiers = engine_tiers(activity)
    amounts = {t.id: t.value for t in tiers}
    outcome = {}

    def reserve(tier):
        amount = amounts[tier.id]
        result = session.execute(update(table).where(
            table.c.id == activity.id, table.c.merchant_id == merchant_id,
            table.c.status == "active", table.c.remaining >= amount)
            .values(remaining=table.c.remaining - amount, awarded=table.c.awarded + amount))
        return result.rowcount == 1

    def record(won, drawn):
        amount = amounts[won.id] if won is not None else Decimal("0.00")
        row = RedPacketDraw(merchant_id=merchant_id, activity_id=activity.id,
                            member_id=member.id, won=won is not None, amount=amount,
                            tier_id=won.id if won else None,
                            drawn_tier_id=drawn.id if drawn else None, created_at=now)
        session.add(row)
        session.flush()
        payout = None
        if won is not None:
            left = session.execute(select(table.c.remaining).where(
                table.c.id == activity.id)).scalar()
            session.execute(insert(RedPacketBudgetLedger.__table__).values(
                merchant_id=merchant_id, activity_id=activity.id, kind="draw", delta=-amount,
                remaining_after=left, ref=f"draw:{row.id}", created_at=now))
            payout = create_payout(session, merchant_id, member, amount, "red_packet",
                                   f"draw:{row.id}", act_name=activity.name)
            row.payout_id = payout.id
            session.flush()
        outcome.update(row=row, payout=payout)

    limits = lottery.Limits(starts_at=activity.starts_at, ends_at=activity.ends_at,
                            per_day=activity.per_day, total=activity.per_member)
    lottery.draw(session, member=member, activity_kind=KIND, activity_id=activity.id,
                 tiers=tiers, limits=limits, reserve=reserve, record=record, now=now, rng=rng)
    return outcome["row"], outcome["payout"]


def preview_draw(session, activity, rng=None):
    """商家试抽 on the H5 preview: what a member would get now (the drawn tier, or the
    next smaller one the remaining budget still covers). Reads only; nothing moves."""
    tiers = engine_tiers(activity)
    drawn = lottery.pick(tiers, rng)
    if drawn is None:
        return None
    remaining = session.execute(select(RedPacketActivity.remaining).where(
        RedPacketActivity.id == activity.id)).scalar()
    for tier in lottery.fallback_order(tiers, drawn):
        if tier.value <= remaining:
            return tier.value
    return None


# -- payouts -----------------------------------------------------------------------------------
def create_payout(session, merchant_id, member, amount, source, ref, act_name=None):
    """A payout in state 待发放 for money that already left the pool or an activity. The
    caller commits, then enqueues it (``app.workers.red_packet.enqueue_payouts``)."""
    amount = Decimal(amount).quantize(CENT)
    if amount < MIN_TIER:
        raise RedPacketError(N_("红包金额不能小于1元"), code="too_small")
    payout = RedPacketPayout(merchant_id=merchant_id, member_id=member.id,
                             openid=getattr(member, "openid", None), amount=amount,
                             source=source, ref=(ref or "")[:64] or None,
                             act_name=(act_name or "")[:32] or None,
                             mch_billno=new_trade_no("RP")[:28], status="waiting", attempts=0)
    session.add(payout)
    session.flush()
    return payout


def _payout_update(session, payout_id, merchant_id, from_status, **values):
    table = RedPacketPayout.__table__
    statuses = from_status if isinstance(from_status, (tuple, list)) else (from_status,)
    return session.execute(update(table).where(
        table.c.id == payout_id, table.c.merchant_id == merchant_id,
        table.c.status.in_(statuses)).values(**values)).rowcount == 1


def start_sending(session, payout):
    """待发放 → 发放中 (one worker wins); False when another has it or it is done."""
    table = RedPacketPayout.__table__
    return _payout_update(session, payout.id, payout.merchant_id, "waiting",
                          status="sending", attempts=table.c.attempts + 1,
                          synced_at=china_now())


def payout_sent(session, payout, send_listid):
    return _payout_update(session, payout.id, payout.merchant_id, ("sending", "failed"),
                          status="sent", send_listid=(send_listid or "")[:64] or None,
                          sent_at=china_now(), error=None, error_code=None)


def payout_failed(session, payout, message, code):
    return _payout_update(session, payout.id, payout.merchant_id, "sending", status="failed",
                          error=str(message)[:255], error_code=(code or "")[:64] or None)


def retry_payout(session, payout):
    """发放失败 → 待发放 (same mch_billno: WeChat pays one number once)."""
    if payout.status != "failed":
        raise RedPacketError(N_("只有发放失败的红包可以重新发放"), code="not_failed")
    return _payout_update(session, payout.id, payout.merchant_id, "failed", status="waiting")


def payout_claimed(session, payout):
    return _payout_update(session, payout.id, payout.merchant_id, "sent", status="claimed",
                          finished_at=china_now(), synced_at=china_now())


def payout_returned(session, payout):
    """WeChat refunded the packet unclaimed (after 24 h): 已退回, money back in the pool."""
    if not _payout_update(session, payout.id, payout.merchant_id, "sent", status="returned",
                          finished_at=china_now(), synced_at=china_now()):
        return False
    credit_pool(session, payout.merchant_id, payout.amount, "returned", payout.mch_billno,
                f"payout:{payout.id}:returned")
    return True


def payouts_to_sync(session, now, limit=PAYOUT_SYNC_BATCH):
    """Sent packets (and sends left unresolved) of every merchant, oldest first."""
    stale = now - SENDING_STALE
    return session.execute(select(RedPacketPayout.id, RedPacketPayout.merchant_id).where(
        (RedPacketPayout.status == "sent")
        | ((RedPacketPayout.status == "sending") & (RedPacketPayout.synced_at <= stale)))
        .order_by(RedPacketPayout.id).limit(limit)
        .execution_options(skip_tenant=True)).all()
