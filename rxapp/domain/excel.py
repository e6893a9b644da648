"""Excel (.xlsx) exports: rows under Chinese headers, each column typed.

Generic on purpose — cases, KPIs and team work all export through
``write_xlsx``.  A column says what its cells are (``text``, ``int``,
``number``, ``percent``, ``date``, ``datetime``, ``bool``), so numbers stay
numbers (sortable, summable) and dates are real Excel dates, not strings.

Text is always written as a string cell: a resident's "=HYPERLINK(...)" or
"+86 138..." never becomes a formula (CSV/formula injection).  Rows may be any
iterable (a generator over a query): the workbook is written in constant
memory, row by row, so a large export does not hold every row twice.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import xlsxwriter

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("text", "int", "number", "percent", "date", "datetime", "bool")
MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
MAX_CELL_TEXT = 32_767
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
# control characters Excel refuses (tab, newline and carriage return are fine)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    """One column: its header (Chinese), the kind of its cells, its width in
    characters (a CJK character counts about two)."""

    header: str
    kind: str = "text"
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _sheet_name(name: str) -> str:
    clean = _SHEET_NAME_BAD.sub("_", name or "Sheet1").strip("'") or "Sheet1"
    return clean[:31]


def _clean_text(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub("", text)[:MAX_CELL_TEXT]


def write_xlsx(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_name: str = "Sheet1",
    title: str = "",
) -> bytes:
    """The workbook as bytes: an optional title line, the header row (frozen,
    with an autofilter), then one line per row.  ``None`` leaves a cell empty;
    a value that does not fit its column kind is written as text."""
    if not columns:
        raise ValueError("at least one column")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    sheet = book.add_worksheet(_sheet_name(sheet_name))
    fmt_header = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "vcenter"})
    fmt_title = book.add_format({"bold": True, "font_size": 13})
    fmt_text = book.add_format({"text_wrap": False, "valign": "top"})
    fmt_int = book.add_format({"num_format": "0", "valign": "top"})
    fmt_number = book.add_format({"num_format": "0.00", "valign": "top"})
    fmt_percent = book.add_format({"num_format": "0.0%", "valign": "top"})
    fmt_date = book.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
    fmt_datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"})
    formats = {
        "text": fmt_text,
        "int": fmt_int,
        "number": fmt_number,
        "percent": fmt_percent,
        "date": fmt_date,
        "datetime": fmt_datetime,
        "bool": fmt_text,
    }

    for c, col in enumerate(columns):
        width = col.width if col.width is not None else max(8, min(60, _display_width(col.header) + 4))
        sheet.set_column(c, c, width)

    r = 0
    if title:
        sheet.write_string(r, 0, _clean_text(title), fmt_title)
        r += 1
    header_row = r
    for c, col in enumerate(columns):
        sheet.write_string(header_row, c, _clean_text(col.header), fmt_header)
    sheet.freeze_panes(header_row + 1, 0)
    r += 1

    written = 0
    for row in rows:
        if written >= MAX_ROWS - header_row:
            break
        for c, col in enumerate(columns):
            value = row[c] if c < len(row) else None
            _write_cell(sheet, r, c, col.kind, value, formats)
        r += 1
        written += 1
    sheet.autofilter(header_row, 0, max(header_row, r - 1), len(columns) - 1)
    book.close()
    return buffer.getvalue()


def _write_cell(sheet, r: int, c: int, kind: str, value: Any, formats: dict) -> None:
    if value is None or value == "":
        return
    fmt = formats[kind]
    if kind in ("int", "number", "percent") and isinstance(value, (int, float)) and not isinstance(value, bool):
        sheet.write_number(r, c, value, fmt)
    elif kind == "datetime" and isinstance(value, datetime):
        sheet.write_datetime(r, c, value.replace(tzinfo=None), fmt)
    elif kind == "date" and isinstance(value, (date, datetime)):
        day = value.date() if isinstance(value, datetime) else value
        sheet.write_datetime(r, c, datetime(day.year, day.month, day.day), fmt)
    elif kind == "bool" and isinstance(value, bool):
        sheet.write_string(r, c, "是" if value else "否", fmt)
    else:
        sheet.write_string(r, c, _clean_text(value), formats["text"])


def content_disposition(filename: str) -> str:
    """A Content-Disposition value that keeps a Chinese file name (RFC 5987)
    with an ASCII fallback for old clients."""
    from urllib.parse import quote

    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_") or "export.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
