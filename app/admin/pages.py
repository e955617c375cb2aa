"""Helpers for custom (non-CRUD) merchant pages: setup wizards and settings forms.

These pages have no pk in their URLs; they always act on the logged-in merchant's own rows,
so tenancy comes from the account, never from the request.
"""
from flask import abort, request

from app.tenancy import current_merchant_id

MAX_FORM_FIELD = 255


def merchant_id_or_403():
    """The current merchant's id; platform accounts hold no merchant's pages (403)."""
    merchant_id = current_merchant_id()
    if not merchant_id or merchant_id < 0:
        abort(403)
    return merchant_id


def form_text(name, max_length=MAX_FORM_FIELD):
    """A posted text field, stripped and capped (the service checks the real limit)."""
    return (request.form.get(name) or "").strip()[:max_length]


def decimal_text(text, errors, key, required=True):
    """A number typed into a form or a list cell → Decimal; a bad or missing value files a
    Chinese message under ``key`` in ``errors`` and gives None (nothing typed is lost: the
    page shows the text again)."""
    from decimal import Decimal, InvalidOperation

    from flask_babel import gettext as _

    text = (text or "").strip()
    if not text:
        if required:
            errors[key] = _("请填写此项")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[key] = _("请输入数字")
        return None
    if not value.is_finite():
        errors[key] = _("请输入数字")
        return None
    return value


def qr_data_uri(text):
    """A QR code of ``text`` as a PNG data URI, for pages that show a code to scan
    (member card, Native-pay recharge)."""
    import base64
    import io

    import qrcode

    image = qrcode.make(text, box_size=6, border=2)
    stream = io.BytesIO()
    image.save(stream, format="PNG")
    return "data:image/png;base64," + base64.b64encode(stream.getvalue()).decode("ascii")
