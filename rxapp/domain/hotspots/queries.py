"""Reading hot spots: the list a dispatcher / leader sees (scope-checked),
the public-safe summary the API and the map use (no personal data)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case as sql_case, false, func, true
from sqlmodel import Session, select

from rxapp.domain.access import Actor
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError
from rxapp.domain.validate import int_field
from rxapp.models import Area, AreaLevel, Case, Category, Hotspot, HotspotCase, HotspotStatus, Role

VIEW_ROLES = (Role.DISPATCHER, Role.LEADER, Role.ADMIN)
ACT_ROLES = (Role.DISPATCHER, Role.ADMIN)
_AREA_COLUMN = {
    AreaLevel.DISTRICT: Hotspot.district_id,
    AreaLevel.TOWNSHIP: Hotspot.township_id,
    AreaLevel.COMMUNITY: Hotspot.community_id,
    AreaLevel.GRID: Hotspot.grid_id,
}
TREND_RISING, TREND_STEADY, TREND_FALLING = "rising", "steady", "falling"
MAX_ROWS = 200


def hotspot_scope_clause(actor: Actor) -> ColumnElement[bool]:
    if actor.role not in VIEW_ROLES:
        return false()
    if actor.is_citywide:
        return true()
    column = _AREA_COLUMN.get(actor.scope_level or "")
    return column == actor.scope_area_id if column is not None else false()


def hotspot_in_scope(actor: Actor, hotspot: Hotspot) -> bool:
    if actor.role not in VIEW_ROLES:
        return False
    if actor.is_citywide:
        return True
    column = _AREA_COLUMN.get(actor.scope_level or "")
    return column is not None and getattr(hotspot, column.key) == actor.scope_area_id


@dataclass(frozen=True)
class HotspotRow:
    """What any staff view or the API may show: aggregates and areas, no requester data."""

    id: int
    status: str
    title: str
    category_code: str
    category_name: str
    district_id: int | None
    township_id: int | None
    community_id: int | None
    community_name: str
    first_at: str
    last_at: str
    case_count: int
    open_count: int
    last_24h: int
    prev_24h: int
    trend: str
    lead_case_id: int | None
    version: int
    lat: float | None
    lon: float | None
    category_name_en: str = ""

    def public(self) -> dict:
        d = asdict(self)
        d.pop("version")
        return d


def _trend(last: int, prev: int) -> str:
    if last > prev:
        return TREND_RISING
    if last < prev:
        return TREND_FALLING
    return TREND_STEADY


def parse_filters(*, since: object = None, area: object = None, status: object = None) -> tuple[datetime | None, int | None, tuple[str, ...]]:
    """Validates the list's filters (API query or UI): bad input -> DomainError by field."""
    when = None
    if since not in (None, ""):
        if not isinstance(since, str):
            raise DomainError("起始日期格式应为 YYYY-MM-DD", "since")
        try:
            when = datetime.fromisoformat(since.strip())
        except ValueError:
            raise DomainError("起始日期格式应为 YYYY-MM-DD", "since") from None
        when = when.replace(tzinfo=None)
    area_id = None if area in (None, "") else int_field(area, "area", "区域编号无效")
    if status in (None, ""):
        statuses = HotspotStatus.OPEN
    elif status == "all":
        statuses = HotspotStatus.ALL
    else:
        parts = tuple(p.strip() for p in str(status).split(",") if p.strip()) if isinstance(status, str) else ()
        if not parts or any(p not in HotspotStatus.ALL for p in parts):
            raise DomainError("状态应为 new、confirmed、handled、dismissed 或 all", "status")
        statuses = parts
    return when, area_id, statuses


def list_hotspots(
    session: Session,
    *,
    actor: Actor | None,
    since: datetime | None = None,
    area_id: int | None = None,
    statuses: tuple[str, ...] = HotspotStatus.OPEN,
    limit: int = 50,
    at: datetime | None = None,
) -> list[HotspotRow]:
    """Hot spots in the actor's scope, worst first (most reports, then the
    newest report).  ``area_id`` narrows to an area (any level) inside the scope."""
    if actor is None:
        raise AccessDenied("请先登录")
    if actor.role not in VIEW_ROLES:
        raise AccessDenied()
    limit = max(1, min(int(limit), MAX_ROWS))
    t = at or now()
    conds = [hotspot_scope_clause(actor), Hotspot.status.in_(statuses)]
    if since is not None:
        conds.append(Hotspot.last_at >= since)
    if area_id is not None:
        area = session.get(Area, area_id)
        if area is None:
            raise DomainError("区域不存在", "area")
        column = _AREA_COLUMN.get(area.level)
        if column is not None:
            conds.append(column == area.id)
        elif area.level != AreaLevel.CITY:
            raise DomainError("区域不存在", "area")
    spots = session.exec(
        select(Hotspot).where(*conds).order_by(Hotspot.case_count.desc(), Hotspot.last_at.desc(), Hotspot.id.desc()).limit(limit)
    ).all()
    if not spots:
        return []
    ids = [h.id for h in spots]
    day, two = t - timedelta(hours=24), t - timedelta(hours=48)
    agg = {
        hid: (open_n, last, prev, lat, lon)
        for hid, open_n, last, prev, lat, lon in session.exec(
            select(
                HotspotCase.hotspot_id,
                func.sum(sql_case((Case.status.in_(("submitted", "accepted", "routed", "in_progress")), 1), else_=0)),
                func.sum(sql_case((Case.submitted_at >= day, 1), else_=0)),
                func.sum(sql_case((and_(Case.submitted_at >= two, Case.submitted_at < day), 1), else_=0)),
                func.avg(Case.lat),
                func.avg(Case.lon),
            )
            .join(Case, Case.id == HotspotCase.case_id)
            .where(HotspotCase.hotspot_id.in_(ids))
            .group_by(HotspotCase.hotspot_id)
        ).all()
    }
    cats = {cid: (code, zh, en) for cid, code, zh, en in session.exec(select(Category.id, Category.code, Category.name_zh, Category.name_en)).all()}
    comm_ids = {h.community_id for h in spots if h.community_id}
    names = dict(session.exec(select(Area.id, Area.name).where(Area.id.in_(comm_ids))).all()) if comm_ids else {}
    out = []
    for h in spots:
        open_n, last, prev, lat, lon = agg.get(h.id, (0, 0, 0, None, None))
        code, cname, cname_en = cats.get(h.category_id, ("", "", ""))
        out.append(HotspotRow(
            id=h.id, status=h.status, title=h.title, category_code=code, category_name=cname, category_name_en=cname_en,
            district_id=h.district_id, township_id=h.township_id, community_id=h.community_id,
            community_name=names.get(h.community_id, ""), first_at=h.first_at.isoformat(sep=" ", timespec="minutes"),
            last_at=h.last_at.isoformat(sep=" ", timespec="minutes"), case_count=h.case_count, open_count=int(open_n or 0),
            last_24h=int(last or 0), prev_24h=int(prev or 0), trend=_trend(int(last or 0), int(prev or 0)),
            lead_case_id=h.lead_case_id, version=h.version,
            lat=round(lat, 6) if lat is not None else None, lon=round(lon, 6) if lon is not None else None,
        ))
    return out


def hotspots_for_map(session: Session, *, actor: Actor | None, area_id: int | None = None) -> list[dict]:
    """For the map layer (网格一张图): open hot spots in scope with their area
    ids and a centroid (the mean of the members' points, when they have any)."""
    return [
        {k: getattr(r, k) for k in ("id", "status", "title", "case_count", "trend", "district_id", "township_id",
                                    "community_id", "lat", "lon")}
        for r in list_hotspots(session, actor=actor, area_id=area_id)
    ]


@dataclass(frozen=True)
class MemberRow:
    case_id: int
    code: str
    status: str
    submitted_at: str
    content: str


def hotspot_members(session: Session, *, actor: Actor | None, hotspot_id: object) -> list[MemberRow]:
    """The member cases of a hot spot, for staff in scope (texts as the case list shows them)."""
    from rxapp.domain.access import case_scope_clause

    if actor is None or actor.role not in VIEW_ROLES:
        raise AccessDenied()
    hid = int_field(hotspot_id, "hotspot_id", "热点编号无效")
    hotspot = session.get(Hotspot, hid)
    if hotspot is None or not hotspot_in_scope(actor, hotspot):
        raise AccessDenied()
    rows = session.exec(
        select(Case.id, Case.code, Case.status, Case.submitted_at, Case.content)
        .join(HotspotCase, HotspotCase.case_id == Case.id)
        .where(HotspotCase.hotspot_id == hid, case_scope_clause(actor))
        .order_by(Case.submitted_at, Case.id)
    ).all()
    return [MemberRow(i, c, s, at.isoformat(sep=" ", timespec="minutes"), text[:80]) for i, c, s, at, text in rows]
