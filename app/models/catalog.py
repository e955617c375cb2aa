"""商品管理: categories, brands, spec groups, products, SKUs, focus images, stock ledger."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric,
                        String, Table, Text, UniqueConstraint)
from sqlalchemy.orm import relationship

from app.extensions import db
from app.models.base import choice_column, created_at_column, label, money_column
from app.tenancy import TenantMixin

PRODUCT_TYPES = [("normal", _l("普通商品")), ("group_buy", _l("拼团商品")),
                 ("bargain", _l("砍价商品")), ("distribution", _l("分销商品")),
                 ("reservation", _l("预约商品")), ("points", _l("积分商品"))]
GOODS_KINDS = [("physical", _l("实物商品")), ("virtual", _l("虚拟商品"))]
PRODUCT_STATUS = [("on_shelf", _l("上架")), ("off_shelf", _l("下架")),
                  ("warehouse", _l("仓库中"))]
DELIVERY_MODES = [("express", _l("快递")), ("store", _l("到店")), ("both", _l("都支持"))]
STOCK_STRATEGIES = [("on_order", _l("下单减库存")), ("on_payment", _l("付款减库存"))]
# The built-in category icons (Font Awesome 4, shipped with FAB): 随便选择一个.
CATEGORY_ICONS = [("fa-apple", _l("水果")), ("fa-coffee", _l("饮品")),
                  ("fa-birthday-cake", _l("糕点")), ("fa-cutlery", _l("餐饮")),
                  ("fa-shopping-basket", _l("日用")), ("fa-gift", _l("礼品")),
                  ("fa-leaf", _l("生鲜")), ("fa-heart", _l("美妆")),
                  ("fa-female", _l("服饰")), ("fa-mobile", _l("数码")),
                  ("fa-home", _l("家居")), ("fa-book", _l("图书"))]


class ProductCategory(TenantMixin, db.Model):
    """商品分类: a two-level tree (top-level categories and their sub-categories)."""

    __label__ = _l("商品分类")
    __tablename__ = "product_category"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("product_category.id"), nullable=True,
                       info=label(_l("上级分类"), description=_l("不选则为一级分类；最多两级")))
    parent = relationship("ProductCategory", remote_side=[id], info=label(_l("上级分类")))
    name = Column(String(30), nullable=False, info=label(_l("分类名称")))
    icon = Column(String(40), nullable=True, info=label(
        _l("分类图标"), choices=CATEGORY_ICONS, description=_l("从内置图标中选择一个，或上传图标图片")))
    icon_image = Column(String(255), nullable=True, info=label(_l("图标图片"), image=True))
    sort = Column(Integer, nullable=False, default=0, info=label(
        _l("排序"), description=_l("数字越小越靠前")))
    created_at = created_at_column()
    __table_args__ = (Index("ix_product_category_merchant_sort", "merchant_id", "sort"),)

    @property
    def usage(self):
        """The row id for the list's 使用情况 column; the view renders the link."""
        return self.id

    def __str__(self):
        if self.parent is not None:
            return f"{self.parent.name} / {self.name}"
        return self.name


class Brand(TenantMixin, db.Model):
    __label__ = _l("品牌")
    __tablename__ = "brand"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False, info=label(_l("品牌名称")))
    sort = Column(Integer, nullable=False, default=0, info=label(_l("排序")))
    created_at = created_at_column()
    __table_args__ = (UniqueConstraint("merchant_id", "name", name="uq_brand_merchant_name"),)

    def __str__(self):
        return self.name


class SpecGroup(TenantMixin, db.Model):
    """规格属性: a reusable spec group (颜色) with its values (红/蓝)."""

    __label__ = _l("规格属性")
    __tablename__ = "spec_group"
    id = Column(Integer, primary_key=True)
    name = Column(String(20), nullable=False, info=label(_l("规格名称")))
    sort = Column(Integer, nullable=False, default=0, info=label(_l("排序")))
    created_at = created_at_column()
    values = relationship("SpecValue", back_populates="group", order_by="SpecValue.sort",
                          cascade="all, delete-orphan", info=label(_l("规格值")))
    __table_args__ = (UniqueConstraint("merchant_id", "name", name="uq_spec_group_merchant_name"),)

    def __str__(self):
        return self.name

    @property
    def value_names(self):
        return "、".join(v.value for v in self.values)


class SpecValue(TenantMixin, db.Model):
    __label__ = _l("规格值")
    __tablename__ = "spec_value"
    id = Column(Integer, primary_key=True)
    group_id = Column(Integer, ForeignKey("spec_group.id"), nullable=False, index=True,
                      info=label(_l("规格名称")))
    group = relationship("SpecGroup", back_populates="values", info=label(_l("规格名称")))
    value = Column(String(20), nullable=False, info=label(_l("规格值")))
    sort = Column(Integer, nullable=False, default=0, info=label(_l("排序")))

    def __str__(self):
        return f"{self.group.name}:{self.value}" if self.group is not None else self.value


product_category_link = Table(
    "product_category_link", db.metadata,
    Column("product_id", Integer, ForeignKey("product.id", ondelete="CASCADE"),
           primary_key=True),
    Column("category_id", Integer, ForeignKey("product_category.id"), primary_key=True,
           index=True),
)


class Product(TenantMixin, db.Model):
    __label__ = _l("商品")
    __tablename__ = "product"
    id = Column(Integer, primary_key=True, info=label(_l("商品ID")))
    product_type = choice_column(PRODUCT_TYPES, "normal", _l("商品类型"))
    goods_kind = choice_column(GOODS_KINDS, "physical", _l("实物/虚拟"))
    name = Column(String(50), nullable=False, info=label(_l("商品名称")))
    summary = Column(String(200), nullable=True, info=label(_l("商品简介")))
    code = Column(String(40), nullable=True, info=label(_l("商品编号")))
    brand_id = Column(Integer, ForeignKey("brand.id"), nullable=True, index=True,
                      info=label(_l("品牌")))
    brand = relationship("Brand", info=label(_l("品牌")))
    categories = relationship("ProductCategory", secondary=product_category_link,
                              info=label(_l("商品分类")))
    main_video = Column(String(255), nullable=True, info=label(_l("主图视频")))
    original_price = money_column(_l("原价"))
    price = money_column(_l("售价"))
    cost_price = money_column(_l("成本价"))
    stock = Column(Integer, nullable=False, default=0, info=label(
        _l("库存"), description=_l("各规格库存之和，只能通过库存服务变更")))
    delivery = choice_column(DELIVERY_MODES, "express", _l("物流方式"))
    free_shipping = Column(Boolean, nullable=False, default=True, info=label(_l("包邮")))
    freight_template_id = Column(Integer, ForeignKey("freight_template.id"), nullable=True,
                                 index=True, info=label(_l("运费模板")))
    freight_template = relationship("FreightTemplate", info=label(_l("运费模板")))
    weight = Column(Numeric(10, 3), nullable=False, default=0, info=label(_l("重量(kg)")))
    timed_sale = Column(Boolean, nullable=False, default=False, info=label(_l("定时售卖")))
    on_shelf_at = Column(DateTime, nullable=True, info=label(_l("上架时间")))
    off_shelf_at = Column(DateTime, nullable=True, info=label(_l("下架时间")))
    real_name_required = Column(Boolean, nullable=False, default=False,
                                info=label(_l("需要实名制")))
    points_earned = Column(Integer, nullable=False, default=0, info=label(_l("购买可获积分")))
    initial_sales = Column(Integer, nullable=False, default=0, info=label(_l("初始销量")))
    stock_strategy = choice_column(STOCK_STRATEGIES, "on_payment", _l("库存策略"))
    status = choice_column(PRODUCT_STATUS, "warehouse", _l("上架状态"))
    pin_rank = Column(Integer, nullable=True, info=label(_l("置顶顺序")))
    home_sort = Column(Integer, nullable=True, info=label(
        _l("首页排序"), description=_l("数字越小越靠前；不设置时按发布时间，后发布的在前")))
    description = Column(Text, nullable=True, info=label(_l("商品描述")))
    extra_fields = Column(Text, nullable=True, info=label(_l("附加信息")))
    image_urls = Column(Text, nullable=True, info=label(
        _l("图片地址"), description=_l("导入时记录的图片地址或淘宝图片名，不会自动下载")))
    # 拼团
    group_size = Column(Integer, nullable=True, info=label(_l("成团人数")))
    group_price = money_column(_l("拼团价"), nullable=True, default=None)
    group_hours = Column(Integer, nullable=True, info=label(_l("拼团时长(小时)")))
    # 砍价
    bargain_floor_price = money_column(_l("砍价底价"), nullable=True, default=None)
    bargain_helpers = Column(Integer, nullable=True, info=label(_l("砍价成功所需人数")))
    bargain_hours = Column(Integer, nullable=True, info=label(_l("砍价持续时间(小时)")))
    bargain_multiple = Column(Boolean, nullable=False, default=False,
                              info=label(_l("允许购买多份")))
    # 分销
    commission_rate = Column(Numeric(5, 2), nullable=True, info=label(_l("提成比例(%)")))
    # 预约
    reservation_city = Column(String(30), nullable=True, info=label(_l("预约城市")))
    reservation_slots = Column(String(255), nullable=True, info=label(_l("预约时段")))
    # 积分
    points_price = Column(Integer, nullable=True, info=label(_l("积分价")))
    points_cash = money_column(_l("积分+现金"), nullable=True, default=None)
    created_at = created_at_column()

    images = relationship("ProductImage", back_populates="product", order_by="ProductImage.sort",
                          cascade="all, delete-orphan", info=label(_l("焦点图")))
    skus = relationship("Sku", back_populates="product", order_by="Sku.id",
                        cascade="all, delete-orphan", info=label(_l("规格")))
    __table_args__ = (
        Index("ix_product_merchant_created", "merchant_id", "created_at"),
        Index("ix_product_merchant_status", "merchant_id", "status"),
        Index("ix_product_merchant_name", "merchant_id", "name"),
        Index("ix_product_merchant_pin", "merchant_id", "pin_rank"),
    )

    def __str__(self):
        return f"{self.name}（ID {self.id}）" if self.id else self.name

    @property
    def active_skus(self):
        return [s for s in self.skus if not s.retired]

    @property
    def first_image(self):
        return self.images[0].file if self.images else None

    @property
    def category_names(self):
        return "、".join(c.name for c in self.categories)

    @property
    def ops(self):
        """(id, status) for the list's 操作 column; the view renders the buttons."""
        return (self.id, self.status)

    @property
    def sku_summary(self):
        return str(_l("；")).join(
            str(_l("%(spec)s：¥%(price)s × %(stock)s", spec=s.spec_text or _l("默认规格"),
                   price=s.price, stock=s.stock)) for s in self.active_skus)


class ProductImage(TenantMixin, db.Model):
    """焦点图: ordered, type and size checked on upload."""

    __label__ = _l("商品焦点图")
    __tablename__ = "product_image"
    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False,
                        index=True, info=label(_l("商品")))
    product = relationship("Product", back_populates="images", info=label(_l("商品")))
    file = Column(String(255), nullable=False, info=label(_l("图片"), image=True))
    sort = Column(Integer, nullable=False, default=0, info=label(_l("排序")))


class Sku(TenantMixin, db.Model):
    """One sellable combination of spec values. ``spec_key`` is the sorted value ids
    ("3-7"; "" for a product without specs); retired SKUs stay for orders and carts."""

    __label__ = _l("商品规格")
    __tablename__ = "sku"
    id = Column(Integer, primary_key=True)
    product_id = Column(Integer, ForeignKey("product.id", ondelete="CASCADE"), nullable=False,
                        info=label(_l("商品")))
    product = relationship("Product", back_populates="skus", info=label(_l("商品")))
    spec_key = Column(String(100), nullable=False, default="", info=label(_l("规格组合")))
    spec_text = Column(String(200), nullable=False, default="", info=label(_l("规格")))
    price = money_column(_l("价格"))
    stock = Column(Integer, nullable=False, default=0, info=label(_l("库存")))
    code = Column(String(40), nullable=True, info=label(_l("规格编码")))
    image = Column(String(255), nullable=True, info=label(_l("规格图片"), image=True))
    retired = Column(Boolean, nullable=False, default=False, info=label(_l("已停用")))
    __table_args__ = (Index("ix_sku_product_key", "product_id", "spec_key"),)

    def __str__(self):
        return self.spec_text or str(_l("默认规格"))


class StockLedger(TenantMixin, db.Model):
    """库存流水: one row per stock change, in the same transaction as the change."""

    __label__ = _l("库存流水")
    __tablename__ = "stock_ledger"
    __audit__ = False  # the ledger is itself the record
    id = Column(Integer, primary_key=True)
    sku_id = Column(Integer, ForeignKey("sku.id", ondelete="CASCADE"), nullable=False,
                    index=True, info=label(_l("规格")))
    product_id = Column(Integer, nullable=False, info=label(_l("商品ID")))
    delta = Column(Integer, nullable=False, info=label(_l("变动数量")))
    balance_after = Column(Integer, nullable=False, info=label(_l("变动后库存")))
    reason = Column(String(40), nullable=False, info=label(_l("原因")))
    order_ref = Column(String(64), nullable=True, info=label(_l("订单号")))
    idempotency_key = Column(String(64), nullable=True, info=label(_l("幂等键")))
    operator_id = Column(Integer, nullable=True, info=label(_l("操作人")))
    created_at = created_at_column()
    __table_args__ = (
        UniqueConstraint("merchant_id", "idempotency_key", name="uq_stock_ledger_idem"),
        Index("ix_stock_ledger_merchant_created", "merchant_id", "created_at"),
    )
