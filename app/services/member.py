"""Member rules: identity checks, levels, tags, blacklist, experience, shop API tokens.

Counters (points, experience, balances) change only through ``apply_delta``: one
conditional UPDATE whose WHERE keeps the value at or above its floor, then a ledger row in
the same transaction. Never read, subtract and write back.
"""
import math
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.models.member import ExperienceLedger, Member, MemberLevel, member_tag_link
from app.services.errors import BusinessError, N_

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999.99")
DEFAULT_LEVEL_NAME = "普通会员"
TOKEN_SALT = "merchantdesk-member-api"
TOKEN_MAX_AGE = 30 * 24 * 3600


class LoyaltyError(BusinessError):
    """A refused member operation: a Chinese message (formatted with ``params`` after
    translation) and optionally the form ``field`` it belongs to."""

    def __init__(self, message, code="invalid", status=None, field=None, **params):
        super().__init__(message, code=code, status=status)
        self.field = field
        self.params = params

    def __str__(self):
        text = super().__str__()
        return text % self.params if self.params else text


# -- plain rules -------------------------------------------------------------------------
def check_phone(phone, field="phone"):
    if not PHONE_RE.match(phone or ""):
        raise LoyaltyError(N_("请输入 11 位中国大陆手机号"), code="bad_phone", field=field)


def mask_id_number(value):
    """Validate a mainland ID number (18 digits with its check digit) and keep only the
    first and last four characters: 1101**********123X."""
    text = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise LoyaltyError(N_("身份证号应为 18 位（最后一位可为 X）"), code="bad_id",
                           field="id_number")
    total = sum(int(d) * w for d, w in zip(text[:17], ID_WEIGHTS))
    if ID_CHECK[total % 11] != text[17]:
        raise LoyaltyError(N_("身份证号校验位不正确，请核对"), code="bad_id", field="id_number")
    return text[:4] + "*" * 10 + text[-4:]


def is_masked_id(value):
    return bool(re.fullmatch(r"\d{4}\*{10}[\dX]{4}", value or ""))


def money(value, field="amount", allow_zero=False):
    """A positive amount of yuan with at most two decimals, as Decimal."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise LoyaltyError(N_("请输入有效的金额"), code="bad_amount", field=field) from None
    if not amount.is_finite():
        raise LoyaltyError(N_("请输入有效的金额"), code="bad_amount", field=field)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise LoyaltyError(N_("金额必须大于 0"), code="bad_amount", field=field)
    if amount != amount.quantize(CENT):
        raise LoyaltyError(N_("金额最多两位小数"), code="bad_amount", field=field)
    if amount > MAX_MONEY:
        raise LoyaltyError(N_("金额过大"), code="bad_amount", field=field)
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def discount_from_zhe(value):
    """9.5 (折) -> Decimal("0.95"); 0.1 to 10 折, at most one decimal place of 折... two
    of the stored ratio."""
    try:
        zhe = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise LoyaltyError(N_("请输入折扣，例如 9.5"), code="bad_discount", field="discount") from None
    if not zhe.is_finite() or zhe < Decimal("0.1") or zhe > 10:
        raise LoyaltyError(N_("折扣须在 0.1 折到 10 折之间"), code="bad_discount",
                           field="discount")
    ratio = zhe / 10
    if ratio != ratio.quantize(CENT):
        raise LoyaltyError(N_("折扣最多两位小数，例如 9.55 折不支持"), code="bad_discount",
                           field="discount")
    return ratio.quantize(CENT)


def experience_for_amount(amount, per_yuan):
    """Experience for a paid amount: amount x rate; a positive result below 1 counts as 1
    (第二份指南：“当获取经验值小于 1 时，默认向上取整”), otherwise floored."""
    value = Decimal(amount or 0) * Decimal(per_yuan or 0)
    if value <= 0:
        return 0
    if value < 1:
        return 1
    return int(math.floor(value))


# -- counters ----------------------------------------------------------------------------
def apply_delta(session, table, pk, column, delta, floor=0):
    """``UPDATE table SET column = column + :delta WHERE id = :pk AND column + :delta >=
    :floor``. Returns the value after the change, or None when it would fall below
    ``floor`` (nothing changed)."""
    col = table.c[column]
    stmt = (update(table).where(table.c.id == pk)
            .values({column: col + delta}))
    if floor is not None:
        stmt = stmt.where(col + delta >= floor)
    result = session.execute(stmt)
    if result.rowcount != 1:
        return None
    return session.execute(select(col).where(table.c.id == pk)).scalar()


def current_value(session, table, pk, column):
    return session.execute(select(table.c[column]).where(table.c.id == pk)).scalar()


def new_key(prefix="k"):
    return f"{prefix}:{uuid.uuid4().hex}"


# -- levels ------------------------------------------------------------------------------
def ensure_default_level(session, merchant_id=None):
    """The merchant's undeletable 普通会员 level, created when missing."""
    level = session.execute(select(MemberLevel).where(MemberLevel.is_default.is_(True))
                            .order_by(MemberLevel.id).limit(1)).scalar()
    if level is None:
        level = MemberLevel(name=DEFAULT_LEVEL_NAME, is_default=True, discount=Decimal("1.00"),
                            experience_threshold=0, icon="fa-user")
        if merchant_id is not None:
            level.merchant_id = merchant_id
        session.add(level)
        session.flush()
    return level


def check_level_delete(session, level):
    """The default level cannot be deleted; members of a deleted level move to it."""
    if level.is_default:
        raise LoyaltyError(N_("默认级别“普通会员”不能删除，可以修改名称和权益"),
                           code="default_level")
    default = ensure_default_level(session, level.merchant_id)
    session.execute(update(Member.__table__).where(Member.__table__.c.level_id == level.id)
                    .values(level_id=default.id))


def level_for_experience(session, experience):
    return session.execute(
        select(MemberLevel).where(MemberLevel.experience_threshold <= experience)
        .order_by(MemberLevel.experience_threshold.desc(), MemberLevel.id).limit(1)).scalar()


def upgrade_level(session, member):
    """Move the member up to the highest level their experience reaches (never down)."""
    target = level_for_experience(session, member.experience)
    if target is None:
        return False
    current = member.level
    if current is None or target.experience_threshold > current.experience_threshold:
        member.level = target
        session.flush()
        return True
    return False


def change_experience(session, member, delta, reason, source, idempotency_key,
                      ref=None, operator_id=None):
    """Change a member's experience by ``delta`` (never below zero), write the ledger row
    and upgrade the level when a threshold is reached. Idempotent on the key."""
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0:
        raise LoyaltyError(N_("经验值变动必须是非零整数"), code="bad_delta", field="delta")
    reason = (reason or "").strip()
    if not reason:
        raise LoyaltyError(N_("请填写调整原因"), code="no_reason", field="reason")
    existing = session.execute(select(ExperienceLedger).where(
        ExperienceLedger.idempotency_key == idempotency_key)).scalar()
    if existing is not None:
        return existing
    after = apply_delta(session, Member.__table__, member.id, "experience", delta)
    if after is None:
        raise LoyaltyError(N_("经验值不足：当前经验值 %(value)s，不能减少 %(delta)s"),
                           code="insufficient_experience", field="delta",
                           value=current_value(session, Member.__table__, member.id,
                                               "experience"), delta=-delta)
    set_committed_value(member, "experience", after)
    row = ExperienceLedger(merchant_id=member.merchant_id, member_id=member.id, delta=delta,
                           balance_after=after, reason=reason[:100], source=source, ref=ref,
                           idempotency_key=idempotency_key, operator_id=operator_id)
    session.add(row)
    session.flush()
    upgrade_level(session, member)
    return row


# -- tags and blacklist --------------------------------------------------------------------
def tag_member_count(session, tag):
    """How many members carry ``tag``: shown before the tag is deleted."""
    return session.execute(select(func.count()).select_from(member_tag_link).where(
        member_tag_link.c.tag_id == tag.id)).scalar()


def set_member_tags(session, member, tags):
    for tag in tags:
        if tag.merchant_id != member.merchant_id:
            raise LoyaltyError(N_("所选标签无效"), code="bad_tag", field="tags")
    member.tags = list(tags)
    session.flush()


def set_blacklisted(session, members, blacklisted):
    """加入黑名单 / 取消黑名单; returns how many members changed."""
    status = "blacklist" if blacklisted else "normal"
    changed = 0
    for member in members:
        if member.status != status:
            member.status = status
            changed += 1
    session.flush()
    return changed


def phone_in_use(session, phone, exclude_id=None):
    query = select(Member.id).where(Member.phone == phone)
    if exclude_id:
        query = query.where(Member.id != exclude_id)
    return session.execute(query.limit(1)).first() is not None


def find_by_phone(session, phone):
    return session.execute(select(Member).where(Member.phone == phone).limit(1)).scalar()


def create_member(session, *, nickname, phone=None, source="store", merchant_id=None,
                  **fields):
    """A new member on the default level (duplicate phone refused)."""
    if phone:
        check_phone(phone)
        if phone_in_use(session, phone):
            raise LoyaltyError(N_("该手机号已是会员"), code="duplicate_phone", field="phone")
    level = ensure_default_level(session, merchant_id)
    member = Member(nickname=(nickname or phone or "")[:64], phone=phone or None,
                    source=source, level=level, **fields)
    if merchant_id is not None:
        member.merchant_id = merchant_id
    session.add(member)
    session.flush()
    return member


# -- shop API tokens -------------------------------------------------------------------------
_token_secret = None


def configure_tokens(secret_key):
    """Set the signing key (create_app passes SECRET_KEY through app.api.init_app)."""
    global _token_secret
    _token_secret = secret_key


def _serializer(secret_key=None):
    key = secret_key or _token_secret
    if not key:
        raise RuntimeError("member tokens are not configured (app.api.init_app does it)")
    return URLSafeTimedSerializer(key, salt=TOKEN_SALT)


def issue_member_token(member, secret_key=None):
    """A signed token for the shop API carrying the merchant and the member."""
    return _serializer(secret_key).dumps({"m": member.merchant_id, "u": member.id})


def read_member_token(token, secret_key=None, max_age=TOKEN_MAX_AGE):
    """(merchant id, member id) from a token, or LoyaltyError 401."""
    try:
        data = _serializer(secret_key).loads(token or "", max_age=max_age)
        return int(data["m"]), int(data["u"])
    except SignatureExpired:
        raise LoyaltyError(N_("登录已过期，请重新登录"), code="token_expired", status=401) from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LoyaltyError(N_("请先登录"), code="bad_token", status=401) from None


# -- demo data -------------------------------------------------------------------------------
DEMO_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
DEMO_GIVEN = ["小雨", "晓明", "思思", "子涵", "一诺", "欣怡", "浩然", "梓萱", "雨桐", "俊杰",
              "佳怡", "宇航", "诗涵", "明轩", "可馨"]
DEMO_LEVELS = [("银卡会员", "fa-star", "0.98", 300), ("金卡会员", "fa-trophy", "0.95", 1000),
               ("钻石会员", "fa-diamond", "0.90", 3000)]
DEMO_TAGS = ["高价值", "新客", "沉睡会员", "常来门店", "生日当月"]


def seed_demo(merchant, shops):
    """A few dozen members with levels, tags, points, experience and some cards."""
    import random
    from datetime import timedelta

    from app.extensions import db
    from app.models.base import china_now
    from app.models.member import Distributor, MemberTag, RechargeTier, ReservationCity
    from app.services import distribution, points, stored_value
    from app.tenancy import tenant_scope

    session = db.session
    rng = random.Random(merchant.id * 7919)
    prefix = merchant.name[:2]
    with tenant_scope(merchant.id):
        ensure_default_level(session, merchant.id)
        for name, icon, discount, threshold in DEMO_LEVELS:
            session.add(MemberLevel(name=name, icon=icon, discount=Decimal(discount),
                                    experience_threshold=threshold))
        tags = [MemberTag(name=f"{prefix}{t}" if t == "高价值" else t) for t in DEMO_TAGS]
        session.add_all(tags)
        rule = points.points_rule(session, merchant.id)
        rule.sign_in_points, rule.streak_7_points = 10, 30
        rule.streak_15_points, rule.streak_30_points = 50, 100
        rule.referral_purchase_points, rule.referral_register_points = 10, 20
        rule.register_points, rule.bind_points = 30, 10
        rule.points_per_yuan, rule.experience_per_yuan = Decimal("1"), Decimal("10")
        rule.redeem_points_per_yuan, rule.redeem_max_percent = 100, 20
        for amount, bonus in (("100", "10"), ("500", "80"), ("1000", "200")):
            session.add(RechargeTier(amount=Decimal(amount), bonus=Decimal(bonus)))
        for city in ("北京", "上海", "杭州"):
            session.add(ReservationCity(name=city))
        distribution.distribution_rule(session, merchant.id).default_rate = Decimal("5.00")
        session.flush()
        now = china_now()
        base_phone = 15000000000 + merchant.id * 100000
        members = []
        for i in range(36):
            name = rng.choice(DEMO_SURNAMES) + rng.choice(DEMO_GIVEN)
            member = create_member(
                session, nickname=f"{name}{i + 1:02d}", phone=str(base_phone + i * 37),
                source=rng.choice(["official", "mini", "h5", "store"]),
                gender=rng.choice(["male", "female", "unknown"]), merchant_id=merchant.id,
                order_count=rng.randint(0, 30),
                total_spend=Decimal(rng.randint(0, 800000)) / 100,
                remark=f"{merchant.name}演示会员")
            member.created_at = now - timedelta(days=rng.randint(0, 400), hours=rng.randint(0, 23))
            if member.order_count:
                member.last_order_at = now - timedelta(days=rng.randint(0, 60))
            member.last_login_at = now - timedelta(days=rng.randint(0, 10))
            member.tags = rng.sample(tags, rng.randint(0, 2))
            if i % 9 == 8:
                member.status = "blacklist"
            members.append(member)
            points.change_points(session, member, 30, "注册送积分", "register",
                                 f"demo:register:{merchant.id}:{i}")
            bonus = rng.randint(0, 600)
            if bonus:
                points.change_points(session, member, bonus, "购物赠送积分", "order",
                                     f"demo:order:{merchant.id}:{i}")
            experience = rng.randint(0, 4000)
            if experience:
                change_experience(session, member, experience, "历史消费经验值", "order",
                                  f"demo:exp:{merchant.id}:{i}")
        for i, member in enumerate(members[:10]):
            if member.status == "blacklist":
                continue
            card = stored_value.issue_card(session, member)
            stored_value.recharge(session, card, rng.choice(["100", "500", "1000", "50"]),
                                  idempotency_key=f"demo:recharge:{merchant.id}:{i}")
            stored_value.deduct(session, card, Decimal(rng.randint(100, 4000)) / 100,
                                idempotency_key=f"demo:deduct:{merchant.id}:{i}")
        cities = ["北京", "上海", "杭州", "成都"]
        for i, member in enumerate(members[10:14]):
            distributor = Distributor(member=member, name=member.nickname[:-2],
                                      city=cities[i], phone=member.phone)
            session.add(distributor)
            session.flush()
            if i < 2:
                distribution.approve_application(session, distributor)
                distribution.credit_commission(session, distributor, Decimal("88.50"),
                                               "演示订单提成", f"DEMO{i}",
                                               f"demo:commission:{merchant.id}:{i}")
                distribution.request_withdrawal(session, distributor, Decimal("50.00"))
        session.flush()
