"""One MCP server's connection, from start to stop, in one task of its own.

The SDK's transports and `Client` are anyio task groups and cancel scopes: entered in one task,
they must be left in that same task. So each server gets a task that enters the `Client`, lists
the tools, says it is ready, and waits to be told to stop; calls from the chat core go through
the connected client from their own tasks. Stopping is asking that task to leave its `async
with` (the SDK then closes stdin, waits, and kills the process group: no zombie); a start that
takes too long is cancelled through the task's own anyio cancel scope, which the SDK's shielded
shutdown honours (a plain `Task.cancel` can cut it short).

Whatever goes wrong becomes `problem`, one line with the tail of the server's stderr, disarmed
(`untrusted.shown_inline`) and with the server's own secrets (its env values, headers, token)
blanked out; nothing here raises into the hub but cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack
from typing import IO, Any, Literal

import anyio
import httpx2
import mcp_types
from mcp import Client, MCPError, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CONNECTION_CLOSED, INTERNAL_ERROR, CallToolResult, Implementation, Tool

from craft_tui import __version__
from craft_tui.config.schema import McpServer
from craft_tui.mcp.environment import server_environment
from craft_tui.mcp.hub import MAX_OUTPUT_CHARS
from craft_tui.providers.types import ToolOutcome
from craft_tui.untrusted import shown_inline

State = Literal["idle", "starting", "ready", "failed", "dead", "stopped"]

STDERR_TAIL_LINES = 5
_STDERR_TAIL_BYTES = 8192
_LINE_CHARS = 240  # one stderr line in a problem, at most
_MAX_TOOL_PAGES = 100  # a server whose listing never ends cannot hang the start
_STOP_GRACE = 10.0  # seconds for the SDK's own shutdown (stdin close, SIGTERM, SIGKILL: ~6 s)


class ServerRunner:
    """One `[[mcp_servers]]` entry: its connection, its tools, and what went wrong with it."""

    def __init__(
        self, server: McpServer, token: str | None = None, *, max_output: int = MAX_OUTPUT_CHARS
    ) -> None:
        self.server = server
        self.state: State = "idle"
        self.tools: tuple[Tool, ...] = ()
        self.problem: str | None = None
        self._token = token
        self._max_output = max_output
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._scope: anyio.CancelScope | None = None
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._stderr: IO[str] | None = None
        self._http_status: int | None = None  # the last 4xx/5xx an HTTP server answered
        self._closing = False  # `aclose` was called: a closed connection is no news

    @property
    def name(self) -> str:
        return self.server.name

    # ------------------------------------------------------------------ start and stop

    async def start(self) -> None:
        """Start the server and wait until it is ready or has failed, at most its
        `startup_timeout`; never raises (but cancellation)."""
        if self._task is None:
            self.state = "starting"
            self._task = asyncio.create_task(self._run(), name=f"mcp-server-{self.name}")
        try:
            async with asyncio.timeout(self.server.startup_timeout):
                await self._ready.wait()
        except TimeoutError:
            self._fail(f"did not start within {self.server.startup_timeout:g} s")
            if self._scope is not None:
                self._scope.cancel()

    async def aclose(self) -> None:
        """Stop the server and wait until its process is gone (bounded)."""
        task = self._task
        if task is None:
            return
        self._closing = True
        if self.state in ("starting", "ready"):
            self.state = "stopped"
        self._stop.set()
        if self._client is None and self._scope is not None:
            self._scope.cancel()  # still starting: stop waiting for it
        if not task.done():
            await asyncio.wait({task}, timeout=_STOP_GRACE)
        if not task.done():  # the SDK's shutdown is bounded; this is the last resort
            task.cancel()
            await asyncio.wait({task}, timeout=_STOP_GRACE)
        if self._stderr is not None:
            with contextlib.suppress(OSError):
                self._stderr.close()
            self._stderr = None

    async def _run(self) -> None:
        try:
            with anyio.CancelScope() as scope:
                self._scope = scope
                async with AsyncExitStack() as stack:
                    client = await stack.enter_async_context(
                        Client(
                            await self._transport(stack),
                            client_info=Implementation(name="craft-tui", version=__version__),
                        )
                    )
                    self.tools = await _all_tools(client)
                    if self.state == "starting":
                        self._client = client
                        self.state = "ready"
                    self._ready.set()
                    await self._stop.wait()
        except Exception as error:
            self._fail(_reason(error, self.server, self._http_status))
        finally:
            self._client = None
            if self.state == "starting":
                self._fail("stopped before it was ready")
            self._ready.set()

    async def _transport(self, stack: AsyncExitStack) -> Any:
        """The SDK transport for this server (entered by `Client`)."""
        server = self.server
        if server.command is not None:
            # Kept open for the tail of a failure, and closed in `aclose`.
            self._stderr = tempfile.TemporaryFile(  # noqa: SIM115
                "w+", encoding="utf-8", errors="replace"
            )
            params = StdioServerParameters(
                command=server.command, args=server.args, env=server_environment(server.env)
            )
            return _watched(stdio_client(params, errlog=self._stderr), self._died)
        assert server.url is not None
        headers = dict(server.headers)
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"

        async def note_status(response: httpx2.Response) -> None:
            # The SDK reports a refused request as "Server returned an error response"; the
            # status says why (401: the token).
            if response.status_code >= 400:
                self._http_status = response.status_code

        http = await stack.enter_async_context(
            httpx2.AsyncClient(
                headers=headers,
                timeout=httpx2.Timeout(30.0, read=300.0),
                event_hooks={"response": [note_status]},
            )
        )
        return streamable_http_client(server.url, http_client=http)

    # ------------------------------------------------------------------ calls

    async def call(self, tool: str, arguments: Mapping[str, Any]) -> ToolOutcome:
        """Run one tool; every failure is an outcome with `is_error` (cancellation is not)."""
        client = self._client
        if client is None or self.state != "ready":
            why = f" ({self.problem})" if self.problem else ""
            return ToolOutcome(f"MCP server {self.name} is not running{why}.", is_error=True)
        try:
            with anyio.fail_after(self.server.call_timeout):
                result = await client.call_tool(tool, dict(arguments))
        except TimeoutError:
            return ToolOutcome(
                f"The tool {tool} of MCP server {self.name} did not answer within "
                f"{self.server.call_timeout:g} s (call_timeout); it was abandoned.",
                is_error=True,
            )
        except MCPError as error:
            if error.code == CONNECTION_CLOSED and self._closing:
                return ToolOutcome(f"MCP server {self.name} was shut down.", is_error=True)
            if error.code == CONNECTION_CLOSED:
                self._died()
                tail = " | ".join(self.stderr_tail())
                return ToolOutcome(
                    self._clean(
                        f"MCP server {self.name} stopped during the call to {tool}"
                        + (f" — stderr: {tail}" if tail else "")
                    ),
                    is_error=True,
                )
            return ToolOutcome(
                f"MCP server {self.name} refused the call to {tool}: {self._clean(error.message)}",
                is_error=True,
            )
        except Exception as error:
            return ToolOutcome(
                f"The call to {tool} on MCP server {self.name} failed: "
                f"{_reason(error, self.server, self._http_status)}",
                is_error=True,
            )
        return outcome_of(result, self._max_output)

    # ------------------------------------------------------------------ problems

    def _died(self) -> None:
        """The server went away while it was in use (its output ended, or a call saw the
        connection close): one problem line, and its task closes the transport and reaps it."""
        if self._closing or self.state != "ready":
            return
        self._fail("stopped (its process exited or closed its output)")
        self.state = "dead"
        self._stop.set()

    def _fail(self, reason: str) -> None:
        """Record the first thing that went wrong, as one line with the stderr tail."""
        if self.state == "stopped" or (self.state in ("failed", "dead") and self.problem):
            return  # a stop asked for is no problem; the first problem is the news
        self.state = "failed"
        tail = self.stderr_tail()
        line = f"MCP server {self.name}: {reason}"
        if tail:
            line += " — stderr: " + " | ".join(tail)
        self.problem = self._clean(line)

    def stderr_tail(self) -> list[str]:
        """The last lines the server wrote to stderr, disarmed and cut, secrets blanked."""
        stream = self._stderr
        if stream is None or sys.platform == "win32":
            return []
        try:
            stream.flush()
            size = os.fstat(stream.fileno()).st_size
            start = max(0, size - _STDERR_TAIL_BYTES)
            # pread: the child shares this file's offset; seeking would move where it writes.
            data = os.pread(stream.fileno(), size - start, start)
        except (OSError, ValueError):
            return []
        lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
        kept = [line for line in lines if line][-STDERR_TAIL_LINES:]
        return [self._clean(line)[:_LINE_CHARS] for line in kept]

    def _clean(self, text: str) -> str:
        """Outside text as one safe line, without this server's secrets."""
        for secret in self._secrets():
            text = text.replace(secret, "••••")
        return shown_inline(text)

    def _secrets(self) -> list[str]:
        values = [*self.server.env.values(), *self.server.headers.values()]
        if self._token:
            values.append(self._token)
        return sorted((v for v in values if len(v) >= 6), key=len, reverse=True)


@contextlib.asynccontextmanager
async def _watched(
    transport: contextlib.AbstractAsyncContextManager[tuple[Any, Any]], on_end: Callable[[], None]
) -> AsyncIterator[tuple[Any, Any]]:
    """A stdio transport whose read stream says when it ends: a server that exits while idle
    is a problem line at once, not only at its next call."""
    async with transport as (read, write):
        yield _EndWatcher(read, on_end), write


class _EndWatcher:
    """The transport's read stream (the SDK's `ReadStream` protocol), calling `on_end` once
    when it ends."""

    def __init__(self, inner: Any, on_end: Callable[[], None]) -> None:
        self._inner = inner
        self._on_end = on_end

    async def receive(self) -> Any:
        try:
            return await self._inner.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._on_end()
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> _EndWatcher:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def __aenter__(self) -> _EndWatcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def _all_tools(client: Client) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    cursor: str | None = None
    for _ in range(_MAX_TOOL_PAGES):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tuple(tools)


def _leaf(error: BaseException) -> BaseException:
    """The first real error inside the task groups' exception groups."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _reason(error: BaseException, server: McpServer, status: int | None = None) -> str:
    """Why a server could not be used, in words (before the stderr tail)."""
    error = _leaf(error)
    if isinstance(error, MCPError) and error.code == INTERNAL_ERROR and status is not None:
        # (the SDK's stand-in for a refused HTTP request: the status is the news)
        hint = " (check its bearer token: craft-tui mcp remove, then add it again)"
        return f"answered HTTP {status} at {server.url}" + (hint if status in (401, 403) else "")
    if isinstance(error, OSError) and server.command is not None and error.filename is not None:
        return f"could not run {server.command!r}: {error.strerror or error}"
    if isinstance(error, MCPError):
        if error.code == CONNECTION_CLOSED:
            return "exited or closed the connection before it was ready"
        return f"refused the connection: {error.message}"
    if isinstance(error, httpx2.HTTPStatusError):
        status = error.response.status_code
        hint = " (check its bearer token)" if status in (401, 403) else ""
        return f"answered HTTP {status} at {server.url}{hint}"
    if isinstance(error, httpx2.TransportError):
        return f"could not be reached at {server.url}: {error or type(error).__name__}"
    return f"failed: {type(error).__name__}: {error}"


def outcome_of(result: CallToolResult, limit: int = MAX_OUTPUT_CHARS) -> ToolOutcome:
    """A tool result as the text the model gets back: text joined, anything else described."""
    parts: list[str] = []
    for block in result.content:
        parts.append(_describe(block))
    if not parts and result.structured_content is not None:
        import json

        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    text = "\n".join(parts)
    if len(text) > limit:
        text = (
            text[:limit] + f"\n[output cut: the tool returned {len(text):,} characters, the first "
            f"{limit:,} are kept]"
        )
    return ToolOutcome(text, is_error=result.is_error)


def _describe(block: mcp_types.ContentBlock) -> str:
    if isinstance(block, mcp_types.TextContent):
        return block.text
    if isinstance(block, mcp_types.ImageContent | mcp_types.AudioContent):
        kind = "image" if isinstance(block, mcp_types.ImageContent) else "audio"
        size = len(block.data) * 3 // 4  # base64
        return f"[{kind} content: {block.mime_type}, {size:,} bytes, not shown]"
    if isinstance(block, mcp_types.ResourceLink):
        return f"[resource link: {block.uri} ({block.name})]"
    resource = block.resource
    if isinstance(resource, mcp_types.TextResourceContents):
        return resource.text
    return f"[binary resource: {resource.uri}, {resource.mime_type or 'unknown type'}, not shown]"
