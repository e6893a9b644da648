"""The hot-spot detector: a new case joins or opens a hot spot (热点事件).

Called on intake, in the intake's own transaction (``submit_case`` and the
Open311 group commit ``submit_public_batch``), and by the bench replaying the
seeded history in time order — the same function for both, so the bench
measures what production runs.

A hot spot is an *incident* many residents report: a burst main, a power cut,
a plant letting out smoke, a site working at night, a road blocked after a
storm.  A new case takes part only if its text names an incident concept
(``concepts``: 停水, 停电, 施工, 噪音, 工厂排污, 道路阻断 …, each with its
colloquial variants); routine questions and chronic nuisances never do, and
cost nothing more than that lookup.  It is then compared with the recent
cases *near* it (``Nearby``: today the same community; a distance criterion
on the cases' points plugs in the same way) that were submitted before it:

* a candidate is *similar* when the two texts share a concept, their
  suggested categories agree (or one is unknown) and the TF-IDF cosine of the
  texts (``similarity``) reaches ``threshold`` — a low bar: the concept says
  what the matter is, the characters only that the texts are about it;
* if a similar candidate belongs to an open hot spot (new / confirmed)
  within ``join_window``, the case joins the one it is most similar to;
* otherwise, if at least ``min_reports - 1`` similar candidates within
  ``open_window`` belong to no hot spot, all of them name one concept and
  they come from at least ``min_callers`` distinct phones (one resident
  calling three times is not three reports), they and the new case open one
  — so an incident surfaces with its third report.  A report that speaks of a
  habit, a worry or a sign (``not_an_event``: "经常停水", "担心再来台风会漫进
  来", "有滑坡迹象") may join an open hot spot but never counts towards
  opening one.

Handled or dismissed hot spots take no new members: a later report starts
afresh (and a dispatcher sees it again only if it gathers three reports).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from rxapp.domain.hotspots.concepts import concepts, not_an_event
from rxapp.domain.hotspots.similarity import cosine, vector
from rxapp.models import Area, Case, CaseStatus, Category, Hotspot, HotspotCase, HotspotStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    threshold: float = 0.02  # TF-IDF cosine, between texts that already share a concept (0.03 missed 2 of 284)
    min_reports: int = 3
    min_callers: int = 3  # distinct phones among the reports that open a hot spot
    open_window: timedelta = timedelta(hours=72)  # an incident's reports come within 1–3 days
    join_window: timedelta = timedelta(days=7)
    max_candidates: int = 400


DEFAULT = Settings()


@dataclass
class NewCase:
    id: int
    content: str
    submitted_at: datetime
    category_id: int | None
    district_id: int | None
    township_id: int | None
    community_id: int | None
    grid_id: int | None
    lat: float | None = None
    lon: float | None = None
    phone: str = ""


class Nearby(Protocol):
    """Which earlier cases count as 'close in place' to a new one."""

    def clause(self, case: NewCase) -> ColumnElement[bool] | None: ...  # SQL pre-filter (indexed); None: no place

    def key(self, case: NewCase) -> Hashable | None: ...  # cases of one key share their clause (None: no place)

    def accepts(self, case: NewCase, lat: float | None, lon: float | None) -> bool: ...  # exact test per candidate


class SameCommunity:
    """Close = the same community (社区 / 村): one indexed range scan."""

    def clause(self, case: NewCase) -> ColumnElement[bool] | None:
        return Case.community_id == case.community_id if case.community_id is not None else None

    def key(self, case: NewCase) -> Hashable | None:
        return case.community_id

    def accepts(self, case: NewCase, lat: float | None, lon: float | None) -> bool:
        return True


NEARBY: Nearby = SameCommunity()


@dataclass
class Outcome:
    case_id: int
    hotspot_id: int | None = None
    opened: bool = False
    members: list[int] = field(default_factory=list)
    status: str | None = None  # the hot spot's, once joined or opened


@lru_cache(maxsize=1)
def _candidate_base():
    """The part of the candidates' query that never changes (built once: a select is costly to build)."""
    return (
        select(Case.id, Case.content, Case.submitted_at, Case.lat, Case.lon, Case.category_id, Case.requester_phone,
               HotspotCase.hotspot_id, Hotspot.status)
        .select_from(Case)
        .outerjoin(HotspotCase, HotspotCase.case_id == Case.id)
        .outerjoin(Hotspot, Hotspot.id == HotspotCase.hotspot_id)
        .where(Case.status != CaseStatus.REJECTED)
        .order_by(Case.submitted_at.desc(), Case.id.desc())
    )


def _candidate_query(place: ColumnElement[bool], since: datetime, before: tuple[datetime, int], limit: int):
    """Earlier cases of a place: submitted in [since, before) by (time, id), newest first."""
    at, case_id = before
    return _candidate_base().where(
        place, Case.submitted_at >= since, or_(Case.submitted_at < at, and_(Case.submitted_at == at, Case.id < case_id))
    ).limit(limit)


def _candidates(session: Session, case: NewCase, nearby: Nearby, settings: Settings) -> list:
    place = nearby.clause(case)
    if place is None:
        return []
    stmt = _candidate_query(place, case.submitted_at - settings.join_window, (case.submitted_at, case.id), settings.max_candidates)
    return session.connection().execute(stmt).all()


class _BatchCandidates:
    """The candidates of an intake batch's cases with one query per place
    instead of one per case: the place's rows before the batch's last case of
    it, newest first, read when its first case needs them; a case takes the
    rows before its own (time, id) within its window, with the hot spots that
    the batch's earlier cases joined or opened (``record``).  Exactly what
    ``_candidates`` reads case by case: where the place's rows were cut by
    the query's limit before the case had all it may take, the case reads its
    own (``test_hotspots`` compares both ways)."""

    def __init__(self, cases: list[NewCase], nearby: Nearby, settings: Settings):
        self.nearby, self.settings = nearby, settings
        self.groups: dict[Hashable, list[NewCase]] = {}
        for case in cases:
            key = nearby.key(case)
            if key is not None:
                self.groups.setdefault(key, []).append(case)
        self.pools: dict[Hashable, tuple[list[tuple], bool]] = {}  # rows newest first, cut by the limit
        self.spot_of: dict[int, tuple[int, str]] = {}  # case id -> (hot spot, its status), as the batch set them

    def _pool(self, session: Session, key: Hashable) -> tuple[list[tuple], bool]:
        if key not in self.pools:
            group = self.groups[key]
            since = min(c.submitted_at for c in group) - self.settings.join_window
            before = max((c.submitted_at, c.id) for c in group)
            limit = self.settings.max_candidates + len(group)
            rows = [tuple(r) for r in session.connection().execute(_candidate_query(self.nearby.clause(group[0]), since, before, limit))]
            self.pools[key] = (rows, len(rows) == limit)
        return self.pools[key]

    def __call__(self, session: Session, case: NewCase, nearby: Nearby, settings: Settings) -> list:
        key = self.nearby.key(case)
        if key not in self.groups or nearby is not self.nearby or settings is not self.settings:
            return _candidates(session, case, nearby, settings)
        rows, cut = self._pool(session, key)
        since, mine, limit = case.submitted_at - settings.join_window, (case.submitted_at, case.id), settings.max_candidates
        out = []
        for row in rows:
            if (row[2], row[0]) >= mine:
                continue
            if row[2] < since:
                return out  # every row of its window is here
            spot = self.spot_of.get(row[0])
            out.append(row if spot is None else (*row[:7], *spot))
            if len(out) == limit:
                return out
        return _candidates(session, case, nearby, settings) if cut else out

    def record(self, outcome: "Outcome") -> None:
        """The hot spot ``outcome``'s case joined or opened, for the cases after it."""
        for case_id in outcome.members:
            self.spot_of[case_id] = (outcome.hotspot_id, outcome.status)


def match_case(session: Session, case: NewCase, *, nearby: Nearby = NEARBY, settings: Settings | None = None,
               candidates=_candidates) -> Outcome:
    """Join or open a hot spot for ``case`` (already written, in this transaction);
    ``candidates(session, case, nearby, settings)`` reads the earlier cases it is compared with."""
    settings = settings or DEFAULT
    out = Outcome(case.id)
    if case.community_id is None or not concepts(case.content):
        return out  # names no incident (or has no place): no query at all
    names = _place_names(session, case)
    text = strip_places(case.content, names)
    mine = concepts(text)
    if not mine:
        return out
    rows = candidates(session, case, nearby, settings)
    if not rows:
        return out
    v = vector(text)
    open_since = case.submitted_at - settings.open_window
    best_join: tuple[float, int, str] | None = None
    free: list[tuple[int, float, datetime, str, frozenset[str]]] = []
    others: list[tuple[int, str, datetime, str, frozenset[str]]] = []  # recent free cases not similar to this one
    sims: dict[str, float] = {}  # similarity per distinct text: the reports of a flood repeat each other word for word
    for cid, content, at, lat, lon, category_id, phone, hid, hstatus in rows:
        # one matter is one kind of matter: the suggested categories agree (or one is unknown)
        if category_id is not None and case.category_id is not None and category_id != case.category_id:
            continue
        if not nearby.accepts(case, lat, lon):
            continue
        other = strip_places(content, names)
        theirs = concepts(other)
        if not theirs:
            continue
        if not mine & theirs:
            sim = 0.0
        elif (sim := sims.get(other)) is None:
            sim = sims[other] = cosine(v, vector(other))
        # a recent report in no hot spot, not of a habit or a worry, may help open one
        may_open = hid is None and at >= open_since and not not_an_event(other)
        if sim < settings.threshold:
            if may_open:
                others.append((cid, other, at, phone, theirs))
            continue
        if hid is not None:
            if hstatus in HotspotStatus.OPEN and (best_join is None or sim > best_join[0]):
                best_join = (sim, hid, hstatus)
        elif may_open:
            free.append((cid, sim, at, phone, theirs))
    if best_join is not None:
        _join(session, best_join[1], case, best_join[0])
        out.hotspot_id, out.status = best_join[1], best_join[2]
        out.members = [case.id]
        return out
    if not_an_event(text):
        return out  # this report speaks of a habit or a worry: it joins an open hot spot, never opens one
    if len(free) == 1 and others:
        # single link: the one similar earlier report may itself resemble another
        anchor_text = strip_places(next(r[1] for r in rows if r[0] == free[0][0]), names)
        anchor, anchor_concepts = vector(anchor_text), free[0][4]
        for cid, other, at, phone, theirs in others:
            if anchor_concepts & theirs:
                sim = cosine(anchor, vector(other))
                if sim >= settings.threshold:
                    free.append((cid, sim, at, phone, theirs))
    if len(free) < settings.min_reports - 1:
        return out
    common = frozenset.intersection(mine, *(f[4] for f in free))
    # callers: distinct phones; a report without a phone counts as a caller of its own
    callers = {p or f"#{cid}" for cid, _, _, p, _ in free} | {case.phone or f"#{case.id}"}
    if common and len(callers) >= settings.min_callers:
        hid = _open(session, case, [(c, s, at) for c, s, at, _, _ in free], common)
        out.hotspot_id, out.opened, out.status = hid, True, HotspotStatus.NEW
        out.members = [case.id] + [f[0] for f in free]
    return out


_NAMES: dict[int, str] = {}


def _place_names(session: Session, case: NewCase) -> tuple[str, ...]:
    """The community's and township's names: every text nearby may carry them,
    so they say nothing about the matter (cached; area names rarely change)."""
    ids = [x for x in (case.community_id, case.township_id) if x is not None]
    missing = [x for x in ids if x not in _NAMES]
    if missing:
        _NAMES.update(dict(session.connection().execute(select(Area.id, Area.name).where(Area.id.in_(missing))).all()))
        if len(_NAMES) > 100_000:  # pragma: no cover
            _NAMES.clear()
    return tuple(_NAMES[x] for x in ids if _NAMES.get(x))


def strip_places(text: str, names: tuple[str, ...]) -> str:
    for name in names:
        text = text.replace(name, "")
    return text


def _join(session: Session, hotspot_id: int, case: NewCase, sim: float) -> None:
    conn = session.connection()
    conn.execute(insert(HotspotCase.__table__).values(case_id=case.id, hotspot_id=hotspot_id, similarity=round(sim, 4),
                                                      joined_at=case.submitted_at))
    conn.execute(
        update(Hotspot.__table__)
        .where(Hotspot.__table__.c.id == hotspot_id)
        .values(case_count=Hotspot.__table__.c.case_count + 1,
                last_at=func.max(Hotspot.__table__.c.last_at, case.submitted_at) if conn.dialect.name == "sqlite"
                else func.greatest(Hotspot.__table__.c.last_at, case.submitted_at),
                updated_at=case.submitted_at)
    )


def _open(session: Session, case: NewCase, free: list[tuple[int, float, datetime]], common: frozenset[str]) -> int:
    conn = session.connection()
    member_ids = [case.id] + [c for c, _, _ in free]
    cats = Counter(
        c for (c,) in conn.execute(select(Case.category_id).where(Case.id.in_(member_ids))).all() if c is not None
    )
    category_id = cats.most_common(1)[0][0] if cats else case.category_id
    names = dict(conn.execute(select(Area.id, Area.name).where(Area.id.in_([x for x in (case.community_id,) if x]))).all())
    cat_name = conn.execute(select(Category.name_zh).where(Category.id == category_id)).scalar() if category_id else None
    title = f"{names.get(case.community_id, '')}·{cat_name or '诉求'}"[:120]
    first = min([case.submitted_at] + [at for _, _, at in free])
    hid = conn.execute(
        insert(Hotspot.__table__).values(
            status=HotspotStatus.NEW, title=title, terms="、".join(sorted(common))[:255], category_id=category_id, district_id=case.district_id,
            township_id=case.township_id, community_id=case.community_id, grid_id=case.grid_id, first_at=first,
            last_at=case.submitted_at, case_count=len(member_ids), lead_case_id=None, decided_by_user_id=None,
            decided_at=None, note="", created_at=case.submitted_at, updated_at=case.submitted_at, version=1,
        )
    ).inserted_primary_key[0]
    rows = [dict(case_id=case.id, hotspot_id=hid, similarity=1.0, joined_at=case.submitted_at)]
    rows += [dict(case_id=c, hotspot_id=hid, similarity=round(s, 4), joined_at=case.submitted_at) for c, s, _ in free]
    conn.execute(insert(HotspotCase.__table__), rows)
    return hid


def new_case_of(case: Case) -> NewCase:
    return NewCase(case.id, case.content, case.submitted_at, case.category_id, case.district_id, case.township_id,
                   case.community_id, case.grid_id, case.lat, case.lon, case.requester_phone or "")


def detect_on_intake(session: Session, case_ids: list[int]) -> list[Outcome]:
    """The intake hook: match freshly written cases, in id order, inside the
    intake's transaction (a savepoint: a detector failure never loses a case)."""
    if not case_ids:
        return []
    try:
        with session.begin_nested():
            conn = session.connection()
            rows = conn.execute(select(*CASE_FIELDS).where(Case.id.in_(case_ids)).order_by(Case.id)).all()
            cases = [NewCase(*row) for row in rows]
            batch = _BatchCandidates(cases, NEARBY, DEFAULT)
            outcomes = []
            for case in cases:
                outcome = match_case(session, case, settings=DEFAULT, candidates=batch)
                batch.record(outcome)
                outcomes.append(outcome)
            return outcomes
    except Exception:  # pragma: no cover - logged; intake goes on
        log.exception("hot-spot detection failed for cases %s", case_ids[:5])
        return []


CASE_FIELDS = (Case.id, Case.content, Case.submitted_at, Case.category_id, Case.district_id, Case.township_id,
               Case.community_id, Case.grid_id, Case.lat, Case.lon, Case.requester_phone)


def replay_detector(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                    settings: Settings = DEFAULT, on_case=None) -> int:
    """Runs the detector over the cases submitted in [since, until], in the
    order they came in, as intake would have (the seed's last week; the bench's
    whole history).  ``on_case(new_case, outcome, seconds)`` sees each step."""
    import time as _time

    conds = []
    if since is not None:
        conds.append(Case.submitted_at >= since)
    if until is not None:
        conds.append(Case.submitted_at <= until)
    rows = session.connection().execute(select(*CASE_FIELDS).where(*conds).order_by(Case.submitted_at, Case.id)).all()
    for row in rows:
        case = NewCase(*row)
        started = _time.perf_counter()
        outcome = match_case(session, case, settings=settings)
        if on_case is not None:
            on_case(case, outcome, _time.perf_counter() - started)
    return len(rows)
