"""微红包 (插件管理 → 红包营销设置): the pool, 充值, 设置活动基本信息, 新增活动, the lists and the
H5 preview; for the platform operator, every merchant's pool with 线下充值.

Views only parse input and call app/services/red_packet.py; money moves there.
"""
import re
import uuid
from datetime import datetime

from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from app.admin import uploads
from app.admin.pages import qr_data_uri
from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.red_packet import (CLAIM_MODES, RedPacketActivity, RedPacketDraw,
                                   RedPacketPayout, RedPacketPool, RedPacketPoolLedger,
                                   RedPacketRecharge)
from app.services import red_packet as service
from app.services.errors import BusinessError
from app.tenancy import current_merchant_id
from app.views import add
from app.wechat.errors import WeChatError

MAX_TIER_ROWS = service.MAX_TIERS


def _merchant_or_403():
    merchant_id = current_merchant_id()
    if not merchant_id or merchant_id < 0:
        abort(403)  # the platform has no red-packet pool of its own
    return merchant_id


def _pool_balance(merchant_id):
    pool = db.session.execute(select(RedPacketPool).where(
        RedPacketPool.merchant_id == merchant_id)).scalar()
    return pool.balance if pool is not None else service.CENT * 0


def _parse_datetime(value):
    value = (value or "").strip()
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _activity_ops(activity_id):
    links = [("RedPacketActivityView.detail", _("详情")),
             ("RedPacketActivityView.preview", _("手机预览")),
             ("RedPacketDrawView.list", _("抽奖记录"))]
    parts = []
    for endpoint, text in links:
        if endpoint == "RedPacketDrawView.list":
            url = url_for(endpoint, _flt_0_activity=activity_id)
        else:
            url = url_for(endpoint, pk=activity_id)
        parts.append(Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
            url, text))
    return Markup(" ").join(parts)


class RedPacketActivityView(TenantModelView):
    """红包营销设置: the activities with participants, winners, paid and left, plus the
    pool balance, 充值, 设置活动基本信息 and 新增活动."""

    route_base = "/redpacket/activities"
    datamodel = AdminInterface(RedPacketActivity)
    list_title = _l("红包营销设置")
    list_columns = ["name", "total", "awarded", "remaining", "participant_count", "draw_count",
                    "winner_count", "claim_mode", "starts_at", "ends_at", "status", "ops"]
    export_columns = ["name", "total", "awarded", "remaining", "participant_count",
                      "draw_count", "winner_count", "claim_mode", "starts_at", "ends_at",
                      "status", "created_at"]
    show_columns = ["name", "logo", "total", "awarded", "remaining", "claim_mode",
                    "starts_at", "ends_at", "per_day", "per_member", "draw_count",
                    "winner_count", "status", "ended_at", "created_at"]
    search_columns = ["name", "status", "created_at"]
    label_columns = {"ops": _l("操作"), "participant_count": _l("参与人数"),
                     "draw_count": _l("抽奖次数"), "winner_count": _l("中奖次数")}
    list_template = "red_packet/activity_list.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_add", "can_end",
                        "can_settings", "can_preview"]
    permission_labels = {"can_end": _l("结束活动"), "can_settings": _l("设置活动基本信息"),
                         "can_preview": _l("手机预览试抽")}

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = _activity_ops

    def _list(self, **kwargs):
        merchant_id = current_merchant_id()
        self._balance = _pool_balance(merchant_id) if merchant_id and merchant_id > 0 else None
        return super()._list(**kwargs)

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs.setdefault("pool_balance", getattr(self, "_balance", None))
        return super().render_template(template, **kwargs)

    # -- 新增活动 ------------------------------------------------------------------------------
    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """FAB's generic add form would skip the pool reserve: 新增活动 is the only way in."""
        return redirect(url_for("RedPacketActivityView.new"))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def new(self):
        merchant_id = _merchant_or_403()
        values = {"name": "", "total": "", "claim_mode": "24h", "starts_at": "",
                  "ends_at": "", "per_day": "1", "per_member": "1"}
        tier_rows = [("", "")] * 3
        errors = {}
        if request.method == "POST":
            values = {k: (request.form.get(k) or "").strip()[:40] for k in values}
            amounts = request.form.getlist("tier_amount")[:MAX_TIER_ROWS + 1]
            rates = request.form.getlist("tier_probability")[:MAX_TIER_ROWS + 1]
            tier_rows = [(a.strip()[:20], (rates[i] if i < len(rates) else "").strip()[:20])
                         for i, a in enumerate(amounts)] or [("", "")]
            parsed = dict(values, starts_at=_parse_datetime(values["starts_at"]),
                          ends_at=_parse_datetime(values["ends_at"]))
            try:
                logo = request.files.get("logo")
                if logo is not None and logo.filename:
                    parsed["logo"] = uploads.save_image(logo)
                activity, errors = service.create_activity(
                    db.session, merchant_id, parsed, tier_rows, operator_id=g.user.id)
                if errors:
                    db.session.rollback()
                else:
                    db.session.commit()
            except BusinessError as exc:
                db.session.rollback()
                errors = {getattr(exc, "field", None) or "logo": str(exc)}
            if not errors:
                flash(_("活动“%(name)s”已发布，已从红包余额预留 %(total)s 元",
                        name=activity.name, total=activity.total), "success")
                return redirect(url_for("RedPacketActivityView.detail", pk=activity.id))
            flash(_("请检查表单中标红的内容"), "danger")
        return self.render_template(
            "red_packet/activity_form.html", title=_("新增活动"), values=values,
            tier_rows=tier_rows, errors=errors, claim_modes=CLAIM_MODES,
            balance=_pool_balance(merchant_id), max_rows=MAX_TIER_ROWS)

    @expose("/detail/<pk>")
    @has_access
    @permission_name("show")
    def detail(self, pk):
        activity = self.get_visible(pk)
        return self.render_template(
            "red_packet/activity_detail.html", title=_("活动详情"), activity=activity,
            probabilities=service.effective_probabilities(activity),
            participants=service.participants(db.session, activity.id),
            ledger_sum=service.budget_ledger_sum(db.session, activity.id))

    @expose("/end/<pk>", methods=["POST"])
    @has_access
    @permission_name("end")
    def end(self, pk):
        activity = self.get_visible(pk)
        returned = service.end_activity(db.session, activity.id, activity.merchant_id)
        db.session.commit()
        if returned is None:
            flash(_("活动已结束"), "info")
        else:
            flash(_("活动已结束，剩余 %(amount)s 元已退回红包余额", amount=returned), "success")
        return redirect(url_for("RedPacketActivityView.detail", pk=activity.id))

    # -- 设置活动基本信息 --------------------------------------------------------------------------
    @expose("/settings", methods=["GET", "POST"])
    @has_access
    @permission_name("settings")
    def settings(self):
        merchant_id = _merchant_or_403()
        setting = service.setting_of(db.session, merchant_id)
        values = {"name": setting.name or "", "rules": setting.rules or "",
                  "home_second": setting.home_second or "", "home_third": setting.home_third or ""}
        errors = {}
        if request.method == "POST":
            values = {"name": (request.form.get("name") or "")[:200],
                      "rules": (request.form.get("rules") or "")[:service.RULES_MAX_HTML + 1],
                      "home_second": (request.form.get("home_second") or "")[:200],
                      "home_third": (request.form.get("home_third") or "")[:200]}
            parsed = dict(values)
            for name in ("follow_qr", "home_image"):
                upload = request.files.get(name)
                if upload is not None and upload.filename:
                    try:
                        parsed[name] = uploads.save_image(upload)
                    except BusinessError as exc:
                        errors[name] = str(exc)
            if not errors:
                errors = service.save_setting(db.session, setting, parsed)
            if errors:
                db.session.rollback()
                flash(_("请检查表单中标红的内容"), "danger")
            else:
                db.session.commit()
                flash(_("保存成功"), "success")
                return redirect(url_for("RedPacketActivityView.settings"))
        else:
            db.session.commit()  # the row, if it was just created
        return self.render_template(
            "red_packet/settings.html", title=_("设置活动基本信息"), values=values,
            errors=errors, setting=setting, max_chars=service.RULES_MAX_CHARS,
            used=service.rules_text_length(values["rules"]))

    @expose("/image/<string:filename>")
    @has_access
    @permission_name("settings")
    def image(self, filename):
        """The settings' own images (follow QR, first home column), checked like downloads."""
        merchant_id = _merchant_or_403()
        setting = service.setting_of(db.session, merchant_id)
        if filename not in (setting.follow_qr, setting.home_image) or not filename:
            abort(404)
        return _send_upload(filename)

    # -- H5 preview ---------------------------------------------------------------------------
    @expose("/preview/<pk>")
    @has_access
    @permission_name("preview")
    def preview(self, pk):
        activity = self.get_visible(pk)
        setting = service.setting_of(db.session, activity.merchant_id)
        db.session.commit()
        return self.render_template("red_packet/preview.html", title=_("手机预览"),
                                    activity=activity, setting=setting)

    @expose("/preview/<pk>/draw", methods=["POST"])
    @has_access
    @permission_name("preview")
    def preview_draw(self, pk):
        """商家试抽: what a member would get now; nothing is written and no money moves."""
        activity = self.get_visible(pk)
        if activity.status != "active":
            return jsonify(error=_("活动已结束")), 422
        amount = service.preview_draw(db.session, activity)
        return jsonify(won=amount is not None, amount=str(amount) if amount else None,
                       message=_("恭喜您抽中 %(amount)s 元红包", amount=amount) if amount
                       else _("很遗憾，未中奖"), preview=True)


def _send_upload(filename):
    import os

    from flask import current_app, send_file
    from werkzeug.utils import safe_join

    path = safe_join(current_app.config["UPLOAD_FOLDER"], filename)
    if path is None or not os.path.isfile(path):
        abort(404)
    return send_file(path, download_name=filename)


class RedPacketRechargeView(TenantModelView):
    """充值: WeChat Native pay to the platform's merchant account (at least 2 yuan)."""

    route_base = "/redpacket/recharges"
    datamodel = AdminInterface(RedPacketRecharge)
    list_title = _l("红包充值记录")
    list_columns = ["out_trade_no", "amount", "status", "transaction_id", "paid_at",
                    "created_at"]
    show_columns = list_columns + ["error"]
    search_columns = ["out_trade_no", "status", "created_at"]
    list_template = "red_packet/recharge_list.html"
    base_permissions = ["can_list", "can_show", "can_export", "can_recharge"]
    permission_labels = {"can_recharge": _l("充值")}

    @expose("/new", methods=["GET", "POST"])
    @has_access
    @permission_name("recharge")
    def new(self):
        merchant_id = _merchant_or_403()
        values = {"amount": ""}
        errors = {}
        if request.method == "POST":
            values = {"amount": (request.form.get("amount") or "").strip()[:20]}
            try:
                recharge = service.start_recharge(db.session, merchant_id, values["amount"],
                                                  operator_id=g.user.id)
                db.session.commit()
            except BusinessError as exc:
                db.session.rollback()
                errors["amount"] = str(exc)
            else:
                _order_code_url(recharge)
                return redirect(url_for("RedPacketRechargeView.pay", pk=recharge.id))
        return self.render_template("red_packet/recharge_form.html", title=_("充值"),
                                    values=values, errors=errors,
                                    balance=_pool_balance(merchant_id),
                                    minimum=service.MIN_RECHARGE)

    @expose("/pay/<pk>")
    @has_access
    @permission_name("recharge")
    def pay(self, pk):
        recharge = self.get_visible(pk)
        qr = None
        if recharge.status == "pending" and recharge.code_url:
            qr = qr_data_uri(recharge.code_url)
        return self.render_template("red_packet/recharge_pay.html", title=_("微信扫码充值"),
                                    recharge=recharge, qr=qr,
                                    balance=_pool_balance(recharge.merchant_id))

    @expose("/status/<pk>")
    @has_access
    @permission_name("recharge")
    def status(self, pk):
        """Polled by the payment page until the notification marks the recharge paid."""
        recharge = self.get_visible(pk)
        return jsonify(status=recharge.status, amount=str(recharge.amount),
                       balance=str(_pool_balance(recharge.merchant_id)))


def _order_code_url(recharge):
    """统一下单 (NATIVE) on the platform's account, after the recharge row is committed."""
    from app.wechat import pay
    from app.wechat.callbacks import public_url
    from app.workers.red_packet import platform_account

    try:
        account = platform_account(db.session)
        result = pay.native_order(
            account, out_trade_no=recharge.out_trade_no, amount=recharge.amount,
            body=_("微红包余额充值"), notify_url=public_url("wechat_callback.platform_pay_notify"),
            client_ip=request.remote_addr or "127.0.0.1", product_id=recharge.out_trade_no)
    except WeChatError as exc:
        db.session.rollback()
        service.recharge_failed(db.session, recharge, str(exc))
        db.session.commit()
        flash(_("下单失败：%(msg)s", msg=str(exc)), "danger")
        return
    service.recharge_ordered(db.session, recharge, result["code_url"])
    db.session.commit()


class RedPacketPoolLedgerView(TenantModelView):
    """红包余额明细: every pool movement (recharges, activities, returns)."""

    route_base = "/redpacket/ledger"
    datamodel = AdminInterface(RedPacketPoolLedger)
    list_title = _l("红包余额明细")
    list_columns = ["created_at", "kind", "delta", "balance_after", "ref", "note"]
    search_columns = ["kind", "ref", "created_at"]
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_export"]


class RedPacketDrawView(TenantModelView):
    """抽红包记录: searchable and exportable."""

    route_base = "/redpacket/draws"
    datamodel = AdminInterface(RedPacketDraw)
    list_title = _l("抽红包记录")
    list_columns = ["created_at", "activity", "member", "member.phone", "won", "amount",
                    "payout.status"]
    export_columns = ["created_at", "activity", "member", "member.phone", "won", "amount",
                      "payout.mch_billno", "payout.status"]
    label_columns = {"member.phone": _l("手机号"), "payout.status": _l("发放状态"),
                     "payout.mch_billno": _l("红包单号")}
    search_columns = ["activity", "won", "amount", "created_at"]
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_export"]

    def _init_properties(self):
        super()._init_properties()
        from app.admin.labels import choice_text
        from app.models.red_packet import PAYOUT_STATUS

        self.formatters_columns["payout.status"] = lambda v: choice_text(PAYOUT_STATUS, v) \
            if v else ""

    def export_value(self, item, column):
        if column == "payout.status":
            from app.admin.labels import choice_text
            from app.models.red_packet import PAYOUT_STATUS

            return choice_text(PAYOUT_STATUS, item.payout.status) if item.payout else ""
        return super().export_value(item, column)


class RedPacketPayoutView(TenantModelView):
    """红包发放记录: 待发放/已发放/已领取/发放失败 (with WeChat's reason)/已退回; retry."""

    route_base = "/redpacket/payouts"
    datamodel = AdminInterface(RedPacketPayout)
    list_title = _l("红包发放记录")
    list_columns = ["created_at", "member", "amount", "source", "mch_billno", "status",
                    "error", "attempts", "sent_at", "finished_at"]
    search_columns = ["status", "source", "mch_billno", "created_at"]
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_export", "can_retry"]

    @action("retry", _l("重新发放"), _l("使用原红包单号重新发放所选的发放失败红包（不会重复发放），确定？"),
            "fa-repeat")
    def retry(self, items):
        from app.workers.red_packet import enqueue_payouts

        items = items if isinstance(items, list) else [items]
        ids = []
        for payout in items:
            if payout.status == "failed" and service.retry_payout(db.session, payout):
                ids.append(payout.id)
        db.session.commit()
        enqueue_payouts(ids)
        if ids:
            flash(_("已重新发放 %(n)d 个红包", n=len(ids)), "success")
        else:
            flash(_("只有发放失败的红包可以重新发放"), "warning")
        return redirect(self.get_redirect())


class PlatformRedPacketPoolView(TenantModelView):
    """平台: every merchant's red-packet pool; 线下充值 with a mandatory note. Tenant rows
    behind the tenant base (the platform admin sees every merchant's row), not
    merchant-facing, so no merchant role can hold it (like the review queues)."""

    merchant_facing = False

    route_base = "/platform/redpacket-pools"
    datamodel = AdminInterface(RedPacketPool)
    list_title = _l("商家红包余额")
    list_columns = ["merchant", "balance", "total_recharged", "updated_at", "ops"]
    search_columns = ["balance", "updated_at"]
    label_columns = {"merchant": _l("商家"), "ops": _l("操作")}
    base_order = ("id", "desc")
    base_permissions = ["can_list", "can_credit"]
    permission_labels = {"can_credit": _l("线下充值")}

    def _init_properties(self):
        super()._init_properties()
        self.formatters_columns["ops"] = lambda merchant_id: Markup(
            '<a class="btn btn-xs btn-primary" href="{0}">{1}</a>').format(
            url_for("PlatformRedPacketPoolView.credit", pk=merchant_id), _("线下充值"))

    @expose("/credit/<pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("credit")
    def credit(self, pk):
        """线下充值 for merchant ``pk`` (the merchant's id)."""
        from app.models.merchant import Merchant

        if not re.fullmatch(r"\d{1,18}", str(pk)):
            abort(404)
        merchant = db.session.get(Merchant, int(pk))
        if merchant is None:
            abort(404)
        values = {"amount": "", "note": "", "key": uuid.uuid4().hex}
        errors = {}
        if request.method == "POST":
            values = {k: (request.form.get(k) or "").strip()[:200] for k in values}
            if not re.fullmatch(r"[0-9a-f]{32}", values["key"]):
                values["key"] = uuid.uuid4().hex
            try:
                moved = service.offline_credit(db.session, merchant.id, values["amount"],
                                               values["note"], g.user.id, values["key"])
                db.session.commit()
            except BusinessError as exc:
                db.session.rollback()
                errors[getattr(exc, "field", None) or "amount"] = str(exc)
            else:
                if moved:
                    flash(_("已为“%(name)s”线下充值 %(amount)s 元", name=merchant.name,
                            amount=values["amount"]), "success")
                return redirect(url_for("PlatformRedPacketPoolView.list"))
        return self.render_template("red_packet/credit.html", title=_("线下充值"),
                                    merchant=merchant, values=values, errors=errors,
                                    balance=_pool_balance(merchant.id))


def register(appbuilder):
    add(appbuilder, RedPacketActivityView, "red_packet", _l("红包营销设置"), "plugins",
        "fa-envelope")
    add(appbuilder, RedPacketRechargeView, "red_packet_recharges", _l("红包充值记录"),
        "plugins", "fa-qrcode")
    add(appbuilder, RedPacketPoolLedgerView, "red_packet_ledger", _l("红包余额明细"),
        "plugins", "fa-list")
    add(appbuilder, RedPacketDrawView, "red_packet_draws", _l("抽红包记录"), "plugins",
        "fa-gift")
    add(appbuilder, RedPacketPayoutView, "red_packet_payouts", _l("红包发放记录"), "plugins",
        "fa-send")
    add(appbuilder, PlatformRedPacketPoolView, "platform_red_packet_pools", _l("商家红包余额"),
        "platform", "fa-envelope")
