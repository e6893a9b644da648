"""The backend HTTP API, mounted in front of Reflex's own routes
(``api_transformer``). OpenAPI docs at ``/api/docs``."""

from fastapi import FastAPI

from rxapp.api import auth, exports, hardening
from rxapp.api import exports_teamwork
from rxapp.api import open311, sms
from rxapp.api import media as media_api
from rxapp.api import hotspots as hotspots_api
from rxapp.api import public as public_api


def build_api() -> FastAPI:
    api = FastAPI(
        title="GridDesk API",
        description="网格服务平台 HTTP API: login, Open311 GeoReport v2, SMS webhook, KPIs, exports.",
        version="1.0",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    hardening.install(api)
    api.include_router(auth.router)
    api.include_router(exports.router)
    api.include_router(exports_teamwork.router)
    api.include_router(open311.router)
    api.include_router(sms.router)
    api.include_router(public_api.router)
    api.include_router(media_api.router)
    api.add_middleware(media_api.UploadGuard)  # /_upload: known handler and token, answers that echo nothing
    api.add_middleware(media_api.UploadBodyLimit)  # 413 before an oversized upload is read
    api.include_router(hotspots_api.router)
    return api
