"""Every fault a connection can meet, defined once: what sets it up, and what the user must read.

Three tables use these definitions:
* `tests/providers/test_faults.py` drives each `Fault` through the drivers (`DRIVER_FAULTS`) of
  all three protocols (`DRIVER_PROTOCOLS`: OpenAI Chat Completions, Anthropic Messages, OpenAI
  Responses), each with its own mid-stream error (`MIDSTREAM`, and for Responses the
  `response.failed` and `error` events of `RESPONSES_STREAM_FAULTS`);
* `tests/test_fault_matrix_cli.py` and `tests/ui/test_fault_matrix_app.py` run `MATRIX` — the
  rows issue 13 lists, for the two first protocols (`PROTOCOLS`) — through `craft-tui ask` and
  through the running app. (The Responses driver shares the transport, error mapping and
  streaming loop those rows exercise above the driver; its own part is the driver table.)

A `Fault` says where it happens (`target`: the fake server's switches, or a socket-level fault
before HTTP), the kind, a phrase of the sentence and of the fix that must be there, phrases that
must not (the text is "kept" only when some arrived), and the text that arrives before it.
`Scene` builds one fault on real loopback sockets and heals it again, so each matrix row can check
that a retry works once the server (or the connection) is fixed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from craft_tui.providers.errors import ErrorKind
from tests.servers.door import Door
from tests.servers.fake import Behaviour, FakeLLMServer

Protocol = Literal["openai", "anthropic", "openai-responses"]
PROTOCOLS: tuple[Protocol, ...] = ("openai", "anthropic")  # the CLI and app matrices
DRIVER_PROTOCOLS: tuple[Protocol, ...] = (*PROTOCOLS, "openai-responses")  # the driver table
REPLY = "one two three four"
HEALTHY_REPLY = "Healthy again."
PROXY_SECRET = "proxy-pass-1234"  # the password in the proxy URL: never in a message

# Where a fault happens. "server": the fake server's switches; the others are set up by `Scene`.
Target = Literal["server", "refused", "jammed", "dns", "tls", "proxy_down"]


@dataclass(frozen=True)
class Fault:
    """One fault and what the user must be told about it."""

    name: str
    switches: dict[str, Any]
    kind: ErrorKind
    sentence: str  # a phrase the message must contain (case-insensitive)
    hint: str  # a phrase the fix must contain (case-insensitive)
    partial: str = ""  # the text that arrives before the error (and is kept)
    connection: dict[str, Any] = field(default_factory=dict)  # extra Connection fields
    retry_after: float | None = None
    absent: tuple[str, ...] = ()  # phrases that must appear in neither the message nor the fix
    target: Target = "server"


def _status(name: str, kind: ErrorKind, sentence: str, hint: str, **extra: Any) -> Fault:
    """A canned error response (`bodies.ERRORS[name]`) instead of an answer."""
    return Fault(name, {"error": name}, kind, sentence, hint, **extra)


def _timeouts(connect: float = 5, read: float = 5) -> dict[str, Any]:
    return {"timeouts": {"connect": connect, "read": read, "write": 5, "pool": 5}}


_NOTHING_KEPT = ("kept",)  # nothing arrived, so nothing is "kept"
_SLOW_READ = _timeouts(read=1)  # a stall or a slow start ends after 1 s, not 2 minutes

FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in [
        _status("openai_401", ErrorKind.AUTHENTICATION, "rejected the API key", "key"),
        _status(
            "openrouter_401",
            ErrorKind.AUTHENTICATION,
            "No auth credentials found",
            "keys start with sk-or-; check for spaces",
            connection={"preset": "openrouter"},
        ),
        _status(
            "anthropic_401",
            ErrorKind.AUTHENTICATION,
            "invalid x-api-key",
            "sk-ant-",
            connection={"preset": "anthropic"},
        ),
        _status("llamacpp_401_on_messages", ErrorKind.AUTHENTICATION, "Invalid API Key", "key"),
        _status(
            "openrouter_402",
            ErrorKind.BILLING,
            "requires more credits",
            "openrouter.ai/settings/credits",
            connection={"preset": "openrouter"},
        ),
        _status("anthropic_402", ErrorKind.BILLING, "credit balance is too low", "credits"),
        _status(
            "anthropic_402_billing",
            ErrorKind.BILLING,
            "billing or payment information",
            "console.anthropic.com/settings/billing",
            connection={"preset": "anthropic"},
        ),
        _status("openai_403", ErrorKind.ACCESS_DENIED, "does not have access", "permissions"),
        _status("anthropic_403", ErrorKind.ACCESS_DENIED, "permission", "another model"),
        _status("plain_404", ErrorKind.ENDPOINT_NOT_FOUND, "Nothing answers at", "base URL"),
        _status("openai_404_model", ErrorKind.MODEL_NOT_FOUND, "does not exist", "model"),
        _status("anthropic_404_model", ErrorKind.MODEL_NOT_FOUND, "claude-9-opus", "model"),
        _status(
            "ollama_404_model", ErrorKind.MODEL_NOT_FOUND, "not found", "ollama pull fake-small"
        ),
        _status("openrouter_400_model", ErrorKind.MODEL_NOT_FOUND, "not a valid model ID", "model"),
        _status("vllm_400", ErrorKind.MODEL_NOT_FOUND, "does not exist", "model"),
        _status(
            "openrouter_data_policy",
            ErrorKind.DATA_POLICY,
            "data policy",
            "https://openrouter.ai/settings/privacy",
        ),
        _status(
            "nginx_413",
            ErrorKind.REQUEST_TOO_LARGE,
            "request is too big",
            "fewer or shorter messages",
            absent=("model id", "web page"),
        ),
        _status(
            "anthropic_413",
            ErrorKind.REQUEST_TOO_LARGE,
            "request is too big",
            "smaller attachment",
            absent=("model id",),
        ),
        _status(
            "openai_429", ErrorKind.RATE_LIMITED, "Rate limit reached", "Wait 2 s", retry_after=2
        ),
        _status("anthropic_429", ErrorKind.RATE_LIMITED, "rate limit", "Wait 17 s", retry_after=17),
        _status("openai_500", ErrorKind.SERVER_ERROR, "had an error", "Try again"),
        _status("openai_503", ErrorKind.OVERLOADED, "overloaded", "Try again"),
        _status("envoy_503", ErrorKind.OVERLOADED, "upstream connect error", "Try again"),
        _status("anthropic_529", ErrorKind.OVERLOADED, "Overloaded", "Try again"),
        _status("anthropic_500", ErrorKind.SERVER_ERROR, "Internal server error", "Try again"),
        _status("plain_500", ErrorKind.SERVER_ERROR, "Internal Server Error", "Try again"),
        _status("html_502", ErrorKind.HTML_RESPONSE, "502 Bad Gateway", "proxy"),
        _status("html_200_login", ErrorKind.HTML_RESPONSE, "web page", "base URL"),
        _status(
            "openai_400_context",
            ErrorKind.CONTEXT_EXCEEDED,
            "maximum context length",
            "new conversation",
        ),
        _status(
            "llamacpp_400_context", ErrorKind.CONTEXT_EXCEEDED, "context", "larger context window"
        ),
        _status(
            "anthropic_400_context",
            ErrorKind.CONTEXT_EXCEEDED,
            "prompt is too long",
            "new conversation",
        ),
        _status(
            "openai_400_invalid",
            ErrorKind.INVALID_REQUEST,
            "Invalid value for 'temperature'",
            "settings",
        ),
        _status(
            "anthropic_400_invalid",
            ErrorKind.INVALID_REQUEST,
            "max_tokens: Field required",
            "settings",
        ),
        _status(
            "fastapi_detail", ErrorKind.INVALID_REQUEST, "missing field 'messages'", "settings"
        ),
        Fault(
            "cut",
            {"cut_after": 2},
            ErrorKind.STREAM_CUT,
            "closed in the middle",
            "kept",
            "one two ",
        ),
        Fault(
            "cut_before_text",
            {"cut_after": 0},
            ErrorKind.STREAM_CUT,
            "before any of the answer arrived",
            "try again",
            absent=_NOTHING_KEPT,
        ),
        Fault(
            "malformed",
            {"malformed_after": 3},
            ErrorKind.MALFORMED,
            "not valid JSON",
            "kept",
            "one two three ",
        ),
        Fault(
            "malformed_first",
            {"malformed_after": 0},
            ErrorKind.MALFORMED,
            "not valid JSON",
            "try again",
            absent=_NOTHING_KEPT,
        ),
        Fault(
            "stall",
            {"stall_after": 1, "stall_seconds": 30},
            ErrorKind.TIMEOUT,
            "stalled: nothing more arrived for 1 s",
            "read timeout",
            "one ",
            connection=_SLOW_READ,
        ),
        Fault(
            "slow_first_token",
            {"first_token_delay": 30},
            ErrorKind.TIMEOUT,
            "no text arrived in 1 s",
            "model is loaded",
            connection=_SLOW_READ,
            absent=(*_NOTHING_KEPT, "stalled"),
        ),
        Fault(
            "refused",
            {},
            ErrorKind.CANNOT_CONNECT,
            "connection refused",
            "Start the server",
            target="refused",
        ),
        Fault(
            "dns",
            {},
            ErrorKind.CANNOT_CONNECT,
            "Cannot find the host nonexistent.invalid (DNS lookup failed)",
            "spelling of the base URL's host",
            target="dns",
        ),
        Fault(
            "tls",
            {},
            ErrorKind.TLS,
            "could not be verified (certificate verify failed)",
            "CA bundle",
            target="tls",
        ),
        Fault(
            "connect_timeout",
            {},
            ErrorKind.TIMEOUT,
            "Could not connect to 127.0.0.1",
            "host and port",
            connection=_timeouts(connect=0.5),
            target="jammed",
        ),
        Fault(
            "proxy_down",
            {},
            ErrorKind.CANNOT_CONNECT,
            "Cannot reach the proxy 127.0.0.1",
            "NO_PROXY",
            absent=(PROXY_SECRET, "proxyuser"),
            target="proxy_down",
        ),
    ]
}

# Mid-stream error events differ per protocol (OpenRouter's error chunk, Anthropic's error event,
# a Responses `error` event).
MIDSTREAM: dict[Protocol, Fault] = {
    "openai": Fault(
        "midstream_error",
        {"midstream_error": "openrouter", "midstream_error_after": 2},
        ErrorKind.OVERLOADED,
        "upstream overloaded",
        "Try again",
        "one two ",
    ),
    "anthropic": Fault(
        "midstream_error",
        {"midstream_error": "anthropic_overloaded", "midstream_error_after": 3},
        ErrorKind.OVERLOADED,
        "Overloaded",
        "Try again",
        "one two three ",
    ),
    "openai-responses": Fault(
        "midstream_error",
        {"midstream_error": "responses_overloaded", "midstream_error_after": 2},
        ErrorKind.OVERLOADED,
        "The model is overloaded",
        "Try again",
        "one two ",
    ),
}

# The other ways a Responses stream fails after it began: `response.failed` (the failed
# Response's `error.code` says what went wrong), and an `error` event with a rate-limit code.
RESPONSES_STREAM_FAULTS: list[Fault] = [
    Fault(
        "response_failed",
        {"midstream_error": "responses_failed", "midstream_error_after": 1},
        ErrorKind.SERVER_ERROR,
        "server had an error while processing your request",
        "Try again",
        "one ",
    ),
    Fault(
        "response_failed_context",
        {"midstream_error": "responses_failed_context", "midstream_error_after": 0},
        ErrorKind.CONTEXT_EXCEEDED,
        "exceeds the context window",
        "new conversation",
        absent=_NOTHING_KEPT,
    ),
    Fault(
        "error_event_rate_limited",
        {"midstream_error": "responses_rate_limited", "midstream_error_after": 3},
        ErrorKind.RATE_LIMITED,
        "Rate limit reached for gpt-5",
        "Wait a moment",
        "one two three ",
    ),
]

# The driver table: every server-side fault on both protocols (socket faults have their own tests).
DRIVER_FAULTS: list[Fault] = [fault for fault in FAULTS.values() if fault.target == "server"]


@dataclass(frozen=True)
class Row:
    """One row of the fault matrix: a label, and the fault that stands for it on each protocol."""

    label: str
    openai: str
    anthropic: str

    def fault(self, protocol: Protocol) -> Fault:
        """The row's fault on `protocol` (OpenAI Responses stands with OpenAI's)."""
        return FAULTS[self.anthropic if protocol == "anthropic" else self.openai]


def _same(label: str, name: str) -> Row:
    return Row(label, name, name)


MATRIX: list[Row] = [
    _same("refused", "refused"),
    _same("DNS failure", "dns"),
    _same("TLS failure", "tls"),
    _same("connect timeout", "connect_timeout"),
    _same("slow first token", "slow_first_token"),
    _same("stall mid-answer", "stall"),
    _same("cut connection", "cut"),
    _same("malformed event", "malformed"),
    _same("HTML 502", "html_502"),
    Row("400", "openai_400_invalid", "anthropic_400_invalid"),
    Row("401", "openai_401", "anthropic_401"),
    Row("402", "openrouter_402", "anthropic_402_billing"),
    Row("403", "openai_403", "anthropic_403"),
    _same("404", "plain_404"),
    Row("model not found", "openai_404_model", "anthropic_404_model"),
    Row("context exceeded", "openai_400_context", "anthropic_400_context"),
    Row("413", "nginx_413", "anthropic_413"),
    Row("429 retry-after", "openai_429", "anthropic_429"),
    Row("500", "openai_500", "anthropic_500"),
    Row("503", "openai_503", "envoy_503"),
    _same("529", "anthropic_529"),
    _same("OpenRouter data policy", "openrouter_data_policy"),
    _same("proxy down", "proxy_down"),
]
MATRIX_CASES = [(protocol, row) for row in MATRIX for protocol in PROTOCOLS]


def matrix_id(case: tuple[Protocol, Row]) -> str:
    protocol, row = case
    return f"{protocol}-{row.label.replace(' ', '_')}"


# -- building a fault on real sockets, and healing it -----------------------------------------


@dataclass
class Scene:
    """One matrix row set up on loopback: the fake server, and the door or proxy in front of it.

    `connection` holds the Connection fields to save (base URL, timeouts, CA bundle, preset),
    `environment` the variables the client must run with (the proxy row sets HTTPS_PROXY and
    clears NO_PROXY). `heal()` makes the fault go away the way it would for real — the server
    recovers, the listener comes up, the proxy comes back — or, for faults that only the user can
    fix (a misspelt host, a missing CA bundle), returns the connection fields the fix changes.
    """

    protocol: Protocol
    fault: Fault
    server: FakeLLMServer
    door: Door | None = None
    connection: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

    def heal(self) -> dict[str, Any]:
        """Remove the fault; the Connection fields a user would change to fix it (often none)."""
        defaults = Behaviour()
        reset = {name: getattr(defaults, name) for name in self.fault.switches}
        self.server.configure(reply=HEALTHY_REPLY, **reset)
        target = self.fault.target
        if target in {"refused", "jammed", "proxy_down"}:
            assert self.door is not None
            self.door.open()
        if target == "jammed":
            # The 0.5 s connect timeout only makes the jam quick to see; a retry with it can time
            # out again on a loaded machine before the loop resumes. The retry uses the usual 5 s.
            return dict(_timeouts())
        if target == "dns":
            return {"base_url": self.server.base_url}
        if target == "tls":
            assert self.server.cert_path is not None
            return {"ca_bundle": str(self.server.cert_path)}
        return {}

    def went_through_proxy(self) -> bool:
        """Proxy row: the healed retry really went through the proxy (a CONNECT tunnel)."""
        return self.door is not None and self.door.proxy and self.door.relayed > 0


def _with_port(base_url: str, port: int, host: str = "127.0.0.1") -> str:
    scheme, rest = base_url.split("://", 1)
    path = rest.split("/", 1)[1] if "/" in rest else ""
    return f"{scheme}://{host}:{port}" + (f"/{path}" if path else "")


@contextlib.contextmanager
def scene(protocol: Protocol, fault: Fault) -> Iterator[Scene]:
    """Start what `fault` needs (stopped afterwards) and describe the connection to it."""
    tls = fault.target in {"tls", "proxy_down"}
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(
            FakeLLMServer(protocol=protocol, reply=REPLY, tls=tls, **fault.switches)
        )
        found = Scene(protocol, fault, server)
        connection: dict[str, Any] = {
            **_timeouts(),
            **fault.connection,
            "base_url": server.base_url,
        }
        if fault.target in {"refused", "jammed"}:
            found.door = stack.enter_context(Door(upstream=("127.0.0.1", server.port)))
            if fault.target == "jammed":
                found.door.jam()
            connection["base_url"] = _with_port(server.base_url, found.door.port)
        elif fault.target == "dns":
            # .invalid never resolves (RFC 6761): the lookup fails, no request is ever sent.
            connection["base_url"] = _with_port(server.base_url, server.port, "nonexistent.invalid")
        elif fault.target == "proxy_down":
            found.door = stack.enter_context(Door(proxy=True))
            assert server.cert_path is not None
            connection["ca_bundle"] = str(server.cert_path)
            proxy = f"http://proxyuser:{PROXY_SECRET}@{found.door.address}"
            # NO_PROXY must not exempt 127.0.0.1 here (the test fixtures set it to do so).
            found.environment = {"HTTPS_PROXY": proxy, "NO_PROXY": "", "no_proxy": ""}
        found.connection = connection
        yield found


# -- what a row showed, and printing the matrix -------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one row showed the user."""

    row: str
    protocol: str
    sentence: str
    fix: str
    kept: str
    retried: str


def check(fault: Fault, kind: str | None, sentence: str, fix: str, kept: str) -> None:
    """The row's assertions, the same whichever way the error reached the user."""
    if kind is not None:
        assert kind == fault.kind, (kind, sentence)
    assert fault.sentence.lower() in sentence.lower(), sentence
    assert fault.hint.lower() in fix.lower(), fix
    assert kept == fault.partial, (kept, fault.partial)
    for phrase in fault.absent:
        assert phrase.lower() not in sentence.lower(), sentence
        assert phrase.lower() not in fix.lower(), fix


def format_matrix(outcomes: list[Outcome], title: str) -> str:
    """The matrix in MATRIX order: one line per row (row, protocol, kept, retry), then the whole
    sentence and fix beneath it, unclipped, as the user read them."""
    order: dict[tuple[str, str], int] = {
        (row.label, protocol): i for i, (protocol, row) in enumerate(MATRIX_CASES)
    }
    rows = sorted(outcomes, key=lambda o: order.get((o.row, o.protocol), len(order)))
    label = max([len("row"), *(len(o.row) for o in rows)])
    lines = [title, f"{'row':<{label}} | protocol  | kept             | retry"]
    lines.append("-" * len(lines[-1]))
    for o in rows:
        lines.append(f"{o.row:<{label}} | {o.protocol:<9} | {o.kept!r:<16} | {o.retried}")
        lines.append(f"{'':<{label}}   sentence: {' '.join(o.sentence.split())}")
        lines.append(f"{'':<{label}}   fix:      {' '.join(o.fix.split())}")
    return "\n".join(lines)


def connection_fields(fields_: dict[str, Any]) -> dict[str, Any]:
    """Fields as a Connection takes them (a CA bundle as a Path)."""
    out = dict(fields_)
    if "ca_bundle" in out:
        out["ca_bundle"] = Path(out["ca_bundle"])
    return out


__all__ = [
    "DRIVER_FAULTS",
    "DRIVER_PROTOCOLS",
    "FAULTS",
    "MATRIX",
    "MATRIX_CASES",
    "MIDSTREAM",
    "PROTOCOLS",
    "RESPONSES_STREAM_FAULTS",
    "Fault",
    "Outcome",
    "Row",
    "Scene",
    "check",
    "format_matrix",
    "matrix_id",
    "scene",
]
