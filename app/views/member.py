"""会员管理: 全部会员列表 (search, export, import, detail with ledgers, tags, points,
blacklist), 会员标签管理, 级别权益设置; and 微预约城市管理 under 营销设置管理."""
import re
import uuid

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.validators import StopValidation

from app.admin.importer import ImportMixin
from app.admin.interface import AdminInterface
from app.admin.labels import choices_of
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.member import (MEMBER_SOURCES, MEMBER_STATUS, BalanceLedger, ExperienceLedger,
                               Member, MemberLevel, MemberTag, PointsLedger, ReservationCity,
                               discount_text)
from app.services import member as service
from app.services import points as points_service
from app.services.errors import BusinessError
from app.services.member import LoyaltyError
from app.tenancy import current_merchant_id
from app.views.member_address import MemberAddressMixin
from app.views.member_base import IndexedInterface
from app.views import add
from app.views.home import register_card

LEDGER_ROWS = 50


# -- form helpers ----------------------------------------------------------------------
def _phone_validator(form, field):
    if not field.data:
        return
    try:
        service.check_phone(field.data)
    except LoyaltyError as exc:
        raise ValidationError(str(exc)) from None
    if service.phone_in_use(db.session, field.data, exclude_id=getattr(form, "_id", None)):
        raise ValidationError(_("该手机号已是会员"))


def _id_number_validator(form, field):
    if not field.data or service.is_masked_id(field.data):
        return
    try:
        service.mask_id_number(field.data)
    except LoyaltyError as exc:
        raise ValidationError(str(exc)) from None


class ZheField(StringField):
    """A discount typed in 折 (9.5) and stored as a ratio (0.95)."""

    def process_formdata(self, valuelist):
        self._problem = None
        raw = valuelist[0] if valuelist else ""
        try:
            self.data = service.discount_from_zhe(raw)
        except LoyaltyError as exc:
            self.data = None
            self._problem = str(exc)

    def pre_validate(self, form):
        if getattr(self, "_problem", None):
            raise StopValidation(self._problem)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{(self.data * 10).normalize():f}"


def _choice_search(choices, label):
    return SelectField(label, choices=[("", "")] + list(choices), validators=[Optional()])


def _orders_link(member_id, count):
    """成交单数: links to the member's orders once the orders module is installed."""
    endpoint = "OrderView.list"
    if endpoint in current_app.view_functions:
        return Markup('<a class="md-order-count" href="{0}">{1}</a>').format(
            url_for(endpoint, _flt_0_member=member_id), count)
    return count


def _member_ops(member):
    links = [(url_for("MemberView.show", pk=member.id), _("查看")),
             (url_for("MemberView.tags", pk=member.id), _("设置标签")),
             (url_for("MemberView.points", pk=member.id), _("管理积分"))]
    return Markup(" ").join(
        Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(u, t)
        for u, t in links)


def _nickname(member):
    badge = Markup('<span class="label label-danger">{0}</span> ').format(_("黑名单")) \
        if member.status == "blacklist" else ""
    return badge + Markup('<a href="{0}">{1}</a>').format(
        url_for("MemberView.show", pk=member.id), member.nickname)


# -- 全部会员列表 -----------------------------------------------------------------------------
class MemberView(MemberAddressMixin, ImportMixin, TenantModelView):
    datamodel = IndexedInterface(Member)
    list_title = _l("全部会员列表")
    list_columns = ["display", "phone", "level", "tags", "order_count", "total_spend", "points",
                    "last_order_at", "source", "status", "created_at", "ops"]
    # 账号状态, 会员等级, 最新下单时间, 成交单数, 积分, 消费总额, 注册时间, 昵称, 手机号, 标签, 注册来源
    search_columns = ["status", "level", "last_order_at", "order_count", "points",
                      "total_spend", "created_at", "nickname", "phone", "tags", "source"]
    add_columns = ["nickname", "phone", "real_name", "gender", "birthday", "id_number",
                   "source", "level", "remark"]
    edit_columns = ["nickname", "phone", "real_name", "gender", "birthday", "id_number",
                    "level", "remark"]
    show_columns = ["nickname", "phone", "real_name", "gender", "birthday", "id_number",
                    "source", "level", "experience", "points", "status", "created_at"]
    export_columns = ["id", "nickname", "phone", "real_name", "gender", "birthday", "level",
                      "tags", "experience", "points", "order_count", "total_spend",
                      "last_order_at", "source", "status", "created_at", "last_login_at",
                      "remark"]
    # 导入: /memberview/import/ (ImportMixin); points and experience change only through
    # their ledgers, so a file does not set them.
    import_columns = ["nickname", "phone", "real_name", "gender", "birthday", "remark"]
    import_page_template = "member/import.html"
    import_in_jobs = True
    label_columns = {"display": _l("昵称"), "ops": _l("操作")}
    validators_columns = {
        "nickname": [DataRequired(_l("请输入昵称")),
                     Length(max=64, message=_l("昵称最多 64 个字符"))],
        "phone": [_phone_validator],
        "real_name": [Length(max=32, message=_l("真实姓名最多 32 个字符"))],
        "id_number": [_id_number_validator],
        "remark": [Length(max=255, message=_l("备注最多 255 个字符"))],
    }
    search_form_extra_fields = {
        "status": _choice_search(MEMBER_STATUS, _l("账号状态")),
        "source": _choice_search(MEMBER_SOURCES, _l("注册来源")),
    }
    base_order = ("created_at", "desc")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_export",
                        "can_points", "can_experience", "can_tags", "can_blacklist",
                        "can_unblacklist", "can_addresses"]
    formatters_columns = {
        "tags": lambda tags: "、".join(str(t) for t in tags or []),
    }
    show_template = "member/detail.html"

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["display"] = _nickname
        self.formatters_columns["ops"] = _member_ops

    # -- add / edit ------------------------------------------------------------------------
    def _clean(self, item):
        if item.id_number and not service.is_masked_id(item.id_number):
            item.id_number = service.mask_id_number(item.id_number)
        item.phone = item.phone or None

    def pre_add(self, item):
        super().pre_add(item)
        self._clean(item)
        if item.level is None and item.level_id is None:
            item.level = service.ensure_default_level(db.session)

    def pre_update(self, item):
        super().pre_update(item)
        self._clean(item)

    # -- import: de-duplication by phone ------------------------------------------------
    def import_options_from_form(self, form):
        return {"on_duplicate": "update" if form.get("on_duplicate") == "update" else "skip"}

    def validate_import_row(self, values, row_number):
        problems = []
        phone = values.get("phone")
        if phone:
            try:
                service.check_phone(phone)
            except LoyaltyError as exc:
                problems.append(("phone", str(exc)))
            seen = g.setdefault("import_phones", {})
            if phone in seen:
                problems.append(("phone", _("与第 %(row)d 行的手机号重复", row=seen[phone])))
            else:
                seen[phone] = row_number
        return problems

    def validate_import_rows(self, rows, columns, fields):
        """New rows become members; a phone that is already a member is skipped or updates
        that member, as chosen on the import page."""
        g.import_phones = {}
        items, errors = super().validate_import_rows(rows, columns, fields)
        if errors:
            return items, errors
        phones = [item.phone for item in items if item.phone]
        existing = {}
        for start in range(0, len(phones), 500):
            chunk = phones[start:start + 500]
            existing.update((m.phone, m) for m in db.session.execute(
                select(Member).where(Member.phone.in_(chunk))).scalars())
        update = (g.get("import_options") or {}).get("on_duplicate") == "update"
        fresh, skipped, updated = [], 0, 0
        present = {spec.name for spec in columns.values()}
        for item in items:
            member = existing.get(item.phone) if item.phone else None
            if member is None:
                fresh.append(item)
            elif update:
                for name in present - {"phone"}:
                    value = getattr(item, name)
                    if value is not None:
                        setattr(member, name, value)
                updated += 1
            else:
                skipped += 1
        g.import_counts = (skipped, updated)
        return fresh, errors

    def save_import(self, items, filename, started):
        task = super().save_import(items, filename, started)
        skipped, updated = g.get("import_counts") or (0, 0)
        if skipped or updated:
            flash(_("已存在的会员：跳过 %(s)d 位，更新 %(u)d 位", s=skipped, u=updated), "info")
        return task

    def import_pre_add(self, item):
        super().import_pre_add(item)
        item.source = "import"
        item.level = service.ensure_default_level(db.session)

    # -- detail ----------------------------------------------------------------------------
    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        member = self.get_visible(pk)
        session = db.session
        ledgers = {
            "points": session.execute(select(PointsLedger).where(
                PointsLedger.member_id == member.id).order_by(PointsLedger.id.desc())
                .limit(LEDGER_ROWS)).scalars().all(),
            "experience": session.execute(select(ExperienceLedger).where(
                ExperienceLedger.member_id == member.id).order_by(ExperienceLedger.id.desc())
                .limit(LEDGER_ROWS)).scalars().all(),
            "balance": session.execute(select(BalanceLedger).where(
                BalanceLedger.member_id == member.id).order_by(BalanceLedger.id.desc())
                .limit(LEDGER_ROWS)).scalars().all(),
        }
        from app.models.marketing import MemberCoupon
        from app.models.order import Order

        recent = {
            "coupons": session.execute(select(MemberCoupon).where(
                MemberCoupon.member_id == member.id).order_by(MemberCoupon.id.desc())
                .limit(LEDGER_ROWS)).scalars().all(),
            "orders": session.execute(select(Order).where(
                Order.member_id == member.id).order_by(Order.id.desc())
                .limit(LEDGER_ROWS)).scalars().all(),
        }
        sm = self.appbuilder.sm
        can = {name: sm.has_access(f"can_{name}", self.class_permission_name)
               for name in ("points", "experience", "tags", "blacklist", "unblacklist",
                            "edit", "addresses")}
        # The order rows link to 订单详情 only for staff who may open orders.
        can["orders"] = sm.has_access("can_show", "OrderView")
        return self.render_template(
            self.show_template, title=_("会员详情"), member=member, ledgers=ledgers,
            recent=recent, MemberCoupon=MemberCoupon, Order=Order, card=(member.cards or [None])[0], can=can, labels=self.label_columns,
            choice=lambda model, column, value: dict(choices_of(model, column) or []).get(
                value, value), Member=Member, PointsLedger=PointsLedger,
            ExperienceLedger=ExperienceLedger, BalanceLedger=BalanceLedger)

    # -- 管理积分 / 经验值 --------------------------------------------------------------------
    def _adjust(self, pk, kind):
        member = self.get_visible(pk)
        values = {"delta": "", "reason": "", "key": uuid.uuid4().hex}
        errors = {}
        if request.method == "POST":
            values = {name: (request.form.get(name) or "").strip()[:100] for name in values}
            if not re.fullmatch(r"[0-9a-f]{32}", values["key"]):
                values["key"] = uuid.uuid4().hex  # the form's own key, or a fresh one
            try:
                delta = int(values["delta"])
            except ValueError:
                delta = None
                errors["delta"] = _("请输入整数，正数为增加，负数为扣减")
            if delta == 0:
                errors["delta"] = _("调整数量不能为 0")
            if not values["reason"]:
                errors["reason"] = _("请填写调整原因")
            elif len(values["reason"]) > 100:
                errors["reason"] = _("原因最多 100 个字")
            if not errors:
                change = (points_service.change_points if kind == "points"
                          else service.change_experience)
                try:
                    change(db.session, member, delta, values["reason"], "admin",
                           f"admin:{kind}:{values['key']}", operator_id=g.user.id)
                    db.session.commit()
                except LoyaltyError as exc:
                    db.session.rollback()
                    errors[exc.field or "delta"] = str(exc)
                else:
                    flash(_("已为“%(name)s”调整%(what)s %(delta)+d", name=member.nickname,
                            what=_("积分") if kind == "points" else _("经验值"), delta=delta),
                          "success")
                    return redirect(url_for("MemberView.show", pk=member.id))
        title = _("管理积分") if kind == "points" else _("调整经验值")
        current = member.points if kind == "points" else member.experience
        return self.render_template("member/adjust.html", title=title, member=member,
                                    kind=kind, current=current, values=values, errors=errors)

    @expose("/points/<pk>", methods=["GET", "POST"])
    @has_access
    def points(self, pk):
        """管理积分: an amount (negative to take) and a mandatory reason."""
        return self._adjust(pk, "points")

    @expose("/experience/<pk>", methods=["GET", "POST"])
    @has_access
    def experience(self, pk):
        """经验值 (editable on the detail page, with a reason)."""
        return self._adjust(pk, "experience")

    # -- 设置标签 --------------------------------------------------------------------------------
    @expose("/tags/<pk>", methods=["GET", "POST"])
    @has_access
    def tags(self, pk):
        member = self.get_visible(pk)
        all_tags = db.session.execute(select(MemberTag).order_by(MemberTag.id)).scalars().all()
        by_id = {str(t.id): t for t in all_tags}
        if request.method == "POST":
            chosen = request.form.getlist("tag")
            unknown = [c for c in chosen if c not in by_id]
            if unknown:
                flash(_("所选标签无效或已被删除，请重新选择"), "danger")
            else:
                service.set_member_tags(db.session, member, [by_id[c] for c in chosen])
                db.session.commit()
                flash(_("已保存“%(name)s”的标签", name=member.nickname), "success")
                return redirect(url_for("MemberView.show", pk=member.id))
        selected = {t.id for t in member.tags}
        return self.render_template("member/tags.html", title=_("设置标签"), member=member,
                                    tags=all_tags, selected=selected)

    # -- 黑名单 ----------------------------------------------------------------------------------
    def _blacklist(self, items, blacklisted):
        items = items if isinstance(items, list) else [items]
        changed = service.set_blacklisted(db.session, items, blacklisted)
        db.session.commit()
        if blacklisted:
            flash(_("已将 %(n)d 位会员加入黑名单，他们将无法登录商城", n=changed), "success")
        else:
            flash(_("已将 %(n)d 位会员移出黑名单", n=changed), "success")
        if len(items) == 1 and request.form.get("next") == "detail":
            return redirect(url_for("MemberView.show", pk=items[0].id))
        return redirect(self.get_redirect())

    @action("blacklist", _l("加入黑名单"), _l("加入黑名单的会员将无法登录商城，确定？"), "fa-ban")
    def blacklist(self, items):
        return self._blacklist(items, True)

    @action("unblacklist", _l("取消黑名单"), _l("确定将所选会员移出黑名单？"), "fa-check")
    def unblacklist(self, items):
        return self._blacklist(items, False)


# -- 会员标签管理 ------------------------------------------------------------------------------
class MemberTagView(TenantModelView):
    datamodel = AdminInterface(MemberTag)
    list_title = _l("会员标签管理")
    list_columns = ["name", "member_count", "created_at", "delete_link"]
    search_columns = ["name", "created_at"]
    add_columns = edit_columns = ["name"]
    show_columns = ["name", "member_count", "created_at"]
    export_columns = ["name", "member_count", "created_at"]
    label_columns = {"member_count": _l("会员数"), "delete_link": _l("删除")}
    validators_columns = {"name": [DataRequired(_l("请输入标签名称")),
                                   Length(max=20, message=_l("标签名称最多 20 个字符"))]}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export"]
    formatters_columns = {
        "delete_link": lambda pk: Markup(
            '<a class="btn btn-xs btn-danger" href="{0}"><i class="fa fa-trash"></i> {1}</a>'
        ).format(url_for("MemberTagView.delete", pk=pk), _("删除")),
    }

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        """GET: how many members lose the tag; POST: delete it (they lose it)."""
        tag = self.get_visible(pk)
        count = service.tag_member_count(db.session, tag)
        if request.method == "GET":
            return self.render_template("member/tag_delete.html", title=_("删除标签"),
                                        tag=tag, count=count)
        name = tag.name
        try:
            self.datamodel.delete(tag)
        except BusinessError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("已删除标签“%(name)s”，%(n)d 位会员已移除该标签", name=name, n=count),
                  "success")
        return redirect(url_for("MemberTagView.list"))


# -- 级别权益设置 -----------------------------------------------------------------------------
class MemberLevelView(TenantModelView):
    datamodel = AdminInterface(MemberLevel)
    list_title = _l("级别权益设置")
    list_columns = ["name", "icon", "discount", "experience_threshold", "is_default",
                    "created_at"]
    search_columns = ["name"]
    add_columns = edit_columns = ["name", "icon", "discount", "experience_threshold"]
    show_columns = ["name", "icon", "discount", "experience_threshold", "is_default"]
    export_columns = ["name", "discount", "experience_threshold", "is_default"]
    base_order = ("experience_threshold", "asc")
    validators_columns = {
        "name": [DataRequired(_l("请输入级别名称")),
                 Length(max=20, message=_l("级别名称最多 20 个字符"))],
        "experience_threshold": [NumberRange(min=0, max=100000000,
                                             message=_l("所需经验值须为 0 或正整数"))],
    }
    add_form_extra_fields = {"discount": ZheField(
        _l("折扣"), description=_l("输入 9.5 表示 9.5 折，范围 0.1-10 折；10 为不打折"))}
    edit_form_extra_fields = add_form_extra_fields
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export"]
    formatters_columns = {
        "discount": discount_text,
        "icon": lambda value: Markup('<i class="fa {0}"></i>').format(value),
    }

    @expose("/list/")
    @has_access
    def list(self):
        merchant_id = current_merchant_id()
        if merchant_id and merchant_id > 0:
            service.ensure_default_level(db.session, merchant_id)
            db.session.commit()
        return super().list()

    def pre_delete(self, item):
        service.check_level_delete(db.session, item)


# -- 微预约城市管理 ---------------------------------------------------------------------------
class ReservationCityView(TenantModelView):
    datamodel = AdminInterface(ReservationCity)
    list_title = _l("微预约城市管理")
    add_title = _l("新增预约服务城市")
    list_columns = ["name", "created_at"]
    search_columns = ["name"]
    add_columns = edit_columns = ["name"]
    show_columns = ["name", "created_at"]
    validators_columns = {"name": [DataRequired(_l("请输入城市名称")),
                                   Length(max=32, message=_l("城市名称最多 32 个字符"))]}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export"]


def register(appbuilder):
    from app.workers import member as member_jobs  # noqa: F401  (`flask md expire-points`)

    add(appbuilder, MemberView, "member_list", _l("全部会员列表"), "members", "fa-users")
    add(appbuilder, MemberTagView, "member_tags", _l("会员标签管理"), "members", "fa-tags")
    add(appbuilder, MemberLevelView, "member_levels", _l("级别权益设置"), "members",
        "fa-diamond")
    add(appbuilder, ReservationCityView, "reservation_cities", _l("微预约城市管理"),
        "marketing", "fa-map-marker")


# -- home cards ------------------------------------------------------------------------------
def _yesterday():
    from datetime import timedelta

    from app.models.base import china_now

    today = china_now().replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=1), today


def _members_card(user):
    from sqlalchemy import func

    start, end = _yesterday()

    def count(*conditions):
        return db.session.execute(select(func.count(Member.id)).where(*conditions)).scalar()

    return {"total": count(),
            "online": count(Member.last_login_at >= start, Member.last_login_at < end),
            "new": count(Member.created_at >= start, Member.created_at < end)}


def _cards_card(user):
    from app.services import stored_value

    start, end = _yesterday()
    return stored_value.totals(db.session, start, end)


register_card("members", "member/home_members.html", _members_card, order=12,
              permission=("can_list", "MemberView"))
register_card("stored_value", "member/home_cards.html", _cards_card, order=14,
              permission=("can_list", "StoredValueCardView"))
