"""全部商品列表: row actions, 批量设置 and 商品置顶, mixed into ProductView.

Batches run as set-based statements (app/services/catalog_batch.py). The selected ids are
first checked with one tenant-filtered SELECT (another merchant's id is a 404), then each
batch writes ONE audit entry with its counts and ids, in the same transaction.
"""
from decimal import Decimal, InvalidOperation

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload

from app.admin.audit import audit_action, record_event
from app.models.catalog import Brand, Product, ProductCategory
from app.models.logistics import FreightTemplate
from app.services import catalog as service
from app.services import catalog_batch as batch_service
from app.services.errors import BusinessError

MAX_BATCH = 1000


def _operator_id():
    return getattr(getattr(g, "user", None), "id", None)


def visible(session, model, value, errors, field):
    """The row of ``model`` with this id if the current merchant may use it."""
    if not value:
        return None
    if not str(value).isdigit():
        errors[field] = _("所选项不存在")
        return None
    row = session.execute(select(model).where(model.id == int(value))).scalar_one_or_none()
    if row is None:
        errors[field] = _("所选项不存在")
    return row


class ProductBatchMixin:
    """Row actions, 批量设置 and 商品置顶 for ProductView (mix in before the base view)."""

    # -- which products ------------------------------------------------------------------
    def _visible_ids(self, ids):
        """{merchant id: [product ids]} for ``ids``; 404 when one is not visible here (the
        tenant guard filters this SELECT; the list's status filter applies too)."""
        ids = sorted({int(i) for i in ids})
        if len(ids) > MAX_BATCH:
            abort(400)
        found = {}
        session = self.datamodel.session
        for part in batch_service.chunks(ids):
            query = select(Product.id, Product.merchant_id).where(Product.id.in_(part))
            if self.status_filter:
                query = query.where(Product.status == self.status_filter)
            for pid, mid in session.execute(query).all():
                found.setdefault(mid, []).append(pid)
        if sum(len(v) for v in found.values()) != len(ids):
            abort(404)
        return found

    def _parse_ids(self, text):
        parts = [i.strip() for i in (text or "").split(",") if i.strip()]
        if len(parts) > MAX_BATCH:
            abort(400)
        if not all(p.isdigit() for p in parts):
            abort(404)
        return self._visible_ids(parts)

    def _products(self, by_merchant):
        ids = [i for v in by_merchant.values() for i in v]
        session = self.datamodel.session
        rows = []
        for part in batch_service.chunks(ids):
            rows += session.execute(select(Product).where(Product.id.in_(part)).options(
                selectinload(Product.categories), selectinload(Product.brand),
                selectinload(Product.freight_template)).order_by(Product.id)).scalars().all()
        return rows

    def _run(self, by_merchant, func):
        result = batch_service.BatchResult()
        for mid, ids in by_merchant.items():
            result.merge(func(mid, ids))
        return result

    def _audit(self, name, result, **detail):
        """ONE audit entry for the batch (counts and ids); commits the batch with it."""
        record_event(entity="Product", action=name, detail=dict(detail, **{
            _("已修改数量"): result.changed, _("被拒绝数量"): len(result.refused),
            _("已修改"): batch_service.id_ranges(result.changed_ids),
            _("被拒绝"): batch_service.id_ranges(result.refused_ids)}))
        self.datamodel.session.commit()

    def _report(self, result, done):
        flash(done % {"n": result.changed}, "success")
        if result.refused:
            flash(_("以下商品未处理：%(rows)s", rows="；".join(
                f"{p.name}（ID {p.id}）：{_(r)}" for p, r in result.refused[:50])), "warning")

    # -- row actions -------------------------------------------------------------------
    def _status_action(self, items, status, name, done):
        items = items if isinstance(items, list) else [items]
        by_merchant = self._visible_ids([i.id for i in items])
        session = self.datamodel.session
        result = self._run(by_merchant, lambda mid, ids: batch_service.batch_status(
            session, mid, ids, status))
        self._audit(name, result)
        self._report(result, done)
        return redirect(self.get_redirect())

    @action("on_shelf", _l("上架"), None, "fa-arrow-up")
    def on_shelf(self, items):
        return self._status_action(items, "on_shelf", _("上架"), _("已上架 %(n)d 个商品"))

    @action("off_shelf", _l("下架"), None, "fa-arrow-down")
    def off_shelf(self, items):
        return self._status_action(items, "off_shelf", _("下架"), _("已下架 %(n)d 个商品"))

    @action("copy", _l("复制"), None, "fa-copy")
    def copy(self, items):
        items = items if isinstance(items, list) else [items]
        session = self.datamodel.session
        for item in items:
            service.copy_product(session, item, _operator_id())
        session.commit()
        flash(_("已复制 %(n)d 个商品，副本在“仓库中的商品”", n=len(items)), "success")
        return redirect(self.get_redirect())

    @action("delete_selected", _l("批量删除"), _l("删除后不可恢复，确定删除所选商品？"), "fa-trash",
            single=False)
    def delete_selected(self, items):
        count = service.batch_delete(self.datamodel.session, items)
        self.datamodel.session.commit()
        flash(_("已删除 %(n)d 个商品", n=count), "success")
        return redirect(self.get_redirect())

    @action("batch", _l("批量设置"), None, "fa-sliders", single=False)
    def batch_selected(self, items):
        return redirect(url_for(f"{self.endpoint}.batch", ids=",".join(str(i.id) for i in items)))

    @action("pin", _l("加入置顶"), None, "fa-thumb-tack", single=False)
    def add_to_pin(self, items):
        session = self.datamodel.session
        pinned = session.execute(select(Product).where(Product.pin_rank.is_not(None))
                                 .order_by(Product.pin_rank)).scalars().all()
        ordered = pinned + [p for p in items if p not in pinned]
        with audit_action(_("商品置顶")):
            service.pin_products(session, ordered)
            session.commit()
        flash(_("已置顶 %(n)d 个商品，可拖动调整顺序", n=len(items)), "success")
        return redirect(url_for(f"{self.endpoint}.pin"))

    # -- 批量设置 --------------------------------------------------------------------------
    @expose("/batch/", methods=["GET", "POST"])
    @has_access
    def batch(self):
        """批量设置 the selected products: price, original price, stock or points (set /
        increase / decrease), categories (add / replace), brand, freight template."""
        source = request.form if request.method == "POST" else request.args
        by_merchant = self._parse_ids(source.get("ids"))
        session = self.datamodel.session
        errors, result = {}, None
        if request.method == "POST":
            operation = request.form.get("operation", "")
            if not by_merchant:
                errors["ids"] = _("请先在商品列表中勾选要操作的商品")
            else:
                try:
                    result = self._run_batch(session, operation, by_merchant, errors)
                except BusinessError as exc:
                    session.rollback()
                    errors["operation"] = str(exc)
                    result = None
                except OperationalError:  # a deadlock victim (MariaDB): nothing was applied
                    session.rollback()
                    errors["operation"] = _("商品正在被其他操作修改，请稍后重试")
                    result = None
            if result is not None:
                form = request.form
                self._audit(_("批量设置"), result, **{
                    _("操作"): operation,
                    _("方式"): form.get("mode") or form.get("category_mode") or "",
                    _("数值"): form.get("amount") or ""})
                flash(_("批量操作完成：%(n)d 个商品已修改，%(m)d 个被拒绝",
                        n=result.changed, m=len(result.refused)),
                      "success" if not result.refused else "warning")
        products = self._products(by_merchant)
        return self.render_template(
            "catalog/product_batch.html", title=_("批量设置"), products=products,
            ids=",".join(str(p.id) for p in products), errors=errors, result=result,
            form=request.form, endpoint=self.endpoint, **self._choices())

    def _run_batch(self, session, operation, by_merchant, errors):
        form = request.form
        if operation in batch_service.NUMERIC_FIELDS:
            mode = form.get("mode")
            try:
                amount = Decimal((form.get("amount") or "").strip())
                if not amount.is_finite() or -amount.as_tuple().exponent > 2:
                    raise InvalidOperation
            except InvalidOperation:
                errors["amount"] = _("请输入数值，最多两位小数")
                return None
            if mode not in batch_service.MODES:
                errors["mode"] = _("请选择重置、增加或减少")
                return None
            return self._run(by_merchant, lambda mid, ids: batch_service.batch_adjust(
                session, mid, ids, operation, mode, amount, _operator_id()))
        if operation == "categories":
            ids = {int(i) for i in form.getlist("categories") if i.isdigit()}
            found = session.execute(select(ProductCategory.id, ProductCategory.merchant_id)
                                    .where(ProductCategory.id.in_(ids))).all() if ids else []
            if not found or len(found) != len(ids):
                errors["categories"] = _("请选择分类")
                return None
            return self._run(by_merchant, lambda mid, pids: batch_service.batch_categories(
                session, mid, pids, [c for c, m in found if m == mid],
                form.get("category_mode")))
        if operation in ("brand", "freight_template"):
            model = Brand if operation == "brand" else FreightTemplate
            value = visible(session, model, form.get(operation), errors, operation)
            if value is None:
                errors.setdefault(operation, _("请选择"))
                return None
            # A brand or template belongs to one merchant: only its own products take it.
            return self._run({value.merchant_id: by_merchant.get(value.merchant_id, [])},
                             lambda mid, ids: batch_service.batch_set(
                                 session, mid, ids, operation, value.id))
        errors["operation"] = _("请选择批量操作")
        return None

    # -- 商品置顶 --------------------------------------------------------------------------
    @expose("/pin/", methods=["GET", "POST"])
    @has_access
    def pin(self):
        """商品置顶: the pinned products, dragged (or numbered) into order; 取消置顶 removes;
        全部参与 / 全部不参与 by 分类 or 品牌."""
        session = self.datamodel.session
        if request.method == "POST":
            keep = [p for p in request.form.getlist("pk") if p not in
                    set(request.form.getlist("unpin"))]
            products = [self.get_visible(pk) for pk in keep]
            with audit_action(_("商品置顶")):
                count = service.pin_products(session, products)
                session.commit()
            flash(_("已保存置顶顺序，共 %(n)d 个置顶商品", n=count), "success")
            return redirect(url_for(f"{self.endpoint}.pin"))
        pinned = session.execute(select(Product).where(Product.pin_rank.is_not(None))
                                 .order_by(Product.pin_rank, Product.id)).scalars().all()
        choices = self._choices()
        return self.render_template("catalog/product_pin.html", title=_("商品置顶"),
                                    products=pinned, endpoint=self.endpoint,
                                    category_tree=choices["category_tree"],
                                    brands=choices["brands"])

    @expose("/pin/group/", methods=["POST"])
    @has_access
    @permission_name("pin")
    def pin_group(self):
        """全部参与 / 全部不参与: every product of a category (with its sub-categories) or of
        a brand joins or leaves 商品置顶, in one statement; the count is shown."""
        session = self.datamodel.session
        form = request.form
        join = form.get("join") == "1"
        errors = {}
        category = visible(session, ProductCategory, form.get("category"), errors, "category")
        brand = None if category else visible(session, Brand, form.get("brand"), errors, "brand")
        owner = category or brand
        if owner is None:
            flash(errors.get("category") or errors.get("brand") or _("请选择分类或品牌"),
                  "danger")
            return redirect(url_for(f"{self.endpoint}.pin"))
        category_ids = []
        if category is not None:
            category_ids = [category.id] + list(session.execute(select(ProductCategory.id).where(
                ProductCategory.parent_id == category.id)).scalars())
        count = batch_service.pin_by_group(
            session, owner.merchant_id, category_ids=category_ids,
            brand_id=brand.id if brand else None, join=join)
        name = _("全部参与置顶") if join else _("全部不参与置顶")
        record_event(entity="Product", action=name, detail={
            _("分类") if category else _("品牌"): owner.name, _("已修改数量"): count})
        session.commit()
        if join:
            flash(_("“%(name)s”的 %(n)d 个商品已加入置顶", name=owner.name, n=count), "success")
        else:
            flash(_("“%(name)s”的 %(n)d 个商品已取消置顶", name=owner.name, n=count), "success")
        return redirect(url_for(f"{self.endpoint}.pin"))
