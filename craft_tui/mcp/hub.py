"""`McpHub`: the MCP servers of the config as one `ToolBox` for the chat core.

Nothing starts until the tools are first wanted (`specs()`, or `start()` to begin early in the
background): then every enabled server starts at once, each bounded by its own
`startup_timeout`, so one slow or broken server costs its own timeout, not the sum. A server that
fails is left out and said in one line by `problems()`; the others go on. Tools are offered
under names models accept (`names.offered_names`) and `call()` maps a name back to its server
and tool. Tools the config's `[tools] deny` names are neither offered nor run.

Bearer tokens of HTTP servers come from the secret store (`mcp:NAME`, the same store and code as
connection keys), read in a thread: the keyring may block. The SDK itself is imported when the
servers first start (`runner`), not with this module.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from craft_tui.config.schema import Config, McpServer
from craft_tui.mcp.names import offered_names
from craft_tui.providers.types import ToolOutcome, ToolSpec

if TYPE_CHECKING:
    from craft_tui.mcp.runner import ServerRunner

TokenReader = Callable[[McpServer], str | None]
# What a tool call hands back at most (characters): 1 MB of text is ~250,000 tokens, past any
# model's window; the model is told how much there was.
MAX_OUTPUT_CHARS = 200_000


def stored_token(server: McpServer) -> str | None:
    """The server's bearer token from the secret store (None for stdio servers or none stored)."""
    if server.transport != "http":
        return None
    from craft_tui.config.secrets import SecretStore

    return SecretStore.open().get(server.secret_id)


class McpHub:
    """Every enabled MCP server of a config, as the chat core's `ToolBox`."""

    def __init__(
        self,
        servers: Sequence[McpServer],
        *,
        deny: Sequence[str] = (),
        token_reader: TokenReader = stored_token,
        max_output: int = MAX_OUTPUT_CHARS,
    ) -> None:
        self._servers = [server for server in servers if server.enabled]
        self._deny = set(deny)
        self._token_reader = token_reader
        self._max_output = max_output
        self._runners: dict[str, ServerRunner] = {}
        self._startup: asyncio.Task[None] | None = None
        self._offered: dict[str, tuple[str, str]] = {}
        self._specs: tuple[ToolSpec, ...] = ()
        self._early_problems: dict[str, str] = {}  # server name -> problem before it could start
        self._closed = False

    @classmethod
    def from_config(cls, config: Config) -> McpHub:
        return cls(config.mcp_servers, deny=config.tools.deny)

    # ------------------------------------------------------------------ ToolBox

    def start(self) -> None:
        """Begin starting every server in the background (idempotent; needs a running loop)."""
        if self._startup is None and not self._closed:
            self._startup = asyncio.create_task(self._start_all(), name="mcp-hub-start")

    async def specs(self) -> tuple[ToolSpec, ...]:
        """Every tool on offer, once every server has started or failed."""
        await self.ready()
        return self._specs

    async def ready(self) -> None:
        """Wait until every server has started or failed (starting them if need be)."""
        self.start()
        if self._startup is not None:
            await asyncio.shield(self._startup)

    async def call(self, name: str, arguments: Mapping[str, Any]) -> ToolOutcome:
        """Run the tool offered as `name`; a failure of any kind is an error outcome."""
        await self.ready()
        origin = self._offered.get(name)
        if origin is None:
            offered = ", ".join(sorted(self._offered)) or "none"
            return ToolOutcome(f"There is no tool named {name!r} (offered: {offered}).", True)
        server, tool = origin
        return await self._runners[server].call(tool, arguments)

    def problems(self) -> tuple[str, ...]:
        """One line per server that could not start or died, e.g. `files could not run 'npx':
        No such file or directory — stderr: …`."""
        lines = list(self._early_problems.values())
        lines += [runner.problem for runner in self._runners.values() if runner.problem]
        return tuple(lines)

    async def aclose(self) -> None:
        """Stop every server and wait until their processes are gone."""
        self._closed = True
        runners = list(self._runners.values())
        await asyncio.gather(*(runner.aclose() for runner in runners))
        if self._startup is not None and not self._startup.done():
            await asyncio.wait({self._startup})

    # ------------------------------------------------------------------ beyond the protocol

    def origin(self, name: str) -> tuple[str, str] | None:
        """The `(server, tool)` an offered name stands for (for `[tools] allow` rules)."""
        return self._offered.get(name)

    def problem_of(self, server: str) -> str | None:
        """What went wrong with one server (None: it is running, or was never asked to)."""
        runner = self._runners.get(server)
        return runner.problem if runner is not None else self._early_problems.get(server)

    # ------------------------------------------------------------------ inside

    async def _start_all(self) -> None:
        try:
            await self._start_runners()
        except Exception as error:  # a bug of ours must not turn into an exception in `call`
            self._early_problems[""] = f"MCP servers could not be started: {error!r}"
        self._build_specs()

    async def _start_runners(self) -> None:
        # The SDK is imported when first needed, in a thread: a second or more of imports
        # must not freeze the app's loop.
        await asyncio.to_thread(importlib.import_module, "craft_tui.mcp.runner")
        from craft_tui.mcp.runner import ServerRunner  # (imported now: no cost)

        tokens = await asyncio.gather(*(self._token(server) for server in self._servers))
        runners = []
        for server, (token, trouble) in zip(self._servers, tokens, strict=True):
            if trouble is not None:
                self._early_problems[server.name] = f"MCP server {server.name}: {trouble}"
                continue
            runner = ServerRunner(server, token, max_output=self._max_output)
            self._runners[server.name] = runner
            runners.append(runner)
        if not self._closed:
            await asyncio.gather(*(runner.start() for runner in runners))

    async def _token(self, server: McpServer) -> tuple[str | None, str | None]:
        """(the token, None), or (None, why it could not be read)."""
        try:
            return await asyncio.to_thread(self._token_reader, server), None
        except Exception as error:  # a damaged credentials file: that server's problem only
            return None, f"its bearer token could not be read ({error})"

    def _build_specs(self) -> None:
        pairs: list[tuple[str, str]] = []
        tools: dict[tuple[str, str], Any] = {}
        for runner in self._runners.values():
            if runner.state != "ready":
                continue
            for tool in runner.tools:
                if f"{runner.name}.{tool.name}" in self._deny or f"{runner.name}.*" in self._deny:
                    continue
                pairs.append((runner.name, tool.name))
                tools[(runner.name, tool.name)] = tool
        self._offered = offered_names(pairs)
        specs = []
        for offered, key in self._offered.items():
            tool = tools[key]
            hints = tool.annotations
            specs.append(
                ToolSpec(
                    name=offered,
                    description=tool.description or "",
                    input_schema=tool.input_schema,
                    read_only=bool(hints is not None and hints.read_only_hint),
                    source=key[0],
                )
            )
        self._specs = tuple(specs)
