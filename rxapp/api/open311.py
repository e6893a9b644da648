"""Open311 GeoReport v2 (``/api/open311/v2/``) with the FixMyStreet
``servicerequestupdates`` extension.  Every route answers ``.json`` or
``.xml``; errors use the spec's format (``[{"code": 404, "description": …}]``
or ``<errors><error>…``).  All parameters are taken as optional text and
validated in ``rxapp.domain.open311``, so a bad value answers 400/404 in that
format, never FastAPI's own 422."""

import asyncio
from collections.abc import Callable
from datetime import timedelta

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile as StarletteUploadFile

from rxapp.api.deps import run_db
from rxapp.api.media import BodyTooLarge
from rxapp.db import GroupCommit
from rxapp.domain import open311 as o
from rxapp.domain.errors import DomainError
from rxapp.domain.media.actions import attach_resident_photos, case_id_of
from rxapp.domain.media.images import MAX_FILE_BYTES, MAX_PUBLIC_FILES, Processed, process_all
from rxapp.domain import throttle

router = APIRouter(prefix="/api/open311/v2", tags=["open311"])

FORMATS = ("json", "xml")
# POSTs arriving together are taken in one transaction (rxapp.db.GroupCommit)
intake = GroupCommit(o.post_requests)
# documented as the two formats; checked in the handler so a wrong one answers the spec's 404
Fmt = Annotated[str, Path(description="json or xml", json_schema_extra={"enum": list(FORMATS)})]
XML_MEDIA = "application/xml; charset=utf-8"
# wrong api_keys: 10 per address in 10 minutes, then 429 for 10 minutes
API_KEY_GUESS_RULE = throttle.Rule(limit=10, window=timedelta(minutes=10), lock=timedelta(minutes=10))


def _error(code: int, description: str, fmt: str) -> Response:
    if fmt == "xml":
        return Response(o.errors_xml(code, description), status_code=code, media_type=XML_MEDIA)
    return JSONResponse([{"code": code, "description": description}], status_code=code)


def _answer(fmt: str, root: str, item: str, data: list[dict] | dict, status: int = 200) -> Response:
    if fmt == "xml":
        body = o.to_xml(root, item, data) if isinstance(data, list) else o.document_xml(root, data)
        return Response(body, status_code=status, media_type=XML_MEDIA)
    return JSONResponse(data, status_code=status)


async def _run(
    fmt: str, work: Callable[[Session], list[dict] | dict], root: str, item: str, status: int = 200, base_url: str = ""
) -> Response:
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        return _error(404, "format: use .json or .xml", "json")
    try:
        data = await run_db(work)
    except o.Open311Error as exc:
        return _error(exc.code, exc.description, fmt)
    if base_url and isinstance(data, list):  # media_url: an absolute URL on this host
        for row in data:
            if isinstance(row, dict) and isinstance(row.get("media_url"), str) and row["media_url"].startswith("/"):
                row["media_url"] = base_url.rstrip("/") + row["media_url"]
    return _answer(fmt, root, item, data, status)


@router.get("/services.{fmt}", summary="Service list (the 14 request categories)")
async def services(fmt: Fmt, jurisdiction_id: str | None = Query(None)) -> Response:
    def work(s: Session):
        o.check_jurisdiction(jurisdiction_id)
        return o.list_services(s)

    return await _run(fmt, work, "services", "service")


@router.get("/services/{service_code}.{fmt}", summary="Service definition")
async def service_definition(service_code: str, fmt: Fmt, jurisdiction_id: str | None = Query(None)) -> Response:
    def work(s: Session):
        o.check_jurisdiction(jurisdiction_id)
        return o.service_definition(s, service_code)

    return await _run(fmt, work, "service_definition", "service_definition")


@router.get("/requests.{fmt}", summary="Service requests (public: no personal data; media_url: a photo staff made public)")
async def get_requests(
    request: Request,
    fmt: Fmt,
    jurisdiction_id: str | None = Query(None),
    service_request_id: str | None = Query(None, description="one or more codes, comma-separated"),
    service_code: str | None = Query(None),
    start_date: str | None = Query(None, description="W3C datetime"),
    end_date: str | None = Query(None, description="W3C datetime"),
    status: str | None = Query(None, description="open, closed or both"),
    page: str | None = Query(None, description="from 1"),
    page_size: str | None = Query(None, description=f"1..{o.MAX_PAGE_SIZE}, default {o.DEFAULT_PAGE_SIZE}"),
) -> Response:
    def work(s: Session):
        o.check_jurisdiction(jurisdiction_id)
        return o.query_requests(
            s,
            service_request_id=service_request_id,
            service_code=service_code,
            start_date=start_date,
            end_date=end_date,
            status=status,
            page=page,
            page_size=page_size,
        )

    return await _run(fmt, work, "service_requests", "request", base_url=str(request.base_url))


POST_FIELDS = (
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)
_FORM_SCHEMA = {
    "type": "object",
    "title": "ServiceRequestForm",
    "properties": {name: {"type": "string"} for name in POST_FIELDS},
}
_POST_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
        "multipart/form-data": {
            "schema": {
                **_FORM_SCHEMA,
                "title": "ServiceRequestFormWithPhotos",
                "properties": {
                    **_FORM_SCHEMA["properties"],
                    "media": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "maxItems": MAX_PUBLIC_FILES,
                        "description": (
                            f"photos (JPEG, PNG, WebP or HEIC; at most {MAX_PUBLIC_FILES}, {MAX_FILE_BYTES // 2**20} MB each), "
                            "checked by content and re-encoded without metadata; private until staff publish them, "
                            "then shown as media_url"
                        ),
                    },
                },
            },
            "encoding": {"media": {"contentType": "image/jpeg, image/png, image/webp, image/heic"}},
        },
    },
}


@router.post(
    "/requests.{fmt}",
    summary="Post a service request (api_key required), optionally with photos (multipart field media)",
    openapi_extra={"requestBody": _POST_BODY, "responses": {"413": {"description": "body over the upload limit"}}},
)
async def post_request(fmt: Fmt, request: Request) -> Response:
    # the form is read by hand: fifteen declared Form() parameters cost more
    # per request than the whole group-committed write
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        return _error(404, "format: use .json or .xml", "json")
    try:
        form = await request.form(max_files=MAX_PUBLIC_FILES, max_fields=64)
    except BodyTooLarge:  # answered 413 by UploadBodyLimit
        raise
    except Exception:  # noqa: BLE001 - a malformed body is the client's error
        return _error(400, f"request: a form is expected (multipart: at most {MAX_PUBLIC_FILES} media files)", fmt)
    values = {name: value for name, value in form.items() if name in POST_FIELDS and isinstance(value, str)}
    params = {name: values.get(name) for name in POST_FIELDS if name not in ("api_key", "address_id", "media_url")}
    guesser = throttle.make_key("apikey", "ip", request.client.host if request.client else "")
    # a locked-out sender is answered 429 in the intake batch (one query for the
    # batch); with photos, before they are decoded
    has_files = any(not isinstance(value, str) for _, value in form.multi_items())
    if has_files and (until := await run_db(lambda s: throttle.locked_until(s, guesser))):
        err = o.guess_lock_error(until)
        return _error(err.code, err.description, fmt)
    try:
        photos = await _photos(form)
    except DomainError as exc:
        return _error(400, f"media: {exc.message}", fmt)
    finally:
        await form.close()
    try:
        answer = await intake.submit((values.get("api_key"), params, guesser))
    except o.Open311Error as exc:
        if exc.code == 403:  # a wrong key: counted per address (API_KEY_GUESS_RULE)
            await run_db(lambda s: throttle.record_failure(s, guesser, API_KEY_GUESS_RULE))
        return _error(exc.code, exc.description, fmt)
    if photos:  # checked above, so only a database failure can stop them now
        case_code = answer[0]["service_request_id"]
        await run_db(lambda s: attach_resident_photos(s, case_id=case_id_of(s, case_code), uploads=photos, via_api=True))
    return _answer(fmt, "service_requests", "request", answer, 201)


async def _photos(form) -> list[Processed]:
    """The multipart ``media`` files, each checked and re-encoded before the
    request is taken (a bad photo refuses the whole POST).  Errors name a
    photo by its place ("第2张照片"), never by the client's file name: an
    answer carries nothing the client sent."""
    files = [f for f in form.getlist("media") if isinstance(f, StarletteUploadFile)]
    if not files:
        return []
    uploads = []
    for i, f in enumerate(files, 1):
        if f.size is not None and f.size > MAX_FILE_BYTES:
            raise DomainError(f"第{i}张照片超过10MB", "media")
        uploads.append((f"第{i}张照片", await f.read(MAX_FILE_BYTES + 1)))
    return await asyncio.to_thread(process_all, uploads, allow_pdf=False, max_files=MAX_PUBLIC_FILES)


@router.get("/requests/{service_request_id}.{fmt}", summary="One service request")
async def get_request(request: Request, service_request_id: str, fmt: Fmt, jurisdiction_id: str | None = Query(None)) -> Response:
    def work(s: Session):
        o.check_jurisdiction(jurisdiction_id)
        return [o.get_request(s, service_request_id)]

    return await _run(fmt, work, "service_requests", "request", base_url=str(request.base_url))


@router.get("/servicerequestupdates.{fmt}", summary="Public timeline updates (FixMyStreet extension)")
async def service_request_updates(
    fmt: Fmt,
    jurisdiction_id: str | None = Query(None),
    service_request_id: str | None = Query(None),
    start_date: str | None = Query(None),
    end_date: str | None = Query(None),
    page: str | None = Query(None),
    page_size: str | None = Query(None),
) -> Response:
    def work(s: Session):
        o.check_jurisdiction(jurisdiction_id)
        return o.request_updates(
            s, service_request_id=service_request_id, start_date=start_date, end_date=end_date, page=page, page_size=page_size
        )

    return await _run(fmt, work, "service_request_updates", "request_update")
