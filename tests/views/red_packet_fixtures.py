"""Shared set-up of the 微红包 tests: the platform's WeChat Pay account on the loopback fake,
members with tokens, a funded pool and an activity."""
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import merchant_id

MERCHANT_A = "鲜果时光"
MERCHANT_B = "茶语小铺"
SP_MCH_ID, SP_API_KEY, SP_APPID = "1900000999", "P" * 32, "wx" + "9" * 16


@pytest.fixture()
def platform_pay(app, wechat):
    """The platform's own WeChat Pay account (服务商 appid, mch_id, key, certificate), known
    to the fake with a balance; the previous platform values are restored afterwards."""
    from app.extensions import db
    from app.models.wechat import PlatformWeChatConfig
    from app.tenancy import platform_scope
    from app.wechat import certs
    from tests.fakes.wechat import make_p12

    fields = ("sp_appid", "sp_mch_id", "sp_api_key", "sp_cert_pem", "sp_key_pem",
              "sp_cert_serial", "sp_cert_expires_at")
    p12, serial = make_p12(SP_MCH_ID)
    certificate = certs.load_p12(p12, SP_MCH_ID)
    with app.app_context(), platform_scope():
        config = db.session.query(PlatformWeChatConfig).first()
        created = config is None
        if created:
            config = PlatformWeChatConfig()
            db.session.add(config)
        saved = {f: getattr(config, f) for f in fields}
        config.sp_appid, config.sp_mch_id, config.sp_api_key = SP_APPID, SP_MCH_ID, SP_API_KEY
        config.sp_cert_pem, config.sp_key_pem = certificate.cert_pem, certificate.key_pem
        config.sp_cert_serial, config.sp_cert_expires_at = certificate.serial, \
            certificate.expires_at
        db.session.commit()
        config_id = config.id
    fake_merchant = wechat.add_merchant(SP_MCH_ID, SP_API_KEY, [SP_APPID],
                                        balance_fen=1_000_000, cert_serials=[serial])
    yield fake_merchant
    with app.app_context(), platform_scope():
        config = db.session.get(PlatformWeChatConfig, config_id)
        if created:
            db.session.delete(config)
        else:
            for name, value in saved.items():
                setattr(config, name, value)
        db.session.commit()


@contextmanager
def as_merchant(app, name=MERCHANT_A):
    from app.extensions import db
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, name)):
        try:
            yield db.session
        finally:
            db.session.rollback()


def new_member(app, phone, merchant=MERCHANT_A, openid=True, **fields):
    """(member id, API token) of a new member with an openid."""
    from app.services import member as members

    with as_merchant(app, merchant) as session:
        member = members.create_member(session, nickname=f"红包{phone[-4:]}", phone=phone,
                                       **fields)
        if openid:
            member.openid = f"o{phone}openid"
        session.commit()
        return member.id, members.issue_member_token(member)


def fund_pool(app, amount, merchant=MERCHANT_A, key=None):
    """An offline credit into the merchant's pool (as the platform would)."""
    import uuid

    from app.services import red_packet as service

    with as_merchant(app, merchant) as session:
        service.offline_credit(session, merchant_id(app, merchant), Decimal(amount),
                               "测试线下转账", None, key or uuid.uuid4().hex)
        session.commit()


def pool_balance(app, merchant=MERCHANT_A):
    from app.services import red_packet as service

    with as_merchant(app, merchant) as session:
        pool = service.pool_of(session, merchant_id(app, merchant))
        session.commit()
        return pool.balance, service.pool_ledger_sum(session, merchant_id(app, merchant))


def new_activity(app, total, tiers, merchant=MERCHANT_A, per_day=0, per_member=0, fund=True,
                 **values):
    """A live 24-hour activity; the pool is funded with ``total`` first when ``fund``."""
    from app.models.base import china_now
    from app.services import red_packet as service

    if fund:
        fund_pool(app, total, merchant)
    with as_merchant(app, merchant) as session:
        now = china_now() - timedelta(minutes=1)
        data = {"name": "双十二红包", "total": str(total), "claim_mode": "24h",
                "per_day": str(per_day), "per_member": str(per_member), **values}
        activity, errors = service.create_activity(session, merchant_id(app, merchant), data,
                                                   tiers, now=now)
        assert not errors, errors
        session.commit()
        return activity.id


def auth(token):
    return {"Authorization": f"Bearer {token}"}
