"""All models, imported once so the metadata is complete (Alembic, create_all)."""
from app.models.audit import AuditLog  # noqa: F401
from app.models.merchant import LoginFailure, Merchant, MerchantRole, StaffUser  # noqa: F401
from app.models.shop import Shop  # noqa: F401
from app.models.task import Task  # noqa: F401
from app.models.wechat import (Follower, MiniProgramConfig, OfficialAccountConfig,  # noqa: F401
                               PaymentConfig, PaymentNotification, PlatformWeChatConfig,
                               WeChatToken)
from app.models.member import (BalanceLedger, CommissionLedger, DistributionRule,  # noqa: F401
                               Distributor, ExperienceLedger, Member, MemberAddress,
                               MemberLevel, MemberTag, PointsLedger, PointsRule, RechargeTier,
                               ReservationCity, SignIn, StoredValueCard, StoredValueSetting,
                               Withdrawal)
from app.models.catalog import (Brand, Product, ProductCategory, ProductImage,  # noqa: F401
                                Sku, SpecGroup, SpecValue, StockLedger)
from app.models.logistics import Courier, FreightRegion, FreightTemplate, ShopCourier  # noqa: F401
from app.models.ads import Banner  # noqa: F401
from app.models.official_account import (BindingRequest, MemberCard, OfficialMenu,  # noqa: F401
                                         SmsCode, SmsDailyQuota, TemplateMessageLog,
                                         TemplateSetting)
from app.models.mini_program import MiniProgramRegistration, NearbyPoi, WxaAnalytics  # noqa: F401
from app.models.media import MediaFile, MediaGroup  # noqa: F401
from app.models.decoration import DecorationPage, PageVersion, ShopStyle  # noqa: F401
from app.models.marketing import (Campaign, CampaignTier, CouponBatch, CouponCode,  # noqa: F401
                                  CouponGiftGrant, CouponLedger, MemberCoupon)
from app.models.order import Order, OrderCampaign, OrderItem, OrderLog  # noqa: F401
from app.models.fulfilment import (AfterSale, Refund, Shipment, ShipmentItem,  # noqa: F401
                                   ShippingBatch, ShippingBatchRow, VerificationRecord)
from app.models.content import (AboutPage, Article, ArticleCategory,  # noqa: F401
                                BrandFocusImage, Certification, Guarantee)
from app.models.lottery import LotteryChance  # noqa: F401
from app.models.lottery_game import LotteryGame, LotteryGameDraw, LotteryGamePrize  # noqa: F401
from app.models.face_coupon import (FaceCampaign, FaceCouponTier, FacePhoto,  # noqa: F401
                                      FaceScan, FaceSettings)
from app.models.red_packet import (RedPacketActivity, RedPacketBudgetLedger,  # noqa: F401
                                   RedPacketDraw, RedPacketPayout, RedPacketPool,
                                   RedPacketPoolLedger, RedPacketRecharge, RedPacketSetting,
                                   RedPacketTier)
