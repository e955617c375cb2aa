"""Excel writing and reading shared by every export and import.

Writing streams rows with xlsxwriter ``constant_memory`` (flat memory on 300k rows, see
notes/fab.md); money and dates are real numbers and dates; text that a spreadsheet would
run as a formula is neutralised. Reading accepts xlsx and UTF-8 or GBK CSV and normalises
cell types in one place (python-calamine returns whole numbers as floats, blanks as '').
"""
import csv
import io
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from flask_babel import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text):
    """A cell starting with = + - @ would run as a formula in Excel or WPS: quote it."""
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class XlsxWriter:
    """Write one sheet: a bold header row, then typed cells."""

    def __init__(self, target, headers, sheet_name="Sheet1"):
        self.book = xlsxwriter.Workbook(target, {"constant_memory": True,
                                                 "strings_to_formulas": False,
                                                 "strings_to_urls": False,
                                                 "in_memory": not isinstance(target, str)})
        self.sheet = self.book.add_worksheet(sheet_name[:31])
        self.formats = {
            "header": self.book.add_format({"bold": True, "bg_color": "#F2F2F2"}),
            "money": self.book.add_format({"num_format": "0.00"}),
            "datetime": self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "date": self.book.add_format({"num_format": "yyyy-mm-dd"}),
        }
        for col, header in enumerate(headers):
            self.sheet.write_string(0, col, str(header), self.formats["header"])
            self.sheet.set_column(col, col, max(10, min(40, len(str(header)) * 2 + 4)))
        self.row = 1
        self.put = self._typed_writers()

    def _typed_writers(self):
        """Cell writers by exact value type, bound once per sheet. xlsxwriter's public
        write_* methods re-check for A1 notation on every call, which with our type checks
        cost a quarter of a 100,000-order export (bench/orders.py), so plain values go to
        its typed writers directly (the version is pinned in requirements.txt). Any other
        type (bool, date, subclasses) takes write_cell."""
        sheet, fmt = self.sheet, self.formats
        number, string, stamp = sheet._write_number, sheet._write_string, sheet._write_datetime
        money, moment = fmt["money"], fmt["datetime"]

        def text(row, col, value):
            if value:
                string(row, col, "'" + value if value.startswith(FORMULA_PREFIXES) else value)

        return {str: text, int: number, float: number,
                Decimal: lambda row, col, value: number(row, col, float(value), money),
                datetime: lambda row, col, value: stamp(row, col, value, moment)}

    def write_row(self, values):
        row, put, other = self.row, self.put, self.write_cell
        for col, value in enumerate(values):
            if value is not None:
                (put.get(type(value)) or other)(row, col, value)
        self.row += 1

    def write_cell(self, row, col, value):
        sheet, fmt = self.sheet, self.formats
        if value is None or value == "":
            return
        if isinstance(value, bool):
            sheet.write_string(row, col, _("是") if value else _("否"))
        elif isinstance(value, Decimal):
            sheet.write_number(row, col, float(value), fmt["money"])
        elif isinstance(value, (int, float)):
            sheet.write_number(row, col, value)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value, fmt["datetime"])
        elif isinstance(value, date):
            sheet.write_datetime(row, col, datetime(value.year, value.month, value.day),
                                 fmt["date"])
        else:
            sheet.write_string(row, col, neutralise(str(value)))

    def add_sheet(self, headers, sheet_name):
        """Another sheet of the same workbook (an export with a second table, such as the
        orders export's items). Rows of each sheet are written in order; sheets may be
        filled one after the other or interleaved (constant_memory keeps one row per sheet).
        Close the workbook through the first writer only."""
        other = object.__new__(type(self))
        other.book, other.formats = self.book, self.formats
        other.sheet = self.book.add_worksheet(sheet_name[:31])
        for col, header in enumerate(headers):
            other.sheet.write_string(0, col, str(header), self.formats["header"])
            other.sheet.set_column(col, col, max(10, min(40, len(str(header)) * 2 + 4)))
        other.row = 1
        other.put = other._typed_writers()
        return other

    def close(self):
        self.book.close()


class SheetReadError(ValueError):
    """The uploaded file cannot be read as a sheet; the message is Chinese."""


def _normalise(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_rows(filename, data):
    """Rows of strings from an xlsx, or a UTF-8 / GBK CSV. The first row is the header."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        try:
            from python_calamine import CalamineWorkbook

            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as exc:  # corrupt or not really xlsx
            raise SheetReadError(_("文件无法读取，请使用下载的模板另存为 .xlsx 后再上传")) from exc
        return [[_normalise(v) for v in row] for row in rows]
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SheetReadError(_("CSV 文件编码无法识别，请保存为 UTF-8 或 GBK 编码"))
        return [[_normalise(v) for v in row] for row in csv.reader(io.StringIO(text))]
    raise SheetReadError(_("只支持 .xlsx 或 .csv 文件"))
