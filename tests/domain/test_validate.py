import pytest

from rxapp.domain.errors import DomainError
from rxapp.domain.validate import bool_field, int_field, text_field


@pytest.mark.parametrize("value", ["9" * 5000, "1e3", " ", "-1", True, 0, 2**31, 3.5, None, [], {"a": 1}, "１２"])
def test_bad_ids_are_a_domain_error_never_a_crash(value):
    with pytest.raises(DomainError) as err:
        int_field(value, "case_id", "编号无效")
    assert err.value.field == "case_id" and err.value.message == "编号无效"


def test_digits_as_text_are_accepted():
    assert int_field(" 42 ", "x", "m") == 42


def test_text_is_stripped_and_bounded_with_chinese_messages():
    assert text_field("  好  ", "reason", "理由", max_len=5) == "好"
    with pytest.raises(DomainError, match="请填写理由"):
        text_field("   ", "reason", "理由", min_len=1, max_len=5)
    with pytest.raises(DomainError, match="理由不能超过5个字"):
        text_field("一二三四五六", "reason", "理由", max_len=5)
    with pytest.raises(DomainError, match="理由格式不正确"):
        text_field(5, "reason", "理由", max_len=5)


def test_bool_field_refuses_truthy_values():
    assert bool_field(False, "f") is False
    with pytest.raises(DomainError):
        bool_field("true", "f")
