"""Demo data: two merchants (so isolation is visible), each with an owner, a 店长 and a
核销员 role with one staff member each, and two shops; plus a platform admin."""
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from app.admin import permissions as perms
from app.extensions import db
from app.models.merchant import Merchant, MerchantRole, StaffUser
from app.models.shop import Shop
from app.security import OWNER_ROLE, PLATFORM_ROLE, hash_password
from app.services import merchant as merchant_service
from app.tenancy import platform_scope

PLATFORM_USER = ("admin", "Admin@2026")
DEMO_MERCHANTS = [
    {"name": "鲜果时光", "phone": "13800000001",
     "manager": ("13800000011", "王店长", "Manager@2026"),
     "verifier": ("13800000021", "李核销", "Verify@2026"),
     "shops": [("鲜果时光微商城", "wx_mall"), ("鲜果时光小程序", "mini_mall")]},
    {"name": "茶语小铺", "phone": "13900000002",
     "manager": ("13900000012", "赵店长", "Manager@2026"),
     "verifier": ("13900000022", "钱核销", "Verify@2026"),
     "shops": [("茶语小铺微商城", "wx_mall"), ("茶语百变小程序", "diy_mini")]},
]
DEMO_LOGINS = [("平台管理员", PLATFORM_USER[0], PLATFORM_USER[1])] + [
    row for m in DEMO_MERCHANTS for row in (
        (f"{m['name']} 大管理员", m["phone"], "888888（首次登录须修改）"),
        (f"{m['name']} 店长", m["manager"][0], m["manager"][2]),
        (f"{m['name']} 核销员", m["verifier"][0], m["verifier"][2]),
    )]

# Business permissions of the demo roles, by view: the store manager runs the shop and
# sees the log; the verifier only sees shops (核销 arrives with the orders module).
MANAGER_VIEWS = {"ShopView", "AuditLogView", "StaffView",
                 # 会员管理 and the member parts of 营销设置管理 (app/views/member.py...)
                 "MemberView", "MemberTagView", "MemberLevelView", "ReservationCityView",
                 "PointsRuleView", "StoredValueCardView", "RechargeTierView",
                 "StoredValueSettingView", "DistributionRuleView", "DistributorView",
                 "WithdrawalView",
                 # 商品管理 (app/views/catalog.py)
                 "ProductView", "WarehouseProductView", "CategoryView", "BrandView",
                 "SpecGroupView"}
# 我的商城 → 品牌内容编辑, 关于商城 (app/views/content.py); 商城实名认证 stays with the owner.
MANAGER_VIEWS |= {"BrandFocusImageView", "ArticleView", "ArticleCategoryView", "AboutView"}
# 我的商城 → 商城装修, 页面设计, 素材库 (app/views/decoration.py, app/views/media.py).
MANAGER_VIEWS |= {"DecorationView", "PageView", "MediaView", "MediaGroupView"}
VERIFIER_VIEWS = {"ShopView"}
VERIFIER_PERMS = {"can_list", "can_show", "can_qrcode"}
# 订单管理 → 核销台, 核销记录 (app/views/verification.py): the verifier's own records only.
VERIFIER_VIEWS |= {"VerificationDeskView", "VerificationRecordView"}
VERIFIER_PERMS |= {"can_verify", "can_stats"}
# 订单管理 → 发货, 批量发货, 退单与退款, 售后管理, 退款记录, 核销 (app/views/fulfilment*.py...).
MANAGER_VIEWS |= {"FulfilmentView", "ShippingBatchView", "AfterSaleView", "RefundView",
                  "VerificationDeskView", "VerificationRecordView"}
# 订单管理 → 全部订单 (app/views/order.py).
MANAGER_VIEWS |= {"OrderView"}
# 营销设置管理 → 优惠券管理, 会员优惠券, 营销活动 (app/views/marketing*.py).
MANAGER_VIEWS |= {"CouponBatchView", "MemberCouponView", "CampaignView"}
# 插件管理 → AI 刷脸设置, 刷脸记录 (app/views/face_coupon.py); 识别服务设置 (cloud keys)
# stays with the owner.
MANAGER_VIEWS |= {"FaceCampaignView", "FaceScanView"}


def _role(sm, merchant, label, pairs):
    role = sm.add_role(f"m{merchant.id}:{label}")
    perms.set_role_permissions(sm, role, pairs)
    db.session.add(MerchantRole(merchant_id=merchant.id, role=role, label=label,
                                description=f"演示角色：{label}"))
    return role


def _staff(merchant, role, phone, name, password):
    user = merchant_service.new_staff_user(
        merchant=merchant, phone=phone, name=name, is_owner=False, roles=[role],
        password_hash=hash_password(password))
    user.must_change_password = False
    db.session.add(user)


def module_seeders():
    """Each business module's demo data: ``seed(merchant, shops)``, run in tenant order.

    A module adds its ``seed_demo`` here; it runs inside the platform scope, so it sets
    ``merchant_id`` on every row itself.
    """
    from app.services import catalog_demo, member

    from app.services import official_account

    from app.services import mini_program

    from app.services import content

    from app.services import decoration

    from app.services import order_demo

    from app.services import marketing_demo

    return [member.seed_demo, catalog_demo.seed_demo, official_account.seed_demo,
            mini_program.seed_demo, content.seed_demo,
            decoration.seed_demo, order_demo.seed_demo, marketing_demo.seed_demo]


def seed_demo():
    """Create the demo data unless it exists; returns True when it created it."""
    sm = current_app.appbuilder.sm
    with platform_scope():
        if db.session.execute(select(Merchant.id).limit(1)).first() is not None:
            return False
        admin = sm.add_user(PLATFORM_USER[0], "平台", "管理员", "admin@merchantdesk.invalid",
                            sm.find_role(PLATFORM_ROLE), password=PLATFORM_USER[1])
        admin.first_name = "平台管理员"
        owner_role = sm.find_role(OWNER_ROLE)
        business = perms.business_pairs(current_app.appbuilder)
        by_view = {}
        for view in perms.business_views(current_app.appbuilder):
            by_view[type(view).__name__] = view.class_permission_name
        manager_pairs = {p for p in business if p[1] in {by_view.get(v) for v in MANAGER_VIEWS}}
        verifier_pairs = {p for p in business if p[1] in {by_view.get(v) for v in VERIFIER_VIEWS}
                          and p[0] in VERIFIER_PERMS}
        for spec in DEMO_MERCHANTS:
            merchant = Merchant(name=spec["name"], contact_phone=spec["phone"],
                                expires_on=date.today() + timedelta(days=365))
            merchant_service.create_merchant(db.session, merchant=merchant,
                                             owner_role=owner_role)
            db.session.flush()
            manager_role = _role(sm, merchant, "店长", manager_pairs)
            verifier_role = _role(sm, merchant, "核销员", verifier_pairs)
            _staff(merchant, manager_role, *spec["manager"])
            _staff(merchant, verifier_role, *spec["verifier"])
            shops = [Shop(merchant_id=merchant.id, name=name, shop_type=shop_type)
                     for name, shop_type in spec["shops"]]
            db.session.add_all(shops)
            db.session.flush()
            for seeder in module_seeders():
                seeder(merchant, shops)
        db.session.commit()
    return True


def print_logins(echo=print):
    import os

    host = os.environ.get("HOST", "127.0.0.1")
    echo(f"\nMerchantDesk 商家后台: http://{host}:{os.environ.get('PORT', '5000')}")
    echo("演示账号（首次登录密码 888888 的账号会被要求修改密码）:")
    for role, account, password in DEMO_LOGINS:
        echo(f"  {role:<16} {account:<14} {password}")
