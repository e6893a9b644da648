"""zh-CN / en number and date formats (babel), done on the server."""

from datetime import date, datetime

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

BABEL_LOCALE = {"zh": "zh_CN", "en": "en_US"}


def _loc(lang: str) -> str:
    return BABEL_LOCALE.get(lang, "zh_CN")


def number(value: float | int | None, lang: str = "zh", digits: int = 0) -> str:
    if value is None:
        return "—"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=fmt, locale=_loc(lang))


def percent(value: float | None, lang: str = "zh", digits: int = 1) -> str:
    if value is None:
        return "—"
    return format_percent(value, format="#,##0." + "0" * digits + "%", locale=_loc(lang))


def points_change(delta: float | None, lang: str = "zh") -> str:
    """A change of a rate, in percentage points."""
    if delta is None:
        return ""
    pts = delta * 100
    sign = "+" if pts > 0 else ("±" if pts == 0 else "−")
    text = number(abs(pts), lang, 1)
    return f"{sign}{text} 个百分点" if lang == "zh" else f"{sign}{text} pp"


def count_change(delta: float | int | None, lang: str = "zh", digits: int = 0) -> str:
    if delta is None:
        return ""
    sign = "+" if delta > 0 else ("±" if delta == 0 else "−")
    return f"{sign}{number(abs(delta), lang, digits)}"


def day(value: date | None, lang: str = "zh") -> str:
    if value is None:
        return ""
    return format_date(value, format="yyyy年M月d日" if lang == "zh" else "d MMM yyyy", locale=_loc(lang))


def moment(value: datetime | None, lang: str = "zh") -> str:
    if value is None:
        return ""
    return format_datetime(value, format="yyyy-MM-dd HH:mm:ss", locale=_loc(lang))
