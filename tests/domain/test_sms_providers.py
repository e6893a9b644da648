"""The Alibaba Cloud and Tencent Cloud adapters (official SDKs) against a
real local HTTP server playing the provider.  The server checks each
request's signature the way the provider does (Alibaba signature v3
ACS3-HMAC-SHA256, Tencent TC3-HMAC-SHA256) and answers a wrongly signed one
with the provider's own signature error; then success, throttling and bad
numbers, and retries through ``deliver_due``."""

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from rxapp.domain import sms as M
from rxapp.domain.sms_providers import AliyunSmsGateway, SmsConfigError, TencentSmsGateway, gateway_for
from rxapp.models import Sms

ALI_SECRET = "ali-test-secret"
TC_KEY = "tencent-test-key"


class SignatureMismatch(Exception):
    pass


def _check(condition: bool, what: str):
    if not condition:
        raise SignatureMismatch(what)


def verify_aliyun(request) -> dict[str, str]:
    """Alibaba Cloud signature v3 (ACS3-HMAC-SHA256) as the gateway checks it;
    returns the request's parameters."""
    h = {k.lower(): v for k, v in request["headers"].items()}
    auth = h.get("authorization", "")
    _check(auth.startswith("ACS3-HMAC-SHA256 "), "algorithm")
    fields = dict(part.split("=", 1) for part in auth[len("ACS3-HMAC-SHA256 ") :].split(","))
    _check(fields.get("Credential") == "ak-id", "access key id")
    signed = fields["SignedHeaders"].split(";")
    _check({"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} <= set(signed), "signed headers")
    _check(h["x-acs-content-sha256"] == hashlib.sha256(request["body"]).hexdigest(), "payload hash")
    sent = datetime.strptime(h["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    _check(abs((datetime.now(timezone.utc) - sent).total_seconds()) < 900, "request time")
    url = urlsplit(request["path"])
    params = dict(parse_qsl(url.query, keep_blank_values=True))
    query = "&".join(f"{k}={quote(params[k], safe='~')}" for k in sorted(params))
    headers = "".join(f"{name}:{h[name].strip()}\n" for name in signed)
    canonical = "\n".join([request["method"], url.path or "/", query, headers, ";".join(signed), h["x-acs-content-sha256"]])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    _check(fields["Signature"] == hmac.new(ALI_SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest(), "signature")
    _check(h["x-acs-action"] == "SendSms" and h["x-acs-version"] == "2017-05-25", "action")
    return params


def verify_tencent(request) -> dict:
    """Tencent Cloud TC3-HMAC-SHA256 as the gateway checks it; returns the JSON body."""
    h = {k.lower(): v for k, v in request["headers"].items()}
    ts = int(h["x-tc-timestamp"])
    _check(abs(time.time() - ts) < 300, "request time")
    day = datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")
    canonical = "POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s" % (
        h["content-type"], h["host"], hashlib.sha256(request["body"]).hexdigest())
    sts = "TC3-HMAC-SHA256\n%d\n%s/sms/tc3_request\n%s" % (ts, day, hashlib.sha256(canonical.encode()).hexdigest())

    def hm(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = hm(hm(hm(("TC3" + TC_KEY).encode(), day), "sms"), "tc3_request")
    signature = hmac.new(signing, sts.encode(), hashlib.sha256).hexdigest()
    _check(h.get("authorization") == f"TC3-HMAC-SHA256 Credential=tc-id/{day}/sms/tc3_request, SignedHeaders=content-type;host, Signature={signature}", "signature")
    _check(h["x-tc-action"] == "SendSms" and h["x-tc-version"] == "2021-01-11" and h["x-tc-region"] == "ap-guangzhou", "action")
    return json.loads(request["body"])


ALIYUN_BAD_SIGNATURE = (400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched with our calculation.", "RequestId": "r"})
TENCENT_BAD_SIGNATURE = (200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "The provided credentials could not be validated."}, "RequestId": "r"}})


class FakeProvider:
    """A threaded http.server on 127.0.0.1 playing one provider: verifies the
    signature of every request (a bad one gets the provider's signature
    error), otherwise answers from a script of (status, body); records every
    request with its verdict."""

    def __init__(self, verify, bad_signature):
        self.script: list[tuple[int, object]] = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                try:
                    request["params"] = verify(request)
                    request["verified"] = True
                    status, payload = outer.script.pop(0) if outer.script else (200, {})
                except (SignatureMismatch, KeyError, ValueError) as exc:
                    request["verified"] = False
                    request["mismatch"] = str(exc)
                    status, payload = bad_signature
                outer.requests.append(request)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if isinstance(payload, bytes) else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ali():
    server = FakeProvider(verify_aliyun, ALIYUN_BAD_SIGNATURE)
    yield server
    server.close()


@pytest.fixture
def tc():
    server = FakeProvider(verify_tencent, TENCENT_BAD_SIGNATURE)
    yield server
    server.close()


def aliyun(fake, secret=ALI_SECRET):
    return AliyunSmsGateway(access_key_id="ak-id", access_key_secret=secret, sign_name="舟山网格服务", template_code="SMS_1", endpoint=fake.url)


def tencent(fake, secret=TC_KEY):
    return TencentSmsGateway(secret_id="tc-id", secret_key=secret, sdk_app_id="1400000000", sign_name="舟山网格服务", template_id="100", endpoint=fake.url)


def _queue(session, phone="13800001111"):
    return M.queue_sms(session, phone=phone, template="reply_code", case_id=None, code="ZS202611260001")


# ---------------------------------------------------------------------------
# Alibaba Cloud
# ---------------------------------------------------------------------------
def test_aliyun_sdk_sends_a_v3_signed_sendsms_and_returns_the_biz_id(ali):
    ali.script.append((200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r1"}))
    text = M.render("reply_code", code="ZS202611260001")
    assert aliyun(ali).send("13800001111", text) == "900619746936498440^0"
    request = ali.requests[0]
    assert request["verified"], request.get("mismatch")
    params = request["params"]
    assert params["PhoneNumbers"] == "13800001111" and params["SignName"] == "舟山网格服务" and params["TemplateCode"] == "SMS_1"
    content = json.loads(params["TemplateParam"])["content"]
    assert "ZS202611260001" in content and not content.startswith(M.SIGNATURE)


def test_aliyun_wrong_secret_is_refused_by_the_signature_check_and_not_retried(ali):
    with pytest.raises(M.SmsSendError) as err:
        aliyun(ali, secret="not-the-secret").send("13800001111", "测试")
    assert not err.value.retryable and "SignatureDoesNotMatch" in str(err.value)
    assert [r["verified"] for r in ali.requests] == [False] and ali.requests[0]["mismatch"] == "signature"


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}, False),
        (200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"}, False),
        (200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "签名不合法"}, False),
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}, True),
        (400, {"Code": "Throttling.User", "Message": "Request was denied due to user flow control."}, True),
        (403, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}, False),
        (503, {"Code": "ServiceUnavailable"}, True),
        (500, {"Code": "InternalError"}, True),
        (502, b"<html>bad gateway</html>", True),
    ],
)
def test_aliyun_errors_map_to_retryable_or_final(ali, status, body, retryable):
    ali.script.append((status, body))
    with pytest.raises(M.SmsSendError) as err:
        aliyun(ali).send("13800001111", "测试")
    assert err.value.retryable is retryable
    assert len(ali.requests) == 1 and ali.requests[0]["verified"]  # one signed request: the outbox does the retrying


@pytest.mark.parametrize("make", [aliyun, tencent])
def test_unreachable_provider_is_retryable(make):
    class Closed:
        url = "http://127.0.0.1:9/"

    with pytest.raises(M.SmsSendError) as err:
        make(Closed).send("13800001111", "测试")
    assert err.value.retryable


# ---------------------------------------------------------------------------
# Tencent Cloud
# ---------------------------------------------------------------------------
def test_tencent_sdk_sends_a_tc3_signed_sendsms_and_returns_the_serial_no(tc):
    tc.script.append((200, {"Response": {"SendStatusSet": [{"SerialNo": "5000:1045", "PhoneNumber": "+8613800001111", "Code": "Ok", "Message": "send success"}], "RequestId": "r"}}))
    assert tencent(tc).send("13800001111", M.render("reply_code", code="ZS202611260001")) == "5000:1045"
    request = tc.requests[0]
    assert request["verified"], request.get("mismatch")
    body = request["params"]
    assert body["PhoneNumberSet"] == ["+8613800001111"] and body["SmsSdkAppId"] == "1400000000" and body["TemplateId"] == "100"
    assert body["SignName"] == "舟山网格服务" and "ZS202611260001" in body["TemplateParamSet"][0]


def test_tencent_wrong_secret_is_refused_by_the_signature_check_and_not_retried(tc):
    with pytest.raises(M.SmsSendError) as err:
        tencent(tc, secret="not-the-key").send("13800001111", "测试")
    assert not err.value.retryable and "AuthFailure.SignatureFailure" in str(err.value)
    assert [r["verified"] for r in tc.requests] == [False]


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (200, {"Response": {"Error": {"Code": "AuthFailure.SecretIdNotFound", "Message": "bad"}, "RequestId": "r"}}, False),
        (200, {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}, "RequestId": "r"}}, True),
        (200, {"Response": {"Error": {"Code": "InternalError.Timeout", "Message": "x"}, "RequestId": "r"}}, True),
        (200, {"Response": {"SendStatusSet": [{"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "bad number"}], "RequestId": "r"}}, False),
        (200, {"Response": {"SendStatusSet": [{"Code": "FailedOperation.TemplateIncorrectOrUnapproved", "Message": "x"}], "RequestId": "r"}}, False),
        (200, {"Response": {"SendStatusSet": [{"Code": "FailedOperation.SignatureIncorrectOrUnapproved", "Message": "x"}], "RequestId": "r"}}, False),
        (200, {"Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberThirtySecondLimit", "Message": "x"}], "RequestId": "r"}}, True),
        (502, b"<html>bad gateway</html>", True),
        (503, {"Response": {"Error": {"Code": "InternalError", "Message": "x"}}}, True),
    ],
)
def test_tencent_errors_map_to_retryable_or_final(tc, status, body, retryable):
    tc.script.append((status, body))
    with pytest.raises(M.SmsSendError) as err:
        tencent(tc).send("13800001111", "测试")
    assert err.value.retryable is retryable
    assert len(tc.requests) == 1 and tc.requests[0]["verified"]


# ---------------------------------------------------------------------------
# Through the outbox worker
# ---------------------------------------------------------------------------
def test_deliver_due_retries_a_throttled_message_until_the_provider_takes_it(session, ali):
    fake = ali
    fake.script += [
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}),
        (503, {"Code": "ServiceUnavailable"}),
        (200, {"Code": "OK", "BizId": "biz-42"}),
    ]
    gw = aliyun(fake)
    sms = _queue(session)
    T0 = sms.next_attempt_at
    assert M.deliver_due(session, gw, now=T0)["retry"] == 1
    assert sms.status == "queued" and sms.next_attempt_at == T0 + timedelta(minutes=1) and "BUSINESS_LIMIT_CONTROL" in sms.last_error
    assert M.deliver_due(session, gw, now=T0)["retry"] == 0  # not due yet: no request made
    assert len(fake.requests) == 1
    t1 = T0 + timedelta(minutes=1)
    assert M.deliver_due(session, gw, now=t1)["retry"] == 1
    t2 = t1 + timedelta(minutes=2)
    assert M.deliver_due(session, gw, now=t2)["sent"] == 1
    assert (sms.status, sms.provider, sms.provider_msg_id, sms.attempts, sms.sent_at) == ("sent", "aliyun", "biz-42", 3, t2)


def test_deliver_due_gives_up_at_once_on_a_bad_number(session, tc):
    fake = tc
    fake.script.append((200, {"Response": {"SendStatusSet": [{"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "bad"}]}}))
    sms = _queue(session)
    assert M.deliver_due(session, tencent(fake), now=sms.next_attempt_at)["failed"] == 1
    session.refresh(sms)
    assert sms.status == "failed" and sms.attempts == 1 and "IncorrectPhoneNumber" in sms.last_error
    assert session.get(Sms, sms.id).next_attempt_at is None


def test_provider_is_chosen_by_environment(monkeypatch, tc):
    fake = tc
    monkeypatch.setenv("GRIDDESK_SMS_PROVIDER", "tencent")
    for name, value in {"SECRET_ID": "tc-id", "SECRET_KEY": TC_KEY, "SDK_APP_ID": "1400000000", "SIGN_NAME": "舟山网格服务", "TEMPLATE_ID": "100", "ENDPOINT": fake.url}.items():
        monkeypatch.setenv(f"GRIDDESK_TENCENT_{name}", value)
    gw = M.gateway_from_env()
    assert isinstance(gw, TencentSmsGateway) and isinstance(gw, M.SmsGateway) and gw.endpoint == fake.url
    monkeypatch.setenv("GRIDDESK_SMS_PROVIDER", "aliyun")
    with pytest.raises(SmsConfigError, match="GRIDDESK_ALIYUN_ACCESS_KEY_ID"):
        M.gateway_from_env()
    monkeypatch.setenv("GRIDDESK_SMS_PROVIDER", "outbox")
    assert isinstance(M.gateway_from_env(), M.OutboxOnlyGateway)
    with pytest.raises(SmsConfigError):
        gateway_for("carrier-pigeon", {})


def test_worker_once_delivers_through_the_configured_provider(state_db, ali, monkeypatch, capsys):
    fake = ali
    from sqlmodel import Session

    from rxapp import sms_worker
    from rxapp.db import get_engine

    with Session(get_engine()) as s:
        sms_id = _queue(s, phone="13800002222").id
        s.commit()
    fake.script += [(200, {"Code": "OK", "BizId": f"b{i}"}) for i in range(200)]
    for name, value in {"ACCESS_KEY_ID": "ak-id", "ACCESS_KEY_SECRET": ALI_SECRET, "SIGN_NAME": "舟山网格服务", "TEMPLATE_CODE": "SMS_1", "ENDPOINT": fake.url}.items():
        monkeypatch.setenv(f"GRIDDESK_ALIYUN_{name}", value)
    monkeypatch.setenv("GRIDDESK_SMS_PROVIDER", "aliyun")
    assert sms_worker.main(["--once"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["sent"] >= 1
    with Session(get_engine()) as s:
        assert s.get(Sms, sms_id).status == "sent"
    assert fake.requests and all(r["verified"] for r in fake.requests)
