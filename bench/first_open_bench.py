"""First open of /dashboard and /cases in Chromium (issue 18): navigation
start → the page's figures on screen, cold and warm, beside /login as the floor.

* cold: a new browser context for each run (empty HTTP cache, no tab state on
  the server: a new tab), signed in through the session cookie only;
* warm: the same tab opens the page again (cached scripts, the tab's state
  kept by the server).

"Figures on screen" is measured in the page (``performance.now()`` since the
navigation started, checked on every animation frame):

* ``/dashboard``: the KPI cards with their figures, no spinner inside the
  viewport, and every chart or map whose box is inside the viewport drawn by
  plotly (``_fullLayout`` and an SVG in it); charts below the fold are drawn
  one per idle slot after that (or when scrolled into view), so the row also
  carries ``all_charts_*``: the time until all six charts and the map card's
  map are drawn without scrolling;
* ``/cases``: the list's first rows (or its empty state) shown, not loading;
* ``/login`` (the floor): the sign-in form shown.

Target (issue 18): p95 ≤ 1 s, cold or warm.  One JSON line per (page, mode):

    {"bench": "first_open", "page": "/dashboard", "mode": "cold", "n": 7, "median_ms": …, "p95_ms": …,
     "max_ms": …, "first_ms": …, ["all_charts_median_ms": …, "all_charts_p95_ms": …,] "floor_login_median_ms": …,
     "floor_login_p95_ms": …, "cases_in_db": …,
     "load_avg": [1, 5, 15 min], "target_p95_ms": 1000, "met": …}

By default it seeds the demo (``rxapp.seed``: 2,000 cases) into a fresh SQLite
file and serves it with ``reflex run --env prod`` on ``--port``; ``--db URL``
serves that database instead (e.g. a big PostgreSQL one, not seeded, not
dropped); ``--url`` benches an app already running (``--db`` then only counts
its cases).

    .venv/bin/python bench/first_open_bench.py [--port 3130] [--runs 7] [--db URL] [--url http://localhost:3130]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from map_bench import out, serve_app, stop_app  # noqa: E402

CHARTS = ("chart-trend", "chart-categories", "chart-satisfaction", "chart-areas", "chart-activity", "chart-overdue", "grid-map")

_DRAWN = "(gd) => !!(gd && gd._fullLayout && gd.querySelector('.main-svg'))"
# in the page: the first animation frame where the page's figures are on screen
READY = {
    "/login": "() => { const u = document.getElementById('username'); return !!(u && u.offsetParent); }",
    "/dashboard": (
        "() => { if (!document.getElementById('dash-scope') || !document.getElementById('kpi-due_completion_rate')) return false;"
        " const seen = (el) => { const r = el.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; };"
        " for (const s of document.querySelectorAll('.rt-Spinner, .rt-spinner')) if (seen(s)) return false;"
        f" const drawn = {_DRAWN};"
        " for (const box of document.querySelectorAll('[data-deferred]'))"
        "   if (seen(box) && !drawn(box.querySelector('.js-plotly-plot'))) return false;"
        " return true; }"
    ),
    "/cases": (
        "() => { const r = document.getElementById('case-results'); if (!r) return false;"
        " const row = r.querySelector('#case-table tbody tr') || r.querySelector('#cases-empty');"
        " if (!row) return false; const box = r.firstElementChild && r.firstElementChild.firstElementChild;"
        " return !(box && getComputedStyle(box).opacity !== '1') && r.querySelectorAll('.rt-Spinner').length === 0; }"
    ),
}
# and every chart drawn (whether or not on screen)
ALL = {"/dashboard": f"() => {{ const drawn = {_DRAWN}; return {list(CHARTS)!r}.every((id) => drawn(document.getElementById(id))); }}"}

INIT = """
(() => {
  const ready = %s, all = %s;
  window.__gdReady = null; window.__gdAll = null;
  const poll = () => {
    let ok = false, done = false;
    try { ok = window.__gdReady !== null || ready(); } catch (e) {}
    if (ok && window.__gdReady === null) window.__gdReady = performance.now();
    try { done = window.__gdAll !== null || all(); } catch (e) {}
    if (done && window.__gdAll === null) window.__gdAll = performance.now();
    if (window.__gdReady === null || window.__gdAll === null) requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})();
"""


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, math.ceil(0.95 * len(s)) - 1)]


def cases_in(db_url: str | None) -> int | None:
    if not db_url:
        return None
    from sqlalchemy import func
    from sqlmodel import Session, select

    from rxapp.db import make_engine
    from rxapp.models import Case

    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            return int(s.exec(select(func.count()).select_from(Case)).one())
    finally:
        engine.dispose()


def start_app(port: int, db_url: str | None, cases: int) -> tuple[subprocess.Popen, str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="first-open-"))
    if not db_url:
        db_url = f"sqlite:///{tmp / 'bench.db'}"
        cmd = [sys.executable, "-m", "rxapp.seed", "--cases", str(cases), "--db", db_url, "--random-seed", "7"]
        # the demo accounts this bench signs in with
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "GRIDDESK_DEMO": "1"})
    proc, base = serve_app(port, db_url, tmp / "server.log")
    proc.tmp = tmp  # removed after the run (the seeded database and the server log)
    return proc, base, db_url


def bench(base: str, runs: int, user: str, password: str, db_url: str | None, pages: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    n_cases = cases_in(db_url)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("GRIDDESK_CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox", "--disable-gpu"])
        view = {"viewport": {"width": 1280, "height": 900}}

        def opened(page, path: str) -> tuple[float, float]:
            """(figures on screen, every chart drawn) in ms since navigation start."""
            page.goto(base + path, wait_until="commit")
            page.wait_for_function("() => window.__gdReady !== null && window.__gdAll !== null", timeout=60000, polling=100)
            return float(page.evaluate("window.__gdReady")), float(page.evaluate("window.__gdAll"))

        def context(path: str, state=None):
            ctx = browser.new_context(**view, storage_state=state)
            ctx.add_init_script(INIT % (READY[path], ALL.get(path, "() => true")))
            return ctx

        # sign in once; cold runs carry only the session cookie
        ctx = context("/login")
        page = ctx.new_page()
        page.goto(base + "/login")
        page.fill("#username", user)
        page.fill("#password", password)
        page.click("#login-submit")
        page.wait_for_selector("#user-name", timeout=60000)
        cookies = {"cookies": ctx.cookies(), "origins": []}
        ctx.close()

        def measure(path: str, signed_in: bool) -> dict[str, list[tuple[float, float]]]:
            state = cookies if signed_in else None
            cold = []
            for _ in range(runs):
                c = context(path, state)
                cold.append(opened(c.new_page(), path))
                c.close()
            c = context(path, state)
            page = c.new_page()
            opened(page, path)  # the tab's first open (cold), then again in the same tab
            warm = [opened(page, path) for _ in range(runs)]
            c.close()
            return {"cold": cold, "warm": warm}

        floor = measure("/login", signed_in=False)
        for path in pages:
            got = measure(path, signed_in=True)
            for mode in ("cold", "warm"):
                xs, every = [r[0] for r in got[mode]], [r[1] for r in got[mode]]
                fl = [r[0] for r in floor[mode]]
                q95 = p95(xs)
                out({
                    "bench": "first_open", "page": path, "mode": mode, "n": len(xs),
                    "median_ms": round(statistics.median(xs), 1), "p95_ms": round(q95, 1), "max_ms": round(max(xs), 1),
                    "first_ms": round(xs[0], 1),
                    **({"all_charts_median_ms": round(statistics.median(every), 1), "all_charts_p95_ms": round(p95(every), 1)} if path in ALL else {}),
                    "floor_login_median_ms": round(statistics.median(fl), 1), "floor_login_p95_ms": round(p95(fl), 1),
                    "cases_in_db": n_cases, "load_avg": [round(v, 2) for v in os.getloadavg()],
                    "target_p95_ms": 1000, "met": q95 <= 1000,
                })
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="bench this running app instead of starting one")
    ap.add_argument("--db", help="database URL to serve (not seeded); with --url: only to count its cases")
    ap.add_argument("--port", type=int, default=3130)
    ap.add_argument("--cases", type=int, default=2000, help="demo seed size when no --db is given")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--user", default="leader")
    ap.add_argument("--password", default="griddesk-demo")
    ap.add_argument("--pages", default="/dashboard,/cases")
    args = ap.parse_args()
    proc, base, db_url = None, args.url, args.db
    if not base:
        proc, base, db_url = start_app(args.port, args.db, args.cases)
    try:
        bench(base.rstrip("/"), args.runs, args.user, args.password, db_url, [p for p in args.pages.split(",") if p])
    finally:
        stop_app(proc)
        if proc is not None:
            shutil.rmtree(proc.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
