"""Error responses copied in shape from real providers, so the error mapping is tested on real bodies.

Each `ErrorResponse` is what a server answers *before* the stream starts (status, headers, body).
`MIDSTREAM_ERRORS` are the payloads servers send as an SSE event after the answer began.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorResponse:
    """One canned HTTP error: status, body and content type (JSON unless said otherwise)."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, payload: Any, **headers: str) -> ErrorResponse:
    return ErrorResponse(status, json.dumps(payload).encode(), headers=dict(headers))


def _openai(status: int, message: str, type_: str | None, code: Any = None) -> ErrorResponse:
    return _json(
        status, {"error": {"message": message, "type": type_, "param": None, "code": code}}
    )


def _anthropic(status: int, type_: str, message: str) -> ErrorResponse:
    return _json(
        status,
        {
            "type": "error",
            "error": {"type": type_, "message": message},
            "request_id": "req_011CTest",
        },
    )


_HTML_502 = b"""<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx/1.25.3</center>
</body>
</html>
"""

_HTML_413 = b"""<html>
<head><title>413 Request Entity Too Large</title></head>
<body>
<center><h1>413 Request Entity Too Large</h1></center>
<hr><center>nginx/1.25.3</center>
</body>
</html>
"""

_HTML_LOGIN = b"""<!DOCTYPE html><html><head><title>Sign in - Corporate SSO</title></head>
<body><form action="/login"><input name="user"></form></body></html>
"""

# name -> response; names read as "<shape>_<status>_<what>".
ERRORS: dict[str, ErrorResponse] = {
    "openai_401": _openai(
        401,
        "Incorrect API key provided: sk-proj-****abcd. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    "openrouter_401": _json(401, {"error": {"message": "No auth credentials found", "code": 401}}),
    "anthropic_401": _anthropic(401, "authentication_error", "invalid x-api-key"),
    "llamacpp_401_on_messages": _json(
        401, {"error": {"code": 401, "message": "Invalid API Key", "type": "authentication_error"}}
    ),
    "openrouter_402": _json(
        402,
        {
            "error": {
                "message": "This request requires more credits, or fewer max_tokens. You requested up "
                "to 4096 tokens, but can only afford 1024.",
                "code": 402,
            }
        },
    ),
    "anthropic_402": _anthropic(
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing "
        "to upgrade or purchase credits.",
    ),
    "anthropic_402_billing": _anthropic(
        402, "billing_error", "There is an issue with your billing or payment information."
    ),
    "openai_403": _openai(
        403,
        "Project does not have access to model gpt-5",
        "invalid_request_error",
        "model_not_found",
    ),
    "anthropic_403": _anthropic(
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    "openai_404_model": _openai(
        404,
        "The model `gpt-9-turbo` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    "anthropic_404_model": _anthropic(404, "not_found_error", "model: claude-9-opus"),
    "ollama_404_model": _json(
        404,
        {
            "error": {
                "message": 'model "llama9" not found, try pulling it first',
                "type": "api_error",
                "param": None,
                "code": None,
            }
        },
    ),
    "openrouter_400_model": _json(
        400, {"error": {"message": "nonexistent/model is not a valid model ID", "code": 400}}
    ),
    "plain_404": ErrorResponse(404, b"404 page not found", "text/plain; charset=utf-8"),
    "nginx_413": ErrorResponse(413, _HTML_413, "text/html"),
    "anthropic_413": _anthropic(
        413, "request_too_large", "Request exceeds the maximum allowed number of bytes."
    ),
    "openrouter_data_policy": _json(
        404,
        {
            "error": {
                "message": "No endpoints found matching your data policy (Free model publication). "
                "Configure: https://openrouter.ai/settings/privacy",
                "code": 404,
            }
        },
    ),
    "openai_429": _json(
        429,
        {
            "error": {
                "message": "Rate limit reached for gpt-4o in organization org-abc on tokens per min "
                "(TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.",
                "type": "tokens",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        },
        **{"retry-after": "2"},
    ),
    "anthropic_429": _json(
        429,
        {
            "type": "error",
            "error": {
                "type": "rate_limit_error",
                "message": "This request would exceed the rate limit for your organization of 50 "
                "requests per minute.",
            },
        },
        **{"retry-after": "17"},
    ),
    "retry_after_date": _openai(429, "Too many requests", "rate_limit_error", None),
    "openai_500": _openai(
        500,
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
    ),
    "openai_503": _openai(503, "The engine is currently overloaded, please try again later", None),
    "anthropic_529": _anthropic(529, "overloaded_error", "Overloaded"),
    "anthropic_500": _anthropic(500, "api_error", "Internal server error"),
    "envoy_503": ErrorResponse(
        503,
        b"upstream connect error or disconnect/reset before headers. reset reason: connection "
        b"failure",
        "text/plain",
    ),
    "plain_500": ErrorResponse(500, b"Internal Server Error", "text/plain; charset=utf-8"),
    "html_502": ErrorResponse(502, _HTML_502, "text/html"),
    "html_200_login": ErrorResponse(200, _HTML_LOGIN, "text/html; charset=utf-8"),
    "fastapi_detail": _json(400, {"detail": "Request body is missing field 'messages'"}),
    "openai_400_context": _openai(
        400,
        "This model's maximum context length is 128000 tokens. However, your messages resulted in "
        "130541 tokens. Please reduce the length of the messages.",
        "invalid_request_error",
        "context_length_exceeded",
    ),
    "llamacpp_400_context": _json(
        400,
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 9000,
                "n_ctx": 8192,
            }
        },
    ),
    "anthropic_400_context": _anthropic(
        400, "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"
    ),
    "openai_400_invalid": _openai(
        400,
        "Invalid value for 'temperature': expected a number between 0 and 2.",
        "invalid_request_error",
        "invalid_value",
    ),
    "anthropic_400_invalid": _anthropic(400, "invalid_request_error", "max_tokens: Field required"),
    # Requests with `tools` refused: the model or the server cannot call tools.
    "ollama_400_tools": _json(
        400, {"error": "registry.ollama.ai/library/gemma:2b does not support tools"}
    ),
    "openrouter_404_tools": _json(
        404,
        {
            "error": {
                "message": "No endpoints found that support tool use. To learn more about "
                "provider routing, visit: https://openrouter.ai/docs/provider-routing",
                "code": 404,
            }
        },
    ),
    "groq_400_tools": _openai(
        400, "`tools` is not supported with this model", "invalid_request_error"
    ),
    "vllm_400_tools": _json(
        400,
        {
            "object": "error",
            "message": '"auto" tool choice requires --enable-auto-tool-choice and '
            "--tool-call-parser to be set",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
    ),
    "llamacpp_400_tools": _json(
        400,
        {
            "error": {
                "code": 400,
                "message": "tools param requires --jinja flag",
                "type": "invalid_request_error",
            }
        },
    ),
    "anthropic_400_tools": _anthropic(
        400, "invalid_request_error", "tools: this model does not support tools"
    ),
    "vllm_400": _json(
        400,
        {
            "object": "error",
            "message": "The model `foo` does not exist.",
            "type": "NotFoundError",
            "param": None,
            "code": 404,
        },
    ),
}

# Mid-stream error payloads: (SSE event name or None, data JSON).
MIDSTREAM_ERRORS: dict[str, tuple[str | None, dict[str, Any]]] = {
    "openrouter": (
        None,
        {
            "id": "gen-123",
            "object": "chat.completion.chunk",
            "error": {"code": 502, "message": "Provider returned error: upstream overloaded"},
            "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
        },
    ),
    "openai": (None, {"error": {"message": "The server had an error", "type": "server_error"}}),
    "anthropic_overloaded": (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    ),
    "anthropic_api_error": (
        "error",
        {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}},
    ),
}
