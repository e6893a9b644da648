"""Intake throughput: cases per second through the domain (`submit_case`, one
transaction each: classification, code, rollups, event, SMS), through the
Open311 HTTP API in-process (FastAPI over ASGI, concurrent requests), in
group-commit batches during a flood (``post_requests``, half of every batch one
incident in one community, so hot-spot matching works on every case) and over
real HTTP (`wrk` POSTing to the app served by `reflex run --env prod
--backend-only` with N workers; PostgreSQL runs add Redis, as in production),
beside a bare insert of the same case rows (one transaction each) as the floor.
The HTTP run then counts the cases in the database: every 201 must be a case.

Prints one JSON line per measurement:
    .venv/bin/python bench/intake_bench.py [--n 500] [--dbs sqlite,postgresql] [--concurrency 8]
        [--http-seconds 15] [--http-connections 256] [--workers 2] [--redis redis://127.0.0.1:6379/7]
        [--flood-batch 16] [--skip floor,domain,asgi,flood]
"""

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from rxapp.db import engine_for, make_engine  # noqa: E402
from rxapp.domain import cases as C  # noqa: E402
from rxapp.domain.clock import now  # noqa: E402
from rxapp.domain.seed import seed  # noqa: E402
from rxapp.models import Area, AreaLevel, Case, HotspotCase  # noqa: E402

PG_ADMIN = os.environ.get("GRIDDESK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEXTS = [
    "小区旁边的工厂晚上排放废气，气味刺鼻，请环保部门查处",
    "村里路灯坏了好几个月，晚上出门很不方便",
    "邻居装修占用公共楼道，沟通多次没有结果",
    "我家渔船的证书快到期了，想问一下怎么续办",
    "公司拖欠工资三个月，老板一直推脱",
]


def new_db(kind: str) -> tuple[str, callable]:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp()) / "intake.db"
        return f"sqlite:///{path}", lambda: None
    name = f"griddesk_bench_intake_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def domain_intake(url: str, n: int) -> float:
    engine = make_engine(url)
    with Session(engine) as s:
        grids = [g for (g,) in s.execute(select(Area.id).where(Area.level == AreaLevel.GRID).limit(50))]
    t0 = time.perf_counter()
    for i in range(n):
        with Session(engine) as s:
            C.submit_case(
                s,
                actor=None,
                channel="api",
                data={
                    "content": f"{TEXTS[i % len(TEXTS)]}（{i}）",
                    "grid_id": grids[i % len(grids)],
                    "requester_phone": f"139{i:08d}",
                    "source_ref": f"bench-{uuid.uuid4().hex}",
                },
            )
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return n / elapsed


def bare_insert(url: str, n: int) -> float:
    engine = make_engine(url)
    with Session(engine) as s:
        grid = s.execute(select(Area.id).where(Area.level == AreaLevel.GRID).limit(1)).scalar_one()
    t0 = time.perf_counter()
    for i in range(n):
        at = now()
        with engine.begin() as conn:
            conn.execute(
                insert(Case).values(
                    code=f"BX{uuid.uuid4().hex[:12]}",
                    channel="api",
                    content=TEXTS[i % len(TEXTS)],
                    grid_id=grid,
                    submitted_at=at,
                    updated_at=at,
                    status="submitted",
                )
            )
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return n / elapsed


def _communities(engine, n: int = 20) -> list[str]:
    """The first ``n`` communities' names: the places the Open311 posts name."""
    with Session(engine) as s:
        return [name for (name,) in s.execute(select(Area.name).where(Area.level == AreaLevel.COMMUNITY).order_by(Area.id).limit(n))]


async def asgi_intake(url: str, n: int, concurrency: int) -> float:
    import httpx

    os.environ["REFLEX_DB_URL"] = url
    engine_for.cache_clear()
    from rxapp.api.app import build_api
    from rxapp.domain.open311 import rate_limiter

    rate_limiter.reset()
    grid_names = _communities(make_engine(url))
    transport = httpx.ASGITransport(app=build_api())
    sem = asyncio.Semaphore(concurrency)
    ok = 0

    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def one(i: int):
            nonlocal ok
            async with sem:
                r = await client.post(
                    "/api/open311/v2/requests.json",
                    data={
                        "api_key": "griddesk-demo-key",
                        "service_code": "ENV",
                        "description": f"{TEXTS[i % len(TEXTS)]}（{i}）",
                        "address_string": grid_names[i % len(grid_names)],
                        "phone": f"138{i:08d}",
                    },
                )
                ok += r.status_code == 201

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - t0
    return ok / elapsed


FLOOD_TEXTS = [  # one matter, many residents: a burst that hot-spot matching groups
    "海滨路那边的海堤塌了一段，涨潮时海水漫上路面，很危险",
    "海滨路海堤有一段倒塌了，潮水都冲到路上来了，赶紧派人看看",
    "我们小区旁边海堤塌了，晚上涨潮水漫进来，老人小孩出门危险",
    "海堤塌方，海滨路被海水淹了，请尽快处理",
]


def flood_intake(url: str, n: int, batch: int) -> tuple[float, int]:
    """Open311 batches as the group commit takes them (``post_requests``, one
    transaction each), half of every batch reporting one incident in one
    community (a flood), the rest spread over 20 communities: each case is
    also matched against the hot spots of its place."""
    from rxapp.domain import open311 as O

    os.environ["REFLEX_DB_URL"] = url
    os.environ["REFLEX_REDIS_URL"] = ""
    engine_for.cache_clear()
    O.rate_limiter.reset()
    engine = make_engine(url)
    places = _communities(engine)
    posts = []
    for i in range(n):
        if i % 2:
            params = {"service_code": "ENV", "description": f"{TEXTS[i % len(TEXTS)]}（{i}）", "address_string": places[i % len(places)]}
        else:
            params = {"service_code": "INFRA", "description": FLOOD_TEXTS[i % len(FLOOD_TEXTS)], "address_string": places[0]}
        posts.append(("griddesk-demo-key", {**params, "phone": f"139{i:08d}"}))
    ok = 0
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        with Session(engine) as s:
            ok += sum(isinstance(a, list) for a in O.post_requests(s, posts[start:start + batch]))
    elapsed = time.perf_counter() - t0
    with Session(engine) as s:
        grouped = s.execute(select(func.count()).select_from(HotspotCase)).scalar_one()
    engine.dispose()
    if ok != n:
        raise SystemExit(f"flood: {n - ok} of {n} posts refused")
    return n / elapsed, grouped


WRK_LUA = """
local n = 0
local threads = {}
local id = 0
function setup(thread)
  id = id + 1
  thread:set("tid", id)
  table.insert(threads, thread)
end
function init(args)
  created = 0
  other = 0
end
request = function()
  n = n + 1
  local phone = string.format("13%d%08d", tid % 10, n)
  local body = BODIES[(n % #BODIES) + 1] .. "&phone=" .. phone
  return wrk.format("POST", "/api/open311/v2/requests.json", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
response = function(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end
done = function(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  io.write(string.format("RESULT created=%d other=%d p50_us=%d p95_us=%d p99_us=%d\\n", c, o,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_intake(url: str, *, seconds: int, connections: int, workers: int, redis_url: str | None) -> dict:
    """wrk against the real app (backend only: the API needs no frontend)."""
    with Session(make_engine(url)) as s:
        names = [n for (n,) in s.execute(select(Area.name).where(Area.level == AreaLevel.COMMUNITY).limit(40))]
        before = s.execute(select(func.count()).select_from(Case).where(Case.channel == "api")).scalar_one()
    bodies = [
        urllib.parse.urlencode(
            {"api_key": "griddesk-demo-key", "service_code": "ENV", "description": f"{TEXTS[i % len(TEXTS)]}（{i}）", "address_string": names[i % len(names)]}
        )
        for i in range(40)
    ]
    lua = Path(tempfile.mkdtemp()) / "post.lua"
    lua.write_text("BODIES = {" + ",".join(json.dumps(b) for b in bodies) + "}\n" + WRK_LUA)
    port = _free_port()
    env = {**os.environ, "REFLEX_DB_URL": url, "GRANIAN_WORKERS": str(workers), "GRIDDESK_ORIGINS": f"http://localhost:{port}"}
    if redis_url:
        env["REFLEX_REDIS_URL"] = redis_url
    else:
        env.pop("REFLEX_REDIS_URL", None)
    log = open(lua.parent / "server.log", "w")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/reflex"), "run", "--env", "prod", "--backend-only", "--backend-port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 180
        while True:
            try:
                with urllib.request.urlopen(base + "/api/open311/v2/services.json", timeout=3) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"server did not start; see {log.name}")
            time.sleep(1)
        # warm every worker (imports, classifier model, connection pools)
        subprocess.run(["wrk", "-t2", "-c8", "-d3s", "-s", str(lua), base], capture_output=True, check=True)
        with Session(make_engine(url)) as s:
            before = s.execute(select(func.count()).select_from(Case).where(Case.channel == "api")).scalar_one()
        run = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(lua), base],
            capture_output=True, text=True, check=True,
        )
        m = re.search(r"RESULT created=(\d+) other=(\d+) p50_us=(\d+) p95_us=(\d+) p99_us=(\d+)", run.stdout)
        secs = float(re.search(r"requests in ([\d.]+)(m?s)", run.stdout).group(1))
        unit = re.search(r"requests in ([\d.]+)(m?s)", run.stdout).group(2)
        secs = secs / 1000 if unit == "ms" else secs
        created, other = int(m.group(1)), int(m.group(2))
        time.sleep(1)  # let requests wrk gave up on at the end finish
        with Session(make_engine(url)) as s:
            after = s.execute(select(func.count()).select_from(Case).where(Case.channel == "api")).scalar_one()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    return {
        "created_per_s": round(created / secs, 1),
        "created": created,
        "errors": other,
        "cases_written": after - before,
        "p50_ms": int(m.group(3)) / 1000,
        "p95_ms": int(m.group(4)) / 1000,
        "p99_ms": int(m.group(5)) / 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--dbs", default="sqlite,postgresql")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--http-seconds", type=int, default=15, help="0 skips the real-HTTP run")
    ap.add_argument("--http-connections", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/7", help="state manager and shared rate limit for the PostgreSQL run")
    ap.add_argument("--skip", default="", help="comma list of floor,domain,asgi,flood to leave out")
    ap.add_argument("--flood-batch", type=int, default=16, help="posts per group-commit batch in the flood run")
    args = ap.parse_args()
    os.environ.setdefault("GRIDDESK_DEMO", "1")  # the seed's demo Open311 key signs every post
    skip = set(args.skip.split(","))
    for kind in [d for d in args.dbs.split(",") if d]:
        url, drop = new_db(kind)
        try:
            engine = make_engine(url)
            seed(engine, cases=200, grids_per_township=1, households_per_grid=(5, 5), random_seed=1)
            engine.dispose()
            # the demo key's per-minute limit would cap the HTTP run: lift it for the bench
            with make_engine(url).begin() as conn:
                conn.execute(text("UPDATE apikey SET rate_limit_per_minute = 1000000"))
            if "floor" not in skip:
                floor = bare_insert(url, args.n)
                print(json.dumps({"bench": "intake_floor_bare_insert", "db": kind, "n": args.n, "per_s": round(floor, 1)}), flush=True)
            if "domain" not in skip:
                dom = domain_intake(url, args.n)
                print(json.dumps({"bench": "intake_domain", "db": kind, "n": args.n, "per_s": round(dom, 1)}), flush=True)
            if "asgi" not in skip:
                web = asyncio.run(asgi_intake(url, args.n, args.concurrency))
                print(
                    json.dumps({"bench": "intake_open311_asgi", "db": kind, "n": args.n, "concurrency": args.concurrency, "per_s": round(web, 1)}),
                    flush=True,
                )
            if "flood" not in skip:
                flood, grouped = flood_intake(url, args.n, args.flood_batch)
                print(json.dumps({"bench": "intake_open311_flood", "db": kind, "n": args.n, "batch": args.flood_batch, "per_s": round(flood, 1),
                                  "cases_in_hot_spots": grouped}), flush=True)
            if args.http_seconds > 0:
                redis_url = args.redis if kind == "postgresql" else None
                if redis_url:
                    import redis

                    redis.Redis.from_url(redis_url).flushdb()
                got = http_intake(url, seconds=args.http_seconds, connections=args.http_connections, workers=args.workers, redis_url=redis_url)
                print(
                    json.dumps(
                        {"bench": "intake_open311_http", "db": kind, "workers": args.workers, "redis": bool(redis_url), "connections": args.http_connections, "seconds": args.http_seconds, **got}
                    ),
                    flush=True,
                )
        finally:
            engine_for.cache_clear()
            drop()


if __name__ == "__main__":
    main()
