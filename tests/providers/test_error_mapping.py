"""Pure mapping rules that need no server: exception kinds, retry-after forms, body shapes."""

from __future__ import annotations

import email.utils
import json

import httpx
import pytest

from craft_tui.providers.error_mapping import (
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
    read = error_from_exception(httpx.ReadTimeout("timed out"), CTX, mid_stream=True)
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
