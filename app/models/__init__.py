"""All models, imported once so the metadata is complete (Alembic, create_all)."""
from app.models.audit import AuditLog  # noqa: F401
from app.models.merchant import LoginFailure, Merchant, MerchantRole, StaffUser  # noqa: F401
from app.models.shop import Shop  # noqa: F401
from app.models.task import Task  # noqa: F401
