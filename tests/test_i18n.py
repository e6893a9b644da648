import re
from pathlib import Path

from rxapp.i18n import MESSAGES, translate


def test_every_key_exists_in_both_languages():
    assert set(MESSAGES["zh"]) == set(MESSAGES["en"])


def test_no_message_is_empty_and_placeholders_match():
    for key, zh in MESSAGES["zh"].items():
        en = MESSAGES["en"][key]
        assert zh.strip(), key
        # a unit suffix such as 年 may have no English counterpart; nothing else may be empty
        assert en.strip() or key.endswith("_suffix"), key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_every_key_used_in_the_code_exists():
    used = set()
    for path in Path("rxapp").rglob("*.py"):
        used |= set(re.findall(r"""\bT\(\s*["'](\w+\.[\w.]+)["']""", path.read_text(encoding="utf-8")))
    missing = used - set(MESSAGES["zh"])
    assert not missing, f"keys used but not in the catalog: {sorted(missing)}"


def test_translate_formats_and_falls_back_to_chinese():
    assert translate("pager.page", "en", page=2, pages=5) == "Page 2 of 5"
    assert translate("nav.cases", "fr") == MESSAGES["zh"]["nav.cases"]
