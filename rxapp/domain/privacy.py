"""Masking personal data for anything the public receives.

Names become 张* / 欧阳**, phones 138****5678, addresses stop at the community,
and free text loses mobile numbers, landlines, ID numbers and the requester's
own name and address.  Pure functions: no database, no reflex."""

from __future__ import annotations

import re
from collections.abc import Iterable

# common two-character surnames (复姓): the surname stays, the given name goes
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "南宫", "独孤", "西门", "澹台",
)

# 18-character resident ID (last may be X), 15-digit old IDs
_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])|(?<!\d)\d{15}(?!\d)")
# mainland mobiles, with optional +86 and separators
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
# landlines such as 0580-1234567 or 2345678 (7-8 digits) and any long digit run
_LANDLINE_RE = re.compile(r"(?<!\d)(?:0\d{2,3}[\s-]?)?\d{7,8}(?!\d)")
_LONG_DIGITS_RE = re.compile(r"\d{9,}")
_DIGIT_RE = re.compile(r"\d")  # each of the four patterns above needs one: a text without skips them
# street-level details: house numbers, buildings, units, rooms
_HOUSE_RE = re.compile(r"[0-9０-９一二三四五六七八九十百零〇甲乙丙\-－]+\s*(?:号楼|号|幢|栋|单元|室|弄|巷|楼)")

_COMMUNITY_SUFFIXES = ("社区", "村", "居委会")

MASK = "*"


def mask_name(name: object) -> str:
    """张三 → 张*, 欧阳修文 → 欧阳**, a single character → *."""
    if not isinstance(name, str):
        return ""
    text = name.strip()
    if not text:
        return ""
    if len(text) == 1:
        return MASK
    for surname in _COMPOUND_SURNAMES:
        if text.startswith(surname) and len(text) > 2:
            return surname + MASK * (len(text) - 2)
    if text.isascii():  # a Latin name: keep the initial
        return text[0] + MASK * 2
    return text[0] + MASK * (len(text) - 1)


def mask_phone(phone: object) -> str:
    """13812345678 → 138****5678; anything else shows only its last two digits."""
    if not isinstance(phone, str):
        return ""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 4:
        return MASK * (len(digits) - 2) + digits[-2:]
    return MASK * len(digits)


def mask_address(address: object, community: str = "") -> str:
    """The address cut after the community (社区 / 村); without one, the known
    community name, or nothing at all: never a street or house number."""
    if not isinstance(address, str) or not address.strip():
        return community or ""
    text = address.strip()
    best = -1
    for suffix in _COMMUNITY_SUFFIXES:
        i = text.find(suffix)
        if i >= 0 and (best < 0 or i < best):
            best = i + len(suffix)
    if best > 0:
        return text[:best]
    return community or ""


def _needles(values: Iterable[str | None]) -> list[str]:
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        v = value.strip()
        if len(v) >= 2:
            found.add(v)
    return sorted(found, key=len, reverse=True)


def scrub_text(text: object, *, names: Iterable[str | None] = (), addresses: Iterable[str | None] = (), phones: Iterable[str | None] = ()) -> str:
    """Free text made fit for the public: ID numbers, phone numbers, house
    numbers and the given names / addresses / phones are replaced."""
    if not isinstance(text, str):
        return ""
    out = text
    for addr in _needles(addresses):
        out = out.replace(addr, "【地址已隐去】")
    for phone in _needles(phones):
        out = out.replace(phone, "【电话已隐去】")
    if _DIGIT_RE.search(out):
        out = _ID_RE.sub("【证件号已隐去】", out)
        out = _MOBILE_RE.sub("【电话已隐去】", out)
        out = _LANDLINE_RE.sub("【电话已隐去】", out)
        out = _LONG_DIGITS_RE.sub("【号码已隐去】", out)
    for name in _needles(names):
        if name in out:
            out = out.replace(name, mask_name(name))
    out = _HOUSE_RE.sub("**", out)
    return out


def phone_tail(phone: object) -> str:
    """The last four digits (what a resident types to track their case)."""
    if not isinstance(phone, str):
        return ""
    digits = re.sub(r"\D", "", phone)
    return digits[-4:]
