"""商城实名认证 and 消费者保障: validation, the review state machine and the shop badges.

States: 待审核 (pending) → 已通过 (approved) / 已驳回 (rejected, with a reason). A merchant
submits when it has nothing yet or after a rejection; a pending or approved record is not
edited by the merchant. Reviews change a row only while it is still pending, by one
conditional UPDATE (two operators reviewing at once: one wins, the other is told).
No Flask here; messages are Chinese msgids (``N_``).
"""
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, update

from app.models.content import Certification, Guarantee
from app.services.errors import N_, BusinessError

# GB 32100-2015 统一社会信用代码: 18 characters from this 31-character set (no I O S V Z).
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
REASON_MAX = 200
GUARANTEE_MIN, GUARANTEE_MAX = Decimal("100"), Decimal("1000000")


def credit_check_digit(first17):
    total = sum(CREDIT_CODE_CHARS.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def normalize_credit_code(code):
    return (code or "").strip().upper().replace(" ", "")


def credit_code_problem(code):
    """Why ``code`` is not a valid 统一社会信用代码 (GB 32100-2015), or None."""
    code = normalize_credit_code(code)
    if not code:
        return N_("请填写统一社会信用代码")
    if len(code) != 18:
        return N_("统一社会信用代码应为 18 位")
    if any(ch not in CREDIT_CODE_CHARS for ch in code):
        return N_("统一社会信用代码只能包含数字和大写字母（不含 I、O、S、V、Z）")
    # Positions 1-2 (登记管理部门码, 机构类别码) are not checked against a list: the list
    # has grown since 2015 and a stale copy would refuse real codes.
    if not code[2:8].isdigit():
        return N_("统一社会信用代码第 3-8 位应为行政区划码（数字）")
    if credit_check_digit(code[:17]) != code[17]:
        return N_("统一社会信用代码校验位不正确，请核对后重新填写")
    return None


def certification_problems(values):
    """{field: message} for a submission: company_name, credit_code, legal_person,
    contact_name, contact_phone (strings) and licence_image (a stored file name)."""
    problems = {}
    name = values.get("company_name", "")
    if not 2 <= len(name) <= 100:
        problems["company_name"] = N_("企业名称须为 2-100 个字")
    problem = credit_code_problem(values.get("credit_code"))
    if problem:
        problems["credit_code"] = problem
    if not 2 <= len(values.get("legal_person", "")) <= 30:
        problems["legal_person"] = N_("法定代表人姓名须为 2-30 个字")
    if not 2 <= len(values.get("contact_name", "")) <= 30:
        problems["contact_name"] = N_("联系人姓名须为 2-30 个字")
    if not _PHONE_RE.match(values.get("contact_phone", "")):
        problems["contact_phone"] = N_("请填写 11 位手机号或带区号的固定电话")
    if not values.get("licence_image"):
        problems["licence_image"] = N_("请上传营业执照图片")
    return problems


def certification_of(session, merchant_id):
    return session.execute(select(Certification).where(
        Certification.merchant_id == merchant_id)).scalar_one_or_none()


def guarantee_of(session, merchant_id):
    return session.execute(select(Guarantee).where(
        Guarantee.merchant_id == merchant_id)).scalar_one_or_none()


def can_submit(record):
    """Nothing yet, or rejected: the merchant may (re)submit."""
    return record is None or record.status == "rejected"


def submit_certification(session, merchant_id, values, now):
    """Create or resubmit the merchant's certification; returns the row (pending).
    Raises BusinessError when the current record may not be changed."""
    row = certification_of(session, merchant_id)
    if not can_submit(row):
        raise BusinessError(N_("实名认证正在审核或已通过，不能重复提交"), code="cert_locked",
                            status=409)
    if row is None:
        row = Certification(merchant_id=merchant_id, submit_count=0)
        session.add(row)
    row.company_name = values["company_name"]
    row.credit_code = normalize_credit_code(values["credit_code"])
    row.legal_person = values["legal_person"]
    row.licence_image = values["licence_image"]
    row.contact_name = values["contact_name"]
    row.contact_phone = values["contact_phone"]
    row.status = "pending"
    row.reject_reason = None
    row.reviewed_at = None
    row.reviewer = None
    row.submitted_at = now
    row.submit_count = (row.submit_count or 0) + 1
    return row


def guarantee_problems(values, today):
    """{field: message} for a deposit record: amount (text), paid_on (date or None),
    payment_ref, note."""
    problems = {}
    try:
        amount = Decimal(str(values.get("amount", "")).strip())
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        problems["amount"] = N_("请填写保证金金额")
    elif amount != amount.quantize(Decimal("0.01")):
        problems["amount"] = N_("金额最多 2 位小数")
    elif not GUARANTEE_MIN <= amount <= GUARANTEE_MAX:
        problems["amount"] = N_("保证金金额须在 100 - 1000000 元之间")
    paid_on = values.get("paid_on")
    if not isinstance(paid_on, date):
        problems["paid_on"] = N_("请填写缴纳日期")
    elif paid_on > today:
        problems["paid_on"] = N_("缴纳日期不能晚于今天")
    ref = values.get("payment_ref", "")
    if not 4 <= len(ref) <= 64:
        problems["payment_ref"] = N_("付款流水号须为 4-64 个字符")
    if len(values.get("note") or "") > 200:
        problems["note"] = N_("备注不能超过 200 个字")
    return problems


def record_guarantee(session, merchant_id, values, now):
    row = guarantee_of(session, merchant_id)
    if not can_submit(row):
        raise BusinessError(N_("保证金记录正在确认或已确认，不能重复提交"),
                            code="guarantee_locked", status=409)
    if row is None:
        row = Guarantee(merchant_id=merchant_id)
        session.add(row)
    row.amount = Decimal(str(values["amount"]).strip())
    row.paid_on = values["paid_on"]
    row.payment_ref = values["payment_ref"]
    row.note = values.get("note") or None
    row.status = "pending"
    row.reject_reason = None
    row.reviewed_at = None
    row.reviewer = None
    row.submitted_at = now
    return row


def _review(session, model, row_id, status, reviewer, now, reason=None):
    """pending → status, once: one conditional UPDATE, rowcount checked."""
    result = session.execute(
        update(model).where(model.id == row_id, model.status == "pending")
        .values(status=status, reviewer=reviewer, reviewed_at=now, reject_reason=reason)
        .execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:
        raise BusinessError(N_("该记录已被审核或已重新提交，请刷新后再试"), code="not_pending",
                            status=409)


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError(N_("请填写驳回原因"), code="reason_required")
    if len(reason) > REASON_MAX:
        raise BusinessError(N_("驳回原因不能超过 200 个字"), code="reason_too_long")
    return reason


def approve_certification(session, row, reviewer, now):
    _review(session, Certification, row.id, "approved", reviewer, now)


def reject_certification(session, row, reason, reviewer, now):
    _review(session, Certification, row.id, "rejected", reviewer, now, _reason(reason))


def confirm_guarantee(session, row, reviewer, now):
    _review(session, Guarantee, row.id, "confirmed", reviewer, now)


def reject_guarantee(session, row, reason, reviewer, now):
    _review(session, Guarantee, row.id, "rejected", reviewer, now, _reason(reason))


def badges(session, merchant_id):
    """What the shop shows: 实名认证 once approved, 消费者保障 once the deposit is confirmed."""
    cert = certification_of(session, merchant_id)
    guarantee = guarantee_of(session, merchant_id)
    certified = cert is not None and cert.status == "approved"
    guaranteed = guarantee is not None and guarantee.status == "confirmed"
    return {
        "certified": certified,
        "company_name": cert.company_name if certified else None,
        "guarantee": guaranteed,
        "guarantee_amount": str(guarantee.amount) if guaranteed else None,
    }
