"""Issue 15 point 5: English all the way. Each role switches the UI to English
and walks its main pages; every run of Chinese characters on the page (visible
text, chart labels, placeholders) must be user data.

The allow-list is the database itself, read narrowly: a Chinese run passes only
if it is part of a value people entered or that names a person or a place —
area and team names, people's names, addresses, request texts and results,
promises, timeline notes and evaluation comments, diaries, visits, meetings,
household and resident records, SMS texts, hot-spot titles, classifier keywords.
Category and department names are NOT in it (they have English names), nor
is anything the UI itself writes, except the language switch's "中文" and the
holiday-schedule syntax words 休 / 班. Timeline notes are stored as written at the
time (some by the system, in Chinese): they are records, and stay as they are.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, login

pytestmark = pytest.mark.browser

# ideographs and the full-width punctuation that goes with them (a stray "：" or "（" is Chinese UI too)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]+")

# user-data columns (table -> columns); reference names (category, department) are deliberately absent
USER_DATA = {
    "area": ("name",),
    "team": ("name",),
    "teammember": ("name",),
    "user": ("display_name",),
    "household": None,  # every text column: addresses, names, notes
    "resident": None,
    "case": (
        "content", "result_text", "promise_text", "promise_owner", "reject_reason", "requester_name",
        "requester_address", "classify_terms", "extension_reason",
    ),
    "caseevent": ("note", "actor_label"),
    "evaluation": ("comment",),
    "diary": None,
    "visit": None,
    "meeting": None,
    "meetingitem": None,
    "sms": ("text",),
    "hotspot": ("title",),
    "category": ("keywords",),
    "apikey": ("name",),
    "holidayschedule": ("text",),  # entered by administrators
}
# the holiday-schedule format's own keywords (its parser reads them, in either language)
SYNTAX = {"休", "班"}

PAGES = {
    None: ["/public", "/public/board", "/public/track", "/public/submit", "/public/evaluate"],
    "leader": ["/", "/dashboard", "/cases", "CASE", "/map", "/warnings", "/team-scores", "/board-admin", "/party"],
    "dispatcher": ["/cases", "/cases/new", "CASE"],
    "dept_env": ["/cases", "CASE"],
    "member": ["/diary", "/households", "/meetings", "/cases/new"],
    "admin": ["/admin", *(f"/admin?tab={t}" for t in ("categories", "teams", "holidays", "api_keys", "sms", "classify"))],
}

# the language switch names the other language in that language: the one Chinese word the English UI owns
COLLECT = """() => {
  const sw = document.getElementById('language-switch');
  const parts = [document.body.innerText.replace(sw ? sw.innerText : '\u0000', '')];
  document.querySelectorAll('svg text').forEach(t => parts.push(t.textContent));
  document.querySelectorAll('input[placeholder], textarea[placeholder]').forEach(e => parts.push(e.placeholder));
  document.querySelectorAll('select option').forEach(o => parts.push(o.textContent));
  return parts.join('\\n');
}"""


def _user_data(db_url: str) -> str:
    from sqlalchemy import String, Text, create_engine, inspect, text

    engine = create_engine(db_url)
    values: list[str] = []
    try:
        insp = inspect(engine)
        with engine.connect() as conn:
            for table, cols in USER_DATA.items():
                if table not in insp.get_table_names():
                    continue
                names = cols or [c["name"] for c in insp.get_columns(table) if isinstance(c["type"], (String, Text))]
                for col in names:
                    values += [v for (v,) in conn.execute(text(f'SELECT DISTINCT "{col}" FROM "{table}"')) if v]
    finally:
        engine.dispose()
    return "\n".join(values)


def _reference_names(db_url: str) -> set[str]:
    """Category and department names, less the classifier keywords that spell one
    (an administrator may make "邻里纠纷" a keyword; the keyword table shows it)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            names = {n for t in ("category", "department") for (n,) in conn.execute(text(f"SELECT name_zh FROM {t}"))}
            keywords = {w.split(":")[0] for (kw,) in conn.execute(text("SELECT keywords FROM category")) for w in re.split(r"[,，、\s]+", kw or "") if w}
    finally:
        engine.dispose()
    return names - keywords


def _stray_runs(page_text: str, corpus: str, reference: set[str]) -> set[str]:
    """Chinese runs that are not user data; a category or department name standing
    on its own fails even where a stored note happens to contain it."""
    return {run for run in CJK.findall(page_text) if run not in SYNTAX and (run in reference or run not in corpus)}


def _a_case_link(page) -> str:
    page.wait_for_selector("a.case-code", timeout=30000)
    return page.locator("a.case-code").first.get_attribute("href")


def test_english_mode_shows_no_chinese_outside_user_data(browser, app_url, app_db):
    from sqlmodel import Session

    from rxapp.db import make_engine
    from rxapp.domain.warning import train_model

    with Session(make_engine(app_db)) as s:  # a warning model: /warnings then lists cases with their reasons
        train_model(s, actor=None)
    corpus = _user_data(app_db)
    reference = _reference_names(app_db)
    found: dict[str, list[str]] = {}
    for role, paths in PAGES.items():
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        if role:
            login(page, app_url, role)
            page.wait_for_selector("#user-name", timeout=30000)
        else:
            page.goto(app_url + paths[0])
        page.wait_for_selector("#language-switch", timeout=30000)
        page.wait_for_load_state("networkidle")
        # the switch loads the page again, so what the server wrote follows the language too
        with page.expect_navigation(timeout=20000):
            page.click("#language-switch")
        expect(page.locator("#language-switch")).to_contain_text("中文", timeout=20000)
        case_href = ""
        for path in paths:
            if path == "CASE":
                if not case_href:
                    continue
                path = case_href
            page.goto(app_url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(2000)
            if path == "/cases" and not case_href:
                case_href = _a_case_link(page)
            if path == "/warnings":  # rows with their reasons, which the check below reads
                expect(page.locator(".warning-row").first).to_be_visible(timeout=30000)
            stray = _stray_runs(page.evaluate(COLLECT), corpus, reference)
            if stray:
                found[f"{role or 'public'} {path}"] = sorted(stray)[:40]
            page.screenshot(path=str(ARTIFACTS / f"en-{role or 'public'}-{path.strip('/').replace('/', '_').replace('?', '_') or 'home'}.png"))
            if path == "/warnings":  # on a phone: stacked cards, their reasons in English too
                page.set_viewport_size({"width": 390, "height": 900})
                expect(page.locator(".warning-card-row").first).to_be_visible(timeout=30000)
                expect(page.locator(".warning-card-row").first).to_contain_text("Main reasons")
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
                stray = _stray_runs(page.evaluate(COLLECT), corpus, reference)
                if stray:
                    found[f"{role} {path} 390 px"] = sorted(stray)[:40]
                page.screenshot(path=str(ARTIFACTS / f"en-{role}-warnings-390.png"))
                page.set_viewport_size({"width": 1400, "height": 900})
        context.close()
    report = "\n".join(f"{where}: {' | '.join(runs)}" for where, runs in found.items())
    (ARTIFACTS / "english-stray-cjk.txt").write_text(report or "none\n", encoding="utf-8")
    assert not found, "Chinese UI text in English mode (outside user data):\n" + report
