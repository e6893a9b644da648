"""Accessibility (issue 15 point 6): axe-core (npm ``axe-core``, installed by
``make browser`` into ``.axe/``, injected by Playwright — no CDN) on every page
of every role — the pages its navigation offers plus the first detail page each
list links to — WCAG 2.x A/AA rules: no serious or critical violation, and no
failed resource load (the favicon's 404) in the console. Prints the number of
pages and of violating nodes; the list goes to test-results/axe-violations.json."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rxapp.components.layout import NAV
from tests.browser.conftest import ARTIFACTS, ROOT, login

pytestmark = pytest.mark.browser

AXE = ROOT / ".axe/node_modules/axe-core/axe.min.js"
PUBLIC = ["/login", "/public", "/public/board", "/public/submit", "/public/track", "/public/evaluate"]
# demo account -> its role; every role once
ACCOUNTS = {"leader": "leader", "dispatcher": "dispatcher", "dept_env": "dept", "member": "member", "admin": "admin"}
# list page -> the detail pages it links to
DETAILS = {
    "/cases": re.compile(r"^/cases/(?!new$)[^/?#]+$"),
    "/diary": re.compile(r"^/diary/\d+$"),
    "/households": re.compile(r"^/households/\d+$"),
    "/meetings": re.compile(r"^/meetings/\d+$"),
}
EXTRA = {"member": ["/diary/new"]}  # reached from a button, not the navigation
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pages_of(role: str) -> list[str]:
    return [href for _, href, _, roles in NAV if role in roles] + EXTRA.get(role, [])


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations", RULES)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": len(v["nodes"]), "targets": [{"target": n["target"], "html": n["html"][:160], "data": (n["any"] or [{}])[0].get("data")} for n in v["nodes"][:5]]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


def _detail_link(page, pattern: re.Pattern) -> str | None:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    return next((h for h in hrefs if pattern.match(h or "")), None)


def _visit(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1200)


def test_axe_finds_no_serious_or_critical_violation(browser, app_url):
    if not AXE.exists():
        pytest.skip("run `make browser` (installs axe-core into .axe/)")
    found: dict[str, list] = {}
    failed_loads: list[str] = []
    no_main: list[str] = []  # pages without exactly one <main> landmark
    visited = 0
    for account in [None, *ACCOUNTS]:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and "Failed to load resource" in m.text and failed_loads.append(f"{page.url}: {m.text}"))
        page.on("response", lambda r: r.status == 404 and failed_loads.append(f"404 {r.url}"))
        if account:
            login(page, app_url, account)
            page.wait_for_selector("#user-name", timeout=30000)
        queue = list(PUBLIC) if account is None else pages_of(ACCOUNTS[account])
        while queue:
            path = queue.pop(0)
            _visit(page, app_url + path)
            if account:
                page.wait_for_selector("#user-name", timeout=20000)
            if page.locator("main").count() != 1:
                no_main.append(f"{account or 'public'} {path}")
            visited += 1
            bad = _violations(page)
            if bad:
                found[f"{account or 'public'} {path}"] = bad
            if path in DETAILS:
                link = _detail_link(page, DETAILS[path])
                assert link, f"{account}: {path} links to no detail page"
                queue.insert(0, link)
        context.close()
    nodes = sum(v["nodes"] for bad in found.values() for v in bad)
    by_rule: dict[str, int] = {}
    for bad in found.values():
        for v in bad:
            by_rule[v["id"]] = by_rule.get(v["id"], 0) + v["nodes"]
    print(f"\naxe-core: {visited} pages ({len(no_main)} without one <main>), {nodes} serious/critical violating nodes on {len(found)} pages; by rule: {by_rule}")
    ARTIFACTS.mkdir(exist_ok=True)
    Path(ARTIFACTS / "axe-violations.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert visited >= 40, visited
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)[:6000]
    assert not failed_loads, failed_loads[:10]
    assert not no_main, no_main


def _focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {id: e.id, tag: e.tagName, role: e.getAttribute('role'), outline: s.outlineStyle + ' ' + s.outlineWidth, shadow: s.boxShadow,
                inDialog: !!e.closest('[role=dialog]')}; }"""
    )


def test_selects_dialogs_and_focus_work_from_the_keyboard(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    login(page, app_url, "member")
    page.wait_for_selector("#user-name", timeout=30000)

    # a select: Tab reaches it, Enter opens the list, arrows + Enter choose, focus comes back
    _visit(page, app_url + "/cases/new")
    trigger = page.locator("#intake-channel")
    trigger.wait_for()
    assert trigger.get_attribute("aria-labelledby") or page.locator("label[for=intake-channel]").count() == 1
    page.focus("#intake-name")
    page.keyboard.press("Shift+Tab")
    assert _focused(page)["id"] == "intake-channel"
    before = trigger.inner_text()
    page.keyboard.press("Enter")
    page.get_by_role("listbox").wait_for(timeout=5000)
    page.keyboard.press("Home")  # the first channel (窗口); a member starts on 走访 (visit)
    page.keyboard.press("Enter")
    page.get_by_role("listbox").wait_for(state="detached", timeout=5000)
    expect(trigger).not_to_have_text(before, timeout=10000)  # the choice makes a round trip to the server
    assert _focused(page)["id"] == "intake-channel"

    # focus is visible on a link reached by Tab (the navigation)
    page.focus("#intake-name")
    for _ in range(60):
        page.keyboard.press("Shift+Tab")
        focused = _focused(page)
        if focused["tag"] == "A":
            break
    assert focused["tag"] == "A", focused
    assert not focused["outline"].startswith("none") and not focused["outline"].endswith(" 0px"), focused

    # a dialog: Enter opens it with focus inside, Tab stays inside, Escape closes it and focus returns
    _visit(page, app_url + "/meetings")
    page.locator("#meeting-new").focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog").wait_for(timeout=5000)
    page.wait_for_timeout(300)
    assert _focused(page)["inDialog"]
    for _ in range(25):
        page.keyboard.press("Tab")
        assert _focused(page)["inDialog"], _focused(page)
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="detached", timeout=5000)
    assert _focused(page)["id"] == "meeting-new"
    context.close()
