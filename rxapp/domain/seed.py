"""Realistic, deterministic demo and load-test data for GridDesk.

``seed(engine, cases=N)`` fills an empty database (or, with ``reset=True``,
empties every GridDesk table first) with Zhoushan data:

* the reference data (``load_reference``: city, 4 districts, 36 townships,
  14 categories, departments);
* per township ``grids_per_township`` grids in communities (社区 under a 街道,
  村 under a 镇 / 乡) of 1-2 grids each; a service team per grid with ~9
  roster members (组长 + 成员, party members among them); 100-150 households
  per grid with 1-4 residents each (skills, specialties, party members, needs),
  every household linked to a party member of its team (联户);
* the demo accounts of DESIGN.md (password ``griddesk-demo``), one department
  user per department (``dept_<code>``), one dispatcher per district
  (``dispatcher_<district>``) and the demo Open311 key ``griddesk-demo-key``;
* **roster logins**: every team other than the demo ``member``'s gets a login
  row ``m<team id>`` (role member, scoped to its grid, linked to the team's
  组长) whose password hash is ``UNUSABLE_PASSWORD`` — nobody can log in with
  it, but diaries, visits and follow-ups need a user as their author, and this
  keeps the per-team diary / visit counts realistic for *every* team;
* N cases over the last ``months`` months ending at ``now``, each with its full
  ``CaseEvent`` timeline exactly as ``rxapp.domain.cases`` would write it
  (same actions, statuses, labels and notes), requester SMS (status ``kept``),
  requester evaluations, codes ``ZS+yyyymmdd+nnnn`` and the ``CodeCounter``;
* 民情日记 with visits for the last 3 months, 户代表会议 / 为民解困恳谈 /
  政企恳谈 meetings with their items (answered or turned into cases), and
  monthly team evaluations (self, peer, household representatives);
* every community's notice board (公示栏) of the last 3 full months, published
  by the city leader (``publish_demo_boards``), so /public/board has data.

Everything derives from ``random.Random(random_seed)`` and ``now``: the same
arguments give the same rows, ids included (names: Faker's zh_CN surname
frequencies with given names by gender and generation, drawn from that same
generator). The wall clock is read only when ``now`` is not given.

The case mix: categories weighted (ENV, INFRA, DISPUTE, RELIEF, LEGAL most
common; FISH in the fishing townships, AGRI / LAND in 镇 and 乡), channels
mostly desk / phone / visit; ~2% rejected, ~1% duplicates, ~6% of hand-routed
cases returned once and re-routed, ~2-6% extensions (3 in 4 approved), ~4.5%
resolved late (most of those supervised), ~3.5% of evaluations 不满意 (the
first reopens the case), a few dispatcher-answered (即接即办) cases. Each
case's timeline is simulated in full and cut at ``now``, so the newest cases
sit in every open state; a handful are forced recent ones (one per open
state) and a few "stuck" ones 25-45 days old stay open and overdue.

Speed: rows are built as tuples with explicit primary keys and written in
batches by a writer thread (SQLite and the network release the GIL, so the
database works while Python builds the next batch) — ``executemany`` on
SQLite (foreign-key checks off and a rollback journal instead of WAL during
the load, all in one transaction) and ``COPY`` on PostgreSQL (FK triggers off
when superuser, sequences moved past the explicit ids); on both the secondary
indexes of the big tables are dropped for the load and built after it.
Where ``os.fork`` exists the rows are generated in a forked process (after
the reference data are read: the generation reads nothing from the database)
and sent down a pipe (``marshal``) to this one, which writes them on its
connection, in its transaction: generation and writing then run on two cores,
not in turns under one GIL.  ``seed(..., fork=False)`` keeps it all
in one process; the rows are the same.
Deadlines are cached per (day, working days); the password is hashed once.
"""

from __future__ import annotations

import gc
import marshal
import multiprocessing
import os
import pickle
import queue
import random
import signal

import numpy as np
import threading
import time as _time
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from operator import itemgetter
from string import Formatter

from faker.providers.person.zh_CN import Provider as _ZhPerson
from sqlalchemy import Table, inspect
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

import rxapp.models as M
from rxapp.domain import clock
from rxapp.domain import seed_text as T
from rxapp.domain.cases import CHANNEL_ZH, PUBLIC_LABEL, SATISFACTION_ZH, SYSTEM_LABEL
from rxapp.domain.classify import AUTO_ACCEPT_CONFIDENCE, classify
from rxapp.domain.media.seed import seed_media
from rxapp.domain.geo.land import seat_of, township_land
from rxapp.domain.geo.shapes import area_columns, stored
from rxapp.domain.geo.tessellate import points_in, tessellate_township
from rxapp.domain.hotspots.detector import replay_detector
from rxapp.domain.holidays import load_overrides
from rxapp.domain.rollup import MODELS as ROLLUP_MODELS
from rxapp.domain.rollup import WorkClock, bin_of, rebuild_rollups
from rxapp.domain.reference import load_reference, read_csv
from rxapp.domain.security import UNUSABLE_PASSWORD, hash_password, token_digest
from rxapp.domain.sms import SIGNATURE
from rxapp.domain.sms import TEMPLATES as SMS_TEMPLATES
from rxapp.domain.workdays import add_workdays, is_workday, parse_schedule_text
from rxapp.domain.demo import DEMO_API_KEY, DEMO_PASSWORD, demo_mode  # noqa: F401  (demo credentials only with GRIDDESK_DEMO=1)

MAX_CASES = 5_000_000  # codes hold 9,999 cases a day
MAX_GRIDS_PER_TOWNSHIP = 100

Progress = Callable[[str, int, int], None]

# Stages reported to ``progress(stage, done, total)``.
STAGE_PEOPLE = "网格、团队与住户"
STAGE_WORK = "民情日记与恳谈会"
STAGE_CASES = "诉求"
STAGE_FINISH = "索引与收尾"


class SeedRefused(Exception):
    """The database already holds GridDesk data and ``reset`` was not asked for."""


@dataclass
class SeedStats:
    cases: int = 0
    households: int = 0
    residents: int = 0
    grids: int = 0
    communities: int = 0
    teams: int = 0
    team_members: int = 0
    users: int = 0
    case_events: int = 0
    sms: int = 0
    evaluations: int = 0
    diaries: int = 0
    visits: int = 0
    meetings: int = 0
    meeting_items: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)


# ----------------------------------------------------------------------------
# Database helpers
# ----------------------------------------------------------------------------
def all_tables() -> list[Table]:
    """GridDesk tables, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def count_cases(engine: Engine) -> int:
    """Number of cases (0 when the table does not exist yet)."""
    if not inspect(engine).has_table("case"):
        return 0
    with engine.connect() as conn:
        return int(conn.exec_driver_sql('SELECT count(*) FROM "case"').scalar_one())


def _empty_tables(conn: Connection, dialect: str) -> None:
    existing = set(inspect(conn).get_table_names())
    tables = [t.name for t in all_tables() if t.name in existing]
    if not tables:
        return
    if dialect == "postgresql":
        conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    else:
        for name in reversed(tables):
            conn.exec_driver_sql(f'DELETE FROM "{name}"')


# Secondary indexes of the big tables are dropped for the load and built again
# after it, on both databases: a sorted build beats row-by-row upkeep. (On
# SQLite ``case`` carries 23 indexes, most led by a column other than time:
# their upkeep made the case inserts cost 4x their CPU without them.)
# (``casehandling`` with its 10 indexes kept live measured the same at 1M cases
# on SQLite, 2026-12-07: 209.8 s against 212.9 s, the load's CPU growing by what
# the build after it saves.)
REBUILD_TABLES = ("case", "caseevent", "sms", "evaluation", "household", "resident", "visit", "diary", "casehandling")
# (An earlier version kept the case indexes during a forked load, their upkeep
# thought to fit beside the generation. Measured at 1M cases on SQLite on
# 2026-12-07, the writer was the critical path: the case inserts took 72 s with
# their 19 indexes against 21 s without, where building them after takes ~43 s,
# and the generation alone 58-69 s: the whole seed 203-212 s -> 178.8-183.9 s.)
# The forked generator pays off from about here: at 100k cases (full city) 33.6 s
# against 40.9 s in one process; with every index built after the load, the
# 40k-case demo (3 grids a township) too: 9.3-10.5 s against 11.0-11.7 s in one
# process (SQLite, quiet machine, three runs each, 2026-12-07).
FORK_MIN_CASES = 20_000


def _drop_indexes(conn: Connection) -> list:
    dropped = []
    for table in all_tables():
        if table.name in REBUILD_TABLES:
            for idx in table.indexes:
                if not idx.unique:
                    conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{idx.name}"')
                    dropped.append(idx)
    return dropped


def _create_indexes(conn: Connection, indexes: list) -> None:
    from sqlalchemy.schema import CreateIndex

    for idx in indexes:
        conn.execute(CreateIndex(idx, if_not_exists=True))


def _refuse_if_populated(conn: Connection) -> None:
    n = conn.exec_driver_sql('SELECT count(*) FROM "case"').scalar_one()
    if n:
        raise SeedRefused(f"database already has {n} cases; use --reset to replace them (or --if-empty to skip)")
    for table, label in (("user", "users"), ("household", "households"), ("team", "teams")):
        if conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one():
            raise SeedRefused(f"database already has {label} but no cases; use --reset to replace everything")
    if conn.exec_driver_sql("SELECT count(*) FROM area WHERE level IN ('community', 'grid')").scalar_one():
        raise SeedRefused("database already has communities / grids; use --reset to replace everything")


class _Sink:
    """Writes row tuples with explicit ids: executemany on SQLite, COPY on PostgreSQL.

    Columns a writer leaves out get the model's scalar default (or NULL), so a
    column added to a model later does not break the seed silently: a
    NOT NULL column without a default raises here."""

    def __init__(self, conn: Connection, dialect: str, threaded: bool = True):
        self.raw = conn.connection.driver_connection
        self.sqlite = dialect == "sqlite"
        self.specs: dict[str, tuple[str, tuple]] = {}
        self.counts: Counter[str] = Counter()
        # A writer thread overlaps the database's own work (SQLite and the
        # network release the GIL) with building the next batch in Python.
        self._queue: queue.Queue | None = None
        self._error: BaseException | None = None
        if threaded:
            self._queue = queue.Queue(maxsize=8)
            self._thread = threading.Thread(target=self._drain, name="seed-writer", daemon=True)
            self._thread.start()

    def define(self, table: Table, cols: tuple[str, ...]) -> None:
        known = set(table.columns.keys())
        unknown = [c for c in cols if c not in known]
        if unknown:
            raise RuntimeError(f"seed writes unknown columns {table.name}.{unknown}")
        extra_names, extra = [], []
        for col in table.columns:
            if col.name in cols:
                continue
            default = col.default
            if default is not None and getattr(default, "is_scalar", False):
                extra.append(default.arg)
            elif col.nullable:
                extra.append(None)
            else:
                raise RuntimeError(f"seed does not fill {table.name}.{col.name}")
            extra_names.append(col.name)
        names = list(cols) + extra_names
        quoted = ", ".join(f'"{n}"' for n in names)
        if self.sqlite:
            sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
        else:
            sql = f'COPY "{table.name}" ({quoted}) FROM STDIN'
        self.specs[table.name] = (sql, tuple(extra))

    def write(self, table: str, rows: list[tuple]) -> None:
        """Queue ``rows`` (the caller must not touch the list afterwards)."""
        if not rows:
            return
        self.counts[table] += len(rows)
        if self._queue is None:
            self._write(table, rows)
            return
        if self._error is not None:
            raise self._error
        self._queue.put((table, rows))

    def close(self, raise_errors: bool = True) -> None:
        """Wait until everything queued is written."""
        if self._queue is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if raise_errors and self._error is not None:
            raise self._error

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:  # after an error keep draining so the producer never blocks
                try:
                    self._write(*item)
                except BaseException as exc:  # re-raised in the producer's thread
                    self._error = exc

    def _write(self, table: str, rows: list[tuple]) -> None:
        sql, extra = self.specs[table]
        if extra:
            rows = [r + extra for r in rows]
        if self.sqlite:
            cur = self.raw.cursor()
            try:
                cur.executemany(sql, rows)
            finally:
                cur.close()
        else:
            with self.raw.cursor() as cur, cur.copy(sql) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)


_MSG_PROGRESS, _MSG_DONE, _MSG_ERROR, _MSG_END = 1, 2, 3, 4  # table names are the other messages' tags


def _dumps(msg) -> bytes:
    try:  # rows of str / int / float / None: marshal is the fastest both ways
        return b"m" + marshal.dumps(msg)
    except ValueError:  # an enum member, a dataclass, an exception
        return b"p" + pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes):
    return marshal.loads(data[1:]) if data[:1] == b"m" else pickle.loads(data[1:])


class _PipeSink:
    """The generator process's sink: sends each batch down the pipe to the real one,
    keeping the batches of the ``keep`` tables (the generator never touches a
    batch it has written) for the rollups the process computes afterwards."""

    def __init__(self, conn, keep: tuple[str, ...] = ()):
        self.conn = conn
        self.kept: dict[str, list[list[tuple]]] = {t: [] for t in keep}

    def write(self, table: str, rows: list[tuple]) -> None:
        if rows:
            self.conn.send_bytes(_dumps((table, rows)))
            kept = self.kept.get(table)
            if kept is not None:
                kept.append(rows)

    def progress(self, stage: str, done: int, total: int) -> None:
        self.conn.send_bytes(_dumps((_MSG_PROGRESS, (stage, done, total))))

    def finish(self, stats: "SeedStats") -> None:
        """Every generated row is sent: ``stats`` ends the generation."""
        self.conn.send_bytes(_dumps((_MSG_DONE, stats)))

    def end(self) -> None:
        """Nothing more follows (after the rollup rows)."""
        self.conn.send_bytes(_dumps((_MSG_END, None)))
        self.conn.close()

    def fail(self, exc: BaseException) -> None:
        try:
            data = _dumps((_MSG_ERROR, exc))
            _loads(data)
        except Exception:
            data = _dumps((_MSG_ERROR, RuntimeError(f"seed generator: {type(exc).__name__}: {exc}")))
        self.conn.send_bytes(data)
        self.conn.close()


ROLLUP_BATCH = 20_000


def _rollup_rows(kept: dict[str, list[list[tuple]]]):
    """The dashboard rollups of the ``case`` and ``casehandling`` batches in
    ``kept``, as ``rebuild_rollups(handling_given=True)`` computes them, in a
    private in-memory SQLite database: yields ``(table, rows)`` batches, every
    column in table order.  The forked generator runs this once its rows are
    sent (on SQLite), on the core the parent leaves idle while it builds the
    indexes (``test_seed_rollups`` compares the result with a rebuild in the
    target database).  ``kept`` is emptied as it is read."""
    from sqlalchemy import create_engine
    from sqlalchemy.schema import CreateTable

    engine = create_engine("sqlite://")
    try:
        with engine.connect() as conn:
            for table in (M.Case.__table__, M.CaseHandling.__table__, *(m.__table__ for m in ROLLUP_MODELS.values())):
                conn.execute(CreateTable(table))  # no secondary index: the rebuild only scans
            sink = _Sink(conn, "sqlite", threaded=False)
            sink.define(M.Case.__table__, CASE_COLS)
            sink.define(M.CaseHandling.__table__, HANDLING_COLS)
            for table, batches in kept.items():
                while batches:
                    sink.write(table, batches.pop())
            rebuild_rollups(Session(bind=conn), handling_given=True)
            raw = conn.connection.driver_connection
            for name, model in ROLLUP_MODELS.items():
                cols = ", ".join(f'"{c.name}"' for c in model.__table__.columns)
                cur = raw.execute(f'SELECT {cols} FROM "{name}"')
                while rows := cur.fetchmany(ROLLUP_BATCH):
                    yield name, rows
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------
# Column orders of the bulk rows
# ----------------------------------------------------------------------------
CASE_COLS = (
    "id", "code", "status", "channel", "content", "requester_name", "requester_phone", "requester_address",
    "requester_household_id", "category_id", "confidence", "classify_terms", "auto_accepted", "department_id",
    "district_id", "township_id", "community_id", "grid_id", "team_id", "lat", "lon", "submitted_at",
    "accepted_at", "routed_at", "signed_at", "resolved_at", "closed_at", "deadline", "deadline_provisional",
    "extension_requested_days", "extension_reason", "extended", "supervised", "flagged", "reopen_count",
    "return_count", "duplicate_of_id", "promise_text", "promise_due", "promise_owner", "result_text",
    "reject_reason", "satisfaction", "score", "evaluated_at", "followed_up_at", "visit_id", "meeting_item_id",
    "source_ref", "created_by_user_id", "updated_at", "version",
)
_CI = {name: i for i, name in enumerate(CASE_COLS)}
EVENT_COLS = ("id", "case_id", "at", "actor_user_id", "actor_label", "action", "from_status", "to_status", "note", "public", "version_after")
SMS_COLS = ("id", "direction", "phone", "text", "template", "case_id", "status", "attempts", "next_attempt_at",
            "last_error", "provider", "provider_msg_id", "created_at", "sent_at")
EVAL_COLS = ("id", "kind", "case_id", "team_id", "rater_user_id", "rater_team_id", "period", "satisfaction",
             "score", "reasonable", "cooperative", "comment", "created_at")
AREA_COLS = ("id", "name", "level", "code", "parent_id", "path", "sort", "geometry", "min_lon", "min_lat", "max_lon",
             "max_lat", "label_lon", "label_lat", "roads")
TEAM_COLS = ("id", "name", "grid_id", "township_id", "leader_name", "active")
MEMBER_COLS = ("id", "team_id", "name", "duty", "phone", "party_member", "user_id", "active")
USER_COLS = ("id", "username", "display_name", "role", "scope_area_id", "team_id", "department_id", "phone",
             "password_hash", "active", "failed_logins", "locked_until", "created_at", "version")
HOUSEHOLD_COLS = ("id", "address", "representative", "phone", "size", "needs", "notes", "grid_id", "community_id",
                  "party_member_id", "lon", "lat", "created_at", "version")
RESIDENT_COLS = ("id", "name", "gender", "birth_year", "relation", "phone", "skills", "specialties", "party_member",
                 "household_id", "grid_id", "id_number", "created_at", "version")
DIARY_COLS = ("id", "day", "heard", "done", "followups", "user_id", "team_id", "grid_id", "township_id",
              "leader_comment", "commented_by_user_id", "commented_at", "created_at", "version")
VISIT_COLS = ("id", "diary_id", "household_id", "user_id", "team_id", "visited_on", "note", "created_at")
MEETING_COLS = ("id", "kind", "title", "area_id", "township_id", "team_id", "held_on", "place", "host",
                "attendees_count", "attendees", "service_area", "agenda", "minutes", "status",
                "created_by_user_id", "created_at", "closed_at", "version")
ITEM_COLS = ("id", "meeting_id", "text", "raised_by", "status", "answer", "case_id", "created_at", "answered_at")
APIKEY_COLS = ("id", "name", "prefix", "key_hash", "rate_limit_per_minute", "created_at", "revoked_at")
COUNTER_COLS = ("day", "last")
INCIDENT_COLS = ("id", "kind", "township_id", "community_id", "started_at", "size")
INCIDENT_CASE_COLS = ("case_id", "incident_id")
HANDLING_COLS = ("case_id", "day", "district_id", "township_id", "community_id", "grid_id", "team_id", "category_id",
                 "department_id", "secs", "bin")
# how often a category's cases run late in a normal month (complex matters more)
T_LATE_BASE = {"LAND": 0.07, "RELIEF": 0.05, "INFRA": 0.05, "DISPUTE": 0.05, "ENV": 0.04, "FISH": 0.035, "SAFETY": 0.03,
               "ECON": 0.03, "AGRI": 0.03, "JOBS": 0.03, "HEALTH": 0.025, "EDU": 0.015, "OTHER": 0.01, "LEGAL": 0.008}

# Weighted mixes
CATEGORY_WEIGHTS = {
    "ENV": 14, "INFRA": 14, "DISPUTE": 12, "RELIEF": 11, "LEGAL": 10, "SAFETY": 6, "JOBS": 6, "HEALTH": 5,
    "EDU": 4, "LAND": 5, "ECON": 4, "AGRI": 3, "FISH": 2, "OTHER": 4,
}
CHANNEL_WEIGHTS = {"desk": 26, "phone": 24, "visit": 18, "web": 9, "sms": 7, "api": 3, "diary": 5}
PUBLIC_CHANNELS = ("web", "sms", "api")
STAFF_DESK = ("desk", "phone")
TEAM_CHANNELS = ("visit", "diary", "meeting")
# hours of the day per channel family (weights for 0..23)
HOURS_OFFICE = [0] * 8 + [6, 10, 10, 8, 3, 7, 10, 9, 4] + [0] * 7
HOURS_PHONE = [0] * 7 + [2, 6, 9, 9, 8, 4, 7, 9, 8, 6, 4, 3, 3, 2, 1] + [0] * 2
HOURS_ONLINE = [1, 1, 0, 0, 0, 0, 1, 2, 4, 6, 7, 7, 5, 5, 6, 6, 6, 5, 5, 6, 7, 7, 5, 3]

DAY = 86400
NOW_ = object()  # in a step's updates: "the time of this step" (formatted once when applied)
OFFICE_START = 8 * 3600 + 1800  # 08:30
OFFICE_END = 17 * 3600 + 1800  # 17:30


@lru_cache(maxsize=4096)
def _slots(template: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for _, name, _, _ in Formatter().parse(template) if name))


def _clean_words(words) -> list[str]:
    """Only slot words in which the classifier finds no keyword."""
    return [w for w in words if not classify(w).terms]


def _road_names(names: list[str], n: int, r: random.Random) -> list[str]:
    """``n`` distinct road names for one township (人民路, 海滨大道, …; 人民东路 once the plain ones run out),
    so an address's road names its grid."""
    plain = [a + s for a in names for s in dict.fromkeys(T.ROAD_SUFFIX)]
    r.shuffle(plain)
    if n > len(plain):
        more = [a + d + "路" for a in names for d in "东西南北"]
        r.shuffle(more)
        plain += more
    return plain[:n]


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _weighted(digits: str, offset: int) -> int:
    """The ID number's check-digit sum (GB 11643: ``"10X98765432"[sum % 11]``) over
    ``digits`` standing at ``offset`` in the 17-digit body."""
    return sum(int(c) * w for c, w in zip(digits, _ID_WEIGHTS[offset:]))


# ----------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------
def seed(
    engine: Engine,
    *,
    cases: int,
    random_seed: int = 42,
    grids_per_township: int = 3,
    households_per_grid: tuple[int, int] = (100, 150),
    members_per_team: tuple[int, int] = (8, 10),
    months: int = 24,
    now: datetime | None = None,
    reset: bool = False,
    progress: Progress | None = None,
    batch_size: int = 10_000,
    verify: bool = False,
    fork: bool | None = None,
) -> SeedStats:
    """Fill the database behind ``engine`` (see the module docstring).

    Raises ``ValueError`` for bad arguments and ``SeedRefused`` when the
    database already holds cases, users, households or teams and ``reset`` is
    False. Everything is written in one transaction: on error nothing stays.

    Foreign keys are not checked row by row during the load (SQLite: pragma
    off; PostgreSQL as superuser: ``session_replication_role = replica``); the
    rows are consistent by construction. ``verify=True`` (the tests) checks
    them: PostgreSQL keeps its triggers, SQLite runs ``foreign_key_check``.

    ``fork`` (default: where ``os.fork`` exists, from ``FORK_MIN_CASES`` cases) generates the rows in a forked
    process while this one writes them (see ``_Generator._generate_in_child``);
    ``fork=False`` generates them here, the writer thread overlapping.  The
    rows are the same either way."""
    if isinstance(cases, bool) or not isinstance(cases, int) or not 0 <= cases <= MAX_CASES:
        raise ValueError(f"cases must be an integer between 0 and {MAX_CASES}")
    if not isinstance(grids_per_township, int) or not 1 <= grids_per_township <= MAX_GRIDS_PER_TOWNSHIP:
        raise ValueError(f"grids_per_township must be between 1 and {MAX_GRIDS_PER_TOWNSHIP}")
    lo, hi = households_per_grid
    if not 1 <= lo <= hi <= 2000:
        raise ValueError("households_per_grid must be (lo, hi) with 1 <= lo <= hi <= 2000")
    mlo, mhi = members_per_team
    if not 2 <= mlo <= mhi <= 50:
        raise ValueError("members_per_team must be (lo, hi) with 2 <= lo <= hi <= 50")
    if not 1 <= months <= 120:
        raise ValueError("months must be between 1 and 120")
    started = _time.perf_counter()
    now = (now or clock.now()).replace(microsecond=0, tzinfo=None)
    SQLModel.metadata.create_all(engine)
    dialect = engine.dialect.name
    report = progress or (lambda stage, done, total: None)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        if dialect == "sqlite":
            raw.execute("PRAGMA foreign_keys=OFF")  # outside the transaction: rows arrive parents-first anyway
            # A rollback journal instead of WAL for the load: a fresh file journals almost
            # nothing, where WAL would write every page twice (log, then checkpoint).
            switched = False
            if raw.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                try:  # needs the file to ourselves; another open connection keeps WAL (slower, fine)
                    switched = raw.execute("PRAGMA journal_mode=DELETE").fetchone()[0].lower() == "delete"
                except Exception:
                    switched = False
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA cache_size=-262144")
            raw.execute("PRAGMA temp_store=MEMORY")
            raw.execute("PRAGMA threads=2")  # helper threads for the sorts of the index builds after the load
        conn.info["write"] = True  # BEGIN IMMEDIATE (rxapp.db)
        try:
            with conn.begin():
                if reset:
                    _empty_tables(conn, dialect)
                else:
                    _refuse_if_populated(conn)
                if dialect == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
                    if not verify and conn.exec_driver_sql("SELECT current_setting('is_superuser')").scalar() == "on":
                        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                if fork is None:
                    fork = hasattr(os, "fork") and cases >= FORK_MIN_CASES
                dropped = _drop_indexes(conn)
                if dialect == "sqlite" and fork:  # a bigger page cache for the big load (only what is used is allocated)
                    raw.execute("PRAGMA cache_size=-1048576")
                gen = _Generator(
                    conn,
                    dialect=dialect,
                    cases=cases,
                    rng_seed=random_seed,
                    grids_per_township=grids_per_township,
                    households_per_grid=(lo, hi),
                    members_per_team=(mlo, mhi),
                    months=months,
                    now=now,
                    report=report,
                    batch_size=batch_size,
                    fork=fork,
                )
                try:
                    stats = gen.run()
                    gen.sink.close()
                    report(STAGE_FINISH, 0, 2)
                    _create_indexes(conn, dropped)
                    if dialect == "postgresql":
                        _bump_sequences(conn)
                    elif verify:
                        bad = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if bad:
                            raise RuntimeError(f"seed wrote {len(bad)} rows with broken foreign keys, e.g. {bad[:3]}")
                    seed_media(conn, random_seed=random_seed, now=now)  # demo photos (issue 16)
                    # hot spots of the last week, as the detector found them on intake
                    replay_detector(Session(bind=conn), since=now - timedelta(days=7))
                    # the notice boards of the last full months, as the city leader published them
                    publish_demo_boards(Session(bind=conn), now=now, months=min(BOARD_MONTHS, months))
                    # the dashboard rollups, in the same transaction as the rows they count (the
                    # per-case handling times were written with the cases: see build_cases; none of
                    # the steps above reads a rollup); a forked generator has computed them
                    # meanwhile, from the rows it sent: last, so that a small seed, whose
                    # generator needs longer for them than this process for the indexes, does
                    # the steps above instead of waiting
                    if not gen.write_rollups():
                        rebuild_rollups(Session(bind=conn), handling_given=True)
                except BaseException:
                    gen.sink.close(raise_errors=False)
                    raise
                finally:
                    gen.end_child()
                report(STAGE_FINISH, 1, 2)
        finally:
            if dialect == "sqlite":
                raw.execute("PRAGMA foreign_keys=ON")
                if switched:
                    raw.execute("PRAGMA journal_mode=WAL")
                raw.execute("PRAGMA synchronous=NORMAL")
                raw.execute("PRAGMA cache_size=-2000")
                raw.execute("PRAGMA threads=0")
        # fresh planner statistics for the dashboards (outside the load transaction)
        if dialect == "postgresql":
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        elif dialect == "sqlite":
            raw.execute("PRAGMA analysis_limit=1000")
            raw.execute("ANALYZE")
    report(STAGE_FINISH, 2, 2)
    stats.seconds = _time.perf_counter() - started
    return stats


BOARD_MONTHS = 3  # full months of published notice boards in the demo


def publish_demo_boards(session: Session, *, now: datetime, months: int = BOARD_MONTHS) -> int:
    """Publish every community's board for the ``months`` full months before
    ``now`` through ``rxapp.domain.public.publish_boards`` (one batch a
    month), as the city leader on the 3rd of the next month at 10:00 (or
    ``now`` if earlier).  Returns the number of boards published; 0 without
    communities or a city leader."""
    from sqlmodel import select

    from rxapp.domain.access import actor_for
    from rxapp.domain.public import publish_boards

    leader = session.exec(select(M.User).where(M.User.username == "leader", M.User.role == M.Role.LEADER)).first()
    comms = session.exec(select(M.Area.id).where(M.Area.level == M.AreaLevel.COMMUNITY).order_by(M.Area.path)).all()
    if leader is None or not comms:
        return 0
    actor = actor_for(session, leader)
    y, m = now.year, now.month
    published = 0
    for _ in range(months):
        nxt = datetime(y, m, 3, 10, 0)
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        publish_boards(session, actor=actor, community_ids=list(comms), month=f"{y:04d}-{m:02d}", at=min(nxt, now))
        published += len(comms)
    return published


def _bump_sequences(conn: Connection) -> None:
    for table in all_tables():
        if "id" not in table.columns or not table.columns["id"].primary_key:
            continue
        seq = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('\"{table.name}\"', 'id')").scalar()
        if not seq:
            continue
        top = conn.exec_driver_sql(f'SELECT max(id) FROM "{table.name}"').scalar()
        if top:
            conn.exec_driver_sql(f"SELECT setval('{seq}', {int(top)})")


class _Generator:
    def __init__(self, conn: Connection, *, dialect, cases, rng_seed, grids_per_township, households_per_grid,
                 members_per_team, months, now, report, batch_size, fork=False):
        self.conn = conn
        self.fork = fork
        # a forked generator on SQLite computes the rollups itself (_rollup_rows), on the
        # core the index builds leave idle; PostgreSQL builds its indexes on both cores
        # and its own rebuild is as fast (1M cases, 2026-12-07: 26.1 s rebuilding, 26.2 s
        # waiting for the generator process's rollups)
        self.child_rollups = fork and dialect == "sqlite"
        self.dialect = dialect
        self.n_cases = cases
        self.rng = random.Random(rng_seed)
        self.geo_rng = np.random.default_rng(rng_seed)  # geometry and points: a stream of their own
        # Surnames follow Faker's zh_CN frequency table, drawn with our own seeded
        # generator (Faker's gendered given-name lists are mixed up, see seed_text).
        self._surnames = list(_ZhPerson.last_names)
        self._surname_cum = list(accumulate(float(w) for w in _ZhPerson.last_names.values()))
        self.k = grids_per_township
        self.hh_range = households_per_grid
        self.member_range = members_per_team
        self.months = months
        self.now = now
        self.report = report
        self.batch = batch_size
        self.sink = _Sink(conn, dialect)
        self._child = None  # (pid, pipe, gc was enabled) of the generator process, while it runs
        self.stats = SeedStats()
        for table, cols in (
            (M.Area, AREA_COLS), (M.Team, TEAM_COLS), (M.TeamMember, MEMBER_COLS), (M.User, USER_COLS),
            (M.Household, HOUSEHOLD_COLS), (M.Resident, RESIDENT_COLS), (M.Case, CASE_COLS),
            (M.CaseEvent, EVENT_COLS), (M.Sms, SMS_COLS), (M.Evaluation, EVAL_COLS), (M.Diary, DIARY_COLS),
            (M.Visit, VISIT_COLS), (M.Meeting, MEETING_COLS), (M.MeetingItem, ITEM_COLS), (M.ApiKey, APIKEY_COLS),
            (M.CodeCounter, COUNTER_COLS), (M.SeedIncident, INCIDENT_COLS), (M.SeedIncidentCase, INCIDENT_CASE_COLS),
            (M.CaseHandling, HANDLING_COLS),
        ):
            self.sink.define(table.__table__, cols)

    # ------------------------------------------------------------------ utils
    def next_id(self, table: str) -> int:
        """First free id of ``table`` as it was before the seed wrote anything."""
        return self._id_base[table]

    def phone(self) -> str:
        r = self.rng
        return r.choice(T.MOBILE_PREFIXES) + "%08d" % r.randrange(100_000_000)

    def given_name(self, male: bool, birth_year: int = 1975) -> str:
        if birth_year < 1960:
            pool = T.GIVEN_MALE_OLD if male else T.GIVEN_FEMALE_OLD
        elif birth_year < 1995:
            pool = T.GIVEN_MALE_MID if male else T.GIVEN_FEMALE_MID
        else:
            pool = T.GIVEN_MALE_YOUNG if male else T.GIVEN_FEMALE_YOUNG
        return pool[int(self.rng.random() * len(pool))]

    def person(self, male: bool | None = None, birth_year: int | None = None) -> str:
        """A full name: Faker's zh_CN surname frequencies, a given name fitting gender and age."""
        if male is None:
            male = self.rng.random() < 0.5
        return self.surname() + self.given_name(male, birth_year or self.rng.randint(1960, 1995))

    def surname(self) -> str:
        """A surname weighted like Faker's zh_CN list (fast: no Faker call in the case loop)."""
        return self._surnames[bisect_left(self._surname_cum, self.rng.random() * self._surname_cum[-1])]

    def ts(self, t: int) -> str:
        return self.DS[t // DAY] + self.HMS[t % DAY]

    def office(self, t: int) -> int:
        """Move ``t`` into office hours of a working day (if not already)."""
        d, s = divmod(t, DAY)
        if self.WORK[d]:
            if OFFICE_START <= s < OFFICE_END:
                return t
            if s < OFFICE_START:
                return d * DAY + OFFICE_START + int(self.rng.random() * 2700)
        return self.NEXTW[d + 1] * DAY + OFFICE_START + int(self.rng.random() * 5400)

    def deadline(self, day: int, n: int) -> tuple[int, bool]:
        key = (day, n)
        hit = self._dl_cache.get(key)
        if hit is None:
            d = add_workdays(datetime.combine(self.origin + timedelta(days=day), time(12)), n, self.overrides)
            hit = ((d.due.date() - self.origin).days * DAY + DAY - 1, d.provisional)
            self._dl_cache[key] = hit
        return hit

    # -------------------------------------------------------------------- run
    def run(self) -> SeedStats:
        self.setup_reference()
        self.setup_time()
        if self.fork:
            self._generate_in_child()
        else:
            self._generate()
        st = self.stats
        c = self.sink.counts
        st.cases, st.households, st.residents = c["case"], c["household"], c["resident"]
        st.users, st.team_members, st.teams = c["user"], c["teammember"], c["team"]
        st.case_events, st.sms, st.evaluations = c["caseevent"], c["sms"], c["evaluation"]
        st.diaries, st.visits, st.meetings, st.meeting_items = c["diary"], c["visit"], c["meeting"], c["meetingitem"]
        return st

    def _generate(self) -> None:
        """Every row after the reference data: pure Python, no database reads (setup_reference read them)."""
        self.build_people()
        self.build_diaries()
        self.plan_meetings()
        self.build_cases()
        self.write_meetings()
        self.build_team_evaluations()

    def _generate_in_child(self) -> None:
        """``_generate`` in a forked process that sends its batches (and progress) down a
        pipe; this process writes them through the sink, on its own connection, in its
        own transaction, as they come: the generation and the database then work on
        two cores instead of taking turns on one under the GIL.  The child never
        touches the database connection it inherits and leaves with ``os._exit``
        (no finalizers, no flushes); an error on either side ends both and reaches
        the caller, whose transaction then rolls back: nothing stays.  On SQLite, once
        its rows are sent, the child computes their rollups (``_rollup_rows``) on the
        core this process leaves idle while it builds the indexes; ``write_rollups``
        takes them."""
        recv, send = multiprocessing.Pipe(duplex=False)
        # No cyclic collection in either process while the rows flow: the rows, their
        # batches and messages hold no cycles (reference counting frees them; 100k cases
        # left 0 cyclic objects), and the collections walked every object alive, the
        # child's copying the heap it shares with this one.  Whatever was alive before
        # stays out of the collector's sight until the child is done (gc.freeze).
        collecting = gc.isenabled()
        gc.disable()
        gc.freeze()
        try:
            pid = os.fork()
        except BaseException:
            gc.unfreeze()
            if collecting:
                gc.enable()
            raise
        if pid == 0:  # the child: generate, send, then the rollups of what it sent, exit
            status = 1
            try:
                recv.close()
                self.sink = _PipeSink(send, keep=("case", "casehandling") if self.child_rollups else ())
                self.report = self.sink.progress
                self._generate()
                self.sink.finish(self.stats)
                if self.child_rollups:
                    for table, rows in _rollup_rows(self.sink.kept):
                        self.sink.write(table, rows)
                self.sink.end()
                status = 0
            except BaseException as exc:
                try:
                    self.sink.fail(exc)
                except BaseException:
                    pass
            finally:
                os._exit(status)
        send.close()
        self._child = (pid, recv, collecting)
        try:
            self._receive(until=_MSG_DONE)
        except BaseException:
            self.end_child()
            raise
        if not self.child_rollups:  # nothing more to come: reaped now, the collector back on
            self.end_child()

    def _receive(self, until: int) -> None:
        """Write what the generator process sends until the ``until`` message."""
        recv = self._child[1]
        sink, report = self.sink, self.report
        while True:
            try:
                data = recv.recv_bytes()
            except EOFError:
                raise RuntimeError("the seed's generator process ended without finishing") from None
            msg = _loads(data)
            tag = msg[0]
            if tag == _MSG_PROGRESS:
                report(*msg[1])
            elif tag == _MSG_DONE:
                self.stats = msg[1]
            elif tag == _MSG_ERROR:
                raise msg[1]
            elif tag != _MSG_END:
                sink.write(tag, msg[1])
            if tag == until:
                return

    def write_rollups(self) -> bool:
        """The rollups the generator process computed after sending its rows
        (``_rollup_rows``), written through a sink of their own; the process is
        then reaped.  False when it computed none (not forked, or not on
        SQLite: see ``child_rollups``; that process is reaped already): the
        caller rebuilds them."""
        if self._child is None:
            return False
        try:
            self.sink = _Sink(self.conn, self.dialect, threaded=False)
            for model in ROLLUP_MODELS.values():
                self.sink.define(model.__table__, tuple(model.__table__.columns.keys()))
            self._receive(until=_MSG_END)
        finally:
            self.end_child()
        return True

    def end_child(self) -> None:
        """Reap the generator process (killed unless it has ended); idempotent."""
        if self._child is None:
            return
        pid, recv, collecting = self._child
        self._child = None
        recv.close()
        try:
            os.kill(pid, signal.SIGKILL)  # its exit, if it has not happened yet, is all that is lost
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        gc.unfreeze()
        if collecting:
            gc.enable()

    def setup_reference(self) -> None:
        session = Session(bind=self.conn)
        self.ref = load_reference(session)
        session.flush()
        q = self.conn.exec_driver_sql
        self.cat = {}
        for cid, code, name, days, dep in q("SELECT id, code, name_zh, deadline_workdays, department_id FROM category"):
            self.cat[code] = (cid, name, int(days), dep)
        self.dept_name = dict(q("SELECT id, name_zh FROM department").all())
        self.dept_code = dict(q("SELECT id, code FROM department").all())
        self.overrides = {}
        for year, body in q("SELECT year, text FROM holidayschedule").all():
            try:
                self.overrides[int(year)] = parse_schedule_text(int(year), body)
            except (TypeError, ValueError):
                pass
        self.area_names = dict(q("SELECT id, name FROM area").all())
        # id bases, read once before any bulk write (the writer thread runs behind)
        self._id_base = {
            t.name: int(q(f'SELECT coalesce(max(id), 0) FROM "{t.name}"').scalar_one()) + 1
            for t in all_tables()
            if "id" in t.columns and t.columns["id"].primary_key
        }
        self.area_paths = dict(q("SELECT id, path FROM area").all())
        # everything else the generation reads from the database, read here: from
        # build_people on it may run in a process of its own (see run)
        self.town_rows = q("SELECT id, name, parent_id, path FROM area WHERE level = 'township' ORDER BY sort, id").all()
        self.holiday_overrides = load_overrides(session)

    def setup_time(self) -> None:
        now = self.now
        self.origin = (now - timedelta(days=int(self.months * 30.44) + 14)).date()
        span = (now.date() - self.origin).days + 2 * 366 + 60
        self.DS = [(self.origin + timedelta(days=i)).isoformat() + " " for i in range(span)]
        self.DAYISO = [s[:-1] for s in self.DS]
        self.CODEDAY = [s[:4] + s[5:7] + s[8:10] for s in self.DS]
        self.YMD = []
        for i in range(span):
            d = self.origin + timedelta(days=i)
            self.YMD.append(f"{d.year}年{d.month}月{d.day}日")
        self.HMS = [f"{h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60) for s in range(60)]
        self.WORK = [is_workday(self.origin + timedelta(days=i), self.overrides) for i in range(span)]
        nxt = [span] * (span + 1)
        for i in range(span - 1, -1, -1):
            nxt[i] = i if self.WORK[i] else nxt[i + 1]
        self.NEXTW = nxt
        self.now_t = (now.date() - self.origin).days * DAY + now.hour * 3600 + now.minute * 60 + now.second
        self.now_day = self.now_t // DAY
        self.start_t = self.now_t - int(self.months * 30.44 * DAY)
        self._dl_cache: dict[tuple[int, int], tuple[int, bool]] = {}

    # ----------------------------------------------------------------- people
    def build_people(self) -> None:
        r = self.rng
        R, getrandbits = r.random, r.getrandbits
        ref = self.ref

        # random.Random's own draws, without its layers of calls (same numbers, same order):
        def below(n: int) -> int:  # == r._randbelow(n), behind randrange / randint / choice
            if n <= 0:
                raise ValueError("empty range")
            k = n.bit_length()
            x = getrandbits(k)
            while x >= n:
                x = getrandbits(k)
            return x

        def randint(a: int, b: int) -> int:  # == r.randint(a, b)
            return a + below(b - a + 1)

        def choice(seq):  # == r.choice(seq)
            return seq[below(len(seq))]

        mobile = T.MOBILE_PREFIXES

        def new_phone() -> str:  # == self.phone()
            return mobile[below(len(mobile))] + "%08d" % below(100_000_000)

        SIZE_CUM = [15, 50, 80, 100]  # r.choices((1, 2, 3, 4), weights=(15, 35, 30, 20)), one draw
        q = self.conn.exec_driver_sql
        area_id = self.next_id("area")
        team_id = self.next_id("team")
        tm_id = self.next_id("teammember")
        user_id = self.next_id("user")
        hh_id = self.next_id("household")
        res_id = self.next_id("resident")
        created = self.ts(self.now_t - 400 * DAY)
        # once, shared by every demo account; outside demo mode nobody can log in
        # with them until an administrator sets real passwords (python -m rxapp.users)
        self.pw_hash = hash_password(DEMO_PASSWORD) if demo_mode() else UNUSABLE_PASSWORD

        town_rows = self.town_rows
        kinds = {}
        for row in read_csv("zhoushan_townships.csv"):
            kinds[row["township_zh"]] = row["kind"]
        district_name = {v: k for k, v in ref.district_ids.items()}

        comm_a = _clean_words(T.COMMUNITY_A)
        comm_b = _clean_words(T.COMMUNITY_B)
        vil_a = _clean_words(T.VILLAGE_A)
        vil_b = _clean_words(T.VILLAGE_B)
        road_names = _clean_words(T.ROAD_NAMES)
        land = township_land()

        areas, teams, members, users, households, residents = [], [], [], [], [], []
        born_str: dict[date, str] = {}
        born_sum: dict[date, int] = {}
        seq_sum = [_weighted(f"{n:03d}", 14) for n in range(1000)]
        CHECK = "10X98765432"
        # grid-level arrays (index g)
        self.g_grid, self.g_comm, self.g_town, self.g_dist, self.g_team = [], [], [], [], []
        self.g_town_name, self.g_comm_name, self.g_roads = [], [], []
        self.g_hh_start, self.g_hh_count, self.g_fishing, self.g_kind = [], [], [], []
        self.g_party = []  # party-member TeamMember ids per grid
        self.g_roster: list[list[list]] = []  # roster rows per grid (mutable: user links come later)
        self.comm_grids: dict[int, list[int]] = {}
        self.town_grids: dict[int, list[int]] = {}
        self.hh_name, self.hh_phone, self.hh_addr, self.hh_id = [], [], [], []
        self.hh_lon, self.hh_lat = [], []  # GCJ-02 points inside the household's grid

        for t_index, (town_id, town_name, dist_id, town_path) in enumerate(town_rows):
            kind = kinds.get(town_name, "town")
            is_street = kind == "street"
            dname = district_name.get(dist_id, "")
            # split K grids into communities of 1-2 grids
            sizes, left = [], self.k
            while left > 0:
                size = 2 if left >= 2 and r.random() < 0.5 else 1
                sizes.append(size)
                left -= size
            used = set()
            # the township's land cut into communities and grids; three roads of its own per grid
            shapes = tessellate_township(land[town_name], seat_of(town_name), sizes, self.geo_rng)
            town_roads = _road_names(road_names, 3 * self.k, r)
            for c_index, size in enumerate(sizes):
                for _ in range(200):
                    if is_street:
                        name = choice(comm_a) + choice(comm_b) + "社区"
                    else:
                        name = choice(vil_a) + choice(vil_b) + "村"
                    if name not in used:
                        break
                else:  # pragma: no cover - only with absurd K
                    name = f"第{c_index + 1}{'社区' if is_street else '村'}"
                used.add(name)
                comm_id = area_id
                area_id += 1
                comm_path = f"{town_path}{comm_id}/"
                comm_shape, grid_shapes = shapes[c_index]
                cols = area_columns(comm_shape)
                areas.append((comm_id, name, M.AreaLevel.COMMUNITY, "", town_id, comm_path, c_index) + tuple(cols.values()) + ("",))
                for gi in range(size):
                    grid_id = area_id
                    area_id += 1
                    gname = f"{name}第{gi + 1}网格"
                    roads = town_roads[3 * (len(self.town_grids.get(town_id, ()))):][:3]
                    grid_shape = stored(grid_shapes[gi])
                    cols = area_columns(grid_shape)
                    areas.append((grid_id, gname, M.AreaLevel.GRID, "", comm_id, f"{comm_path}{grid_id}/", gi)
                                 + tuple(cols.values()) + ("、".join(roads),))
                    points = points_in(grid_shape, self.hh_range[1], self.geo_rng)
                    g = len(self.g_grid)
                    self.g_grid.append(grid_id)
                    self.g_comm.append(comm_id)
                    self.g_town.append(town_id)
                    self.g_dist.append(dist_id)
                    self.g_team.append(team_id)
                    self.g_town_name.append(town_name)
                    self.g_comm_name.append(name)
                    self.g_roads.append(roads)
                    self.g_kind.append(kind)
                    self.g_fishing.append(town_name in T.FISHING_TOWNSHIPS or dname in T.FISHING_DISTRICTS)
                    self.comm_grids.setdefault(comm_id, []).append(g)
                    self.town_grids.setdefault(town_id, []).append(g)
                    self.area_names[grid_id] = gname
                    self.area_names[comm_id] = name
                    # team and roster
                    n_members = randint(*self.member_range)
                    leader_name = self.person()
                    roster = []
                    for m in range(n_members):
                        mname = leader_name if m == 0 else self.person()
                        duty = "组长" if m == 0 else ("副组长" if m == 1 else choice(T.TEAM_DUTIES))
                        party = m == 0 or r.random() < 0.55
                        roster.append([tm_id, team_id, mname, duty, new_phone(), party, None, True])
                        tm_id += 1
                    teams.append((team_id, f"{gname}服务团队", grid_id, town_id, leader_name, True))
                    members.extend(roster)
                    self.g_party.append([m[0] for m in roster if m[5]])
                    self.g_roster.append(roster)
                    team_id += 1
                    # households
                    start = len(self.hh_id)
                    n_hh = randint(*self.hh_range)
                    party_ids = self.g_party[-1]
                    region = T.ID_REGION.get(dname, "330900")
                    region_sum = _weighted(region, 0)
                    for h in range(n_hh):
                        male = r.random() < 0.72
                        rep_year = randint(1938, 1996)
                        surname = self.surname()
                        rep = surname + self.given_name(male, rep_year)
                        phone = new_phone()
                        if is_street:
                            addr = f"{town_name}{name}{choice(roads)}{randint(1, 320)}号{randint(1, 12)}幢{randint(1, 6)}{randint(0, 2)}{randint(1, 4)}室"
                        else:
                            addr = f"{town_name}{name}{choice(roads)}{randint(1, 180)}号"
                        lon, lat = float(points[h][0]), float(points[h][1])
                        size = (1, 2, 3, 4)[bisect_right(SIZE_CUM, R() * 100.0, 0, 3)]
                        people = [(rep, "男" if male else "女", rep_year, "户主", phone)]
                        if size >= 2:
                            spouse_male = not male
                            spouse_year = min(2004, max(1930, rep_year + randint(-4, 4)))
                            people.append((self.surname() + self.given_name(spouse_male, spouse_year), "男" if spouse_male else "女",
                                           spouse_year, "配偶", new_phone() if r.random() < 0.6 else ""))
                        for _ in range(size - len(people)):
                            if rep_year < 1960 and r.random() < 0.5:
                                cm = r.random() < 0.5
                                cy = min(2024, rep_year + randint(24, 34))
                                people.append((surname + self.given_name(cm, cy), "男" if cm else "女", cy, "子女", new_phone()))
                            elif r.random() < 0.75:
                                cm = r.random() < 0.5
                                cy = min(2024, rep_year + randint(22, 34))
                                people.append((surname + self.given_name(cm, cy), "男" if cm else "女", cy, "子女",
                                               new_phone() if cy < 2008 else ""))
                            else:
                                cm = r.random() < 0.5
                                py = max(1925, rep_year - randint(24, 32))
                                people.append(((surname if cm else self.surname()) + self.given_name(cm, py),
                                               "男" if cm else "女", py, "父母", ""))
                        seen = set()
                        for k, p in enumerate(people):  # no two relatives with one name
                            name_k = p[0]
                            while name_k in seen:
                                name_k = name_k[0] + self.given_name(p[1] == "男", p[2])
                            seen.add(name_k)
                            people[k] = (name_k,) + p[1:]
                        needs = []
                        if size == 1 and rep_year < 1956 and r.random() < 0.7:
                            needs.append("独居老人")
                        if r.random() < 0.03:
                            needs.append("低保户")
                        if r.random() < 0.03:
                            needs.append("残疾人")
                        if any(p[3] == "子女" and p[2] >= 2010 for p in people) and r.random() < 0.12:
                            needs.append("留守儿童")
                        notes = choice(T.HOUSEHOLD_NOTES) if r.random() < 0.2 else ""
                        party_member_id = party_ids[h % len(party_ids)] if party_ids else None
                        households.append((hh_id, addr, rep, phone, len(people), "、".join(needs), notes, grid_id,
                                           comm_id, party_member_id, lon, lat, created, 1))
                        for pname, gender, year, relation, pphone in people:
                            adult = self.now.year - year >= 18
                            skills = ""
                            if adult and year >= 1958 and r.random() < 0.3:
                                skills = " ".join(r.sample(T.SKILLS, choice((1, 1, 2))))
                            specialties = " ".join(r.sample(T.SPECIALTIES, 1)) if adult and r.random() < 0.1 else ""
                            party = adult and r.random() < 0.08
                            born = date(year, 1, 1) + timedelta(days=below(365))
                            seqno = 100 + below(899)
                            if (seqno % 2 == 1) != (gender == "男"):
                                seqno += 1 if seqno < 998 else -1
                            born_s = born_str.get(born)
                            if born_s is None:
                                born_s = f"{born:%Y%m%d}"
                                born_str[born] = born_s
                                born_sum[born] = _weighted(born_s, 6)
                            # the check digit, from partial sums (region, birth date, sequence)
                            total = region_sum + born_sum[born] + seq_sum[seqno]
                            residents.append((res_id, pname, gender, year, relation, pphone, skills, specialties, party,
                                              hh_id, grid_id, f"{region}{born_s}{seqno:03d}" + CHECK[total % 11], created, 1))
                            res_id += 1
                        self.hh_id.append(hh_id)
                        self.hh_name.append(rep)
                        self.hh_phone.append(phone)
                        self.hh_addr.append(addr)
                        self.hh_lon.append(lon)
                        self.hh_lat.append(lat)
                        hh_id += 1
                    self.g_hh_start.append(start)
                    self.g_hh_count.append(n_hh)
            self.report(STAGE_PEOPLE, t_index + 1, len(town_rows) + 1)
        self.stats.grids = len(self.g_grid)
        self.stats.communities = len(self.comm_grids)

        # ---- users
        city = ref.city_id
        putuo = ref.district_ids["普陀区"]
        zhujiajian = ref.township_ids["朱家尖街道"]
        self.users_by_name: dict[str, int] = {}

        def add_user(username, display, role, scope, team=None, dept=None, password=self.pw_hash):
            nonlocal user_id
            users.append((user_id, username, display[:32], role, scope, team, dept, self.phone(), password, True, 0,
                          None, created, 1))
            self.users_by_name[username] = user_id
            user_id += 1
            return user_id - 1

        add_user("admin", "系统管理员", M.Role.ADMIN, city)
        self.leader_city = add_user("leader", "市网格办主任", M.Role.LEADER, city)
        self.leader_putuo = add_user("leader_putuo", "普陀区领导", M.Role.LEADER, putuo)
        self.leader_zhujiajian = add_user("leader_zhujiajian", "朱家尖街道领导", M.Role.LEADER, zhujiajian)
        self.dispatcher_city = add_user("dispatcher", "市服务中心受理员", M.Role.DISPATCHER, city)
        self.leader_label = {
            self.leader_city: f"{self.area_names[city]}领导",
            self.leader_putuo: f"{self.area_names[putuo]}领导",
            self.leader_zhujiajian: f"{self.area_names[zhujiajian]}领导",
        }
        self.dispatcher_of: dict[int, tuple[int, str]] = {}
        self.dispatcher_label = {self.dispatcher_city: f"{self.area_names[city]}服务中心"}
        for dname, did in ref.district_ids.items():
            uid = add_user(f"dispatcher_{T.DISTRICT_SLUG.get(dname, did)}", f"{dname}服务中心受理员", M.Role.DISPATCHER, did)
            self.dispatcher_of[did] = (uid, f"{dname}服务中心")
            self.dispatcher_label[uid] = f"{dname}服务中心"
        self.dept_user: dict[int, int] = {}
        for dep_id in sorted(self.dept_name):
            code = self.dept_code[dep_id].lower()
            self.dept_user[dep_id] = add_user(f"dept_{code}", f"{self.dept_name[dep_id]}经办人", M.Role.DEPT, city, dept=dep_id)
        # the demo member: first grid of 朱家尖街道
        member_g = self.town_grids[zhujiajian][0]
        self.g_user: list[int] = []
        for g, roster in enumerate(self.g_roster):
            if g == member_g:
                link = roster[1] if len(roster) > 1 else roster[0]
                link[5] = True  # the demo member is a party member
                uid = add_user("member", link[2], M.Role.MEMBER, self.g_grid[g], team=self.g_team[g])
            else:
                link = roster[0]  # the 组长 carries the team's roster login
                uid = add_user(f"m{self.g_team[g]}", link[2], M.Role.MEMBER, self.g_grid[g], team=self.g_team[g],
                               password=UNUSABLE_PASSWORD)
            link[6] = uid
            self.g_user.append(uid)

        sink = self.sink
        sink.write("area", areas)
        sink.write("team", teams)
        sink.write("user", users)
        sink.write("teammember", [tuple(m) for m in members])
        # (households and residents last: they point at team members, which point at users)
        for i in range(0, len(households), self.batch):
            sink.write("household", households[i:i + self.batch])
        for i in range(0, len(residents), self.batch):
            sink.write("resident", residents[i:i + self.batch])
        if demo_mode():
            sink.write("apikey", [(self.next_id("apikey"), "演示密钥", DEMO_API_KEY[:8], token_digest(DEMO_API_KEY), 600,
                                   created, None)])
        self.report(STAGE_PEOPLE, len(town_rows) + 1, len(town_rows) + 1)

    def leader_for(self, g: int) -> int:
        if self.g_town[g] == self.ref.township_ids["朱家尖街道"]:
            return self.leader_zhujiajian
        if self.g_dist[g] == self.ref.district_ids["普陀区"]:
            return self.leader_putuo
        return self.leader_city

    # ------------------------------------------------------- diaries, visits
    def build_diaries(self) -> None:
        r = self.rng
        diary_id = self.next_id("diary")
        visit_id = self.next_id("visit")
        first_day = self.now_day - 90
        workdays = [d for d in range(first_day, self.now_day + 1) if self.WORK[d]]
        diaries, visits = [], []
        self.diary_at: dict[tuple[int, int], int] = {}  # (grid index, day) -> diary id
        places = [p for p in T.LANDMARKS if "{road2}" not in p]
        n_grids = len(self.g_grid)
        for g in range(n_grids):
            uid = self.g_user[g]
            count = min(len(workdays), r.randint(21, 27))  # ~8 a month over 3 months
            for d in sorted(r.sample(workdays, count)):
                t = d * DAY + r.randint(17 * 3600, 21 * 3600)
                if t >= self.now_t:
                    continue
                hh = self.g_hh_start[g] + r.randrange(self.g_hh_count[g])
                place = r.choice(places).format(comm=self.g_comm_name[g], road=r.choice(self.g_roads[g]))
                heard = r.choice(T.DIARY_HEARD).format(rep=self.hh_name[hh], issue=r.choice(T.DIARY_ISSUES),
                                                       n=r.randint(3, 9), place=place)
                comment, by, at = "", None, None
                if r.random() < 0.15:
                    ct = self.office(t + r.randint(3600, 3 * DAY))
                    if ct < self.now_t:
                        comment, by, at = r.choice(T.LEADER_COMMENTS[:2] + ["情况掌握细致，请继续跟踪"]), self.leader_for(g), self.ts(ct)
                diaries.append((diary_id, self.DAYISO[d], heard, r.choice(T.DIARY_DONE), r.choice(T.DIARY_FOLLOWUPS),
                                uid, self.g_team[g], self.g_grid[g], self.g_town[g], comment, by, at, self.ts(t), 1))
                self.diary_at[(g, d)] = diary_id
                for _ in range(r.randint(1, 4)):
                    h = self.g_hh_start[g] + r.randrange(self.g_hh_count[g])
                    visits.append((visit_id, diary_id, self.hh_id[h], uid, self.g_team[g], self.DAYISO[d],
                                   r.choice(T.VISIT_NOTES), self.ts(t)))
                    visit_id += 1
                diary_id += 1
            if len(diaries) >= self.batch:
                self.sink.write("diary", diaries)
                diaries = []
            if len(visits) >= self.batch:
                self.sink.write("visit", visits)
                visits = []
            if g % 50 == 0:
                self.report(STAGE_WORK, g, n_grids * 2)
        self.sink.write("diary", diaries)
        self.sink.write("visit", visits)
        self.next_visit_id = visit_id

    # -------------------------------------------------------------- meetings
    def plan_meetings(self) -> None:
        """Meetings and their items; items that become cases join the case plan."""
        r = self.rng
        meeting_id = self.next_id("meeting")
        item_id = self.next_id("meetingitem")
        self.meetings: list[list] = []
        self.items: list[list] = []
        self.meeting_cases: list[tuple] = []
        cap = int(self.n_cases * 0.02)
        start_day = self.start_t // DAY + 1
        n_grids = len(self.g_grid)
        community_cats = ["ENV", "INFRA", "SAFETY", "EDU", "OTHER", "DISPUTE", "HEALTH", "AGRI"]
        relief_cats = ["RELIEF", "JOBS", "HEALTH", "LEGAL"]
        self._templates()

        def held_days(every: tuple[int, int], prob: float):
            d = start_day + r.randint(0, every[1])
            while d <= self.now_day:
                if r.random() < prob:
                    yield self.NEXTW[d]
                d += r.randint(*every)

        def add_meeting(kind, title, area_id, town_id, team, day, place, host, service_area, g, item_source):
            nonlocal meeting_id, item_id
            held = day * DAY + r.choice((9, 10, 14, 15)) * 3600
            if held >= self.now_t:
                return
            n_items = r.randint(2, 5)
            recent = self.now_day - day <= 10
            m_items = []
            for _ in range(n_items):
                text, cat, raised, requester = item_source(g)
                as_case = (len(self.meeting_cases) < cap and r.random() < 0.3)
                case_t = self.office(held + DAY)
                if as_case and case_t < self.now_t - 3600:
                    self.meeting_cases.append((case_t, 3, requester[4], "meeting", (item_id, text, cat, requester)))
                    m_items.append([item_id, meeting_id, text[:1000], raised, "case", "", None, self.ts(held), None])
                elif recent and r.random() < 0.5:
                    m_items.append([item_id, meeting_id, text[:1000], raised, "open", "", None, self.ts(held), None])
                else:
                    at = min(self.office(held + r.randint(0, 10) * DAY), self.now_t - 60)
                    answer = r.choice(T.MEETING_ANSWERS[kind]).format(n=r.choice((3, 5, 7, 10)))
                    m_items.append([item_id, meeting_id, text[:1000], raised, "answered", answer, None, self.ts(held),
                                    self.ts(max(at, held))])
                item_id += 1
            attendees = r.randint(12, 45)
            status = "open" if recent and any(i[4] == "open" for i in m_items) else "closed"
            closed_at = None
            if status == "closed":
                closed_at = self.ts(min(self.now_t - 60, held + r.randint(1, 5) * DAY))
            self.meetings.append([meeting_id, kind, title[:100], area_id, town_id, team, self.DAYISO[day], place[:100],
                                  host[:64], attendees, f"户代表及群众{attendees - 6}人，网格服务团队成员6人" if kind != M.MeetingKind.ENTERPRISE
                                  else f"企业代表{attendees - 5}人，相关部门负责人5人",
                                  service_area, "；".join(f"{k + 1}. {i[2][:40]}" for k, i in enumerate(m_items))[:2000],
                                  "", status, self.g_user[g], self.ts(held), closed_at, 1, m_items, host])
            self.items.extend(m_items)
            meeting_id += 1

        def household_item(cats):
            def source(g):
                cat = r.choice(cats)
                h = self.g_hh_start[g] + r.randrange(self.g_hh_count[g])
                text, _ = self.render(cat, g, h, "meeting")
                req = (self.hh_name[h], self.hh_phone[h], self.hh_addr[h], self.hh_id[h], g)
                return text, cat, self.hh_name[h], req
            return source

        def enterprise_item(area):
            def source(g):
                text = r.choice(T.ENTERPRISE_ITEMS[area])
                company = f"舟山{r.choice(T.COMPANY_A)}{r.choice(T.COMPANY_B)}有限公司"
                cat = classify(text).code
                req = (self.person(), self.phone(), company, None, g)
                return text, cat, company, req
            return source

        for comm_id, grids in self.comm_grids.items():
            g0 = grids[0]
            comm = self.g_comm_name[g0]
            for day in held_days((50, 70), 0.9):
                d = self.origin + timedelta(days=day)
                g = r.choice(grids)
                add_meeting(M.MeetingKind.HOUSEHOLD_REP, f"{comm}{d.year}年{d.month}月户代表会议", comm_id,
                            self.g_town[g0], self.g_team[g0], day,
                            r.choice(T.MEETING_PLACES_COMM).format(comm=comm), self.g_roster[g0][0][2], "", g,
                            household_item(community_cats))
        for town_id, grids in self.town_grids.items():
            town = self.g_town_name[grids[0]]
            head = T.TOWNSHIP_HEAD.get(self.g_kind[grids[0]], "主要负责人")
            for day in held_days((100, 140), 0.8):
                g = r.choice(grids)
                add_meeting(M.MeetingKind.RELIEF_FORUM, f"{town}为民解困恳谈会", town_id, town_id, None, day,
                            r.choice(T.MEETING_PLACES_TOWN).format(town=town),
                            f"{town}{T.TOWNSHIP_SECRETARY.get(self.g_kind[grids[0]], '党委书记')}", "", g,
                            household_item(relief_cats))
            for day in held_days((150, 210), 0.6):
                g = r.choice(grids)
                area = r.choice(T.ENTERPRISE_AREAS)
                add_meeting(M.MeetingKind.ENTERPRISE, f"{town}政企恳谈会（{area}）", town_id, town_id, None, day,
                            r.choice(T.MEETING_PLACES_TOWN).format(town=town), f"{town}{head}", area, g,
                            enterprise_item(area))
        self.report(STAGE_WORK, n_grids * 2, n_grids * 2)

    def write_meetings(self) -> None:
        case_of_item = self.case_of_item
        for m in self.meetings:
            m_items, host = m[-2], m[-1]
            lines = [f"会议由{host}主持，{m[10]}参加。"]
            for k, it in enumerate(m_items):
                if it[4] == "case":
                    cid, code = case_of_item.get(it[0], (None, ""))
                    it[6] = cid
                    if cid is None:  # pragma: no cover - defensive: never planned
                        it[4] = "open"
                    lines.append(f"议题{k + 1}：{it[2]}。处理：已登记为诉求{code}，转相关部门办理。")
                elif it[4] == "answered":
                    lines.append(f"议题{k + 1}：{it[2]}。处理：{it[5]}")
                else:
                    lines.append(f"议题{k + 1}：{it[2]}。处理：会后研究答复。")
            m[13] = "\n".join(lines)
        self.sink.write("meeting", [tuple(m[:-2]) for m in self.meetings])
        rows = [tuple(i) for i in self.items]
        for i in range(0, len(rows), self.batch):
            self.sink.write("meetingitem", rows[i:i + self.batch])

    # ------------------------------------------------------------ team evals
    def build_team_evaluations(self) -> None:
        r = self.rng
        eval_id = self.next_eval_id
        rows = []
        y, m = self.now.year, self.now.month
        periods = []
        for _ in range(3):
            m -= 1
            if m == 0:
                y, m = y - 1, 12
            periods.append((y, m))
        for g in range(len(self.g_grid)):
            peers = self.town_grids[self.g_town[g]]
            for y, m in periods:
                last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))
                day = (last - self.origin).days
                if day < 0:
                    continue
                for kind in (M.EvaluationKind.TEAM_SELF, M.EvaluationKind.PEER, M.EvaluationKind.HOUSEHOLD_REP):
                    if kind == M.EvaluationKind.TEAM_SELF:
                        score, rater, rater_team, comment = r.choice((4, 5, 5)), self.g_user[g], None, "本月走访任务全部完成"
                    elif kind == M.EvaluationKind.PEER:
                        others = [p for p in peers if p != g]
                        if not others:  # a team never scores itself as its own peer
                            continue
                        other = r.choice(others)
                        score, rater, rater_team, comment = r.choice((3, 4, 4, 5)), self.g_user[other], self.g_team[other], ""
                    else:
                        score, rater, rater_team, comment = r.choice((3, 4, 4, 5, 5)), None, None, "户代表测评"
                    sat = "satisfied" if score >= 4 else ("basic" if score == 3 else "unsatisfied")
                    rows.append((eval_id, kind, None, self.g_team[g], rater, rater_team, f"{y:04d}-{m:02d}", sat, score,
                                 None, None, comment, self.ts(day * DAY + 16 * 3600 + r.randrange(7200))))
                    eval_id += 1
        self.sink.write("evaluation", rows)

    # ----------------------------------------------------------------- texts
    def _templates(self) -> None:
        """Classify each template once; prepare slot words free of keywords."""

        def prepare(code: str, tpl: str) -> tuple:
            slots = _slots(tpl)
            res = classify(tpl.format(**{s: "" for s in slots}))
            confident = res.code == code and res.confidence >= AUTO_ACCEPT_CONFIDENCE
            return (tpl, slots, res.code, float(res.confidence), "、".join(res.terms)[:255], confident, res.terms[:5])

        self.tpl: dict[str, list[tuple]] = {}
        self.tpl_short: dict[str, list[tuple]] = {}
        for code, templates in T.CASE_TEMPLATES.items():
            self.tpl[code] = [prepare(code, tpl) for tpl in templates]
            # the very short way some people put it: the first clause alone
            shorts = [tpl.split("，")[0] for tpl in templates if "，" in tpl]
            self.tpl_short[code] = [prepare(code, t) for t in shorts if len(t) >= 6] or self.tpl[code]
        self.tpl_season = {
            name: {code: [prepare(code, tpl) for tpl in tpls] for code, tpls in pools.items()}
            for name, pools in (("typhoon", T.TYPHOON_TEMPLATES), ("moratorium", T.MORATORIUM_TEMPLATES),
                                ("tourism", T.TOURISM_TEMPLATES))
        }
        self.when_words = _clean_words(T.WHEN)
        self.name_suffix = _clean_words(T.NEIGHBOUR_SUFFIX)
        self.openers = _clean_words(T.OPENERS)
        self.details = _clean_words(T.DETAILS)
        self.closings = _clean_words(T.CLOSINGS)
        self.landmarks = T.LANDMARKS
        self.results = T.RESULT_TEMPLATES

    def _fill(self, tpl: str, slots: tuple, g: int, h: int) -> str:
        R = self.rng.random
        kw = {}
        roads = self.g_roads[g]
        for s in slots:
            if s == "road":
                kw[s] = roads[int(R() * 3)]
            elif s == "comm":
                kw[s] = self.g_comm_name[g]
            elif s == "town":
                kw[s] = self.g_town_name[g]
            elif s == "place":
                lm = self.landmarks[int(R() * len(self.landmarks))]
                r0 = int(R() * 3)
                kw[s] = lm.format(comm=self.g_comm_name[g], road=roads[r0], road2=roads[(r0 + 1) % 3])
            elif s == "hh":
                kw[s] = self.hh_addr[h].replace(self.g_town_name[g], "", 1)
            elif s == "when":
                kw[s] = self.when_words[int(R() * len(self.when_words))]
            elif s == "n":
                kw[s] = str(2 + int(R() * 8))
            elif s == "name":
                kw[s] = self.surname() + self.name_suffix[int(R() * len(self.name_suffix))]
            elif s == "surname":
                kw[s] = self.surname()
            elif s == "ship":
                dname = self.area_names.get(self.g_dist[g], "")
                kw[s] = f"{T.SHIP_PREFIX.get(dname, '浙舟')}渔{int(R() * 90000) + 10000}"
        return tpl.format(**kw)

    def _phrase(self, body: str, g: int, h: int, channel: str, short: bool) -> str:
        """One resident's way of saying ``body``: a channel's opening or a
        colloquial one, maybe a detail or two (long-winded), a closing, now and
        then a typing slip in the filler — never two openings."""
        R = self.rng.random
        if short:  # a few words, at most a greeting or a thanks around them
            x = R()
            if x < 0.4:
                op = self.openers[int(R() * len(self.openers))]
                return self._fill(op, _slots(op), g, h) + body
            return body + ("，" + self.closings[int(R() * len(self.closings))] if x < 0.75 else "")
        prefixes = T.CHANNEL_PREFIX.get(channel, ("",))
        prefix = prefixes[int(R() * len(prefixes))]
        head = prefix.format(rep=self.hh_name[h]) if prefix else ""
        if not head and R() < 0.35:
            op = self.openers[int(R() * len(self.openers))]
            head = self._fill(op, _slots(op), g, h)
        tail = []
        x = R()
        if x < 0.6:
            tail.append(self.details[int(R() * len(self.details))])
            if x < 0.15:  # long-winded
                more = self.details[int(R() * len(self.details))]
                if more != tail[0]:
                    tail.append(more)
        if R() < 0.5:
            tail.append(self.closings[int(R() * len(self.closings))])
        filler = "，".join(tail)
        if filler and R() < 0.08:
            for right, slip in T.TYPOS:
                if right in filler:
                    filler = filler.replace(right, slip, 1)
                    break
        end = ("", "。", "。", "！", "")[int(R() * 5)]
        return f"{head}{body}{'，' + filler if filler else ''}{end}"

    def render(self, cat: str, g: int, h: int, channel: str, season: int = 0) -> tuple[str, tuple]:
        R = self.rng.random
        pool = None
        if season:
            for bit, name in ((1, "typhoon"), (2, "moratorium"), (4, "tourism")):
                if season & bit and cat in self.tpl_season[name] and R() < 0.55:
                    pool = self.tpl_season[name][cat]
                    break
        short = pool is None and R() < 0.08
        if pool is None:
            pool = self.tpl_short[cat] if short else self.tpl[cat]
        spec = pool[int(R() * len(pool))]
        body = self._fill(spec[0], spec[1], g, h)
        return self._phrase(body, g, h, channel, short), spec

    # ----------------------------------------------------------------- cases
    def _plan_cases(self) -> list[tuple]:
        r = self.rng
        n = self.n_cases
        plans = list(self.meeting_cases)
        if n >= 50:
            n_recent = 4 * max(1, n // 20000)
            n_stuck = max(3, n // 2500)
        else:
            n_recent, n_stuck = min(4, n), 0
        n_regular = n - len(plans) - n_recent - n_stuck
        if n_regular < 0:  # pragma: no cover - meeting cases are capped at 2%
            plans = plans[: max(0, n - n_recent - n_stuck)]
            n_regular = n - len(plans) - n_recent - n_stuck
        grid_w = list(accumulate(self.g_hh_count))
        n_grids = len(self.g_grid)
        self._calendar()
        incident_plans = self._plan_incidents(min(n_regular // 12, int(n * 0.06)))
        plans.extend(incident_plans)
        n_regular -= len(incident_plans)
        # regular: days weighted (weekdays busier, slow growth over the period, the Spring Festival dip and rebound)
        first, last = self.start_t // DAY + 1, self.now_day
        days = list(range(first, last + 1))
        span = max(1, last - first)
        SF = self.SF_FACTOR
        day_w = list(accumulate((1.0 if self.WORK[d] else 0.45) * (0.85 + 0.3 * (d - first) / span) * SF[d] for d in days))
        chans = list(CHANNEL_WEIGHTS)
        chan_w = list(accumulate(CHANNEL_WEIGHTS.values()))
        hours = {"office": list(accumulate(HOURS_OFFICE)), "phone": list(accumulate(HOURS_PHONE)),
                 "online": list(accumulate(HOURS_ONLINE))}
        family = {"desk": "office", "visit": "office", "diary": "office", "meeting": "office", "phone": "phone",
                  "web": "online", "sms": "online", "api": "online"}
        pick_days = r.choices(days, cum_weights=day_w, k=n_regular)
        pick_grids = r.choices(range(n_grids), cum_weights=grid_w, k=n_regular)
        pick_chans = r.choices(chans, cum_weights=chan_w, k=n_regular)
        now_t, start_t = self.now_t, self.start_t
        for d, g, ch in zip(pick_days, pick_grids, pick_chans):
            fam = family[ch]
            if fam == "office" and not self.WORK[d] and r.random() < 0.8:
                d = self.NEXTW[d]
            hw = hours[fam]
            hour = bisect_left(hw, r.random() * hw[-1] + 1e-9)
            t = d * DAY + hour * 3600 + int(r.random() * 3600)
            if t >= now_t:
                t = now_t - 60 - int(r.random() * 6 * 3600)
            if t < start_t:
                t = start_t + int(r.random() * 3600)
            plans.append((t, 0, g, ch, None))
        for i in range(n_recent):  # the newest cases, one in each open state
            t = now_t - 6 * 3600 - int(r.random() * 2.5 * DAY)
            g = r.choices(range(n_grids), cum_weights=grid_w)[0]
            plans.append((t, 1, g, r.choice(("desk", "phone", "web")), i % 4))
        for i in range(n_stuck):  # overdue, still open
            t = now_t - 25 * DAY - int(r.random() * 20 * DAY)
            g = r.choices(range(n_grids), cum_weights=grid_w)[0]
            plans.append((t, 2, g, r.choice(("desk", "phone", "visit")), 2 if r.random() < 0.3 else 3))
        plans.sort(key=itemgetter(0))
        return plans

    def _calendar(self) -> None:
        """Per day: the season bits (1 typhoon Jul–Sep, 2 fishing moratorium
        1 May–16 Sep, 4 summer tourism Jul–Aug), a month index, the Spring
        Festival intake factor; per (department, month): a workload factor."""
        r = self.rng
        n_days = len(self.DS)
        self.SEASON, self.MONTH_IX, self.SF_FACTOR = [0] * n_days, [0] * n_days, [1.0] * n_days
        months: dict[tuple[int, int], int] = {}
        sf_days = set()
        for y, (m, d) in T.SPRING_FESTIVAL.items():
            try:
                sf_days.add((date(y, m, d) - self.origin).days)
            except ValueError:  # pragma: no cover
                pass
        for i in range(n_days):
            d = self.origin + timedelta(days=i)
            bits = 0
            if 7 <= d.month <= 9:
                bits |= 1
            if (5, 1) <= (d.month, d.day) <= (9, 16):
                bits |= 2
            if d.month in (7, 8):
                bits |= 4
            self.SEASON[i] = bits
            self.MONTH_IX[i] = months.setdefault((d.year, d.month), len(months))
        for sf in sf_days:
            for k in range(-2, 7):  # the holiday: most people are home, offices closed
                if 0 <= sf + k < n_days:
                    self.SF_FACTOR[sf + k] = 0.35
            for k in range(7, 17):  # back at work: what waited comes in
                if 0 <= sf + k < n_days:
                    self.SF_FACTOR[sf + k] = 1.4
        # a department's load varies by month (staff, campaigns, seasons): the
        # overloaded months are where lateness and overdue cases concentrate
        season_dept = {"INFRA": 1, "SAFETY": 1, "FISH": 2, "JOBS": 2}
        month_bits = {}
        for i in range(n_days):
            month_bits[self.MONTH_IX[i]] = month_bits.get(self.MONTH_IX[i], 0) | self.SEASON[i]
        self.dept_load: dict[tuple[int, int], float] = {}
        for code, (_cid, _name, _days, dep) in self.cat.items():
            for mi, bits in month_bits.items():
                key = (dep, mi)
                if key not in self.dept_load:
                    self.dept_load[key] = min(2.2, r.lognormvariate(0, 0.4))
                if season_dept.get(code, 0) & bits:
                    self.dept_load[key] *= 1.25
        # the category mix moves a little from month to month
        self.month_wobble = {(mi, c): r.lognormvariate(0, 0.18) for mi in month_bits for c in CATEGORY_WEIGHTS}

    def _plan_incidents(self, budget: int) -> list[tuple]:
        """Planted incidents (ground truth for the hot-spot bench): about one
        per township per quarter, 4–25 residents reporting one matter within
        1–3 days in one community (its one or two neighbouring grids)."""
        r = self.rng
        self.incidents: list[tuple] = []
        plans: list[tuple] = []
        if budget < 4:
            return plans
        first, now_t = self.start_t, self.now_t
        quarters = max(1, int((now_t - first) / (91 * DAY)))
        slots = [(town, q) for town in self.town_grids for q in range(quarters)]
        expected = len(slots) * 0.9 * 10.6  # mean size of 4 + 21 * U**2.2
        p = min(0.9, 0.9 * budget / expected) if expected else 0.0
        kinds = list(T.INCIDENTS)
        zhujiajian = self.ref.township_ids.get("朱家尖街道")
        chosen = [(town, q) for town, q in slots if r.random() < p]
        r.shuffle(chosen)  # should the budget run out, no township is left without any
        if zhujiajian in self.town_grids and budget >= 300:  # one under way now: the demo shows a fresh hot spot
            chosen.append((zhujiajian, None))
        used = 0
        for town, q in chosen:
            grids = self.town_grids[town]
            g0 = grids[int(r.random() * len(grids))]
            comm_grids = self.comm_grids[self.g_comm[g0]]
            if q is None:
                t0, size, hours = now_t - 30 * 3600, 7, 36.0
            else:
                t0 = first + int((q + r.random()) * 91 * DAY)
                size, hours = 4 + int(21 * r.random() ** 2.2), 24.0 * (1 + 2 * r.random())
            if used + size > budget + 10 or t0 >= now_t - 3600:
                continue
            month = (self.origin + timedelta(days=t0 // DAY)).month
            fits = [k for k in kinds if T.INCIDENTS[k][1] is None or month in T.INCIDENTS[k][1]]
            kind = fits[int(r.random() * len(fits))]
            idx = len(self.incidents)
            times = sorted(t0 + int(hours * 3600 * r.random() ** 1.6) for _ in range(size))
            times[0] = t0
            taken = 0
            for t in times:
                if t >= now_t - 60:
                    break
                g = comm_grids[int(r.random() * len(comm_grids))]
                ch = ("phone", "phone", "web", "api", "sms", "desk")[int(r.random() * 6)]
                plans.append((t, 4, g, ch, (idx, kind)))
                taken += 1
            used += taken
            self.incidents.append((idx, kind, town, self.g_comm[g0], t0, taken))
        return plans

    def _incident_text(self, kind: str, g: int, h: int, channel: str) -> str:
        """One resident's report of a planted incident, in their own words."""
        R = self.rng.random
        _cat, _months, cores, details, asks = T.INCIDENTS[kind]
        core = cores[int(R() * len(cores))]
        parts = [self._fill(core, _slots(core), g, h)]
        for pool in (details, asks):
            pick = pool[int(R() * len(pool))]
            if pick:
                parts.append(pick)
        return self._phrase("，".join(parts), g, h, channel, R() < 0.1)

    def build_cases(self) -> None:
        r = self.rng
        R = r.random
        plans = self._plan_cases()
        total = len(plans)
        sink, batch = self.sink, self.batch
        deadline = self.deadline
        DS, HMS, WORK, NEXTW = self.DS, self.HMS, self.WORK, self.NEXTW

        def ts(t: int) -> str:  # == self.ts, without the attribute lookups
            return DS[t // 86400] + HMS[t % 86400]

        def office(t: int) -> int:  # == self.office
            d, sec = divmod(t, 86400)
            if WORK[d]:
                if OFFICE_START <= sec < OFFICE_END:
                    return t
                if sec < OFFICE_START:
                    return d * 86400 + OFFICE_START + int(R() * 2700)
            return NEXTW[d + 1] * 86400 + OFFICE_START + int(R() * 5400)
        YMD, CODEDAY = self.YMD, self.CODEDAY
        now_t = self.now_t
        case_base = self.next_id("case")
        ev_id = self.next_id("caseevent")
        sms_id = self.next_id("sms")
        eval_id = self.next_id("evaluation")
        visit_id = self.next_visit_id
        self.case_of_item: dict[int, tuple[int, str]] = {}
        day_count: dict[int, int] = {}
        status_count: Counter[str] = Counter()
        cases_rows, events, smss, evals, visits = [], [], [], [], []
        incident_cases: list[tuple[int, int]] = []
        dept_load, LATE_BASE = self.dept_load, T_LATE_BASE

        cat = self.cat
        codes = list(CATEGORY_WEIGHTS)
        base_w = [CATEGORY_WEIGHTS[c] for c in codes]
        cum_for = {}
        for fishing in (False, True):
            for kind in ("street", "town", "township"):
                w = list(base_w)
                if fishing:
                    w[codes.index("FISH")] = 16
                if kind != "street":
                    w[codes.index("AGRI")] = 8
                    w[codes.index("LAND")] = 7
                cum_for[(fishing, kind)] = list(accumulate(w))
        g_key = [(self.g_fishing[g], self.g_kind[g] if self.g_kind[g] in ("street", "town", "township") else "town",
                  self.g_town_name[g] in T.TOURIST_TOWNSHIPS) for g in range(len(self.g_grid))]
        SEASON, MONTH_IX, wobble = self.SEASON, self.MONTH_IX, self.month_wobble
        boosts = {1: {"INFRA": 1.5, "SAFETY": 1.5, "FISH": 1.2}, 2: {"FISH": 1.8, "JOBS": 1.6, "RELIEF": 1.3},
                  4: {"ENV": 1.6, "SAFETY": 1.5, "ECON": 2.0}}
        season_cum: dict[tuple, list[float]] = {}

        def cum_of(g: int, d: int) -> tuple[list[float], int]:
            """Category weights of a grid on a day: seasons, and a monthly wobble."""
            fishing, kind_, tourist = g_key[g]
            bits = SEASON[d] & (1 | (2 if fishing else 0) | (4 if tourist else 0))
            key = (fishing, kind_, bits, MONTH_IX[d])
            hit = season_cum.get(key)
            if hit is None:
                w = list(cum_for[(fishing, kind_)])
                w = [w[0]] + [w[k] - w[k - 1] for k in range(1, len(w))]
                for bit, boost in boosts.items():
                    if bits & bit:
                        for code_, f in boost.items():
                            w[codes.index(code_)] *= f
                w = [x * wobble[(MONTH_IX[d], codes[k])] for k, x in enumerate(w)]
                hit = season_cum[key] = list(accumulate(w))
            return hit, bits
        dept_ids = sorted(self.dept_name)
        dept_name = self.dept_name
        cat_of_code = {c: cat[c] for c in cat}
        results = {c: self.results.get(c, self.results["OTHER"]) for c in cat}
        last_good: dict[int, tuple] = {}  # grid -> (case id, code, content, category, suggestion, confidence, terms)
        diary_at = self.diary_at
        g_grid, g_comm, g_town, g_dist, g_team, g_user = self.g_grid, self.g_comm, self.g_town, self.g_dist, self.g_team, self.g_user
        g_hh_start, g_hh_count, hh_lon, hh_lat = self.g_hh_start, self.g_hh_count, self.hh_lon, self.hh_lat
        hh_base = self.hh_id[0] if self.hh_id else 0  # household ids are consecutive: id - base = index
        hh_id, hh_name, hh_phone, hh_addr = self.hh_id, self.hh_name, self.hh_phone, self.hh_addr
        sms_acc, sms_ext, sms_res, sms_rej, sms_code = (
            SIGNATURE + SMS_TEMPLATES["accepted"], SIGNATURE + SMS_TEMPLATES["extended"],
            SIGNATURE + SMS_TEMPLATES["resolved_with_evaluate_hint"], SIGNATURE + SMS_TEMPLATES["rejected"],
            SIGNATURE + SMS_TEMPLATES["reply_code"])
        SAT, BASIC, UNSAT = "satisfied", "basic", "unsatisfied"
        iSTATUS, iDEPT = _CI["status"], _CI["department_id"]
        iACC, iROUTED, iSIGNED, iRES, iCLOSED = (_CI["accepted_at"], _CI["routed_at"], _CI["signed_at"],
                                                 _CI["resolved_at"], _CI["closed_at"])
        iCAT, iAUTO, iDL, iPROV = _CI["category_id"], _CI["auto_accepted"], _CI["deadline"], _CI["deadline_provisional"]
        iEXTD, iEXTR, iEXTENDED, iSUP, iFLAG = (_CI["extension_requested_days"], _CI["extension_reason"], _CI["extended"],
                                                _CI["supervised"], _CI["flagged"])
        iREOPEN, iRETURN, iDUP = _CI["reopen_count"], _CI["return_count"], _CI["duplicate_of_id"]
        iPT, iPD, iPO, iRESULT, iREJ = (_CI["promise_text"], _CI["promise_due"], _CI["promise_owner"], _CI["result_text"],
                                        _CI["reject_reason"])
        iSAT, iSCORE, iEVAL, iFOLLOW = _CI["satisfaction"], _CI["score"], _CI["evaluated_at"], _CI["followed_up_at"]
        iUPD, iVER = _CI["updated_at"], _CI["version"]
        # the handling time of each resolved case (its ``casehandling`` row, what
        # rxapp.domain.rollup's rebuild would compute from the case), on the
        # rollups' own working-time clock, from the seconds the timeline holds
        hsecs = WorkClock(self.holiday_overrides).on_offsets(self.origin, len(DS))
        DAYIX = {s: i for i, s in enumerate(DS)}
        DAYKEY = [int(s) for s in CODEDAY]
        iDIST, iTOWN, iCOMM, iGRID, iTEAM = (_CI["district_id"], _CI["township_id"], _CI["community_id"],
                                             _CI["grid_id"], _CI["team_id"])
        handling = []

        def secs_of(s: str) -> int:  # a timestamp ts() wrote, back to its seconds
            return DAYIX[s[:11]] * 86400 + int(s[11:13]) * 3600 + int(s[14:16]) * 60 + int(s[17:19])

        # per grid, once: its dispatcher and its leader (with their labels)
        city_disp = (self.dispatcher_city, self.dispatcher_label[self.dispatcher_city])
        g_disp = [self.dispatcher_of.get(g_dist[g], city_disp) for g in range(len(g_grid))]
        g_leader = [(self.leader_for(g), self.leader_label[self.leader_for(g)]) for g in range(len(g_grid))]

        def promise(dept: str, due_t: int) -> str:
            return f"由{dept}于{YMD[due_t // DAY]}前办理并答复"

        for i, (t, kind, g, ch, payload) in enumerate(plans):
            cid = case_base + i
            d = t // DAY
            seq = day_count.get(d, 0) + 1
            if seq > 9999:
                raise ValueError(f"more than 9999 cases on {self.DAYISO[d]}: lower --cases")
            day_count[d] = seq
            code = f"ZS{CODEDAY[d]}{seq:04d}"
            h = g_hh_start[g] + int(R() * g_hh_count[g])
            # ---- what, who
            outcome = 0  # 0 accept path, 1 reject, 2 duplicate
            late = returned = False
            cur_dl = None
            if kind == 3:
                item, content, c, req = payload
                spec = None
                name, phone, addr, household = req[0], req[1], req[2], req[3]
                res = classify(content)
                sugg, conf, terms, confident, termlist = res.code, float(res.confidence), "、".join(res.terms)[:255], \
                    res.code == c and res.confidence >= AUTO_ACCEPT_CONFIDENCE, res.terms[:5]
            else:
                if kind == 4:
                    c = T.INCIDENTS[payload[1]][0]
                    content = self._incident_text(payload[1], g, h, ch)
                    res = classify(content)
                    spec = None
                    sugg, conf, terms, confident, termlist = res.code, float(res.confidence), "、".join(res.terms)[:255], \
                        res.code == c and res.confidence >= AUTO_ACCEPT_CONFIDENCE, res.terms[:5]
                    incident_cases.append((cid, payload[0]))
                else:
                    cum, bits = cum_of(g, d)
                    c = codes[bisect_left(cum, R() * cum[-1] + 1e-9)]
                    content, spec = self.render(c, g, h, ch, bits)
                    sugg, conf, terms, confident, termlist = spec[2], spec[3], spec[4], spec[5], spec[6]
                if ch in PUBLIC_CHANNELS and R() < 0.3:
                    name = self.surname() + ("先生" if R() < 0.5 else "女士")
                    phone = self.phone()
                    addr, household = "", None
                else:
                    name, phone, addr, household = hh_name[h], hh_phone[h], hh_addr[h], hh_id[h]
                if kind == 0:
                    x = R()
                    if x < 0.02:
                        outcome = 1
                    elif x < 0.03 and g in last_good:
                        outcome = 2
                        orig = last_good[g]
                        # the same matter from another resident, in their own words
                        ospec = orig[7]
                        content = self._phrase(self._fill(ospec[0], ospec[1], g, h), g, h, ch, False)
                        c, sugg, conf, terms = orig[3], orig[4], orig[5], orig[6]
            cat_id, cat_name, days, dep = cat_of_code[c]
            sugg_id = cat_of_code[sugg][0] if sugg in cat_of_code else cat_id
            dname = dept_name.get(dep, "相关部门")
            disp, disp_label = g_disp[g]
            if R() < 0.15:
                disp, disp_label = city_disp
            team_user = g_user[g]
            if ch in PUBLIC_CHANNELS:
                sub_actor, sub_label, created_by = None, PUBLIC_LABEL, None
            elif ch in STAFF_DESK:
                sub_actor, sub_label, created_by = disp, disp_label, disp
            else:
                sub_actor, sub_label, created_by = team_user, "网格服务团队", team_user
            lat = lon = None
            if R() < 0.7:  # placed: at the requester household's door, else at a point inside the grid
                p = household - hh_base if household is not None else h
                lat, lon = hh_lat[p], hh_lon[p]
            source_ref = None
            if ch == "sms":
                source_ref = f"seed-sms-{cid}"
            elif ch == "api":
                source_ref = f"seed-api-{cid}"
            visit = None
            if ch in ("visit", "diary") and household is not None:
                did = diary_at.get((g, d))
                if did is not None:
                    visit = visit_id
                    visits.append((visit_id, did, household, team_user, g_team[g], self.DAYISO[d],
                                   f"{name}反映：{content[:60]}（已登记诉求{code}）", ts(t)))
                    visit_id += 1
            sts = ts(t)
            row = [cid, code, "submitted", ch, content, name, phone, addr, household, sugg_id, conf, terms, False, None,
                   g_dist[g], g_town[g], g_comm[g], g_grid[g], g_team[g], lat, lon, sts,
                   None, None, None, None, None, None, False, None, "", False, False, False, 0, 0, None, "", None, "",
                   "", "", None, None, None, None, visit, payload[0] if kind == 3 else None, source_ref, created_by,
                   sts, 1]
            if kind == 3:
                self.case_of_item[payload[0]] = (cid, code)
            # ---- the timeline: (t, action, from, to, actor, label, note, public, updates, sms, evaluation)
            steps = [(t, "submit", None, "submitted", sub_actor, sub_label, f"通过{CHANNEL_ZH.get(ch, ch)}提交", True,
                      (), None, None)]
            leader, leader_label = g_leader[g]
            auto = confident and (ch in PUBLIC_CHANNELS or R() < 0.5) and outcome == 0
            hold = payload if kind in (1, 2) else 9
            fast = kind == 1
            if hold <= 1:
                auto = False
            if ch in PUBLIC_CHANNELS and not auto and outcome != 2:
                steps[0] = steps[0][:9] + (("reply_code", sms_code.format(code=code)), None)
            if outcome == 1:
                rt = office(t + 600 + int(R() * 4 * 3600))
                why = T.REJECT_REASONS[int(R() * len(T.REJECT_REASONS))]
                steps.append((rt, "reject", "submitted", "rejected", disp, disp_label, why, True, ((iREJ, why),),
                              ("rejected", sms_rej.format(code=code, reason=why)), None))
            elif outcome == 2:
                rt = office(t + 600 + int(R() * 4 * 3600))
                steps.append((rt, "mark_duplicate", "submitted", "duplicate", disp, disp_label,
                              f"与诉求{orig[1]}重复，合并办理", True, ((iDUP, orig[0]),), None, None))
            elif hold > 0:
                # ---- accept
                if auto:
                    at = t + 3 + int(R() * 60)
                    a_actor, a_label = None, SYSTEM_LABEL
                    a_note = f"系统按关键词“{'、'.join(termlist)}”自动受理"
                else:
                    at = t + 300 + int(R() * 3300) if fast else office(t + 300 + int(R() * 3 * 3600))
                    a_actor, a_label = disp, disp_label
                    if sugg != c:
                        a_note = f"类别由{cat_of_code[sugg][1]}（{sugg}）改为{cat_name}（{c}）" if sugg in cat_of_code else ""
                    else:
                        a_note = ""
                dl, prov = deadline(at // DAY, days)
                ptext = promise(dname, dl)
                dls = ts(dl)
                steps.append((at, "accept", "submitted", "accepted", a_actor, a_label, a_note, True,
                              ((iACC, NOW_), (iCAT, cat_id), (iAUTO, auto), (iDL, dls), (iPROV, prov), (iPT, ptext),
                               (iPD, dls), (iPO, dname)),
                              ("accepted", sms_acc.format(code=code, department=dname, deadline=YMD[dl // DAY])), None))
                last = at
                quick = hold == 9 and not auto and (c in ("LEGAL", "OTHER") and R() < 0.3 or R() < 0.02)
                resolver, resolver_label = dep and self.dept_user.get(dep), dname
                res_t = None
                if hold == 1:
                    pass
                elif quick:  # 即接即办: the dispatcher answers at once
                    res_t = office(at + 600 + int(R() * 7200))
                    resolver, resolver_label = disp, disp_label
                    frm = "accepted"
                else:
                    # ---- route (and perhaps a return and a re-route)
                    rt = at + 1 if auto else (at + 60 + int(R() * 1800) if fast else office(at + 60 + int(R() * 3600)))
                    returned = False
                    if hold == 9 and not auto and R() < 0.06:
                        wrong = dept_ids[int(R() * len(dept_ids))]
                        if wrong != dep:
                            returned = True
                            wname = dept_name[wrong]
                            steps.append((rt, "route", "accepted", "routed", a_actor, a_label, f"转交{wname}办理", True,
                                          ((iROUTED, NOW_), (iDEPT, wrong), (iSIGNED, None), (iPO, wname),
                                           (iPT, promise(wname, dl))), None, None))
                            ret = office(rt + 7200 + int(R() * 20 * 3600))
                            why = T.RETURN_REASONS[int(R() * 2)].format(right=dname)
                            steps.append((ret, "return", "routed", "accepted", self.dept_user[wrong], wname, why, False,
                                          ((iDEPT, None), (iROUTED, None), (iSIGNED, None), (iRETURN, 1)), None, None))
                            rt = office(ret + 1800 + int(R() * 4 * 3600))
                            a_actor, a_label = disp, disp_label
                    steps.append((rt, "route", "accepted", "routed", a_actor, a_label, f"转交{dname}办理", True,
                                  ((iROUTED, NOW_), (iDEPT, dep), (iSIGNED, None), (iPO, dname), (iPT, ptext)),
                                  None, None))
                    last = rt
                    if hold >= 3:
                        sg = rt + 300 + int(R() * 1500) if fast else office(rt + 1200 + int(R() * 6 * 3600))
                        steps.append((sg, "sign", "routed", "in_progress", resolver, dname, f"{dname}已签收，正在办理",
                                      True, ((iSIGNED, NOW_),), None, None))
                        last = sg
                    if hold == 9:
                        # ---- handling
                        cur_dl = dl
                        if R() < (0.06 if days >= 10 else 0.02):
                            req_t = office(sg + int((dl - sg) * (0.3 + 0.5 * R())))
                            if req_t < dl:
                                n_ext = (3, 5, 7, 10)[int(R() * 4)]
                                why = T.EXTENSION_REASONS[int(R() * len(T.EXTENSION_REASONS))]
                                steps.append((req_t, "request_extension", "in_progress", "in_progress", resolver, dname,
                                              f"申请延期{n_ext}个工作日：{why}", False,
                                              ((iEXTD, n_ext), (iEXTR, why)), None, None))
                                dec_t = office(req_t + 7200 + int(R() * 28 * 3600))
                                if R() < 0.75:
                                    new_dl, p2 = deadline(dl // DAY, n_ext)
                                    steps.append((dec_t, "decide_extension", "in_progress", "in_progress", leader,
                                                  leader_label, f"同意延期{n_ext}个工作日，办理期限延至{YMD[new_dl // DAY]}",
                                                  True, ((iEXTENDED, True), (iDL, ts(new_dl)), (iPROV, prov or p2),
                                                         (iPD, ts(new_dl)), (iPT, promise(dname, new_dl))),
                                                  ("extended", sms_ext.format(code=code, deadline=YMD[new_dl // DAY], reason=why)),
                                                  None))
                                    cur_dl = new_dl
                                else:
                                    steps.append((dec_t, "decide_extension", "in_progress", "in_progress", leader,
                                                  leader_label, f"不同意延期{n_ext}个工作日", False,
                                                  ((iEXTD, None),), None, None))
                                last = dec_t
                        # lateness has causes: the department's load that month, a
                        # complex category, a long holiday inside the window, a return
                        load = dept_load.get((dep, self.MONTH_IX[at // DAY]), 1.0)
                        holiday = (cur_dl - at) / DAY > days * 1.4 + 4
                        p_late = LATE_BASE.get(c, 0.03) * load * (1.8 if holiday else 1.0) * (2.0 if returned else 1.0)
                        late = R() < p_late
                        if late:
                            res_t = office(cur_dl + DAY + int(R() * 7 * DAY * load))
                            if R() < min(0.5, 0.08 * load * load):  # never done: still open, overdue
                                res_t = None
                            if R() < 0.6:
                                sup_t = office(cur_dl + 3600 + int(R() * 20 * 3600))
                                if last < sup_t and (res_t is None or sup_t < res_t):
                                    steps.append((sup_t, "supervise", "in_progress", "in_progress", leader, leader_label,
                                                  T.SUPERVISE_NOTES[int(R() * 3)], False, ((iSUP, True),), None, None))
                                    last = sup_t
                        else:
                            span = max(1800, cur_dl - last)
                            res_t = last + 1800 + int(span * 0.9 * R() ** 3)  # most matters are done well before the deadline
                            o = office(res_t)
                            res_t = o if o <= cur_dl else res_t
                        if res_t is not None and res_t <= last:
                            res_t = last + 1800
                        frm = "in_progress"
                    elif kind == 2 and R() < 0.7:  # stuck and overdue: a leader presses
                        sup_t = office(dl + 3600 + int(R() * 2 * DAY))
                        frm_s = "routed" if hold == 2 else "in_progress"
                        steps.append((sup_t, "supervise", frm_s, frm_s, leader, leader_label,
                                      T.SUPERVISE_NOTES[int(R() * 3)], False, ((iSUP, True),), None, None))
                if res_t is not None:
                    # ---- resolve, follow up, maybe reopen
                    reopened = False
                    while True:
                        result = results[c][int(R() * len(results[c]))].format(dept=dname)
                        steps.append((res_t, "resolve", frm, "resolved", resolver, resolver_label, result, True,
                                      ((iRES, NOW_), (iRESULT, result)),
                                      ("resolved_with_evaluate_hint", sms_res.format(code=code, result=result)), None))
                        x = R()
                        if x < 0.93:
                            ev_t = office(res_t + 7200 + int(R() * 3 * DAY))
                            y = R()
                            if reopened:
                                sat = SAT if y < 0.6 else (BASIC if y < 0.88 else UNSAT)
                            else:
                                # slower handling, lateness and a return make residents less satisfied
                                slow = min(1.0, max(0.0, (res_t - at) / max(DAY, cur_dl - at))) if cur_dl else 0.0
                                p_unsat = 0.02 + 0.10 * late + 0.06 * returned + 0.04 * slow
                                p_basic = 0.10 + 0.14 * late + 0.10 * returned + 0.12 * slow
                                sat = UNSAT if y < p_unsat else (BASIC if y < p_unsat + p_basic else SAT)
                            z = R()
                            if sat == SAT:
                                score = 5 if z < 0.72 else (4 if z < 0.98 else 3)
                                comment = T.GOOD_COMMENTS[int(R() * len(T.GOOD_COMMENTS))]
                            elif sat == BASIC:
                                score = 4 if z < 0.3 else (3 if z < 0.9 else 2)
                                comment = ""
                            else:
                                score = 2 if z < 0.5 else (1 if z < 0.88 else 3)
                                comment = T.BAD_COMMENTS[int(R() * len(T.BAD_COMMENTS))]
                            rater, rater_label = (disp, disp_label) if R() < 0.8 else (team_user, "网格服务团队")
                            verdict = f"回访评价：{SATISFACTION_ZH[sat]}，{score}分"
                            upd = ((iSAT, sat), (iSCORE, score), (iEVAL, NOW_), (iFOLLOW, NOW_))
                            evl = (sat, score, comment, rater)
                            if sat != UNSAT:
                                steps.append((ev_t, "evaluate", "resolved", "closed", rater, rater_label, verdict, True,
                                              upd + ((iCLOSED, NOW_),), None, evl))
                            elif not reopened:
                                new_dl, p2 = deadline(ev_t // DAY, days)
                                verdict += f"；重新办理，期限至{YMD[new_dl // DAY]}"
                                steps.append((ev_t, "evaluate", "resolved", "in_progress", rater, rater_label, verdict,
                                              True, upd + ((iREOPEN, 1), (iFLAG, True), (iRES, None), (iDL, ts(new_dl)),
                                                           (iPROV, p2), (iPD, ts(new_dl)),
                                                           (iPT, promise(dname, new_dl))), None, evl))
                                reopened = True
                                frm = "in_progress"
                                res_t = office(ev_t + DAY + int(R() * 3 * DAY))
                                continue
                            else:
                                steps.append((ev_t, "evaluate", "resolved", "closed", rater, rater_label,
                                              verdict + "；再次不满意，结案并标记", True,
                                              upd + ((iCLOSED, NOW_), (iFLAG, True)), None, evl))
                            if R() < 0.005:
                                cm_t = office(ev_t + DAY + int(R() * 4 * DAY))
                                steps.append((cm_t, "comment", "closed", "closed", leader, leader_label,
                                              T.LEADER_COMMENTS[int(R() * 3)], False, (), None, None))
                        elif x < 0.965:
                            cl_t = office(res_t + 5 * DAY + int(R() * 5 * DAY))
                            steps.append((cl_t, "close", "resolved", "closed", disp, disp_label, T.CLOSE_NOTE, True,
                                          ((iCLOSED, NOW_),), None, None))
                        break
            # ---- apply the steps that happened by now
            version = 0
            status = "submitted"
            last_t = t
            for st in steps:
                at = st[0]
                if at > now_t:
                    break
                version += 1
                status = st[3]
                last_t = at
                ats = ts(at)  # one formatting per step: updates use NOW_ for it
                events.append((ev_id, cid, ats, st[4], st[5], st[1], st[2], status, st[6], st[7], version))
                ev_id += 1
                for idx, val in st[8]:
                    row[idx] = ats if val is NOW_ else val
                msg = st[9]
                if msg is not None and phone:
                    smss.append((sms_id, "out", phone, msg[1], msg[0], cid, "kept", 1, None, "", "outbox", None, ats, None))
                    sms_id += 1
                evl = st[10]
                if evl is not None:
                    evals.append((eval_id, "requester", cid, g_team[g], evl[3], None, ats[:7], evl[0], evl[1], None, None,
                                  evl[2], ats))
                    eval_id += 1
            row[iSTATUS] = status
            row[iUPD] = ts(last_t)
            row[iVER] = version
            if (status == "resolved" or status == "closed") and row[iACC] is not None:
                done_s = row[iRES] or row[iCLOSED]
                if done_s is not None:
                    acc_t = secs_of(row[iACC])
                    hs = hsecs(acc_t, secs_of(done_s))
                    handling.append((cid, DAYKEY[acc_t // 86400], row[iDIST] or 0, row[iTOWN] or 0, row[iCOMM] or 0,
                                     row[iGRID] or 0, row[iTEAM] or 0, row[iCAT] or 0, row[iDEPT] or 0, hs, bin_of(hs)))
            if ch == "sms":
                smss.append((sms_id, "in", phone, content[:1000], "", cid, "received", 0, None, "", "seed", source_ref,
                             sts, None))
                sms_id += 1
            if outcome == 0 and kind == 0 and spec is not None:
                last_good[g] = (cid, code, content, c, sugg, conf, terms, spec)
            status_count[status] += 1
            cases_rows.append(tuple(row))
            if len(cases_rows) >= batch:
                sink.write("case", cases_rows)
                sink.write("caseevent", events)
                sink.write("sms", smss)
                sink.write("evaluation", evals)
                sink.write("casehandling", handling)
                cases_rows, events, smss, evals, handling = [], [], [], [], []
                self.report(STAGE_CASES, i + 1, total)
        sink.write("case", cases_rows)
        sink.write("caseevent", events)
        sink.write("sms", smss)
        sink.write("evaluation", evals)
        sink.write("casehandling", handling)
        sink.write("visit", visits)
        sink.write("codecounter", [(CODEDAY[d], n) for d, n in sorted(day_count.items())])
        base = self.next_id("seedincident")
        sink.write("seedincident", [(base + idx, kind_, town, comm, ts(t0), size)
                                    for idx, kind_, town, comm, t0, size in self.incidents if size])
        sink.write("seedincidentcase", [(cid_, base + idx) for cid_, idx in incident_cases])
        self.report(STAGE_CASES, total, total)
        self.next_eval_id = eval_id
        self.stats.by_status = dict(status_count)
