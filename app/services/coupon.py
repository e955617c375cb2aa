"""优惠券: batches, the operations matrix, issuing, claiming, codes, verification, stats,
and what orders call: ``quote``, ``redeem``, ``restore``, ``grant_gift_coupons``.

A batch's ``remaining`` changes only in ``_take`` / ``_give_back``: one conditional UPDATE
(``... WHERE remaining >= :n AND status = 'published'``), then a ``coupon_ledger`` row in the
same transaction. 普通券 codes are numbered 1..quantity; the UPDATE decides which serials a
caller gets (the n-th coupon taken is serial n), so parallel claims never share a code and
never over-issue. The caller commits.
"""
import secrets
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.models.base import china_now
from app.models.marketing import (CouponBatch, CouponCode, CouponGiftGrant, CouponLedger,
                                  MemberCoupon)
from app.services.errors import N_
from app.services.member import LoyaltyError

MAX_QUANTITY = 100_000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out loud in store
# The operations matrix of the second guide (3、优惠券操作).
OPERATIONS = {
    "normal": ("stats", "publish", "issue", "claim", "void", "delete", "verify"),
    "reusable": ("stats", "publish", "void", "delete"),
}


class CouponError(LoyaltyError):
    """A refused coupon operation: a Chinese message, and the form field it belongs to."""


# -- the matrix ----------------------------------------------------------------------------
def allowed(batch, operation):
    """Whether ``operation`` is offered for ``batch`` now: by kind (the guide's matrix) and
    by state (发布 only a draft; 派发/领取/核销 only a published batch; 编辑 only a draft)."""
    if batch.status == "deleted":
        return False
    if operation == "edit":
        return batch.status == "draft"
    if operation not in OPERATIONS[batch.kind]:
        return False
    if operation == "publish":
        return batch.status == "draft"
    if operation in ("issue", "claim", "verify", "void"):
        return batch.status == "published"
    return True


def _require(batch, operation):
    if allowed(batch, operation):
        return
    if operation not in OPERATIONS.get(batch.kind, ()) and operation != "edit":
        names = {"issue": N_("复用券无法派发"), "claim": N_("复用券无法领取"),
                 "verify": N_("复用券无法核销")}
        raise CouponError(names.get(operation, N_("该优惠券不支持此操作")), code="not_allowed")
    if operation == "edit":
        raise CouponError(N_("优惠券已发布，不能再修改"), code="published")
    if operation == "publish":
        raise CouponError(N_("优惠券已发布"), code="published")
    raise CouponError(N_("优惠券尚未发布或已失效"), code="not_published")


# -- batches ---------------------------------------------------------------------------------
def _positive_int(values, name, errors, message, maximum=MAX_QUANTITY, allow_zero=False):
    value = values.get(name)
    if value is None or isinstance(value, bool) or not isinstance(value, int) \
            or value < (0 if allow_zero else 1) or value > maximum:
        errors[name] = message
        return None
    return value


def check_batch(values):
    """Field errors for a batch form ({field: Chinese message}); ``values`` holds Python
    values (Decimal, int, datetime, str)."""
    errors = {}
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = N_("请填写优惠券名称")
    elif len(name) > 30:
        errors["name"] = N_("优惠券名称最多 30 个字")
    kind = values.get("kind")
    if kind not in OPERATIONS:
        errors["kind"] = N_("请选择优惠券类型")
    value = values.get("value")
    if values.get("discount_type") == "discount":
        # stored as the rate paid: 8.5折 -> 0.85
        if value is None or not Decimal("0.01") <= Decimal(value) <= Decimal("0.99"):
            errors["value"] = N_("折扣须在 0.1 折到 9.9 折之间")
    elif values.get("discount_type") == "cash":
        if value is None or Decimal(value) <= 0 or Decimal(value) > 100000:
            errors["value"] = N_("面额须大于 0 且不超过 100000 元")
        elif Decimal(value) != Decimal(value).quantize(Decimal("0.01")):
            errors["value"] = N_("金额最多两位小数")
    else:
        errors["discount_type"] = N_("请选择优惠方式")
    threshold = values.get("threshold")
    if threshold is None or Decimal(threshold) < 0 or Decimal(threshold) > 10_000_000:
        errors["threshold"] = N_("使用门槛须为 0 或正数，0 表示无门槛")
    elif (values.get("discount_type") == "cash" and value is not None and Decimal(threshold) > 0
          and Decimal(value) > Decimal(threshold)):
        errors["value"] = N_("面额不能大于使用门槛")
    _positive_int(values, "quantity", errors,
                  N_("数量须为 1 到 100000 之间的整数") if kind != "reusable"
                  else N_("使用次数须为 1 到 100000 之间的整数"))
    if kind == "normal":
        prefix = (values.get("code_prefix") or "").strip()
        if prefix and (len(prefix) > 8 or not prefix.isalnum() or not prefix.isascii()):
            errors["code_prefix"] = N_("优惠码前缀为 1-8 位字母或数字")
    elif kind == "reusable":
        code = (values.get("code") or "").strip()
        if not code:
            errors["code"] = N_("请填写优惠码")
        elif len(code) < 4 or len(code) > 20 or not code.isalnum() or not code.isascii():
            errors["code"] = N_("优惠码为 4-20 位字母或数字")
    if values.get("validity_type") == "range":
        start, end = values.get("valid_from"), values.get("valid_to")
        if start is None:
            errors["valid_from"] = N_("请选择开始时间")
        if end is None:
            errors["valid_to"] = N_("请选择结束时间")
        elif start is not None and end <= start:
            errors["valid_to"] = N_("结束时间须晚于开始时间")
    elif values.get("validity_type") == "days":
        _positive_int(values, "valid_days", errors, N_("有效天数须为 1 到 3650 之间的整数"),
                      maximum=3650)
    else:
        errors["validity_type"] = N_("请选择有效期类型")
    scope = values.get("scope")
    if scope == "products" and not values.get("product_ids"):
        errors["products"] = N_("请选择适用的商品")
    elif scope == "categories" and not values.get("category_ids"):
        errors["categories"] = N_("请选择适用的分类")
    elif scope not in ("all", "products", "categories"):
        errors["scope"] = N_("请选择适用商品范围")
    _positive_int(values, "per_member_limit", errors, N_("每人限领须为 0 到 1000 之间的整数"),
                  maximum=1000, allow_zero=True)
    if values.get("gift_kind", "none") != "none" and kind == "reusable":
        errors["gift_kind"] = N_("复用券不能用于注册送券或新人礼包")
    return errors


BATCH_FIELDS = ("name", "kind", "discount_type", "value", "threshold", "code_prefix", "code",
                "quantity", "validity_type", "valid_from", "valid_to", "valid_days", "scope",
                "per_member_limit", "gift_kind", "shop_id")


def _code_taken(session, code, batch_id=None):
    query = select(CouponBatch.id).where(func.upper(CouponBatch.code) == code.upper(),
                                         CouponBatch.status != "deleted")
    if batch_id is not None:
        query = query.where(CouponBatch.id != batch_id)
    return session.execute(query.limit(1)).first() is not None


def save_batch(session, values, batch=None, products=(), categories=()):
    """Create (``batch`` None) or edit a draft batch. Raises CouponError on the first field
    error (forms show all of ``check_batch`` first)."""
    if batch is not None:
        _require(batch, "edit")
    values = dict(values)
    values.setdefault("product_ids", [p.id for p in products])
    values.setdefault("category_ids", [c.id for c in categories])
    errors = check_batch(values)
    code = (values.get("code") or "").strip().upper() if values.get("kind") == "reusable" else None
    if not errors and code and _code_taken(session, code, batch.id if batch else None):
        errors["code"] = N_("该优惠码已被其他优惠券使用")
    if not errors and values.get("shop_id") is not None \
            and own_shop(session, values["shop_id"]) is None:
        errors["shop_id"] = N_("所选商城不存在")
    if errors:
        field, message = next(iter(errors.items()))
        raise CouponError(message, code="invalid", field=field)
    if batch is None:
        batch = CouponBatch(status="draft")
        session.add(batch)
    for name in BATCH_FIELDS:
        if name in values:
            setattr(batch, name, values[name])
    batch.name = batch.name.strip()
    batch.code = code
    batch.code_prefix = ((values.get("code_prefix") or "").strip().upper() or None
                         if batch.kind == "normal" else None)
    if batch.validity_type == "range":
        batch.valid_days = None
    else:
        batch.valid_from = batch.valid_to = None
    batch.gift_kind = values.get("gift_kind") or "none"
    batch.remaining = batch.quantity
    batch.products = list(products) if batch.scope == "products" else []
    batch.categories = list(categories) if batch.scope == "categories" else []
    session.flush()
    return batch


def _new_codes(prefix, count):
    """``count`` distinct one-use codes: prefix + 10 random characters."""
    codes = set()
    while len(codes) < count:
        codes.add((prefix or "") + "".join(secrets.choice(CODE_ALPHABET) for _ in range(10)))
    return list(codes)


def publish(session, batch, now=None):
    """发布: the batch becomes immutable and usable; 普通券 get their codes now."""
    _require(batch, "publish")
    now = now or china_now()
    result = session.execute(update(CouponBatch).where(
        CouponBatch.id == batch.id, CouponBatch.status == "draft").values(
        status="published", published_at=now, remaining=CouponBatch.quantity))
    if result.rowcount != 1:
        raise CouponError(N_("优惠券已发布"), code="published")
    if batch.kind == "normal":
        rows = [{"merchant_id": batch.merchant_id, "batch_id": batch.id, "serial": i + 1,
                 "code": code, "status": "available"}
                for i, code in enumerate(_new_codes(batch.code_prefix, batch.quantity))]
        for start in range(0, len(rows), 5000):
            session.execute(insert(CouponCode.__table__), rows[start:start + 5000])
    session.refresh(batch)
    return batch


def void(session, batch):
    """废弃: 普通券 not yet taken become unusable, taken ones stay valid until they expire;
    a 复用券's code stops working at once (its unused bindings are voided)."""
    _require(batch, "void")
    session.execute(update(CouponBatch).where(CouponBatch.id == batch.id,
                                              CouponBatch.status == "published")
                    .values(status="voided"))
    if batch.kind == "reusable":
        _void_unused(session, batch)
    session.refresh(batch)
    return batch


def delete(session, batch):
    """删除: the batch disappears from lists, every unused coupon of it stops working
    ("已被领取的优惠券也会立即删除"); used ones stay for their orders' history."""
    if batch.status == "deleted":
        raise CouponError(N_("优惠券不存在"), code="not_found", status=404)
    session.execute(update(CouponBatch).where(CouponBatch.id == batch.id)
                    .values(status="deleted", code=None))
    _void_unused(session, batch)
    session.refresh(batch)
    return batch


def _void_unused(session, batch):
    session.execute(update(MemberCoupon).where(MemberCoupon.batch_id == batch.id,
                                               MemberCoupon.status == "unused")
                    .values(status="voided"))


# -- taking coupons out of a batch -------------------------------------------------------------
def _ledger(session, batch, delta, after, kind, key, member_id=None, ref=None, operator_id=None):
    session.add(CouponLedger(merchant_id=batch.merchant_id, batch_id=batch.id, delta=delta,
                             remaining_after=after, kind=kind, idempotency_key=key,
                             member_id=member_id, ref=ref, operator_id=operator_id))


def _decrement(session, batch, n):
    """The one conditional UPDATE; returns ``remaining`` after it, or None."""
    result = session.execute(update(CouponBatch).where(
        CouponBatch.id == batch.id, CouponBatch.status == "published",
        CouponBatch.remaining >= n).values(remaining=CouponBatch.remaining - n))
    if result.rowcount != 1:
        return None
    return session.execute(select(CouponBatch.remaining).where(
        CouponBatch.id == batch.id)).scalar()


def _validity(batch, now):
    if batch.validity_type == "days":
        return now, now + timedelta(days=batch.valid_days)
    return batch.valid_from, batch.valid_to


def _take(session, batch, allocations, kind, source, key, now, ref=None, operator_id=None,
          short_message=N_("优惠券不足以派发")):
    """Take sum(quantities) coupons for [(member, quantity)] in one UPDATE; returns the
    MemberCoupon rows."""
    total = sum(quantity for _member, quantity in allocations)
    after = _decrement(session, batch, total)
    if after is None:
        raise CouponError(short_message, code="insufficient", field="quantity",
                          remaining=batch.remaining)
    member_id = allocations[0][0].id if len(allocations) == 1 else None
    _ledger(session, batch, -total, after, kind, key, member_id=member_id, ref=ref,
            operator_id=operator_id)
    codes = []
    if batch.kind == "normal":
        first = batch.quantity - after - total + 1
        serials = range(first, first + total)
        session.execute(update(CouponCode).where(
            CouponCode.batch_id == batch.id, CouponCode.serial.in_(list(serials)))
            .values(status="taken"))
        # A locking (current) read: under MariaDB's REPEATABLE READ a plain read could see
        # serials from an older snapshot, and ``take_code`` may have moved a code since.
        codes = session.execute(select(CouponCode.id, CouponCode.code).where(
            CouponCode.batch_id == batch.id, CouponCode.serial.in_(list(serials)))
            .order_by(CouponCode.serial).with_for_update()).all()
    start, end = _validity(batch, now)
    rows, position = [], 0
    for member, quantity in allocations:
        for _ in range(quantity):
            code_id, code = codes[position] if codes else (None, batch.code)
            position += 1
            row = MemberCoupon(merchant_id=batch.merchant_id, batch_id=batch.id,
                               member_id=member.id, code_id=code_id, code=code, source=source,
                               status="unused", valid_from=start, valid_to=end, created_at=now)
            session.add(row)
            rows.append(row)
    session.flush()
    batch.remaining = after
    return rows


def _held(session, batch, member):
    """How many coupons of ``batch`` the member got by 领取 or code (not 派发)."""
    return session.execute(select(func.count()).select_from(MemberCoupon).where(
        MemberCoupon.batch_id == batch.id, MemberCoupon.member_id == member.id,
        MemberCoupon.claim_slot.isnot(None))).scalar()


def _claim_slot(session, batch, member, row):
    """Give ``row`` the member's next claim slot; the unique (batch, member, slot) key
    refuses a slot taken by a parallel claim that this transaction's snapshot could not
    see yet. The caller rolls the transaction back on the error."""
    held = _held(session, batch, member)
    if batch.per_member_limit and held >= batch.per_member_limit:
        raise CouponError(N_("每人限领 %(limit)s 张，您已领过"), code="limit", status=409,
                          limit=batch.per_member_limit)
    row.claim_slot = held + 1
    try:
        session.flush()
    except IntegrityError:
        raise CouponError(N_("每人限领 %(limit)s 张，您已领过"), code="limit", status=409,
                          limit=batch.per_member_limit or held + 1) from None
    return row


def _lock_member(session, member):
    """One member's claims queue on the member row, so the per-member limit holds under
    concurrency (a no-op on SQLite, which serializes writers anyway)."""
    from app.models.member import Member

    session.execute(select(Member.id).where(Member.id == member.id).with_for_update())


def _expired(batch, now):
    return batch.validity_type == "range" and batch.valid_to is not None and batch.valid_to < now


def issue(session, batch, allocations, operator_id=None, now=None):
    """派发: [(member, quantity)] in one go, checked against what is left ("优惠券不足以派发")."""
    _require(batch, "issue")
    now = now or china_now()
    allocations = [(m, q) for m, q in allocations if q]
    if not allocations:
        raise CouponError(N_("请选择顾客并填写派发数量"), code="no_members", field="members")
    for _member, quantity in allocations:
        if not isinstance(quantity, int) or quantity < 1 or quantity > 1000:
            raise CouponError(N_("每位顾客的派发数量须为 1 到 1000 之间的整数"),
                              code="bad_quantity", field="quantity")
    if _expired(batch, now):
        raise CouponError(N_("优惠券已过期，不能派发"), code="expired")
    return _take(session, batch, allocations, "issue", "issue", f"issue:{uuid.uuid4().hex}",
                 now, operator_id=operator_id)


def claim(session, batch_id, member, now=None):
    """领取 by link or QR code: one coupon, within the per-member limit."""
    now = now or china_now()
    batch = session.get(CouponBatch, batch_id)
    if batch is None or batch.status == "deleted":
        raise CouponError(N_("优惠券不存在"), code="not_found", status=404)
    if batch.kind != "normal":
        raise CouponError(N_("复用券无法领取"), code="not_allowed")
    if batch.status != "published" or _expired(batch, now):
        raise CouponError(N_("该优惠券活动已过期"), code="expired", status=410)
    _lock_member(session, member)
    if batch.per_member_limit and _held(session, batch, member) >= batch.per_member_limit:
        raise CouponError(N_("每人限领 %(limit)s 张，您已领过"), code="limit", status=409,
                          limit=batch.per_member_limit)
    row = _take(session, batch, [(member, 1)], "claim", "claim",
                f"claim:{uuid.uuid4().hex}", now, short_message=N_("优惠券已领完"))[0]
    return _claim_slot(session, batch, member, row)


def bind_code(session, member, code, now=None):
    """A member enters a 复用券 code: they get a coupon of that batch to use at checkout.
    The use itself is counted when an order redeems it (``remaining`` = uses left)."""
    now = now or china_now()
    code = (code or "").strip().upper()
    batch = session.execute(select(CouponBatch).where(
        func.upper(CouponBatch.code) == code, CouponBatch.kind == "reusable",
        CouponBatch.status != "deleted")).scalar() if code else None
    if batch is None:
        raise CouponError(N_("优惠码不存在"), code="not_found", status=404, field="code")
    if batch.status != "published" or _expired(batch, now):
        raise CouponError(N_("优惠码已失效"), code="expired", status=410, field="code")
    if batch.remaining < 1:
        raise CouponError(N_("优惠码使用次数已用完"), code="used_up", status=409, field="code")
    _lock_member(session, member)
    if batch.per_member_limit and _held(session, batch, member) >= batch.per_member_limit:
        raise CouponError(N_("每人限用 %(limit)s 次"), code="limit", status=409, field="code",
                          limit=batch.per_member_limit)
    start, end = _validity(batch, now)
    row = MemberCoupon(merchant_id=batch.merchant_id, batch_id=batch.id, member_id=member.id,
                       code=batch.code, source="code", status="unused", valid_from=start,
                       valid_to=end, created_at=now)
    session.add(row)
    return _claim_slot(session, batch, member, row)


def coupon_for_code(session, member, code, now=None, shop=None):
    """下单时手动输入的优惠码: the member coupon an order will redeem, in the caller's
    transaction (so the order's rollback also undoes the binding):
    - a 复用券 code binds one more use for the member (``bind_code``);
    - a 普通券 code the member already holds is that coupon;
    - a 普通券 code not given out yet is taken from its batch for the member (``take_code``:
      the conditional UPDATE on ``remaining`` plus a ledger row, within 每人限领).
    No such code here, including another merchant's code: "优惠券不存在". With ``shop`` (the
    order's), a code of a batch limited to another shop is refused before anything is
    bound or taken ("该优惠券仅限在 <shop> 使用")."""
    now = now or china_now()
    code = (code or "").strip().upper()
    if not code:
        raise CouponError(N_("请输入优惠码"), code="no_code", field="coupon_code")
    if len(code) > 32:
        raise CouponError(N_("优惠券不存在"), code="not_found", status=404, field="coupon_code")
    reusable_batch = session.execute(select(CouponBatch).where(
        func.upper(CouponBatch.code) == code, CouponBatch.kind == "reusable",
        CouponBatch.status != "deleted")).scalar()
    reusable = reusable_batch.id if reusable_batch is not None else None
    if reusable is not None:
        _refuse_other_shop(reusable_batch, shop)
        bound = session.execute(select(MemberCoupon).where(
            MemberCoupon.batch_id == reusable, MemberCoupon.member_id == member.id,
            MemberCoupon.status == "unused").order_by(MemberCoupon.id)).scalars().first()
        if bound is not None:  # entered earlier (我的优惠券) and not used yet
            return bound
        try:
            return bind_code(session, member, code, now)
        except CouponError as exc:
            exc.field = "coupon_code"
            raise
    row = session.execute(select(CouponCode).where(CouponCode.code == code)).scalar()
    if row is None or row.batch.status == "deleted":
        raise CouponError(N_("优惠券不存在"), code="not_found", status=404, field="coupon_code")
    _refuse_other_shop(row.batch, shop)
    held = session.execute(select(MemberCoupon).where(MemberCoupon.code_id == row.id)).scalar()
    if held is not None:
        if held.member_id != member.id:
            raise CouponError(N_("该优惠码已被其他顾客领取"), code="taken", status=409,
                              field="coupon_code")
        return held  # its usability (已使用, 已过期...) is checked by quote and redeem
    return take_code(session, row, member, now)


def _refuse_other_shop(batch, shop):
    problem = shop_refusal(batch, shop)
    if problem is not None:
        problem.field = "coupon_code"
        raise problem


def take_code(session, code_row, member, now=None):
    """Give the member the 普通券 code ``code_row`` (not given out yet), like a 领取 of that
    very code. ``_decrement``'s UPDATE holds the batch row until commit, so every other take
    of the batch waits there: the serial this take owns (the n-th coupon taken is serial n)
    is swapped with the typed code's, and the batch's serial invariant holds."""
    now = now or china_now()
    batch = code_row.batch
    if batch.status != "published":
        raise CouponError(N_("优惠券已失效"), code="expired", status=410, field="coupon_code")
    if _expired(batch, now):
        raise CouponError(N_("优惠券已过期"), code="expired", status=410, field="coupon_code")
    _lock_member(session, member)
    if batch.per_member_limit and _held(session, batch, member) >= batch.per_member_limit:
        raise CouponError(N_("每人限领 %(limit)s 张，您已领过"), code="limit", status=409,
                          field="coupon_code", limit=batch.per_member_limit)
    after = _decrement(session, batch, 1)
    if after is None:
        raise CouponError(N_("优惠券已领完"), code="insufficient", status=409,
                          field="coupon_code")
    serial = batch.quantity - after
    table = CouponCode.__table__
    mine = [table.c.batch_id == batch.id, table.c.merchant_id == batch.merchant_id]
    taken = CouponError(N_("该优惠码已被其他顾客领取"), code="taken", status=409,
                        field="coupon_code")
    # The row's serial now (a locking read: an earlier take may have swapped it since this
    # transaction first read it, and MariaDB's plain reads would show the old one).
    current = session.execute(select(table.c.serial, table.c.status).where(
        *mine, table.c.id == code_row.id).with_for_update()).one()
    if current.status != "available" or current.serial < serial:
        raise taken
    old = current.serial
    if old != serial:
        moved = session.execute(update(table).where(
            *mine, table.c.id == code_row.id, table.c.status == "available",
            table.c.serial == old).values(serial=-serial))
        if moved.rowcount != 1:
            raise taken
        session.execute(update(table).where(*mine, table.c.serial == serial)
                        .values(serial=old))
        session.execute(update(table).where(*mine, table.c.id == code_row.id)
                        .values(serial=serial))
    marked = session.execute(update(table).where(
        *mine, table.c.id == code_row.id, table.c.status == "available")
        .values(status="taken"))
    if marked.rowcount != 1:
        raise taken
    session.refresh(code_row)
    _ledger(session, batch, -1, after, "claim", f"code:{code_row.id}", member_id=member.id)
    start, end = _validity(batch, now)
    row = MemberCoupon(merchant_id=batch.merchant_id, batch_id=batch.id, member_id=member.id,
                       code_id=code_row.id, code=code_row.code, source="code",
                       status="unused", valid_from=start, valid_to=end, created_at=now)
    session.add(row)
    batch.remaining = after
    return _claim_slot(session, batch, member, row)


def grant_gift_coupons(session, member, batch_ids, order_no, now=None):
    """满赠券: one coupon of each batch after the order; idempotent per order and batch.
    A batch that ran out, ended or is a 复用券 is skipped. Returns the new coupons."""
    now = now or china_now()
    granted = []
    for batch_id in batch_ids or ():
        key = f"gift:{order_no}:{batch_id}"[:64]
        if session.execute(select(CouponLedger.id).where(
                CouponLedger.idempotency_key == key)).first():
            continue
        batch = session.get(CouponBatch, batch_id)
        if batch is None or batch.kind != "normal" or batch.status != "published" \
                or _expired(batch, now):
            continue
        try:
            granted += _take(session, batch, [(member, 1)], "gift", "gift", key, now,
                             ref=order_no)
        except CouponError:
            continue  # out of stock: no coupon (the guide's FAQ)
    return granted


def grant_plugin_coupon(session, batch, member, source, key, ref=None, now=None):
    """One coupon of a published 普通券 ``batch`` for ``member`` from a plugin (AI 刷脸...):
    the same conditional UPDATE on ``remaining`` and ledger row (kind = ``source``) as 领取;
    the plugin keeps its own per-member limit. Raises CouponError ("insufficient" when none
    is left, "expired" when the batch ended or was voided); the caller commits."""
    now = now or china_now()
    if batch.kind != "normal" or batch.status != "published" or _expired(batch, now):
        raise CouponError(N_("优惠券已失效"), code="expired", status=410)
    return _take(session, batch, [(member, 1)], source, source, key, now, ref=ref,
                 short_message=N_("优惠券已领完"))[0]


def grant_signup_gift(session, member, kind="register", now=None):
    """注册送券 / 新人礼包: the newest published batch marked for ``kind`` gives the member
    one coupon, at most once per account and kind (the unique key on coupon_gift_grant
    decides; the caller rolls back on IntegrityError). Returns the coupon or None."""
    now = now or china_now()
    if session.execute(select(CouponGiftGrant.id).where(
            CouponGiftGrant.member_id == member.id, CouponGiftGrant.kind == kind)).first():
        return None
    batches = session.execute(select(CouponBatch).where(
        CouponBatch.gift_kind == kind, CouponBatch.status == "published",
        CouponBatch.kind == "normal", CouponBatch.remaining > 0)
        .order_by(CouponBatch.id.desc())).scalars()
    for batch in batches:
        if _expired(batch, now):
            continue
        try:
            coupon = _take(session, batch, [(member, 1)], "gift", kind,
                           f"{kind}:{member.id}", now)[0]
        except CouponError:
            continue
        session.add(CouponGiftGrant(merchant_id=member.merchant_id, member_id=member.id,
                                    kind=kind, batch_id=batch.id, member_coupon_id=coupon.id))
        session.flush()
        return coupon
    return None


# -- using coupons ----------------------------------------------------------------------------
def usable(coupon, now):
    """Why a member coupon cannot be used now (a Chinese message), or None."""
    if coupon.status == "used":
        return N_("优惠券已使用")
    if coupon.status != "unused" or coupon.batch.status == "deleted":
        return N_("优惠券已失效")
    if coupon.batch.kind == "reusable" and coupon.batch.status != "published":
        return N_("优惠码已失效")
    if coupon.valid_from is not None and coupon.valid_from > now:
        return N_("优惠券尚未生效")
    if coupon.valid_to is not None and coupon.valid_to < now:
        return N_("优惠券已过期")
    return None


def redeem(session, member_coupon_id, order_no, now=None):
    """Mark a member coupon used by ``order_no`` (one conditional UPDATE: a used, voided or
    expired coupon is refused). A 复用券 use also takes one of its remaining uses."""
    now = now or china_now()
    coupon = session.get(MemberCoupon, member_coupon_id)
    if coupon is None:
        raise CouponError(N_("优惠券不存在"), code="not_found", status=404)
    problem = usable(coupon, now)
    if problem:
        raise CouponError(problem, code="unusable", status=409)
    result = session.execute(update(MemberCoupon).where(
        MemberCoupon.id == coupon.id, MemberCoupon.status == "unused").values(
        status="used", used_at=now, order_no=order_no))
    if result.rowcount != 1:
        raise CouponError(N_("优惠券已使用"), code="unusable", status=409)
    batch = coupon.batch
    if batch.kind == "reusable":
        after = _decrement(session, batch, 1)
        if after is None:
            raise CouponError(N_("优惠码使用次数已用完"), code="used_up", status=409)
        _ledger(session, batch, -1, after, "redeem", f"redeem:{coupon.id}:{order_no}"[:64],
                member_id=coupon.member_id, ref=order_no)
    session.refresh(coupon)
    return coupon


def restore(session, member_coupon_id, order_no):
    """Give a coupon used by ``order_no`` back (the order closed); idempotent: False when it
    was not used by that order. A 复用券 gets its use back through the ledger.
    (The second guide says coupons of cancelled paid orders are not returned: the orders
    service decides when to call this.)"""
    result = session.execute(update(MemberCoupon).where(
        MemberCoupon.id == member_coupon_id, MemberCoupon.status == "used",
        MemberCoupon.order_no == order_no).values(status="unused", used_at=None, order_no=None))
    if result.rowcount != 1:
        return False
    coupon = session.get(MemberCoupon, member_coupon_id)
    session.refresh(coupon)
    batch = coupon.batch
    if batch.kind == "reusable":
        key = f"restore:{coupon.id}:{order_no}"[:64]
        result = session.execute(update(CouponBatch).where(CouponBatch.id == batch.id)
                                 .values(remaining=CouponBatch.remaining + 1))
        after = session.execute(select(CouponBatch.remaining).where(
            CouponBatch.id == batch.id)).scalar()
        _ledger(session, batch, 1, after, "restore", key, member_id=coupon.member_id,
                ref=order_no)
        session.flush()
    return True


def verify(session, code, now=None):
    """核销 a 普通券 code in store: the member's coupon becomes used."""
    now = now or china_now()
    code = (code or "").strip().upper()
    if not code:
        raise CouponError(N_("请输入优惠码"), code="no_code", field="code")
    if session.execute(select(CouponBatch.id).where(
            func.upper(CouponBatch.code) == code, CouponBatch.kind == "reusable")).first():
        raise CouponError(N_("复用券无法核销"), code="not_allowed", field="code")
    row = session.execute(select(CouponCode).where(CouponCode.code == code)).scalar()
    if row is None:
        raise CouponError(N_("优惠码不存在"), code="not_found", status=404, field="code")
    coupon = session.execute(select(MemberCoupon).where(
        MemberCoupon.code_id == row.id)).scalar()
    if coupon is None:
        raise CouponError(N_("该优惠码尚未发放，无法核销"), code="not_taken", field="code")
    problem = usable(coupon, now)
    if problem:
        if coupon.status == "used":
            raise CouponError(N_("该优惠码已核销（%(at)s）"), code="used", status=409,
                              field="code", at=(coupon.used_at or now).strftime("%Y-%m-%d %H:%M"))
        raise CouponError(problem, code="unusable", status=409, field="code")
    result = session.execute(update(MemberCoupon).where(
        MemberCoupon.id == coupon.id, MemberCoupon.status == "unused").values(
        status="used", used_at=now, order_no=None))
    if result.rowcount != 1:
        raise CouponError(N_("该优惠码已核销"), code="used", status=409, field="code")
    session.refresh(coupon)
    return coupon


def stats(session, batch):
    """查看数据: issued (派发), claimed (领取 and gifts), used, and what is left."""
    rows = dict(session.execute(select(MemberCoupon.source, func.count()).where(
        MemberCoupon.batch_id == batch.id).group_by(MemberCoupon.source)).all())
    used = session.execute(select(func.count()).select_from(MemberCoupon).where(
        MemberCoupon.batch_id == batch.id, MemberCoupon.status == "used")).scalar()
    issued = rows.get("issue", 0)
    return {"quantity": batch.quantity, "remaining": batch.remaining, "issued": issued,
            "claimed": sum(rows.values()) - issued, "used": used}


def ledger_sum(session, batch_id):
    return session.execute(select(func.coalesce(func.sum(CouponLedger.delta), 0)).where(
        CouponLedger.batch_id == batch_id)).scalar()


from app.services.coupon_quote import quote  # noqa: E402,F401  (re-exported for orders)
from app.services.coupon_shop import (own_shop, rescope_untouched,  # noqa: E402,F401
                                      shop_refusal)
