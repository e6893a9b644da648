"""Intake throughput: cases per second through the domain (`submit_case`, one
transaction each: classification, code, rollups, event, SMS) and through the
Open311 HTTP API in-process (FastAPI over ASGI, concurrent requests), beside a
bare insert of the same case rows (one transaction each) as the floor.

Prints one JSON line per measurement:
    .venv/bin/python bench/intake_bench.py [--n 500] [--dbs sqlite,postgresql] [--concurrency 8]
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from rxapp.db import engine_for, make_engine  # noqa: E402
from rxapp.domain import cases as C  # noqa: E402
from rxapp.domain.clock import now  # noqa: E402
from rxapp.domain.seed import seed  # noqa: E402
from rxapp.models import Area, AreaLevel, Case  # noqa: E402

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


async def http_intake(url: str, n: int, concurrency: int) -> float:
    import httpx

    os.environ["REFLEX_DB_URL"] = url
    engine_for.cache_clear()
    from rxapp.api.app import build_api
    from rxapp.domain.open311 import rate_limiter

    rate_limiter.reset()
    with Session(make_engine(url)) as s:
        grid_names = [name for (name,) in s.execute(select(Area.name).where(Area.level == AreaLevel.COMMUNITY).limit(20))]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--dbs", default="sqlite,postgresql")
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    for kind in [d for d in args.dbs.split(",") if d]:
        url, drop = new_db(kind)
        try:
            engine = make_engine(url)
            seed(engine, cases=200, grids_per_township=1, households_per_grid=(5, 5), random_seed=1)
            engine.dispose()
            # the demo key's per-minute limit would cap the HTTP run: lift it for the bench
            with make_engine(url).begin() as conn:
                conn.execute(text("UPDATE apikey SET rate_limit_per_minute = 1000000"))
            floor = bare_insert(url, args.n)
            print(json.dumps({"bench": "intake_floor_bare_insert", "db": kind, "n": args.n, "per_s": round(floor, 1)}), flush=True)
            dom = domain_intake(url, args.n)
            print(json.dumps({"bench": "intake_domain", "db": kind, "n": args.n, "per_s": round(dom, 1)}), flush=True)
            web = asyncio.run(http_intake(url, args.n, args.concurrency))
            print(
                json.dumps({"bench": "intake_open311_asgi", "db": kind, "n": args.n, "concurrency": args.concurrency, "per_s": round(web, 1)}),
                flush=True,
            )
        finally:
            engine_for.cache_clear()
            drop()


if __name__ == "__main__":
    main()
