"""SQLModel tables of GridDesk and the shapes that may cross the API.

Per entity, following the FastAPI template: ``XBase`` (shared, validated fields),
``X(XBase, table=True)``, ``XCreate`` (input), ``XUpdate`` (all optional) and
``XPublic`` (what may leave the server).  Inputs never touch the table class
directly.  Times are naive datetimes (``NaiveDatetime``) in China Standard Time (UTC+8, no DST):
deadlines are counted in local working days, so local wall time is the unit.
"""

from datetime import date

from pydantic import NaiveDatetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


# ----------------------------------------------------------------------------
# Vocabulary (stored as short strings: portable across SQLite and PostgreSQL)
# ----------------------------------------------------------------------------
class Role:
    LEADER = "leader"
    DISPATCHER = "dispatcher"
    DEPT = "dept"
    MEMBER = "member"
    ADMIN = "admin"
    ALL = (LEADER, DISPATCHER, DEPT, MEMBER, ADMIN)


class AreaLevel:
    CITY = "city"
    DISTRICT = "district"
    TOWNSHIP = "township"
    COMMUNITY = "community"
    GRID = "grid"
    ORDER = (CITY, DISTRICT, TOWNSHIP, COMMUNITY, GRID)


class Channel:
    DESK = "desk"
    PHONE = "phone"
    VISIT = "visit"
    WEB = "web"
    SMS = "sms"
    API = "api"
    MEETING = "meeting"
    DIARY = "diary"
    ALL = (DESK, PHONE, VISIT, WEB, SMS, API, MEETING, DIARY)


class CaseStatus:
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ROUTED = "routed"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    ALL = (SUBMITTED, ACCEPTED, ROUTED, IN_PROGRESS, RESOLVED, CLOSED, REJECTED, DUPLICATE)
    # "open" = the matter is still owed to the resident
    OPEN = (SUBMITTED, ACCEPTED, ROUTED, IN_PROGRESS)
    DONE = (RESOLVED, CLOSED)


class Satisfaction:
    SATISFIED = "satisfied"  # 满意
    BASIC = "basic"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意
    ALL = (SATISFIED, BASIC, UNSATISFIED)
    GOOD = (SATISFIED, BASIC)


class EvaluationKind:
    REQUESTER = "requester"  # the resident, after a follow-up call or self-service
    STAFF = "staff"  # staff rate the request (reasonable, cooperative)
    TEAM_SELF = "team_self"
    PEER = "peer"
    HOUSEHOLD_REP = "household_rep"
    LEADER = "leader"
    PUBLIC = "public"
    ALL = (REQUESTER, STAFF, TEAM_SELF, PEER, HOUSEHOLD_REP, LEADER, PUBLIC)


class MeetingKind:
    HOUSEHOLD_REP = "household_rep"  # 户代表会议
    RELIEF_FORUM = "relief_forum"  # 为民解困恳谈
    ENTERPRISE = "enterprise"  # 政企恳谈
    ALL = (HOUSEHOLD_REP, RELIEF_FORUM, ENTERPRISE)


# ----------------------------------------------------------------------------
# Areas, departments, categories
# ----------------------------------------------------------------------------
class AreaBase(SQLModel):
    name: str = Field(min_length=1, max_length=64)
    level: str = Field(max_length=16, index=True)
    code: str = Field(default="", max_length=32)


class Area(AreaBase, table=True):
    """City → district → township → community → grid.

    ``path`` is the materialised id path (``/1/3/17/``) so scope checks and
    sub-tree queries are one indexed prefix match.

    Geography (``rxapp.domain.geo``; every coordinate GCJ-02 lon/lat):
    ``geometry`` is a GeoJSON Polygon / MultiPolygon (the ``geometry`` member
    only), the bounding-box columns prefilter in plain indexed SQL (no
    PostGIS), ``label_lon/lat`` is a point inside the area for its label,
    ``roads`` the road names of a grid (``、``-separated, for the address
    index) and ``geo_rev`` moves up whenever an import changes geometry, so
    every process rebuilds its cached index."""

    __table_args__ = (
        Index("ix_area_bbox_lon", "min_lon", "max_lon"),
        Index("ix_area_bbox_lat", "min_lat", "max_lat"),
    )

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    path: str = Field(default="", max_length=128, index=True)
    sort: int = 0
    geometry: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    min_lon: float | None = None
    min_lat: float | None = None
    max_lon: float | None = None
    max_lat: float | None = None
    label_lon: float | None = None
    label_lat: float | None = None
    roads: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    geo_rev: int = Field(default=0, index=True)  # indexed: the areas' mark is read before every lookup


class AreaPublic(AreaBase):
    id: int
    parent_id: int | None


class DepartmentBase(SQLModel):
    code: str = Field(max_length=32)
    name_zh: str = Field(min_length=1, max_length=64)
    name_en: str = Field(default="", max_length=128)


class Department(DepartmentBase, table=True):
    __table_args__ = (UniqueConstraint("code"),)
    id: int | None = Field(default=None, primary_key=True)
    active: bool = True


class DepartmentPublic(DepartmentBase):
    id: int


class CategoryBase(SQLModel):
    code: str = Field(max_length=16)
    name_zh: str = Field(min_length=1, max_length=32)
    name_en: str = Field(default="", max_length=64)
    deadline_workdays: int = Field(default=5, ge=1, le=60)


class Category(CategoryBase, table=True):
    __table_args__ = (UniqueConstraint("code"),)
    id: int | None = Field(default=None, primary_key=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    keywords: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    from_report: bool = False
    active: bool = True
    sort: int = 0
    version: int = 1


class CategoryUpdate(SQLModel):
    department_id: int | None = None
    deadline_workdays: int | None = Field(default=None, ge=1, le=60)
    keywords: str | None = Field(default=None, max_length=4000)


class CategoryPublic(CategoryBase):
    id: int
    department_id: int | None


# ----------------------------------------------------------------------------
# Teams and users
# ----------------------------------------------------------------------------
class TeamBase(SQLModel):
    name: str = Field(min_length=1, max_length=64)


class Team(TeamBase, table=True):
    """One service team (组团) per grid."""

    __table_args__ = (UniqueConstraint("grid_id"),)
    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="area.id")
    township_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    leader_name: str = Field(default="", max_length=32)
    active: bool = True


class TeamPublic(TeamBase):
    id: int
    grid_id: int


class TeamMember(SQLModel, table=True):
    """A member of a team's roster (cadre, party member, volunteer); not every
    member has a login."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    name: str = Field(max_length=32)
    duty: str = Field(default="成员", max_length=32)
    phone: str = Field(default="", max_length=20)
    party_member: bool = False
    user_id: int | None = Field(default=None, foreign_key="user.id")
    active: bool = True


class UserBase(SQLModel):
    username: str = Field(min_length=3, max_length=32, regex=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=32)
    role: str = Field(max_length=16)
    scope_area_id: int | None = None
    team_id: int | None = None
    department_id: int | None = None
    phone: str = Field(default="", max_length=20)


class User(UserBase, table=True):
    __table_args__ = (UniqueConstraint("username"),)
    id: int | None = Field(default=None, primary_key=True)
    scope_area_id: int | None = Field(default=None, foreign_key="area.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    password_hash: str = Field(max_length=255)
    active: bool = True
    failed_logins: int = 0
    locked_until: NaiveDatetime | None = None
    created_at: NaiveDatetime
    version: int = 1


class UserCreate(UserBase):
    password: str = Field(min_length=8, max_length=128)


class UserUpdate(SQLModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=32)
    role: str | None = None
    scope_area_id: int | None = None
    team_id: int | None = None
    department_id: int | None = None
    active: bool | None = None


class UserPublic(UserBase):
    id: int
    active: bool


class LoginSession(SQLModel, table=True):
    """An opaque login session. The cookie holds a random token; only its
    SHA-256 is stored, so a leaked table cannot be replayed."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: NaiveDatetime
    expires_at: NaiveDatetime
    ended_at: NaiveDatetime | None = None
    user_agent: str = Field(default="", max_length=255)


class ApiKey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    prefix: str = Field(max_length=12, index=True)
    key_hash: str = Field(max_length=64, unique=True)
    rate_limit_per_minute: int = 600
    created_at: NaiveDatetime
    revoked_at: NaiveDatetime | None = None


class AuditLog(SQLModel, table=True):
    """Administrative actions (users, categories, teams, schedules): nothing is
    deleted, only recorded."""

    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=48)
    target: str = Field(default="", max_length=64)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


# ----------------------------------------------------------------------------
# Households and residents
# ----------------------------------------------------------------------------
class HouseholdBase(SQLModel):
    address: str = Field(min_length=1, max_length=128)
    representative: str = Field(min_length=1, max_length=32)
    phone: str = Field(default="", max_length=20)
    size: int = Field(default=1, ge=1, le=30)
    needs: str = Field(default="", max_length=128)  # 低保, 独居老人, 残疾 ...
    notes: str = Field(default="", max_length=500)


class Household(HouseholdBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="area.id", index=True)
    community_id: int | None = Field(default=None, foreign_key="area.id")
    party_member_id: int | None = Field(default=None, foreign_key="teammember.id", index=True)  # 联户党员
    lon: float | None = Field(default=None, ge=-180, le=180)  # GCJ-02 (rxapp.domain.geo); never public
    lat: float | None = Field(default=None, ge=-90, le=90)  # GCJ-02 (rxapp.domain.geo)
    created_at: NaiveDatetime
    version: int = 1


class HouseholdCreate(HouseholdBase):
    grid_id: int


class HouseholdUpdate(SQLModel):
    address: str | None = Field(default=None, min_length=1, max_length=128)
    representative: str | None = Field(default=None, min_length=1, max_length=32)
    phone: str | None = Field(default=None, max_length=20)
    size: int | None = Field(default=None, ge=1, le=30)
    needs: str | None = Field(default=None, max_length=128)
    notes: str | None = Field(default=None, max_length=500)


class ResidentBase(SQLModel):
    name: str = Field(min_length=1, max_length=32)
    gender: str = Field(default="", max_length=4)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    relation: str = Field(default="", max_length=16)
    phone: str = Field(default="", max_length=20)
    skills: str = Field(default="", max_length=200)  # 技能, e.g. 焊工 电工
    specialties: str = Field(default="", max_length=200)  # 特长
    party_member: bool = False


class Resident(ResidentBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    grid_id: int = Field(foreign_key="area.id", index=True)
    id_number: str = Field(default="", max_length=18)  # never leaves the server
    created_at: NaiveDatetime
    version: int = 1


class ResidentCreate(ResidentBase):
    household_id: int
    id_number: str = Field(default="", max_length=18)


# ----------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------
class CaseBase(SQLModel):
    channel: str = Field(max_length=16)
    content: str = Field(min_length=2, max_length=2000)
    requester_name: str = Field(default="", max_length=32)
    requester_phone: str = Field(default="", max_length=20)
    requester_address: str = Field(default="", max_length=128)
    grid_id: int | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)  # GCJ-02 (rxapp.domain.geo)
    lon: float | None = Field(default=None, ge=-180, le=180)


# what the rankings of a filtered dashboard read besides the filter and the accept time
_RANK_INDEX_COLS = ("status", "district_id", "township_id", "team_id", "deadline", "resolved_at", "closed_at")


class Case(CaseBase, table=True):
    """One resident request (诉求 / 工单).

    Area ids are denormalised (district → grid) so dashboards group and scope
    with plain indexed columns instead of walking the tree."""

    __table_args__ = (
        UniqueConstraint("code"),
        # open cases by deadline; the dashboard's overdue-now and not-yet-due counts read the index alone
        Index("ix_case_status_deadline", "status", "deadline", "category_id", "department_id", "accepted_at"),
        Index("ix_case_accepted", "accepted_at"),
        Index("ix_case_resolved", "resolved_at"),
        Index("ix_case_township_accepted", "township_id", "accepted_at"),
        Index("ix_case_dept_status", "department_id", "status"),
        Index("ix_case_submitted", "submitted_at"),
        Index("ix_case_community_submitted", "community_id", "submitted_at"),  # hot spots, intake duplicates
        Index("ix_case_phone_submitted", "requester_phone", "submitted_at"),  # caller history at intake
        # the filtered dashboards (issue 18): a category / department over a period, read from
        # the index alone for the rankings (status, deadline and resolution decide done / on time)
        Index("ix_case_category_accepted", "category_id", "accepted_at", "department_id", *_RANK_INDEX_COLS),
        Index("ix_case_department_accepted", "department_id", "accepted_at", "category_id", *_RANK_INDEX_COLS),
        Index("ix_case_category_submitted", "category_id", "submitted_at", "department_id", "district_id", "township_id"),
        Index("ix_case_department_submitted", "department_id", "submitted_at", "category_id", "district_id", "township_id"),
        Index("ix_case_community_accepted", "community_id", "accepted_at"),
        Index("ix_case_grid_accepted", "grid_id", "accepted_at"),
        # overdue now of a district / township, filtered or not, from the index alone
        Index("ix_case_district_status_deadline", "district_id", "status", "deadline", "category_id", "department_id", "accepted_at"),
        Index("ix_case_township_status_deadline", "township_id", "status", "deadline", "category_id", "department_id", "accepted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20)
    status: str = Field(default=CaseStatus.SUBMITTED, max_length=16)
    content: str = Field(sa_column=Column(Text, nullable=False))
    requester_household_id: int | None = Field(default=None, foreign_key="household.id")
    # no single-column index on category, district, community or grid: the composite indexes
    # below start with each (a bare one also tempted PostgreSQL into costly bitmap ANDs)
    category_id: int | None = Field(default=None, foreign_key="category.id")
    confidence: float = 0.0
    classify_terms: str = Field(default="", max_length=255)
    auto_accepted: bool = False
    # version of the learned classifier model that suggested the category (None: built-in or rules)
    classifier_version: int | None = None
    department_id: int | None = Field(default=None, foreign_key="department.id")
    district_id: int | None = Field(default=None, foreign_key="area.id")
    township_id: int | None = Field(default=None, foreign_key="area.id")
    community_id: int | None = Field(default=None, foreign_key="area.id")
    grid_id: int | None = Field(default=None, foreign_key="area.id")
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    submitted_at: NaiveDatetime
    accepted_at: NaiveDatetime | None = None
    routed_at: NaiveDatetime | None = None
    signed_at: NaiveDatetime | None = None
    resolved_at: NaiveDatetime | None = None
    closed_at: NaiveDatetime | None = None
    deadline: NaiveDatetime | None = None
    deadline_provisional: bool = False
    extension_requested_days: int | None = None
    extension_reason: str = Field(default="", max_length=500)
    extended: bool = False
    supervised: bool = False
    flagged: bool = False
    reopen_count: int = 0
    return_count: int = 0
    duplicate_of_id: int | None = Field(default=None, foreign_key="case.id")
    promise_text: str = Field(default="", max_length=500)
    promise_due: NaiveDatetime | None = None
    promise_owner: str = Field(default="", max_length=64)
    result_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    reject_reason: str = Field(default="", max_length=500)
    satisfaction: str | None = Field(default=None, max_length=16)
    score: int | None = None
    evaluated_at: NaiveDatetime | None = None
    followed_up_at: NaiveDatetime | None = None
    visit_id: int | None = Field(default=None, index=True)  # raised from this visit
    meeting_item_id: int | None = None  # raised at this meeting item
    source_ref: str | None = Field(default=None, max_length=64, index=True)  # SMS message id, API ref
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: NaiveDatetime
    version: int = 1


class CaseCreate(CaseBase):
    """What intake accepts from staff, the public form, SMS or the API."""

    category_code: str | None = Field(default=None, max_length=16)
    household_id: int | None = None
    visit_id: int | None = None
    meeting_item_id: int | None = None
    source_ref: str | None = Field(default=None, max_length=64)
    # the place is uncertain (a resident's "不清楚"): never accepted automatically
    triage: bool = False


class CasePublic(SQLModel):
    """What the public may see of a case: no requester data at all."""

    code: str
    status: str
    category_code: str | None
    content_masked: str
    department: str
    community: str
    submitted_at: NaiveDatetime
    deadline: NaiveDatetime | None
    resolved_at: NaiveDatetime | None
    result_text: str
    promise_text: str
    promise_due: NaiveDatetime | None
    score: int | None


class CaseEvent(SQLModel, table=True):
    """Append-only timeline and audit trail of a case."""

    __table_args__ = (Index("ix_caseevent_case_at", "case_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    at: NaiveDatetime = Field(index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="user.id")
    actor_label: str = Field(default="", max_length=64)  # department / centre name shown publicly
    action: str = Field(max_length=24)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    public: bool = False
    version_after: int = 1


class CodeCounter(SQLModel, table=True):
    """Per-day counter behind the public case codes (ZS + yyyymmdd + nnnn)."""

    day: str = Field(primary_key=True, max_length=8)
    last: int = 0


class Evaluation(SQLModel, table=True):
    __table_args__ = (Index("ix_evaluation_team_period", "team_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    rater_user_id: int | None = Field(default=None, foreign_key="user.id")
    rater_team_id: int | None = Field(default=None, foreign_key="team.id")
    period: str = Field(default="", max_length=7)  # YYYY-MM
    satisfaction: str | None = Field(default=None, max_length=16)
    score: int | None = Field(default=None, ge=1, le=5)
    reasonable: bool | None = None
    cooperative: bool | None = None
    comment: str = Field(default="", max_length=500)
    created_at: NaiveDatetime = Field(index=True)


class HolidaySchedule(SQLModel, table=True):
    """A year's official holiday schedule as entered by an administrator; it
    takes precedence over the chinesecalendar package."""

    year: int = Field(primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: NaiveDatetime
    updated_by_user_id: int | None = Field(default=None, foreign_key="user.id")


# ----------------------------------------------------------------------------
# Team work: diaries, visits, meetings
# ----------------------------------------------------------------------------
class DiaryBase(SQLModel):
    day: date
    heard: str = Field(min_length=1, max_length=2000)  # 听到了什么
    done: str = Field(default="", max_length=2000)  # 做了什么
    followups: str = Field(default="", max_length=1000)


class Diary(DiaryBase, table=True):
    __table_args__ = (Index("ix_diary_team_day", "team_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    team_id: int = Field(foreign_key="team.id")
    grid_id: int = Field(foreign_key="area.id")
    township_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    heard: str = Field(sa_column=Column(Text, nullable=False))
    done: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    leader_comment: str = Field(default="", max_length=1000)
    commented_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    commented_at: NaiveDatetime | None = None
    created_at: NaiveDatetime
    version: int = 1


class Visit(SQLModel, table=True):
    __table_args__ = (Index("ix_visit_team_day", "team_id", "visited_on"),)
    id: int | None = Field(default=None, primary_key=True)
    diary_id: int | None = Field(default=None, foreign_key="diary.id", index=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    team_id: int = Field(foreign_key="team.id")
    visited_on: date
    note: str = Field(default="", max_length=1000)
    created_at: NaiveDatetime


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    title: str = Field(max_length=100)
    area_id: int = Field(foreign_key="area.id", index=True)  # community or township
    township_id: int | None = Field(default=None, foreign_key="area.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    held_on: date
    place: str = Field(default="", max_length=100)
    host: str = Field(default="", max_length=64)
    attendees_count: int | None = None
    attendees: str = Field(default="", max_length=1000)
    service_area: str = Field(default="", max_length=16)  # 政企恳谈: 转型升级 ...
    agenda: str = Field(default="", max_length=2000)
    minutes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default="open", max_length=12)  # open / closed
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: NaiveDatetime
    closed_at: NaiveDatetime | None = None
    version: int = 1


class MeetingItem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    text: str = Field(max_length=1000)
    raised_by: str = Field(default="", max_length=64)
    status: str = Field(default="open", max_length=12)  # open / answered / case
    answer: str = Field(default="", max_length=2000)
    case_id: int | None = Field(default=None, foreign_key="case.id")
    created_at: NaiveDatetime
    answered_at: NaiveDatetime | None = None


# ----------------------------------------------------------------------------
# SMS
# ----------------------------------------------------------------------------
class Sms(SQLModel, table=True):
    """Inbound requests and the outbox of notices, with retry bookkeeping."""

    __table_args__ = (
        Index("ix_sms_status_next", "status", "next_attempt_at"),
        UniqueConstraint("direction", "provider_msg_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    direction: str = Field(max_length=4)  # in / out
    phone: str = Field(max_length=20, index=True)
    text: str = Field(max_length=1000)
    template: str = Field(default="", max_length=32)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    status: str = Field(default="queued", max_length=12)  # queued/sent/failed/received/kept
    attempts: int = 0
    next_attempt_at: NaiveDatetime | None = None
    last_error: str = Field(default="", max_length=255)
    provider: str = Field(default="", max_length=16)
    provider_msg_id: str | None = Field(default=None, max_length=64)
    created_at: NaiveDatetime = Field(index=True)
    sent_at: NaiveDatetime | None = None


# ----------------------------------------------------------------------------
# Dashboard rollups
# ----------------------------------------------------------------------------
# Additive counters kept exactly in step with the cases by
# ``rxapp.domain.rollup.apply_case_change`` (one upsert per touched row, in the
# caller's transaction) and rebuilt from scratch by ``rebuild_rollups``.  Keys
# are plain integers, never NULL (0 = "none" / "the whole city"), so a key is
# one ON CONFLICT target on SQLite and PostgreSQL alike.  Months are YYYYMM and
# days YYYYMMDD.  ``area_id`` is 0 (every case of the city), a district id or a
# township id: each case counts once at each of those three levels, so a city
# or district read never sums township rows.  The counter definitions are in
# ``rxapp.domain.rollup`` (one place, shared with the dashboard).
from sqlalchemy import BigInteger as _BigInteger  # noqa: E402  (kept inside this block)

_ROLLUP = {"sqlite_with_rowid": False}


class _CohortCounters(SQLModel):
    """Counters of the cases *accepted* in the key's month or day (the cohort)."""

    accepted: int = 0
    done: int = 0  # now resolved or closed
    resolved: int = 0  # done, with a resolution time
    on_time: int = 0  # resolved on or before the (current) deadline
    followed_up: int = 0  # resolved and contacted at or after resolving
    evaluated: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    scored: int = 0
    score_sum: int = 0
    handling_secs: int = Field(default=0, sa_type=_BigInteger)  # working seconds accepted -> resolved, summed
    reopened: int = 0
    extended: int = 0


class RollupMonth(_CohortCounters, table=True):
    """Per accept month, area, category and department; plus two flows keyed
    by their own month: ``received`` (submitted, any outcome) and ``done_in``
    (resolved or closed in that month)."""

    __table_args__ = _ROLLUP
    area_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    month: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    category_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    department_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    received: int = 0
    done_in: int = 0


class RollupDay(_CohortCounters, table=True):
    """Per day and area: the cohort counters by accept day, ``received`` and
    ``done_in`` by their day, and the overdue flow (``overdue_in`` on the
    deadline day of every case not resolved by its deadline, ``overdue_out`` on
    the day such a case was resolved late): a running sum of the difference is
    the overdue count at the end of any past day."""

    __table_args__ = _ROLLUP
    area_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    day: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    received: int = 0
    done_in: int = 0
    overdue_in: int = 0
    overdue_out: int = 0


class RollupOverdue(SQLModel, table=True):
    """Per deadline day, area, category and department: the overdue flow of
    ``RollupDay`` again (for the filtered dashboards), and the due cohort of
    the headline 办结率 (应办结): ``due`` +1 on the deadline day of every
    accepted case with a deadline, ``due_done`` +1 there if it is done now."""

    __table_args__ = _ROLLUP
    area_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    category_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    day: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    department_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    overdue_in: int = 0
    overdue_out: int = 0
    due: int = 0
    due_done: int = 0


class RollupTeam(SQLModel, table=True):
    """Per accept month and team (with the team's grid and its ancestors), for
    the team, community and grid rankings."""

    __table_args__ = (
        Index("ix_rollupteam_district_month", "district_id", "month"),
        Index("ix_rollupteam_township_month", "township_id", "month"),
        Index("ix_rollupteam_community_month", "community_id", "month"),
        _ROLLUP,
    )
    month: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    team_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    grid_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    community_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    township_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    district_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    accepted: int = 0
    done: int = 0
    resolved: int = 0
    on_time: int = 0
    followed_up: int = 0
    evaluated: int = 0
    good: int = 0  # satisfied or basic
    scored: int = 0
    score_sum: int = 0


_TEAM_FILTER_COUNTERS = ("accepted", "done", "resolved", "on_time")


class RollupTeamFilter(SQLModel, table=True):
    """Per category, accept month, department and team (with the team's grid
    and its ancestors): the ranking counters of a dashboard filtered by
    category or department (team, grid and community rankings)."""

    __table_args__ = (
        # a department-filtered city ranking, from the index alone
        Index("ix_rollupteamfilter_department_month", "department_id", "month", "team_id", "community_id", "grid_id", *_TEAM_FILTER_COUNTERS),
        # a district's / township's filtered rankings, from the index alone
        Index("ix_rollupteamfilter_district", "district_id", "category_id", "month", "department_id", "team_id", *_TEAM_FILTER_COUNTERS),
        Index("ix_rollupteamfilter_township", "township_id", "category_id", "month", "department_id", "team_id", "community_id", "grid_id", *_TEAM_FILTER_COUNTERS),
        _ROLLUP,
    )
    category_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    month: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    department_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    team_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    grid_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    community_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    township_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    district_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    accepted: int = 0
    done: int = 0
    resolved: int = 0
    on_time: int = 0


class RollupHandling(SQLModel, table=True):
    """Handling-time histogram per accept month, area, category and department:
    resolved cases per bin of a quarter working day (the last bin holds
    everything longer)."""

    __table_args__ = _ROLLUP
    area_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    month: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    category_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    department_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    bin: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int = 0


class CaseHandling(SQLModel, table=True):
    """One row per resolved, accepted case: its handling time in working
    seconds (computed in Python on the working-day calendar, which SQL cannot
    do) and the dimensions a partial-month or filtered percentile needs."""

    __table_args__ = (
        Index("ix_casehandling_day_bin", "day", "bin"),
        Index("ix_casehandling_bin_day", "bin", "day", "secs"),  # a percentile's own bin, from the index alone
        Index("ix_casehandling_township_day", "township_id", "day", "bin"),
        Index("ix_casehandling_district_day", "district_id", "day", "bin"),
        Index("ix_casehandling_category_day", "category_id", "day", "bin"),
        Index("ix_casehandling_department_day", "department_id", "day", "bin"),
        # a filtered percentile's own bin, from the index alone
        Index("ix_casehandling_category_bin", "category_id", "bin", "day", "department_id", "district_id", "township_id", "secs"),
        Index("ix_casehandling_department_bin", "department_id", "bin", "day", "district_id", "township_id", "secs"),
        # a community's / grid's histogram and percentiles, filtered or not, from the index alone
        Index("ix_casehandling_community_day", "community_id", "day", "bin", "category_id", "department_id", "secs"),
        Index("ix_casehandling_grid_day", "grid_id", "day", "bin", "category_id", "department_id", "secs"),
    )
    case_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    day: int  # accept day YYYYMMDD
    district_id: int = 0
    township_id: int = 0
    community_id: int = 0
    grid_id: int = 0
    team_id: int = 0
    category_id: int = 0
    department_id: int = 0
    secs: int
    bin: int


# ----------------------------------------------------------------------------
# Public board and evaluation
# ----------------------------------------------------------------------------
class BoardPublication(SQLModel, table=True):
    """A community's monthly notice board (公示栏) as a township leader
    published it: the rows are frozen (already masked) JSON, so later changes to
    the cases do not rewrite what was put on the wall."""

    __table_args__ = (UniqueConstraint("community_id", "month"),)
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="area.id", index=True)
    month: str = Field(max_length=7)  # YYYY-MM
    published_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    published_at: NaiveDatetime
    rows_json: str = Field(sa_column=Column(Text, nullable=False))
    teams_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))


class EvaluationCode(SQLModel, table=True):
    """A one-time code sent by SMS to the requester's phone so they can score
    their case on /public/evaluate. Only the code's SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: NaiveDatetime
    expires_at: NaiveDatetime
    used_at: NaiveDatetime | None = None
    attempts: int = 0


class PartyMemberEvaluation(SQLModel, table=True):
    """Links a monthly assessment (an ``Evaluation`` of kind household_rep or
    leader, with its period) to the party member (阳光党员) it assesses."""

    evaluation_id: int = Field(foreign_key="evaluation.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    team_member_id: int = Field(foreign_key="teammember.id", index=True)


# ----------------------------------------------------------------------------
# Photos and files (issue 16): on a case, a visit or a meeting item
# ----------------------------------------------------------------------------
class Media(SQLModel, table=True):
    """One attached photo (re-encoded, metadata stripped: a web-size image and
    a thumbnail) or staff PDF.  The bytes live in the media store under their
    SHA-256 (content-addressed); URLs carry ``token``, an opaque random id,
    never the hash.  Private to staff in scope until someone marks it public;
    rows are never deleted (publishing and un-publishing are ``MediaEvent`` s)."""

    __table_args__ = (Index("ix_media_case_public", "case_id", "public"),)
    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32, unique=True)
    case_id: int | None = Field(default=None, foreign_key="case.id")
    visit_id: int | None = Field(default=None, foreign_key="visit.id", index=True)
    meeting_item_id: int | None = Field(default=None, foreign_key="meetingitem.id", index=True)
    stage: str = Field(max_length=12)  # report / intake / before / after / visit / item
    kind: str = Field(max_length=8)  # image / pdf
    content_type: str = Field(max_length=32)
    sha256: str = Field(max_length=64, index=True)
    size: int
    thumb_sha256: str = Field(default="", max_length=64)
    thumb_size: int = 0
    width: int = 0
    height: int = 0
    original_size: int
    filename: str = Field(default="", max_length=100)
    uploaded_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_by_label: str = Field(default="", max_length=64)  # 居民 / Open311 / department name
    created_at: NaiveDatetime
    public: bool = False
    version: int = 1


class MediaEvent(SQLModel, table=True):
    """Append-only history of a media row: attached, published, unpublished."""

    id: int | None = Field(default=None, primary_key=True)
    media_id: int = Field(foreign_key="media.id", index=True)
    at: NaiveDatetime
    actor_user_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=12)  # attach / publish / unpublish


# ----------------------------------------------------------------------------
# Learning: classifier and early-warning models, corrections, reminders
# ----------------------------------------------------------------------------
class LearnedModel(SQLModel, table=True):
    """A trained model (``kind`` classify or warning) stored so every worker
    shares it: the serialized scikit-learn objects (joblib bytes) and the
    measured metrics. One active row per kind; nothing is deleted, a rollback
    activates an earlier row again."""

    __table_args__ = (UniqueConstraint("kind", "version"), Index("ix_learnedmodel_kind_active", "kind", "active"))
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # classify / warning
    version: int
    created_at: NaiveDatetime
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    trained_rows: int = 0
    corrections: int = 0
    threshold: float = 0.0
    accuracy: float | None = None  # classify: held-out accuracy; warning: ROC AUC
    precision: float | None = None  # classify: auto-accept precision; warning: precision at top 10 %
    coverage: float | None = None  # classify: auto-accepted share; warning: recall at top 10 %
    metrics_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    blob: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    active: bool = False
    activated_at: NaiveDatetime | None = None
    note: str = Field(default="", max_length=255)


class ClassifierCorrection(SQLModel, table=True):
    """A dispatcher's override of the suggested category, with the text: a
    labelled example for the next model."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    suggested_code: str = Field(default="", max_length=16)
    chosen_code: str = Field(max_length=16)
    model_version: int | None = None
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: NaiveDatetime = Field(index=True)


class WarningReminder(SQLModel, table=True):
    """The one reminder SMS sent to a department handler when a case's risk of
    missing its deadline crossed the threshold (at most one per case)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", unique=True)
    probability: float
    model_version: int | None = None
    sms_id: int | None = Field(default=None, foreign_key="sms.id")
    created_at: NaiveDatetime


# ----------------------------------------------------------------------------
# Guess throttling (h12: login, /public/track, /public/evaluate, Open311 api_key)
# ----------------------------------------------------------------------------
class GuessCounter(SQLModel, table=True):
    """Wrong guesses counted per key (``track:code:ZS…``, ``login:name``,
    ``apikey:client``…) in the database, so every worker shares the count.
    Updated only by atomic upserts (``rxapp.domain.throttle``)."""

    key: str = Field(primary_key=True, max_length=160)
    window_start: NaiveDatetime
    failures: int = 0
    locked_until: NaiveDatetime | None = None


# ----------------------------------------------------------------------------
# Hot spots (热点事件) — rxapp/domain/hotspots; seed ground truth for the bench
# ----------------------------------------------------------------------------
class HotspotStatus:
    NEW = "new"
    CONFIRMED = "confirmed"
    HANDLED = "handled"
    DISMISSED = "dismissed"
    ALL = (NEW, CONFIRMED, HANDLED, DISMISSED)
    OPEN = (NEW, CONFIRMED)


class Hotspot(SQLModel, table=True):
    """A cluster of similar requests close in place and time (热点事件).

    Area ids are denormalised like ``Case`` so scope checks are plain columns."""

    __table_args__ = (Index("ix_hotspot_status_last", "status", "last_at"),)
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=HotspotStatus.NEW, max_length=16)
    title: str = Field(default="", max_length=120)  # category + community + key terms; no personal data
    terms: str = Field(default="", max_length=255)
    category_id: int | None = Field(default=None, foreign_key="category.id")
    district_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    township_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    community_id: int | None = Field(default=None, foreign_key="area.id", index=True)
    grid_id: int | None = Field(default=None, foreign_key="area.id")
    first_at: NaiveDatetime
    last_at: NaiveDatetime
    case_count: int = 0
    lead_case_id: int | None = Field(default=None, foreign_key="case.id")
    decided_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: NaiveDatetime | None = None
    note: str = Field(default="", max_length=500)
    created_at: NaiveDatetime
    updated_at: NaiveDatetime
    version: int = 1


class HotspotCase(SQLModel, table=True):
    """Membership: a case belongs to at most one hot spot."""

    case_id: int = Field(foreign_key="case.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    hotspot_id: int = Field(foreign_key="hotspot.id", index=True)
    similarity: float = 0.0
    joined_at: NaiveDatetime


class SeedIncident(SQLModel, table=True):
    """Ground truth planted by the demo seed (an incident many residents
    reported): read by bench/hotspot_bench.py, shown nowhere in the UI."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    township_id: int | None = Field(default=None, foreign_key="area.id")
    community_id: int | None = Field(default=None, foreign_key="area.id")
    started_at: NaiveDatetime
    size: int = 0


class SeedIncidentCase(SQLModel, table=True):
    case_id: int = Field(foreign_key="case.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    incident_id: int = Field(foreign_key="seedincident.id", index=True)
