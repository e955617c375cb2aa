"""商城注册: a shopper becomes a member with their phone and an SMS code, optionally
recommended by another member (推荐人).

The SMS codes are 用户绑定's (app/services/binding.py: hashed, 5 minutes, single use, 10 a
day per phone, one a minute). A registration code is stored under ``REGISTER_SCOPE`` in
place of an openid, so a binding code cannot register and a registration code cannot bind.

Points go through the points ledger with keys derived from the new member, so each award
happens exactly once per member: 注册送积分 (``register:<member id>``) to the new member and
推荐注册送积分 (``referral_register:<member id>``) to the referrer; the coupons module's
注册送券 (``grant_signup_gift``) gives its register gift once per member. No Flask here; the shop
API (app/api/registration.py) sends the SMS outside the transaction.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.models.base import china_now
from app.models.member import Member
from app.services import binding as sms_codes  # the one place this module imports it
from app.services import coupon as coupon_service
from app.services import points as points_service
from app.services.errors import N_
from app.services.member import LoyaltyError, create_member, find_by_phone

REGISTER_SCOPE = "#register"  # never a WeChat openid (they have no "#")
SOURCES = ("h5", "mini", "official")
CodeError = sms_codes.OfficialError
CODE_TTL = sms_codes.CODE_TTL


def refuse_taken_phone(session, phone):
    """A blacklisted or already registered phone cannot register again."""
    sms_codes.check_phone(phone)
    existing = find_by_phone(session, phone)
    if existing is None:
        return
    if existing.status == "blacklist":
        raise LoyaltyError(N_("该手机号已被商家限制，无法注册"), code="blacklisted",
                           field="phone", status=403)
    raise LoyaltyError(N_("该手机号已注册会员，请直接登录"), code="duplicate_phone",
                       field="phone", status=409)


def issue_code(session, merchant_id, phone, secret, now=None):
    """获取验证码 for registration; returns (code row, plain code). The caller commits,
    then sends the SMS (and calls ``sms_codes.void_unsent_code`` when it fails)."""
    refuse_taken_phone(session, phone)
    return sms_codes.issue_binding_code(session, merchant_id, openid=REGISTER_SCOPE,
                                        phone=phone, secret=secret, now=now)


void_unsent_code = sms_codes.void_unsent_code


def _referrer(session, referrer_id):
    """The recommending member, if the id names a member of this merchant in good standing;
    a stale or unknown share link registers without a referrer."""
    try:
        referrer_id = int(referrer_id)
    except (TypeError, ValueError):
        return None
    referrer = session.execute(select(Member).where(Member.id == referrer_id)).scalar()
    if referrer is None or referrer.status == "blacklist":
        return None
    return referrer


def register(session, merchant_id, *, phone, code, secret, nickname=None, source="h5",
             referrer_id=None, now=None):
    """Check the code, create the member, award 注册送积分 and 推荐注册送积分 and the
    注册送券 gift. Returns (member, gift coupon or None); the caller commits. A phone registered meanwhile (two requests racing) is
    refused like any duplicate: the unique (merchant, phone) key decides."""
    refuse_taken_phone(session, phone)
    sms_codes.check_binding_code(session, merchant_id, openid=REGISTER_SCOPE, phone=phone,
                                 code=code, secret=secret, now=now)
    referrer = _referrer(session, referrer_id)
    nickname = (nickname or "").strip()[:64] or f"会员{phone[-4:]}"
    source = source if source in SOURCES else "h5"
    try:
        with session.begin_nested():
            member = create_member(session, nickname=nickname, phone=phone, source=source,
                                   merchant_id=merchant_id, referrer=referrer,
                                   last_login_at=now or china_now())
    except IntegrityError:
        raise LoyaltyError(N_("该手机号已注册会员，请直接登录"), code="duplicate_phone",
                           field="phone", status=409) from None
    award_register_points(session, member, referrer)
    return member, grant_register_coupon(session, member, now)


def grant_register_coupon(session, member, now=None):
    """注册送券 (the coupons module's hook): one coupon of the merchant's register batch,
    if any; a gift that cannot be granted never blocks the registration."""
    try:
        with session.begin_nested():
            return coupon_service.grant_signup_gift(session, member, "register", now)
    except IntegrityError:
        return None


def award_register_points(session, member, referrer=None):
    """注册送积分 to ``member`` and 推荐注册送积分 to ``referrer`` by the points rules; each
    at most once per registered member (idempotency keys)."""
    rule = points_service.points_rule(session, member.merchant_id)
    if rule.register_points and rule.register_points > 0:
        points_service.change_points(session, member, int(rule.register_points), "注册赠送积分",
                                     "register", f"register:{member.id}", ref=f"M{member.id}")
    if (referrer is not None and referrer.id != member.id and rule.referral_register_points
            and rule.referral_register_points > 0):
        points_service.change_points(
            session, referrer, int(rule.referral_register_points),
            f"推荐好友 {member.nickname} 注册", "referral_register",
            f"referral_register:{member.id}", ref=f"M{member.id}")
