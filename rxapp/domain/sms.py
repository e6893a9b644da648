"""SMS outbox: notices to residents are queued as ``Sms`` rows in the same
transaction as the change they report, and a worker delivers them later
(``deliver_due``) with exponential backoff.  Nothing here commits except the
worker, so a notice is never sent for a change that was rolled back."""

import logging
import os
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import or_
from sqlmodel import Session, select

from rxapp.domain.clock import now as clock_now
from rxapp.domain.errors import DomainError
from rxapp.models import Sms

log = logging.getLogger(__name__)

SIGNATURE = "【舟山网格服务】"

# Chinese notice templates; placeholders are filled by ``render``.
TEMPLATES: Mapping[str, str] = {
    "accepted": "您的诉求已受理，编号{code}，由{department}办理，将于{deadline}前答复。可凭编号和手机尾号查询进度。",
    "extended": "您的诉求{code}办理期限经批准延长至{deadline}。原因：{reason}",
    "resolved_with_evaluate_hint": (
        "您的诉求{code}已办结：{result}。请回复“{code} 满意”“{code} 基本满意”或“{code} 不满意”评价，"
        "也可在网上“评价”页面凭编号评价。"
    ),
    "duplicate_resolved": "您反映的诉求{code}已并入同一事件的诉求{lead}合并办理，现已办结：{result}。",
    "rejected": "您的诉求{code}未予受理。原因：{reason}",
    "reply_code": "已收到您的诉求，编号{code}。可凭编号和手机尾号查询办理进度。",
    "evaluation_otp": "您正在评价诉求{code}，验证码{otp}，{minutes}分钟内有效，请勿告诉他人。",
    "warning_reminder": "超期预警：诉求{code}预计可能超期（风险{risk}），办理期限{deadline}，请抓紧办理。",
}
# parameters a caller may leave out
TEMPLATE_DEFAULTS: Mapping[str, Mapping[str, object]] = {"evaluation_otp": {"minutes": 10}}
# parameters that carry free text (scrubbed like any public text before sending)
FREE_TEXT_PARAMS = frozenset({"result", "reason"})
MAX_TEXT = 1000  # Sms.text column
MAX_PARAM = 300  # a long result text is cut in the notice, the full text is on the case page

# Backoff after the n-th failed attempt: 1, 2, 4, 8, 16 minutes; the 6th failure is final.
MAX_ATTEMPTS = 6
BACKOFF_BASE_MINUTES = 1

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


class SmsSendError(Exception):
    """A gateway could not send. ``retryable`` False = give up at once (bad number, blocked)."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


@runtime_checkable
class SmsGateway(Protocol):
    """A provider adapter. ``send`` returns the provider's message id, or None
    when the gateway keeps the message without sending it (status ``kept``)."""

    name: str

    def send(self, phone: str, text: str) -> str | None: ...


class OutboxOnlyGateway:
    """Default: nothing leaves the server; messages are marked ``kept`` and stay
    readable in the admin SMS log (a deployment without a provider contract)."""

    name = "outbox"

    def send(self, phone: str, text: str) -> str | None:
        return None


def gateway_from_env() -> SmsGateway:
    """The gateway named by ``GRIDDESK_SMS_PROVIDER`` (``outbox`` by default,
    ``aliyun`` or ``tencent``; the older ``GRIDDESK_SMS_GATEWAY`` is read too).
    A provider that is chosen but not configured raises
    ``sms_providers.SmsConfigError``: better a worker that will not start than
    notices silently kept."""
    name = (os.environ.get("GRIDDESK_SMS_PROVIDER") or os.environ.get("GRIDDESK_SMS_GATEWAY") or "outbox").strip().lower()
    if name == "outbox":
        return OutboxOnlyGateway()
    from rxapp.domain.sms_providers import gateway_for  # imports the provider SDKs only when one is used

    return gateway_for(name)


def validate_mobile(phone: object) -> str:
    """A mainland mobile number as 11 digits; accepts spaces, dashes and a +86 / 0086 prefix."""
    if not isinstance(phone, str):
        raise DomainError("请输入正确的手机号码", "phone")
    digits = re.sub(r"[\s\-()（）]", "", phone)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    else:
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
    if not _MOBILE_RE.match(digits):
        raise DomainError("请输入正确的手机号码", "phone")
    return digits


def render(template: str, **params: object) -> str:
    if template not in TEMPLATES:
        raise DomainError(f"未知的短信模板：{template}", "template")
    clean = {k: _param(v) for k, v in {**TEMPLATE_DEFAULTS.get(template, {}), **params}.items()}
    try:
        body = TEMPLATES[template].format(**clean)
    except KeyError as exc:
        raise DomainError(f"短信模板 {template} 缺少参数 {exc.args[0]}", "template") from None
    text = SIGNATURE + body
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _param(value: object) -> str:
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    text = " ".join(str(value).split())  # one line: no newlines in a notice
    return text if len(text) <= MAX_PARAM else text[: MAX_PARAM - 1] + "…"


def scrub_free_text(session: Session, params: Mapping[str, object]) -> dict[str, object]:
    """The free-text parameters (a result, a reason: written by staff, often
    quoting a case) through the public scrub: a notice leaves for a third
    party's phone (a merged case's requester hears the lead case's result),
    so no resident's name, phone, ID number or street address goes with it."""
    from rxapp.domain.names import scrubber

    scrub = scrubber(session)
    return {k: scrub(v) if k in FREE_TEXT_PARAMS and isinstance(v, str) else v for k, v in params.items()}


def queue_sms(session: Session, *, phone: str, template: str, case_id: int | None, **params: object) -> Sms:
    """Queue one outbound notice (flushed, not committed: it belongs to the caller's transaction)."""
    number = validate_mobile(phone)
    at = clock_now()
    sms = Sms(
        direction="out",
        phone=number,
        text=render(template, **scrub_free_text(session, params)),
        template=template,
        case_id=case_id,
        status="queued",
        attempts=0,
        next_attempt_at=at,
        created_at=at,
    )
    session.add(sms)
    session.flush()
    return sms


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed attempts (1 → 1 min, 2 → 2 min, …)."""
    return timedelta(minutes=BACKOFF_BASE_MINUTES * 2 ** (max(attempts, 1) - 1))


def deliver_due(session: Session, gateway: SmsGateway, now: datetime | None = None, batch: int = 100) -> dict[str, int]:
    """Send queued messages that are due; returns counts by outcome
    (``sent``, ``kept``, ``retry``, ``failed``).  Each message is committed on
    its own, so a crash mid-batch never sends one twice; on PostgreSQL rows are
    claimed with SKIP LOCKED so several workers can run side by side."""
    at = now or clock_now()
    counts = {"sent": 0, "kept": 0, "retry": 0, "failed": 0}
    # One row per claim: a lock on a whole batch would end at the first commit
    # and let another worker take the rest of it.
    claim = (
        select(Sms)
        .where(Sms.direction == "out", Sms.status == "queued")
        .where(or_(Sms.next_attempt_at.is_(None), Sms.next_attempt_at <= at))
        .order_by(Sms.next_attempt_at, Sms.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    for _ in range(max(1, min(int(batch), 1000))):
        sms = session.exec(claim.execution_options(populate_existing=True)).first()
        if sms is None:
            break
        try:
            msg_id = gateway.send(sms.phone, sms.text)
        except SmsSendError as exc:
            _failed_attempt(sms, at, str(exc), exc.retryable)
        except Exception as exc:  # a provider bug must not stop the other messages
            log.exception("SMS gateway %s crashed", getattr(gateway, "name", "?"))
            _failed_attempt(sms, at, f"{type(exc).__name__}: {exc}", True)
        else:
            sms.attempts += 1
            sms.provider = str(getattr(gateway, "name", ""))[:16]
            sms.next_attempt_at = None
            sms.last_error = ""
            if msg_id is None:
                sms.status = "kept"
            else:
                sms.status = "sent"
                sms.sent_at = at
                sms.provider_msg_id = str(msg_id)[:64]
        counts[_outcome(sms)] += 1
        session.add(sms)
        session.commit()
    return counts


def _failed_attempt(sms: Sms, at: datetime, error: str, retryable: bool) -> None:
    sms.attempts += 1
    sms.last_error = error[:255]
    if retryable and sms.attempts < MAX_ATTEMPTS:
        sms.next_attempt_at = at + backoff(sms.attempts)
    else:
        sms.status = "failed"
        sms.next_attempt_at = None


def _outcome(sms: Sms) -> str:
    return "retry" if sms.status == "queued" else sms.status
