"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

Each test gets a session inside a transaction that is rolled back afterwards,
so tests never see each other's rows. Tests that need real concurrent
connections use ``fresh_engine`` (a whole new database)."""

import os
import tempfile
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import rxapp.models  # noqa: F401  (registers the tables)
from rxapp.db import make_engine

# photos written by any test (seed included) go to a scratch directory, never ./media
os.environ.setdefault("GRIDDESK_MEDIA_DIR", tempfile.mkdtemp(prefix="griddesk-test-media-"))
# the suite runs on demo data (demo accounts, key and webhook secret): demo mode;
# tests of the refusal outside demo mode unset it themselves
os.environ.setdefault("GRIDDESK_DEMO", "1")

PG_ADMIN_URL = os.environ.get("GRIDDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("GRIDDESK_TEST_DBS", "sqlite,postgresql").split(",") if b]


def _new_database(backend: str, tmp_dir) -> tuple[str, callable]:
    if backend == "sqlite":
        path = tmp_dir / f"griddesk-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}", lambda: None
    name = f"griddesk_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request, tmp_path_factory) -> Iterator[str]:
    url, drop = _new_database(request.param, tmp_path_factory.mktemp("db"))
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    drop()


@pytest.fixture(scope="session")
def engine(db_url) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session whose commits land in savepoints of one outer transaction
    that is rolled back at the end of the test."""
    conn = engine.connect()
    outer = conn.begin()
    sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield sess
    finally:
        sess.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def fresh_engine(request, tmp_path) -> Iterator[Engine]:
    """A brand-new database per test (for tests that commit across connections).
    Parametrised over the backends by ``pytest_generate_tests`` below."""
    backend = getattr(request, "param", "sqlite")
    url, drop = _new_database(backend, tmp_path)
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()
    drop()


def pytest_generate_tests(metafunc):
    if "fresh_engine" in metafunc.fixturenames:
        metafunc.parametrize("fresh_engine", BACKENDS, indirect=True)


@pytest.fixture
def world(session):
    from tests.factories import make_world

    return make_world(session)


@pytest.fixture(scope="session")
def state_db(tmp_path_factory):
    """A committed SQLite database holding the test world, for state and API
    tests: those open their own sessions through ``rxapp.db.get_engine``
    (``REFLEX_DB_URL``), as the running app does. Returns the world's ids."""
    from rxapp.db import engine_for
    from tests.factories import make_world

    path = tmp_path_factory.mktemp("statedb") / "state.db"
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    with Session(eng, expire_on_commit=False) as s:
        world = make_world(s)
        s.commit()
    eng.dispose()
    old = os.environ.get("REFLEX_DB_URL")
    os.environ["REFLEX_DB_URL"] = url
    engine_for.cache_clear()
    yield world
    if old is None:
        os.environ.pop("REFLEX_DB_URL", None)
    else:
        os.environ["REFLEX_DB_URL"] = old
    engine_for.cache_clear()


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def login_token(state_db):
    """login_token("leader") -> a real session token for that demo user."""
    from rxapp.db import get_engine
    from rxapp.domain.auth import login
    from tests.factories import PASSWORD

    def make(username: str) -> str:
        with Session(get_engine()) as s:
            return login(s, username=username, password=PASSWORD).token

    return make


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in
    the main thread for the rest of the session, which async (anyio) tests
    cannot share. Integration tests (tests/integration: their own app server on
    PostgreSQL + Redis, torn down with their package) just before them, in one
    block, so the two app servers never run at the same time."""

    def rank(item) -> int:
        if item.get_closest_marker("browser") is not None:
            return 2
        return 1 if item.get_closest_marker("integration") is not None else 0

    items.sort(key=rank)
