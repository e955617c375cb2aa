"""优惠券 适用商城: a batch may be limited to one of the merchant's shops (``shop_id``; NULL
means every shop). 领取 is never limited by shop; using the coupon for an order is
(``shop_refusal``, called by ``quote`` and ``coupon_for_code``). Re-exported by
app/services/coupon.py."""
from sqlalchemy import select, update

from app.models.marketing import CouponBatch
from app.services.errors import N_


def own_shop(session, shop_id):
    """The shop ``shop_id`` if the current merchant runs it, else None (the tenant guard
    hides every other merchant's shop)."""
    from app.models.shop import Shop

    if shop_id is None or isinstance(shop_id, bool) or not isinstance(shop_id, int):
        return None
    return session.execute(select(Shop).where(Shop.id == shop_id)).scalar()


def shop_refusal(batch, shop):
    """Why ``batch``'s coupons cannot be used for an order of ``shop`` (a Shop or its id):
    a CouponError "该优惠券仅限在 <shop> 使用", or None (the batch has no 适用商城, it is
    that very shop, or no shop was given)."""
    from app.services.coupon import CouponError

    shop_id = getattr(shop, "id", shop)
    if shop_id is None or batch.shop_id is None or batch.shop_id == shop_id:
        return None
    return CouponError(N_("该优惠券仅限在 %(shop)s 使用"), code="wrong_shop", status=409,
                       shop=batch.shop.name if batch.shop is not None else "")


def rescope_untouched(session, batch_ids, shop_id):
    """Move a plugin's published batches (AI 刷脸 tiers) to ``shop_id`` while none of their
    coupons has left them: ``remaining = quantity`` is part of the one conditional UPDATE,
    so a coupon taken at the same moment either commits first and refuses the move, or
    waits for it. A coupon already given keeps the shop it was given for: when any batch
    was touched, CouponError "issued" and nothing moves (the savepoint is rolled back)."""
    from app.services.coupon import CouponError

    ids = sorted(set(batch_ids))
    if not ids:
        return
    nested = session.begin_nested()
    result = session.execute(update(CouponBatch).where(
        CouponBatch.id.in_(ids), CouponBatch.remaining == CouponBatch.quantity)
        .values(shop_id=shop_id).execution_options(synchronize_session=False))
    if result.rowcount != len(ids):
        nested.rollback()
        raise CouponError(
            N_("本活动已有顾客领到优惠券，已领的券只能在原商城使用，不能再更换商城；如需换商城请新建活动"),
            code="issued", field="shop_id")
    nested.commit()
    for batch in [o for o in session.identity_map.values() if isinstance(o, CouponBatch)]:
        if batch.id in ids:
            session.expire(batch, ["shop_id", "shop"])
