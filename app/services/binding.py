"""用户绑定 (binding): SMS codes with a daily limit per phone, binding a follower to a member
by phone (or a 绑定申请 for staff), staff approval and refusal, the follower tokens of the
shop API, and 关注成为会员.

Plain functions on models and values (no Flask). The shop API (app/api/official_account.py)
sends the SMS outside the transaction, after these rules have accepted the request.
"""
import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import case, delete, func, select, update

from app.models.base import china_now
from app.models.member import Member
from app.models.official_account import BindingRequest, SmsCode, SmsDailyQuota
from app.services.errors import N_
from app.services.official_account import OfficialError


# == 用户绑定 ================================================================================
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
CODE_TTL = timedelta(minutes=5)
CODE_RESEND_AFTER = timedelta(seconds=60)
CODES_PER_PHONE_PER_DAY = 10
MAX_CODE_ATTEMPTS = 5


def check_phone(phone):
    if not PHONE_RE.match(phone or ""):
        raise OfficialError(N_("请输入 11 位中国大陆手机号"), field="phone", code="bad_phone")


def code_digest(phone, code, secret):
    return hmac.new(secret.encode("utf-8"), f"{phone}:{code}".encode("utf-8"),
                    hashlib.sha256).hexdigest()


def take_daily_quota(session, phone, day):
    """Count one code against the phone's daily limit in one atomic statement: an upsert
    whose update only applies below the limit (no read-then-write, and no separate insert
    racing other first requests of the day). False when the limit is reached."""
    table = SmsDailyQuota.__table__
    limit = CODES_PER_PHONE_PER_DAY
    dialect = session.get_bind(mapper=SmsDailyQuota).dialect.name
    if dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects.mysql import insert

        statement = insert(table).values(phone=phone, day=day, sent=1).on_duplicate_key_update(
            sent=case((table.c.sent < limit, table.c.sent + 1), else_=table.c.sent))
        result = session.execute(statement)
        if result.rowcount == 2:  # an existing row was raised
            return True
        # 1: inserted (sent = 1), or an unchanged row at the limit with CLIENT_FOUND_ROWS.
        sent = session.execute(select(table.c.sent).where(
            table.c.phone == phone, table.c.day == day)).scalar()
        return result.rowcount == 1 and sent == 1
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (insert(table).values(phone=phone, day=day, sent=1)
                 .on_conflict_do_update(index_elements=[table.c.phone, table.c.day],
                                        set_={"sent": table.c.sent + 1},
                                        where=table.c.sent < limit)
                 .returning(table.c.sent))
    return session.execute(statement).first() is not None


def give_back_quota(session, phone, day):
    """A code that could not be sent does not count."""
    session.execute(update(SmsDailyQuota)
                    .where(SmsDailyQuota.phone == phone, SmsDailyQuota.day == day,
                           SmsDailyQuota.sent > 0)
                    .values(sent=SmsDailyQuota.sent - 1)
                    .execution_options(synchronize_session=False))


def issue_binding_code(session, merchant_id, *, openid, phone, secret, now=None,
                       resend_after=CODE_RESEND_AFTER):
    """A new 6-digit code for binding ``openid`` to ``phone``: checks the resend interval
    and the daily limit (10 per phone). Returns (code row, plain code); the caller commits,
    then sends the SMS outside the transaction."""
    check_phone(phone)
    if not openid:
        raise OfficialError(N_("请在微信中打开页面"), code="no_openid", status=401)
    now = now or china_now()
    last = session.execute(select(func.max(SmsCode.created_at)).where(
        SmsCode.merchant_id == merchant_id, SmsCode.phone == phone)).scalar()
    if last is not None and now - last < resend_after:
        raise OfficialError(N_("验证码发送太频繁，请 60 秒后再试"), field="phone",
                            code="too_frequent", status=429)
    if not take_daily_quota(session, phone, now.date()):
        raise OfficialError(N_("该手机号今天获取验证码已达 10 次上限，请明天再试"), field="phone",
                            code="daily_limit", status=429)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    row = SmsCode(merchant_id=merchant_id, phone=phone, openid=openid[:64],
                  code_hash=code_digest(phone, code, secret), expires_at=now + CODE_TTL,
                  created_at=now)
    session.add(row)
    session.flush()
    return row, code


def void_unsent_code(session, code_id, phone, day):
    """The SMS could not be sent: the code is void and does not count against the limit."""
    session.execute(delete(SmsCode).where(SmsCode.id == code_id)
                    .execution_options(synchronize_session=False))
    give_back_quota(session, phone, day)


def check_binding_code(session, merchant_id, *, openid, phone, code, secret, now=None):
    """Use the latest code sent to ``phone`` for ``openid``: right, unexpired and unused
    (single use by a conditional UPDATE). Wrong codes count; 5 wrong tries void it."""
    check_phone(phone)
    now = now or china_now()
    row = session.execute(
        select(SmsCode).where(SmsCode.merchant_id == merchant_id, SmsCode.phone == phone,
                              SmsCode.openid == openid)
        .order_by(SmsCode.created_at.desc(), SmsCode.id.desc()).limit(1)).scalar()
    if row is None or row.used_at is not None:
        raise OfficialError(N_("请先获取验证码"), field="code", code="no_code")
    if row.expires_at <= now:
        raise OfficialError(N_("验证码已过期，请重新获取"), field="code", code="code_expired")
    if row.attempts >= MAX_CODE_ATTEMPTS:
        raise OfficialError(N_("验证码错误次数过多，请重新获取"), field="code", code="code_locked")
    if not hmac.compare_digest(row.code_hash, code_digest(phone, (code or "").strip(), secret)):
        session.execute(update(SmsCode).where(SmsCode.id == row.id)
                        .values(attempts=SmsCode.attempts + 1)
                        .execution_options(synchronize_session=False))
        raise OfficialError(N_("验证码不正确"), field="code", code="bad_code")
    used = session.execute(update(SmsCode)
                           .where(SmsCode.id == row.id, SmsCode.used_at.is_(None))
                           .values(used_at=now)
                           .execution_options(synchronize_session=False)).rowcount
    if used != 1:
        raise OfficialError(N_("请先获取验证码"), field="code", code="no_code")


def member_of_openid(session, openid):
    return session.execute(select(Member).where(Member.openid == openid).limit(1)).scalar()


def attach_openid(session, member, openid):
    """Bind a follower to a member: one WeChat account binds one member, and a member
    bound to another WeChat account is not taken over."""
    other = member_of_openid(session, openid)
    if other is not None and other.id != member.id:
        raise OfficialError(N_("该微信已绑定会员 %(name)s，一个微信号只能绑定一个会员"),
                            code="openid_bound", name=str(other))
    if member.openid and member.openid != openid:
        raise OfficialError(N_("该会员已绑定其他微信号"), code="member_bound")
    first_time = member.openid != openid
    member.openid = openid
    if first_time:
        award_bind_points(session, member)


def award_bind_points(session, member):
    """绑定送积分: the merchant's bind bonus, once per member (idempotency key)."""
    from app.services import points as points_service

    rule = points_service.points_rule(session, member.merchant_id)
    if rule.bind_points and rule.bind_points > 0:
        points_service.change_points(session, member, int(rule.bind_points), "绑定微信赠送",
                                     "bind", f"bind:{member.id}")


def bind_by_phone(session, merchant_id, *, openid, phone, name=None):
    """After the code was checked: bind to the member with this phone, or file a 绑定申请
    for staff. Returns ("bound", member) or ("requested", binding request)."""
    member = session.execute(select(Member).where(Member.phone == phone).limit(1)).scalar()
    if member is not None:
        attach_openid(session, member, openid)
        session.flush()
        return "bound", member
    request = session.execute(select(BindingRequest).where(
        BindingRequest.openid == openid, BindingRequest.phone == phone,
        BindingRequest.status == "pending")).scalar()
    if request is None:
        request = BindingRequest(merchant_id=merchant_id, openid=openid[:64], phone=phone,
                                 name=(name or "").strip()[:32] or None)
        session.add(request)
        session.flush()
    return "requested", request


def binding_status(session, openid):
    """What the shop page shows: the bound member, else the latest request."""
    member = member_of_openid(session, openid)
    if member is not None:
        return {"status": "bound", "member_id": member.id, "nickname": member.nickname,
                "phone": member.phone}
    request = session.execute(select(BindingRequest).where(BindingRequest.openid == openid)
                              .order_by(BindingRequest.id.desc()).limit(1)).scalar()
    if request is None:
        return {"status": "unbound"}
    return {"status": request.status, "phone": request.phone, "reason": request.reason}


def approve_request(session, request, member, operator, now=None):
    """用户绑定管理 → 绑定: bind the request's WeChat account to the chosen member."""
    if request.status != "pending":
        raise OfficialError(N_("该申请已处理"), code="handled")
    if member is None:
        raise OfficialError(N_("请选择要绑定的会员"), field="member_id", code="no_member")
    attach_openid(session, member, request.openid)
    request.status = "bound"
    request.member_id = member.id
    request.reason = None
    request.handled_by = (operator or "")[:64]
    request.handled_at = now or china_now()


def reject_request(request, reason, operator, now=None):
    """用户绑定管理 → 拒绝, with the reason the follower will read."""
    if request.status != "pending":
        raise OfficialError(N_("该申请已处理"), code="handled")
    reason = (reason or "").strip()
    if not reason:
        raise OfficialError(N_("请填写拒绝原因"), field="reason", code="no_reason")
    if len(reason) > 255:
        raise OfficialError(N_("拒绝原因最多 255 个字"), field="reason", code="reason_long")
    request.status = "rejected"
    request.reason = reason
    request.handled_by = (operator or "")[:64]
    request.handled_at = now or china_now()


# -- follower tokens for the shop API -----------------------------------------------------
FOLLOWER_TOKEN_SALT = "merchantdesk-follower-api"
FOLLOWER_TOKEN_MAX_AGE = 2 * 3600


def issue_follower_token(merchant_id, openid, secret):
    """A signed token for the shop API carrying the merchant and the follower's openid
    (given after the WeChat OAuth code exchange proved the openid)."""
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt=FOLLOWER_TOKEN_SALT).dumps(
        {"m": merchant_id, "o": openid})


def read_follower_token(token, secret, max_age=FOLLOWER_TOKEN_MAX_AGE):
    """(merchant id, openid) from a token, or OfficialError 401."""
    from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

    try:
        data = URLSafeTimedSerializer(secret, salt=FOLLOWER_TOKEN_SALT).loads(
            token or "", max_age=max_age)
        return int(data["m"]), str(data["o"])
    except SignatureExpired:
        raise OfficialError(N_("页面已过期，请从公众号菜单重新进入"), code="token_expired",
                            status=401) from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise OfficialError(N_("请从公众号菜单进入"), code="bad_token", status=401) from None


# == 关注成为会员 ============================================================================
def member_for_follower(session, merchant_id, openid):
    """关注成为会员: the member of this WeChat account, created on first follow."""
    from app.services import member as member_service

    member = member_of_openid(session, openid)
    if member is None:
        member = member_service.create_member(
            session, nickname=f"微信粉丝{openid[-4:]}", source="official",
            merchant_id=merchant_id, openid=openid)
    return member
