"""商品管理: 商品分类, 品牌, 规格属性管理, 全部商品列表 (with the three-step 新增商品 form,
row actions and batch operations) and 仓库中的商品."""
from decimal import Decimal

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import Length, ValidationError

from app.admin import uploads
from app.admin.audit import audit_action
from app.admin.importer import ImportMixin
from app.admin.interface import AdminInterface
from app.admin.views import TenantModelView
from app.extensions import db
from app.models.catalog import (CATEGORY_ICONS, Brand, Product, ProductCategory, ProductImage,
                                Sku, SpecGroup, SpecValue)
from app.models.logistics import FreightTemplate
from app.services import catalog as service
from app.services.errors import BusinessError
from app.views import add
from app.views.catalog_batch import ProductBatchMixin, visible
from app.views.catalog_import import ProductImportMixin
from app.views.catalog_form import (BASIC_FIELDS, EXTRA_ROWS, extra_rows, forget_pending,
                                    parse_scalars, parse_sku_rows, pending_images,
                                    remember_pending)


def _operator_id():
    user = getattr(g, "user", None)
    return getattr(user, "id", None)


# -- 商品分类 -------------------------------------------------------------------------------
def _parent_is_top_level(form, field):
    parent = field.data
    if parent is None:
        return
    pk = getattr(form, "_id", None)
    category = db.session.get(ProductCategory, int(pk)) if pk else ProductCategory()
    problem = service.category_problem(category, parent)
    if problem:
        raise ValidationError(_(problem))


def _icon_cell(code):
    if not code:
        return ""
    text = next((str(t) for c, t in CATEGORY_ICONS if c == code), code)
    return Markup('<i class="fa {0}"></i> {1}').format(code, text)


class CategoryView(TenantModelView):
    datamodel = AdminInterface(ProductCategory)
    list_title = _l("商品分类")
    list_columns = ["icon", "icon_image", "name", "parent", "sort", "created_at", "usage"]
    search_columns = ["name", "parent", "created_at"]
    add_columns = edit_columns = ["name", "parent", "icon", "icon_image", "sort"]
    show_columns = ["name", "parent", "icon", "icon_image", "sort", "created_at"]
    export_columns = ["id", "name", "parent", "icon", "sort", "created_at"]
    base_order = ("sort", "asc")
    label_columns = {"usage": _l("使用情况")}
    validators_columns = {
        "name": [Length(min=1, max=30, message=_l("分类名称须为 1-30 个字符"))],
        "parent": [_parent_is_top_level],
    }
    formatters_columns = {
        "icon": _icon_cell,
        "usage": lambda pk: Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
            url_for("CategoryView.usage", pk=pk), _l("使用情况")),
    }
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export", "can_usage"]

    def pre_delete(self, item):
        service.check_category_deletable(self.datamodel.session, item)

    @expose("/usage/<pk>")
    @has_access
    def usage(self, pk):
        """使用情况: the products in this category (and its sub-categories)."""
        category = self.get_visible(pk)
        products = service.category_usage(self.datamodel.session, category, limit=500)
        return self.render_template("catalog/category_usage.html", category=category,
                                    products=products, title=_("使用情况"))


# -- 品牌 ---------------------------------------------------------------------------------
class BrandView(TenantModelView):
    datamodel = AdminInterface(Brand)
    list_title = _l("品牌管理")
    list_columns = ["name", "sort", "created_at"]
    search_columns = ["name", "created_at"]
    add_columns = edit_columns = ["name", "sort"]
    show_columns = ["name", "sort", "created_at"]
    export_columns = ["id", "name", "sort", "created_at"]
    base_order = ("sort", "asc")
    validators_columns = {
        "name": [Length(min=1, max=50, message=_l("品牌名称须为 1-50 个字符"))]}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export", "can_batch_add"]

    def pre_delete(self, item):
        used = self.datamodel.session.execute(
            select(Product.name).where(Product.brand_id == item.id).limit(6)).scalars().all()
        if used:
            raise BusinessError(_("该品牌正在被商品使用，不能删除：%(names)s",
                                  names="、".join(used[:5]) + ("等" if len(used) > 5 else "")))

    @expose("/batch_add/", methods=["GET", "POST"])
    @has_access
    def batch_add(self):
        """批量新增: one brand name per line; names that exist are skipped and reported."""
        text, error = "", None
        if request.method == "POST":
            text = request.form.get("names", "")
            names = service.batch_brand_names(text)
            too_long = [n for n in names if len(n) > 50]
            if not names:
                error = _("请至少填写一个品牌名称，每行一个")
            elif len(names) > 200:
                error = _("一次最多新增 200 个品牌")
            elif too_long:
                error = _("品牌名称不能超过 50 个字符：%(names)s", names="、".join(too_long[:5]))
            else:
                session = self.datamodel.session
                existing = set(session.execute(select(Brand.name).where(
                    Brand.name.in_(names))).scalars())
                fresh = [n for n in names if n not in existing]
                start = service.next_sort(session, Brand)
                with audit_action(_("批量新增")):
                    session.add_all([Brand(name=n, sort=start + i) for i, n in enumerate(fresh)])
                    session.commit()
                flash(_("已新增 %(n)d 个品牌", n=len(fresh)), "success")
                if existing:
                    flash(_("以下品牌已存在，已跳过：%(names)s",
                            names="、".join(sorted(existing))), "warning")
                return redirect(url_for("BrandView.list"))
        return self.render_template("catalog/brand_batch.html", text=text, error=error,
                                    title=_("批量新增品牌"))


# -- 规格属性管理 -----------------------------------------------------------------------------
def _values_from_text(text):
    seen, values = set(), []
    for part in (text or "").replace("、", "\n").replace(",", "\n").replace("，", "\n").splitlines():
        part = part.strip()
        if part and part not in seen:
            seen.add(part)
            values.append(part)
    return values


def _spec_values_check(form, field):
    values = _values_from_text(field.data)
    if not values:
        raise ValidationError(_("请至少填写一个规格值"))
    if any(len(v) > 20 for v in values):
        raise ValidationError(_("每个规格值不能超过 20 个字符"))
    if len(values) > 50:
        raise ValidationError(_("一个规格最多 50 个规格值"))


class SpecGroupView(TenantModelView):
    datamodel = AdminInterface(SpecGroup)
    list_title = _l("规格属性管理")
    list_columns = ["name", "value_names", "sort", "created_at"]
    search_columns = ["name", "created_at"]
    add_columns = edit_columns = ["name", "value_text", "sort"]
    show_columns = ["name", "value_names", "sort", "created_at"]
    export_columns = ["id", "name", "value_names", "sort", "created_at"]
    base_order = ("sort", "asc")
    label_columns = {"value_names": _l("规格值"), "value_text": _l("规格值")}
    validators_columns = {"name": [Length(min=1, max=20, message=_l("规格名称须为 1-20 个字符"))]}
    add_form_extra_fields = edit_form_extra_fields = {
        "value_text": TextAreaField(_l("规格值"), validators=[_spec_values_check],
                                    description=_l("每行一个，例如：红、蓝 或 S、M、L")),
    }

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        form.value_text.data = "\n".join(v.value for v in item.values)

    def process_form(self, form, is_created):
        self._pending_values = _values_from_text(form.value_text.data)
        del form["value_text"]

    def _sync_values(self, item):
        wanted = self._pending_values
        current = {v.value: v for v in item.values}
        removed = [v for name, v in current.items() if name not in wanted]
        used = _spec_values_in_use([v.id for v in removed if v.id])
        if used:
            raise BusinessError(_("规格值正在被商品规格使用，不能删除：%(names)s",
                                  names="、".join(v.value for v in removed if v.id in used)))
        item.values = [current.get(name) or SpecValue(value=name, merchant_id=item.merchant_id)
                       for name in wanted]
        for rank, value in enumerate(item.values, start=1):
            value.sort = rank
            value.merchant_id = item.merchant_id

    def pre_add(self, item):
        super().pre_add(item)
        self._sync_values(item)

    def pre_update(self, item):
        super().pre_update(item)
        self._sync_values(item)

    def pre_delete(self, item):
        used = _spec_values_in_use([v.id for v in item.values])
        if used:
            raise BusinessError(_("该规格正在被商品使用，不能删除"))


def _spec_values_in_use(value_ids):
    """The ids among ``value_ids`` used by an active SKU."""
    if not value_ids:
        return set()
    wanted = set(value_ids)
    used = set()
    keys = db.session.execute(select(Sku.spec_key).where(Sku.retired.is_(False),
                                                         Sku.spec_key != "")).scalars()
    for key in keys:
        used.update(set(service.spec_value_ids(key)) & wanted)
    return used


# -- 商品 ---------------------------------------------------------------------------------
def _ops_cell(view):
    def render(value):
        endpoint = view.endpoint
        pk, status = value
        token = generate_csrf()
        parts = [Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
            url_for(f"{endpoint}.show", pk=pk), _("查看")),
            Markup('<a class="btn btn-xs btn-default" href="{0}">{1}</a>').format(
            url_for(f"{endpoint}.edit", pk=pk), _("编辑"))]
        name, text = ("off_shelf", _("下架")) if status == "on_shelf" else ("on_shelf", _("上架"))
        for act, label in ((name, text), ("copy", _("复制"))):
            parts.append(Markup(
                '<form method="post" class="md-inline-form" action="{0}">'
                '<input type="hidden" name="csrf_token" value="{1}">'
                '<button class="btn btn-xs btn-default" type="submit">{2}</button></form>').format(
                url_for(f"{endpoint}.action", name=act, pk=pk), token, label))
        return Markup(" ").join(parts)

    return render


def _thumb_cell(view):
    def render(filename):
        if not filename:
            return ""
        return Markup('<img class="md-thumb" src="{0}" alt="" height="40">').format(
            url_for(f"{view.endpoint}.download", filename=filename))

    return render


class ProductView(ProductBatchMixin, ProductImportMixin, ImportMixin, TenantModelView):
    """全部商品列表: search, export, row actions, batch operations and the 新增商品 form."""

    datamodel = AdminInterface(Product)
    list_title = _l("全部商品列表")
    add_title = _l("新增商品")
    edit_title = _l("编辑商品")
    list_columns = ["id", "first_image", "name", "product_type", "price", "stock",
                    "points_earned", "status", "created_at", "ops"]
    search_columns = ["name", "code", "id", "categories", "brand", "product_type", "status",
                      "price", "created_at", "stock", "points_earned"]
    show_columns = ["id", "first_image", "name", "product_type", "goods_kind", "summary", "code",
                    "category_names", "brand", "original_price", "price", "cost_price",
                    "stock", "delivery", "free_shipping", "freight_template", "weight",
                    "timed_sale", "on_shelf_at", "off_shelf_at", "real_name_required",
                    "points_earned", "initial_sales", "stock_strategy", "status",
                    "sku_summary", "created_at"]
    export_columns = ["id", "name", "code", "product_type", "goods_kind", "category_names",
                      "brand", "original_price", "price", "cost_price", "stock",
                      "points_earned", "status", "created_at"]
    # FAB's generated forms are not used: add and edit are the three-step form below.
    add_columns = edit_columns = ["name"]
    label_columns = {"ops": _l("操作"), "first_image": _l("焦点图"),
                     "category_names": _l("商品分类"), "sku_summary": _l("规格")}
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete",
                        "can_export", "can_download", "can_batch", "can_pin",
                        "can_on_shelf", "can_off_shelf", "can_copy", "can_delete_selected"]
    form_template = "catalog/product_form.html"
    # 商品导入: the template (商品名称 and 售价 required) or a 淘宝助理 CSV; products start 下架.
    import_columns = ["name", "price", "original_price", "cost_price", "stock", "code",
                      "summary", "weight", "points_earned", "description", "image_urls"]
    # Files over IMPORT_JOB_ROWS rows run as a 任务中心 job (the import mixin's job mode).
    import_in_jobs = True
    validators_columns = {"name": [Length(min=2, max=50, message=_l("商品名称须为 2-50 个字符"))]}
    # The status this list shows (None: all); 仓库中的商品 narrows it.
    status_filter = None

    def _init_properties(self):
        if self.status_filter:
            self.base_filters = list(self.base_filters or []) + [
                ["status", FilterEqual, self.status_filter]]
        super()._init_properties()
        # 焦点图 is a property over ``images``: load them per page, not per row (N+1).
        self.datamodel.eager_load(["images"])
        self.formatters_columns["ops"] = _ops_cell(self)
        self.formatters_columns["first_image"] = _thumb_cell(self)

    # -- focus images and SKU images: served when a visible product uses them ----------
    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        import os

        from flask import current_app, send_file
        from werkzeug.utils import safe_join

        if "/" in filename or "\\" in filename:
            abort(404)
        session = self.datamodel.session
        used = session.execute(select(ProductImage.id).join(Product).where(
            ProductImage.file == filename)).first() or session.execute(
            select(Sku.id).where(Sku.image == filename)).first()
        if used is None and filename not in pending_images():
            abort(404)
        path = safe_join(current_app.config["UPLOAD_FOLDER"], filename)
        if path is None or not os.path.isfile(path):
            abort(404)
        return send_file(path, download_name=filename)

    # -- the three-step form ---------------------------------------------------------------
    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._product_form(None)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        return self._product_form(self.get_visible(pk))

    def _choices(self):
        session = self.datamodel.session
        categories = session.execute(select(ProductCategory).order_by(
            ProductCategory.sort, ProductCategory.id)).scalars().all()
        tops = [c for c in categories if c.parent_id is None]
        tree = [(top, [c for c in categories if c.parent_id == top.id]) for top in tops]
        groups = session.execute(select(SpecGroup).order_by(SpecGroup.sort, SpecGroup.id)
                                 ).scalars().all()
        return {
            "category_tree": tree,
            "brands": session.execute(select(Brand).order_by(Brand.sort, Brand.id)).scalars().all(),
            "templates": session.execute(select(FreightTemplate).order_by(FreightTemplate.id)
                                         ).scalars().all(),
            "spec_groups": groups,
        }

    def _form_state(self, product):
        """The form's values for an existing product (GET edit) or a new one."""
        raw, state = {}, {}
        if product is None:
            raw = {"product_type": request.args.get("type", "normal"), "goods_kind": "physical",
                   "delivery": "express", "free_shipping": "1", "stock_strategy": "on_payment",
                   "stock": "0"}
            state.update(category_ids=set(), brand_id=None, template_id=None, value_ids=set(),
                         images=[], extra=[], description="", skus={})
            return raw, state
        for spec in BASIC_FIELDS:
            if not hasattr(Product, spec.name) or spec.kind in ("categories", "brand",
                                                                "freight_template", "images",
                                                                "extra"):
                continue
            value = getattr(product, spec.name)
            if spec.kind == "bool":
                raw[spec.name] = "1" if value else ""
            elif spec.kind == "datetime":
                raw[spec.name] = value.strftime("%Y-%m-%dT%H:%M") if value else ""
            else:
                raw[spec.name] = "" if value is None else str(value)
        state.update(category_ids={c.id for c in product.categories},
                     brand_id=product.brand_id, template_id=product.freight_template_id,
                     value_ids=service.chosen_spec_values(product),
                     images=[i.file for i in product.images],
                     extra=service.extra_field_pairs(product),
                     description=product.description or "",
                     skus={s.spec_key: {"price": str(s.price), "stock": str(s.stock),
                                        "code": s.code or "", "image": s.image, "id": s.id}
                           for s in product.active_skus})
        return raw, state

    def _matrix(self, value_ids, groups):
        chosen = []
        for group in groups:
            values = [(v.id, v.value) for v in group.values if v.id in value_ids]
            if values:
                chosen.append(values)
        return service.sku_matrix(chosen)

    def _product_form(self, product):
        choices = self._choices()
        errors, warnings = {}, []
        if request.method == "GET":
            raw, state = self._form_state(product)
        else:
            raw, state, errors, warnings, saved = self._submit(product, choices)
            if saved is not None:
                return saved
        matrix = self._matrix(state["value_ids"], choices["spec_groups"])
        return self.render_template(
            self.form_template, title=self.edit_title if product else self.add_title,
            product=product, fields=BASIC_FIELDS, raw=raw, state=state, errors=errors,
            warnings=[_(w) for w in warnings], matrix=matrix, extra_rows=EXTRA_ROWS,
            endpoint=self.endpoint, **choices)

    def _submit(self, product, choices):
        """Parse, validate and save; returns (raw, state, errors, warnings, response)."""
        form = request.form
        parsed = parse_scalars(form)
        errors = dict(parsed.errors)
        session = self.datamodel.session
        ids = {int(i) for i in form.getlist("categories") if i.isdigit()}
        categories = session.execute(select(ProductCategory).where(
            ProductCategory.id.in_(ids))).scalars().all() if ids else []
        if len(categories) != len(ids):
            errors["categories"] = _("所选分类不存在")
        brand = visible(session, Brand, form.get("brand"), errors, "brand")
        template = visible(session, FreightTemplate, form.get("freight_template"), errors,
                            "freight_template")
        parsed.values["freight_template_id"] = template.id if template else None
        value_ids = {int(i) for i in form.getlist("spec_value") if i.isdigit()}
        known = {v.id for g in choices["spec_groups"] for v in g.values}
        value_ids &= known
        matrix = self._matrix(value_ids, choices["spec_groups"])
        price = parsed.values.get("price") or Decimal("0")
        sku_rows, sku_errors = parse_sku_rows(form, matrix, price)
        if matrix != [("", "")]:
            sku_errors.update({k: _(m) for k, m in service.sku_problems(sku_rows).items()
                               if k not in sku_errors})
        removed = set(form.getlist("image_remove"))
        allowed = {i.file for i in (product.images if product else [])} | set(pending_images())
        keep = [f for f in form.getlist("image_keep") if f not in removed and f in allowed]
        order = {f: form.get(f"image_sort_{f}", "") for f in keep}
        keep.sort(key=lambda f: int(order[f]) if order[f].isdigit() else 999)
        forget_pending(removed)
        # New focus images are stored now, whatever else fails, and come back as kept
        # images in the re-rendered form (pending uploads of this session).
        new_files = [f for f in request.files.getlist("images") if f and f.filename]
        if len(keep) + len(new_files) > service.MAX_FOCUS_IMAGES:
            errors["images"] = _("焦点图最多 10 张")
        else:
            for upload in new_files:
                try:
                    stored = uploads.save_image(upload)
                except BusinessError as exc:
                    errors["images"] = _("%(file)s：%(reason)s", file=upload.filename[:60],
                                         reason=str(exc))
                    continue
                remember_pending([stored])
                keep.append(stored)
        description = form.get("description", "")
        if len(description) > 60000:
            errors["description"] = _("商品描述太长，不能超过 60000 个字符")
        extra = extra_rows(form)
        state = dict(category_ids=ids, brand_id=brand.id if brand else None,
                     template_id=template.id if template else None, value_ids=value_ids,
                     images=keep, extra=extra, description=description,
                     skus={r.spec_key: {"price": form.get(f"sku_price_{r.spec_key}", ""),
                                        "stock": form.get(f"sku_stock_{r.spec_key}", ""),
                                        "code": form.get(f"sku_code_{r.spec_key}", ""),
                                        "error": sku_errors.get(r.spec_key)}
                           for r in sku_rows})
        rule_errors, warnings = service.validate_product(parsed.values, len(categories))
        for key, message in rule_errors.items():
            errors.setdefault(key, _(message))
        if sku_errors:
            errors.setdefault("skus", _("请检查规格表中标红的行"))
        step = form.get("submit_action")
        if step == "refresh" or step not in ("publish", "warehouse", "save"):
            return parsed.raw, state, {} if step == "refresh" else errors, warnings, None
        if errors:
            flash(_("请检查表单中标红的内容"), "danger")
            return parsed.raw, state, errors, warnings, None
        try:
            for row in sku_rows:
                upload = request.files.get(f"sku_image_{row.spec_key}")
                if upload is not None and upload.filename:
                    row.image = uploads.save_image(upload)
        except BusinessError as exc:
            errors["images"] = str(exc)
            flash(_("请检查表单中标红的内容"), "danger")
            return parsed.raw, state, errors, warnings, None
        values = {k: v for k, v in parsed.values.items() if hasattr(Product, k)}
        values["description"] = description
        values["extra_fields"] = service.parse_extra_fields(extra)
        status = {"publish": "on_shelf", "warehouse": "warehouse"}.get(step)
        is_new = product is None
        if is_new:
            product = Product()
            self.pre_add(product)
        try:
            with audit_action(_("新增商品") if is_new else _("编辑商品")):
                service.save_product(session, product=product, values=values,
                                     categories=categories, brand=brand,
                                     freight_template=template, sku_rows=sku_rows,
                                     images=keep, status=status,
                                     operator_id=_operator_id())
                session.commit()
            forget_pending(keep)
        except BusinessError as exc:
            session.rollback()
            flash(str(exc), "danger")
            return parsed.raw, state, errors, warnings, None
        for warning in warnings:
            flash(_(warning), "warning")
        flash(_("商品已发布") if status == "on_shelf" else _("已放入仓库") if status ==
              "warehouse" else _("保存成功"), "success")
        target = "WarehouseProductView.list" if status == "warehouse" else f"{self.endpoint}.list"
        return parsed.raw, state, errors, warnings, redirect(url_for(target))


class WarehouseProductView(ProductView):
    """仓库中的商品: products put in the warehouse, to publish later."""

    datamodel = AdminInterface(Product)
    list_title = _l("仓库中的商品")
    status_filter = "warehouse"


def register(appbuilder):
    add(appbuilder, ProductView, "product_list", _l("全部商品列表"), "products", "fa-cube")
    add(appbuilder, WarehouseProductView, "product_warehouse", _l("仓库中的商品"), "products",
        "fa-archive")
    add(appbuilder, CategoryView, "product_category", _l("商品分类"), "products", "fa-sitemap")
    add(appbuilder, BrandView, "product_brand", _l("品牌管理"), "products", "fa-tag")
    add(appbuilder, SpecGroupView, "product_spec", _l("规格属性管理"), "products", "fa-th")
