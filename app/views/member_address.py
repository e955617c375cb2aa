"""会员详情 → 地址列表: add, edit and delete a member's delivery addresses.

Mixed into MemberView, so every route is reached through a member the user may see
(``get_visible``: tenant base filter) and the address must belong to that member. One
permission, ``can_addresses``, covers the three screens.
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _

from app.extensions import db
from app.services import member_address as service
from app.services.member import LoyaltyError


class MemberAddressMixin:
    def _member_address(self, member):
        address = service.address_of(db.session, member, request.args.get("id"))
        if address is None:
            abort(404)
        return address

    def _address_form(self, member, address=None):
        if address is None:
            values = service.clean_values({})
        else:
            values = service.clean_values(service.as_dict(address))
        errors = {}
        if request.method == "POST":
            values = service.clean_values(request.form)
            errors = {k: _(v) for k, v in service.address_errors(values).items()}
            if not errors:
                try:
                    if address is None:
                        service.add_address(db.session, member, request.form)
                    else:
                        service.update_address(db.session, member, address, request.form)
                    db.session.commit()
                except LoyaltyError as exc:
                    db.session.rollback()
                    errors[exc.field or "name"] = str(exc)
                else:
                    flash(_("已保存“%(name)s”的收货地址", name=member.nickname), "success")
                    return redirect(url_for("MemberView.show", pk=member.id) + "#tab-addresses")
        title = _("新增收货地址") if address is None else _("编辑收货地址")
        return self.render_template("member/address_form.html", title=title, member=member,
                                    address=address, values=values, errors=errors,
                                    max_addresses=service.MAX_ADDRESSES)

    @expose("/address_add/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("addresses")
    def address_add(self, pk):
        """新增收货地址 for member ``pk``."""
        return self._address_form(self.get_visible(pk))

    @expose("/address_edit/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("addresses")
    def address_edit(self, pk):
        """编辑收货地址 ``?id=`` of member ``pk``."""
        member = self.get_visible(pk)
        return self._address_form(member, self._member_address(member))

    @expose("/address_delete/<pk>", methods=["POST"])
    @has_access
    @permission_name("addresses")
    def address_delete(self, pk):
        """删除收货地址 ``?id=`` of member ``pk`` (the default passes to the newest left)."""
        member = self.get_visible(pk)
        address = self._member_address(member)
        service.delete_address(db.session, member, address)
        db.session.commit()
        flash(_("已删除收货地址"), "success")
        return redirect(url_for("MemberView.show", pk=member.id) + "#tab-addresses")
