"""SMS provider adapters behind ``SmsGateway``: Alibaba Cloud SMS (dysmsapi,
RPC signature v1) and Tencent Cloud SMS (TC3-HMAC-SHA256), over httpx.

Chinese providers only send approved templates, so each adapter sends every
notice through one generic template whose single parameter carries the text
(e.g. ``${content}`` / ``{1}``); the signature 【…】 is the provider's
SignName, so our own prefix is taken off.  Errors become ``SmsSendError``:
throttling, provider-side faults, 5xx and network errors are retryable; a
bad number, template, signature or credential is not.

Configuration (environment):

* ``GRIDDESK_SMS_PROVIDER`` = ``outbox`` (default) | ``aliyun`` | ``tencent``
* aliyun: ``GRIDDESK_ALIYUN_ACCESS_KEY_ID``, ``GRIDDESK_ALIYUN_ACCESS_KEY_SECRET``,
  ``GRIDDESK_ALIYUN_SIGN_NAME``, ``GRIDDESK_ALIYUN_TEMPLATE_CODE``,
  optional ``GRIDDESK_ALIYUN_TEMPLATE_PARAM`` (default ``content``),
  ``GRIDDESK_ALIYUN_ENDPOINT`` (default https://dysmsapi.aliyuncs.com/),
  ``GRIDDESK_ALIYUN_REGION`` (default cn-hangzhou)
* tencent: ``GRIDDESK_TENCENT_SECRET_ID``, ``GRIDDESK_TENCENT_SECRET_KEY``,
  ``GRIDDESK_TENCENT_SDK_APP_ID``, ``GRIDDESK_TENCENT_SIGN_NAME``,
  ``GRIDDESK_TENCENT_TEMPLATE_ID``, optional ``GRIDDESK_TENCENT_ENDPOINT``
  (default https://sms.tencentcloudapi.com/), ``GRIDDESK_TENCENT_REGION``
  (default ap-guangzhou)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

import httpx

from rxapp.domain.sms import SIGNATURE, SmsSendError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def _body_text(text: str) -> str:
    return text[len(SIGNATURE) :] if text.startswith(SIGNATURE) else text


def _post_or_get(fn: Callable[[], httpx.Response], provider: str) -> httpx.Response:
    try:
        resp = fn()
    except httpx.HTTPError as exc:  # timeouts, refused connections: try again later
        raise SmsSendError(f"{provider}: {type(exc).__name__}: {exc}", retryable=True) from None
    if resp.status_code >= 500 or resp.status_code == 429:
        raise SmsSendError(f"{provider}: HTTP {resp.status_code}", retryable=True)
    return resp


def _json(resp: httpx.Response, provider: str) -> dict:
    try:
        data = resp.json()
    except ValueError:
        raise SmsSendError(f"{provider}: HTTP {resp.status_code}, unreadable answer", retryable=resp.status_code >= 500) from None
    if not isinstance(data, dict):
        raise SmsSendError(f"{provider}: unexpected answer", retryable=False)
    return data


# ----------------------------------------------------------------------------
# Alibaba Cloud dysmsapi (RPC style, signature v1)
# ----------------------------------------------------------------------------
def percent_encode(value: str) -> str:
    """RFC 3986 encoding as the RPC signature wants it (space %20, ~ kept)."""
    return quote(value, safe="~")


def aliyun_signature(params: Mapping[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Error codes that may clear up by themselves (throttling, provider faults)
ALIYUN_RETRYABLE = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "ServiceUnavailable", "InternalError", "isp.SYSTEM_ERROR")


class AliyunSmsGateway:
    name = "aliyun"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        template_param: str = "content",
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        region: str = "cn-hangzhou",
        client: httpx.Client | None = None,
    ):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.template_param = template_param
        self.endpoint = endpoint
        self.region = region
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def signed_params(self, phone: str, text: str, *, nonce: str | None = None, timestamp: str | None = None) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({self.template_param: _body_text(text)}, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": timestamp or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        return {"Signature": aliyun_signature(params, self.access_key_secret), **params}

    def send(self, phone: str, text: str) -> str | None:
        params = self.signed_params(phone, text)
        resp = _post_or_get(lambda: self.client.get(self.endpoint, params=params), self.name)
        data = _json(resp, self.name)
        code = str(data.get("Code", ""))
        if code == "OK":
            return str(data.get("BizId") or data.get("RequestId") or "")[:64] or "ok"
        message = f"{self.name}: {code or resp.status_code} {data.get('Message', '')}".strip()
        raise SmsSendError(message, retryable=code.startswith(ALIYUN_RETRYABLE))


# ----------------------------------------------------------------------------
# Tencent Cloud SMS (API 3.0, TC3-HMAC-SHA256)
# ----------------------------------------------------------------------------
TENCENT_SERVICE = "sms"
TENCENT_VERSION = "2021-01-11"
TENCENT_RETRYABLE = (
    "RequestLimitExceeded",
    "InternalError",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "FailedOperation.JsonParseFail",
    "ResourceUnavailable",
)


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tencent_authorization(*, secret_id: str, secret_key: str, host: str, payload: str, timestamp: int, service: str = TENCENT_SERVICE) -> str:
    """The ``Authorization`` header of a POST with a JSON body (TC3-HMAC-SHA256)."""
    day = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json; charset=utf-8\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload.encode("utf-8")).hexdigest(),
        ]
    )
    scope = f"{day}/{service}/tc3_request"
    string_to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    key = _hmac256(_hmac256(_hmac256(("TC3" + secret_key).encode("utf-8"), day), service), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


class TencentSmsGateway:
    name = "tencent"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        template_id: str,
        endpoint: str = "https://sms.tencentcloudapi.com/",
        region: str = "ap-guangzhou",
        client: httpx.Client | None = None,
    ):
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.template_id = template_id
        self.endpoint = endpoint
        self.region = region
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def request(self, phone: str, text: str, timestamp: int | None = None) -> tuple[str, dict[str, str]]:
        payload = json.dumps(
            {
                "PhoneNumberSet": [f"+86{phone}"],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name,
                "TemplateId": self.template_id,
                "TemplateParamSet": [_body_text(text)],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        ts = int(time.time()) if timestamp is None else timestamp
        host = urlsplit(self.endpoint).netloc
        headers = {
            "Authorization": tencent_authorization(secret_id=self.secret_id, secret_key=self.secret_key, host=host, payload=payload, timestamp=ts),
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(ts),
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Region": self.region,
        }
        return payload, headers

    def send(self, phone: str, text: str) -> str | None:
        payload, headers = self.request(phone, text)
        resp = _post_or_get(lambda: self.client.post(self.endpoint, content=payload.encode("utf-8"), headers=headers), self.name)
        data = _json(resp, self.name).get("Response")
        if not isinstance(data, dict):
            raise SmsSendError(f"{self.name}: unexpected answer", retryable=False)
        error = data.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code", ""))
            raise SmsSendError(f"{self.name}: {code} {error.get('Message', '')}".strip(), retryable=code.startswith(TENCENT_RETRYABLE))
        statuses = data.get("SendStatusSet")
        status = statuses[0] if isinstance(statuses, list) and statuses and isinstance(statuses[0], dict) else None
        if status is None:
            raise SmsSendError(f"{self.name}: no send status in answer", retryable=False)
        code = str(status.get("Code", ""))
        if code.lower() == "ok":
            return str(status.get("SerialNo") or data.get("RequestId") or "")[:64] or "ok"
        raise SmsSendError(f"{self.name}: {code} {status.get('Message', '')}".strip(), retryable=code.startswith(TENCENT_RETRYABLE))


# ----------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------
class SmsConfigError(RuntimeError):
    """A provider is chosen but not configured: refuse to start rather than drop notices."""


def _env(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = (env.get(name) or "").strip() or default
    if not value:
        raise SmsConfigError(f"{name} is not set")
    return value


def gateway_for(provider: str, env: Mapping[str, str] | None = None):
    """The adapter named ``provider`` configured from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    if provider == "aliyun":
        return AliyunSmsGateway(
            access_key_id=_env(env, "GRIDDESK_ALIYUN_ACCESS_KEY_ID"),
            access_key_secret=_env(env, "GRIDDESK_ALIYUN_ACCESS_KEY_SECRET"),
            sign_name=_env(env, "GRIDDESK_ALIYUN_SIGN_NAME"),
            template_code=_env(env, "GRIDDESK_ALIYUN_TEMPLATE_CODE"),
            template_param=_env(env, "GRIDDESK_ALIYUN_TEMPLATE_PARAM", "content"),
            endpoint=_env(env, "GRIDDESK_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
            region=_env(env, "GRIDDESK_ALIYUN_REGION", "cn-hangzhou"),
        )
    if provider == "tencent":
        return TencentSmsGateway(
            secret_id=_env(env, "GRIDDESK_TENCENT_SECRET_ID"),
            secret_key=_env(env, "GRIDDESK_TENCENT_SECRET_KEY"),
            sdk_app_id=_env(env, "GRIDDESK_TENCENT_SDK_APP_ID"),
            sign_name=_env(env, "GRIDDESK_TENCENT_SIGN_NAME"),
            template_id=_env(env, "GRIDDESK_TENCENT_TEMPLATE_ID"),
            endpoint=_env(env, "GRIDDESK_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com/"),
            region=_env(env, "GRIDDESK_TENCENT_REGION", "ap-guangzhou"),
        )
    raise SmsConfigError(f"unknown SMS provider {provider!r} (outbox, aliyun or tencent)")
