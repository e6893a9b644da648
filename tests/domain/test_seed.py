"""The demo / load-test seed: accounts, realism invariants, determinism, CLI contract.

A small dataset (600 cases, 1 grid per township, 5 households per grid) is
seeded once per backend into a fresh database; the checks are SQL over it."""

import hashlib
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from rxapp.db import make_engine
from rxapp.domain.access import actor_for
from rxapp.domain.clock import month_key
from rxapp.domain.security import UNUSABLE_PASSWORD, token_digest, verify_password
from rxapp.domain.seed import DEMO_API_KEY, DEMO_PASSWORD, SeedRefused, seed
from rxapp.models import ApiKey, Area, AreaLevel, Case, CaseStatus, Role, TeamMember, User
from tests.conftest import BACKENDS, _new_database

NOW = datetime(2026, 11, 27, 10, 0, 0)
SMALL = dict(cases=600, grids_per_township=1, households_per_grid=(5, 5), now=NOW, verify=True)
ROOT = Path(__file__).resolve().parents[2]


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def rows(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request, tmp_path_factory):
    """One seeded database per backend, shared by the read-only checks below."""
    url, drop = _new_database(request.param, tmp_path_factory.mktemp("seed"))
    engine = make_engine(url)
    stats = seed(engine, random_seed=7, **SMALL)
    yield engine, stats
    engine.dispose()
    drop()


def test_seed_counts_and_demo_accounts(seeded):
    engine, stats = seeded
    assert stats.cases == 600 == scalar(engine, 'SELECT count(*) FROM "case"')
    assert stats.grids == 36 and stats.households == 36 * 5
    assert scalar(engine, "SELECT count(*) FROM area WHERE level = 'township'") == 36
    assert scalar(engine, "SELECT count(*) FROM team") == 36
    assert scalar(engine, "SELECT count(*) FROM resident") >= 36 * 5
    # every household is linked to a party member of its own grid's team
    assert scalar(engine, """
        SELECT count(*) FROM household h
        LEFT JOIN teammember m ON m.id = h.party_member_id
        LEFT JOIN team t ON t.id = m.team_id
        WHERE m.id IS NULL OR NOT m.party_member OR t.grid_id != h.grid_id""") == 0

    with Session(engine) as s:
        users = {u.username: u for u in s.exec(select(User)).all()}
        area = {a.id: a for a in s.exec(select(Area)).all()}
        expected = {
            "admin": (Role.ADMIN, "舟山市"),
            "leader": (Role.LEADER, "舟山市"),
            "leader_putuo": (Role.LEADER, "普陀区"),
            "leader_zhujiajian": (Role.LEADER, "朱家尖街道"),
            "dispatcher": (Role.DISPATCHER, "舟山市"),
            "dept_env": (Role.DEPT, "舟山市"),
        }
        for name, (role, scope) in expected.items():
            assert users[name].role == role and area[users[name].scope_area_id].name == scope, name
            assert re.search(r"[\u4e00-\u9fff]", users[name].display_name)
        assert verify_password(DEMO_PASSWORD, users["leader"].password_hash)
        assert len({u.password_hash for u in users.values() if u.password_hash != UNUSABLE_PASSWORD}) == 1
        assert users["dept_env"].department_id and actor_for(s, users["dept_env"]).label == "生态环境局"
        assert {f"dispatcher_{d}" for d in ("dinghai", "putuo", "daishan", "shengsi")} <= users.keys()
        assert sum(1 for u in users.values() if u.role == Role.DEPT) == 14
        member = users["member"]
        grid = area[member.scope_area_id]
        assert grid.level == AreaLevel.GRID and member.team_id
        township = area[area[grid.parent_id].parent_id]
        assert township.name == "朱家尖街道"
        assert s.exec(select(TeamMember).where(TeamMember.user_id == member.id)).one().team_id == member.team_id
        # roster logins: one per other team, never usable
        roster = [u for u in users.values() if re.fullmatch(r"m\d+", u.username)]
        assert len(roster) == 35 and all(u.password_hash == UNUSABLE_PASSWORD for u in roster)
        key = s.exec(select(ApiKey)).one()
        assert key.key_hash == token_digest(DEMO_API_KEY) and key.prefix == DEMO_API_KEY[:8] and key.name == "演示密钥"


def test_seed_case_invariants(seeded):
    engine, _ = seeded
    now = NOW
    # completion over old accepted cases (the headline figure) and over all accepted
    done, accepted = rows(engine, """
        SELECT sum(CASE WHEN status IN ('resolved', 'closed') THEN 1 ELSE 0 END), count(*)
        FROM "case" WHERE accepted_at IS NOT NULL AND accepted_at < :old""", old=now - timedelta(days=60))[0]
    # about 99 %: the seed leaves a few late cases in overloaded departments
    # unfinished, so some months fall under the 99 % target (issue 14)
    assert accepted > 400 and 0.98 < done / accepted < 1
    done, accepted = rows(engine, """
        SELECT sum(CASE WHEN status IN ('resolved', 'closed') THEN 1 ELSE 0 END), count(*)
        FROM "case" WHERE accepted_at IS NOT NULL""")[0]
    assert done / accepted > 0.95  # recent cases still open
    # on time ~95%
    on_time, resolved = rows(engine, """
        SELECT sum(CASE WHEN resolved_at <= deadline THEN 1 ELSE 0 END), count(*)
        FROM "case" WHERE resolved_at IS NOT NULL""")[0]
    assert 0.85 < on_time / resolved <= 1
    # version == number of events, for every case
    assert scalar(engine, """
        SELECT count(*) FROM "case" c
        WHERE c.version != (SELECT count(*) FROM caseevent e WHERE e.case_id = c.id)""") == 0
    # the last event's status is the case's status; nothing happens after now
    assert scalar(engine, """
        SELECT count(*) FROM "case" c JOIN caseevent e ON e.case_id = c.id AND e.version_after = c.version
        WHERE e.to_status != c.status""") == 0
    assert scalar(engine, "SELECT count(*) FROM caseevent WHERE at > :now", now=now) == 0
    # codes unique and well formed; the counter is the last number of each day
    codes = [r[0] for r in rows(engine, 'SELECT code FROM "case"')]
    assert len(set(codes)) == len(codes) and all(re.fullmatch(r"ZS\d{12}", c) for c in codes)
    per_day = {}
    for c in codes:
        per_day[c[2:10]] = max(per_day.get(c[2:10], 0), int(c[10:]))
    counters = dict(rows(engine, "SELECT day, last FROM codecounter"))
    assert counters == per_day
    assert all(n == sum(1 for c in codes if c[2:10] == day) for day, n in counters.items())
    # timestamps in order
    assert scalar(engine, """
        SELECT count(*) FROM "case" WHERE accepted_at < submitted_at OR resolved_at < accepted_at
        OR closed_at < resolved_at OR routed_at < accepted_at OR signed_at < routed_at
        OR submitted_at < :start OR updated_at > :now""", start=now - timedelta(days=800), now=now) == 0
    # the mix: every open state, some overdue, rejections, duplicates, returns, extensions, reopenings
    status = dict(rows(engine, 'SELECT status, count(*) FROM "case" GROUP BY status'))
    for s in CaseStatus.OPEN + (CaseStatus.CLOSED, CaseStatus.RESOLVED, CaseStatus.REJECTED):
        assert status.get(s, 0) > 0, s
    assert scalar(engine, """SELECT count(*) FROM "case" WHERE status IN ('submitted','accepted','routed','in_progress')
                             AND deadline < :now""", now=now) > 0
    actions = dict(rows(engine, "SELECT action, count(*) FROM caseevent GROUP BY action"))
    for a in ("submit", "accept", "route", "sign", "resolve", "evaluate", "return", "request_extension",
              "decide_extension", "supervise", "reject"):
        assert actions.get(a, 0) > 0, a
    # accepted cases carry a deadline and a promise; SMS and evaluations follow the events
    assert scalar(engine, """SELECT count(*) FROM "case" WHERE accepted_at IS NOT NULL
                             AND (deadline IS NULL OR promise_due IS NULL OR promise_text NOT LIKE '由%前办理并答复')""") == 0
    assert scalar(engine, """SELECT count(*) FROM sms WHERE template = 'accepted' AND status = 'kept'""") == \
        scalar(engine, "SELECT count(*) FROM caseevent WHERE action = 'accept'")
    assert scalar(engine, "SELECT count(*) FROM evaluation WHERE kind = 'requester'") == actions["evaluate"]
    assert scalar(engine, """SELECT count(*) FROM "case" WHERE status = 'closed' AND satisfaction IS NOT NULL
                             AND (score IS NULL OR score < 1 OR score > 5)""") == 0
    # team work of the last 3 months
    assert scalar(engine, "SELECT count(*) FROM diary") > 36 * 15
    assert scalar(engine, "SELECT count(*) FROM visit") >= scalar(engine, "SELECT count(*) FROM diary")
    assert scalar(engine, "SELECT count(DISTINCT kind) FROM meeting") == 3
    assert scalar(engine, """SELECT count(*) FROM meetingitem i JOIN "case" c ON c.id = i.case_id
                             WHERE c.meeting_item_id = i.id AND c.channel = 'meeting'""") > 0
    # a single grid per township leaves no peer to score: self and household-representative scores
    assert scalar(engine, "SELECT count(DISTINCT kind) FROM evaluation WHERE team_id IS NOT NULL AND case_id IS NULL") >= 2


def test_seed_publishes_the_last_three_full_months_of_boards(seeded):
    """/public/board has data in the demo: every community's board of the three
    full months before ``now``, published by the city leader after the month
    ended, with the rows the live board shows (frozen, scrubbed)."""
    from rxapp.domain import public as P

    engine, _ = seeded
    communities = scalar(engine, "SELECT count(*) FROM area WHERE level = 'community'")
    assert communities >= 36
    months = {m: n for m, n in rows(engine, "SELECT month, count(*) FROM boardpublication GROUP BY month")}
    assert months == {"2026-08": communities, "2026-09": communities, "2026-10": communities}
    leader = scalar(engine, "SELECT id FROM \"user\" WHERE username = 'leader'")
    assert {r[0] for r in rows(engine, "SELECT DISTINCT published_by_user_id FROM boardpublication")} == {leader}
    for month, at in rows(engine, "SELECT month, published_at FROM boardpublication"):
        at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        assert month_key(at) > month and at <= NOW
    with Session(engine) as s:
        # a community with cases that month: the published rows are the live board's rows
        comm, month = rows(engine, """SELECT community_id, substr(CAST(submitted_at AS TEXT), 1, 7) AS m FROM "case"
                                      WHERE submitted_at >= '2026-10-01' AND submitted_at < '2026-11-01'
                                      GROUP BY community_id, m ORDER BY count(*) DESC LIMIT 1""")[0]
        board = P.published_board(s, community_id=comm, month=month)
        live = P.live_board(s, community_id=comm, month=month)
        assert board.published and board.rows and [r.code for r in board.rows] == [r.code for r in live.rows]
        assert [r.summary for r in board.rows] == [r.summary for r in live.rows]
        assert P.published_months(s, community_id=comm) == ["2026-10", "2026-09", "2026-08"]
        # the current (partial) month is not published
        assert P.published_board(s, community_id=comm, month="2026-11") is None
    total = scalar(engine, "SELECT count(*) FROM boardpublication WHERE rows_json != '[]'")
    assert total >= communities  # most boards have rows


def test_seeded_data_works_with_the_lifecycle(seeded):
    """The app's own actions continue on seeded rows: ids, counters and versions line up.
    (Runs after the read-only checks on the shared database: it adds one case.)"""
    from rxapp.domain.cases import accept_case, submit_case

    engine, _ = seeded
    with Session(engine, expire_on_commit=False) as s:
        dispatcher = actor_for(s, s.exec(select(User).where(User.username == "dispatcher")).one())
        triage = s.exec(select(Case).where(Case.status == CaseStatus.SUBMITTED).order_by(Case.id)).first()
        version = triage.version
        done = accept_case(s, actor=dispatcher, case_id=triage.id, expected_version=version)
        assert done.status == CaseStatus.ACCEPTED and done.version == version + 1
        assert done.deadline and done.promise_text
        grid = s.exec(select(Area).where(Area.level == AreaLevel.GRID)).first()
        new = submit_case(
            s,
            actor=dispatcher,
            data={"content": "楼道灯坏了，请尽快维修", "requester_name": "测试", "requester_phone": "13800000000", "grid_id": grid.id},
            channel="desk",
        )
        assert new.id > 600 and re.fullmatch(r"ZS\d{12}", new.code)


def test_seed_refuses_populated_database_and_resets(fresh_engine):
    tiny = {**SMALL, "cases": 60, "households_per_grid": (2, 2)}
    seed(fresh_engine, **tiny)
    with pytest.raises(SeedRefused):
        seed(fresh_engine, **tiny)
    assert scalar(fresh_engine, 'SELECT count(*) FROM "case"') == 60
    stats = seed(fresh_engine, reset=True, random_seed=8, **{**tiny, "cases": 50})
    assert stats.cases == 50 == scalar(fresh_engine, 'SELECT count(*) FROM "case"')
    assert scalar(fresh_engine, "SELECT count(*) FROM \"user\" WHERE username = 'admin'") == 1


def _digest(engine) -> str:
    h = hashlib.sha256()
    for table in ("case", "caseevent", "household", "resident", "sms", "diary", "meetingitem"):
        for row in rows(engine, f'SELECT * FROM "{table}" ORDER BY 1'):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_seed_is_deterministic(tmp_path):
    digests, samples = [], []
    for i in range(2):
        engine = make_engine(f"sqlite:///{tmp_path / f'd{i}.db'}")
        seed(engine, random_seed=11, **{**SMALL, "cases": 300})
        digests.append(_digest(engine))
        samples.append(rows(engine, 'SELECT code, content, status FROM "case" ORDER BY id LIMIT 50'))
        engine.dispose()
    assert samples[0] == samples[1]
    assert digests[0] == digests[1]
    engine = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    seed(engine, random_seed=12, **{**SMALL, "cases": 300})
    assert _digest(engine) != digests[0]
    engine.dispose()


def test_seed_in_a_forked_generator_writes_the_same_rows(tmp_path):
    digests = []
    for fork in (True, False):
        engine = make_engine(f"sqlite:///{tmp_path / f'f{fork}.db'}")
        seed(engine, random_seed=11, fork=fork, **{**SMALL, "cases": 300})
        digests.append(_digest(engine))
        engine.dispose()
    assert digests[0] == digests[1]


def _nothing_written(engine):
    for table in ("case", "user", "household", "area", "team"):
        n = scalar(engine, f'SELECT count(*) FROM "{table}"')
        assert n == 0 or table == "area", (table, n)
    assert scalar(engine, "SELECT count(*) FROM area WHERE level IN ('community', 'grid')") == 0


@pytest.mark.parametrize("fork", [True, False])
def test_seed_generator_failure_leaves_nothing(fresh_engine, monkeypatch, fork):
    """An error in the generator (the forked process or not) reaches the caller; the transaction rolls back."""
    import rxapp.domain.seed as S

    def broken(self):
        raise ValueError("generator broke")

    monkeypatch.setattr(S._Generator, "build_cases", broken)
    with pytest.raises(ValueError, match="generator broke"):
        seed(fresh_engine, fork=fork, **{**SMALL, "cases": 60, "households_per_grid": (2, 2)})
    _nothing_written(fresh_engine)


@pytest.mark.parametrize("fork", [True, False])
def test_seed_writer_failure_leaves_nothing_and_no_child(fresh_engine, monkeypatch, fork):
    """An error writing a batch ends the generator process (reaped, not left running) and rolls back."""
    import rxapp.domain.seed as S

    real = S._Sink._write

    def broken(self, table, rows):
        if table == "case":
            raise RuntimeError("disk broke")
        return real(self, table, rows)

    monkeypatch.setattr(S._Sink, "_write", broken)
    real_fork, children = os.fork, []

    def fork_recorded():
        pid = real_fork()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork_recorded)
    with pytest.raises(RuntimeError, match="disk broke"):
        seed(fresh_engine, fork=fork, **{**SMALL, "cases": 60, "households_per_grid": (2, 2)})
    assert len(children) == (1 if fork else 0)
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped: not left running
    _nothing_written(fresh_engine)


# ----------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------
def run_cli(*args, timeout=120):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "rxapp.seed", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


@pytest.mark.parametrize("args", [["--cases", "-5"], ["--cases", "many"], ["--cases", "10", "--reset", "--if-empty"]])
def test_cli_bad_arguments(tmp_path, args):
    db = tmp_path / "never.db"
    proc = run_cli(*args, "--db", f"sqlite:///{db}")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""
    assert not db.exists()


@pytest.mark.parametrize("url", ["postgresql+psycopg://nobody@127.0.0.1:1/x", "not a url", "oracle://x@y/z"])
def test_cli_bad_database(url):
    proc = run_cli("--cases", "10", "--db", url)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""


def test_cli_seeds_then_if_empty_and_refusal(tmp_path):
    db = tmp_path / "cli.db"
    url = f"sqlite:///{db}"
    proc = run_cli("--cases", "120", "--db", url, "--grids-per-township", "1", "--random-seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(r"seeded 120 cases, \d+ households, 36 grids, \d+ users in \d+\.\ds\n", proc.stdout)
    engine = make_engine(url)
    before = scalar(engine, 'SELECT count(*) FROM "case"')
    proc = run_cli("--cases", "50", "--db", url, "--if-empty")
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    proc = run_cli("--cases", "50", "--db", url)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert scalar(engine, 'SELECT count(*) FROM "case"') == before == 120
    assert scalar(engine, "PRAGMA journal_mode") == "wal"
    engine.dispose()


def test_seeded_peer_scores_never_rate_their_own_team(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'peers.db'}")
    seed(engine, random_seed=3, **{**SMALL, "cases": 50, "grids_per_township": 2})
    peers = scalar(engine, "SELECT count(*) FROM evaluation WHERE kind = 'peer'")
    own = scalar(engine, "SELECT count(*) FROM evaluation WHERE kind = 'peer' AND rater_team_id = team_id")
    engine.dispose()
    assert peers > 0 and own == 0
