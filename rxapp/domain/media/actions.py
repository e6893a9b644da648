"""Attaching, publishing and serving photos and files — one function per
thing a person does, each checking role and scope itself:

* ``attach_resident_photos`` — a resident (``/public/submit``) or an Open311
  client adds up to three photos to the request just made;
* ``attach_case_files`` — staff in scope add photos or PDFs to a case: at
  intake, and handlers before and after the work (sign / reply / resolve);
* ``attach_visit_photos`` — the visit's team member, on a diary visit;
* ``attach_item_photos`` — who may edit the meeting, on a meeting item;
* ``publish_photo`` / ``unpublish_photo`` — staff in scope show a case photo
  on the public pages and Open311, or take it back (both recorded);
* ``open_media`` — the bytes of one file for whoever may see it.

Every upload is checked and re-encoded (``images``) before anything is
written; a refused file leaves no row and no blob.  Rows are never deleted."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from rxapp.domain.access import Actor, case_in_scope
from rxapp.domain.clock import now
from rxapp.domain.errors import AccessDenied, DomainError, NotFound
from rxapp.domain.households import grid_readable, parse_id
from rxapp.domain.media.images import MAX_PUBLIC_FILES, MAX_STAFF_FILES, Processed, process_all
from rxapp.domain.media.storage import MediaStorage, storage_from_env
from rxapp.domain.meetings import _readable as meeting_readable
from rxapp.domain.meetings import _editable as meeting_editable
from rxapp.models import Case, Channel, Media, MediaEvent, Meeting, MeetingItem, Role, Team, Visit

STAFF_ROLES = (Role.LEADER, Role.DISPATCHER, Role.DEPT, Role.MEMBER, Role.ADMIN)
CASE_STAGES = ("intake", "before", "after")
MAX_FILES_PER_CASE = 60
MAX_PHOTOS_PER_VISIT = 20
MAX_PHOTOS_PER_ITEM = 20
RESIDENT_WINDOW = timedelta(hours=24)  # a resident adds photos to a request made within this time
RESIDENT_LABEL = "居民"
API_LABEL = "Open311"
URL_PREFIX = "/api/media/"


Upload = tuple[object, object]  # (file name, bytes)


@dataclass(frozen=True)
class MediaView:
    """One file as the pages show it (no personal data beyond staff scope)."""

    token: str
    kind: str
    stage: str
    url: str
    thumb_url: str
    public: bool
    at: str
    by: str
    filename: str
    case_id: int | None
    visit_id: int | None
    meeting_item_id: int | None


def media_url(token: str, variant: str = "") -> str:
    return f"{URL_PREFIX}{token}/{variant}" if variant else f"{URL_PREFIX}{token}"


def _view(m: Media, *, staff: bool) -> MediaView:
    return MediaView(
        token=m.token,
        kind=m.kind,
        stage=m.stage,
        url=media_url(m.token),
        thumb_url=media_url(m.token, "thumb") if m.kind == "image" else "",
        public=m.public,
        at=m.created_at.strftime("%Y-%m-%d %H:%M"),
        by=m.uploaded_by_label if staff else "",
        filename=m.filename if staff else "",
        case_id=m.case_id,
        visit_id=m.visit_id,
        meeting_item_id=m.meeting_item_id,
    )


# ============================================================================
# Writing
# ============================================================================
def _keep(
    session: Session,
    processed: list[Processed],
    storage: MediaStorage | None,
    *,
    stage: str,
    by_user_id: int | None,
    label: str,
    case_id: int | None = None,
    visit_id: int | None = None,
    meeting_item_id: int | None = None,
) -> list[Media]:
    """Blobs first (content-addressed: a blob without a row is harmless and
    reused), then the rows and their history in the caller's transaction."""
    store = storage or storage_from_env()
    for p in processed:
        store.put(p.web.sha256, p.web.data, p.web.content_type)
        if p.thumb is not None:
            store.put(p.thumb.sha256, p.thumb.data, p.thumb.content_type)
    at = now()
    rows = []
    for p in processed:
        row = Media(
            token=secrets.token_urlsafe(18),
            case_id=case_id,
            visit_id=visit_id,
            meeting_item_id=meeting_item_id,
            stage=stage,
            kind=p.kind,
            content_type=p.web.content_type,
            sha256=p.web.sha256,
            size=len(p.web.data),
            thumb_sha256=p.thumb.sha256 if p.thumb else "",
            thumb_size=len(p.thumb.data) if p.thumb else 0,
            width=p.width,
            height=p.height,
            original_size=p.original_size,
            filename=p.filename[:100],
            uploaded_by_user_id=by_user_id,
            uploaded_by_label=label[:64],
            created_at=at,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    for row in rows:
        session.add(MediaEvent(media_id=row.id, at=at, actor_user_id=by_user_id, action="attach"))
    session.commit()
    return rows


def _count(session: Session, *where) -> int:
    return session.exec(select(func.count()).select_from(Media).where(*where)).one()


def _staff(actor: object) -> Actor:
    if not isinstance(actor, Actor):
        raise AccessDenied("请先登录")
    if actor.role not in STAFF_ROLES:
        raise AccessDenied()
    return actor


def _case(session: Session, case_id: object) -> Case:
    case = session.get(Case, parse_id(case_id, "case_id", "诉求编号"))
    if case is None:
        raise NotFound("诉求不存在")
    return case


def attach_resident_photos(
    session: Session, *, case_id: object, uploads: list[Upload], via_api: bool = False, storage: MediaStorage | None = None
) -> list[Media]:
    """A resident's (or an Open311 client's) photos for the request they just
    made.  The caller vouches that this client made the request (the tab that
    submitted it, the API key that posted it); photos only, at most three per
    request, within a day of submitting; private until staff publish them."""
    case = _case(session, case_id)
    if case.channel not in (Channel.WEB, Channel.API):
        raise AccessDenied("只能为网上提交的诉求添加照片")
    if now() - case.submitted_at > RESIDENT_WINDOW:
        raise DomainError("诉求提交超过一天，不能再添加照片", "media")
    taken = _count(session, Media.case_id == case.id, Media.stage == "report")
    room = MAX_PUBLIC_FILES - taken
    if room <= 0:
        raise DomainError(f"每件诉求最多上传{MAX_PUBLIC_FILES}张照片", "media")
    processed = process_all(uploads, allow_pdf=False, max_files=min(room, MAX_PUBLIC_FILES))
    label = API_LABEL if via_api else RESIDENT_LABEL
    return _keep(session, processed, storage, stage="report", by_user_id=None, label=label, case_id=case.id)


def attach_case_files(
    session: Session, *, actor: Actor, case_id: object, uploads: list[Upload], stage: object, storage: MediaStorage | None = None
) -> list[Media]:
    """Staff in scope attach photos or PDFs to a case: ``intake`` material,
    or the handler's ``before`` / ``after`` pictures."""
    who = _staff(actor)
    case = _case(session, case_id)
    if not case_in_scope(who, case):
        raise AccessDenied("该诉求不在您的管辖范围内")
    if stage not in CASE_STAGES:
        raise DomainError("请选择照片类型（受理材料、办理前、办理后）", "stage")
    if _count(session, Media.case_id == case.id) + len(uploads or []) > MAX_FILES_PER_CASE:
        raise DomainError(f"每件诉求最多{MAX_FILES_PER_CASE}个附件", "media")
    processed = process_all(uploads, allow_pdf=True, max_files=MAX_STAFF_FILES)
    return _keep(session, processed, storage, stage=stage, by_user_id=who.user_id, label=who.label or who.display_name, case_id=case.id)


def _visit(session: Session, visit_id: object) -> Visit:
    visit = session.get(Visit, parse_id(visit_id, "visit_id", "走访编号"))
    if visit is None:
        raise NotFound("走访记录不存在")
    return visit


def attach_visit_photos(
    session: Session, *, actor: Actor, visit_id: object, uploads: list[Upload], storage: MediaStorage | None = None
) -> list[Media]:
    """The visit's team member keeps photos with the visit (private to staff)."""
    who = _staff(actor)
    visit = _visit(session, visit_id)
    if not may_attach_to_visit(session, actor=who, visit_id=visit.id):
        raise AccessDenied("只能为本团队的走访添加照片")
    if _count(session, Media.visit_id == visit.id) + len(uploads or []) > MAX_PHOTOS_PER_VISIT:
        raise DomainError(f"每次走访最多{MAX_PHOTOS_PER_VISIT}张照片", "media")
    processed = process_all(uploads, allow_pdf=False, max_files=MAX_STAFF_FILES)
    return _keep(session, processed, storage, stage="visit", by_user_id=who.user_id, label=who.display_name, visit_id=visit.id)


def _item(session: Session, item_id: object) -> tuple[MeetingItem, Meeting]:
    item = session.get(MeetingItem, parse_id(item_id, "item_id", "议题编号"))
    meeting = session.get(Meeting, item.meeting_id) if item else None
    if item is None or meeting is None:
        raise NotFound("议题不存在")
    return item, meeting


def attach_item_photos(
    session: Session, *, actor: Actor, item_id: object, uploads: list[Upload], storage: MediaStorage | None = None
) -> list[Media]:
    """Who may edit the meeting keeps photos (or a PDF of the minutes' page)
    with one of its items."""
    who = _staff(actor)
    item, _ = _item(session, item_id)
    if not may_attach_to_item(session, actor=who, item_id=item.id):
        raise AccessDenied("只能为本团队或管辖范围内的会议添加照片")
    if _count(session, Media.meeting_item_id == item.id) + len(uploads or []) > MAX_PHOTOS_PER_ITEM:
        raise DomainError(f"每个议题最多{MAX_PHOTOS_PER_ITEM}个附件", "media")
    processed = process_all(uploads, allow_pdf=True, max_files=MAX_STAFF_FILES)
    return _keep(session, processed, storage, stage="item", by_user_id=who.user_id, label=who.display_name, meeting_item_id=item.id)


def _case_media_for_change(session: Session, actor: object, token: object) -> tuple[Actor, Media]:
    who = _staff(actor)
    if not isinstance(token, str) or not 8 <= len(token) <= 32:
        raise NotFound("照片不存在")
    media = session.exec(select(Media).where(Media.token == token).with_for_update()).first()
    if media is None or media.case_id is None:
        raise NotFound("照片不存在")
    case = session.get(Case, media.case_id)
    if case is None or not case_in_scope(who, case):
        raise NotFound("照片不存在")
    if media.kind != "image":
        raise DomainError("只有照片可以公开，文件仅供内部查看", "media")
    return who, media


def _set_public(session: Session, actor: object, token: object, public: bool) -> Media:
    who, media = _case_media_for_change(session, actor, token)
    if media.public == public:
        raise DomainError("该照片已公开" if public else "该照片未公开", "media")
    media.public = public
    media.version += 1
    session.add(media)
    session.add(MediaEvent(media_id=media.id, at=now(), actor_user_id=who.user_id, action="publish" if public else "unpublish"))
    session.commit()
    return media


def publish_photo(session: Session, *, actor: Actor, token: object) -> Media:
    """Staff in scope show a case photo on /public/track and in Open311."""
    return _set_public(session, actor, token, True)


def unpublish_photo(session: Session, *, actor: Actor, token: object) -> Media:
    """Take a published photo back off the public pages (the change is recorded)."""
    return _set_public(session, actor, token, False)


# ============================================================================
# Reading
# ============================================================================
def _listed(session: Session, *where) -> list[Media]:
    return list(session.exec(select(Media).where(*where).order_by(Media.created_at, Media.id)).all())


def case_media(session: Session, *, actor: Actor, case_id: object) -> list[MediaView]:
    who = _staff(actor)
    case = _case(session, case_id)
    if not case_in_scope(who, case):
        raise AccessDenied("该诉求不在您的管辖范围内")
    return [_view(m, staff=True) for m in _listed(session, Media.case_id == case.id)]


def public_case_media(session: Session, *, case_id: int) -> list[MediaView]:
    """Only the photos staff marked public; no uploader, no file name."""
    rows = _listed(session, Media.case_id == case_id, Media.public == True, Media.kind == "image")  # noqa: E712
    return [_view(m, staff=False) for m in rows]


def public_photo_tokens(session: Session, case_ids: list[int]) -> dict[int, str]:
    """The first public photo of each case (Open311's one ``media_url``)."""
    if not case_ids:
        return {}
    rows = session.exec(
        select(Media.case_id, Media.token)
        .where(Media.case_id.in_(case_ids), Media.public == True, Media.kind == "image")  # noqa: E712
        .order_by(Media.case_id, Media.created_at, Media.id)
    ).all()
    out: dict[int, str] = {}
    for case_id, token in rows:
        out.setdefault(case_id, token)
    return out


def _visit_readable(session: Session, who: Actor, visit: Visit) -> bool:
    if who.role == Role.MEMBER:
        return who.team_id is not None and visit.team_id == who.team_id
    team = session.get(Team, visit.team_id)
    return team is not None and grid_readable(session, who, team.grid_id)


def visit_media(session: Session, *, actor: Actor, visit_ids: list[object]) -> dict[int, list[MediaView]]:
    who = _staff(actor)
    ids = [parse_id(v, "visit_id", "走访编号") for v in (visit_ids or [])][:200]
    visits = session.exec(select(Visit).where(Visit.id.in_(ids))).all() if ids else []
    readable = [v.id for v in visits if _visit_readable(session, who, v)]
    out: dict[int, list[MediaView]] = {vid: [] for vid in readable}
    for m in _listed(session, Media.visit_id.in_(readable or [-1])):
        out[m.visit_id].append(_view(m, staff=True))
    return out


def item_media(session: Session, *, actor: Actor, item_ids: list[object]) -> dict[int, list[MediaView]]:
    who = _staff(actor)
    ids = [parse_id(v, "item_id", "议题编号") for v in (item_ids or [])][:500]
    rows = session.exec(select(MeetingItem, Meeting).join(Meeting, Meeting.id == MeetingItem.meeting_id).where(MeetingItem.id.in_(ids))).all() if ids else []
    seen: dict[int, bool] = {}
    readable = []
    for item, meeting in rows:
        if meeting.id not in seen:
            seen[meeting.id] = meeting_readable(session, who, meeting)
        if seen[meeting.id]:
            readable.append(item.id)
    out: dict[int, list[MediaView]] = {iid: [] for iid in readable}
    for m in _listed(session, Media.meeting_item_id.in_(readable or [-1])):
        out[m.meeting_item_id].append(_view(m, staff=True))
    return out


def may_see(session: Session, actor: Actor | None, media: Media) -> bool:
    """The same role and scope as the case, visit or item the file belongs to;
    a public case photo is for everyone."""
    if media.public and media.case_id is not None and media.kind == "image":
        return True
    if actor is None or actor.role not in STAFF_ROLES:
        return False
    if media.case_id is not None:
        case = session.get(Case, media.case_id)
        return case is not None and case_in_scope(actor, case)
    if media.visit_id is not None:
        visit = session.get(Visit, media.visit_id)
        return visit is not None and _visit_readable(session, actor, visit)
    if media.meeting_item_id is not None:
        item = session.get(MeetingItem, media.meeting_item_id)
        meeting = session.get(Meeting, item.meeting_id) if item else None
        return meeting is not None and meeting_readable(session, actor, meeting)
    return False


@dataclass(frozen=True)
class Served:
    data: bytes
    content_type: str
    filename: str
    attachment: bool
    public: bool


def open_media(session: Session, *, actor: Actor | None, token: object, variant: str = "", storage: MediaStorage | None = None) -> Served:
    """One file's bytes for someone allowed to see it.  Anything else —
    unknown token, another grid's photo, a private photo asked for without a
    login — is the same ``NotFound``, so a prober learns nothing."""
    if not isinstance(token, str) or not 8 <= len(token) <= 32 or variant not in ("", "thumb"):
        raise NotFound("文件不存在")
    media = session.exec(select(Media).where(Media.token == token)).first()
    if media is None or not may_see(session, actor, media):
        raise NotFound("文件不存在")
    thumb = variant == "thumb" and media.kind == "image"
    data = (storage or storage_from_env()).get(media.thumb_sha256 if thumb else media.sha256)
    if data is None:
        raise NotFound("文件不存在")
    if media.kind == "pdf":
        return Served(data, media.content_type, media.filename or "file.pdf", True, False)
    name = f"photo-{media.token[:8]}{'-thumb' if thumb else ''}.jpg"
    return Served(data, media.content_type, name, False, media.public)


def case_id_of(session: Session, code: str) -> int:
    case_id = session.exec(select(Case.id).where(Case.code == code)).first()
    if case_id is None:
        raise NotFound("诉求不存在")
    return case_id


def diary_visit_media(session: Session, *, actor: Actor, diary_id: object) -> dict[int, list[MediaView]]:
    """Photos of every visit of one diary the actor may read (visit id -> photos)."""
    _staff(actor)
    ids = session.exec(select(Visit.id).where(Visit.diary_id == parse_id(diary_id, "diary_id", "日记编号"))).all()
    return visit_media(session, actor=actor, visit_ids=list(ids))


def meeting_item_media(session: Session, *, actor: Actor, meeting_id: object) -> dict[int, list[MediaView]]:
    """Photos of every item of one meeting the actor may read (item id -> photos)."""
    _staff(actor)
    ids = session.exec(select(MeetingItem.id).where(MeetingItem.meeting_id == parse_id(meeting_id, "meeting_id", "会议编号"))).all()
    return item_media(session, actor=actor, item_ids=list(ids))


def may_attach_to_visit(session: Session, *, actor: Actor, visit_id: object) -> bool:
    who = _staff(actor)
    visit = _visit(session, visit_id)
    return who.role == Role.ADMIN or (who.role == Role.MEMBER and who.team_id == visit.team_id)


def may_attach_to_item(session: Session, *, actor: Actor, item_id: object) -> bool:
    who = _staff(actor)
    _, meeting = _item(session, item_id)
    return meeting_editable(session, who, meeting)
