"""``GET /api/hotspots`` — hot spots (热点事件) in the caller's scope.

Staff with a session cookie see their own scope (dispatchers, leaders,
administrators); an Open311 API key (``api_key`` query parameter or
``X-Api-Key`` header) reads the whole city.  Aggregates and areas only: no
requester's name, phone, address or request text."""

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session, select

from rxapp.api.deps import current_actor, domain_error_response, run_db
from rxapp.domain.access import Actor
from rxapp.domain.errors import DomainError
from rxapp.domain.hotspots.queries import list_hotspots, parse_filters
from rxapp.domain.security import token_digest
from rxapp.models import ApiKey, Area, AreaLevel, Role

router = APIRouter(prefix="/api", tags=["hotspots"])


def _api_reader(session: Session, api_key: str | None) -> Actor | None:
    """A live API key reads city-wide, as a read-only viewer."""
    if not api_key or len(api_key) > 128:
        return None
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == token_digest(api_key.strip()))).first()
    if key is None or key.revoked_at is not None:
        return None
    city = session.exec(select(Area).where(Area.level == AreaLevel.CITY)).first()
    if city is None:
        return None
    return Actor(user_id=0, username=f"apikey:{key.prefix}", display_name=key.name, role=Role.LEADER,
                 scope_area_id=city.id, scope_level=AreaLevel.CITY, scope_path=city.path, team_id=None,
                 department_id=None, label=key.name)


@router.get("/hotspots", summary="Hot spots (热点事件) in scope: staff cookie or API key; no personal data")
async def hotspots(
    request: Request,
    since: str | None = Query(None, description="only hot spots with a report on or after this date (YYYY-MM-DD)"),
    area: str | None = Query(None, description="area id (district, township, community or grid) inside the scope"),
    status: str | None = Query(None, description="new, confirmed, handled, dismissed (comma-separated) or all; default: open (new, confirmed)"),
    api_key: str | None = Query(None, description="an Open311 API key, instead of a staff session"),
):
    actor = await current_actor(request)
    key = api_key or request.headers.get("x-api-key")

    def read(session: Session):
        who = actor or _api_reader(session, key)
        if who is None:
            return None
        when, area_id, statuses = parse_filters(since=since, area=area, status=status)
        return [r.public() for r in list_hotspots(session, actor=who, since=when, area_id=area_id, statuses=statuses, limit=200)]

    try:
        rows = await run_db(read)
    except DomainError as exc:
        return domain_error_response(exc)
    if rows is None:
        return JSONResponse({"detail": "请先登录或提供 api_key"}, status_code=401)
    return {"hotspots": rows, "count": len(rows)}
