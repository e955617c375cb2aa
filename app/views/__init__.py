"""Registers every view under the sidebar of the first guide, in its order."""
from flask_babel import lazy_gettext as _l

# (menu category name, Chinese label, icon). Modules add items to these categories;
# a category shows in the sidebar once the user may open one of its items.
CATEGORIES = [
    ("my_shop", _l("我的商城"), "fa-home"),
    ("members", _l("会员管理"), "fa-users"),
    ("products", _l("商品管理"), "fa-cube"),
    ("orders", _l("订单管理"), "fa-list-alt"),
    ("logistics", _l("物流管理"), "fa-truck"),
    ("ads", _l("广告管理"), "fa-picture-o"),
    ("marketing", _l("营销设置管理"), "fa-bullhorn"),
    ("statistics", _l("数据统计"), "fa-bar-chart"),
    ("withdrawals", _l("账户提现"), "fa-money"),
    ("plugins", _l("插件管理"), "fa-puzzle-piece"),
    ("mini_program", _l("小程序设置管理"), "fa-mobile"),
    ("staff_admin", _l("多管理员设置"), "fa-user-secret"),
    ("official_account", _l("公众号设置"), "fa-weixin"),
    ("task_center", _l("任务中心"), "fa-tasks"),
    ("audit", _l("操作日志"), "fa-history"),
    ("platform", _l("平台管理"), "fa-cogs"),
]


def add(appbuilder, view, name, label, category, icon=""):
    """Register a view as a sidebar item of ``category``."""
    return appbuilder.add_view(view, name, label=label, icon=icon, category=category)


def register_views(appbuilder):
    from app.views import account, audit, merchant, shop, task, wechat

    for name, label, icon in CATEGORIES:
        appbuilder.menu.add_category(name, icon=icon, label=label)
    shop.register(appbuilder)
    merchant.register(appbuilder)
    task.register(appbuilder)
    audit.register(appbuilder)
    account.register(appbuilder)
    wechat.register(appbuilder)
    from app.views import distribution, member, points, stored_value

    member.register(appbuilder)
    points.register(appbuilder)
    stored_value.register(appbuilder)
    distribution.register(appbuilder)
    from app.views import ads, catalog, logistics

    catalog.register(appbuilder)
    logistics.register(appbuilder)
    ads.register(appbuilder)
    from app.views import official_account

    official_account.register(appbuilder)
    from app.views import mini_program

    mini_program.register(appbuilder)
    from app.views import certification, content

    content.register(appbuilder)
    certification.register(appbuilder)
    from app.views import decoration, media

    decoration.register(appbuilder)
    media.register(appbuilder)
    from app.views import order as order_views  # 全部订单 first under 订单管理

    order_views.register(appbuilder)
    from app.views import after_sale, fulfilment, fulfilment_batch, verification

    fulfilment.register(appbuilder)
    fulfilment_batch.register(appbuilder)
    after_sale.register(appbuilder)
    verification.register(appbuilder)
    from app.views import marketing, marketing_campaign  # 营销设置管理: 优惠券, 营销活动

    marketing_campaign.register(appbuilder)
    marketing.register(appbuilder)
    from app.views import red_packet  # 插件管理: 红包营销设置 first (the guide's order)

    red_packet.register(appbuilder)
    from app.views import face_coupon  # 插件管理: AI 刷脸设置, 刷脸记录, 识别服务设置

    face_coupon.register(appbuilder)
    # FAB's own "Security" category (platform admin only) goes after ours.
    order = {name: i for i, (name, _label, _icon) in enumerate(CATEGORIES)}
    appbuilder.menu.menu.sort(key=lambda item: order.get(item.name, len(order)))
    from app.views import lottery_game  # 插件管理: 抽奖游戏, 中奖记录, 奖品核销

    lottery_game.register(appbuilder)
