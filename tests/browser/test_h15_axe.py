"""Accessibility: axe-core (npm ``axe-core``, installed by ``make browser`` into
``.axe/``, injected by Playwright — no CDN) on the main page of every role,
WCAG 2.x A/AA rules; prints every serious or critical violation found."""

import json
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, login

pytestmark = pytest.mark.browser

AXE = ROOT / ".axe/node_modules/axe-core/axe.min.js"
PAGES = {
    None: ["/public", "/public/board", "/public/track", "/login"],
    "leader": ["/dashboard", "/cases", "/team-scores"],
    "dispatcher": ["/cases", "/cases/new"],
    "admin": ["/admin"],
    "member": ["/diary", "/households", "/meetings"],
}


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"][:5]]}
        for v in result
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.xfail(
    strict=True,
    reason="issue 15 point 6 is not done: axe still reports serious/critical violations (colour contrast, unnamed icon "
    "buttons and selects, unlabelled inputs); the list is written to test-results/axe-violations.json",
)
def test_axe_finds_no_serious_or_critical_violation(browser, app_url):
    if not AXE.exists():
        pytest.skip("run `make browser` (installs axe-core into .axe/)")
    found: dict[str, list] = {}
    for role, paths in PAGES.items():
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        if role:
            login(page, app_url, role)
            page.wait_for_selector("#user-name", timeout=30000)
        for path in paths:
            page.goto(app_url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)
            bad = _violations(page)
            if bad:
                found[f"{role or 'public'} {path}"] = bad
        context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    Path(ARTIFACTS / "axe-violations.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)[:6000]
