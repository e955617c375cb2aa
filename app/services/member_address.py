"""收货地址: a member's delivery addresses, written by staff (会员详情) and by the member
through the shop API. Orders read them.

Limits (checked field by field, Chinese messages): 收货人 1-32 characters; 联系电话 an
11-digit mobile or a landline like 010-12345678; 省份 and 城市 required, 区县 optional (some
cities have none), each up to 20 characters; 详细地址 2-200 characters; at most
``MAX_ADDRESSES`` per member. Exactly one default address per member while they have any:
the first is the default, setting another clears the old one, deleting the default hands it
to the newest remaining address. Default changes queue on the member row.
"""
import re

from sqlalchemy import func, select, update

from app.models.member import Member, MemberAddress
from app.services.errors import N_
from app.services.member import LoyaltyError

MAX_ADDRESSES = 20
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
FIELDS = ("name", "phone", "province", "city", "district", "detail", "is_default")
# (field, minimum, maximum, message when missing, message when too long)
TEXT_LIMITS = (
    ("name", 1, 32, N_("请填写收货人"), N_("收货人最多 32 个字")),
    ("province", 1, 20, N_("请选择省份"), N_("省份最多 20 个字")),
    ("city", 1, 20, N_("请选择城市"), N_("城市最多 20 个字")),
    ("district", 0, 20, None, N_("区县最多 20 个字")),
    ("detail", 2, 200, N_("请填写详细地址（至少 2 个字）"), N_("详细地址最多 200 个字")),
)


def _flag(value):
    return str(value).strip().lower() in ("1", "true", "on", "yes", "y")


def clean_values(raw):
    """Trimmed strings and a bool from a form or JSON body."""
    values = {name: ("" if raw.get(name) is None else str(raw.get(name)).strip())
              for name in FIELDS if name != "is_default"}
    values["is_default"] = _flag(raw.get("is_default", False))
    return values


def address_errors(values):
    """{field: Chinese message} for ``clean_values`` output; empty when valid."""
    errors = {}
    for name, low, high, missing, too_long in TEXT_LIMITS:
        text = values.get(name, "")
        if len(text) < low:
            errors[name] = missing
        elif len(text) > high:
            errors[name] = too_long
    phone = values.get("phone", "")
    if not phone:
        errors["phone"] = N_("请填写联系电话")
    elif not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
        errors["phone"] = N_("联系电话应为 11 位手机号或带区号的固定电话，例如 010-12345678")
    return errors


def _check(values):
    errors = address_errors(values)
    if errors:
        field, message = next(iter(errors.items()))
        raise LoyaltyError(message, code="bad_address", field=field)


def _lock_member(session, member):
    # Serializes one member's default changes (no-op on SQLite, which has one writer).
    session.execute(select(Member.id).where(Member.id == member.id).with_for_update())


def addresses_of(session, member_id):
    return session.execute(select(MemberAddress).where(MemberAddress.member_id == member_id)
                           .order_by(MemberAddress.id)).scalars().all()


def _clear_default(session, member_id, keep_id=None):
    stmt = update(MemberAddress).where(MemberAddress.member_id == member_id,
                                       MemberAddress.is_default.is_(True))
    if keep_id is not None:
        stmt = stmt.where(MemberAddress.id != keep_id)
    session.execute(stmt.values(is_default=False).execution_options(synchronize_session="fetch"))


def _apply(address, values):
    for name in ("name", "phone", "province", "city", "district", "detail"):
        setattr(address, name, values[name])
    address.region = " ".join(p for p in (values["province"], values["city"],
                                          values["district"]) if p)[:64]


def add_address(session, member, raw):
    """A new address for ``member``; the first one is the default. The caller commits."""
    values = clean_values(raw)
    _check(values)
    _lock_member(session, member)
    count = session.execute(select(func.count()).select_from(MemberAddress).where(
        MemberAddress.member_id == member.id)).scalar()
    if count >= MAX_ADDRESSES:
        raise LoyaltyError(N_("每位会员最多保存 %(n)s 个收货地址"), code="too_many_addresses",
                           n=MAX_ADDRESSES)
    address = MemberAddress(merchant_id=member.merchant_id, member_id=member.id,
                            is_default=False)
    _apply(address, values)
    session.add(address)
    session.flush()
    if values["is_default"] or count == 0:
        set_default(session, member, address, locked=True)
    return address


def update_address(session, member, address, raw):
    """Edit an address of ``member``. Unticking 默认 on the default address is ignored
    while it is the member's default (another address must be chosen instead)."""
    _own(member, address)
    values = clean_values(raw)
    _check(values)
    _lock_member(session, member)
    _apply(address, values)
    session.flush()
    if values["is_default"]:
        set_default(session, member, address, locked=True)
    return address


def set_default(session, member, address, locked=False):
    _own(member, address)
    if not locked:
        _lock_member(session, member)
    _clear_default(session, member.id, keep_id=address.id)
    address.is_default = True
    session.flush()
    return address


def delete_address(session, member, address):
    """Delete; when it was the default, the newest remaining address becomes the default."""
    _own(member, address)
    _lock_member(session, member)
    was_default = address.is_default
    session.delete(address)
    session.flush()
    if was_default:
        rest = addresses_of(session, member.id)
        if rest:
            set_default(session, member, rest[-1], locked=True)


def address_of(session, member, address_id):
    """The member's own address ``address_id``, or None (another member's is None too)."""
    try:
        address_id = int(address_id)
    except (TypeError, ValueError):
        return None
    return session.execute(select(MemberAddress).where(
        MemberAddress.id == address_id, MemberAddress.member_id == member.id)).scalar()


def _own(member, address):
    if address.member_id != member.id:
        raise LoyaltyError(N_("收货地址不存在"), code="no_address", status=404)


def as_dict(address):
    return {"id": address.id, "name": address.name, "phone": address.phone,
            "province": address.province, "city": address.city, "district": address.district,
            "detail": address.detail, "region": address.region,
            "is_default": bool(address.is_default)}
