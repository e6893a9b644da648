"""Open311 GeoReport v2 over the case pipeline: mapping, validation, API keys.

What a client may see is built here and nowhere else: personal data never
leaves (no name, phone or e-mail; the address stops at the community; the
description is scrubbed; coordinates are rounded to about a kilometre).

Grid choice for a posted request (every case needs a grid), by the one
resolver (``rxapp.domain.geo.resolve``):

1. ``lat``/``long`` (WGS84, stored converted to GCJ-02): the grid containing
   the point, or the nearest within 500 m; farther out at sea or outside the
   city → 400.  With an ``address_string`` as well, the place it names must
   contain that grid, else 400 naming both;
2. ``address_string`` alone: the address index (road, community, township,
   district names); else the jurisdiction's intake grid
   ``GRIDDESK_INTAKE_GRID`` (an area id or a grid name) when set;
otherwise 400 asking for an address naming the community, street or road.

GET answers carry coordinates in WGS84 rounded to about a kilometre, and for
a case linked to a household (raised on a visit, or by a known resident) the
label point of its grid instead of its own point: never a doorstep.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from sqlmodel import Session, select

from rxapp.domain.cases import STATUS_ZH, Intake, IntakeRef, claim_sqlite_writer, submit_public_batch
from rxapp.domain import throttle
from rxapp.domain.clock import CST
from rxapp.domain.errors import DomainError
from rxapp.domain.geo.datum import gcj02_to_wgs84
from rxapp.domain.geo.resolve import WGS84, GeoError, Resolver, default_intake_grid
from rxapp.domain.media.actions import media_url, public_photo_tokens
from rxapp.domain.names import scrubber
from rxapp.domain.security import token_digest
from rxapp.models import ApiKey, Area, Case, CaseEvent, CaseStatus, Category, Channel, Department

log = logging.getLogger(__name__)

JURISDICTION_IDS = ("zhoushan", "zhoushan.gov.cn", "330900")
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
COORD_DECIMALS = 2  # ~1 km: a location, never a doorstep
CODE_RE = re.compile(r"^ZS\d{12,16}$")

# submit_case field -> the Open311 parameter a client sent
PARAM_OF_FIELD = {
    "content": "description",
    "requester_phone": "phone",
    "requester_name": "first_name/last_name",
    "requester_address": "address_string",
    "lat": "lat",
    "lon": "long",
    "category_code": "service_code",
    "grid_id": "address_string",
}


class Open311Error(Exception):
    """An answer in the spec's error format: ``[{"code": 400, "description": "..."}]``."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


# ----------------------------------------------------------------------------
# Formats
# ----------------------------------------------------------------------------
def w3c(dt: datetime | None) -> str | None:
    """A stored (naive CST) time as W3C datetime with its offset."""
    return dt.replace(tzinfo=CST).isoformat() if dt else None


def parse_w3c(value: object, param: str) -> datetime | None:
    """A client's W3C datetime (date or date-time, with or without offset) as naive CST."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise Open311Error(400, f"{param}: not a W3C datetime")
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"{param}: not a W3C datetime (e.g. 2026-11-26T08:00:00+08:00)") from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(CST).replace(tzinfo=None)
    if not 2000 <= dt.year <= 2100:
        raise Open311Error(400, f"{param}: out of range")
    return dt


def to_xml(root: str, item: str, items: list[Mapping[str, object]]) -> str:
    """The spec's XML: a root element with one child element per item."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', f"<{root}>"]
    for obj in items:
        out.append(f"<{item}>")
        for key, value in obj.items():
            out.append(_xml_element(key, value))
        out.append(f"</{item}>")
    out.append(f"</{root}>")
    return "".join(out)


def document_xml(root: str, obj: Mapping[str, object]) -> str:
    """One object as a document (the service definition)."""
    return '<?xml version="1.0" encoding="utf-8"?>' + _xml_element(root, obj)


def _xml_element(key: str, value: object) -> str:
    if value is None:
        return f"<{key}/>"
    if isinstance(value, bool):
        return f"<{key}>{'true' if value else 'false'}</{key}>"
    if isinstance(value, list):
        inner = "".join(_xml_element(key[:-1] if key.endswith("s") else "value", v) for v in value)
        return f"<{key}>{inner}</{key}>"
    if isinstance(value, Mapping):
        return f"<{key}>{''.join(_xml_element(k, v) for k, v in value.items())}</{key}>"
    return f"<{key}>{escape(_xml_safe(str(value)))}</{key}>"


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _XML_BAD.sub("", text)


def errors_xml(code: int, description: str) -> str:
    return to_xml("errors", "error", [{"code": code, "description": description}])


# ----------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------
def _str_param(value: object, param: str, *, max_len: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Open311Error(400, f"{param}: must be text")
    text = value.strip()
    if required and not text:
        raise Open311Error(400, f"{param}: required")
    if len(text) > max_len:
        raise Open311Error(400, f"{param}: at most {max_len} characters")
    if _XML_BAD.search(text):
        raise Open311Error(400, f"{param}: contains control characters")
    return text


def _int_param(value: object, param: str, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise Open311Error(400, f"{param}: must be a whole number from {lo} to {hi}")
    n = int(text)
    if not lo <= n <= hi:
        raise Open311Error(400, f"{param}: must be a whole number from {lo} to {hi}")
    return n


def _float_param(value: object, param: str, lo: float, hi: float) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        x = float(str(value).strip())
    except ValueError:
        raise Open311Error(400, f"{param}: must be a number") from None
    if not (lo <= x <= hi):  # also refuses NaN
        raise Open311Error(400, f"{param}: must be between {lo} and {hi}")
    return x


def check_jurisdiction(value: object) -> None:
    text = _str_param(value, "jurisdiction_id", max_len=64)
    if text and text.lower() not in JURISDICTION_IDS:
        raise Open311Error(404, f"jurisdiction_id: unknown jurisdiction (use {JURISDICTION_IDS[0]})")


def _code_list(value: object, param: str, pattern: re.Pattern[str], limit: int = 50) -> list[str]:
    text = _str_param(value, param, max_len=2000)
    if not text:
        return []
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    if len(codes) > limit:
        raise Open311Error(400, f"{param}: at most {limit} values")
    for c in codes:
        if not pattern.match(c):
            raise Open311Error(400, f"{param}: unknown value {c[:24]!r}")
    return codes


_SERVICE_CODE_RE = re.compile(r"^[A-Z_]{1,16}$")


# ----------------------------------------------------------------------------
# API keys and their rate limit
# ----------------------------------------------------------------------------
class RateLimiter:
    """Requests per key and minute.  With ``REFLEX_REDIS_URL`` set (several
    backend workers) the count is shared by every worker: a fixed one-minute
    window per key in Redis (``INCRBY`` + ``EXPIRE``).  Without Redis, or
    while it cannot be reached, a sliding one-minute window in this process."""

    PREFIX = "griddesk:open311:rate"

    RETRY_AFTER = 5.0  # seconds without trying Redis after it failed

    def __init__(self, redis_url: str | None = None) -> None:
        self._hits: dict[int, deque[float]] = {}
        self._lock = threading.Lock()
        self._redis_url = redis_url
        self._redis = None
        self._down_until = 0.0

    def _client(self):
        url = self._redis_url if self._redis_url is not None else os.environ.get("REFLEX_REDIS_URL", "")
        if not url or time.monotonic() < self._down_until:
            return None
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return self._redis

    def allow(self, key_id: int, per_minute: int, at: float | None = None) -> bool:
        return self.allow_many(key_id, per_minute, 1, at) == 1

    def allow_many(self, key_id: int, per_minute: int, n: int, at: float | None = None) -> int:
        """How many of ``n`` requests now on ``key_id`` are within the limit
        (the first ones are; every one counts, allowed or not)."""
        limit = max(1, per_minute)
        client = self._client() if at is None else None
        if client is not None:
            import redis

            window = f"{self.PREFIX}:{key_id}:{int(time.time() // 60)}"
            try:
                pipe = client.pipeline()
                pipe.incrby(window, n)
                pipe.expire(window, 120)
                total = pipe.execute()[0]
            except redis.RedisError as exc:  # the limit falls back to this process, intake goes on
                if self._down_until == 0.0:  # once per outage, not once per request
                    log.warning("rate limit: Redis unavailable (%s); counting in this worker until it is back", exc)
                self._down_until = time.monotonic() + self.RETRY_AFTER
                self._redis = None
            else:
                if self._down_until:
                    log.warning("rate limit: Redis is back; counting across workers again")
                self._down_until = 0.0
                return max(0, min(n, limit - (total - n)))
        t = time.monotonic() if at is None else at
        allowed = 0
        with self._lock:
            hits = self._hits.setdefault(key_id, deque())
            while hits and hits[0] <= t - 60:
                hits.popleft()
            for _ in range(n):
                if len(hits) >= limit:
                    break
                hits.append(t)
                allowed += 1
        return allowed

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
        client = self._client()
        if client is not None:
            try:
                for name in client.scan_iter(f"{self.PREFIX}:*"):
                    client.delete(name)
            except Exception:  # noqa: BLE001 - a reset is best effort
                pass


rate_limiter = RateLimiter()


def _keys(session: Session, api_keys: list[object]) -> dict[str, ApiKey]:
    digests = {token_digest(k.strip()) for k in api_keys if isinstance(k, str) and k.strip() and len(k) <= 128}
    if not digests:
        return {}
    return {k.key_hash: k for k in session.exec(select(ApiKey).where(ApiKey.key_hash.in_(digests))).all()}


def _check_key(keys: Mapping[str, ApiKey], api_key: object) -> ApiKey:
    """The live key for ``api_key``: 401 without one, 403 unknown or revoked."""
    if api_key is None or (isinstance(api_key, str) and not api_key.strip()):
        raise Open311Error(401, "api_key: required to post a service request")
    if not isinstance(api_key, str) or len(api_key) > 128:
        raise Open311Error(403, "api_key: invalid")
    key = keys.get(token_digest(api_key.strip()))
    if key is None:
        raise Open311Error(403, "api_key: invalid")
    if key.revoked_at is not None:
        raise Open311Error(403, "api_key: revoked")
    return key


def _departments(session: Session) -> dict[int, str]:
    return {d.id: d.name_zh for d in session.exec(select(Department)).all()}


def _service(cat: Category, departments: Mapping[int, str]) -> dict[str, object]:
    dept = departments.get(cat.department_id or 0, "")
    words = [w.strip() for w in re.split(r"[\s,，、;；]+", cat.keywords or "") if w.strip() and not w.startswith("#")]
    description = f"{cat.name_zh}（{cat.name_en}）：由{dept or '相关部门'}办理，{cat.deadline_workdays}个工作日内答复"
    return {
        "service_code": cat.code,
        "service_name": cat.name_zh,
        "description": description,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(words[:12]),
        "group": dept,
    }


def list_services(session: Session) -> list[dict[str, object]]:
    cats = session.exec(select(Category).where(Category.active).order_by(Category.sort, Category.id)).all()
    departments = _departments(session)
    return [_service(c, departments) for c in cats]


def _active_category(session: Session, code: object) -> Category:
    text = _str_param(code, "service_code", max_len=16, required=True).upper()
    cat = session.exec(select(Category).where(Category.code == text)).first() if _SERVICE_CODE_RE.match(text) else None
    if cat is None or not cat.active:
        raise Open311Error(404, f"service_code: unknown service {text[:16]!r}")
    return cat


def service_definition(session: Session, code: object) -> dict[str, object]:
    cat = _active_category(session, code)
    return {"service_code": cat.code, "attributes": []}  # no extra attributes: metadata is false


# ----------------------------------------------------------------------------
# Requests: what a client may see
# ----------------------------------------------------------------------------
def public_status(status: str) -> str:
    return "open" if status in CaseStatus.OPEN else "closed"


def _status_notes(case: Case, scrub) -> str:
    s = case.status
    if s == CaseStatus.REJECTED:
        return f"不予受理：{scrub(case.reject_reason)}"
    if s == CaseStatus.DUPLICATE:
        return "与其他诉求重复，合并办理"
    if s in CaseStatus.DONE:
        return f"{STATUS_ZH[s]}：{scrub(case.result_text)}" if case.result_text else STATUS_ZH[s]
    label = STATUS_ZH.get(s, s)
    return f"{label}；{scrub(case.promise_text)}" if case.promise_text else label


def _scrubber(case: Case, known):
    """``known``: ``rxapp.domain.names.scrubber(session)`` (every known name too)."""

    def scrub(text: str) -> str:
        return known(text or "", names=[case.requester_name], addresses=[case.requester_address], phones=[case.requester_phone])

    return scrub


def _round(x: float | None) -> float | None:
    return round(x, COORD_DECIMALS) if x is not None else None


@dataclass
class _Names:
    categories: dict[int, Category]
    departments: dict[int, str]
    areas: dict[int, str]
    photos: dict[int, str]  # case id -> its first public photo's token
    scrub: Callable[..., str]
    labels: dict[int, tuple[float | None, float | None]]  # grid id -> its label point (GCJ-02)


def _names(session: Session, cases: list[Case]) -> _Names:
    ids = {i for c in cases for i in (c.district_id, c.township_id, c.community_id) if i}
    areas = {a.id: a.name for a in session.exec(select(Area).where(Area.id.in_(ids))).all()} if ids else {}
    grids = {c.grid_id for c in cases if c.grid_id and _at_home(c)}
    labels = {r[0]: (r[1], r[2]) for r in session.exec(select(Area.id, Area.label_lon, Area.label_lat).where(Area.id.in_(grids))).all()} if grids else {}
    cats = {c.id: c for c in session.exec(select(Category)).all()}
    return _Names(cats, _departments(session), areas, public_photo_tokens(session, [c.id for c in cases]), scrubber(session), labels)


def _at_home(case: Case) -> bool:
    """A case whose point may be a household's door (raised on a visit, or by a known household)."""
    return case.requester_household_id is not None or case.visit_id is not None


def _public_point(case: Case, names: _Names) -> tuple[float | None, float | None]:
    """(lat, long) for a GET answer: WGS84, rounded; a household's case shows its grid's label point."""
    lon, lat = names.labels.get(case.grid_id or 0, (None, None)) if _at_home(case) else (case.lon, case.lat)
    if lon is None or lat is None:
        return None, None
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    return _round(wlat), _round(wlon)


def _request(case: Case, names: _Names) -> dict[str, object]:
    cat = names.categories.get(case.category_id or 0)
    scrub = _scrubber(case, names.scrub)
    address = "".join(names.areas.get(i or 0, "") for i in (case.district_id, case.township_id, case.community_id))
    point = _public_point(case, names)
    return {
        "service_request_id": case.code,
        "status": public_status(case.status),
        "status_notes": _status_notes(case, scrub),
        "service_name": cat.name_zh if cat else "",
        "service_code": cat.code if cat else "",
        "description": scrub(case.content),
        "agency_responsible": names.departments.get(case.department_id or 0, ""),
        "service_notice": "",
        "requested_datetime": w3c(case.submitted_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.deadline),
        "address": address,
        "address_id": "",
        "zipcode": "",
        "lat": point[0],
        "long": point[1],
        "media_url": media_url(names.photos[case.id]) if case.id in names.photos else None,
    }


def query_requests(
    session: Session,
    *,
    service_request_id: object = None,
    service_code: object = None,
    start_date: object = None,
    end_date: object = None,
    status: object = None,
    page: object = None,
    page_size: object = None,
) -> list[dict[str, object]]:
    """GET requests: newest first, filtered as the spec lists; ``page`` from 1."""
    codes = _code_list(service_request_id, "service_request_id", CODE_RE)
    services = _code_list(service_code, "service_code", _SERVICE_CODE_RE)
    start = parse_w3c(start_date, "start_date")
    end = parse_w3c(end_date, "end_date")
    if start and end and start > end:
        raise Open311Error(400, "start_date: must not be after end_date")
    statuses = [s.strip().lower() for s in _str_param(status, "status", max_len=20).split(",") if s.strip()]
    for s in statuses:
        if s not in ("open", "closed"):
            raise Open311Error(400, "status: open or closed")
    n = _int_param(page, "page", 1, 1, 100_000)
    size = _int_param(page_size, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)

    stmt = select(Case)
    if codes:
        stmt = stmt.where(Case.code.in_(codes))
    if services:
        cat_ids = session.exec(select(Category.id).where(Category.code.in_(services))).all()
        stmt = stmt.where(Case.category_id.in_(cat_ids or [-1]))
    if start:
        stmt = stmt.where(Case.submitted_at >= start)
    if end:
        stmt = stmt.where(Case.submitted_at <= end)
    if len(set(statuses)) == 1:
        wanted = CaseStatus.OPEN if statuses[0] == "open" else tuple(s for s in CaseStatus.ALL if s not in CaseStatus.OPEN)
        stmt = stmt.where(Case.status.in_(wanted))
    stmt = stmt.order_by(Case.submitted_at.desc(), Case.id.desc()).offset((n - 1) * size).limit(size)
    cases = list(session.exec(stmt).all())
    names = _names(session, cases)
    return [_request(c, names) for c in cases]


def get_request(session: Session, code: object) -> dict[str, object]:
    text = _str_param(code, "service_request_id", max_len=32, required=True).upper()
    case = session.exec(select(Case).where(Case.code == text)).first() if CODE_RE.match(text) else None
    if case is None:
        raise Open311Error(404, f"service_request_id: no request {text[:24]!r}")
    return _request(case, _names(session, [case]))


def request_updates(
    session: Session,
    *,
    service_request_id: object = None,
    start_date: object = None,
    end_date: object = None,
    page: object = None,
    page_size: object = None,
) -> list[dict[str, object]]:
    """FixMyStreet's ``servicerequestupdates``: the public timeline, oldest
    first, each entry under the department's (or centre's) name."""
    codes = _code_list(service_request_id, "service_request_id", CODE_RE)
    start = parse_w3c(start_date, "start_date")
    end = parse_w3c(end_date, "end_date")
    if start and end and start > end:
        raise Open311Error(400, "start_date: must not be after end_date")
    n = _int_param(page, "page", 1, 1, 100_000)
    size = _int_param(page_size, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    stmt = select(CaseEvent, Case).join(Case, Case.id == CaseEvent.case_id).where(CaseEvent.public)
    if codes:
        stmt = stmt.where(Case.code.in_(codes))
    if start:
        stmt = stmt.where(CaseEvent.at >= start)
    if end:
        stmt = stmt.where(CaseEvent.at <= end)
    stmt = stmt.order_by(CaseEvent.at, CaseEvent.id).offset((n - 1) * size).limit(size)
    out = []
    known = scrubber(session)
    for event, case in session.exec(stmt).all():
        out.append(
            {
                "update_id": str(event.id),
                "service_request_id": case.code,
                "status": public_status(event.to_status or case.status),
                "updated_datetime": w3c(event.at),
                "description": _scrubber(case, known)(event.note),
                "agency_responsible": event.actor_label,
                "media_url": None,
            }
        )
    return out


# ----------------------------------------------------------------------------
# Posting a request
# ----------------------------------------------------------------------------
def _service_notice(case: Case | Intake, deadline_workdays: int) -> str:
    if case.deadline is not None:
        d = case.deadline
        return f"已受理，编号{case.code}；{case.promise_text or '将按期办理'}（承诺时间：{d.year}年{d.month}月{d.day}日前）"
    return f"已收到，编号{case.code}，待服务中心受理；受理后{deadline_workdays}个工作日内答复"


def _place(session: Session, resolver: Resolver, lon: float | None, lat: float | None, address: str) -> tuple[int, float | None, float | None]:
    """(grid id, lon, lat in GCJ-02) of a posted request (see the module docstring)."""
    try:
        if lat is not None:
            found = resolver.resolve(lon=lon, lat=lat, address=address, datum=WGS84)
            return found.grid_id, found.lon, found.lat
        return resolver.address(address).grid_id, None, None
    except GeoError as exc:
        if exc.field == "address" and lat is None:
            grid = default_intake_grid(session)
            if grid is not None:
                return grid.id, None, None
            raise Open311Error(400, "address_string: cannot place the request on a grid; name the community (社区/村) or street (街道/镇) or road") from None
        raise Open311Error(400, f"{'address_string' if exc.field == 'address' else 'lat/long'}: {exc.message}") from None


def _post_data(ref: IntakeRef, resolver: Resolver, params: Mapping[str, object]) -> tuple[dict[str, object], int]:
    """Every parameter of one POST checked and the request placed on a grid:
    the data for intake and the service's answer time in working days."""
    check_jurisdiction(params.get("jurisdiction_id"))
    code = _str_param(params.get("service_code"), "service_code", max_len=16, required=True).upper()
    cat = ref.categories.get(code) if _SERVICE_CODE_RE.match(code) else None
    if cat is None or not cat.active:
        raise Open311Error(404, f"service_code: unknown service {code[:16]!r}")
    description = _str_param(params.get("description"), "description", max_len=2000, required=True)
    if len(description) < 2:
        raise Open311Error(400, "description: at least 2 characters")
    address = _str_param(params.get("address_string"), "address_string", max_len=128)
    lat = _float_param(params.get("lat"), "lat", -90, 90)
    lon = _float_param(params.get("long"), "long", -180, 180)
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat/long: give both or neither")
    if lat is None and not address:
        raise Open311Error(400, "location: lat and long, or address_string, are required")
    phone = _str_param(params.get("phone"), "phone", max_len=20)
    first = _str_param(params.get("first_name"), "first_name", max_len=32)
    last = _str_param(params.get("last_name"), "last_name", max_len=32)
    _str_param(params.get("email"), "email", max_len=254)  # accepted, never stored
    _str_param(params.get("device_id"), "device_id", max_len=128)
    _str_param(params.get("account_id"), "account_id", max_len=128)
    name = (last + first if (last + first).strip() and not (last + first).isascii() else f"{first} {last}").strip()[:32]

    where = _place(ref.session, resolver, lon, lat, address)
    data = {
        "content": description,
        "requester_name": name,
        "requester_phone": phone,
        "requester_address": address,
        "grid_id": where[0],
        "lat": where[2],
        "lon": where[1],
        "category_code": cat.code,
    }
    return data, cat.deadline_workdays


def guess_lock_error(until: datetime) -> Open311Error:
    """The answer to a sender locked out for guessing keys (``throttle``)."""
    return Open311Error(429, f"api_key: too many invalid keys from this address, retry after {until:%H:%M} (UTC+8)")


def post_requests(session: Session, posts: list[tuple]) -> list[list[dict[str, object]] | Open311Error]:
    """POST requests: ``(api_key, params)`` each, or ``(api_key, params,
    sender)`` with the sender's key-guessing throttle key.  All of them are
    taken in one transaction (committed here) — the group commit behind the
    HTTP route — and each is answered on its own: the spec's answer list, or
    its ``Open311Error`` (429 a sender locked out for guessing keys, read in
    the batch's one query; 401/403 key, 429 over the key's limit, 400/404
    parameters) while the others are still taken."""
    out: list[list[dict[str, object]] | Open311Error | None] = [None] * len(posts)
    claim_sqlite_writer(session)  # SQLite: take the write lock before reading, so the batch never meets a stale snapshot
    senders = [post[2] if len(post) > 2 else None for post in posts]
    locks = throttle.running_locks(session, [sender for sender in senders if sender])
    keys = _keys(session, [post[0] for post in posts])
    live: list[tuple[int, ApiKey]] = []
    for i, post in enumerate(posts):
        if (until := locks.get(senders[i])) is not None:
            out[i] = guess_lock_error(until)
            continue
        try:
            live.append((i, _check_key(keys, post[0])))
        except Open311Error as exc:
            out[i] = exc
    per_key: dict[int, list[int]] = {}
    key_of: dict[int, ApiKey] = {}
    for i, key in live:
        per_key.setdefault(key.id, []).append(i)
        key_of[key.id] = key
    ref = IntakeRef(session)
    resolver: Resolver | None = None
    accepted: list[tuple[int, dict[str, object], int]] = []
    for key_id, items in per_key.items():
        key = key_of[key_id]
        allowed = rate_limiter.allow_many(key_id, key.rate_limit_per_minute, len(items))
        for n, i in enumerate(items):
            if n >= allowed:
                out[i] = Open311Error(429, f"api_key: rate limit of {key.rate_limit_per_minute} requests per minute exceeded")
                continue
            try:
                if resolver is None:
                    resolver = Resolver.of(session)
                data, days = _post_data(ref, resolver, posts[i][1])
                accepted.append((i, data, days))
            except Open311Error as exc:
                out[i] = exc
    accepted.sort()
    taken = submit_public_batch(session, [(data, Channel.API) for _, data, _ in accepted], ref=ref) if accepted else []
    for (i, _, days), result in zip(accepted, taken):
        if isinstance(result, DomainError):
            param = PARAM_OF_FIELD.get(result.field or "", result.field or "request")
            out[i] = Open311Error(400, f"{param}: {result.message}")
        else:
            out[i] = [{"service_request_id": result.code, "service_notice": _service_notice(result, days), "account_id": None}]
    if not accepted:
        session.rollback()  # nothing to write: end the read transaction
    return out
