"""Shared pieces of the AI 刷脸 tests: real photos (scikit-image's astronaut, one woman; two
astronauts side by side; a cup of coffee with no face), campaigns built through the service,
members with shop API tokens, and the merchant's provider settings put back afterwards."""
import io
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from tests.conftest import merchant_id

skimage_data = pytest.importorskip("skimage.data")

MERCHANT_A, MERCHANT_B = "鲜果时光", "茶语小铺"


def encode(pixels, fmt="JPEG"):
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt)
    return out.getvalue()


def astronaut_jpeg():
    return encode(skimage_data.astronaut())


def two_people_jpeg():
    face = skimage_data.astronaut()
    return encode(np.concatenate([face, face], axis=1))


def no_face_jpeg():
    return encode(skimage_data.coffee())


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def new_member(app, phone, merchant=MERCHANT_A):
    """(member id, shop API token) of a fresh member."""
    from app.extensions import db
    from app.services import member as members
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        member = members.create_member(db.session, nickname=f"刷脸{phone[-4:]}", phone=phone)
        db.session.commit()
        return member.id, members.issue_member_token(member)


def make_campaign(app, *, tiers, rule_mode="age_gender", limit=1, merchant=MERCHANT_A,
                  name="刷脸领券测试"):
    """A campaign with ``tiers`` (dicts: amount, quantity and band fields); returns its id."""
    from app.extensions import db
    from app.models.base import china_now
    from app.models.shop import Shop
    from app.services import face_coupon as service
    from app.tenancy import tenant_scope

    now = china_now()
    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        shop = db.session.execute(select(Shop).order_by(Shop.id)).scalars().first()
        campaign, errors = service.save_campaign(db.session, {
            "name": name, "shop": shop, "rules": "<p>每人限参与一次</p>", "share_title": "",
            "status": "active", "participation_limit": limit, "rule_mode": rule_mode},
            measures_beauty=True)
        assert not errors, errors
        for tier in tiers:
            values = {"valid_from": now - timedelta(hours=1), "valid_to": now + timedelta(days=30),
                      "gender": "any"}
            values.update(tier)
            values["amount"] = Decimal(str(values["amount"]))
            service.add_tier(db.session, campaign, values, now=now)
        db.session.commit()
        return campaign.id


def set_provider(app, merchant=MERCHANT_A, **fields):
    """Write the merchant's face_settings directly (the settings form is tested apart)."""
    from app.extensions import db
    from app.models.face_coupon import FaceSettings
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(merchant_id(app, merchant)):
        row = db.session.execute(select(FaceSettings)).scalars().first()
        if row is None:
            row = FaceSettings()
            db.session.add(row)
        for key, value in fields.items():
            setattr(row, key, value)
        db.session.commit()


@pytest.fixture()
def local_provider(app):
    """Merchant A on the offline provider with no retention, put back after the test."""
    set_provider(app, provider="local", retention_days=0)
    yield
    set_provider(app, provider="local", retention_days=0)


def scan(client, campaign_id, token, photo, consent="1", filename="selfie.jpg"):
    data = {"photo": (io.BytesIO(photo), filename)}
    if consent is not None:
        data["consent"] = consent
    return client.post(f"/api/v1/face/campaigns/{campaign_id}/scan", headers=auth(token),
                       data=data, content_type="multipart/form-data")
