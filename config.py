"""Settings, all from environment variables.

With nothing set, the console runs on a SQLite file in ./instance with no other service:
jobs run in-process, uploads go to ./instance/uploads.
"""
import os

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.environ.get("MD_INSTANCE_DIR", os.path.join(BASE_DIR, "instance"))


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


class Config:
    APP_NAME = "MerchantDesk 商家后台"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me-in-production")
    # Key for secrets at rest (AppSecret, API keys...). Derived from SECRET_KEY when unset.
    FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "merchantdesk.db")
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    REDIS_URL = os.environ.get("REDIS_URL", "")
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "merchantdesk")

    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", os.path.join(INSTANCE_DIR, "uploads"))
    TASK_RESULT_FOLDER = os.environ.get(
        "TASK_RESULT_FOLDER", os.path.join(INSTANCE_DIR, "task_results")
    )
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 10) * 1024 * 1024
    IMAGE_MAX_MB = _int("IMAGE_MAX_MB", 2)
    # 素材库 (app/services/media.py): videos stay under the request limit above; files go to
    # local disk (MEDIA_FOLDER, default UPLOAD_FOLDER/media) or, with MEDIA_STORAGE=s3, to
    # an S3-compatible bucket (MEDIA_S3_* below).
    VIDEO_MAX_MB = _int("VIDEO_MAX_MB", 8)
    MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "local")
    MEDIA_FOLDER = os.environ.get("MEDIA_FOLDER", "")
    # MEDIA_STORAGE=s3: any S3-compatible service (Tencent COS, MinIO, AWS). Keep the bucket
    # private: the app serves every file itself, after its own checks.
    MEDIA_S3_ENDPOINT = os.environ.get("MEDIA_S3_ENDPOINT", "")  # e.g. https://cos.ap-guangzhou.myqcloud.com
    MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
    MEDIA_S3_REGION = os.environ.get("MEDIA_S3_REGION", "us-east-1")
    MEDIA_S3_ACCESS_KEY_ID = os.environ.get("MEDIA_S3_ACCESS_KEY_ID", "")
    MEDIA_S3_SECRET_ACCESS_KEY = os.environ.get("MEDIA_S3_SECRET_ACCESS_KEY", "")
    MEDIA_S3_ADDRESSING = os.environ.get("MEDIA_S3_ADDRESSING", "auto")  # auto, path or virtual
    # Published decoration pages are cached per version for the shop API (seconds).
    DECORATION_CACHE_SECONDS = _int("DECORATION_CACHE_SECONDS", 300)

    # Flask-AppBuilder
    FAB_SECURITY_MANAGER_CLASS = "app.security.MerchantSecurityManager"
    # Permissions are synced by `flask md setup` / `flask md sync` at deploy time, not by
    # every web worker at start-up (notes/fab.md).
    FAB_UPDATE_PERMS = _bool("FAB_UPDATE_PERMS", False)
    FAB_ADD_SECURITY_API = False
    FAB_ADD_MENU_API = False  # the sidebar is rendered server-side
    FAB_API_SWAGGER_UI = False
    FAB_INDEX_VIEW = "app.views.home.HomeView"
    FAB_BASE_TEMPLATE = "layout.html"
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    FAB_PASSWORD_COMPLEXITY_ENABLED = False

    # Sessions expire: idle staff are logged out after this many minutes.
    PERMANENT_SESSION_LIFETIME = _int("SESSION_MINUTES", 120) * 60
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)

    # Login throttling: failures per account and per IP inside the window.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = _int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
    LOGIN_MAX_FAILURES_PER_IP = _int("LOGIN_MAX_FAILURES_PER_IP", 20)
    LOGIN_LOCK_MINUTES = _int("LOGIN_LOCK_MINUTES", 15)
    FIRST_PASSWORD = "888888"

    # CSRF on for every form and POST; the shop JSON API is token-authenticated and exempt.
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    # Chinese first.
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "中文"},
        "en": {"flag": "gb", "name": "English"},
    }

    # Lists and exports.
    LIST_PAGE_SIZE = 25
    LIST_MAX_PAGE_SIZE = 100
    LIST_COUNT_CAP = 10000
    EXPORT_SYNC_LIMIT = _int("EXPORT_SYNC_LIMIT", 2000)
    # Scheduled order work (`flask md order-jobs`, app/workers/order.py).
    ORDER_UNPAID_CLOSE_MINUTES = _int("ORDER_UNPAID_CLOSE_MINUTES", 30)
    ORDER_AUTO_CONFIRM_DAYS = _int("ORDER_AUTO_CONFIRM_DAYS", 7)
    IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 5000)
    IMPORT_MAX_MB = _int("IMPORT_MAX_MB", 5)

    # Home page support card.
    SUPPORT_PHONE = os.environ.get("SUPPORT_PHONE", "400-820-8820")
    SUPPORT_QQ = os.environ.get("SUPPORT_QQ", "800088888")
    # Empty: the default hours (周一至周日 9:00-21:00), shown in the user's language.
    SUPPORT_HOURS = os.environ.get("SUPPORT_HOURS", "")
    # Base of the shopper-facing links shown in shop QR codes; the default follows the
    # PORT that `make run` serves on.
    SHOP_PUBLIC_BASE_URL = os.environ.get(
        "SHOP_PUBLIC_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '5000')}/s")
    # Public https base of this deployment, for the URLs merchants paste into WeChat (server
    # URL, payment notify URL). Empty: the host of the current request.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    # SMS gateway (app/services/sms.py): verification codes for 用户绑定. Empty URL: no SMS.
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
    SMS_GATEWAY_KEY = os.environ.get("SMS_GATEWAY_KEY", "")
    SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
    # AI 刷脸 (app/services/face_analysis.py): the Tencent Cloud IAI endpoint (a regional or
    # internal one, e.g. iai.internal.tencentcloudapi.com; "http://host:port" for a test fake).
    TENCENT_IAI_ENDPOINT = os.environ.get("TENCENT_IAI_ENDPOINT", "iai.tencentcloudapi.com")
    TENCENT_IAI_TIMEOUT = _int("TENCENT_IAI_TIMEOUT", 10)  # seconds per DetectFace call

    SEED_DEMO = _bool("SEED_DEMO", False)
    TESTING = False
