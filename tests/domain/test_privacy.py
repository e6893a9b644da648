import hypothesis.strategies as st
from hypothesis import given, settings

from rxapp.domain.privacy import mask_address, mask_name, mask_phone, phone_tail, scrub_text


def test_mask_name_keeps_only_the_surname():
    assert mask_name("张三") == "张*"
    assert mask_name("王小明") == "王**"
    assert mask_name("欧阳修文") == "欧阳**"
    assert mask_name("李") == "*"
    assert mask_name("") == ""
    assert mask_name(None) == ""


def test_mask_phone_shows_prefix_and_tail_only():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "138****5678"
    assert "1234567" not in mask_phone("0580-1234567")


def test_mask_address_stops_at_the_community():
    assert mask_address("朱家尖街道樟州社区海景路12号3幢201室") == "朱家尖街道樟州社区"
    assert mask_address("白泉镇北蝉村东路5号") == "白泉镇北蝉村"
    assert mask_address("海景路12号", community="樟州社区") == "樟州社区"
    assert mask_address("海景路12号") == ""


def test_scrub_text_removes_ids_phones_and_the_requesters_own_data():
    text = "我叫王小明，住海景路12号，电话13812345678，身份证330902199001011234，座机0580-2012345"
    out = scrub_text(text, names=["王小明"], addresses=["海景路12号"], phones=["13812345678"])
    for secret in ("王小明", "海景路12号", "13812345678", "330902199001011234", "2012345"):
        assert secret not in out
    assert "王**" in out


def test_scrub_text_strips_house_numbers_in_free_text():
    assert "8号" not in scrub_text("小区8号楼门口路灯坏了")


def test_phone_tail():
    assert phone_tail("138 1234 5678") == "5678"


def _plain_scrub(text, *, names=(), addresses=(), phones=()):
    """scrub_text without its shortcuts: every pattern, every name (the reference)."""
    import rxapp.domain.privacy as P

    out = text
    for addr in P._needles(addresses):
        out = out.replace(addr, "【地址已隐去】")
    for phone in P._needles(phones):
        out = out.replace(phone, "【电话已隐去】")
    out = P._ID_RE.sub("【证件号已隐去】", out)
    out = P._MOBILE_RE.sub("【电话已隐去】", out)
    out = P._LANDLINE_RE.sub("【电话已隐去】", out)
    out = P._LONG_DIGITS_RE.sub("【号码已隐去】", out)
    for name in P._needles(names):
        out = out.replace(name, mask_name(name))
    return P._HOUSE_RE.sub("**", out)


# digits of several scripts (\d matches them all), Chinese, separators, a name's characters
_ALPHABET = "0123456789０１２３４５６７８９٣-+ X王小明欧阳修路号楼室社区在家电话是"


@given(st.text(alphabet=_ALPHABET, max_size=40), st.lists(st.text(alphabet="王小明欧阳修", max_size=4), max_size=3),
       st.lists(st.text(alphabet=_ALPHABET, max_size=12), max_size=2))
@settings(max_examples=400, deadline=None)
def test_scrub_text_gives_what_every_pattern_and_name_would(text, names, phones):
    assert scrub_text(text, names=names, phones=phones) == _plain_scrub(text, names=names, phones=phones)
