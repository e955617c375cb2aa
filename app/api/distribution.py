"""分销 endpoints of the shop API, for the signed-in member.

    GET  /api/v1/distribution                {"show_apply", "application": {...} | null}
    POST /api/v1/distribution/apply          {"name", "city", "phone"} -> 201 application
    GET  /api/v1/distribution/ledger?page=1  the commission ledger, newest first (20 a page)
    GET  /api/v1/distribution/withdrawals    the member's withdrawal requests
                                             (both empty, "distributor": false, for a
                                             member who is not an approved distributor)
    POST /api/v1/distribution/withdrawals    {"amount": "12.50"} -> 201 request (pending)

Applications are reviewed in 申请分销商管理 and withdrawals in 分销商申请提现管理.
"""
from flask import g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import api_error, bp, member_required
from app.extensions import db
from app.models.member import CommissionLedger, Withdrawal
from app.services import distribution as service

PAGE_SIZE = 20


def _body():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _money(value):
    return f"{value or 0:.2f}"


def _application(row):
    if row is None:
        return None
    data = {"id": row.id, "name": row.name, "city": row.city, "phone": row.phone,
            "status": row.status, "reject_reason": row.reject_reason,
            "applied_at": row.created_at.isoformat(timespec="seconds")}
    if row.status == "approved":
        data.update(commission_rate=str(row.commission_rate),
                    commission_balance=_money(row.commission_balance),
                    total_commission=_money(row.total_commission),
                    withdrawable=_money(service.withdrawable(db.session, row)))
    return data


def _approved():
    row = service.distributor_of(db.session, g.member)
    if row is None or row.status != "approved":
        return None, api_error(_("您还不是分销商"), 403, "not_distributor")
    return row, None


def _page():
    try:
        return max(1, min(int(request.args.get("page", 1)), 10000))
    except ValueError:
        return 1


@bp.route("/distribution", methods=["GET"])
@member_required
def distribution_status():
    """Whether the shop shows 申请分销商, and the member's application or distributor."""
    rule = service.distribution_rule(db.session, g.member.merchant_id)
    return jsonify(show_apply=bool(rule.show_apply),
                   application=_application(service.distributor_of(db.session, g.member)))


@bp.route("/distribution/apply", methods=["POST"])
@member_required
def distribution_apply():
    data = _body()
    row = service.apply_as_distributor(
        db.session, g.member, name=str(data.get("name") or "")[:100],
        city=str(data.get("city") or "")[:100], phone=str(data.get("phone") or "")[:20])
    db.session.commit()
    return jsonify(_application(row)), 201


@bp.route("/distribution/ledger", methods=["GET"])
@member_required
def distribution_ledger():
    """提成明细: order commissions and withdrawals with the balance after each."""
    distributor, refused = _approved()
    if refused:  # not (yet) a distributor: nothing earned
        return jsonify(distributor=False, page=1, commission_balance="0.00", rows=[])
    page = _page()
    rows = db.session.execute(
        select(CommissionLedger).where(CommissionLedger.distributor_id == distributor.id)
        .order_by(CommissionLedger.id.desc()).offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)).scalars().all()
    return jsonify(distributor=True, page=page, commission_balance=_money(distributor.commission_balance),
                   rows=[{"kind": r.kind, "delta": _money(r.delta),
                          "balance_after": _money(r.balance_after), "reason": r.reason,
                          "ref": r.ref, "at": r.created_at.isoformat(timespec="seconds")}
                         for r in rows])


@bp.route("/distribution/withdrawals", methods=["GET"])
@member_required
def distribution_withdrawals():
    distributor, refused = _approved()
    if refused:  # not (yet) a distributor: no requests
        return jsonify(distributor=False, page=1, withdrawable="0.00", rows=[])
    page = _page()
    rows = db.session.execute(
        select(Withdrawal).where(Withdrawal.distributor_id == distributor.id)
        .order_by(Withdrawal.id.desc()).offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)).scalars().all()
    return jsonify(distributor=True, page=page, withdrawable=_money(service.withdrawable(db.session, distributor)),
                   rows=[_withdrawal(r) for r in rows])


def _withdrawal(row):
    return {"id": row.id, "amount": _money(row.amount), "status": row.status,
            "reason": row.reason, "at": row.created_at.isoformat(timespec="seconds")}


@bp.route("/distribution/withdrawals", methods=["POST"])
@member_required
def distribution_withdraw():
    """申请提现: within the balance less pending requests; staff approve it later."""
    distributor, refused = _approved()
    if refused:
        return refused
    amount = _body().get("amount")
    row = service.request_withdrawal(db.session, distributor,
                                     "" if amount is None else str(amount)[:20])
    db.session.commit()
    return jsonify(_withdrawal(row)), 201
