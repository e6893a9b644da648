"""SMS provider adapters behind ``SmsGateway``: Alibaba Cloud SMS through the
official ``alibabacloud-dysmsapi20170525`` SDK (signature v3,
ACS3-HMAC-SHA256) and Tencent Cloud SMS through the official
``tencentcloud-sdk-python-sms`` SDK (TC3-HMAC-SHA256).  No request is signed
by hand here; the SDKs do it.

Chinese providers only send approved templates, so each adapter sends every
notice through one generic template whose single parameter carries the text
(e.g. ``${content}`` / ``{1}``); the signature 【…】 is the provider's
SignName, so our own prefix is taken off.  Errors become ``SmsSendError``:
throttling, provider-side faults, 5xx and network errors are retryable; a
bad number, template, signature or credential is not.  The SDKs' own retry
loops are left off: the outbox (``rxapp.domain.sms.deliver_due``) retries
with its backoff, so one ``send`` is one HTTP request.

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

The endpoint is a URL; its scheme and host[:port] are handed to the SDK
(``Config.protocol``/``Config.endpoint``, ``HttpProfile.protocol``/
``HttpProfile.endpoint``), which is how the tests point both SDKs at a local
server that checks their signatures.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from alibabacloud_dysmsapi20170525 import models as ali_models
from alibabacloud_dysmsapi20170525.client import Client as AliyunClient
from alibabacloud_tea_openapi import utils_models as ali_openapi
from darabonba.exceptions import ResponseException as AliyunResponseError
from darabonba.exceptions import UnretryableException as AliyunTransportError
from darabonba.runtime import RuntimeOptions
from tencentcloud.common import credential as tc_credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as tc_models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from rxapp.domain.sms import SIGNATURE, SmsSendError

CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 10


def _body_text(text: str) -> str:
    return text[len(SIGNATURE) :] if text.startswith(SIGNATURE) else text


def _split_endpoint(endpoint: str) -> tuple[str, str]:
    """``https://host[:port]/`` → (``https``, ``host[:port]``); a bare host means https."""
    parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SmsConfigError(f"SMS endpoint {endpoint!r} is not an http(s) URL")
    return parts.scheme, parts.netloc


class SmsConfigError(RuntimeError):
    """A provider is chosen but not configured: refuse to start rather than drop notices."""


# ----------------------------------------------------------------------------
# Alibaba Cloud dysmsapi (official SDK)
# ----------------------------------------------------------------------------
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
    ):
        self.sign_name = sign_name
        self.template_code = template_code
        self.template_param = template_param
        self.endpoint = endpoint
        self.region = region
        protocol, host = _split_endpoint(endpoint)
        self.client = AliyunClient(
            ali_openapi.Config(
                access_key_id=access_key_id,
                access_key_secret=access_key_secret,
                endpoint=host,
                protocol=protocol,
                region_id=region,
                connect_timeout=CONNECT_TIMEOUT_S * 1000,
                read_timeout=READ_TIMEOUT_S * 1000,
            )
        )

    def send(self, phone: str, text: str) -> str | None:
        request = ali_models.SendSmsRequest(
            phone_numbers=phone,
            sign_name=self.sign_name,
            template_code=self.template_code,
            template_param=json.dumps({self.template_param: _body_text(text)}, ensure_ascii=False, separators=(",", ":")),
        )
        try:
            resp = self.client.send_sms_with_options(request, RuntimeOptions())
        except AliyunResponseError as exc:  # the provider answered 4xx/5xx
            status = getattr(exc, "status_code", None) or 0
            code = str(getattr(exc, "code", "") or "")
            retryable = status >= 500 or status == 429 or getattr(exc, "retry_after", None) is not None or code.startswith(ALIYUN_RETRYABLE)
            raise SmsSendError(f"{self.name}: {code or status} HTTP {status}".strip(), retryable=retryable) from None
        except AliyunTransportError as exc:  # refused, timed out, or an unreadable (non-JSON) answer
            inner = getattr(exc, "inner_exception", None) or exc
            raise SmsSendError(f"{self.name}: {type(inner).__name__}: {inner}"[:300], retryable=True) from None
        body = resp.body
        code = str(getattr(body, "code", "") or "")
        if code == "OK":
            return str(body.biz_id or body.request_id or "")[:64] or "ok"
        message = f"{self.name}: {code or 'no code'} {getattr(body, 'message', '') or ''}".strip()
        raise SmsSendError(message, retryable=code.startswith(ALIYUN_RETRYABLE))


# ----------------------------------------------------------------------------
# Tencent Cloud SMS (official SDK, API 2021-01-11)
# ----------------------------------------------------------------------------
TENCENT_RETRYABLE = (
    "RequestLimitExceeded",
    "InternalError",
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "FailedOperation.JsonParseFail",
    "ResourceUnavailable",
    # the SDK's names for a refused/timed-out connection and for a non-200 answer
    "ClientNetworkError",
    "ServerNetworkError",
)


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
    ):
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.template_id = template_id
        self.endpoint = endpoint
        self.region = region
        protocol, host = _split_endpoint(endpoint)
        profile = ClientProfile(httpProfile=HttpProfile(protocol=protocol, endpoint=host, reqTimeout=READ_TIMEOUT_S))
        self.client = SmsClient(tc_credential.Credential(secret_id, secret_key), region, profile)

    def send(self, phone: str, text: str) -> str | None:
        request = tc_models.SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.sdk_app_id
        request.SignName = self.sign_name
        request.TemplateId = self.template_id
        request.TemplateParamSet = [_body_text(text)]
        try:
            resp = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code() or "")
            raise SmsSendError(f"{self.name}: {code} {str(exc.get_message() or '')[:200]}".strip(), retryable=code.startswith(TENCENT_RETRYABLE)) from None
        statuses = resp.SendStatusSet or []
        status = statuses[0] if statuses else None
        if status is None:
            raise SmsSendError(f"{self.name}: no send status in answer", retryable=False)
        code = str(status.Code or "")
        if code.lower() == "ok":
            return str(status.SerialNo or resp.RequestId or "")[:64] or "ok"
        raise SmsSendError(f"{self.name}: {code} {status.Message or ''}".strip(), retryable=code.startswith(TENCENT_RETRYABLE))


# ----------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------
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
