"""Checks for untrusted arguments: any client can call any handler with any
values, so each domain action validates its own inputs with these and
answers a Chinese ``DomainError`` naming the field — never a crash."""

from rxapp.domain.errors import DomainError

MAX_ID = 2**31 - 1


def int_field(value: object, field: str, message: str, lo: int = 1, hi: int = MAX_ID) -> int:
    """An int (or a short string of digits) within [lo, hi]; bools are refused."""
    if isinstance(value, str) and len(value) <= 12 and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise DomainError(message, field)
    return value


def text_field(value: object, field: str, label: str, *, min_len: int = 0, max_len: int) -> str:
    """A stripped string of at most ``max_len`` characters (None counts as empty)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError(f"{label}格式不正确", field)
    text = value.strip()
    if min_len and len(text) < min_len:
        raise DomainError(f"请填写{label}" if not text else f"{label}至少{min_len}个字", field)
    if len(text) > max_len:
        raise DomainError(f"{label}不能超过{max_len}个字", field)
    return text


def bool_field(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise DomainError("参数无效", field)
    return value
