"""States of the photo widgets (issue 16), one per place photos live:

* ``CaseMediaState`` — /cases/[code]: the case's photos and files on the
  timeline, staff upload (intake / before / after), publish and un-publish;
* ``PublicMediaState`` — /public/submit (a resident adds up to three photos
  to the request this tab just made) and /public/track (public photos only);
* ``VisitMediaState`` — /diary/[id]: photos on each visit;
* ``ItemMediaState`` — /meetings/[id]: photos on each meeting item.

Uploads arrive through Reflex's ``/_upload`` endpoint (``rx.upload_files``):
the body was refused before reading when over its ceiling
(``rxapp.api.media.UploadBodyLimit``); here each file is read up to the
10 MB limit plus one byte, and every handler checks role and scope again in
the domain before anything is kept.  Which case / visit / item a handler
writes to is never taken from the client: it is the one this tab loaded (or
opened) after a scope check, and the domain checks it once more."""

from dataclasses import asdict
from typing import Any

import reflex as rx

from rxapp.db import run_db
from rxapp.domain.errors import DomainError
from rxapp.domain.media import actions as M
from rxapp.domain.media.images import MAX_FILE_BYTES, MAX_PUBLIC_FILES, MAX_STAFF_FILES
from rxapp.models import Case
from rxapp.state.base import PUBLIC, STAFF, AppState, access
from rxapp.state.public import PublicSubmitState, PublicTrackState
from rxapp.state.teamwork import TEAMWORK_ROLES, path_id

CASE_UPLOAD_ID = "case-media-upload"
RESIDENT_UPLOAD_ID = "resident-media-upload"
VISIT_UPLOAD_ID = "visit-media-upload"
ITEM_UPLOAD_ID = "item-media-upload"
BEFORE_STAGES = ("report", "intake", "before")


def media_rows(views: list[M.MediaView]) -> list[dict[str, str]]:
    rows = []
    for v in views:
        row = {k: ("" if val is None else str(val)) for k, val in asdict(v).items()}
        row["public"] = "1" if v.public else ""
        row["stage_key"] = f"media.stage.{v.stage}"
        rows.append(row)
    return rows


async def read_uploads(files: Any, max_files: int) -> list[tuple[str, bytes]]:
    """The uploaded files' names and bytes, each read no further than the
    limit allows (a bigger one is refused by the domain's size check)."""
    if not isinstance(files, list) or not files:
        raise DomainError("请选择要上传的文件", "media")
    if len(files) > max_files:
        raise DomainError(f"一次最多上传{max_files}个文件", "media")
    out = []
    for f in files:
        if not isinstance(f, rx.UploadFile):
            raise DomainError("上传的文件无效", "media")
        name = f.filename or ""
        if f.size is not None and f.size > MAX_FILE_BYTES:
            raise DomainError(f"“{name[:40]}”超过10MB，请压缩后再上传", "media")
        out.append((name, await f.read(MAX_FILE_BYTES + 1)))
    return out


class UploadProgress(rx.State, mixin=True):
    """Progress of this tab's upload (from the browser's upload events) and
    its outcome."""

    progress: int = 0
    uploading: bool = False
    error: str = ""
    notice: str = ""

    @rx.event
    def upload_progress(self, prog: dict):
        value = prog.get("progress") if isinstance(prog, dict) else 0
        try:
            fraction = min(1.0, max(0.0, float(value)))
        except (TypeError, ValueError):
            fraction = 0.0
        self.progress = int(fraction * 100)
        self.uploading = fraction < 1.0
        if self.uploading:
            self.error = self.notice = ""

    def _finish(self, error: str = "", notice: str = "") -> None:
        self.uploading = False
        self.progress = 0 if error else 100
        self.error, self.notice = error, notice


# ============================================================================
# /cases/[code]
# ============================================================================
@access(STAFF)
class CaseMediaState(UploadProgress, AppState):
    items: list[dict[str, str]] = []
    stage: str = "before"
    loaded_code: str = ""
    _case_id: int = 0

    @rx.var
    def before_items(self) -> list[dict[str, str]]:
        return [i for i in self.items if i["stage"] in BEFORE_STAGES]

    @rx.var
    def after_items(self) -> list[dict[str, str]]:
        return [i for i in self.items if i["stage"] == "after"]

    async def _reload(self, actor) -> None:
        case_id = self._case_id
        self.items = media_rows(await run_db(lambda s: M.case_media(s, actor=actor, case_id=case_id)))

    @rx.event
    async def load(self):
        """on_mount of the panel: the case of this page's URL, if in scope."""
        self.items, self._case_id, self.loaded_code = [], 0, ""
        self.error = self.notice = ""
        self.progress = 0
        actor = await self.require(*STAFF)
        code = (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1][:20]

        def find(s):
            from sqlmodel import select

            return s.exec(select(Case).where(Case.code == code)).first()

        case = await run_db(find)
        if case is None:
            return
        self._case_id = case.id
        try:
            await self._reload(actor)
        except DomainError:
            self._case_id = 0
            return
        self.loaded_code = case.code
        self.stage = {"submitted": "intake", "accepted": "intake", "routed": "before", "in_progress": "before"}.get(case.status, "after")

    @rx.event
    def set_stage(self, value: str):
        self.stage = value if value in M.CASE_STAGES else "before"

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        try:
            actor = await self.require(*STAFF)
            if not self._case_id:
                raise DomainError("请先打开诉求", "media")
            uploads = await read_uploads(files, MAX_STAFF_FILES)
            case_id, stage = self._case_id, self.stage
            rows = await run_db(lambda s: M.attach_case_files(s, actor=actor, case_id=case_id, uploads=uploads, stage=stage))
            await self._reload(actor)
        except DomainError as exc:
            self._finish(error=exc.message)
        else:
            self._finish(notice=f"已上传{len(rows)}个文件")
        return rx.clear_selected_files(CASE_UPLOAD_ID)

    async def _publish(self, token: Any, public: bool):
        try:
            actor = await self.require(*STAFF)
            fn = M.publish_photo if public else M.unpublish_photo
            await run_db(lambda s: fn(s, actor=actor, token=token))
            await self._reload(actor)
            self.error = ""
        except DomainError as exc:
            self.error = exc.message

    @rx.event
    async def publish(self, token: str):
        await self._publish(token, True)

    @rx.event
    async def unpublish(self, token: str):
        await self._publish(token, False)


# ============================================================================
# /public/submit and /public/track
# ============================================================================
@access(PUBLIC)
class PublicMediaState(UploadProgress, rx.State):
    added: int = 0
    for_code: str = ""
    track_before: list[dict[str, str]] = []
    track_after: list[dict[str, str]] = []

    @rx.event
    async def upload_resident_photos(self, files: list[rx.UploadFile]):
        """Photos for the request this tab has just submitted: its code is
        set by the server on submit, never by the client."""
        code = (await self.get_state(PublicSubmitState)).code
        try:
            if not code:
                raise DomainError("请先提交诉求，再添加照片", "media")
            if code != self.for_code:
                self.for_code, self.added = code, 0
            uploads = await read_uploads(files, MAX_PUBLIC_FILES)

            def attach(s):
                return M.attach_resident_photos(s, case_id=M.case_id_of(s, code), uploads=uploads)

            rows = await run_db(attach)
        except DomainError as exc:
            self._finish(error=exc.message)
        else:
            self.added += len(rows)
            self._finish(notice=f"已收到{self.added}张照片")
        return rx.clear_selected_files(RESIDENT_UPLOAD_ID)

    @rx.event
    async def load_track(self):
        """The public photos of the case this tab has just tracked (code and
        phone tail checked by the track page's own state)."""
        self.track_before, self.track_after = [], []
        code = (await self.get_state(PublicTrackState)).case.get("code", "")
        if not code:
            return

        def fetch(s):
            return M.public_case_media(s, case_id=M.case_id_of(s, code))

        try:
            rows = media_rows(await run_db(fetch))
        except DomainError:
            return
        self.track_before = [r for r in rows if r["stage"] in BEFORE_STAGES]
        self.track_after = [r for r in rows if r["stage"] == "after"]


# ============================================================================
# /diary/[id] and /meetings/[id]: photos per visit / per item
# ============================================================================
class TargetMedia(UploadProgress, mixin=True):
    """Photos grouped by visit or item of the page, and one upload dialog
    for the visit / item the user opened it on."""

    by_target: dict[str, list[dict[str, str]]] = {}
    attachable: list[str] = []
    dialog_open: bool = False
    target_label: str = ""
    _parent_id: int = 0
    _target_id: int = 0

    def _listing(self, s, actor, parent_id: int) -> tuple[dict[int, list[M.MediaView]], list[int]]:
        """(photos per visit / item of the page, the ones this user may add to)"""
        raise NotImplementedError

    def _attach(self, s, actor, target_id: int, uploads) -> list:
        raise NotImplementedError

    def _upload_id(self) -> str:
        raise NotImplementedError

    async def _reload(self, actor) -> None:
        parent = self._parent_id
        listing, allowed = await run_db(lambda s: self._listing(s, actor, parent))
        self.by_target = {str(k): media_rows(v) for k, v in listing.items()}
        self.attachable = [str(t) for t in allowed]

    @rx.event
    async def load(self):
        self.by_target, self.attachable, self.dialog_open = {}, [], False
        self._parent_id = self._target_id = 0
        actor = await self.require(*TEAMWORK_ROLES)
        parent = path_id(self.router.url.path)
        if parent is None:
            return
        self._parent_id = parent
        try:
            await self._reload(actor)
        except DomainError:
            self._parent_id = 0

    @rx.event
    async def open_upload(self, target_id: str, label: str = ""):
        self.error = self.notice = ""
        self.progress = 0
        if not isinstance(target_id, str) or target_id not in self.attachable:
            return
        self._target_id = int(target_id)
        self.target_label = label[:60] if isinstance(label, str) else ""
        self.dialog_open = True

    @rx.event
    def set_dialog_open(self, value: bool):
        self.dialog_open = bool(value) and self._target_id > 0

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        try:
            actor = await self.require(*TEAMWORK_ROLES)
            if not self._target_id:
                raise DomainError("请先选择要添加照片的记录", "media")
            uploads = await read_uploads(files, MAX_STAFF_FILES)
            target = self._target_id
            rows = await run_db(lambda s: self._attach(s, actor, target, uploads))
            await self._reload(actor)
        except DomainError as exc:
            self._finish(error=exc.message)
        else:
            self._finish(notice=f"已上传{len(rows)}个文件")
            self.dialog_open = False
        return rx.clear_selected_files(self._upload_id())


@access(TEAMWORK_ROLES)
class VisitMediaState(TargetMedia, AppState):
    def _listing(self, s, actor, parent_id):
        listing = M.diary_visit_media(s, actor=actor, diary_id=parent_id)
        return listing, [v for v in listing if M.may_attach_to_visit(s, actor=actor, visit_id=v)]

    def _attach(self, s, actor, target_id, uploads):
        return M.attach_visit_photos(s, actor=actor, visit_id=target_id, uploads=uploads)

    def _upload_id(self) -> str:
        return VISIT_UPLOAD_ID


@access(TEAMWORK_ROLES)
class ItemMediaState(TargetMedia, AppState):
    def _listing(self, s, actor, parent_id):
        listing = M.meeting_item_media(s, actor=actor, meeting_id=parent_id)
        return listing, [i for i in listing if M.may_attach_to_item(s, actor=actor, item_id=i)]

    def _attach(self, s, actor, target_id, uploads):
        return M.attach_item_photos(s, actor=actor, item_id=target_id, uploads=uploads)

    def _upload_id(self) -> str:
        return ITEM_UPLOAD_ID
