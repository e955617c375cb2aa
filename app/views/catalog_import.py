"""商品导入 for ProductView: the template or a 淘宝助理 GBK CSV, validated row by row as the
import mixin does, then written with bulk INSERTs (app/services/catalog_import.py) and ONE
audit entry, all or nothing. Imported products start 下架."""
import logging

from flask import g
from flask_babel import gettext as _

from app.admin.audit import record_event
from app.admin.importer import ImportRefused, _header_key
from app.services import catalog as service

log = logging.getLogger(__name__)


def _operator_id():
    return getattr(getattr(g, "user", None), "id", None)


# 淘宝助理 CSV export: line 1 "version 1.00", line 2 English field names, line 3 the Chinese
# headers, then one product a line (GBK). Its Chinese headers, mapped to our columns.
TAOBAO_HEADERS = {"name": "宝贝名称", "price": "宝贝价格", "stock": "宝贝数量",
                  "code": "商家编码", "description": "宝贝描述", "image_urls": "新图片",
                  "summary": "宝贝卖点", "weight": "物流重量"}



class ProductImportMixin:
    """Mixed into ProductView before ImportMixin."""

    # -- 商品导入 ------------------------------------------------------------------------------
    def import_title(self):
        return _("商品导入")

    def import_fields(self):
        fields = super().import_fields()
        for spec in fields:
            if spec.name == "price":
                spec.required = True
            if spec.name in TAOBAO_HEADERS:
                spec.aliases.add(_header_key(TAOBAO_HEADERS[spec.name]))
        return fields

    def import_rules(self):
        return super().import_rules() + [
            _("也可直接上传淘宝助理导出的 CSV 文件（GBK 编码），按宝贝名称、宝贝价格、宝贝数量、"
              "商家编码、宝贝描述、新图片等列导入。"),
            _("导入的商品默认为下架状态；图片地址只做记录，不会下载。"),
        ]

    def read_import_file(self, filename, stream):
        rows = super().read_import_file(filename, stream)
        first = rows[0][1]
        if first and str(first[0]).strip().lower().startswith("version"):
            # 淘宝助理: skip the version line and the English header line.
            rows = rows[2:]
            if len(rows) < 2:
                raise ImportRefused(_("文件中只有表头，没有数据行"))
        return rows

    def validate_import_row(self, values, row_number):
        problems = []
        for name in ("price", "original_price", "cost_price", "weight"):
            if values.get(name) is not None and values[name] < 0:
                problems.append((name, _("不能小于 0")))
        for name in ("stock", "points_earned"):
            if values.get(name) is not None and values[name] < 0:
                problems.append((name, _("必须是 0 或正整数")))
        return problems

    def make_import_item(self, values):
        """A plain dict: the rows are written by bulk INSERTs (save_import)."""
        return {k: v for k, v in values.items() if v is not None}

    def import_pre_add(self, item):
        from app.tenancy import current_merchant_id

        if "import_tenant" not in g:  # once per import, not once per row
            g.import_tenant = current_merchant_id()
        tenant = g.import_tenant
        if tenant is None or tenant < 0:
            raise ImportRefused(_("无法确定数据所属的商家，请用商家账号导入"))
        item["merchant_id"] = tenant
        item["stock"] = item.get("stock") or 0
        if item.get("description"):
            item["description"] = service.sanitize_description(item["description"])

    def save_import(self, items, filename, started):
        """Bulk INSERTs of products, their default SKU and opening stock ledger rows, the
        done task and ONE audit entry, in one transaction (all or nothing)."""
        from sqlalchemy.exc import SQLAlchemyError

        from app.services import catalog_batch, catalog_import

        session = self.datamodel.session
        try:
            ids = catalog_import.insert_products(session, items, _operator_id())
            task = self._import_task(filename, started, "done", created=len(items))
            if g.get("import_job"):
                task = None  # the job's own task records the outcome
            else:
                session.add(task)
            record_event(entity="Product", action=_("导入"), detail={
                _("文件"): filename, _("新增数量"): len(ids),
                _("商品ID"): catalog_batch.id_ranges(ids)})  # commits the whole import
            session.commit()
        except (SQLAlchemyError, catalog_import.ImportWriteError):
            session.rollback()
            log.exception("product import failed")
            raise ImportRefused(_("保存失败，未写入任何数据，请检查数据后重试")) from None
        return task
