"""收货地址 endpoints of the shop API: the signed-in member's own addresses (orders use them).

    GET    /api/v1/member/addresses               -> {"addresses": [...], "max": 20}
    POST   /api/v1/member/addresses               {name, phone, province, city, district,
                                                   detail, is_default} -> 201 address
    PUT    /api/v1/member/addresses/<id>          same body -> address
    POST   /api/v1/member/addresses/<id>/default  -> address (the old default is cleared)
    DELETE /api/v1/member/addresses/<id>          -> {"deleted": true}

A bad field answers 400 with the Chinese message and ``field``; another member's address
is 404 like a missing one.
"""
from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import api_error, bp, member_required
from app.extensions import db
from app.services import member_address as service


def _body():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _invalid(values):
    errors = service.address_errors(values)
    if not errors:
        return None
    field, message = next(iter(errors.items()))
    response = jsonify(error=_(message), code="bad_address", field=field,
                       errors={k: _(v) for k, v in errors.items()})
    return response, 400


def _own(address_id):
    address = service.address_of(db.session, g.member, address_id)
    if address is None:
        return None, api_error(_("收货地址不存在"), 404, "no_address")
    return address, None


@bp.route("/member/addresses", methods=["GET"])
@member_required
def addresses():
    rows = [service.as_dict(a) for a in service.addresses_of(db.session, g.member.id)]
    return jsonify(addresses=rows, max=service.MAX_ADDRESSES)


@bp.route("/member/addresses", methods=["POST"])
@member_required
def address_create():
    data = _body()
    invalid = _invalid(service.clean_values(data))
    if invalid:
        return invalid
    address = service.add_address(db.session, g.member, data)
    db.session.commit()
    return jsonify(service.as_dict(address)), 201


@bp.route("/member/addresses/<int:address_id>", methods=["PUT"])
@member_required
def address_update(address_id):
    address, missing = _own(address_id)
    if missing:
        return missing
    data = _body()
    invalid = _invalid(service.clean_values(data))
    if invalid:
        return invalid
    service.update_address(db.session, g.member, address, data)
    db.session.commit()
    return jsonify(service.as_dict(address))


@bp.route("/member/addresses/<int:address_id>/default", methods=["POST"])
@member_required
def address_default(address_id):
    address, missing = _own(address_id)
    if missing:
        return missing
    service.set_default(db.session, g.member, address)
    db.session.commit()
    return jsonify(service.as_dict(address))


@bp.route("/member/addresses/<int:address_id>", methods=["DELETE"])
@member_required
def address_delete(address_id):
    address, missing = _own(address_id)
    if missing:
        return missing
    service.delete_address(db.session, g.member, address)
    db.session.commit()
    return jsonify(deleted=True)
