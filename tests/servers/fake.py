"""`FakeLLMServer`: a loopback HTTP server speaking OpenAI Chat Completions, Anthropic Messages,
OpenAI Responses (`/v1/responses`, written by responses.py) and Ollama's native model endpoints,
with switches for every fault a real endpoint shows.

Real sockets on 127.0.0.1 (a free port), real HTTP/1.1 with chunked transfer encoding, real SSE framing.
It runs in a background thread, so it serves sync tests, async tests, subprocess tests and benchmarks
alike. Every request is recorded (method, path, headers, JSON body) so tests can assert what reached it.

    with FakeLLMServer(reply="Hello there") as server:
        server.base_url            # OpenAI base, e.g. http://127.0.0.1:PORT/v1
        server.anthropic_base_url  # Anthropic base, e.g. http://127.0.0.1:PORT
        FakeLLMServer(protocol="openai-responses").base_url  # the OpenAI base: /v1/responses
        server.configure(cut_after=3)          # every later answer is cut after 3 text deltas
        server.queue(error="anthropic_529")    # only the next chat request fails with 529
        server.requests[-1].headers["x-api-key"]
        server.wait_for_disconnect(5)          # True once a client hung up mid-answer
        server.queue(reply="", tool_calls=(FakeToolCall("clock"),))  # the next answer calls a tool
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import ssl
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from tests.servers import responses
from tests.servers.bodies import ERRORS, MIDSTREAM_ERRORS, ErrorResponse
from tests.servers.catalog import (
    DEFAULT_MODELS,
    FakeModel,
    anthropic_page,
    llamacpp_list,
    ollama_show,
    ollama_tags,
    openai_list,
    openrouter_list,
)
from tests.servers.prompt_cache import PromptCacheModel
from tests.servers.tool_calls import (
    FakeToolCall,
    ToolStyle,
    anthropic_block,
    openai_deltas,
    openai_message_calls,
    pieces,
)

ModelListStyle = Literal["auto", "openai", "openrouter", "llamacpp", "anthropic"]


@dataclass(frozen=True)
class FakeUsage:
    """What the server reports as usage; `output_tokens=None` means "count the text deltas"."""

    input_tokens: int = 12
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost: float | None = None  # OpenRouter's usage.cost, USD
    cache_write_tokens: int | None = None


@dataclass(frozen=True)
class Behaviour:
    """How the server answers a chat request. Every field is a switch a test can flip."""

    reply: str = "Hello from the fake server."
    reasoning: str = ""
    reasoning_field: Literal["reasoning", "reasoning_content"] = "reasoning"
    chunk_size: int = 0  # characters per text delta; 0 splits into words
    first_token_delay: float = 0.0  # seconds before the first event
    delay: float = 0.0  # seconds between deltas
    stall_after: int | None = None  # go silent after this many text deltas...
    stall_seconds: float = 3600.0  # ...for this long (or until the client hangs up)
    cut_after: int | None = None  # drop the connection after this many text deltas
    malformed_after: int | None = None  # send a broken JSON event after this many text deltas
    midstream_error: str | None = None  # key of MIDSTREAM_ERRORS, sent after...
    midstream_error_after: int = 1  # ...this many text deltas
    error: str | ErrorResponse | None = (
        None  # key of ERRORS (or a response): answer with it instead
    )
    retry_after: str | None = None  # overrides the error's retry-after header
    finish_reason: str | None = None  # default: "stop" / "end_turn"
    usage: FakeUsage | None = field(default_factory=FakeUsage)
    usage_style: Literal["empty_choices", "empty_delta"] = "empty_choices"
    keepalive: bool = False  # OpenRouter's ": OPENROUTER PROCESSING" comments between events
    ping: bool = True  # Anthropic ping events
    crlf: bool = False  # CRLF line endings in the SSE stream
    split_bytes: int = 0  # write every event in pieces of this many bytes (0: whole events)
    role_first: bool = True  # OpenAI: a first delta carrying only the role
    redirect_to: str | None = None  # answer 307 with Location = redirect_to + path
    json_response: bool = False  # ignore stream: true and answer one JSON document
    require_key: str | None = None  # 401 unless this key arrives (Bearer or x-api-key)
    model_list: ModelListStyle | None = "auto"  # None: no model list (404)
    echo: bool = False  # reply with the last user message's text (for round-trip tests)
    hang_up: bool = False  # close the connection without any response (a crashed server)
    reject_fields: tuple[str, ...] = ()  # 422 (Mistral-style) when the body has any of these keys
    tool_calls: tuple[FakeToolCall, ...] = ()  # answer with these calls, after `reply` (if any)
    tool_style: ToolStyle = "openai"  # how the calls travel (see tool_calls.py)
    tool_chunk: int = 0  # characters of arguments per event (1: one per byte); 0: all at once
    error_if_tools: str | None = None  # key of ERRORS, answered only to a body with `tools`
    # Like a model: answer a request that ends with tool results with text only (`reply`), so
    # a chat loop against a server configured with `tool_calls` ends after one round.
    tools_until_results: bool = False
    # Bill input as a caching server would, from the request's cache_control breakpoints
    # (tests/servers/prompt_cache.py); replaces the input and cache counts of `usage`.
    prompt_cache: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it. Header names are lower-case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any

    @property
    def is_chat(self) -> bool:
        return self.path.endswith(("/chat/completions", "/v1/messages", "/v1/responses"))


class _Disconnected(Exception):
    """The client hung up (the user pressed Esc, or the test cancelled)."""


class _QuietHTTPServer(ThreadingHTTPServer):
    """Clients hanging up on a keep-alive connection are normal here, not worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError | ssl.SSLError):
            return
        super().handle_error(request, client_address)


class FakeLLMServer:
    """A threaded loopback LLM server. Use as a context manager, or call start()/stop()."""

    def __init__(
        self,
        behaviour: Behaviour | None = None,
        *,
        models: list[FakeModel] | None = None,
        page_size: int = 20,
        prefix: str = "",
        protocol: Literal["openai", "anthropic", "openai-responses"] = "openai",
        port: int = 0,
        tls: bool = False,
        **switches: Any,
    ) -> None:
        self._wanted_port = port
        self.tls_context: ssl.SSLContext | None = None
        self.cert_path: Path | None = None  # the CA to trust, when tls=True
        if tls:
            from tests.servers.tls import self_signed_cert

            self.cert_path, key_path = self_signed_cert()
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(self.cert_path, key_path)
        self.behaviour = replace(behaviour or Behaviour(), **switches)
        self.models: list[FakeModel] = list(DEFAULT_MODELS if models is None else models)
        self.page_size = page_size
        self.prefix = prefix.rstrip("/")
        self.protocol = protocol
        self.requests: list[RecordedRequest] = []
        self.prompt_cache = PromptCacheModel()
        self.disconnects = 0
        self._queued: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._disconnected = threading.Event()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeLLMServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = _QuietHTTPServer(("127.0.0.1", self._wanted_port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the server first"
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        scheme = "https" if self.tls_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.root_url}{self.prefix}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"{self.root_url}{self.prefix}"

    @property
    def base_url(self) -> str:
        """The base URL for this server's `protocol` (what goes in a Connection): both OpenAI
        protocols share one base."""
        return self.anthropic_base_url if self.protocol == "anthropic" else self.openai_base_url

    # -- switches --------------------------------------------------------------------------------

    def configure(self, **switches: Any) -> None:
        """Change how every later request is answered."""
        with self._lock:
            self.behaviour = replace(self.behaviour, **switches)

    def queue(self, **switches: Any) -> None:
        """Answer only the next chat request with these switches (on top of the current behaviour)."""
        with self._lock:
            self._queued.append(replace(self.behaviour, **switches))

    def _behaviour_for(self, is_chat: bool) -> Behaviour:
        with self._lock:
            if is_chat and self._queued:
                return self._queued.popleft()
            return self.behaviour

    @staticmethod
    def _settled(behaviour: Behaviour, request: RecordedRequest) -> Behaviour:
        """No calls for a request that carries tool results, when the behaviour says so."""
        if behaviour.tools_until_results and ends_with_tool_results(request.json):
            return replace(behaviour, tool_calls=())
        return behaviour

    # -- observations ----------------------------------------------------------------------------

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.is_chat]

    def wait_for_disconnect(self, timeout: float = 10.0) -> bool:
        """True once a client has hung up in the middle of an answer."""
        return self._disconnected.wait(timeout)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _note_disconnect(self) -> None:
        with self._lock:
            self.disconnects += 1
        self._disconnected.set()


def ends_with_tool_results(body: Any) -> bool:
    """The request's last turn holds tool results (OpenAI `tool` messages, Anthropic
    `tool_result` blocks, a Responses `function_call_output` item)."""
    if responses.ends_with_tool_results(body):
        return True
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return False
    last = messages[-1]
    if last.get("role") == "tool":
        return True
    content = last.get("content")
    return isinstance(content, list) and any(
        isinstance(block, dict) and block.get("type") == "tool_result" for block in content
    )


def _split_text(text: str, chunk_size: int) -> list[str]:
    if not text:
        return []
    if chunk_size > 0:
        return [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
    return re.findall(r"\S+\s*|\s+", text)


class _Handler(BaseHTTPRequestHandler):
    """Routes one request; the class attribute `fake` is the owning FakeLLMServer."""

    fake: FakeLLMServer
    protocol_version = "HTTP/1.1"
    server_version = "FakeLLM/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        if self.fake.tls_context is not None:
            self.request = self.fake.tls_context.wrap_socket(self.request, server_side=True)
        super().setup()

    # -- plumbing --------------------------------------------------------------------------------

    def _read_request(self) -> RecordedRequest:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        return RecordedRequest(self.command, parts.path, query, headers, body, payload)

    def _send_body(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _send_json(self, status: int, payload: Any) -> None:
        self._send_body(status, json.dumps(payload).encode(), "application/json")

    def _not_found(self) -> None:
        self._send_body(404, b"404 page not found", "text/plain; charset=utf-8")

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _write_chunk(self, data: bytes) -> None:
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            raise _Disconnected from None

    def _write(self, behaviour: Behaviour, text: str) -> None:
        if behaviour.crlf:
            text = text.replace("\n", "\r\n")
        data = text.encode()
        step = behaviour.split_bytes or len(data)
        for start in range(0, len(data), step):
            self._write_chunk(data[start : start + step])

    def _event(self, behaviour: Behaviour, payload: Any, event: str | None = None) -> None:
        head = f"event: {event}\n" if event else ""
        self._write(behaviour, f"{head}data: {json.dumps(payload)}\n\n")

    def _client_gone(self) -> bool:
        if isinstance(self.connection, ssl.SSLSocket):
            return False  # cannot peek under TLS; stalls end by timeout or server stop
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable:
                return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True
        return False

    def _sleep(self, seconds: float) -> None:
        """Wait, noticing a client that hangs up meanwhile (so tests can see Esc close the stream)."""
        deadline = time.monotonic() + seconds
        while True:
            if self._client_gone():
                raise _Disconnected
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.fake._stopping.is_set():
                return
            time.sleep(min(0.02, remaining))

    def _end_stream(self) -> None:
        self._write_chunk(b"")

    def _cut(self) -> None:
        """Drop the connection mid-answer, without the terminating chunk."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- routing ---------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        request = self._read_request()
        self.fake._record(request)
        path = request.path
        prefix = self.fake.prefix
        if prefix:
            if not path.startswith(prefix + "/"):
                self._not_found()
                return
            path = path[len(prefix) :]
        is_chat = path in {"/v1/chat/completions", "/v1/messages", "/v1/responses"}
        behaviour = self.fake._settled(self.fake._behaviour_for(is_chat), request)
        if behaviour.prompt_cache and is_chat:
            count = self.fake.prompt_cache.count(request.json, anthropic=path == "/v1/messages")
            usage = replace(
                behaviour.usage or FakeUsage(),
                input_tokens=count.input_tokens,
                cached_tokens=count.read,
                cache_write_tokens=count.written,
            )
            behaviour = replace(behaviour, usage=usage)
        if behaviour.hang_up and is_chat:
            self._cut()
            return
        if behaviour.redirect_to:
            self._send_body(
                307, b"", "text/plain", {"Location": behaviour.redirect_to.rstrip("/") + path}
            )
            return
        try:
            if (
                behaviour.require_key
                and path.startswith("/v1/")
                and not self._authorised(request, behaviour.require_key)
            ):
                name = "anthropic_401" if path == "/v1/messages" else "openai_401"
                self._send_error(behaviour, ERRORS[name])
            elif path == "/v1/chat/completions" and request.method == "POST":
                self._openai_chat(request, behaviour)
            elif path == "/v1/messages" and request.method == "POST":
                self._anthropic_chat(request, behaviour)
            elif path == "/v1/responses" and request.method == "POST":
                responses.answer(self, request, behaviour)
            elif path == "/v1/models" and request.method == "GET":
                self._models(request, behaviour)
            elif path == "/api/tags" and request.method == "GET":
                self._send_json(200, ollama_tags(self.fake.models))
            elif path == "/api/show" and request.method == "POST":
                self._ollama_show(request)
            else:
                self._not_found()
        except _Disconnected:
            self.close_connection = True
            self.fake._note_disconnect()

    @staticmethod
    def _authorised(request: RecordedRequest, key: str) -> bool:
        return request.headers.get("authorization") == f"Bearer {key}" or (
            request.headers.get("x-api-key") == key
        )

    def _send_error(self, behaviour: Behaviour, response: ErrorResponse) -> None:
        headers = dict(response.headers)
        if behaviour.retry_after is not None:
            headers["retry-after"] = behaviour.retry_after
        self._send_body(response.status, response.body, response.content_type, headers)

    def _error_for(self, behaviour: Behaviour) -> ErrorResponse | None:
        if behaviour.error is None:
            return None
        return ERRORS[behaviour.error] if isinstance(behaviour.error, str) else behaviour.error

    # -- model lists -----------------------------------------------------------------------------

    def _models(self, request: RecordedRequest, behaviour: Behaviour) -> None:
        style = behaviour.model_list
        if style is None:
            self._not_found()
            return
        models = self.fake.models
        if style == "auto":
            style = "anthropic" if "anthropic-version" in request.headers else "openai"
        if style == "anthropic":
            limit = int(request.query.get("limit", self.fake.page_size))
            limit = min(limit, self.fake.page_size)
            payload = anthropic_page(models, after_id=request.query.get("after_id"), limit=limit)
        elif style == "openrouter":
            payload = openrouter_list(models)
        elif style == "llamacpp":
            payload = llamacpp_list(models)
        else:
            payload = openai_list(models)
        self._send_json(200, payload)

    def _ollama_show(self, request: RecordedRequest) -> None:
        body = request.json if isinstance(request.json, dict) else {}
        wanted = body.get("model") or body.get("name")
        model = next((m for m in self.fake.models if m.id == wanted), None)
        if model is None:
            self._send_json(404, {"error": f"model '{wanted}' not found"})
        else:
            self._send_json(200, ollama_show(model))

    # -- chat ------------------------------------------------------------------------------------

    def _reply_text(self, request: RecordedRequest, behaviour: Behaviour) -> str:
        if not behaviour.echo:
            return behaviour.reply
        messages = (request.json or {}).get("messages", [])
        for message in reversed(messages):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    return "".join(part.get("text", "") for part in content)
                return str(content)
        return ""

    def _rejected_field(self, request: RecordedRequest, behaviour: Behaviour) -> bool:
        """Strict servers (Mistral, some vLLM builds) refuse body fields they do not know."""
        body = request.json if isinstance(request.json, dict) else {}
        extra = [name for name in behaviour.reject_fields if name in body]
        if not extra:
            return False
        detail = [
            {
                "type": "extra_forbidden",
                "loc": ["body", name],
                "msg": "Extra inputs are not permitted",
                "input": body[name],
            }
            for name in extra
        ]
        self._send_json(
            422,
            {
                "object": "error",
                "message": {"detail": detail},
                "type": "invalid_request_message_error",
                "param": None,
                "code": None,
            },
        )
        return True

    def _openai_chat(self, request: RecordedRequest, behaviour: Behaviour) -> None:
        error = self._error_for(behaviour)
        if behaviour.error_if_tools and "tools" in (request.json or {}):
            error = ERRORS[behaviour.error_if_tools]
        if error is not None:
            self._send_error(behaviour, error)
            return
        if self._rejected_field(request, behaviour):
            return
        body = request.json or {}
        model = body.get("model", "fake-small")
        text = self._reply_text(request, behaviour)
        pieces = _split_text(text, behaviour.chunk_size)
        reasoning = _split_text(behaviour.reasoning, behaviour.chunk_size)
        calls = behaviour.tool_calls
        default_finish = "stop" if not calls or behaviour.tool_style == "ollama" else "tool_calls"
        finish = behaviour.finish_reason or default_finish
        usage = self._openai_usage(behaviour, len(pieces))
        if behaviour.json_response or body.get("stream") is not True:
            message: dict[str, Any] = {"role": "assistant", "content": text or None}
            if not calls:
                message["content"] = text
            if behaviour.reasoning:
                message[behaviour.reasoning_field] = behaviour.reasoning
            if calls:
                message["tool_calls"] = openai_message_calls(calls)
            payload: dict[str, Any] = {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            }
            if usage is not None:
                payload["usage"] = usage
            self._send_json(200, payload)
            return

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }

        self._start_stream()
        if behaviour.keepalive:
            self._write(behaviour, ": OPENROUTER PROCESSING\n\n")
        self._sleep(behaviour.first_token_delay)
        if behaviour.role_first:
            self._event(behaviour, chunk({"role": "assistant", "content": ""}))
        for piece in reasoning:
            self._event(behaviour, chunk({behaviour.reasoning_field: piece}))
            self._sleep(behaviour.delay)
        if not self._text_deltas(behaviour, pieces, lambda p: (chunk({"content": p}), None)):
            return
        for tool_delta in openai_deltas(calls, behaviour.tool_style, behaviour.tool_chunk):
            self._event(behaviour, chunk({"tool_calls": tool_delta}))
            self._sleep(behaviour.delay)
        self._event(behaviour, chunk({}, finish))
        if usage is not None:
            final: dict[str, Any] = chunk({})
            if behaviour.usage_style == "empty_choices":
                final["choices"] = []
            final["usage"] = usage
            self._event(behaviour, final)
        self._write(behaviour, "data: [DONE]\n\n")
        self._end_stream()

    def _text_deltas(
        self, behaviour: Behaviour, pieces: list[str], make: Any, *, anthropic: bool = False
    ) -> bool:
        """Send the text deltas with the configured faults; False when the stream ended early."""
        for index in range(len(pieces) + 1):
            if behaviour.cut_after == index:
                self._cut()
                return False
            if behaviour.stall_after == index:
                self._sleep(behaviour.stall_seconds)
            if behaviour.malformed_after == index:
                event = "event: content_block_delta\n" if anthropic else ""
                self._write(behaviour, f'{event}data: {{"choices": [{{"delta": {{"cont\n\n')
            if behaviour.midstream_error is not None and behaviour.midstream_error_after == index:
                name, payload = MIDSTREAM_ERRORS[behaviour.midstream_error]
                self._event(behaviour, payload, name)
                if anthropic:
                    self._end_stream()
                else:
                    self._write(behaviour, "data: [DONE]\n\n")
                    self._end_stream()
                return False
            if index == len(pieces):
                return True
            self._event(behaviour, *make(pieces[index]))
            if behaviour.keepalive and index % 3 == 2:
                self._write(behaviour, ": OPENROUTER PROCESSING\n\n")
            self._sleep(behaviour.delay)
        return True

    @staticmethod
    def _openai_usage(behaviour: Behaviour, pieces: int) -> dict[str, Any] | None:
        usage = behaviour.usage
        if usage is None:
            return None
        output = usage.output_tokens if usage.output_tokens is not None else pieces
        payload: dict[str, Any] = {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": output,
            "total_tokens": usage.input_tokens + output,
        }
        details = {
            name: value
            for name, value in (
                ("cached_tokens", usage.cached_tokens),
                ("cache_write_tokens", usage.cache_write_tokens),
            )
            if value is not None
        }
        if details:
            payload["prompt_tokens_details"] = details
        if usage.reasoning_tokens is not None:
            payload["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
        if usage.cost is not None:
            payload["cost"] = usage.cost
        return payload

    def _anthropic_chat(self, request: RecordedRequest, behaviour: Behaviour) -> None:
        error = self._error_for(behaviour)
        if behaviour.error_if_tools and "tools" in (request.json or {}):
            error = ERRORS[behaviour.error_if_tools]
        if error is not None:
            self._send_error(behaviour, error)
            return
        body = request.json or {}
        model = body.get("model", "fake-small")
        text = self._reply_text(request, behaviour)
        pieces = _split_text(text, behaviour.chunk_size)
        reasoning = _split_text(behaviour.reasoning, behaviour.chunk_size)
        calls = behaviour.tool_calls
        stop = behaviour.finish_reason or ("tool_use" if calls else "end_turn")
        usage = behaviour.usage or FakeUsage()
        output = usage.output_tokens if usage.output_tokens is not None else len(pieces)
        if behaviour.json_response or body.get("stream") is not True:
            content = []
            if behaviour.reasoning:
                content.append({"type": "thinking", "thinking": behaviour.reasoning})
            if text or not calls:
                content.append({"type": "text", "text": text})
            content.extend(anthropic_block(call, n, whole=True) for n, call in enumerate(calls))
            self._send_json(
                200,
                {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": content,
                    "stop_reason": stop,
                    "usage": {"input_tokens": usage.input_tokens, "output_tokens": output},
                },
            )
            return
        self._start_stream()
        self._sleep(behaviour.first_token_delay)
        start_usage: dict[str, Any] = {"input_tokens": usage.input_tokens, "output_tokens": 1}
        if usage.cached_tokens is not None:
            start_usage["cache_read_input_tokens"] = usage.cached_tokens
        if usage.cache_write_tokens is not None:
            start_usage["cache_creation_input_tokens"] = usage.cache_write_tokens
        self._event(
            behaviour,
            {
                "type": "message_start",
                "message": {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start_usage,
                },
            },
            "message_start",
        )
        index = 0
        if reasoning:
            self._event(
                behaviour,
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "thinking", "thinking": ""},
                },
                "content_block_start",
            )
            for piece in reasoning:
                self._event(
                    behaviour,
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "thinking_delta", "thinking": piece},
                    },
                    "content_block_delta",
                )
                self._sleep(behaviour.delay)
            self._event(
                behaviour,
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM"},
                },
                "content_block_delta",
            )
            self._event(behaviour, {"type": "content_block_stop", "index": 0}, "content_block_stop")
            index = 1
        with_text = bool(text) or not calls
        if with_text:
            self._event(
                behaviour,
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {"type": "text", "text": ""},
                },
                "content_block_start",
            )
        if behaviour.ping:
            self._event(behaviour, {"type": "ping"}, "ping")

        def delta(piece: str) -> tuple[dict[str, Any], str]:
            return (
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                },
                "content_block_delta",
            )

        if not self._text_deltas(behaviour, pieces, delta, anthropic=True):
            return
        if with_text:
            self._event(
                behaviour, {"type": "content_block_stop", "index": index}, "content_block_stop"
            )
            index += 1
        self._anthropic_tool_blocks(behaviour, index)
        self._event(
            behaviour,
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": output},
            },
            "message_delta",
        )
        self._event(behaviour, {"type": "message_stop"}, "message_stop")
        self._end_stream()

    def _anthropic_tool_blocks(self, behaviour: Behaviour, first: int) -> None:
        """Each call as a tool_use block: start, its input in fragments, stop."""
        whole = behaviour.tool_style == "whole"
        for n, call in enumerate(behaviour.tool_calls):
            index = first + n
            self._event(
                behaviour,
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": anthropic_block(call, n, whole=whole),
                },
                "content_block_start",
            )
            fragments = [] if whole else ["", *pieces(call.arguments, behaviour.tool_chunk)]
            for fragment in fragments:
                self._event(
                    behaviour,
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": fragment},
                    },
                    "content_block_delta",
                )
                self._sleep(behaviour.delay)
            self._event(
                behaviour, {"type": "content_block_stop", "index": index}, "content_block_stop"
            )
