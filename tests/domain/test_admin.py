"""Administration: every action works for an administrator, refuses everyone
else, validates untrusted input (a DomainError naming the field), writes an
audit row, and locks optimistically where the row has a version."""

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import func, select

from rxapp.domain import admin as A
from rxapp.domain.auth import (
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    AccountLocked,
    InvalidCredentials,
    login,
    user_for_token,
)
from rxapp.domain.classify import parse_keywords
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError, NotFound, StaleVersion
from rxapp.domain.reference import add_area
from rxapp.domain.security import token_digest, verify_password
from rxapp.models import (
    ApiKey,
    Area,
    AreaLevel,
    AuditLog,
    Category,
    HolidaySchedule,
    LoginSession,
    Role,
    Sms,
    Team,
    TeamMember,
    User,
)
from tests.factories import PASSWORD

NON_ADMINS = (
    "leader",
    "leader_putuo",
    "leader_zhujiajian",
    "dispatcher",
    "dispatcher_zhujiajian",
    "dept_env",
    "member",
)
SCHEDULE_2030 = """# 2030年
2030-01-01 休 元旦
2030-10-01~2030-10-07 休 国庆节
2030-09-29 班 国庆节
"""


def audits(session, action: str | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return list(session.exec(stmt).all())


def audit_count(session) -> int:
    return session.exec(select(func.count()).select_from(AuditLog)).one()


def new_user_data(world, **extra) -> dict:
    return {
        "username": "zhang_san",
        "display_name": "张三",
        "role": Role.LEADER,
        "scope_area_id": world.areas["zhujiajian"].id,
        "password": "long-enough-1",
        **extra,
    }


def lock(session, user: User) -> None:
    """The state five wrong passwords leave behind (see rxapp.domain.auth)."""
    session.execute(
        update(User).where(User.id == user.id).values(failed_logins=MAX_FAILED_LOGINS, locked_until=now() + LOCK_DURATION)
    )
    session.flush()


def free_grid(session, world) -> Area:
    return add_area(session, name="c1社区第9网格", level=AreaLevel.GRID, parent=world.areas["c1"])


def add_sms(session, n: int) -> list[Sms]:
    rows = []
    for i in range(n):
        sms = Sms(direction="out", phone=f"1380000{i:04d}", text=f"通知{i}", status="queued", created_at=now())
        session.add(sms)
        session.flush()
        rows.append(sms)
    return rows


# ----------------------------------------------------------------------------
# Refusal: every action and every read, for every non-administrator
# ----------------------------------------------------------------------------
def _calls(session, world):
    """Every admin function with valid arguments, keyed by name."""
    target = world.users["leader_changguo"]
    cat = session.get(Category, world.ref.category_ids["ENV"])
    grid = free_grid(session, world)
    key, _ = A.issue_api_key(session, actor=world.actors["admin"], name="existing", rate_limit_per_minute=60)
    return {
        "create_user": lambda a: A.create_user(session, actor=a, data=new_user_data(world)),
        "update_user": lambda a: A.update_user(
            session, actor=a, user_id=target.id, data={"display_name": "改名"}, expected_version=target.version
        ),
        "set_user_active": lambda a: A.set_user_active(
            session, actor=a, user_id=target.id, active=False, expected_version=target.version
        ),
        "reset_password": lambda a: A.reset_password(session, actor=a, user_id=target.id, new_password="another-pass-1"),
        "unlock_user": lambda a: A.unlock_user(session, actor=a, user_id=target.id),
        "update_category": lambda a: A.update_category(
            session, actor=a, category_id=cat.id, data={"deadline_workdays": 9}, expected_version=cat.version
        ),
        "create_team": lambda a: A.create_team(session, actor=a, grid_id=grid.id, name="新团队"),
        "rename_team": lambda a: A.rename_team(session, actor=a, team_id=world.teams["g1"].id, name="改名团队"),
        "save_holiday_schedule": lambda a: A.save_holiday_schedule(session, actor=a, year=2030, text=SCHEDULE_2030),
        "issue_api_key": lambda a: A.issue_api_key(session, actor=a, name="x", rate_limit_per_minute=60),
        "revoke_api_key": lambda a: A.revoke_api_key(session, actor=a, key_id=key.id),
        "list_users": lambda a: A.list_users(session, actor=a, query="", page=1, page_size=10),
        "list_categories": lambda a: A.list_categories(session, actor=a),
        "list_teams": lambda a: A.list_teams(session, actor=a, township_id=None, page=1, page_size=10),
        "list_api_keys": lambda a: A.list_api_keys(session, actor=a),
        "list_sms": lambda a: A.list_sms(session, actor=a, page=1, page_size=10),
        "holiday_schedule_text": lambda a: A.holiday_schedule_text(session, actor=a, year=2030),
        "scope_choices": lambda a: A.scope_choices(session, actor=a),
        "team_choices": lambda a: A.team_choices(session, actor=a, township_id=world.areas["zhujiajian"].id),
    }


def _state(session, world):
    target = session.get(User, world.users["leader_changguo"].id, populate_existing=True)
    cat = session.get(Category, world.ref.category_ids["ENV"], populate_existing=True)
    team = session.get(Team, world.teams["g1"].id, populate_existing=True)
    return (
        audit_count(session),
        session.exec(select(func.count()).select_from(User)).one(),
        (target.display_name, target.active, target.password_hash, target.version),
        (cat.deadline_workdays, cat.version),
        team.name,
        session.exec(select(func.count()).select_from(Team)).one(),
        session.exec(select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_(None))).one(),
        session.get(HolidaySchedule, 2030) is None,
    )


def test_every_admin_function_refuses_non_admins_and_anonymous(session, world):
    calls = _calls(session, world)
    before = _state(session, world)
    for name, call in calls.items():
        for who in [*NON_ADMINS, None]:
            actor = world.actors[who] if who else None
            with pytest.raises(AccessDenied):
                call(actor)
    assert _state(session, world) == before


def test_every_admin_function_refuses_a_forged_actor_object(session, world):
    calls = _calls(session, world)
    for call in calls.values():
        with pytest.raises(AccessDenied):
            call({"role": "admin", "user_id": world.users["admin"].id})


def test_every_admin_function_works_for_admin(session, world):
    for name, call in _calls(session, world).items():
        call(world.actors["admin"])  # no exception


# ----------------------------------------------------------------------------
# Users
# ----------------------------------------------------------------------------
def test_create_user_stores_a_hash_and_writes_an_audit_row(session, world):
    admin = world.actors["admin"]
    user = A.create_user(session, actor=admin, data=new_user_data(world))
    assert user.id and user.role == Role.LEADER and user.scope_area_id == world.areas["zhujiajian"].id
    assert user.password_hash != "long-enough-1" and verify_password("long-enough-1", user.password_hash)
    [row] = audits(session, "user.create")
    assert row.actor_user_id == admin.user_id and row.target == f"user:{user.id}"
    detail = json.loads(row.detail)
    assert detail["username"] == "zhang_san" and "password" not in row.detail and user.password_hash not in row.detail
    assert login(session, username="zhang_san", password="long-enough-1").user_id == user.id


def test_create_member_defaults_scope_to_team_grid_and_joins_the_roster(session, world):
    team = world.teams["g2"]
    user = A.create_user(
        session,
        actor=world.actors["admin"],
        data=new_user_data(world, username="m_new", role=Role.MEMBER, scope_area_id=None, team_id=team.id),
    )
    assert user.scope_area_id == team.grid_id and user.team_id == team.id
    roster = session.exec(select(TeamMember).where(TeamMember.user_id == user.id)).all()
    assert [r.team_id for r in roster] == [team.id]


def test_create_member_with_a_scope_other_than_the_team_grid_is_refused(session, world):
    with pytest.raises(DomainError) as err:
        A.create_user(
            session,
            actor=world.actors["admin"],
            data=new_user_data(world, role=Role.MEMBER, team_id=world.teams["g2"].id, scope_area_id=world.areas["g1"].id),
        )
    assert err.value.field == "scope_area_id"


CREATE_USER_REFUSALS = [
        ({"role": "superuser"}, "role"),
        ({"role": Role.MEMBER, "scope_area_id": None}, "team_id"),
        ({"role": Role.DEPT}, "department_id"),
        ({"role": Role.DEPT, "department_id": 999999}, "department_id"),
        ({"role": Role.LEADER, "scope_area_id": None}, "scope_area_id"),
        ({"role": Role.DISPATCHER, "scope_area_id": 999999}, "scope_area_id"),
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "名字"}, "username"),
        ({"display_name": "   "}, "display_name"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"phone": "call me"}, "phone"),
        ({"scope_area_id": {"$gt": 0}}, "scope_area_id"),
        ({"scope_area_id": True}, "scope_area_id"),
        ({"scope_area_id": -5}, "scope_area_id"),
        ({"scope_area_id": 2**40}, "scope_area_id"),
        ({"team_id": [1, 2], "role": Role.MEMBER}, "team_id"),
        ({"display_name": 12345}, "display_name"),
        ({"role": ["admin"]}, "role"),
]


def test_create_user_validation_errors_name_the_field(session, world):
    before = session.exec(select(func.count()).select_from(User)).one()
    for extra, field in CREATE_USER_REFUSALS:
        with pytest.raises(DomainError) as err:
            A.create_user(session, actor=world.actors["admin"], data=new_user_data(world, **extra))
        assert err.value.field == field, extra
        assert err.value.message and not err.value.message.isascii(), extra  # a Chinese message for the form
    assert session.exec(select(func.count()).select_from(User)).one() == before
    assert audits(session, "user.create") == []


def test_create_user_refuses_data_that_is_not_a_mapping(session, world):
    for data in [None, "username=x", 42, ["admin"]]:
        with pytest.raises(DomainError) as err:
            A.create_user(session, actor=world.actors["admin"], data=data)
        assert err.value.field == "data"


def test_usernames_are_unique_regardless_of_case(session, world):
    A.create_user(session, actor=world.actors["admin"], data=new_user_data(world))
    with pytest.raises(DomainError) as err:
        A.create_user(session, actor=world.actors["admin"], data=new_user_data(world, username="Zhang_San"))
    assert err.value.field == "username" and "已存在" in err.value.message


def test_update_user_changes_fields_bumps_version_and_audits_the_diff(session, world):
    target = world.users["leader_changguo"]
    v = target.version
    user = A.update_user(
        session,
        actor=world.actors["admin"],
        user_id=target.id,
        data={"display_name": "昌国领导", "scope_area_id": world.areas["dinghai"].id},
        expected_version=v,
    )
    assert user.display_name == "昌国领导" and user.scope_area_id == world.areas["dinghai"].id
    assert user.version == v + 1
    [row] = audits(session, "user.update")
    changes = json.loads(row.detail)["changes"]
    assert changes["display_name"] == ["leader_changguo", "昌国领导"]
    assert set(changes) == {"display_name", "scope_area_id"}


def test_update_user_member_team_change_moves_scope_and_roster(session, world):
    member = world.users["member"]
    user = A.update_user(
        session,
        actor=world.actors["admin"],
        user_id=member.id,
        data={"team_id": world.teams["g3"].id},
        expected_version=member.version,
    )
    assert user.team_id == world.teams["g3"].id and user.scope_area_id == world.areas["g3"].id
    roster = session.exec(select(TeamMember).where(TeamMember.user_id == member.id)).all()
    assert [r.team_id for r in roster] == [world.teams["g3"].id]


def test_update_user_role_to_dept_needs_a_department(session, world):
    target = world.users["leader_changguo"]
    with pytest.raises(DomainError) as err:
        A.update_user(session, actor=world.actors["admin"], user_id=target.id, data={"role": Role.DEPT}, expected_version=target.version)
    assert err.value.field == "department_id"


def test_update_user_with_a_stale_version_changes_nothing(session, world):
    target = world.users["leader_changguo"]
    v = target.version
    A.update_user(session, actor=world.actors["admin"], user_id=target.id, data={"display_name": "第一次"}, expected_version=v)
    with pytest.raises(StaleVersion) as err:
        A.update_user(session, actor=world.actors["admin"], user_id=target.id, data={"display_name": "第二次"}, expected_version=v)
    assert err.value.message == "已被他人修改，请刷新后重试"
    assert session.get(User, target.id, populate_existing=True).display_name == "第一次"
    assert len(audits(session, "user.update")) == 1


def test_update_user_refuses_garbage_ids_and_versions(session, world):
    admin = world.actors["admin"]
    for user_id in ["abc", None, {"id": 1}, -1, True, 2**40, 999999]:
        with pytest.raises(DomainError) as err:
            A.update_user(session, actor=admin, user_id=user_id, data={"display_name": "x"}, expected_version=1)
        assert err.value.field == "user_id" or isinstance(err.value, NotFound), user_id
    target = world.users["leader_changguo"]
    for version in ["one", None, [1], 0, False]:
        with pytest.raises(DomainError) as err:
            A.update_user(session, actor=admin, user_id=target.id, data={"display_name": "x"}, expected_version=version)
        assert err.value.field == "expected_version", version
    assert session.get(User, target.id, populate_existing=True).display_name == "leader_changguo"


def test_admin_cannot_disable_or_demote_themselves(session, world):
    me = world.users["admin"]
    actor = world.actors["admin"]
    with pytest.raises(DomainError) as err:
        A.set_user_active(session, actor=actor, user_id=me.id, active=False, expected_version=me.version)
    assert err.value.field == "active"
    with pytest.raises(DomainError) as err:
        A.update_user(session, actor=actor, user_id=me.id, data={"active": False}, expected_version=me.version)
    assert err.value.field == "active"
    with pytest.raises(DomainError) as err:
        A.update_user(session, actor=actor, user_id=me.id, data={"role": Role.LEADER}, expected_version=me.version)
    assert err.value.field == "role"
    assert session.get(User, me.id, populate_existing=True).active


def test_disable_ends_sessions_and_enable_restores_login(session, world):
    target = world.users["dispatcher_zhujiajian"]
    token = login(session, username=target.username, password=PASSWORD).token
    user = A.set_user_active(session, actor=world.actors["admin"], user_id=target.id, active=False, expected_version=target.version)
    assert not user.active and user_for_token(session, token) is None
    assert session.exec(select(LoginSession).where(LoginSession.user_id == target.id, LoginSession.ended_at.is_(None))).all() == []
    with pytest.raises(InvalidCredentials):
        login(session, username=target.username, password=PASSWORD)
    A.set_user_active(session, actor=world.actors["admin"], user_id=target.id, active=True, expected_version=user.version)
    assert login(session, username=target.username, password=PASSWORD).token
    assert [a.action for a in audits(session) if a.target == f"user:{target.id}"] == ["user.disable", "user.enable"]


def test_set_user_active_wants_a_real_bool(session, world):
    target = world.users["leader_changguo"]
    for active in ["false", 0, None, "yes"]:
        with pytest.raises(DomainError) as err:
            A.set_user_active(session, actor=world.actors["admin"], user_id=target.id, active=active, expected_version=target.version)
        assert err.value.field == "active", active
    assert session.get(User, target.id, populate_existing=True).active


def test_set_user_active_with_a_stale_version_is_refused(session, world):
    target = world.users["leader_changguo"]
    with pytest.raises(StaleVersion):
        A.set_user_active(session, actor=world.actors["admin"], user_id=target.id, active=False, expected_version=target.version + 7)
    assert session.get(User, target.id, populate_existing=True).active


def test_reset_password_ends_sessions_clears_lockout_and_sets_the_new_password(session, world):
    target = world.users["dispatcher"]
    token = login(session, username="dispatcher", password=PASSWORD).token
    lock(session, target)
    with pytest.raises(AccountLocked):
        login(session, username="dispatcher", password=PASSWORD)
    A.reset_password(session, actor=world.actors["admin"], user_id=target.id, new_password="brand-new-pass")
    user = session.get(User, target.id, populate_existing=True)
    assert user.failed_logins == 0 and user.locked_until is None
    assert user_for_token(session, token) is None
    assert login(session, username="dispatcher", password="brand-new-pass").token
    with pytest.raises(InvalidCredentials):
        login(session, username="dispatcher", password=PASSWORD)
    [row] = audits(session, "user.reset_password")
    assert "brand-new-pass" not in row.detail and json.loads(row.detail)["sessions_ended"] == 1


def test_reset_password_refuses_weak_or_garbage_passwords(session, world):
    target = world.users["dispatcher"]
    before = session.get(User, target.id).password_hash
    for password in ["short", "", None, 12345678, "        ", ["long-enough-1"], "x" * 129]:
        with pytest.raises(DomainError) as err:
            A.reset_password(session, actor=world.actors["admin"], user_id=target.id, new_password=password)
        assert err.value.field == "new_password", password
    assert session.get(User, target.id, populate_existing=True).password_hash == before


def test_unlock_user_lifts_the_lockout(session, world):
    target = world.users["leader"]
    lock(session, target)
    with pytest.raises(AccountLocked):
        login(session, username="leader", password=PASSWORD)
    A.unlock_user(session, actor=world.actors["admin"], user_id=target.id)
    assert login(session, username="leader", password=PASSWORD).token
    assert len(audits(session, "user.unlock")) == 1


def test_list_users_pages_and_filters_in_sql(session, world):
    admin = world.actors["admin"]
    rows, total = A.list_users(session, actor=admin, query="", page=1, page_size=4)
    assert total == len(world.users) and len(rows) == 4
    rows2, _ = A.list_users(session, actor=admin, query="", page=2, page_size=4)
    assert {r.id for r in rows}.isdisjoint({r.id for r in rows2})
    rows, total = A.list_users(session, actor=admin, query="LEADER_", page=1, page_size=50)
    assert total == 3 and all(r.username.startswith("leader_") for r in rows)  # "_" is literal, case-insensitive
    assert A.list_users(session, actor=admin, query="%", page=1, page_size=50) == ([], 0)
    assert not hasattr(rows[0], "password_hash")


def test_list_users_refuses_bad_paging_and_queries(session, world):
    admin = world.actors["admin"]
    for page_no, size in [(0, 10), (1, 0), (1, 51), ("x", 10), (1, {"n": 1}), (True, 10)]:
        with pytest.raises(DomainError):
            A.list_users(session, actor=admin, query="", page=page_no, page_size=size)
    for query in [{"$ne": ""}, ["a"], "x" * 65]:
        with pytest.raises(DomainError) as err:
            A.list_users(session, actor=admin, query=query, page=1, page_size=10)
        assert err.value.field == "query"


# ----------------------------------------------------------------------------
# Categories
# ----------------------------------------------------------------------------
def test_update_category_normalises_keywords_and_audits(session, world):
    cat = session.get(Category, world.ref.category_ids["ENV"])
    dep = world.ref.department_ids["SAFETY"]
    updated = A.update_category(
        session,
        actor=world.actors["admin"],
        category_id=cat.id,
        data={"keywords": "油烟：3, 噪音  扬尘，油烟", "deadline_workdays": "8", "department_id": dep},
        expected_version=cat.version,
    )
    assert updated.keywords == "油烟:3、噪音、扬尘"
    assert parse_keywords(updated.keywords) == ["油烟:3", "噪音", "扬尘"]
    assert updated.deadline_workdays == 8 and updated.department_id == dep
    [row] = audits(session, "category.update")
    assert row.target == "category:ENV" and "噪音" in json.loads(row.detail)["changes"]["keywords"]["added"]


CATEGORY_REFUSALS = [
        ({"keywords": "油烟:9"}, "keywords"),
        ({"keywords": ":3"}, "keywords"),
        ({"keywords": "a" * 21}, "keywords"),
        ({"keywords": 123}, "keywords"),
        ({"deadline_workdays": 0}, "deadline_workdays"),
        ({"deadline_workdays": 61}, "deadline_workdays"),
        ({"deadline_workdays": "abc"}, "deadline_workdays"),
        ({"deadline_workdays": True}, "deadline_workdays"),
        ({"department_id": None}, "department_id"),
        ({"department_id": 999999}, "department_id"),
        ({"department_id": "abc"}, "department_id"),
        ("deadline=5", "data"),
]


def test_update_category_validation_errors_name_the_field(session, world):
    cat = session.get(Category, world.ref.category_ids["ENV"])
    before = (cat.keywords, cat.deadline_workdays, cat.department_id, cat.version)
    for data, field in CATEGORY_REFUSALS:
        with pytest.raises(DomainError) as err:
            A.update_category(session, actor=world.actors["admin"], category_id=cat.id, data=data, expected_version=cat.version)
        assert err.value.field == field, data
    cat = session.get(Category, cat.id, populate_existing=True)
    assert (cat.keywords, cat.deadline_workdays, cat.department_id, cat.version) == before
    assert audits(session, "category.update") == []


def test_update_category_with_a_stale_version_is_refused(session, world):
    cat = session.get(Category, world.ref.category_ids["EDU"])
    v = cat.version
    A.update_category(session, actor=world.actors["admin"], category_id=cat.id, data={"deadline_workdays": 11}, expected_version=v)
    with pytest.raises(StaleVersion):
        A.update_category(session, actor=world.actors["admin"], category_id=cat.id, data={"deadline_workdays": 12}, expected_version=v)
    assert session.get(Category, cat.id, populate_existing=True).deadline_workdays == 11


def test_list_categories_returns_the_fourteen(session, world):
    rows = A.list_categories(session, actor=world.actors["admin"])
    assert len(rows) == 14 and rows[0].code == "ECON" and all(r.keyword_count > 0 for r in rows)


# ----------------------------------------------------------------------------
# Teams
# ----------------------------------------------------------------------------
def test_create_team_on_a_grid_without_one(session, world):
    grid = free_grid(session, world)
    choices = A.free_grid_choices(session, actor=world.actors["admin"], township_id=world.areas["zhujiajian"].id)
    assert [c.id for c in choices] == [grid.id]
    team = A.create_team(session, actor=world.actors["admin"], grid_id=grid.id, name="", leader_name="李组长")
    assert team.grid_id == grid.id and team.township_id == world.areas["zhujiajian"].id
    assert team.name == "c1社区第9网格服务团队" and team.leader_name == "李组长"
    assert len(audits(session, "team.create")) == 1
    with pytest.raises(DomainError) as err:
        A.create_team(session, actor=world.actors["admin"], grid_id=grid.id, name="第二个")
    assert err.value.field == "grid_id"


def test_create_team_refuses_grids_with_teams_and_other_levels(session, world):
    teams = session.exec(select(func.count()).select_from(Team)).one()
    for grid_id in [world.areas["g1"].id, world.areas["c1"].id, world.areas["zhujiajian"].id, "garbage", None, 999999]:
        with pytest.raises(DomainError) as err:
            A.create_team(session, actor=world.actors["admin"], grid_id=grid_id, name="新团队")
        assert err.value.field == "grid_id", grid_id
    assert session.exec(select(func.count()).select_from(Team)).one() == teams


def test_rename_team_and_validation(session, world):
    team = world.teams["g1"]
    A.rename_team(session, actor=world.actors["admin"], team_id=team.id, name="  海岛先锋队 ", leader_name="王队长")
    team = session.get(Team, team.id, populate_existing=True)
    assert (team.name, team.leader_name) == ("海岛先锋队", "王队长")
    assert len(audits(session, "team.rename")) == 1
    for name, field in [("", "name"), ("x" * 65, "name"), ({"a": 1}, "name")]:
        with pytest.raises(DomainError) as err:
            A.rename_team(session, actor=world.actors["admin"], team_id=team.id, name=name)
        assert err.value.field == field
    with pytest.raises(NotFound):
        A.rename_team(session, actor=world.actors["admin"], team_id=999999, name="x")


def test_list_teams_counts_members_and_filters_by_township(session, world):
    admin = world.actors["admin"]
    session.add(TeamMember(team_id=world.teams["g1"].id, name="志愿者"))
    session.add(TeamMember(team_id=world.teams["g1"].id, name="离队者", active=False))
    session.flush()
    rows, total = A.list_teams(session, actor=admin, township_id=world.areas["zhujiajian"].id, page=1, page_size=10)
    assert total == 3 and {r.grid_name for r in rows} == {"c1社区第1网格", "c1社区第2网格", "c2社区第3网格"}
    assert {r.grid_id: r.member_count for r in rows}[world.areas["g1"].id] == 2
    assert all(r.township_name == "朱家尖街道" for r in rows)
    rows, total = A.list_teams(session, actor=admin, township_id=None, page=2, page_size=3)
    assert total == 4 and len(rows) == 1


# ----------------------------------------------------------------------------
# Holiday schedule
# ----------------------------------------------------------------------------
def test_save_holiday_schedule_upserts_and_becomes_the_official_source(session, world):
    admin = world.actors["admin"]
    assert dict(A.schedule_status(session, date(2029, 6, 1)))[2030] == "missing"
    A.save_holiday_schedule(session, actor=admin, year=2030, text=SCHEDULE_2030)
    assert dict(A.schedule_status(session, date(2029, 6, 1))) == {2029: "missing", 2030: "official"}
    A.save_holiday_schedule(session, actor=admin, year="2030", text="2030-01-01 休 元旦")
    row = session.get(HolidaySchedule, 2030, populate_existing=True)
    assert row.text.strip() == "2030-01-01 休 元旦" and row.updated_by_user_id == admin.user_id
    assert A.holiday_schedule_text(session, actor=admin, year=2030) == row.text
    details = [json.loads(a.detail) for a in audits(session, "holiday.save")]
    assert [d["replaced"] for d in details] == [False, True]


SCHEDULE_REFUSALS = [
        (1999, SCHEDULE_2030, "year"),
        (2101, SCHEDULE_2030, "year"),
        ("二〇三〇", SCHEDULE_2030, "year"),
        (True, SCHEDULE_2030, "year"),
        (2031, SCHEDULE_2030, "text"),  # dates outside the year
        (2030, "2030-13-01 休", "text"),
        (2030, "2030-10-08 班 国庆节", "text"),  # a Tuesday cannot be a make-up day
        (2030, "", "text"),
        (2030, None, "text"),
        (2030, ["2030-01-01 休"], "text"),
        (2030, "x" * 20_001, "text"),
]


def test_save_holiday_schedule_validation(session, world):
    for year, text, field in SCHEDULE_REFUSALS:
        with pytest.raises(DomainError) as err:
            A.save_holiday_schedule(session, actor=world.actors["admin"], year=year, text=text)
        assert err.value.field == field and err.value.message, (year, str(text)[:40])
    assert session.get(HolidaySchedule, 2030) is None and audits(session, "holiday.save") == []


def test_schedule_status_covers_this_year_and_next(session, world):
    today = date.today()
    status = A.schedule_status(session, today)
    assert [y for y, _ in status] == [today.year, today.year + 1]
    assert all(src in ("official", "package", "missing") for _, src in status)


# ----------------------------------------------------------------------------
# API keys
# ----------------------------------------------------------------------------
def test_issue_api_key_stores_only_the_digest(session, world):
    key, plain = A.issue_api_key(session, actor=world.actors["admin"], name="12345 热线", rate_limit_per_minute="120")
    assert len(plain) >= 32 and key.prefix == plain[:8]
    assert key.key_hash == token_digest(plain) and plain not in key.key_hash
    found = session.exec(select(ApiKey).where(ApiKey.key_hash == token_digest(plain))).one()
    assert found.id == key.id and found.rate_limit_per_minute == 120
    [row] = audits(session, "api_key.issue")
    assert plain not in row.detail and key.key_hash not in row.detail
    rows = A.list_api_keys(session, actor=world.actors["admin"])
    assert rows[0].prefix == key.prefix and not hasattr(rows[0], "key_hash")


def test_issue_api_key_validation(session, world):
    cases = [
        ("", 60, "name"),
        ("x" * 65, 60, "name"),
        (None, 60, "name"),
        (["x"], 60, "name"),
        ("ok", 0, "rate_limit_per_minute"),
        ("ok", "lots", "rate_limit_per_minute"),
        ("ok", 10**9, "rate_limit_per_minute"),
        ("ok", True, "rate_limit_per_minute"),
    ]
    for name, rate, field in cases:
        with pytest.raises(DomainError) as err:
            A.issue_api_key(session, actor=world.actors["admin"], name=name, rate_limit_per_minute=rate)
        assert err.value.field == field, (name, rate)
    assert session.exec(select(func.count()).select_from(ApiKey)).one() == 0


def test_revoke_api_key_once(session, world):
    key, _ = A.issue_api_key(session, actor=world.actors["admin"], name="client", rate_limit_per_minute=60)
    revoked = A.revoke_api_key(session, actor=world.actors["admin"], key_id=str(key.id))
    assert revoked.revoked_at is not None
    with pytest.raises(DomainError) as err:
        A.revoke_api_key(session, actor=world.actors["admin"], key_id=key.id)
    assert err.value.field == "key_id"
    with pytest.raises(NotFound):
        A.revoke_api_key(session, actor=world.actors["admin"], key_id=999999)
    assert len(audits(session, "api_key.revoke")) == 1


# ----------------------------------------------------------------------------
# SMS log, choices, the command-line actor
# ----------------------------------------------------------------------------
def test_list_sms_newest_first_in_pages(session, world):
    rows = add_sms(session, 5)
    page1, total = A.list_sms(session, actor=world.actors["admin"], page=1, page_size=2)
    assert total == 5 and [r.id for r in page1] == [rows[4].id, rows[3].id]
    assert page1[0].phone == rows[4].phone  # administrators read the full number
    page3, _ = A.list_sms(session, actor=world.actors["admin"], page=3, page_size=2)
    assert [r.id for r in page3] == [rows[0].id]


def test_scope_choices_list_city_districts_and_townships(session, world):
    choices = A.scope_choices(session, actor=world.actors["admin"])
    assert choices[0].level == AreaLevel.CITY
    assert {c.level for c in choices} == {AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.TOWNSHIP}
    assert any(c.label == "普陀区 · 朱家尖街道" for c in choices)


def test_resolve_area_path_for_the_command_line(session, world):
    assert A.resolve_area_path(session, "舟山市/普陀区/朱家尖街道").id == world.areas["zhujiajian"].id
    for bad in ["舟山市/火星", "", "普陀区", None]:
        with pytest.raises(DomainError) as err:
            A.resolve_area_path(session, bad)
        assert err.value.field == "scope"


def test_cli_actor_is_audited_as_cli_without_a_user(session, world):
    A.create_user(session, actor=A.cli_actor(), data=new_user_data(world, username="from_cli"))
    [row] = audits(session, "user.create")
    assert row.actor_user_id is None and json.loads(row.detail)["by"] == "cli"


def test_nothing_is_deleted(session, world):
    """Disabling and revoking keep the rows."""
    users = session.exec(select(func.count()).select_from(User)).one()
    target = world.users["leader_changguo"]
    A.set_user_active(session, actor=world.actors["admin"], user_id=target.id, active=False, expected_version=target.version)
    key, _ = A.issue_api_key(session, actor=world.actors["admin"], name="c", rate_limit_per_minute=5)
    A.revoke_api_key(session, actor=world.actors["admin"], key_id=key.id)
    assert session.exec(select(func.count()).select_from(User)).one() == users
    assert session.get(ApiKey, key.id) is not None
    assert now() - session.get(ApiKey, key.id).revoked_at < timedelta(minutes=1)


# ----------------------------------------------------------------------------
# The command line (python -m rxapp.users)
# ----------------------------------------------------------------------------
@pytest.fixture
def cli_db(tmp_path):
    from sqlmodel import Session, SQLModel

    from rxapp.db import make_engine
    from tests.factories import make_world

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    with Session(eng) as s:
        make_world(s)
        s.commit()
    yield url, eng
    eng.dispose()


def test_cli_creates_users_and_keys_and_fails_in_one_line(cli_db, capsys):
    from sqlmodel import Session

    from rxapp.users import main

    url, eng = cli_db
    assert main(["--db", url, "create", "--username", "wang5", "--name", "王五", "--role", "leader", "--scope", "舟山市/普陀区/朱家尖街道", "--password", "long-enough-1"]) == 0
    assert "wang5" in capsys.readouterr().out
    assert main(["--db", url, "create", "--username", "env2", "--name", "环保", "--role", "dept", "--department-code", "env", "--password", "long-enough-1"]) == 0
    capsys.readouterr()
    # refusals: one line on stderr, exit status 2
    for argv in (
        ["create", "--username", "wang5", "--name", "重名", "--role", "leader", "--scope-area-id", "1", "--password", "long-enough-1"],
        ["create", "--username", "x9", "--name", "无区域", "--role", "leader", "--scope", "舟山市/火星", "--password", "long-enough-1"],
        ["create", "--username", "m9", "--name", "无团队", "--role", "member", "--password", "long-enough-1"],
        ["create", "--username", "r9", "--name", "角色", "--role", "root", "--password", "long-enough-1"],
        ["disable", "--username", "nobody"],
        ["api-key", "revoke", "--id", "abc"],
    ):
        assert main(["--db", url, *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1, (argv, err)
    assert main(["--db", url, "api-key", "create", "--name", "热线", "--rate-limit", "30"]) == 0
    plain = capsys.readouterr().out.strip().splitlines()[-1]
    with Session(eng) as s:
        key = s.exec(select(ApiKey).where(ApiKey.key_hash == token_digest(plain))).one()
        assert key.rate_limit_per_minute == 30
        assert s.exec(select(User).where(User.username == "wang5")).one().scope_area_id is not None
        rows = s.exec(select(AuditLog).order_by(AuditLog.id)).all()
        assert [r.action for r in rows] == ["user.create", "user.create", "api_key.issue"]
        assert all(r.actor_user_id is None and json.loads(r.detail)["by"] == "cli" for r in rows)
    assert main(["--db", url, "disable", "--username", "wang5"]) == 0
    assert main(["--db", url, "api-key", "revoke", "--id", str(key.id)]) == 0
    assert main(["--db", url, "list", "--query", "wang"]) == 0
    out = capsys.readouterr().out
    assert "wang5" in out and "停用" in out
