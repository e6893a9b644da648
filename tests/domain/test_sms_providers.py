"""The Alibaba Cloud and Tencent Cloud adapters against a real local HTTP
server playing the provider: signed requests, success, provider errors, and
retries through ``deliver_due``."""

import base64
import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from rxapp.domain import sms as M
from rxapp.domain.sms_providers import AliyunSmsGateway, SmsConfigError, TencentSmsGateway, aliyun_signature, gateway_for
from rxapp.models import Sms

ALI_SECRET = "ali-test-secret"
TC_KEY = "tencent-test-key"


class FakeProvider:
    """A threaded http.server on 127.0.0.1: answers from a script of
    (status, body) and records every request it got."""

    def __init__(self):
        self.script: list[tuple[int, object]] = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                status, payload = outer.script.pop(0) if outer.script else (200, {})
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
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
def fake():
    server = FakeProvider()
    yield server
    server.close()


def aliyun(fake):
    return AliyunSmsGateway(access_key_id="ak-id", access_key_secret=ALI_SECRET, sign_name="舟山网格服务", template_code="SMS_1", endpoint=fake.url)


def tencent(fake):
    return TencentSmsGateway(secret_id="tc-id", secret_key=TC_KEY, sdk_app_id="1400000000", sign_name="舟山网格服务", template_id="100", endpoint=fake.url)


def _queue(session, phone="13800001111"):
    return M.queue_sms(session, phone=phone, template="reply_code", case_id=None, code="ZS202611260001")


# ---------------------------------------------------------------------------
# Alibaba Cloud
# ---------------------------------------------------------------------------
def test_aliyun_signature_matches_the_documented_example():
    # the worked example of Alibaba Cloud's SMS signature documentation
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123", "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }
    assert aliyun_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def _verify_aliyun(request) -> dict[str, str]:
    params = dict(parse_qsl(urlsplit(request["path"]).query, keep_blank_values=True))
    signature = params.pop("Signature")
    canonical = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(params.items()))
    sts = "GET&%2F&" + quote(canonical, safe="~")
    expected = base64.b64encode(hmac.new(f"{ALI_SECRET}&".encode(), sts.encode(), hashlib.sha1).digest()).decode()
    assert signature == expected
    return params


def test_aliyun_sends_a_signed_sendsms_and_returns_the_biz_id(fake):
    fake.script.append((200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r1"}))
    text = M.render("reply_code", code="ZS202611260001")
    assert aliyun(fake).send("13800001111", text) == "900619746936498440^0"
    params = _verify_aliyun(fake.requests[0])
    assert params["Action"] == "SendSms" and params["PhoneNumbers"] == "13800001111" and params["SignName"] == "舟山网格服务"
    assert params["TemplateCode"] == "SMS_1" and params["AccessKeyId"] == "ak-id" and params["SignatureMethod"] == "HMAC-SHA1"
    content = json.loads(params["TemplateParam"])["content"]
    assert "ZS202611260001" in content and not content.startswith(M.SIGNATURE)


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}, False),
        (200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"}, False),
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}, True),
        (400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"}, False),
        (503, {"Code": "ServiceUnavailable"}, True),
        (502, b"<html>bad gateway</html>", True),
    ],
)
def test_aliyun_errors_map_to_retryable_or_final(fake, status, body, retryable):
    fake.script.append((status, body))
    with pytest.raises(M.SmsSendError) as err:
        aliyun(fake).send("13800001111", "测试")
    assert err.value.retryable is retryable


def test_unreachable_provider_is_retryable():
    gw = AliyunSmsGateway(access_key_id="a", access_key_secret="b", sign_name="c", template_code="d", endpoint="http://127.0.0.1:9/")
    with pytest.raises(M.SmsSendError) as err:
        gw.send("13800001111", "测试")
    assert err.value.retryable


# ---------------------------------------------------------------------------
# Tencent Cloud
# ---------------------------------------------------------------------------
def _verify_tencent(request) -> dict:
    h = {k.lower(): v for k, v in request["headers"].items()}
    ts = int(h["x-tc-timestamp"])
    day = datetime.utcfromtimestamp(ts).strftime("%Y-%m-%d")
    canonical = "POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s" % (
        h["content-type"], h["host"], hashlib.sha256(request["body"]).hexdigest())
    sts = "TC3-HMAC-SHA256\n%d\n%s/sms/tc3_request\n%s" % (ts, day, hashlib.sha256(canonical.encode()).hexdigest())

    def hm(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = hm(hm(hm(("TC3" + TC_KEY).encode(), day), "sms"), "tc3_request")
    signature = hmac.new(signing, sts.encode(), hashlib.sha256).hexdigest()
    assert h["authorization"] == f"TC3-HMAC-SHA256 Credential=tc-id/{day}/sms/tc3_request, SignedHeaders=content-type;host, Signature={signature}"
    assert h["x-tc-action"] == "SendSms" and h["x-tc-version"] == "2021-01-11" and h["x-tc-region"] == "ap-guangzhou"
    return json.loads(request["body"])


def test_tencent_sends_a_tc3_signed_sendsms_and_returns_the_serial_no(fake):
    fake.script.append((200, {"Response": {"SendStatusSet": [{"SerialNo": "5000:1045", "PhoneNumber": "+8613800001111", "Code": "Ok", "Message": "send success"}], "RequestId": "r"}}))
    assert tencent(fake).send("13800001111", M.render("reply_code", code="ZS202611260001")) == "5000:1045"
    body = _verify_tencent(fake.requests[0])
    assert body["PhoneNumberSet"] == ["+8613800001111"] and body["SmsSdkAppId"] == "1400000000" and body["TemplateId"] == "100"
    assert body["SignName"] == "舟山网格服务" and "ZS202611260001" in body["TemplateParamSet"][0]


@pytest.mark.parametrize(
    ("body", "retryable"),
    [
        ({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}, "RequestId": "r"}}, False),
        ({"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}, "RequestId": "r"}}, True),
        ({"Response": {"Error": {"Code": "InternalError.Timeout", "Message": "x"}, "RequestId": "r"}}, True),
        ({"Response": {"SendStatusSet": [{"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "bad number"}]}}, False),
        ({"Response": {"SendStatusSet": [{"Code": "FailedOperation.TemplateIncorrectOrUnapproved", "Message": "x"}]}}, False),
        ({"Response": {"SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberThirtySecondLimit", "Message": "x"}]}}, True),
    ],
)
def test_tencent_errors_map_to_retryable_or_final(fake, body, retryable):
    fake.script.append((200, body))
    with pytest.raises(M.SmsSendError) as err:
        tencent(fake).send("13800001111", "测试")
    assert err.value.retryable is retryable


# ---------------------------------------------------------------------------
# Through the outbox worker
# ---------------------------------------------------------------------------
def test_deliver_due_retries_a_throttled_message_until_the_provider_takes_it(session, fake):
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


def test_deliver_due_gives_up_at_once_on_a_bad_number(session, fake):
    fake.script.append((200, {"Response": {"SendStatusSet": [{"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "bad"}]}}))
    sms = _queue(session)
    assert M.deliver_due(session, tencent(fake), now=sms.next_attempt_at)["failed"] == 1
    session.refresh(sms)
    assert sms.status == "failed" and sms.attempts == 1 and "IncorrectPhoneNumber" in sms.last_error
    assert session.get(Sms, sms.id).next_attempt_at is None


def test_provider_is_chosen_by_environment(monkeypatch, fake):
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


def test_worker_once_delivers_through_the_configured_provider(state_db, fake, monkeypatch, capsys):
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
    _verify_aliyun(fake.requests[0])
