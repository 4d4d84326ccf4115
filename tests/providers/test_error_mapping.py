"""Pure mapping rules that need no server: exception kinds, retry-after forms, body shapes."""

from __future__ import annotations

import email.utils
import json

import httpx
import pytest

from craft_tui.providers.error_mapping import (
    EnvProxy,
    ErrorContext,
    error_from_exception,
    error_from_response,
    error_from_stream_payload,
    parse_retry_after,
    reason_from_body,
)
from craft_tui.providers.errors import ErrorKind

CTX = ErrorContext(protocol="openai", base_url="https://llm.example.com/v1", model="m1")


def test_dns_failure_says_the_host_could_not_be_found() -> None:
    error = error_from_exception(httpx.ConnectError("[Errno -2] Name or service not known"), CTX)
    assert error.kind is ErrorKind.CANNOT_CONNECT
    assert "llm.example.com" in error.message and "DNS" in error.message


def test_connect_timeout_and_read_timeout_are_told_apart() -> None:
    connect = error_from_exception(httpx.ConnectTimeout("timed out"), CTX)
    read = error_from_exception(httpx.ReadTimeout("timed out"), CTX, mid_stream=True, arrived=True)
    assert connect.kind is read.kind is ErrorKind.TIMEOUT
    assert "connect" in connect.message.lower()
    assert "stalled" in read.message


def test_certificate_failure_points_at_the_ca_bundle() -> None:
    exc = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error = error_from_exception(exc, CTX)
    assert error.kind is ErrorKind.TLS
    assert "certificate verify failed" in error.message
    assert "CA bundle" in error.hint


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after-ms": "2500"}, 2.5),
        ({"retry-after": "nonsense"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    past = email.utils.formatdate(0, usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0


def test_fastapi_validation_list_is_read() -> None:
    body = json.dumps({"detail": [{"loc": ["body", "model"], "msg": "field required"}]}).encode()
    error = error_from_response(422, {"content-type": "application/json"}, body, CTX)
    assert error.kind is ErrorKind.INVALID_REQUEST
    assert "model: field required" in error.message


def test_long_reason_is_truncated_to_one_readable_line() -> None:
    body = json.dumps({"error": {"message": "x " * 2000}}).encode()
    error = error_from_response(400, {}, body, CTX)
    assert len(error.message) < 400
    assert "\n" not in error.message and error.message.endswith(").")


def test_html_title_is_quoted_not_the_page() -> None:
    reason = reason_from_body(b"<html><head><title>Access &amp; Login</title></head></html>", "")
    assert reason.is_html and reason.message == "Access & Login"


def test_anthropic_404_for_a_wrong_path_is_endpoint_not_model() -> None:
    body = json.dumps(
        {"type": "error", "error": {"type": "not_found_error", "message": "Not Found"}}
    ).encode()
    ctx = ErrorContext(protocol="anthropic", base_url="https://gw.example.com/api", model="m")
    error = error_from_response(404, {}, body, ctx)
    assert error.kind is ErrorKind.ENDPOINT_NOT_FOUND
    assert error.suggested_base_url == "https://gw.example.com"


def test_openai_insufficient_quota_429_is_billing_not_rate_limit() -> None:
    body = json.dumps(
        {
            "error": {
                "message": "You exceeded your current quota, please check your plan.",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
            }
        }
    ).encode()
    error = error_from_response(429, {}, body, CTX)
    assert error.kind is ErrorKind.BILLING


def test_stream_error_without_status_uses_its_type() -> None:
    payload = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    error = error_from_stream_payload(payload, CTX)
    assert error.kind is ErrorKind.RATE_LIMITED
    assert error.message.startswith("The answer stopped")
    assert "slow down" in error.message


def test_tls_trouble_mid_answer_is_a_cut_stream_not_a_certificate_problem() -> None:
    exc = httpx.ReadError("[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed")
    error = error_from_exception(exc, CTX, mid_stream=True)
    assert error.kind is ErrorKind.STREAM_CUT


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (413, b'{"error": {"message": "Request Entity Too Large"}}', "application/json"),
        (
            413,
            b"<html><head><title>413 Request Entity Too Large</title></head></html>",
            "text/html",
        ),
        (
            413,
            b'{"type": "error", "error": {"type": "request_too_large", "message": "Request '
            b'exceeds the maximum allowed number of bytes."}}',
            "application/json",
        ),
        (413, b"", ""),
    ],
)
def test_a_request_too_large_says_so_and_how_to_shrink_it(
    status: int, body: bytes, content_type: str
) -> None:
    error = error_from_response(status, {"content-type": content_type}, body, CTX)
    assert error.kind is ErrorKind.REQUEST_TOO_LARGE
    assert "request is too big" in error.message and "413" in error.message
    for fix in ("fewer or shorter messages", "new conversation", "smaller attachment"):
        assert fix in error.hint
    assert "model id" not in error.hint and "URL" not in error.hint
    assert not error.retryable  # the same request would be refused again


def test_request_too_large_as_a_stream_event_is_the_same_error() -> None:
    payload = {"type": "error", "error": {"type": "request_too_large", "message": "Too big."}}
    error = error_from_stream_payload(payload, CTX)
    assert error.kind is ErrorKind.REQUEST_TOO_LARGE
    assert "fewer or shorter messages" in error.hint


@pytest.mark.parametrize("mid_stream", [False, True])
def test_a_read_timeout_before_any_text_says_none_arrived(mid_stream: bool) -> None:
    ctx = ErrorContext(protocol="openai", base_url="http://127.0.0.1:11434/v1", read_timeout=45)
    error = error_from_exception(httpx.ReadTimeout("timed out"), ctx, mid_stream=mid_stream)
    assert error.kind is ErrorKind.TIMEOUT
    assert "no text arrived in 45 s" in error.message
    assert "model is loaded" in error.hint and "read timeout" in error.hint
    assert "kept" not in error.hint and "stalled" not in error.message


def test_a_read_timeout_after_some_text_says_it_is_kept() -> None:
    ctx = ErrorContext(protocol="anthropic", base_url="https://llm.example.com", read_timeout=30)
    error = error_from_exception(httpx.ReadTimeout("timed out"), ctx, mid_stream=True, arrived=True)
    assert error.message == "The answer stalled: nothing more arrived for 30 s."
    assert error.hint.startswith("The text that arrived is kept")


@pytest.mark.parametrize(
    "exc",
    [httpx.RemoteProtocolError("peer closed"), httpx.ReadError("reset by peer")],
    ids=["protocol", "read"],
)
def test_a_cut_stream_says_kept_only_when_text_arrived(exc: Exception) -> None:
    before = error_from_exception(exc, CTX, mid_stream=True)
    after = error_from_exception(exc, CTX, mid_stream=True, arrived=True)
    assert before.kind is after.kind is ErrorKind.STREAM_CUT
    assert "before any of the answer arrived" in before.message and "kept" not in before.hint
    assert "in the middle of the answer" in after.message and "kept" in after.hint


PROXIED = ErrorContext(
    protocol="openai",
    base_url="https://llm.example.com/v1",
    connect_timeout=7,
    proxy=EnvProxy(variable="https_proxy", address="proxy.corp:3128"),
)


@pytest.mark.parametrize(
    ("exc", "detail"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        (httpx.ConnectTimeout("timed out"), "no answer within 7 s"),
        (
            httpx.ConnectError("[Errno -2] Name or service not known"),
            "its host name cannot be found",
        ),
        (
            httpx.ConnectError("[Errno 101] Network is unreachable"),
            "[Errno 101] Network is unreachable",
        ),
    ],
)
def test_failing_to_reach_the_proxy_names_it_and_its_variable(exc: Exception, detail: str) -> None:
    error = error_from_exception(exc, PROXIED)
    assert error.kind is ErrorKind.CANNOT_CONNECT
    assert error.message.startswith(
        f"Cannot reach the proxy proxy.corp:3128 set in https_proxy ({detail}"
    )
    assert "never got to llm.example.com" in error.message
    assert "unset https_proxy" in error.hint and "add llm.example.com to NO_PROXY" in error.hint


def test_a_proxy_refusing_the_tunnel_is_named_too() -> None:
    error = error_from_exception(httpx.ProxyError("407 Proxy Authentication Required"), PROXIED)
    assert "The proxy proxy.corp:3128 set in https_proxy refused" in error.message
    assert "407 Proxy Authentication Required" in error.message
    assert "credentials in https_proxy" in error.hint


def test_a_certificate_failure_through_a_proxy_is_still_the_servers_certificate() -> None:
    exc = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error = error_from_exception(exc, PROXIED)
    assert error.kind is ErrorKind.TLS and "llm.example.com" in error.message


def test_without_a_proxy_the_server_is_blamed() -> None:
    error = error_from_exception(httpx.ConnectError("[Errno 111] Connection refused"), CTX)
    assert error.message == "Nothing is listening at llm.example.com (connection refused)."
    assert "proxy" not in error.message.lower()
