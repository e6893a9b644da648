"""The SMS outbox: number validation, templates, delivery with backoff."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from rxapp.domain import sms as M
from rxapp.domain.errors import DomainError
from rxapp.models import Sms

T0 = datetime(2026, 11, 27, 10, 0, 0)


@pytest.mark.parametrize(
    "raw",
    ["13800001234", " 138 0000 1234 ", "138-0000-1234", "+86 13800001234", "+8613800001234", "008613800001234", "8613800001234"],
)
def test_mainland_mobile_numbers_are_normalised(raw):
    assert M.validate_mobile(raw) == "13800001234"


@pytest.mark.parametrize("raw", ["", "12800001234", "1380000123", "138000012345", "0580-2021234", "abcdefghijk", None, 13800001234, "+1 13800001234"])
def test_other_numbers_are_refused(raw):
    with pytest.raises(DomainError) as err:
        M.validate_mobile(raw)
    assert err.value.message == "请输入正确的手机号码" and err.value.field == "phone"


def test_templates_carry_the_code_and_dates():
    due = datetime(2026, 12, 4, 23, 59, 59)
    text = M.render("accepted", code="ZS202611270001", department="生态环境局", deadline=due)
    assert "ZS202611270001" in text and "2026年12月4日" in text and "生态环境局" in text and text.startswith(M.SIGNATURE)
    for name, params in {
        "extended": {"deadline": due, "reason": "协调"},
        "resolved_with_evaluate_hint": {"result": "已整改"},
        "rejected": {"reason": "不属于政府职能"},
        "reply_code": {},
        "evaluation_otp": {"otp": "123456"},
    }.items():
        assert "ZS202611270001" in M.render(name, code="ZS202611270001", **params)
    assert len(M.render("resolved_with_evaluate_hint", code="ZS1", result="长" * 5000)) <= M.MAX_TEXT
    assert "\n" not in M.render("rejected", code="ZS1", reason="第一行\n第二行")
    with pytest.raises(DomainError):
        M.render("nope", code="x")
    with pytest.raises(DomainError):
        M.render("accepted", code="x")  # missing parameters


def test_backoff_doubles_from_one_minute():
    assert [M.backoff(n) for n in range(1, 6)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]


class FlakyGateway:
    name = "flaky"

    def __init__(self, failures: int, retryable: bool = True):
        self.failures = failures
        self.retryable = retryable
        self.sent: list[tuple[str, str]] = []

    def send(self, phone, text):
        if self.failures:
            self.failures -= 1
            raise M.SmsSendError("gateway timeout", retryable=self.retryable)
        self.sent.append((phone, text))
        return f"msg-{len(self.sent)}"


def _queue(session, phone="13800001234"):
    sms = M.queue_sms(session, phone=phone, template="reply_code", case_id=None, code="ZS202611270001")
    sms.next_attempt_at = T0
    session.add(sms)
    session.commit()
    return sms


def test_queue_validates_the_number(session):
    with pytest.raises(DomainError):
        M.queue_sms(session, phone="110", template="reply_code", case_id=None, code="ZS1")
    sms = M.queue_sms(session, phone="+86 138 0000 1234", template="reply_code", case_id=None, code="ZS1")
    assert (sms.phone, sms.status, sms.direction, sms.attempts) == ("13800001234", "queued", "out", 0)


def test_retries_with_backoff_then_sends(session):
    sms = _queue(session)
    gw = FlakyGateway(failures=2)
    assert M.deliver_due(session, gw, now=T0)["retry"] == 1
    assert sms.status == "queued" and sms.attempts == 1 and sms.next_attempt_at == T0 + timedelta(minutes=1)
    assert M.deliver_due(session, gw, now=T0 + timedelta(seconds=30)) == {"sent": 0, "kept": 0, "retry": 0, "failed": 0}
    M.deliver_due(session, gw, now=T0 + timedelta(minutes=1))
    assert sms.attempts == 2 and sms.next_attempt_at == T0 + timedelta(minutes=3) and sms.last_error == "gateway timeout"
    result = M.deliver_due(session, gw, now=T0 + timedelta(minutes=3))
    assert result["sent"] == 1 and sms.status == "sent" and sms.provider_msg_id == "msg-1" and sms.provider == "flaky"
    assert gw.sent == [("13800001234", sms.text)]


def test_gives_up_after_six_attempts(session):
    sms = _queue(session)
    gw = FlakyGateway(failures=100)
    at = T0
    schedule = []
    for _ in range(M.MAX_ATTEMPTS):
        M.deliver_due(session, gw, now=at)
        if sms.next_attempt_at:
            schedule.append(sms.next_attempt_at - at)
            at = sms.next_attempt_at
    assert schedule == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]
    assert sms.status == "failed" and sms.attempts == M.MAX_ATTEMPTS and sms.next_attempt_at is None
    assert M.deliver_due(session, gw, now=at + timedelta(days=1))["failed"] == 0


def test_permanent_error_fails_at_once(session):
    sms = _queue(session)
    assert M.deliver_due(session, FlakyGateway(failures=1, retryable=False), now=T0)["failed"] == 1
    assert sms.status == "failed" and sms.attempts == 1


def test_a_crashing_gateway_is_retried_not_fatal(session):
    class Broken:
        name = "broken"

        def send(self, phone, text):
            raise RuntimeError("boom")

    sms = _queue(session)
    assert M.deliver_due(session, Broken(), now=T0)["retry"] == 1
    assert "boom" in sms.last_error


def test_outbox_only_gateway_keeps_messages_for_the_admin_log(session, monkeypatch):
    monkeypatch.delenv("GRIDDESK_SMS_GATEWAY", raising=False)
    gw = M.gateway_from_env()
    assert isinstance(gw, M.OutboxOnlyGateway) and isinstance(gw, M.SmsGateway)
    first, second = _queue(session), _queue(session, phone="13900001234")
    assert M.deliver_due(session, gw, now=T0) == {"sent": 0, "kept": 2, "retry": 0, "failed": 0}
    kept = session.exec(select(Sms).where(Sms.id.in_([first.id, second.id]))).all()
    assert {s.status for s in kept} == {"kept"} and all(s.sent_at is None for s in kept)


def test_batch_limits_one_run(session):
    for _ in range(3):
        _queue(session)
    gw = FlakyGateway(failures=0)
    assert M.deliver_due(session, gw, now=T0, batch=2)["sent"] == 2
    assert M.deliver_due(session, gw, now=T0, batch=2)["sent"] == 1


def test_free_text_in_a_notice_goes_through_the_public_scrub(session, world):
    """A merged case's requester hears the lead case's result: a third party.
    Names the database knows, phones, ID numbers and house numbers in the
    staff-written result are masked; the case codes are not touched."""
    other = next(iter(world.households.values()))[0].representative
    result = f"已联系{other}（电话13912345678，身份证330902199001011234），海滨路18号3幢201室的积水已排除"
    sms = M.queue_sms(session, phone="13800001111", template="duplicate_resolved", case_id=None, code="ZS202611260001", lead="ZS202611260002", result=result)
    for leaked in (other, "13912345678", "330902199001011234", "18号", "201室"):
        assert leaked not in sms.text
    assert "ZS202611260001" in sms.text and "ZS202611260002" in sms.text and other[0] in sms.text and "积水已排除" in sms.text
    reason = M.queue_sms(session, phone="13800001111", template="rejected", case_id=None, code="ZS202611260003", reason=f"{other}已另行反映")
    assert other not in reason.text and "已另行反映" in reason.text
