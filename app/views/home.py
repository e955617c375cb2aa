"""首页: a grid of cards that modules register, as the first guide's home page shows."""
from datetime import timedelta

from flask import current_app, g, redirect, request, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models.base import china_now
from app.models.merchant import Merchant, StaffUser
from app.models.shop import Shop
from app.views.shop import shop_public_url

# Registered home cards: dicts with key, order, template, context(user) and an optional
# (permission, view) the user must hold. Modules call register_card() for theirs.
CARDS = []

# 常用功能, in the guide's order: (label, endpoint, permission view, icon).
QUICK_LINKS = [
    (_l("店铺装修"), "DecorationView.list", "DecorationView", "fa-paint-brush"),
    (_l("发布商品"), "ProductView.add", "ProductView", "fa-plus-square"),
    (_l("订单管理"), "OrderView.list", "OrderView", "fa-list-alt"),
    (_l("发放优惠券"), "CouponBatchView.list", "CouponBatchView", "fa-ticket"),
    (_l("储值卡管理"), "StoredValueCardView.list", "StoredValueCardView", "fa-credit-card"),
    (_l("小程序设置"), "MiniProgramView.index", "MiniProgramView", "fa-mobile"),
]


def register_card(key, template, context, order=100, permission=None):
    CARDS.append({"key": key, "template": template, "context": context, "order": order,
                  "permission": permission})


def _merchant_card(user):
    merchant = user.merchant
    shops = db.session.execute(select(func.count(Shop.id))).scalar()
    staff = db.session.execute(
        select(func.count(StaffUser.id)).where(StaffUser.merchant_id == merchant.id,
                                               StaffUser.is_owner.is_(False))).scalar()
    days_left = None
    if merchant.expires_on is not None:
        days_left = (merchant.expires_on - china_now().date()).days
    return {"merchant": merchant, "shop_count": shops, "staff_count": staff,
            "days_left": days_left}


def _account_card(user):
    from app.security import OWNER_ROLE, PLATFORM_ROLE
    from app.views.merchant import role_label

    # Built-in role names are identifiers in the database: show them in the user's language.
    builtin = {OWNER_ROLE: _l("商家大管理员"), PLATFORM_ROLE: _l("平台管理员")}
    return {"user": user,
            "roles": [str(builtin.get(r.name) or role_label(r)) for r in user.roles]}


def _shop_qr_card(user):
    shop = db.session.execute(select(Shop).order_by(Shop.id).limit(1)).scalar()
    return {"shop": shop, "url": shop_public_url(shop) if shop else None}


def _quick_links_card(user):
    sm = current_app.appbuilder.sm
    links = []
    for label, endpoint, view_name, icon in QUICK_LINKS:
        exists = endpoint in current_app.view_functions
        permission = "can_" + endpoint.split(".")[1]
        allowed = exists and sm.has_access(permission, view_name)
        links.append({"label": label, "icon": icon, "exists": exists, "allowed": allowed,
                      "url": url_for(endpoint) if allowed else None})
    return {"links": links}


def _support_card(user):
    cfg = current_app.config
    return {"phone": cfg["SUPPORT_PHONE"], "qq": cfg["SUPPORT_QQ"],
            "hours": cfg["SUPPORT_HOURS"] or _l("周一至周日 9:00-21:00")}


def _platform_card(user):
    today = china_now().date()
    total = db.session.execute(select(func.count(Merchant.id))).scalar()
    frozen = db.session.execute(
        select(func.count(Merchant.id)).where(Merchant.status == "frozen")).scalar()
    expiring = db.session.execute(
        select(func.count(Merchant.id)).where(Merchant.expires_on.between(
            today, today + timedelta(days=30)))).scalar()
    return {"total": total, "frozen": frozen, "expiring": expiring}


register_card("platform", "home/platform.html", _platform_card, order=0,
              permission=("can_list", "MerchantView"))
register_card("merchant", "home/merchant.html", _merchant_card, order=10)
register_card("account", "home/account.html", _account_card, order=20)
register_card("shop_qr", "home/shop_qr.html", _shop_qr_card, order=30,
              permission=("can_qrcode", "ShopView"))
register_card("quick_links", "home/quick_links.html", _quick_links_card, order=40)
register_card("support", "home/support.html", _support_card, order=90)


class HomeView(IndexView):
    index_template = "home/index.html"
    merchant_facing = False

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for("MerchantAuthView.login", next=request.full_path))
        sm = self.appbuilder.sm
        cards = []
        for card in sorted(CARDS, key=lambda c: c["order"]):
            if card["key"] in ("merchant", "shop_qr") and user.merchant_id is None:
                continue
            if card["permission"] and not sm.has_access(*card["permission"]):
                continue
            cards.append({"key": card["key"], "template": card["template"],
                          "data": card["context"](user)})
        return self.render_template(self.index_template, cards=cards, title=_l("首页"))

