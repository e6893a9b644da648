"""`reflex db migrate` brings an empty database exactly to the models, on
SQLite and on PostgreSQL (so a schema change always comes with a migration)."""

import os
import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import rxapp.models  # noqa: F401
from rxapp.db import make_engine
from tests.conftest import BACKENDS, _new_database

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=BACKENDS)
def migrated_url(request, tmp_path):
    url, drop = _new_database(request.param, tmp_path)
    env = {**os.environ, "REFLEX_DB_URL": url}
    result = subprocess.run(
        [str(ROOT / ".venv/bin/reflex"), "db", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    yield url
    drop()


def test_migrations_build_the_whole_schema(migrated_url):
    engine = make_engine(migrated_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _names_en_migration():
    import importlib.util

    spec = importlib.util.spec_from_file_location("h15en_reference_names_en", ROOT / "alembic/versions/h15en_reference_names_en.py")
    mig = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mig)
    return mig


@pytest.mark.parametrize("backend", BACKENDS)
def test_reference_names_en_migration_fills_empty_english_names_only(backend, tmp_path):
    from alembic import command
    from sqlalchemy import text

    url, drop = _new_database(backend, tmp_path)
    cfg = _alembic_config(url)
    engine = make_engine(url)
    try:
        command.upgrade(cfg, _names_en_migration().down_revision)  # the schema just before it
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO department (id, code, name_zh, name_en, active) VALUES (1, 'ENV', '生态环境局', '', true), (2, 'X', '某局', '', true)"))
            conn.execute(text(
                "INSERT INTO category (code, name_zh, name_en, deadline_workdays, department_id, keywords, from_report, active, sort, version) VALUES "
                "('ENV', '环境保护', '', 5, 1, '', false, true, 0, 1), ('HEALTH', '医疗卫生', 'Clinics', 5, 1, '', false, true, 1, 1)"
            ))
        command.upgrade(cfg, "h15en_reference_names_en")
        with engine.connect() as conn:
            cats = dict(conn.execute(text("SELECT code, name_en FROM category")).all())
            deps = dict(conn.execute(text("SELECT name_zh, name_en FROM department")).all())
        assert cats == {"ENV": "Environmental protection", "HEALTH": "Clinics"}  # a name set by hand stays
        assert deps == {"生态环境局": "Ecology and Environment Bureau", "某局": ""}  # not reference data: left alone
    finally:
        engine.dispose()
        drop()


def test_reference_names_en_migration_matches_the_shipped_reference_data():
    from rxapp.domain.reference import read_csv

    mig = _names_en_migration()
    rows = read_csv("categories.csv")
    assert mig.CATEGORIES == {r["code"]: r["name_en"] for r in rows}
    assert mig.DEPARTMENTS == {r["department_zh"]: r["department_en"] for r in rows}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_h18b_migration_fills_its_rollups_as_a_rebuild_does(backend, tmp_path):
    """h18b re-keys ``rolluphandling`` by category and department and refills it
    from ``casehandling``, and fills ``rollupteamfilter`` from the cases: down
    and up again gives back what a rebuild wrote; down alone keeps the same
    histogram totals per (area, month, bin)."""
    from datetime import datetime

    from alembic import command
    from sqlalchemy import text
    from sqlmodel import Session

    from rxapp.domain.rollup import dump_rollups
    from rxapp.domain.seed import seed

    url, drop = _new_database(backend, tmp_path)
    cfg = _alembic_config(url)
    engine = make_engine(url)
    try:
        command.upgrade(cfg, "head")
        seed(engine, cases=600, grids_per_township=2, households_per_grid=(5, 8), now=datetime(2026, 11, 30, 10), random_seed=5)
        with Session(engine) as s:
            rebuilt = dump_rollups(s)["rolluphandling"]
            teams = dump_rollups(s)["rollupteamfilter"]
        assert rebuilt and {k[2] for k in rebuilt} - {0}  # rows per category
        totals: dict = {}
        for (area, month, _cat, _dept, b), (n,) in rebuilt.items():
            totals[(area, month, b)] = totals.get((area, month, b), 0) + n
        command.downgrade(cfg, "h15en_reference_names_en")
        with engine.connect() as conn:
            old = {(a, m, b): n for a, m, b, n in conn.execute(text("SELECT area_id, month, bin, n FROM rolluphandling")).all()}
        assert old == totals
        command.upgrade(cfg, "head")
        with Session(engine) as s:
            dumped = dump_rollups(s)
            assert dumped["rolluphandling"] == rebuilt
            assert dumped["rollupteamfilter"] == teams and teams  # from the cases, as a rebuild sums them
    finally:
        engine.dispose()
        drop()
