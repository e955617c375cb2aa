"""Merchant lifecycle: creating a merchant with its owner account, freezing, staff."""
import re
import uuid

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.models.merchant import Merchant, StaffUser
from app.services.errors import BusinessError, N_

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
FIRST_PASSWORD = "888888"


def check_phone(phone):
    if not PHONE_RE.match(phone or ""):
        raise BusinessError(N_("请输入 11 位中国大陆手机号"), code="bad_phone")


def phone_taken(session, phone, exclude_user_id=None):
    query = select(StaffUser.id).where(StaffUser.phone == phone)
    if exclude_user_id:
        query = query.where(StaffUser.id != exclude_user_id)
    return session.execute(query.execution_options(skip_tenant=True)).first() is not None


def staff_identity(phone):
    """FAB's username and email are unique and not null; staff log in by phone, so they
    get generated values nobody types."""
    return f"u{phone}", f"{phone}.{uuid.uuid4().hex[:10]}@staff.invalid"


def new_staff_user(*, merchant, phone, name, password_hash, is_owner, roles):
    """A console account that logs in by phone and must change its first password."""
    username, email = staff_identity(phone)
    return StaffUser(
        merchant=merchant, phone=phone, is_owner=is_owner, first_name=name or phone,
        last_name="", username=username, email=email, password=password_hash, active=True,
        must_change_password=True, roles=list(roles))


def create_merchant(session, *, merchant, owner_role):
    """Add ``merchant`` and its owner, who logs in with the contact phone and 888888
    and must change it at first login."""
    check_phone(merchant.contact_phone)
    if phone_taken(session, merchant.contact_phone):
        raise BusinessError(N_("该手机号已被其他账号使用"), code="phone_taken")
    owner = new_staff_user(merchant=merchant, phone=merchant.contact_phone,
                           name=merchant.name[:64], is_owner=True, roles=[owner_role],
                           password_hash=generate_password_hash(FIRST_PASSWORD))
    session.add(merchant)
    session.add(owner)
    return owner


def set_merchant_status(merchant, status):
    """Freeze or unfreeze; a frozen merchant's staff are logged out at their next click."""
    if status not in ("normal", "frozen"):
        raise BusinessError(N_("未知的商家状态"), code="bad_status")
    merchant.status = status
