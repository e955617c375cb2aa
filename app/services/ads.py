"""广告管理 rules: a banner points at an on-shelf product of the same merchant, uses a
position its shop type has, and its active window (if any) ends after it starts."""
from app.models.ads import AD_SLOT_SHOP_TYPES
from app.services.errors import N_


def banner_problems(*, shop, product, position, starts_at, ends_at):
    """{field: Chinese message} for a banner's values."""
    problems = {}
    if product is not None and product.status != "on_shelf":
        problems["product"] = N_("该商品未上架，不能用于首页广告")
    if shop is not None and product is not None and shop.merchant_id != product.merchant_id:
        problems["product"] = N_("商品不存在")
    if position == "home_ad" and shop is not None and shop.shop_type not in AD_SLOT_SHOP_TYPES:
        problems["position"] = N_("该商城没有首页广告位，请选择首页焦点图")
    if starts_at and ends_at and ends_at <= starts_at:
        problems["ends_at"] = N_("结束时间必须晚于开始时间")
    return problems


def home_order_key(product):
    """首页商品 order: set positions first (small to large), then newest first."""
    has_sort = product.home_sort is not None
    return (0 if has_sort else 1, product.home_sort or 0, -(product.id or 0))
