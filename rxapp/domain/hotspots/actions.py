"""What a dispatcher does with a hot spot: confirm, handle as one, dismiss.

Each action checks role and scope, the hot spot's version (optimistic
locking, like a case) and status, writes one change to the hot spot and one
event on every member case, all in one transaction.  *Handle as one* picks a
lead case and marks the other open members as duplicates of it through the
lifecycle's own ``mark_duplicate`` action; when the lead resolves, every
duplicate's requester gets the result (``rxapp.domain.cases.resolve_case``),
and the public figures count the matter once (duplicates are excluded).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, select

from rxapp.domain import cases as lifecycle
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError, InvalidTransition, NotFound, StaleVersion
from rxapp.domain.hotspots.queries import ACT_ROLES, hotspot_in_scope
from rxapp.domain.validate import int_field, text_field
from rxapp.models import Case, CaseEvent, CaseStatus, Hotspot, HotspotCase, HotspotStatus

S = CaseStatus
STATUS_ZH = {
    HotspotStatus.NEW: "新发现",
    HotspotStatus.CONFIRMED: "已确认",
    HotspotStatus.HANDLED: "已合并办理",
    HotspotStatus.DISMISSED: "已排除",
}


def _load(session: Session, actor: object, hotspot_id: object, expected_version: object):
    who = lifecycle._check_actor(actor, ACT_ROLES)
    hid = int_field(hotspot_id, "hotspot_id", "热点编号无效")
    expected = int_field(expected_version, "expected_version", "版本号无效")
    hotspot = session.get(Hotspot, hid, populate_existing=True)
    if hotspot is None:
        raise NotFound("热点事件不存在")
    if not hotspot_in_scope(who, hotspot):
        raise AccessDenied()
    if hotspot.version != expected:
        raise StaleVersion()
    if hotspot.status not in HotspotStatus.OPEN:
        raise InvalidTransition(f"热点事件当前为“{STATUS_ZH.get(hotspot.status, hotspot.status)}”，不能再处理")
    return who, hotspot


def _members(session: Session, hotspot_id: int) -> list[Case]:
    return list(
        session.exec(
            select(Case).join(HotspotCase, HotspotCase.case_id == Case.id)
            .where(HotspotCase.hotspot_id == hotspot_id).order_by(Case.submitted_at, Case.id)
            .execution_options(populate_existing=True)
        ).all()
    )


def _change(session: Session, hotspot: Hotspot, changes: dict[str, Any]) -> None:
    at = now()
    values = {**changes, "updated_at": at}
    table = Hotspot.__table__
    done = session.connection().execute(
        update(table).where(table.c.id == hotspot.id, table.c.version == hotspot.version)
        .values(**values, version=table.c.version + 1)
    )
    if done.rowcount != 1:
        raise StaleVersion()
    session.refresh(hotspot)


def _events(session: Session, members: list[Case], *, by: lifecycle._By, action: str, note: str, skip: set[int] = frozenset()) -> None:
    """One event on each member case; the case itself is not changed (no version bump)."""
    at = now()
    rows = [
        dict(case_id=c.id, at=at, actor_user_id=by.user_id, actor_label=by.label[:64], action=action,
             from_status=c.status, to_status=c.status, note=note, public=False, version_after=c.version)
        for c in members if c.id not in skip
    ]
    if rows:
        session.connection().execute(insert(CaseEvent.__table__), rows)


@lifecycle._action
def confirm_hotspot(session: Session, *, actor: object, hotspot_id: object, expected_version: object, note: str = "") -> Hotspot:
    """确认: the dispatcher agrees these reports are one incident."""
    who, hotspot = _load(session, actor, hotspot_id, expected_version)
    extra = text_field(note, "note", "备注", max_len=500)
    if hotspot.status == HotspotStatus.CONFIRMED:
        raise InvalidTransition("热点事件已确认")
    _change(session, hotspot, {"status": HotspotStatus.CONFIRMED, "decided_by_user_id": who.user_id, "decided_at": now(), "note": extra})
    text = f"确认为热点事件“{hotspot.title}”（共{hotspot.case_count}件）" + (f"：{extra}" if extra else "")
    _events(session, _members(session, hotspot.id), by=lifecycle._By.of(who), action="hotspot_confirm", note=text)
    return hotspot


@lifecycle._action
def dismiss_hotspot(session: Session, *, actor: object, hotspot_id: object, expected_version: object, reason: str) -> Hotspot:
    """排除: not one incident after all (the reason is kept); the cases go on separately."""
    who, hotspot = _load(session, actor, hotspot_id, expected_version)
    why = text_field(reason, "reason", "排除理由", min_len=2, max_len=500)
    _change(session, hotspot, {"status": HotspotStatus.DISMISSED, "decided_by_user_id": who.user_id, "decided_at": now(), "note": why})
    _events(session, _members(session, hotspot.id), by=lifecycle._By.of(who), action="hotspot_dismiss",
            note=f"排除热点事件“{hotspot.title}”：{why}")
    return hotspot


@lifecycle._action
def handle_hotspot_as_one(
    session: Session, *, actor: object, hotspot_id: object, expected_version: object, lead_case_id: object = None
) -> Hotspot:
    """合并办理: one lead case is handled; the other open members become its
    duplicates (``mark_duplicate``) and their requesters hear the lead's result."""
    who, hotspot = _load(session, actor, hotspot_id, expected_version)
    members = _members(session, hotspot.id)
    open_members = [c for c in members if c.status in S.OPEN]
    if lead_case_id is None or lead_case_id == "":
        # the one furthest along is handled; ties go to the first report
        order = {S.IN_PROGRESS: 0, S.ROUTED: 1, S.ACCEPTED: 2, S.SUBMITTED: 3}
        candidates = sorted(open_members, key=lambda c: (order[c.status], c.submitted_at, c.id))
        if not candidates:
            raise InvalidTransition("热点事件中没有在办的诉求，无需合并办理")
        lead = candidates[0]
    else:
        lid = int_field(lead_case_id, "lead_case_id", "主办诉求无效")
        lead = next((c for c in open_members if c.id == lid), None)
        if lead is None:
            raise DomainError("主办诉求须是本热点事件中在办的一件", "lead_case_id")
    if not lifecycle.case_in_scope(who, lead):
        raise AccessDenied()
    merged = []
    for case in open_members:
        if case.id == lead.id or not lifecycle.case_in_scope(who, case):
            continue
        # the lifecycle's own action (without its commit: this is one transaction)
        lifecycle.mark_duplicate.__wrapped__(
            session, actor=who, case_id=case.id, expected_version=case.version, duplicate_of_code=lead.code
        )
        merged.append(case.id)
    _change(session, hotspot, {"status": HotspotStatus.HANDLED, "lead_case_id": lead.id,
                               "decided_by_user_id": who.user_id, "decided_at": now()})
    by = lifecycle._By.of(who)
    _events(session, [lead], by=by, action="hotspot_handle",
            note=f"热点事件“{hotspot.title}”合并办理：本件为主办件，并入{len(merged)}件重复诉求，办结时一并答复各反映人")
    _events(session, members, by=by, action="hotspot_handle", note=f"热点事件“{hotspot.title}”由诉求{lead.code}合并办理",
            skip={lead.id, *merged})
    return hotspot
