"""The security crawler (ARCHITECTURE.md, "Tenancy and permissions").

It walks every rule of ``app.url_map`` and every view of ``app.appbuilder.baseviews`` and
proves, with no per-view code:

1. logged out, every route answers a redirect to the login page or a 401, except the
   public allow-list below;
2. a staff member without a route's permission is refused (403, or a redirect away with a
   Chinese denial message) and the refusal shows none of the merchant's data; merchant
   accounts never reach the platform's views (FAB's security views, merchants);
3. merchant A's owner, given merchant B's ids on every URL (list, show, edit, delete,
   actions, bulk actions, export, related, download, other pk URLs), gets 404 or 403, never
   sees a string of B's rows (pages, form dropdowns, related JSON, xlsx, headers), and
   writes nothing to B's rows;
4. every endpoint is classified as public, authenticated-only or permission-protected
   (from FAB's ``_permission_name`` set by ``@has_access``/``@protect``); a route the
   crawler cannot classify fails the suite, naming the endpoint.

A new view is covered the day it is registered. When the crawler cannot fill a URL
argument or classify an endpoint, it fails and says what to teach it.
"""
import html
import json
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from itertools import product
from urllib.parse import unquote, urlencode, urlsplit

from flask_appbuilder.security.decorators import has_access, has_access_api, protect
from sqlalchemy import inspect as sa_inspect
from werkzeug.wrappers import Response

from tests.conftest import csrf_token
from tests.security.conftest import xlsx_cells

# -- allow-lists: every entry needs its one-line reason -------------------------------------
PUBLIC_ENDPOINTS = {
    "MerchantAuthView.login": "the login form: the way in",
    "MerchantAuthView.logout": "ends the session; shows nothing",
    "static": "the app's own CSS, JS and images",
    "appbuilder.static": "FAB's CSS, JS and images",
    "LocaleView.index": "language switch: stores the locale in the session and redirects",
    "UtilView.back": "FAB's back button: a redirect to the previous page of this session",
    "wechat_callback.official_callback": "WeChat's server URL: the signature (and safe-mode "
                                         "decryption) is the auth; tests/views/test_official_account.py",
    "wechat_callback.pay_notify": "WeChat Pay's notify URL: the MD5/HMAC-SHA256 signature is "
                                  "the auth; tests/views/test_pay_setup.py",
    "wechat_callback.pay_native": "WeChat Pay's Native callback: signature-checked, answers a "
                                  "signed refusal; changes nothing",
    "wechat_component.auth_event": "the component's 授权事件接收 URL: signature + msg_signature "
                                   "+ AES decryption are the auth; tests/views/test_mini_program_open.py",
    "api_v1.official_login": "用户绑定: trades a WeChat 网页授权 code (checked by WeChat) for a "
                             "follower token; tests/views/test_official_account_binding.py",
    "api_v1.binding_status": "用户绑定: follower-token auth (signed merchant + openid), JSON 401 "
                             "without it; tests/views/test_official_account_binding.py",
    "api_v1.binding_code": "用户绑定 SMS code: follower-token auth, JSON 401 without it; "
                           "tests/views/test_official_account_binding.py",
    "api_v1.bind": "用户绑定: follower-token auth, JSON 401 without it; "
                   "tests/views/test_official_account_binding.py",
}
# 品牌内容 shop API (app/api/content.py): public and read-only, no session or token; it
# runs in the shop's merchant's tenant scope and returns only published, visible content
# (tests/views/test_content.py, tests/views/test_certification.py).
PUBLIC_ENDPOINTS.update({
    "api_v1.shop_badges": "商家荣誉 badges of a shop: approved/confirmed flags only",
    "api_v1.shop_articles": "a shop's published, visible articles",
    "api_v1.shop_article": "one published, visible article of the shop's merchant, else 404",
    "api_v1.shop_about": "a shop's 关于我们 page",
    "api_v1.shop_focus_images": "a shop's active brand focus images",
    "api_v1.shop_content_file": "an image that the shop's public content shows, else 404",
})
# The shop JSON API (app/api/): no session, a signed member token in the Authorization
# header instead. Logged out (no token) each answers a Chinese JSON 401; a token of one
# merchant's member never reaches another merchant's rows (test_member_api_* below).
MEMBER_TOKEN_ENDPOINTS = {
    "api_v1.profile": "the token's member's own profile, inside the token merchant's scope",
    "api_v1.sign_in": "签到 of the token's member, inside the token merchant's scope",
}
# Members (issue #4): addresses and 分销 of the token's member (tests/views/
# test_member_address.py, test_distribution_api.py); 商城注册 is public: the shop names the
# merchant, a phone + SMS code is the proof (tests/views/test_member_register.py).
MEMBER_TOKEN_ENDPOINTS.update({
    "api_v1.addresses": "the token's member's own addresses",
    "api_v1.address_create": "adds an address to the token's member",
    "api_v1.address_update": "edits the token's member's own address, else 404",
    "api_v1.address_default": "sets the token's member's own default address, else 404",
    "api_v1.address_delete": "deletes the token's member's own address, else 404",
    "api_v1.distribution_status": "the token's member's own distributor application",
    "api_v1.distribution_apply": "申请分销商 for the token's member",
    "api_v1.distribution_ledger": "the token's member's own commission ledger",
    "api_v1.distribution_withdrawals": "the token's member's own withdrawal requests",
    "api_v1.distribution_withdraw": "a withdrawal request of the token's member",
})
# Orders (issue #6, app/api/order.py): the token's member's own orders only; another
# member's or merchant's order number is a 404 (tests/views/test_order.py).
MEMBER_TOKEN_ENDPOINTS.update({
    "api_v1.place_order": "下单 for the token's member, with SKUs and a shop of its merchant",
    "api_v1.my_orders": "the token's member's own orders",
    "api_v1.my_order": "one of the token's member's own orders, else 404",
    "api_v1.pay": "pays the token's member's own order (储值卡/积分), else 404",
    "api_v1.cancel": "cancels the token's member's own order, else 404",
    "api_v1.confirm_receipt": "确认收货 of the token's member's own order, else 404",
})
# 售后 (issue #6, app/api/after_sale.py): only the token's member's own orders and
# after-sales; anything else is a 404 (tests/views/test_after_sale.py).
MEMBER_TOKEN_ENDPOINTS.update({
    "api_v1.apply_after_sale": "申请售后 on the token's member's own order, else 404",
    "api_v1.after_sale_detail": "the token's member's own after-sale, else 404",
    "api_v1.after_sale_return": "退货运单 of the token's member's own after-sale, else 404",
    "api_v1.after_sale_confirm": "换货收货 of the token's member's own after-sale, else 404",
})
# 优惠券 (issue #6, app/api/coupon.py): claims and codes for the token's member; another
# merchant's batch is a 404 (tests/views/test_marketing.py).
MEMBER_TOKEN_ENDPOINTS.update({
    "api_v1.claim_coupon": "领取 one coupon of a batch of the token's merchant, else 404",
    "api_v1.bind_coupon_code": "a 复用券 code of the token's merchant for the token's member",
    "api_v1.my_coupons": "the token's member's own coupons",
})
# 抽奖游戏 (issue #8, app/api/lottery_game.py): an activity of the token's merchant, else
# 404; draws for the token's member (tests/views/test_lottery_game.py).
MEMBER_TOKEN_ENDPOINTS.update({
    "api_v1.game_info": "an activity of the token's merchant with the member's chances, else 404",
    "api_v1.game_draw": "one draw of the token's member in an activity of its merchant, else 404",
})
# 微红包 (issue #8, app/api/red_packet.py): an activity of the token's merchant, else 404;
# 抽红包 for the token's member; page images of the token's merchant only
# (tests/views/test_red_packet.py).
MEMBER_TOKEN_ENDPOINTS.update({
    "api_v1.red_packet_activity": "an activity of the token's merchant with the member's "
                                  "chances, else 404",
    "api_v1.draw_red_packet": "one draw of the token's member in an activity of its "
                              "merchant, else 404",
    "api_v1.red_packet_image": "an image of the token's merchant's red-packet page, else 404",
})
PUBLIC_ENDPOINTS.update({
    "wechat_callback.platform_pay_notify": "the platform's WeChat Pay notify URL (微红包充值): "
                                           "the MD5/HMAC-SHA256 signature with the platform's "
                                           "key is the auth; tests/views/test_red_packet.py",
})
# AI 刷脸 (issue #8, app/api/face_coupon.py): a campaign of the token's merchant, else 404;
# scans for the token's member (tests/views/test_face_coupon_api.py).
MEMBER_TOKEN_ENDPOINTS.update({
    "api_v1.face_campaign_info": "a campaign of the token's merchant with the member's "
                                 "chances, else 404",
    "api_v1.face_share_image": "the share image of a campaign of the token's merchant, else 404",
    "api_v1.face_scan": "one scan of the token's member in a campaign of its merchant, else 404",
})
PUBLIC_ENDPOINTS.update({
    "api_v1.register_code": "商城注册 SMS code for a phone that is not a member of the shop's "
                            "merchant; rate-limited per phone (binding's limits)",
    "api_v1.register": "商城注册: a valid single-use SMS code for the phone is the proof",
})
# 商城装修 / 素材库 shop API (app/api/decoration.py): public and read-only; the shop (or the
# file's token) sets the tenant scope; only published versions and on-shelf products are
# shown (tests/views/test_decoration.py, tests/views/test_media.py).
PUBLIC_ENDPOINTS.update({
    "api_v1.shop_page": "a shop's published page (home or id) with on-shelf product cards",
    "api_v1.product_image": "a focus image of an on-shelf product of the shop's merchant, else 404",
    "api_v1.media_file": "a 素材库 file by its unguessable 32-character token, else 404",
    "api_v1.media_thumb": "the thumbnail of a 素材库 file by its token, else 404",
})
# WeChat (issue #3): the component's 消息与事件接收 URL for authorized mini programs.
PUBLIC_ENDPOINTS.update({
    "wechat_component.authorizer_event": "the component's 消息与事件接收 URL: signature + "
                                         "msg_signature + AES decryption are the auth; "
                                         "tests/views/test_mini_program_nearby_audit.py",
})
AUTHENTICATED_ONLY_ENDPOINTS = {
    "HomeView.index": "the home page: every account has one, each card checks its permission",
    "PasswordView.change": "every account changes its own password",
}
# Action endpoints have no @has_access: they check the named action's permission inside.
# Only these implementations are trusted to do so; an override must be reviewed and listed.
ACTION_DISPATCHERS = {
    "app.admin.views.AdminModelView.action": "re-checks the pk against the base filters",
    "app.admin.views.AdminModelView.action_post": "re-checks every rowid",
    "app.security._CheckedActions.action": "FAB's security views, given the same checks",
    "app.security._CheckedActions.action_post": "FAB's security views, given the same checks",
}
# Accounts for "without the permission": the two demo staff roles of merchant A.
STAFF_ACCOUNTS = ("verifier_a", "manager_a")
# Merchant accounts that must hold no permission on a view that is not merchant-facing.
MERCHANT_ACCOUNTS = ("owner_a", "manager_a", "verifier_a", "owner_b", "manager_b",
                     "verifier_b")
# A refusal by redirect must flash one of these, or FAB's "Access is Denied" as the zh
# catalog currently translates it (see denial_messages).
DENIAL_MARKERS = ("无权限", "访问被拒绝")
# Sample files for the public static routes.
STATIC_SAMPLES = {"static": "css/merchantdesk.css", "appbuilder.static": "css/ab.css"}
REDIRECTS = (301, 302, 303, 307, 308)

# The wrappers FAB's decorators install; ``_permission_name`` alone (``@permission_name``
# without ``@has_access``) protects nothing, so the crawler looks for the wrapper itself.
_GUARDS = {
    has_access(lambda self: None).__code__: "has_access",
    has_access_api(lambda self: None).__code__: "has_access_api",
    protect()(lambda self: None).__code__: "protect",
}


# -- classification ----------------------------------------------------------------------
@dataclass
class Classification:
    category: str = None         # "public" | "authenticated_only" | "permission" | None
    reason: str = ""
    permission: str = None       # for @has_access/@protect: "can_<name>"
    view_name: str = None        # the view's class_permission_name
    action_dispatcher: bool = False


def views_by_endpoint(app):
    return {view.endpoint: view for view in app.appbuilder.baseviews}


def _guard_of(func):
    """The FAB guard wrapping ``func`` (walking ``__wrapped__``), or None."""
    seen = 0
    while func is not None and seen < 10:
        code = getattr(func, "__code__", None)
        if code in _GUARDS and hasattr(func, "_permission_name"):
            return func
        func = getattr(func, "__wrapped__", None)
        seen += 1
    return None


def classify_method(view, method_name):
    """How a view method is protected: FAB's ``_permission_name`` on a guarded method, or
    one of the trusted action dispatchers."""
    func = getattr(type(view), method_name, None)
    if func is None:
        return Classification(reason=f"{type(view).__name__} has no method {method_name}")
    guard = _guard_of(func)
    if guard is not None:
        name = (view.method_permission_name or {}).get(guard.__name__) or guard._permission_name
        return Classification("permission", "guarded by FAB", permission=f"can_{name}",
                              view_name=view.class_permission_name)
    qualname = f"{func.__module__}.{func.__qualname__}"
    if qualname in ACTION_DISPATCHERS and hasattr(view, "actions"):
        return Classification("permission", ACTION_DISPATCHERS[qualname],
                              view_name=view.class_permission_name, action_dispatcher=True)
    return Classification(reason=f"{qualname} has neither @has_access/@protect nor an entry "
                                 "in PUBLIC_ENDPOINTS/AUTHENTICATED_ONLY_ENDPOINTS")


def classify(app, endpoint):
    if endpoint in PUBLIC_ENDPOINTS:
        return Classification("public", PUBLIC_ENDPOINTS[endpoint])
    if endpoint in MEMBER_TOKEN_ENDPOINTS:
        return Classification("member_token", MEMBER_TOKEN_ENDPOINTS[endpoint])
    if endpoint in AUTHENTICATED_ONLY_ENDPOINTS:
        return Classification("authenticated_only", AUTHENTICATED_ONLY_ENDPOINTS[endpoint])
    prefix, _, method_name = endpoint.rpartition(".")
    view = views_by_endpoint(app).get(prefix)
    if view is None:
        return Classification(reason="the route belongs to no registered view")
    return classify_method(view, method_name)


# -- URL building --------------------------------------------------------------------------
def _relations(view):
    model = getattr(getattr(view, "datamodel", None), "obj", None)
    return sorted(r.key for r in sa_inspect(model).relationships) if model is not None else []


def _pk_or_placeholder(value):
    return str(value) if value is not None else "1"


# How to fill each URL argument, for the target merchant ``key``.
ARG_FILLERS = {
    "pk": lambda world, view, endpoint, key: [_pk_or_placeholder(world.pk(view, key))],
    "name": lambda world, view, endpoint, key: sorted(getattr(view, "actions", {}))
    or ["no_such_action"],
    "column": lambda world, view, endpoint, key: _relations(view) or ["no_such_column"],
    "filename": lambda world, view, endpoint, key: [STATIC_SAMPLES.get(endpoint)
                                                    or world.files[key]],
    "locale": lambda world, view, endpoint, key: ["zh"],
    "group_by": lambda world, view, endpoint, key: ["0"],
    # WeChat callback tokens: the callbacks are public and signature-checked; an unsigned
    # request must change nothing whatever the token (their own tests use real tokens).
    "token": lambda world, view, endpoint, key: ["crawler-unknown-token"],
}


def _model_pk_filler(module, name):
    def fill(world, view, endpoint, key):
        import importlib

        model = getattr(importlib.import_module(module), name)
        return [_pk_or_placeholder(world.model_pk(model, key))]
    return fill


# Shop API arguments (app/api/content.py): a shop and an article of the target merchant.
ARG_FILLERS.setdefault("shop_id", _model_pk_filler("app.models.shop", "Shop"))
ARG_FILLERS.setdefault("article_id", _model_pk_filler("app.models.content", "Article"))
# Shop API (app/api/member_address.py): an address id of the target merchant.
ARG_FILLERS.setdefault("address_id", lambda world, view, endpoint, key: [_pk_or_placeholder(
    world.model_pk(__import__("app.models.member", fromlist=["MemberAddress"]).MemberAddress,
                   key))])
# Shop page API (app/api/decoration.py): the home page, which every demo shop publishes.
ARG_FILLERS.setdefault("page_ref", lambda world, view, endpoint, key: ["home"])
# The component's 消息与事件接收 URL (app/wechat/component_callback.py): an unsigned
# request changes nothing whatever the mini program AppID.
ARG_FILLERS.setdefault("appid", lambda world, view, endpoint, key: ["wx0000000000000000"])
# Shop API (app/api/coupon.py): a coupon batch of the target merchant.
ARG_FILLERS.setdefault("batch_id", _model_pk_filler("app.models.marketing", "CouponBatch"))
ROW_ARGS = {"pk", "filename"}  # arguments that name a row (or a row's file) of the target
# Fulfilment pages (app/views/fulfilment*.py): an order, a refund, a batch-shipping file of
# the target merchant, each naming a row.
ARG_FILLERS.setdefault("order_id", _model_pk_filler("app.models.order", "Order"))
ARG_FILLERS.setdefault("refund_id", _model_pk_filler("app.models.fulfilment", "Refund"))
ARG_FILLERS.setdefault("shipping_batch_id", _model_pk_filler("app.models.fulfilment",
                                                               "ShippingBatch"))
ROW_ARGS |= {"order_id", "refund_id", "shipping_batch_id"}
# 微红包 shop API (app/api/red_packet.py): an activity of the target merchant.
ARG_FILLERS.setdefault("red_packet_activity_id", _model_pk_filler("app.models.red_packet",
                                                                    "RedPacketActivity"))
ROW_ARGS |= {"red_packet_activity_id"}
# 抽奖游戏 (app/views/lottery_game.py, app/api/lottery_game.py): an activity and a prize of
# the target merchant, each naming a row.
ARG_FILLERS.setdefault("game_id", _model_pk_filler("app.models.lottery_game", "LotteryGame"))
ARG_FILLERS.setdefault("prize_id", _model_pk_filler("app.models.lottery_game",
                                                      "LotteryGamePrize"))
ROW_ARGS |= {"game_id", "prize_id"}
# AI 刷脸 shop API (app/api/face_coupon.py): a campaign of the target merchant.
ARG_FILLERS.setdefault("campaign_id", _model_pk_filler("app.models.face_coupon",
                                                         "FaceCampaign"))
ROW_ARGS |= {"campaign_id"}


def _column_filler(module, name, column):
    """A value of ``column`` (an order number...) of a row of the target merchant."""
    def fill(world, view, endpoint, key):
        import importlib

        from app.extensions import db
        from app.tenancy import platform_scope

        model = getattr(importlib.import_module(module), name)
        pk = world.model_pk(model, key)
        with world.app.app_context(), platform_scope():
            row = db.session.get(model, pk) if pk is not None else None
            return [str(getattr(row, column)) if row is not None else "none"]
    return fill


# Shop API (app/api/after_sale.py, app/api/order.py): numbers, not ids.
ARG_FILLERS.setdefault("order_no", _column_filler("app.models.order", "Order", "order_no"))
def _after_sale_no(world, view, endpoint, key):
    """An after-sale of the target merchant's first normal member: the member whose token
    the API probes sign (``_member_token``), so A's own token reaches it."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.fulfilment import AfterSale
    from app.models.member import Member
    from app.tenancy import platform_scope

    pk = world.model_pk(AfterSale, key)
    with world.app.app_context(), platform_scope():
        row = db.session.get(AfterSale, pk) if pk is not None else None
        if row is None:
            return ["none"]
        row.member_id = db.session.execute(select(Member.id).where(
            Member.merchant_id == row.merchant_id, Member.status == "normal")
            .order_by(Member.id).limit(1)).scalar()
        db.session.commit()
        return [row.after_sale_no]


ARG_FILLERS.setdefault("after_sale_no", _after_sale_no)


@dataclass
class Probe:
    endpoint: str
    rule: str
    method: str
    url: str
    cls: Classification
    view: object = None
    data: dict = None
    action: str = None
    targets_row: bool = False        # names a row of the target merchant
    get_only: bool = False           # the rule answers GET only (safe to replay)

    @property
    def requirement(self):
        """(permission, view menu) needed, or None when nobody can pass (unknown action)."""
        if self.cls.category != "permission":
            return None
        if self.cls.action_dispatcher:
            if self.action not in (getattr(self.view, "actions", None) or {}):
                return None
            return (self.view.get_action_permission_name(self.action), self.cls.view_name)
        return (self.cls.permission, self.cls.view_name)

    def __str__(self):
        extra = f" action={self.action}" if self.action else ""
        return f"{self.method} {self.url}{extra} [{self.endpoint}]"


class FormParser(HTMLParser):
    """name -> [values] of a rendered form, as a browser would submit it."""

    def __init__(self):
        super().__init__()
        self.values = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.values.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data


def _form_columns(view, kind):
    return list(getattr(view, f"{kind}_columns", None) or [])


def _relation_targets(view, columns):
    """{column: target model} for relation columns among ``columns``."""
    model = view.datamodel.obj
    rels = sa_inspect(model).relationships
    return {c: rels[c].mapper.class_ for c in columns if c in rels}


def _post_forms(world, view, method_name, key, token):
    """Form bodies for a POST to this method, aimed at merchant ``key``'s rows."""
    base = {"csrf_token": token}
    if method_name == "action_post":
        names = sorted(getattr(view, "actions", None) or {}) or ["no_such_action"]
        return [(dict(base, action=name, rowid=_pk_or_placeholder(world.pk(view, key))), name,
                 True) for name in names]
    if method_name == "add" and hasattr(view, "datamodel"):
        form = dict(base, merchant_id=str(world.merchant[key]))
        for column, target in _relation_targets(view, _form_columns(view, "add")).items():
            form[column] = _pk_or_placeholder(world.model_pk(target, key))
        return [(form, None, False)]
    if method_name == "edit" and hasattr(view, "datamodel"):
        form = dict(base, merchant_id=str(world.merchant[key]))
        for column in _form_columns(view, "edit"):
            form.setdefault(column, "爬虫改写")
        return [(form, None, False)]
    return [(base, None, False)]


def build_probes(world, key, token=""):
    """Every request the crawler makes for merchant ``key``'s ids: one per rule, method
    and argument combination."""
    app = world.app
    probes, problems = [], []
    views = views_by_endpoint(app)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        cls = classify(app, rule.endpoint)
        view = views.get(rule.endpoint.rpartition(".")[0])
        method_name = rule.endpoint.rpartition(".")[2]
        args = sorted(rule.arguments)
        missing = [a for a in args if a not in ARG_FILLERS]
        if missing:
            problems.append(f"{rule.endpoint} ({rule.rule}): the crawler cannot fill "
                            f"{missing}; add them to ARG_FILLERS")
            continue
        choices = [ARG_FILLERS[a](world, view, rule.endpoint, key) for a in args]
        methods = sorted((rule.methods or set()) & {"GET", "POST"})
        for values, query in product(product(*choices), _queries(view, method_name)):
            kwargs = dict(zip(args, values))
            url = _build(app, rule, kwargs) + query
            action = kwargs.get("name") if cls.action_dispatcher else None
            for method in methods:
                common = dict(endpoint=rule.endpoint, rule=rule.rule, method=method, url=url,
                              cls=cls, view=view, get_only=methods == ["GET"])
                if method == "GET":
                    probes.append(Probe(**common, action=action,
                                        targets_row=bool(ROW_ARGS & set(args))))
                    continue
                for data, form_action, form_row in _post_forms(world, view, method_name, key,
                                                               token):
                    probes.append(Probe(**common, data=data, action=form_action or action,
                                        targets_row=bool(ROW_ARGS & set(args)) or form_row))
    return probes, problems


# Endpoints that answer only with a query string: one probe per value (a picker per field,
# so every picker is proven to list only the caller's own rows).
QUERY_STRINGS = {
    "picker": lambda view: [f"?{urlencode({'field': field, 'q': ''})}"
                            for field in sorted(getattr(view, "pickers", {}) or {})],
    # 派发's member picker (CouponBatchView.issue_picker, behind the 派发 permission).
    "issue_picker": lambda view: [f"?{urlencode({'field': field, 'q': ''})}"
                                  for field in sorted(getattr(view, "issue_pickers", {}) or {})],
}


def _queries(view, method_name):
    make = QUERY_STRINGS.get(method_name)
    return (make(view) or [""]) if make and view is not None else [""]


def _build(app, rule, kwargs):
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, kwargs, method=None, force_external=False)


# -- looking at responses --------------------------------------------------------------------
def response_text(response):
    """Everything a response shows: body (also unescaped), JSON with its Chinese decoded,
    xlsx cells, and header values (a download name can leak a shop name)."""
    raw = response.get_data()
    parts = [raw.decode("utf-8", "replace")]
    parts.append(html.unescape(parts[0]))
    if response.is_json:
        try:
            parts.append(json.dumps(response.get_json(silent=True), ensure_ascii=False))
        except (TypeError, ValueError):
            pass
    if raw[:2] == b"PK":  # zip: an xlsx export
        try:
            parts.append("\n".join(xlsx_cells(raw)))
        except Exception as exc:  # noqa: BLE001 - a broken file is itself a finding
            parts.append(f"<unreadable xlsx: {exc}>")
    for name, value in response.headers.items():
        parts.append(f"{name}: {unquote(value)}")
    return "\n".join(parts)


def leaks(response, secrets, probe=None, flashes=()):
    """The secrets a response (or its flashed messages) shows, except those the request
    itself carried (a login redirect echoes the requested URL in ``next``)."""
    text = response_text(response) + "\n".join(flashes)
    sent = ""
    if probe is not None:
        sent = unquote(probe.url) + json.dumps(probe.data or {}, ensure_ascii=False)
    return sorted(s for s in secrets if s in text and s not in sent)


def pop_flashes(client):
    with client.session_transaction() as session:
        return [str(message) for _category, message in session.pop("_flashes", [])]


def send(client, probe):
    """The response; an exception (TESTING propagates them) counts as a 500."""
    try:
        if probe.method == "GET":
            return client.get(probe.url)
        return client.post(probe.url, data=probe.data)
    except Exception as exc:  # noqa: BLE001
        return Response(f"unhandled {type(exc).__name__}: {exc}", status=500)


@lru_cache(maxsize=None)
def denial_messages(app):
    """DENIAL_MARKERS plus FAB's access-denied flash in the app's default (zh) locale."""
    from flask_appbuilder.const import FLAMSG_ERR_SEC_ACCESS_DENIED

    with app.test_request_context():
        return DENIAL_MARKERS + (str(FLAMSG_ERR_SEC_ACCESS_DENIED),)


def refusal(app, response, flashes, url):
    """Why the response counts as a refusal, or None."""
    if response.status_code in (401, 403, 404):
        return str(response.status_code)
    if response.status_code in REDIRECTS:
        target = urlsplit(response.location or "")
        markers = denial_messages(app)
        if target.path != urlsplit(url).path and any(
                marker in message for message in flashes for marker in markers):
            return "redirect with a denial message"
    return None


def _login_path(app):
    sm = app.appbuilder.sm
    return _build(app, next(r for r in app.url_map.iter_rules()
                            if r.endpoint == f"{sm.auth_view.endpoint}.login"), {})


def _report(title, failures, limit=60):
    shown = "\n  ".join(failures[:limit])
    more = f"\n  ... and {len(failures) - limit} more" if len(failures) > limit else ""
    return f"{title} ({len(failures)}):\n  {shown}{more}"


# -- 4. classification ---------------------------------------------------------------------
def test_every_endpoint_is_classified(app):
    failures = [f"{rule.endpoint} ({rule.rule}): {classify(app, rule.endpoint).reason}"
                for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint)
                if classify(app, rule.endpoint).category is None]
    assert not failures, _report(
        "Routes the security crawler cannot classify. Protect them with @has_access "
        "(or @protect for APIs), or add them to PUBLIC_ENDPOINTS / "
        "AUTHENTICATED_ONLY_ENDPOINTS in tests/security/test_crawler.py with a reason",
        failures)


def test_allow_lists_name_existing_endpoints(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = sorted((set(PUBLIC_ENDPOINTS) | set(AUTHENTICATED_ONLY_ENDPOINTS)
                    | set(MEMBER_TOKEN_ENDPOINTS)) - endpoints)
    assert not stale, f"allow-list entries for endpoints that no longer exist: {stale}"
    for view in app.appbuilder.baseviews:
        assert any(e.startswith(view.endpoint + ".") for e in endpoints), \
            f"registered view {type(view).__name__} has no route the crawler could visit"


def test_classifier_fails_on_unprotected_routes():
    """A route without @has_access is unclassified, and so is @permission_name alone."""
    from flask_appbuilder import BaseView, expose
    from flask_appbuilder.security.decorators import permission_name

    class RogueView(BaseView):
        route_base = "/rogue"

        @expose("/open")
        def open(self):
            return "data"

        @expose("/named")
        @permission_name("list")
        def named(self):
            return "data"

        @expose("/guarded")
        @has_access
        def guarded(self):
            return "data"

    view = RogueView()
    assert classify_method(view, "open").category is None
    assert classify_method(view, "named").category is None
    guarded = classify_method(view, "guarded")
    assert (guarded.category, guarded.permission) == ("permission", "can_guarded")


def test_url_arguments_can_be_filled(world):
    _probes, problems = build_probes(world, "b")
    assert not problems, _report("URL arguments the crawler cannot fill", problems)


# -- 1. logged out --------------------------------------------------------------------------
def test_logged_out_every_route_asks_to_log_in(app, world):
    login_path = _login_path(app)
    client = app.test_client()
    token = csrf_token(client, login_path)
    probes, _ = build_probes(world, "b", token)
    secrets = world.secrets("a") | world.secrets("b")
    before = (world.snapshot("a"), world.snapshot("b"))
    failures, checked = [], {"public": 0, "authenticated_only": 0, "permission": 0,
                             "member_token": 0}
    for probe in probes:
        category = probe.cls.category
        if category is None:
            continue  # reported by test_every_endpoint_is_classified
        checked[category] += 1
        if category == "member_token":
            response = send(app.test_client(), probe)
            body = response.get_json(silent=True) or {}
            if response.status_code != 401 or "请先登录" not in str(body.get("error")):
                failures.append(f"{probe}: without a member token answered "
                                f"{response.status_code} {body}")
            continue
        if category == "public":
            fresh = app.test_client()
            if probe.method == "POST":
                probe.data = dict(probe.data or {}, csrf_token=csrf_token(fresh, login_path))
            response = send(fresh, probe)
            if response.status_code >= 500:
                failures.append(f"{probe}: public route answered {response.status_code}")
            continue
        response = send(client, probe)
        flashes = pop_flashes(client)
        location = urlsplit(response.location or "").path
        if not (response.status_code == 401 or (
                response.status_code in REDIRECTS and location == login_path)):
            failures.append(f"{probe}: {response.status_code} "
                            f"{response.location or ''}".rstrip())
        found = leaks(response, secrets, probe, flashes)
        if found:
            failures.append(f"{probe}: shows {found} to a visitor who is not logged in")
    assert not failures, _report("Logged out, these routes did not ask to log in", failures)
    assert (world.snapshot("a"), world.snapshot("b")) == before, \
        "requests of a visitor who is not logged in changed merchant data"
    assert checked["permission"] > 50, checked


# -- 2. staff without the permission --------------------------------------------------------
def _refused_everywhere(app, world, accounts, select, title):
    # B's ids: a missing permission check then shows as a 404 (refused below, since the
    # permission must answer first) instead of running an action on A's own rows.
    probes, _ = build_probes(world, "b")
    clients = {who: world.client(who) for who in accounts}
    tokens = {who: csrf_token(clients[who], "/account/password") for who in accounts}
    before = (world.snapshot("a"), world.snapshot("b"))
    failures, checked, uncovered = [], 0, set()
    for probe in probes:
        if probe.cls.category != "permission" or not select(probe):
            continue
        requirement = probe.requirement
        lacking = [who for who in accounts
                   if requirement is None or not world.holds(who, *requirement)]
        if not lacking:
            uncovered.add(requirement)
            continue
        for who in lacking:
            if probe.data is not None:
                probe.data["csrf_token"] = tokens[who]
            response = send(clients[who], probe)
            flashes = pop_flashes(clients[who])
            checked += 1
            why = refusal(app, response, flashes, probe.url)
            if requirement is not None and why == "404":
                why = None  # a 404 means the permission was not checked first
            if why is None:
                failures.append(f"{who} without {requirement}: {probe} -> "
                                f"{response.status_code} {flashes}")
            found = leaks(response, world.secrets_hidden_from("a", who)
                          | world.secrets("b"), probe, flashes)
            if found:
                failures.append(f"{who}: {probe} shows {found}")
    assert not failures, _report(title, failures)
    assert (world.snapshot("a"), world.snapshot("b")) == before, \
        "refused requests changed merchant data"
    return checked, uncovered


def test_staff_without_the_permission_are_refused(app, world):
    checked, uncovered = _refused_everywhere(
        app, world, STAFF_ACCOUNTS, lambda probe: True,
        "Staff without the permission were not refused")
    assert checked > 100
    # Every permission is lacked by one of the two staff accounts, except what the 核销员
    # role is meant to hold (app/seed.py) and every role's baseline (the task center).
    from app.admin.permissions import baseline_pairs
    from app.seed import VERIFIER_PERMS, VERIFIER_VIEWS

    views = {type(v).__name__: v.class_permission_name for v in app.appbuilder.baseviews}
    expected = baseline_pairs(app.appbuilder) | {
        (p, views[v]) for v in VERIFIER_VIEWS for p in VERIFIER_PERMS}
    unexpected = sorted(str(pair) for pair in uncovered - expected)
    assert not unexpected, f"no demo staff account lacks {unexpected}: the crawler " \
                           "cannot test their refusal"


def test_merchants_never_reach_platform_views(app, world):
    def platform_only(probe):
        return not getattr(probe.view, "merchant_facing", False)

    probes, _ = build_probes(world, "a")
    granted = sorted({f"{who} holds {probe.requirement}"
                      for probe in probes if probe.cls.category == "permission"
                      and platform_only(probe) and probe.requirement
                      for who in MERCHANT_ACCOUNTS if world.holds(who, *probe.requirement)})
    assert not granted, _report("Merchant accounts with a platform permission", granted)
    checked, uncovered = _refused_everywhere(
        app, world, ("owner_a",), platform_only,
        "The merchant owner reached a platform view (FAB security views, merchants)")
    assert not uncovered
    assert checked > 50


# -- 3. another tenant's ids --------------------------------------------------------------
def _owner_tasks(app, user_id):
    from app.extensions import db
    from app.models.task import Task
    from app.tenancy import platform_scope

    with app.app_context(), platform_scope():
        rows = db.session.query(Task).filter(Task.user_id == user_id).all()
        result = {t.id: (t.status, t.result_path) for t in rows}
        db.session.rollback()
    return result


def _own_row_probes(world, client, token):
    """Probes on A's own rows: the edit form (its dropdowns must not offer B's rows), and
    a save of that form with its relations pointed at B's rows (must be refused by form
    validation or the tenant guard; B's snapshot proves nothing was linked)."""
    probes = []
    for view in world.app.appbuilder.baseviews:
        endpoint = f"{view.endpoint}.edit"
        if not getattr(view, "merchant_facing", False) or endpoint not in \
                world.app.view_functions or world.pk(view, "a") is None:
            continue
        url = _build(world.app, next(r for r in world.app.url_map.iter_rules()
                                     if r.endpoint == endpoint), {"pk": world.pk(view, "a")})
        cls = classify(world.app, endpoint)
        probes.append(Probe(endpoint=endpoint, rule=url, method="GET", url=url, cls=cls,
                            view=view))
        targets = _relation_targets(view, _form_columns(view, "edit"))
        page = client.get(url)
        if not targets or page.status_code != 200:
            continue
        parser = FormParser()
        parser.feed(page.get_data(as_text=True))
        form = dict(parser.values, csrf_token=token)
        for column, target in targets.items():
            form[column] = [_pk_or_placeholder(world.model_pk(target, "b"))]
        probes.append(Probe(endpoint=endpoint, rule=url, method="POST", url=url, cls=cls,
                            view=view, data=form))
    return probes


def merchant_facing_pairs(world):
    """Every (permission, view menu) a route of a merchant-facing view asks for."""
    probes, _ = build_probes(world, "a")
    return {probe.requirement for probe in probes
            if probe.cls.category == "permission" and probe.requirement
            and getattr(probe.view, "merchant_facing", False)}


def test_other_tenant_ids_are_refused(app, world):
    """As A's owner, every URL with B's ids: 404/403, nothing of B shown, nothing written.

    The owner is given every permission of the merchant-facing views for the crawl (even
    those no role may hold, such as TaskView's edit or ShopView's download), so the tenant
    layer answers on its own instead of hiding behind the permission layer's 403."""
    with world.granted("owner_a", merchant_facing_pairs(world)):
        _crawl_other_tenant(app, world)


def _crawl_other_tenant(app, world):
    client = world.client("owner_a")
    token = csrf_token(client, "/account/password")
    secrets = world.secrets("b")
    assert len(secrets) >= 10, secrets
    probes, _ = build_probes(world, "b", token)
    probes += _own_row_probes(world, client, token)
    tasks_before = _owner_tasks(app, world.user_ids["owner_a"])
    before = world.snapshot("b")
    failures, counts = [], {}
    for probe in probes:
        category = probe.cls.category
        if category in (None, "public", "member_token"):
            continue  # logged-in crawls leave the session alone (logout, language)
        if category == "authenticated_only" and probe.method != "GET":
            continue
        response = send(client, probe)
        flashes = pop_flashes(client)
        counts[probe.method] = counts.get(probe.method, 0) + 1
        if response.status_code >= 500:
            failures.append(f"{probe}: {response.status_code}")
        if probe.targets_row and refusal(app, response, flashes, probe.url) is None:
            failures.append(f"{probe}: B's row answered {response.status_code} {flashes}")
        found = leaks(response, secrets, probe, flashes)
        if found:
            failures.append(f"{probe}: shows B's {found}")
    # Exports that went to the task center: their files must not hold B's rows either.
    for task_id, (status, path) in _owner_tasks(app, world.user_ids["owner_a"]).items():
        if task_id in tasks_before or not path:
            continue
        with open(path, "rb") as fh:
            cells = "\n".join(xlsx_cells(fh.read()))
        found = sorted(s for s in secrets if s in cells)
        if found:
            failures.append(f"export task {task_id} holds B's {found}")
    assert not failures, _report("Merchant A reached merchant B's data", failures)
    after = world.snapshot("b")
    changed = sorted(name for name in set(before) | set(after)
                     if before.get(name) != after.get(name))
    assert not changed, f"requests of merchant A changed merchant B's rows in {changed}"
    assert counts.get("GET", 0) > 50 and counts.get("POST", 0) > 30, counts


def test_crawler_urls_reach_own_rows(app, world):
    """The control group: the same URLs with A's own ids work for A's owner, so the 404s
    above come from isolation, not from URLs the crawler built wrong."""
    with world.granted("owner_a", merchant_facing_pairs(world)):
        _crawl_own_rows(app, world)


def _crawl_own_rows(app, world):
    client = world.client("owner_a")
    probes, _ = build_probes(world, "a")
    failures, checked, rows = [], 0, 0
    for probe in probes:
        if probe.cls.category != "permission" or probe.method != "GET" or not probe.get_only:
            continue
        if not getattr(probe.view, "merchant_facing", False):
            continue
        requirement = probe.requirement
        if requirement is None or not world.holds("owner_a", *requirement):
            continue
        if probe.endpoint.endswith(".download") and not probe.view.file_columns():
            continue  # no uploaded files on this model
        if probe.endpoint.endswith(".download") and not _row_has_file(
                app, probe.view, world.files["a"]):
            continue  # the planted file is a shop logo: only a model whose row holds it serves it
        if probe.endpoint.endswith(".related") and probe.url.rpartition("/")[2] not in (
                set(probe.view.add_columns or []) | set(probe.view.edit_columns or [])
                | set(probe.view.search_columns or [])):
            continue  # only form relations are served
        response = send(client, probe)
        pop_flashes(client)
        checked += 1
        if response.status_code != 200:
            failures.append(f"{probe}: {response.status_code}")
        elif probe.targets_row:
            rows += 1
    assert not failures, _report("A's owner could not open A's own rows", failures)
    assert checked >= 20 and rows >= 5, (checked, rows)


def _row_has_file(app, view, filename):
    """Whether a row of the view's model references ``filename`` in one of its file columns."""
    from sqlalchemy import or_, select

    from app.extensions import db
    from app.tenancy import platform_scope

    model = view.datamodel.obj
    with app.app_context(), platform_scope():
        columns = [getattr(model, c) == filename for c in view.file_columns()]
        return db.session.execute(select(model).where(or_(*columns)).limit(1)).first() is not None


def test_row_factory_fills_tenant_models(world):
    """A new tenant model gets a row of merchant B without anyone writing a fixture (a
    model that references a shared table must be planted by hand, see _plant)."""
    from app.extensions import db
    from app.tenancy import TenantScoped
    from tests.security.conftest import CannotPlant, _make_row

    made, skipped = [], []
    for mapper in db.Model.registry.mappers:
        model = mapper.class_
        if not issubclass(model, TenantScoped):
            continue
        try:
            made.append((model.__name__, _make_row(world, model, "b")))
        except CannotPlant as exc:
            skipped.append(str(exc))
    assert made and all(pk for _name, pk in made), (made, skipped)


# -- 5. the shop JSON API: member tokens -----------------------------------------------------
def _member_token(app, key_merchant_id):
    """A token for a normal member of the merchant (the API's own signing)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.member import Member
    from app.services.member import issue_member_token
    from app.tenancy import tenant_scope

    with app.app_context(), tenant_scope(key_merchant_id):
        member = db.session.execute(select(Member).where(Member.status == "normal")
                                    .order_by(Member.id).limit(1)).scalar()
        assert member is not None, "the demo data has no member to sign a token for"
        token = issue_member_token(member)
        db.session.rollback()
    return token


def _api_probes(world, key):
    probes, _problems = build_probes(world, key)
    return [p for p in probes if p.cls.category == "member_token"]


def test_member_api_tokens_stay_in_their_tenant(app, world):
    """With B's member token, every API route answers without a 5xx, shows nothing of A's
    rows and writes nothing to A's rows; with A's token the GET routes answer 200."""
    probes = _api_probes(world, "a")
    assert probes, "no member-token API route found"
    secrets_a = world.secrets("a")
    before = world.snapshot("a")
    token_b = _member_token(app, world.merchant["b"])
    failures = []
    for probe in probes:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token_b}"}
        response = (client.get(probe.url, headers=headers) if probe.method == "GET"
                    else client.post(probe.url, headers=headers, json={}))
        if response.status_code >= 500:
            failures.append(f"{probe}: {response.status_code}")
        found = leaks(response, secrets_a, probe)
        if found:
            failures.append(f"{probe}: B's member token shows A's {found}")
    assert not failures, _report("The shop API crossed tenants", failures)
    assert world.snapshot("a") == before, "B's member token changed merchant A's rows"
    token_a = _member_token(app, world.merchant["a"])
    for probe in probes:
        if probe.method == "GET":
            response = app.test_client().get(probe.url,
                                             headers={"Authorization": f"Bearer {token_a}"})
            assert response.status_code == 200, f"{probe}: {response.status_code}"
