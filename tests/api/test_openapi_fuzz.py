"""Property-based fuzzing of every operation in /api/openapi.json
(schemathesis over the ASGI app, a real SQLite world behind it): whatever a
client sends, the API answers without a server error."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from rxapp.api.app import build_api
from rxapp.domain.demo import DEMO_WEBHOOK_SECRET
from rxapp.domain.open311 import rate_limiter
from tests.api.test_open311 import DEMO_KEY

MAX_EXAMPLES = int(os.environ.get("GRIDDESK_FUZZ_EXAMPLES", "20"))

schema = schemathesis.openapi.from_asgi("/api/openapi.json", build_api())


@pytest.fixture(scope="module")
def fuzz_headers(state_db):
    """A logged-in dispatcher (so the exports are fuzzed past the login check)
    and the webhook secret (so the SMS body is fuzzed past the secret)."""
    from sqlmodel import Session

    from rxapp.db import get_engine
    from rxapp.domain.auth import COOKIE_NAME, login
    from tests.factories import PASSWORD

    from tests.api.test_open311 import _ensure_key

    _ensure_key(DEMO_KEY)  # posts are fuzzed past the key check too
    os.environ.pop("GRIDDESK_SMS_WEBHOOK_SECRET", None)
    with Session(get_engine()) as s:
        token = login(s, username="dispatcher", password=PASSWORD).token
    return {"Cookie": f"{COOKIE_NAME}={token}", "X-GridDesk-Webhook-Secret": DEMO_WEBHOOK_SECRET}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case, fuzz_headers):
    headers = dict(case.headers or {})
    if case.operation.path != "/api/auth/logout":  # keep the session alive for the rest of the run
        headers.update(fuzz_headers)
    if case.method == "POST" and case.operation.path.startswith("/api/open311/") and isinstance(case.body, dict):
        case.body["api_key"] = DEMO_KEY
    rate_limiter.reset()
    response = case.call(headers=headers)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
