"""积分规则设置 (营销设置管理): one settings form per merchant."""
from flask_babel import lazy_gettext as _l

from app.models.member import PointsRule
from app.services import points as service
from app.views import add
from app.views.member_base import RowSettingsView


class PointsRuleView(RowSettingsView):
    route_base = "/points-rule"
    model = PointsRule
    title = _l("设置积分规则")
    intro = _l("积分为整数，计算结果的小数部分全部舍去；签到每天一次，按北京时间自然日计算。")
    fields = ("sign_in_points", "streak_7_points", "streak_15_points", "streak_30_points",
              "referral_purchase_points", "referral_register_points", "register_points",
              "bind_points", "points_per_yuan", "experience_per_yuan",
              "redeem_points_per_yuan", "redeem_max_percent", "expire_yearly")

    def get_row(self, session, merchant_id):
        return service.points_rule(session, merchant_id)

    def check(self, values):
        return service.check_rule(values)


def register(appbuilder):
    add(appbuilder, PointsRuleView, "points_rule", _l("积分规则设置"), "marketing", "fa-gift")
