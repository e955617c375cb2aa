"""商城: the merchant's malls, each with a public link and a QR code."""
import io
import re

import qrcode
from flask import current_app, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms.validators import Length, Regexp

from app.admin.importer import ImportMixin
from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView
from app.models.shop import Shop
from app.views import add


def shop_public_url(shop):
    return f"{current_app.config['SHOP_PUBLIC_BASE_URL'].rstrip('/')}/{shop.id}"


def qr_png(text, box_size=8):
    image = qrcode.make(text, box_size=box_size, border=2)
    stream = io.BytesIO()
    image.save(stream, format="PNG")
    stream.seek(0)
    return stream


class ShopView(ImportMixin, TenantModelView):
    datamodel = AdminInterface(Shop)
    list_columns = ["logo", "name", "shop_type", "status", "theme_color", "created_at", "qr"]
    search_columns = ["name", "shop_type", "status", "created_at"]
    add_columns = edit_columns = ["name", "shop_type", "logo", "status", "theme_color"]
    show_columns = ["name", "shop_type", "logo", "status", "theme_color", "created_at", "qr"]
    export_columns = ["id", "name", "shop_type", "status", "theme_color", "created_at"]
    # 导入: /shopview/import/ (permission can_import, added by ImportMixin).
    import_columns = ["name", "shop_type", "status", "theme_color"]
    label_columns = {"qr": _l("二维码")}
    validators_columns = {
        "name": [Length(min=2, max=50, message=_l("商城名称须为 2-50 个字符"))],
        "theme_color": [Regexp(r"^#[0-9A-Fa-f]{6}$", message=_l("主题色格式应为 #RRGGBB"))],
    }
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export", "can_qrcode"]
    formatters_columns = {
        "qr": lambda pk: Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
            url_for("ShopView.qrcode", pk=pk), _l("查看二维码")),
    }

    @expose("/qrcode/<pk>")
    @has_access
    def qrcode(self, pk):
        """The shop's public link and QR code; ?download=1 sends the PNG."""
        shop = self.get_visible(pk)
        url = shop_public_url(shop)
        if request.args.get("download") or request.args.get("png"):
            safe_name = re.sub(r"[\\/:*?\"<>|]", "_", shop.name)
            return send_file(qr_png(url), mimetype="image/png",
                             as_attachment=bool(request.args.get("download")),
                             download_name=f"{safe_name}_二维码.png")
        return self.render_template("shop/qrcode.html", shop=shop, url=url,
                                    title=_l("查看二维码"))


def register(appbuilder):
    add(appbuilder, ShopView, "shop_list", _l("商城列表"), "my_shop", "fa-shopping-bag")
