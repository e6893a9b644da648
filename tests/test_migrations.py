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
