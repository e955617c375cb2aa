"""Import cells: what a column accepts and how one cell's text becomes a Python value.

``ImportField`` describes one importable column (derived from the model by the import
mixin); ``parse_cell`` turns a cell's text into the value, or raises ``CellError`` with the
Chinese reason shown on the import page.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale, gettext as _
from sqlalchemy import BigInteger, Integer, SmallInteger
from wtforms.validators import Length, Regexp

TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "对"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "不"}
INT_RANGES = {SmallInteger: 2 ** 15, BigInteger: 2 ** 63, Integer: 2 ** 31}
_DATE_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


class CellError(ValueError):
    """One cell's value is invalid; the message is the Chinese reason."""


@dataclass
class ImportField:
    """What the importer knows about one ``import_columns`` entry."""

    name: str
    label: str
    kind: str  # string, integer, decimal, float, date, datetime, boolean, choice
    required: bool
    has_default: bool
    nullable: bool
    max_length: int = None
    choices: list = None
    precision: int = None
    scale: int = None
    int_limit: int = None
    default_text: str = ""
    description: str = ""
    validators: list = field(default_factory=list)
    aliases: set = field(default_factory=set)

    def note(self):
        """One Chinese line for the page and the template: type, choices, default."""
        if self.kind == "choice":
            text = _("可选：%(options)s", options=_("、").join(str(t) for _c, t in self.choices))
        elif self.kind == "string":
            text = (_("文本，最多 %(n)d 个字符", n=self.max_length) if self.max_length
                    else _("文本"))
        elif self.kind == "integer":
            text = _("整数")
        elif self.kind == "decimal":
            text = _("数字，最多 %(n)d 位小数", n=self.scale)
        elif self.kind == "float":
            text = _("数字")
        elif self.kind == "date":
            text = _("日期，格式 YYYY-MM-DD，如 2026-01-31")
        elif self.kind == "datetime":
            text = _("日期时间，格式 YYYY-MM-DD HH:MM:SS")
        elif self.kind == "boolean":
            text = _("填写“是”或“否”")
        else:
            text = ""
        parts = [text]
        if self.description:
            parts.append(self.description)
        if not self.required and self.has_default and self.default_text:
            parts.append(_("留空则为“%(value)s”", value=self.default_text))
        return _("；").join(p for p in parts if p)


def _parse_int(spec, raw):
    text = raw.replace(",", "")
    if not re.fullmatch(r"[+-]?\d+(\.0+)?", text):
        raise CellError(_("应为整数"))
    value = int(text.split(".")[0])
    if spec.int_limit and not -spec.int_limit <= value < spec.int_limit:
        raise CellError(_("数值超出范围"))
    return value


def _parse_decimal(spec, raw):
    text = raw.replace(",", "").replace("¥", "").replace("￥", "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(_("应为数字")) from None
    if not value.is_finite():
        raise CellError(_("应为数字"))
    scale = spec.scale if spec.scale is not None else 2
    step = Decimal(1).scaleb(-scale)
    rounded = value.quantize(step)
    if rounded != value:
        # A float from a spreadsheet (19.990000000000002) is binary noise, not a third
        # decimal the merchant typed: tolerate it, refuse anything visible.
        if value.as_tuple().exponent < -9 and abs(rounded - value) < Decimal("1e-9"):
            value = rounded
        else:
            raise CellError(_("最多 %(n)d 位小数", n=scale))
    if spec.precision and abs(rounded) >= Decimal(10) ** (spec.precision - scale):
        raise CellError(_("数值过大"))
    return rounded


def _parse_float(spec, raw):
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        raise CellError(_("应为数字")) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise CellError(_("应为数字"))
    return value


def _excel_serial(raw):
    """An Excel day number (a date cell the reader saw as a number), else None."""
    if re.fullmatch(r"\d{5}", raw) and 10000 <= int(raw) <= 99999:
        return date(1899, 12, 30) + timedelta(days=int(raw))
    return None


def _parse_date(spec, raw):
    serial = _excel_serial(raw)
    if serial is not None:
        return serial
    match = _DATE_RE.fullmatch(raw.split(" ")[0]) if raw else None
    rest = raw.split(" ", 1)[1].strip() if " " in raw else ""
    if match is None or rest not in ("", "00:00", "00:00:00", "0:00:00"):
        raise CellError(_("日期格式应为 YYYY-MM-DD"))
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CellError(_("不是有效的日期")) from None


def _parse_datetime(spec, raw):
    serial = _excel_serial(raw)
    if serial is not None:
        return datetime(serial.year, serial.month, serial.day)
    head, _sep, tail = raw.replace("T", " ").partition(" ")
    match = _DATE_RE.fullmatch(head)
    time_match = _TIME_RE.fullmatch(tail.strip()) if tail.strip() else None
    if match is None or (tail.strip() and time_match is None):
        raise CellError(_("日期时间格式应为 YYYY-MM-DD HH:MM:SS"))
    clock = [int(p or 0) for p in time_match.groups()] if time_match else [0, 0, 0]
    try:
        return datetime(*(int(part) for part in match.groups()), *clock)
    except ValueError:
        raise CellError(_("不是有效的日期时间")) from None


def _parse_bool(spec, raw):
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("应填写“是”或“否”"))


def _parse_choice(spec, raw):
    for code, text in spec.choices:
        if raw == code or raw == str(text):
            return code
    with force_locale("zh"):
        for code, text in spec.choices:
            if raw == str(text):
                return code
    lowered = raw.lower()
    for code, _text in spec.choices:
        if isinstance(code, str) and lowered == code.lower():
            return code
    raise CellError(_("“%(value)s”不是有效的选项，可选：%(options)s", value=raw[:30],
                      options=_("、").join(str(t) for _c, t in spec.choices)))


def _parse_string(spec, raw):
    if spec.max_length and len(raw) > spec.max_length:
        raise CellError(_("不能超过 %(n)d 个字符（当前 %(len)d 个）", n=spec.max_length,
                          len=len(raw)))
    return raw


PARSERS = {"integer": _parse_int, "decimal": _parse_decimal, "float": _parse_float,
           "date": _parse_date, "datetime": _parse_datetime, "boolean": _parse_bool,
           "choice": _parse_choice, "string": _parse_string}


def _apply_validators(spec, raw):
    """The view's WTForms Length / Regexp rules, applied to the text as in the form."""
    for validator in spec.validators:
        if isinstance(validator, Length):
            low, high = validator.min, validator.max
            if (low is not None and low >= 0 and len(raw) < low) or (
                    high is not None and high >= 0 and len(raw) > high):
                if validator.message:
                    raise CellError(str(validator.message))
                if high is None or high < 0:
                    raise CellError(_("至少 %(min)d 个字符", min=low))
                raise CellError(_("长度应为 %(min)d-%(max)d 个字符", min=max(low or 0, 0),
                                  max=high))
        elif isinstance(validator, Regexp):
            if not validator.regex.match(raw):
                raise CellError(str(validator.message) if validator.message
                                else _("格式不正确"))


def parse_cell(spec, raw):
    """The Python value of one cell (None when blank); raises CellError."""
    raw = (raw or "").strip()
    if raw == "":
        if spec.required:
            raise CellError(_("不能为空"))
        return None
    value = PARSERS[spec.kind](spec, raw)
    if spec.validators:
        _apply_validators(spec, raw if spec.kind != "choice" else value)
    return value
