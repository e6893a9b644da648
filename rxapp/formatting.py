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


# one pattern per language: 2026年12月5日 / 5 Dec 2026 (never the US month-first order)
DAY = {"zh": "yyyy年M月d日", "en": "d MMM yyyy"}
MONTH = {"zh": "yyyy年M月", "en": "MMM yyyy"}


def _pattern(table: dict[str, str], lang: str) -> str:
    return table.get(lang, table["zh"])


def day(value: date | None, lang: str = "zh") -> str:
    if value is None:
        return ""
    return format_date(value, format=_pattern(DAY, lang), locale=_loc(lang))


def month(value: date | None, lang: str = "zh") -> str:
    """A calendar month: 2026年12月 / Dec 2026."""
    if value is None:
        return ""
    return format_date(value, format=_pattern(MONTH, lang), locale=_loc(lang))


def month_label(key: str, lang: str = "zh") -> str:
    """A "YYYY-MM" month key as a month label; the key itself if it is not one."""
    try:
        return month(date(int(key[:4]), int(key[5:7]), 1), lang) if len(key) == 7 and key[4] == "-" else key
    except ValueError:
        return key


def day_time(value: datetime | None, lang: str = "zh") -> str:
    """A day with its time of day to the minute: 2026年12月5日 10:30 / 5 Dec 2026 10:30."""
    if value is None:
        return ""
    return format_datetime(value, format=_pattern(DAY, lang) + " HH:mm", locale=_loc(lang))


def moment(value: datetime | None, lang: str = "zh") -> str:
    if value is None:
        return ""
    return format_datetime(value, format=_pattern(DAY, lang) + " HH:mm:ss", locale=_loc(lang))


def recent_months(today: date, lang: str = "zh", n: int = 24) -> list[dict[str, str]]:
    """The last ``n`` months, newest first, as select options: value "YYYY-MM",
    label in the language (a month picker that does not follow the browser's locale)."""
    y, m, out = today.year, today.month, []
    for _ in range(n):
        out.append({"id": f"{y:04d}-{m:02d}", "label": month(date(y, m, 1), lang)})
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out
