"""Benchmark the grid map (网格一张图) in Chromium: geometry payload of the
city-scope map, its render time, and the scope-change round trip, beside a
floor measured in the same run (the /login page render).

Seeds a SQLite database (``rxapp.seed``, the demo grid count unless
``--grids-per-township``), serves it with ``reflex run --env prod`` on
``--port`` (or benches ``--url``), signs in as the city leader and prints JSON lines:

    {"bench": "floor_login_render", "median_ms": …}
    {"bench": "map_city_payload", "fig_bytes": …, "geometry_bytes": …, "traces": …}
    {"bench": "map_city_render", "median_ms": …, "max_ms": …}   # figure frame received → plot drawn
    {"bench": "map_scope_change", "cache": "cold|warm", "median_ms": …, "max_ms": …}  # click on an area → its map drawn
    {"bench": "map_scope_server", "cache": "cold|warm", "median_ms": …, "max_ms": …}  # event sent → delta received
    {"bench": "requests_outside_app", "count": …}

    .venv/bin/python bench/map_bench.py [--port 3130] [--cases 2000] [--runs 7] [--url http://localhost:3130]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]


def out(row: dict) -> None:
    print(json.dumps(row, ensure_ascii=False), flush=True)


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.status == 200
    except Exception:
        return False


def start_app(port: int, cases: int, grids: int | None) -> tuple[subprocess.Popen, str]:
    db = Path(tempfile.mkdtemp(prefix="map-bench-")) / "bench.db"
    url = f"sqlite:///{db}"
    cmd = [sys.executable, "-m", "rxapp.seed", "--cases", str(cases), "--db", url, "--random-seed", "7"]
    if grids:
        cmd += ["--grids-per-township", str(grids)]
    demo = {**os.environ, "GRIDDESK_DEMO": "1"}  # the demo accounts this bench signs in with
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=demo)
    return serve_app(port, url, db.parent / "server.log")


def serve_app(port: int, url: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    """``reflex run --env prod`` on ``port`` serving the database ``url`` (demo mode), once it answers."""
    env = {**os.environ, "GRIDDESK_DEMO": "1", "REFLEX_DB_URL": url, "GRIDDESK_ORIGINS": f"http://localhost:{port},http://127.0.0.1:{port}"}
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/reflex"), "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://localhost:{port}"
    deadline = time.time() + 900
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app exited; see {log.name}")
        if _up(base + "/_health") and _up(base + "/login"):
            return proc, base
        time.sleep(2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("app did not come up")


def bench(base: str, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("GRIDDESK_CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox", "--disable-gpu"])
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        urls: list[str] = []
        page.on("request", lambda r: urls.append(r.url))
        frames: list[tuple[float, str, str]] = []  # (time, direction, text)

        def on_ws(ws):
            urls.append(ws.url)
            ws.on("framereceived", lambda f: frames.append((time.perf_counter(), "in", f if isinstance(f, str) else "")))
            ws.on("framesent", lambda f: frames.append((time.perf_counter(), "out", f if isinstance(f, str) else "")))

        page.on("websocket", on_ws)

        # floor: the login page drawn
        floor = []
        for _ in range(runs):
            t0 = time.perf_counter()
            page.goto(base + "/login")
            page.wait_for_selector("#username")
            floor.append((time.perf_counter() - t0) * 1000)
        out({"bench": "floor_login_render", "median_ms": round(statistics.median(floor), 1), "runs": runs})

        page.fill("#username", "leader")
        page.fill("#password", "griddesk-demo")
        page.click("#login-submit")
        page.wait_for_selector("#user-name", timeout=60000)

        render, fig_bytes, geometry_bytes, traces = [], 0, 0, 0
        for _ in range(runs):
            frames.clear()
            page.goto(base + "/map")
            page.wait_for_function("() => { const gd = document.getElementById('grid-map'); return gd && gd._fullData && gd._fullData.length > 3; }", timeout=60000, polling="raf")
            drawn = time.perf_counter()
            figs = [(t, f) for t, d, f in frames if d == "in" and "fig_rx_state_" in f]
            if figs:
                render.append((drawn - figs[-1][0]) * 1000)
                fig_bytes = len(figs[-1][1].encode())
            data = page.evaluate("() => document.getElementById('grid-map').data.map(t => [t.fill || '', JSON.stringify([t.x, t.y]).length])")
            geometry_bytes = sum(n for fill, n in data if fill == "toself")
            traces = len(data)
        out({"bench": "map_city_payload", "fig_bytes": fig_bytes, "geometry_bytes": geometry_bytes, "traces": traces, "budget_bytes": 300_000})
        out({"bench": "map_city_render", "median_ms": round(statistics.median(render), 1), "max_ms": round(max(render), 1), "runs": len(render)})

        # scope change: click a district in the table (the map's zoom) and back to the city
        rows = page.locator("#map-areas tbody tr")
        names = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
        # each area twice: the first visit computes its map (cold), the second is the shared one (warm)
        round_trip, server = {"cold": [], "warm": []}, {"cold": [], "warm": []}
        for i in range(2 * len(names)):
            name = names[i // 2]
            kind = "cold" if i % 2 == 0 else "warm"
            frames.clear()
            t0 = time.perf_counter()
            page.locator("#map-areas").get_by_text(name, exact=True).click()
            page.wait_for_function("(n) => document.getElementById('map-scope').innerText.includes(n)", arg=name, timeout=30000, polling="raf")
            page.wait_for_function("() => { const gd = document.getElementById('grid-map'); return gd && gd._fullData && gd._fullData.length > 3; }", timeout=30000, polling="raf")
            round_trip[kind].append((time.perf_counter() - t0) * 1000)
            sent = next((t for t, d, f in frames if d == "out" and ".set_area" in f), None)
            got = next((t for t, d, f in frames if d == "in" and "rows_rx_state_" in f and (sent is None or t > sent)), None)
            if sent is not None and got is not None:
                server[kind].append((got - sent) * 1000)
            page.goto(base + "/map")
            page.wait_for_selector("#map-areas tbody tr", timeout=30000)
        for kind in ("cold", "warm"):
            rt, sv = round_trip[kind], server[kind]
            out({"bench": "map_scope_change", "cache": kind, "median_ms": round(statistics.median(rt), 1), "max_ms": round(max(rt), 1), "runs": len(rt)})
            if sv:
                out({"bench": "map_scope_server", "cache": kind, "median_ms": round(statistics.median(sv), 1), "max_ms": round(max(sv), 1), "runs": len(sv)})
        host = urlparse(base)
        outside = [u for u in urls if not u.startswith(("data:", "blob:")) and (urlparse(u).hostname != host.hostname or urlparse(u).port != host.port)]
        out({"bench": "requests_outside_app", "count": len(outside), "examples": outside[:3]})
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="bench this running app instead of starting one")
    ap.add_argument("--port", type=int, default=3130)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--grids-per-township", type=int, default=0, help="0: the seed's demo count")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    proc = None
    base = args.url
    if not base:
        proc, base = start_app(args.port, args.cases, args.grids_per_township or None)
    try:
        bench(base.rstrip("/"), args.runs)
    finally:
        stop_app(proc)


def stop_app(proc: subprocess.Popen | None) -> None:
    """Stop an app this bench started (its whole process group)."""
    if proc is None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
