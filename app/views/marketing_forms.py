"""Form parsing shared by the 营销设置管理 pages: posted text to Python values, with a Chinese
error per field (the services check the business rules)."""
from datetime import datetime
from decimal import Decimal

from flask import request
from flask_babel import gettext as _
from sqlalchemy import select

from app.admin.pages import decimal_text, form_text

DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def parse_decimal(name, errors, required=True):
    return decimal_text(form_text(name, 20), errors, name, required)


def parse_int(name, errors, required=True):
    text = form_text(name, 12)
    if not text:
        if required:
            errors[name] = _("请填写此项")
        return None
    if not text.isdigit():
        errors[name] = _("请输入整数")
        return None
    return int(text)


def parse_datetime(name, errors, required=True):
    return datetime_text(form_text(name, 20), errors, name, required)


def datetime_text(text, errors, key, required=True):
    """A typed time (any of DATETIME_FORMATS) → datetime; a missing or bad value files a
    Chinese message under ``key`` in ``errors`` and gives None."""
    text = (text or "").strip()
    if not text:
        if required:
            errors[key] = _("请选择时间")
        return None
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    errors[key] = _("时间格式应为 2026-01-31 08:00")
    return None


def zhe_to_rate(value):
    """8.5 (折) -> 0.85; None stays None."""
    return None if value is None else (value / 10).quantize(Decimal("0.01"))


def rate_to_zhe(value):
    return None if value is None else (Decimal(value) * 10).normalize()


def parse_ids(name, model, session, errors, label):
    """A comma separated list of ids of the current merchant's ``model`` rows."""
    text = form_text(name, 2000).replace("，", ",")
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if any(not p.isdigit() for p in parts):
        errors[name] = _("请填写%(label)sID，用逗号分隔", label=label)
        return []
    ids = sorted({int(p) for p in parts})[:200]
    rows = session.execute(select(model).where(model.id.in_(ids))).scalars().all() if ids else []
    missing = set(ids) - {r.id for r in rows}
    if missing:
        errors[name] = _("%(label)sID 不存在：%(ids)s", label=label,
                         ids="，".join(str(i) for i in sorted(missing)))
    return rows


def checked_ids(name):
    return [int(v) for v in request.form.getlist(name) if str(v).isdigit()]


def dt_value(value):
    return value.strftime("%Y-%m-%dT%H:%M") if value else ""


def parse_shop(name, shops, errors):
    """适用商城: "" is every shop (None); otherwise the id of one of ``shops`` (the current
    merchant's), else a Chinese error (another merchant's shop id is refused)."""
    text = form_text(name, 12)
    if not text:
        return None
    shop = next((s for s in shops if str(s.id) == text), None)
    if shop is None:
        errors[name] = _("所选商城不存在")
        return None
    return shop.id
