"""The HTTP plumbing every driver shares: one pooled `httpx.AsyncClient` per connection, streaming
with the error body read before it becomes an error, and JSON GETs for model lists.

Choices made here on purpose:
* `follow_redirects=False`: a redirect would carry the key to an address the user never configured;
  it becomes an error naming the new address instead.
* `trust_env=True`: HTTPS_PROXY / NO_PROXY / SSL_CERT_FILE from the environment are honoured, as
  people behind company proxies expect. The key itself is never read from the environment here.
  `environment_proxy` works out which proxy (and which variable) httpx picks for a URL, so a dead
  proxy is named in the error instead of the server it stood in front of.
* Explicit timeouts from the connection; `read` is the longest silence tolerated mid-stream.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import re
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol

import certifi
import httpx

from craft_tui import __version__
from craft_tui.config.protocols import get_protocol
from craft_tui.config.schema import Connection
from craft_tui.providers.error_mapping import (
    KEY_IN_APP,
    EnvProxy,
    ErrorContext,
    error_from_exception,
    error_from_response,
    error_from_stream_payload,
    malformed_event_error,
    reason_from_body,
)
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.limits import AnswerLimit
from craft_tui.providers.sse import Event, EventTooLarge, iter_events
from craft_tui.providers.types import ChatRequest, ReasoningDelta, StreamEvent, TextDelta

USER_AGENT = f"craft-tui/{__version__}"
log = logging.getLogger(__name__)
_MAX_ERROR_BODY = 64 * 1024
_SENDABLE_KEY = re.compile(r"[\x21-\x7e]+")  # visible ASCII, no spaces


def _verify(connection: Connection) -> ssl.SSLContext | bool:
    """Trust the system store (and SSL_CERT_FILE), certifi's bundle, and the connection's CA.

    The system store alone is empty on some Python builds (macOS python.org); certifi alone lacks a
    company's own CA. Both together, plus the connection's bundle, is what just works.
    """
    if not connection.verify_tls:
        return False
    bundle = connection.ca_bundle
    stamp = bundle.stat().st_mtime_ns if bundle is not None and bundle.exists() else None
    return _trust(str(bundle) if bundle is not None else None, stamp)


@functools.lru_cache(maxsize=16)
def _trust(ca_bundle: str | None, stamp: int | None) -> ssl.SSLContext:
    """Loading CA stores costs ~80 ms, so contexts are shared (keyed by the bundle and its mtime)."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=certifi.where())
    if ca_bundle is not None:
        context.load_verify_locations(cafile=ca_bundle)
    return context


_DEFAULT_PORTS = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}


def _proxy_variables(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """scheme -> (variable name, value), chosen as `urllib.request.getproxies_environment` does
    (what httpx reads): any case counts, an all-lowercase `_proxy` suffix wins, and an empty
    lowercase one removes the scheme. Under CGI (REQUEST_METHOD set) `HTTP_PROXY` is ignored."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in environ.items():
        if value and name.lower().endswith("_proxy"):
            found[name.lower()[:-6]] = (name, value)
    if "REQUEST_METHOD" in environ:
        found.pop("http", None)
    for name, value in environ.items():
        if name.endswith("_proxy"):
            if value:
                found[name.lower()[:-6]] = (name, value)
            else:
                found.pop(name.lower()[:-6], None)
    return found


@functools.lru_cache(maxsize=64)
def _pattern(key: str) -> tuple[str, re.Pattern[str] | None, int | None, tuple[int, int, int]]:
    """A mount key of httpx (`https://`, `all://*example.com`, ...) as (scheme, host regex, port,
    priority), matched and ordered as httpx's URLPattern does."""
    url = httpx.URL(key)
    scheme = "" if url.scheme == "all" else url.scheme
    host = "" if url.host == "*" else url.host
    regex: re.Pattern[str] | None = None
    if host.startswith("*."):
        regex = re.compile(f"^.+\\.{re.escape(host[2:])}$")
    elif host.startswith("*"):
        regex = re.compile(f"^(.+\\.)?{re.escape(host[1:])}$")
    elif host:
        regex = re.compile(f"^{re.escape(host)}$")
    priority = (0 if url.port is not None else 1, -len(host), -len(scheme))
    return scheme, regex, url.port, priority


def _is_ip(text: str, version: type[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    try:
        version(text.split("/")[0])
    except ValueError:
        return False
    return True


def environment_proxy(url: str, environ: Mapping[str, str] | None = None) -> EnvProxy | None:
    """The proxy an httpx client with `trust_env=True` uses for `url`, and the variable it came
    from; None when it connects directly (no proxy variable, or NO_PROXY exempts the host).

    This mirrors httpx's own choice (`get_environment_proxies` and the sorted mounts): errors may
    blame the proxy only when requests really go through it. tests/providers/test_proxy.py checks
    the two agree.
    """
    env = os.environ if environ is None else environ
    found = _proxy_variables(env)
    mounts: dict[str, tuple[str, str] | None] = {}
    for scheme in ("http", "https", "all"):
        if scheme in found:
            mounts[f"{scheme}://"] = found[scheme]
    no_proxy = [entry.strip() for entry in found.get("no", ("", ""))[1].split(",")]
    for entry in no_proxy:
        if entry == "*":
            return None
        if not entry:
            continue
        if "://" in entry:
            mounts[entry] = None
        elif _is_ip(entry, ipaddress.IPv4Address) or entry.lower() == "localhost":
            mounts[f"all://{entry}"] = None
        elif _is_ip(entry, ipaddress.IPv6Address):
            mounts[f"all://[{entry}]"] = None
        else:
            mounts[f"all://*{entry}"] = None
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL:
        return None  # the request fails on the URL itself, and the error says so
    patterns = []
    for key, value in mounts.items():
        try:
            patterns.append((_pattern(key), value))
        except (httpx.InvalidURL, ValueError):
            continue  # httpx would refuse to build the client; nothing to blame here
    for (scheme, regex, port, _), value in sorted(patterns, key=lambda item: item[0][3]):
        if scheme and scheme != target.scheme:
            continue
        if regex is not None and not regex.match(target.host):
            continue
        if port is not None and port != target.port:
            continue
        if value is None:
            return None
        try:
            return EnvProxy(variable=value[0], address=_address(value[1]))
        except httpx.InvalidURL:
            return EnvProxy(variable=value[0], address="(unreadable address)")
    return None


def _address(proxy_url: str) -> str:
    """`host:port` of a proxy URL, never its `user:password@` part."""
    url = httpx.URL(proxy_url if "://" in proxy_url else f"http://{proxy_url}")
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = url.port or _DEFAULT_PORTS.get(url.scheme)
    return f"{host}:{port}" if port else host


def build_client(connection: Connection) -> httpx.AsyncClient:
    """The pooled client for one connection: its TLS settings, timeouts, headers and proxy env."""
    timeouts = connection.timeouts
    try:
        verify = _verify(connection)
    except (OSError, ssl.SSLError) as error:
        raise ProviderError(
            ErrorKind.TLS,
            f"The CA bundle {connection.ca_bundle} cannot be loaded ({error.__class__.__name__}).",
            "Point the connection's CA bundle at a readable PEM file.",
        ) from None
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT, **connection.headers},
        timeout=httpx.Timeout(
            connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
        ),
        verify=verify,
        trust_env=True,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
    )


class StreamParser(Protocol):
    """Turns one protocol's SSE events into neutral events; `done` once the answer is complete.

    `arrived` is set by the streaming loop once it has handed over some text or reasoning, so a
    parser's own errors (a malformed event, a stream that never finished) say whether anything is
    kept — and never claim so when nothing arrived.
    """

    done: bool
    arrived: bool

    def feed(self, event: Event) -> list[StreamEvent]: ...

    def finish(self) -> StreamEvent: ...


class HttpDriver:
    """What both drivers share: the connection, its client, its key (kept out of every repr),
    and the streaming loop. A protocol supplies its body, parser and whole-answer reader; its URLs
    and auth header come from the connection's registry entry (`wire`), so one driver class can
    serve two protocols that differ only there.
    """

    def __init__(
        self,
        connection: Connection,
        api_key: str | None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.connection = connection
        self.wire = get_protocol(connection.protocol)
        self.__key = api_key
        self._client = client or build_client(connection)
        # The client read the proxy variables when it was built; read them now, too, so errors
        # name the proxy this client really uses for the connection's URL.
        self._proxy = environment_proxy(connection.base_url) if self._client.trust_env else None

    def __repr__(self) -> str:
        key = "set" if self.__key else "none"
        return f"{type(self).__name__}(connection={self.connection.slug!r}, base_url={self.connection.base_url!r}, key={key})"

    @property
    def _key(self) -> str | None:
        """The key, checked to be sendable in a header (a pasted key may hide odd characters)."""
        key = self.__key
        if key is not None and not _SENDABLE_KEY.fullmatch(key):
            raise ProviderError(
                ErrorKind.AUTHENTICATION,
                "The stored key contains characters that cannot be sent in an HTTP header "
                "(spaces, line breaks, or non-ASCII characters from copy and paste).",
                f"Paste the key again: craft-tui connection key {self.connection.slug} --api-key-stdin.",
                app_hint=f"Paste the key again {KEY_IN_APP}.",
            )
        return key

    def _context(self, model: str | None = None) -> ErrorContext:
        connection = self.connection
        return ErrorContext(
            protocol=connection.protocol,
            base_url=connection.base_url,
            model=model,
            preset=connection.preset,
            slug=connection.slug,
            auth_type=connection.auth.type,
            read_timeout=connection.timeouts.read,
            connect_timeout=connection.timeouts.connect,
            secret=self.__key,
            proxy=self._proxy,
            key_command=getattr(connection.auth, "api_key_cmd", None),
            key_variable=getattr(connection.auth, "api_key_env", None),
        )

    def _auth_headers(self) -> dict[str, str]:
        """The key as the connection's auth says: `bearer` always as `Authorization: Bearer`,
        `api_key` in the protocol's own header (`WireProtocol.key_header`), `none` not at all."""
        key = self._key
        auth = self.connection.auth.type
        if not key or auth == "none":
            return {}
        if auth == "api_key" and self.wire.key_header == "x-api-key":
            return {"x-api-key": key}
        return {"Authorization": f"Bearer {key}"}

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        """The protocol's JSON body for `request`; overridden per protocol."""
        raise NotImplementedError

    def _new_parser(self, ctx: ErrorContext, limit: AnswerLimit | None = None) -> StreamParser:
        """A fresh parser for one answer's events; overridden per protocol. `limit` is the
        answer's cap, which the parser charges with tool arguments while it collects them."""
        raise NotImplementedError

    def _events_from_answer(self, payload: dict[str, Any], ctx: ErrorContext) -> list[StreamEvent]:
        """The events of a complete (non-streamed) answer document; overridden per protocol."""
        raise NotImplementedError

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Yield the answer's events; a fault after some text raises only after that text.

        Past `request.max_answer_bytes` the delta that crosses it is trimmed and yielded, and
        `ANSWER_TOO_LONG` is raised inside the response's context: the response is closed right
        there, whoever consumes the stream (see providers/limits.py).
        """
        ctx = self._context(request.model)
        url = self.wire.urls.chat_url(self.connection.base_url)
        limit = AnswerLimit(request.max_answer_bytes)
        async with self._stream(url, self.build_body(request), ctx) as response:
            content_type = response.headers.get("content-type", "").lower()
            if "json" in content_type:
                try:
                    events = await self._whole_answer(response, ctx, limit.max_line_bytes)
                except EventTooLarge:
                    raise limit.error() from None
                for event in events:
                    kept = limit.admit(event)
                    if kept is not None:
                        yield kept
                    if limit.reached:
                        raise limit.error()
                return
            if "html" in content_type:
                raise ProviderError(
                    ErrorKind.HTML_RESPONSE,
                    "Got a web page instead of the API's answer; a proxy or login page answered.",
                    "Check the base URL points at the API, and any company proxy settings.",
                    status=response.status_code,
                )
            parser = self._new_parser(ctx, limit)
            try:
                async for sse_event in iter_events(response, max_line_bytes=limit.max_line_bytes):
                    for item in parser.feed(sse_event):
                        if isinstance(item, TextDelta | ReasoningDelta) and item.text:
                            parser.arrived = True
                        kept = limit.admit(item)
                        if kept is not None:
                            yield kept
                        if limit.reached:
                            raise limit.error()
                    if parser.done:
                        break
            except EventTooLarge:
                raise limit.error() from None
            except httpx.HTTPError as error:
                raise error_from_exception(
                    error, ctx, mid_stream=True, arrived=parser.arrived
                ) from None
            yield parser.finish()

    async def _whole_answer(
        self, response: httpx.Response, ctx: ErrorContext, max_bytes: int | None = None
    ) -> list[StreamEvent]:
        """A server or gateway that ignored `stream: true`: one JSON document holds the answer.

        It is read up to `max_bytes` (the answer cap's bound for one event), so a body that goes
        on and on stops as too long instead of filling memory.
        """
        raw = b""
        try:
            parts: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise EventTooLarge(max_bytes)
                parts.append(chunk)
            raw = b"".join(parts)
            del parts
            payload = json.loads(raw)
        except httpx.HTTPError as error:
            raise error_from_exception(error, ctx, mid_stream=True) from None
        except ValueError:
            raise malformed_event_error(ctx, raw.decode("utf-8", "replace")) from None
        if not isinstance(payload, dict):
            raise malformed_event_error(ctx, str(payload))
        if payload.get("type") == "error" or payload.get("error"):
            raise error_from_stream_payload(payload, ctx)
        return self._events_from_answer(payload, ctx)

    def _relaxed_body(
        self, error: ProviderError, body: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """A body without the optional field a strict server refused, or None (no retry).

        Overridden by drivers that send optional fields some compatible servers reject.
        """
        return None

    @asynccontextmanager
    async def _stream(
        self, url: str, body: Mapping[str, Any], ctx: ErrorContext
    ) -> AsyncIterator[httpx.Response]:
        """POST and yield a 2xx response ready to read; non-2xx becomes a ProviderError.

        When a strict server refuses an optional field (see `_relaxed_body`), the request is sent
        once more without it, so one unusual server does not cost the user the answer.
        """
        headers = {**self._auth_headers(), "Accept": "text/event-stream"}
        try:
            async with self._client.stream("POST", url, json=body, headers=headers) as response:
                if response.is_success:
                    yield response
                    return
                error = await self._error(response, ctx)
                relaxed = self._relaxed_body(error, body)
                if relaxed is None:
                    raise error
            async with self._client.stream("POST", url, json=relaxed, headers=headers) as response:
                if not response.is_success:
                    raise await self._error(response, ctx)
                yield response
        except httpx.HTTPError as error:
            mapped = error_from_exception(error, ctx, mid_stream=False)
            log.info("POST %s failed: %s (%s)", url, mapped.kind.value, type(error).__name__)
            raise mapped from None

    async def _error(self, response: httpx.Response, ctx: ErrorContext) -> ProviderError:
        body = b""
        try:
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > _MAX_ERROR_BODY:
                    break
        except httpx.HTTPError:
            pass  # the status alone still says a lot
        error = error_from_response(response.status_code, response.headers, body, ctx)
        # INFO, so a CLI without logging set up prints nothing; the app's log file records it.
        # The log gets the URL, status, kind and the server's (key-scrubbed) reason; never headers.
        log.info(
            "%s %s -> %s %s: %s",
            response.request.method,
            response.request.url,
            response.status_code,
            error.kind.value,
            error.server_reason or "",
        )
        return error

    async def _get_json(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        """GET a JSON document; 404/405 mean the server has no such list (NO_MODEL_LIST)."""
        ctx = self._context()
        try:
            response = await self._client.get(url, params=params, headers=self._auth_headers())
        except httpx.HTTPError as error:
            raise error_from_exception(error, ctx) from None
        if response.status_code in {404, 405}:
            raise ProviderError(
                ErrorKind.NO_MODEL_LIST,
                f"The server has no model list at {url} ({response.status_code}).",
                "Type the model ids into the connection by hand.",
                status=response.status_code,
            )
        if not response.is_success:
            raise error_from_response(response.status_code, response.headers, response.content, ctx)
        try:
            return response.json()
        except ValueError:
            reason = reason_from_body(response.content, response.headers.get("content-type", ""))
            if reason.is_html:
                raise ProviderError(
                    ErrorKind.HTML_RESPONSE,
                    f"Got a web page instead of a model list from {url}.",
                    "Check the base URL points at the API, not a website or login page.",
                    status=response.status_code,
                ) from None
            raise ProviderError(
                ErrorKind.MALFORMED,
                f"The model list at {url} is not JSON.",
                "Check the base URL and protocol of this connection.",
                status=response.status_code,
            ) from None

    async def aclose(self) -> None:
        """Close the pooled client (and every open connection)."""
        await self._client.aclose()
