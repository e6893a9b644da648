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


def test_local_name_follows_the_language_and_falls_back_to_chinese():
    from rxapp.i18n import local_name
    from rxapp.models import Category, Department

    cat = Category(code="ENV", name_zh="环境保护", name_en="Environmental protection")
    assert local_name(cat, "zh") == "环境保护"
    assert local_name(cat, "en") == "Environmental protection"
    assert local_name(Department(code="X", name_zh="某局", name_en=""), "en") == "某局"  # nothing recorded: Chinese
    assert local_name(("生态环境局", "Ecology and Environment Bureau"), "en") == "Ecology and Environment Bureau"
    assert local_name(None, "en") == ""


def test_every_reference_category_and_department_has_an_english_name():
    from rxapp.domain.reference import read_csv

    for row in read_csv("categories.csv"):
        assert row["name_en"].strip() and row["department_en"].strip(), row["code"]
        assert not re.search(r"[\u4e00-\u9fff]", row["name_en"] + row["department_en"]), row["code"]


def test_dates_follow_the_language_day_first_in_english():
    from datetime import date, datetime

    from rxapp import formatting as fmt

    assert fmt.day(date(2026, 12, 5), "zh") == "2026年12月5日"
    assert fmt.day(date(2026, 12, 5), "en") == "5 Dec 2026"
    assert fmt.month(date(2026, 12, 1), "zh") == "2026年12月"
    assert fmt.month(date(2026, 12, 1), "en") == "Dec 2026"
    assert fmt.month_label("2026-12", "en") == "Dec 2026" and fmt.month_label("bad", "en") == "bad"
    assert fmt.day_time(datetime(2026, 12, 5, 9, 7), "zh") == "2026年12月5日 09:07"
    assert fmt.day_time(datetime(2026, 12, 5, 9, 7), "en") == "5 Dec 2026 09:07"
    assert fmt.moment(datetime(2026, 12, 5, 9, 7, 3), "en") == "5 Dec 2026 09:07:03"


def test_month_pickers_label_months_in_the_language_newest_first():
    from datetime import date

    from rxapp import formatting as fmt

    months = fmt.recent_months(date(2026, 2, 14), "en", n=3)
    assert months == [{"id": "2026-02", "label": "Feb 2026"}, {"id": "2026-01", "label": "Jan 2026"}, {"id": "2025-12", "label": "Dec 2025"}]
    assert fmt.recent_months(date(2026, 2, 14), "zh", n=1) == [{"id": "2026-02", "label": "2026年2月"}]


def test_public_status_action_and_promise_labels_in_the_catalog_match_the_domain():
    from rxapp.domain import public as P

    zh = MESSAGES["zh"]
    assert all(zh[f"public.status.{k}"] == v for k, v in P.PUBLIC_STATUS.items())
    assert all(zh[f"public.action.{k}"] == v for k, v in P.ACTION_LABEL.items())
    promises = {"kept": P.PROMISE_KEPT, "late": P.PROMISE_LATE, "broken": P.PROMISE_BROKEN, "pending": P.PROMISE_PENDING}
    assert all(zh[f"public.promise.{k}"] == v for k, v in promises.items())
