"""The SMS gateway webhook: ``POST /api/sms/inbound``.

Provider-neutral JSON ``{"from", "text", "message_id", "received_at"}``,
authenticated by the shared secret in the ``X-GridDesk-Webhook-Secret``
header (``GRIDDESK_SMS_WEBHOOK_SECRET``, required; only in demo mode,
``GRIDDESK_DEMO=1``, does the demo secret ``griddesk-demo-sms-secret`` work
— see ``rxapp.domain.demo``).  A
provider's own callback format is translated by a small relay or by the
provider's HTTP-forwarding rule into this shape."""

import hmac
from datetime import datetime

from fastapi import APIRouter, Depends, Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from rxapp.api.deps import run_db
from rxapp.domain.clock import CST
from rxapp.domain.demo import webhook_secret
from rxapp.domain.errors import DomainError
from rxapp.domain.sms_inbound import receive_sms

router = APIRouter(prefix="/api/sms", tags=["sms"])

SECRET_HEADER = "X-GridDesk-Webhook-Secret"


async def check_secret(x_griddesk_webhook_secret: str | None = Header(None, description="the shared webhook secret")) -> None:
    given = (x_griddesk_webhook_secret or "").encode("utf-8", "replace")
    secret = webhook_secret()  # None: no secret configured, every call refused
    if not given or secret is None or not hmac.compare_digest(given, secret.encode("utf-8")):
        raise HTTPException(status_code=401, detail="webhook secret missing or wrong")


class InboundMessage(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    sender: str = Field(alias="from", min_length=1, max_length=32, description="the resident's mobile number")
    text: str = Field(min_length=1, max_length=1000)
    message_id: str = Field(min_length=1, max_length=64, description="the provider's message id (idempotency key)")
    received_at: datetime | None = Field(None, description="ISO 8601; without an offset taken as China time")


class InboundAnswer(BaseModel):
    outcome: str = Field(description="case / evaluated / refused")
    case_code: str | None
    message: str
    duplicate: bool


@router.post(
    "/inbound",
    response_model=InboundAnswer,
    dependencies=[Depends(check_secret)],
    responses={401: {"description": "bad secret"}, 422: {"description": "invalid message"}},
    summary="Inbound SMS from the gateway (creates a case, or records a 评价 reply)",
)
async def inbound(message: InboundMessage):
    at = message.received_at
    if at is not None and at.tzinfo is not None:
        at = at.astimezone(CST).replace(tzinfo=None)
    if at is not None and not 2000 <= at.year <= 2100:
        return JSONResponse({"detail": "received_at out of range", "field": "received_at"}, status_code=422)

    def work(session):
        return receive_sms(session, sender=message.sender, text=message.text, message_id=message.message_id, received_at=at)

    try:
        result = await run_db(work)
    except DomainError as exc:
        return JSONResponse({"detail": exc.message, "field": exc.field}, status_code=422)
    return InboundAnswer(outcome=result.outcome, case_code=result.case_code, message=result.message, duplicate=result.duplicate)
