"""The one place where a failure becomes a `ProviderError`: HTTP status + body, an httpx exception, or
an error event in the middle of a stream.

Every error body shape seen on real servers is read (OpenAI `{"error": {...}}`, Anthropic
`{"type": "error", "error": {...}}`, vLLM's top-level `message`, FastAPI's `detail`, Ollama's
`{"error": "..."}`, plain text, HTML pages from proxies), so the user sees the server's own reason,
next to a fix that fits the provider. The connection's key is scrubbed from anything quoted.
"""

from __future__ import annotations

import email.utils
import html
import json
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from craft_tui.config.protocols import Protocol, get_protocol
from craft_tui.config.urls import alternative_bases, chat_url, is_local_host
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.untrusted import shown_inline

_REASON_LIMIT = 300

# Anthropic error types and the status they stand for (used for mid-stream events and odd gateways).
_ANTHROPIC_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
# OpenAI Responses error codes (a `response.failed` event's `response.error.code`, an `error`
# event's `code`) and the status each stands for: the stream's 200 says nothing about the failure.
_RESPONSES_CODE_STATUS = {
    "server_error": 500,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "invalid_prompt": 400,
    "context_length_exceeded": 400,
    "vector_store_timeout": 504,
}
# invalid_image, image_too_large, unsupported_image_media_type, failed_to_download_image, …
_RESPONSES_INPUT_CODE = re.compile(r"^(invalid_|image_|unsupported_|empty_|failed_to_)")
_CONTEXT_PATTERNS = re.compile(
    r"context length|context_length|maximum context|context window|too many tokens|"
    r"prompt is too long|exceeds the available context|exceed_context_size|context size",
    re.IGNORECASE,
)
_MODEL_MISSING = re.compile(
    r"model.*(not found|does not exist|not exist|is not a valid model|unknown|no such|not available)"
    r"|(unknown|invalid|no such) model|not_found_error.*model|try pulling it",
    re.IGNORECASE | re.DOTALL,
)
_OVERLOADED = re.compile(r"overload", re.IGNORECASE)

_BILLING_PATTERNS = re.compile(
    r"credit balance|insufficient_quota|exceeded your current quota|requires more credits|"
    r"insufficient credits|payment required",
    re.IGNORECASE,
)
_DATA_POLICY = "no endpoints found matching your data policy"
# A request with `tools` refused because the model or server cannot call tools: Ollama
# ("registry.ollama.ai/library/gemma:2b does not support tools"), OpenRouter ("No endpoints found
# that support tool use"), Groq and others ("`tools` is not supported with this model"), vLLM
# started without tool parsing ('"auto" tool choice requires --enable-auto-tool-choice and
# --tool-call-parser to be set'), llama.cpp's server without templates ("tools param requires
# --jinja flag").
_TOOLS_UNSUPPORTED = re.compile(
    r"does(?: not|n't) support (?:tools|tool use|tool calling|tool calls|function calling)"
    r"|\btools?`? (?:is|are) not supported"
    r"|(?:tool use|tool calling|tool calls|function calling) (?:is |are )?not (?:supported|available)"
    r"|no endpoints found that support tool use"
    r"|enable-auto-tool-choice"
    r"|tools param requires --jinja",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class EnvProxy:
    """The proxy the HTTP client uses for a connection, and the environment variable it came from.

    Failing to reach it is the proxy's fault, not the server's, so the message must say so. Only
    `host:port` is kept: a proxy URL may carry `user:password@`, which never reaches a message.
    """

    variable: str  # as spelled in the environment, e.g. "HTTPS_PROXY" or "https_proxy"
    address: str  # host:port, without credentials


@dataclass(frozen=True)
class ErrorContext:
    """What the mapping needs to know about the connection to phrase the fix."""

    protocol: Protocol
    base_url: str
    model: str | None = None
    preset: str | None = None
    slug: str = ""
    auth_type: str = "api_key"
    read_timeout: float = 120.0
    connect_timeout: float = 10.0
    secret: str | None = field(default=None, repr=False)
    proxy: EnvProxy | None = None  # the environment proxy requests to this base URL go through
    # Where the key came from, when not the secret store: the command that printed it
    # (`auth.api_key_cmd`) or the variable that held it (`auth.api_key_env`). A rejected key's
    # fix names them (never the key).
    key_command: str | None = None
    key_variable: str | None = None

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def host_port(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def provider(self) -> str:
        """A provider family name for hints: openrouter, anthropic, openai, ollama or other."""
        host = self.host
        if self.preset in {"openrouter", "anthropic", "openai", "ollama"}:
            return self.preset
        if host.endswith("openrouter.ai"):
            return "openrouter"
        if host.endswith("anthropic.com"):
            return "anthropic"
        if host.endswith("openai.com"):
            return "openai"
        if urlsplit(self.base_url).port == 11434:
            return "ollama"
        return "other"

    def scrub(self, text: str) -> str:
        """Remove the key from server text (some servers echo it back)."""
        if self.secret and len(self.secret) >= 4:
            text = text.replace(self.secret, "[key]")
        return text


@dataclass(frozen=True)
class ServerReason:
    """What an error body says, whatever its shape."""

    message: str | None = None
    type: str | None = None
    code: str | None = None
    is_html: bool = False


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > _REASON_LIMIT:
        text = text[: _REASON_LIMIT - 1].rstrip() + "…"
    return text


def _validation_item(item: Any) -> str:
    """`{"loc": ["body", "stream_options"], "msg": "Extra inputs"}` -> `stream_options: Extra inputs`."""
    if not isinstance(item, dict) or "msg" not in item:
        return str(item)
    loc = [str(part) for part in item.get("loc") or [] if part != "body"]
    return f"{'.'.join(loc)}: {item['msg']}" if loc else str(item["msg"])


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # FastAPI/pydantic validation errors
        return "; ".join(_validation_item(item) for item in value)
    if isinstance(value, dict):  # Mistral nests {"detail": [...]} inside `message`
        for key in ("detail", "message", "msg"):
            if key in value:
                return _as_text(value[key])
    return json.dumps(value)


def reason_from_payload(payload: Any) -> ServerReason:
    """Read an already-parsed JSON error in any of the known shapes."""
    if not isinstance(payload, dict):
        return ServerReason(message=_as_text(payload))
    error = payload.get("error")
    if isinstance(error, dict):
        message = _as_text(error.get("message")) or _as_text(error.get("detail"))
        metadata = error.get("metadata")
        if isinstance(metadata, dict) and metadata.get("raw"):  # OpenRouter: upstream's own words
            raw = _as_text(metadata["raw"]) or ""
            message = f"{message}: {raw}" if message else raw
        code = error.get("code")
        return ServerReason(
            message=message,
            type=_as_text(error.get("type")),
            code=None if code is None else str(code),
        )
    if isinstance(error, str):
        return ServerReason(message=error, type=_as_text(payload.get("type")))
    if "detail" in payload:
        return ServerReason(message=_as_text(payload["detail"]))
    if "message" in payload:
        code = payload.get("code")
        return ServerReason(
            message=_as_text(payload["message"]),
            type=_as_text(payload.get("type")),
            code=None if code is None else str(code),
        )
    return ServerReason(message=_as_text(payload))


def reason_from_body(body: bytes, content_type: str = "") -> ServerReason:
    """Read an error body: JSON in any known shape, an HTML page (its title), or plain text."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return ServerReason()
    lowered = text[:200].lower()
    if "html" in content_type.lower() or lowered.startswith(("<!doctype", "<html", "<head")):
        match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.IGNORECASE | re.DOTALL)
        found = match or heading
        title = html.unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else None
        return ServerReason(message=title, is_html=True)
    try:
        payload = json.loads(text)
    except ValueError:
        return ServerReason(message=text.splitlines()[0])
    return reason_from_payload(payload)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from `retry-after` (seconds or an HTTP date) or `retry-after-ms`."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _quote(reason: str | None) -> str:
    """`: reason` without a doubled full stop when the sentence goes on after it."""
    return f": {reason.rstrip(' .')}" if reason else ""


# What each known provider's keys look like: the one table both key fixes read.
_KEY_PREFIXES = {
    "openrouter": "OpenRouter keys start with sk-or-",
    "anthropic": "Anthropic keys start with sk-ant-",
    "openai": "OpenAI keys start with sk-",
}


def _key_shape(ctx: ErrorContext) -> str:
    """What the provider's keys look like, as a clause (empty when nobody knows)."""
    shape = _KEY_PREFIXES.get(ctx.provider)
    return f" ({shape})" if shape else ""


def _may_want_bearer(ctx: ErrorContext) -> bool:
    """A gateway sent an x-api-key key it refused: it may want `Authorization: Bearer`."""
    return ctx.auth_type == "api_key" and get_protocol(ctx.protocol).key_header != "authorization"


def _sourced_auth_hint(ctx: ErrorContext, *, in_app: bool) -> str | None:
    """The fix for a refused key that a command printed or a variable held: storing a key again
    would change nothing, so the fix names the command (never its output) or the variable."""
    from craft_tui.config.key_command import shown_command

    bearer = ""
    if ctx.provider == "other" and _may_want_bearer(ctx):
        bearer = (
            " If this gateway expects 'Authorization: Bearer' rather than x-api-key, switch "
            "the connection's auth to bearer."
        )
    command = ctx.key_command
    if command:
        if in_app:
            change = f"To use another command, edit it {KEY_IN_APP}."
        else:
            slug = ctx.slug or "NAME"
            change = f'To use another command: craft-tui connection key {slug} --api-key-cmd "…".'
        return (
            f"The key printed by {shown_command(command)} was refused: check that entry"
            f"{_key_shape(ctx)}; the command runs again for the next request, so a corrected "
            f"entry is picked up. {change}{bearer}"
        )
    if ctx.key_variable:
        variable = shown_inline(ctx.key_variable)
        return (
            f"The key in ${variable} was refused: check its value{_key_shape(ctx)} and that it "
            f"belongs to this server, then start craft-tui again with the corrected variable "
            f"(the variable is read from craft-tui's environment; nothing stored is used)."
            f"{bearer}"
        )
    return None


def _auth_hint(ctx: ErrorContext, store: str | None = None) -> str:
    """The fix for a rejected key; `store` says where to store it again (default: the command).
    A key printed by a command or read from a variable gets a fix naming that instead."""
    if ctx.auth_type == "none":
        return (
            "This server wants a key: give the connection an API key (auth type api_key or bearer)."
        )
    sourced = _sourced_auth_hint(ctx, in_app=store is not None)
    if sourced is not None:
        return sourced
    if store is None:
        store = (
            f"craft-tui connection key {ctx.slug} --api-key-stdin"
            if ctx.slug
            else "the connections screen"
        )
    shape = _KEY_PREFIXES.get(ctx.provider)
    if shape:
        return f"{shape}; check for spaces or a missing character, and store it again ({store})."
    if _may_want_bearer(ctx):
        return (
            "Check the key; if this gateway expects 'Authorization: Bearer' rather than x-api-key, "
            "switch the connection's auth to bearer."
        )
    return f"Check the key stored for this connection ({store}) and that it belongs to this server."


KEY_IN_APP = "in the connections screen: {open_connections}, pick the connection, then Edit"
"""Where the app stores a key again; `{open_connections}` becomes its key (errors.fill_keys)."""


def _billing_hint(ctx: ErrorContext) -> str:
    if ctx.provider == "openrouter":
        return "Add credits at https://openrouter.ai/settings/credits, or lower max_tokens."
    if ctx.provider == "anthropic":
        return "Add credits at https://console.anthropic.com/settings/billing."
    if ctx.provider == "openai":
        return "Add credits or raise the limit at https://platform.openai.com/settings/organization/billing."
    return "Check the account's credits or billing with the provider."


def _model_hint(ctx: ErrorContext, reason: str | None, *, in_app: bool = False) -> str:
    model = ctx.model or "MODEL"
    if ctx.provider == "ollama" or (reason and "pull" in reason.lower()):
        return f"Run `ollama pull {model}` on the server, or pick a model it has."
    if in_app:
        return "Pick a model from the server's list ({pick_model}), or check the id's spelling."
    return "Pick a model from the server's list (`craft-tui models`), or check the id's spelling."


def _tools_unsupported(
    ctx: ErrorContext, haystack: str, reason: str | None, status: int
) -> tuple[str, str]:
    """The sentence and fix for a request refused because it offered tools.

    Where the server has to be started differently (vLLM, llama.cpp) the fix says how; otherwise
    it is the model that cannot call tools, and another model (or no tools) is the way out."""
    model = f"{ctx.model!r}" if ctx.model else "this model"
    lowered = haystack.lower()
    if "enable-auto-tool-choice" in lowered:
        return (
            f"The server cannot let {model} call tools ({status}{_quote(reason)}).",
            "Start vLLM with --enable-auto-tool-choice and a --tool-call-parser for this model, "
            "or ask without tools.",
        )
    if "--jinja" in lowered:
        return (
            f"The server cannot let {model} call tools ({status}{_quote(reason)}).",
            "Start llama-server with --jinja (a chat template that knows tools), or ask without "
            "tools.",
        )
    if ctx.provider == "openrouter" or "no endpoints found that support tool use" in lowered:
        fix = "Pick a model whose providers support tool use (OpenRouter's list marks them)"
    else:
        fix = "Pick a model that supports tools"
    return (
        f"The model {model} cannot call tools ({status}{_quote(reason)}).",
        f"{fix}, or ask without tools.",
    )


def _not_found(ctx: ErrorContext, status: int, reason: str | None) -> ProviderError:
    url = chat_url(ctx.protocol, ctx.base_url)
    suggestions = alternative_bases(ctx.protocol, ctx.base_url)
    suggestion = suggestions[0] if suggestions else None
    if suggestion:
        hint = f"The base URL looks wrong; try {suggestion}."
    else:
        hint = get_protocol(ctx.protocol).not_found_hint
    return ProviderError(
        ErrorKind.ENDPOINT_NOT_FOUND,
        f"Nothing answers at {url} ({status}{_quote(reason)}).",
        hint,
        status=status,
        server_reason=reason,
        suggested_base_url=suggestion,
    )


def classify(
    status: int,
    reason: ServerReason,
    ctx: ErrorContext,
    *,
    retry_after: float | None = None,
) -> ProviderError:
    """Turn a status and what the body said into one ProviderError (kind, sentence, fix)."""
    message = _clean(ctx.scrub(reason.message)) if reason.message else None
    haystack = " ".join(filter(None, [message, reason.type, reason.code]))
    if reason.type in _ANTHROPIC_TYPE_STATUS and not 400 <= status < 600:
        status = _ANTHROPIC_TYPE_STATUS[reason.type]

    def error(kind: ErrorKind, sentence: str, hint: str, **extra: Any) -> ProviderError:
        return ProviderError(
            kind,
            sentence,
            hint,
            status=status,
            server_reason=message,
            retry_after=retry_after,
            **extra,
        )

    if status == 413 or reason.type == "request_too_large":
        return error(
            ErrorKind.REQUEST_TOO_LARGE,
            f"The request is too big for the server (413{_quote(message)}).",
            "Send less: fewer or shorter messages (delete older ones or start a new "
            "conversation), or a smaller attachment or pasted file.",
        )
    if reason.is_html and status != 404:
        return error(
            ErrorKind.HTML_RESPONSE,
            f"A proxy or gateway answered with a web page instead of the API's JSON "
            f"(HTTP {status}{_quote(message)}).",
            "Check the base URL points at the API, not a website or login page; if a company proxy "
            "is in the way, set HTTPS_PROXY or the connection's CA bundle. If it is a gateway error, "
            "try again shortly.",
        )
    if _DATA_POLICY in haystack.lower():
        return error(
            ErrorKind.DATA_POLICY,
            "OpenRouter has no provider for this model that matches your data policy.",
            "Allow more providers at https://openrouter.ai/settings/privacy, or pick another model.",
        )
    if 400 <= status < 500 and _TOOLS_UNSUPPORTED.search(haystack):
        return error(
            ErrorKind.TOOLS_UNSUPPORTED, *_tools_unsupported(ctx, haystack, message, status)
        )
    if _CONTEXT_PATTERNS.search(haystack):
        return error(
            ErrorKind.CONTEXT_EXCEEDED,
            f"The conversation is longer than the model's context window{_quote(message)}.",
            "Start a new conversation, delete older messages, or pick a model with a larger context window.",
        )
    if status == 401 or reason.type == "authentication_error":
        return error(
            ErrorKind.AUTHENTICATION,
            f"The server rejected the API key (401{_quote(message)}).",
            _auth_hint(ctx),
            app_hint=_auth_hint(ctx, KEY_IN_APP),
        )
    if status == 402 or _BILLING_PATTERNS.search(haystack):
        return error(
            ErrorKind.BILLING,
            f"The account has run out of credit or quota{_quote(message)}.",
            _billing_hint(ctx),
        )
    if status == 403:
        return error(
            ErrorKind.ACCESS_DENIED,
            f"Access denied (403{_quote(message)}).",
            "The key works but may not use this model or API: check its permissions or project, or "
            "pick another model. A company proxy can also block the request.",
        )
    model_named = bool(ctx.model and message and ctx.model in message)
    if status in {400, 404, 422} and (
        _MODEL_MISSING.search(haystack)
        or (status == 404 and model_named)
        or (reason.type == "not_found_error" and "model" in (message or "").lower())
    ):
        model = f"{ctx.model!r} " if ctx.model else ""
        return error(
            ErrorKind.MODEL_NOT_FOUND,
            f"The server does not know the model {model}({(message or str(status)).rstrip(' .')}).",
            _model_hint(ctx, message),
            app_hint=_model_hint(ctx, message, in_app=True),
        )
    if status in {404, 405}:
        return _not_found(ctx, status, message)
    if status == 429 or reason.type == "rate_limit_error":
        wait = (
            f"Wait {retry_after:.0f} s and try again."
            if retry_after is not None
            else ("Wait a moment and try again.")
        )
        return error(
            ErrorKind.RATE_LIMITED,
            f"Rate limited by the server{_quote(message)}.",
            f"{wait} Frequent limits mean the plan's quota is too small for this use.",
        )
    overloaded = _OVERLOADED.search(haystack) is not None
    if not overloaded and (status == 500 or reason.type in {"api_error", "server_error"}):
        return error(
            ErrorKind.SERVER_ERROR,
            f"The server failed while handling the request ({status}{_quote(message)}).",
            "Try again; if it keeps failing, the server's logs or status page will say why, or "
            "pick another model.",
        )
    if overloaded or status in {408, 502, 503, 504, 520, 521, 522, 524, 529}:
        return error(
            ErrorKind.OVERLOADED,
            f"The provider is overloaded or unavailable ({status}{_quote(message)}).",
            "Try again in a moment, or pick another model.",
        )
    if 400 <= status < 500:
        return error(
            ErrorKind.INVALID_REQUEST,
            f"The server rejected the request ({status}{_quote(message)}).",
            "Check the model id and the connection's settings (max tokens, temperature, base URL).",
        )
    return error(
        ErrorKind.UNKNOWN,
        f"The server answered HTTP {status}{_quote(message)}.",
        "Try again; if it persists, check the server's logs or status page.",
    )


def error_from_response(
    status: int, headers: Mapping[str, str], body: bytes, ctx: ErrorContext
) -> ProviderError:
    """Map a non-2xx response (its body already read) to a ProviderError."""
    if 300 <= status < 400:
        return redirect_error(headers.get("location", ""), ctx, status)
    reason = reason_from_body(body, headers.get("content-type", ""))
    return classify(status, reason, ctx, retry_after=parse_retry_after(headers))


def redirect_error(location: str, ctx: ErrorContext, status: int) -> ProviderError:
    """Redirects are not followed, so the key never travels to another address; say where to go."""
    suggestion: str | None = None
    for suffix in ("/chat/completions", "/responses", "/v1/messages", "/v1/models", "/models"):
        if location.endswith(suffix):
            suggestion = location[: -len(suffix)]
            break
    hint = (
        f"If you trust that address, use {suggestion} as the base URL."
        if suggestion
        else "Check the base URL (http vs https, host name, path)."
    )
    return ProviderError(
        ErrorKind.ENDPOINT_NOT_FOUND,
        f"The server redirected the request to {location or 'another address'} ({status}); "
        "craft-tui does not follow redirects, so your key stays with the address you configured.",
        hint,
        status=status,
        suggested_base_url=suggestion,
    )


def error_from_stream_payload(payload: Any, ctx: ErrorContext) -> ProviderError:
    """An `error` object that arrived inside the stream (OpenRouter chunks, Anthropic `error`
    events, OpenAI Responses `error` events and the `response` of a `response.failed` event)."""
    reason = reason_from_payload(payload)
    if (
        reason.message is None
        and isinstance(payload, dict)
        and isinstance(payload.get("error"), dict)
    ):
        reason = ServerReason(message=json.dumps(payload["error"]))
    status = 0
    if reason.code and reason.code.isdigit():
        status = int(reason.code)
    elif reason.type in _ANTHROPIC_TYPE_STATUS:
        status = _ANTHROPIC_TYPE_STATUS[reason.type]
    elif reason.code in _RESPONSES_CODE_STATUS:
        status = _RESPONSES_CODE_STATUS[reason.code]
    elif reason.code and _RESPONSES_INPUT_CODE.match(reason.code):
        status = 400
    if not 400 <= status < 600:
        status = 500
    mapped = classify(status, reason, ctx)
    return ProviderError(
        mapped.kind,
        f"The answer stopped with an error from the server: {mapped.message[0].lower()}{mapped.message[1:]}",
        mapped.hint,
        status=mapped.status,
        server_reason=mapped.server_reason,
        retry_after=mapped.retry_after,
        suggested_base_url=mapped.suggested_base_url,
        app_hint=mapped.app_hint,
    )


def stream_cut_error(
    ctx: ErrorContext, detail: str = "", *, arrived: bool = False
) -> ProviderError:
    """The connection ended before the answer said it was complete.

    `arrived`: some of the answer was already handed over (and is kept); the hint says so only then.
    """
    extra = f" ({detail})" if detail else ""
    if not arrived:
        return ProviderError(
            ErrorKind.STREAM_CUT,
            f"The connection closed before any of the answer arrived{extra}.",
            "Try again; a proxy or the server dropped the stream.",
        )
    return ProviderError(
        ErrorKind.STREAM_CUT,
        f"The connection closed in the middle of the answer{extra}.",
        "The text that arrived is kept; try again (a proxy or the server dropped the stream).",
    )


def provider_ended_with_error(ctx: ErrorContext, *, arrived: bool = False) -> ProviderError:
    """The stream ended normally but said the answer failed (OpenAI `finish_reason: "error"`)."""
    kept = "The text that arrived is kept; try" if arrived else "Try"
    return ProviderError(
        ErrorKind.STREAM_CUT,
        "The provider ended the answer with an error.",
        f"{kept} again, or pick another model.",
    )


def malformed_event_error(ctx: ErrorContext, data: str, *, arrived: bool = False) -> ProviderError:
    """An event whose data is not the JSON the protocol promises (`arrived`: text came before it)."""
    sample = _clean(ctx.scrub(data))[:80]
    kept = "The text before it is kept; try" if arrived else "Try"
    return ProviderError(
        ErrorKind.MALFORMED,
        f"The server sent an event that is not valid JSON ({sample!r}).",
        f"{kept} again. If it repeats, the server or a proxy is mangling the stream; check that it "
        f"really speaks the {ctx.protocol} protocol.",
        server_reason=sample,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


_DNS_MARKERS = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo",
    "name resolution",
    "no address associated",
    "11001",
)


def _is_dns_failure(lowered: str) -> bool:
    return any(marker in lowered for marker in _DNS_MARKERS)


def _is_refused(lowered: str) -> bool:
    return "refused" in lowered or "errno 111" in lowered or "errno 61" in lowered


def _proxy_unreachable(exc: Exception, ctx: ErrorContext, proxy: EnvProxy) -> ProviderError:
    """The client never reached the proxy, so the server was never asked: name the proxy, the
    variable it came from, and the two ways out (fix the proxy, or go around it)."""
    lowered = " ".join(str(e) for e in _chain(exc)).lower()
    if isinstance(exc, httpx.ConnectTimeout):
        detail = f"no answer within {ctx.connect_timeout:g} s"
    elif _is_dns_failure(lowered):
        detail = "its host name cannot be found"
    elif _is_refused(lowered):
        detail = "connection refused"
    else:
        detail = ctx.scrub(_clean(str(exc))) or type(exc).__name__
    host = ctx.host or ctx.host_port
    return ProviderError(
        ErrorKind.CANNOT_CONNECT,
        f"Cannot reach the proxy {proxy.address} set in {proxy.variable} ({detail}), so the "
        f"request never got to {ctx.host_port or ctx.base_url}.",
        f"Start or fix that proxy; or, to connect without it, unset {proxy.variable} or add "
        f"{host} to NO_PROXY.",
    )


def _read_timeout(ctx: ErrorContext, where: str, arrived: bool) -> ProviderError:
    """No byte for `read_timeout` seconds: a stall once text came, a slow (or stuck) start before."""
    if arrived:
        return ProviderError(
            ErrorKind.TIMEOUT,
            f"The answer stalled: nothing more arrived for {ctx.read_timeout:g} s.",
            "The text that arrived is kept; try again, or raise this connection's read timeout "
            "(timeouts.read in config.toml) if the model is slow.",
        )
    return ProviderError(
        ErrorKind.TIMEOUT,
        f"{where} accepted the request, but no text arrived in {ctx.read_timeout:g} s.",
        "Check that the model is loaded and the server is not overloaded, then try again; a "
        "large model can take longer to start: raise this connection's read timeout "
        "(timeouts.read in config.toml).",
    )


def error_from_exception(
    exc: Exception, ctx: ErrorContext, *, mid_stream: bool = False, arrived: bool = False
) -> ProviderError:
    """Map an httpx/OS exception to a ProviderError that says which kind of failure it was.

    `mid_stream`: the response had begun (a 2xx status came); `arrived`: some of the answer (text
    or reasoning) was already handed over, so the message may say it is kept — and only then.
    """
    where = ctx.host_port or ctx.base_url
    local = is_local_host(ctx.host)
    text = " ".join(str(e) for e in _chain(exc))
    tls_failure = isinstance(exc, httpx.ConnectError) and (
        any(isinstance(e, ssl.SSLError) for e in _chain(exc))
        or "SSL" in text
        or "certificate" in text
    )
    if (
        ctx.proxy is not None
        and isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
        and not tls_failure
    ):
        # Through a proxy the client opens a connection only to the proxy; failing to connect
        # means failing to reach it. (The server's own TLS handshake runs inside the tunnel.)
        return _proxy_unreachable(exc, ctx, ctx.proxy)
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderError(
            ErrorKind.TIMEOUT,
            f"Could not connect to {where} within {ctx.connect_timeout:g} s.",
            "Check the host and port, your network or VPN, and any proxy (HTTPS_PROXY).",
        )
    if isinstance(exc, httpx.ReadTimeout):
        return _read_timeout(ctx, where, arrived)
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(
            ErrorKind.TIMEOUT,
            f"Talking to {where} timed out ({type(exc).__name__}).",
            "Check your network and try again.",
        )
    if tls_failure:
        # The handshake happens while connecting; a TLS hiccup mid-answer is a cut stream.
        if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
            return ProviderError(
                ErrorKind.TLS,
                f"{where} does not speak HTTPS.",
                "Use http:// in the base URL for this server.",
            )
        detail = (
            "certificate verify failed"
            if "CERTIFICATE_VERIFY_FAILED" in text
            else "TLS handshake failed"
        )
        return ProviderError(
            ErrorKind.TLS,
            f"The TLS certificate of {where} could not be verified ({detail}).",
            "Behind a company proxy, set the connection's CA bundle (--ca-bundle FILE); for a "
            "self-signed local server you may turn verification off for this connection.",
        )
    if isinstance(exc, httpx.ProxyError):
        if ctx.proxy is not None:
            return ProviderError(
                ErrorKind.CANNOT_CONNECT,
                f"The proxy {ctx.proxy.address} set in {ctx.proxy.variable} refused to connect "
                f"to {where} ({ctx.scrub(_clean(str(exc))) or 'no reason given'}).",
                f"Check the proxy's address and credentials in {ctx.proxy.variable}; to connect "
                f"without it, unset {ctx.proxy.variable} or add {ctx.host or where} to NO_PROXY.",
            )
        return ProviderError(
            ErrorKind.CANNOT_CONNECT,
            f"The proxy refused to connect to {where}.",
            "Check HTTPS_PROXY / HTTP_PROXY and NO_PROXY in your environment.",
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ProviderError(
            ErrorKind.CANNOT_CONNECT,
            f"The base URL {ctx.base_url} cannot be used ({exc}).",
            "Edit the connection's base URL; it must start with http:// or https://.",
        )
    if isinstance(exc, httpx.ConnectError):
        lowered = text.lower()
        if _is_dns_failure(lowered):
            return ProviderError(
                ErrorKind.CANNOT_CONNECT,
                f"Cannot find the host {ctx.host or where} (DNS lookup failed).",
                "Check the spelling of the base URL's host, and your network or VPN.",
            )
        if _is_refused(lowered):
            hint = (
                "Start the server (e.g. `ollama serve`, LM Studio's server, llama-server) or check "
                "the port."
                if local
                else "Check the host and port in the base URL."
            )
            return ProviderError(
                ErrorKind.CANNOT_CONNECT,
                f"Nothing is listening at {where} (connection refused).",
                hint,
            )
        return ProviderError(
            ErrorKind.CANNOT_CONNECT,
            f"Cannot connect to {where} ({ctx.scrub(_clean(str(exc))) or type(exc).__name__}).",
            "Check the base URL, your network, and any proxy (HTTPS_PROXY).",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.StreamError):
        if mid_stream:
            return stream_cut_error(
                ctx, "the server or a proxy dropped the connection", arrived=arrived
            )
        return ProviderError(
            ErrorKind.CANNOT_CONNECT,
            f"{where} closed the connection without answering.",
            "Check that the base URL points at an HTTP API (not another kind of service) and try again.",
        )
    return ProviderError(
        ErrorKind.UNKNOWN,
        f"Talking to {where} failed ({type(exc).__name__}).",
        "Try again; details are in the log (`craft-tui paths`).",
    )
