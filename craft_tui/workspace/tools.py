"""The tools a conversation may use: the config's MCP servers, and each conversation's
permission mode.

One `McpHub` (craft_tui/mcp) serves every conversation of the process: servers start once, on
the first answer that wants tools, and keep running. When `[[mcp_servers]]` changes (the file
edited, `craft-tui mcp add` from a shell) the next answer gets a new hub and the old one is shut
down. The permission mode is per conversation: it starts as `[tools] permission` says and the
chat screen's key switches it; "allow this tool for the session" answers are kept with it until
the app quits. Deny and allow rules are read from the config as it is at each answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the MCP SDK and the chat core load only when a server is configured
    from craft_tui.chat.permissions import PermissionMode, PermissionPolicy
    from craft_tui.chat.tool_loop import AskPerson, TargetFn, ToolCallRunner
    from craft_tui.config.schema import Config
    from craft_tui.mcp.hub import McpHub
    from craft_tui.providers.types import ToolSpec

log = logging.getLogger(__name__)


class ConversationTools:
    """The hub, and the permission policy of each conversation."""

    def __init__(self) -> None:
        self._hub: McpHub | None = None
        self._hub_key: str | None = None
        self._retired: set[asyncio.Task[None]] = set()
        self._policies: dict[str, PermissionPolicy] = {}
        self._sources: dict[str, str] = {}

    @staticmethod
    def configured(config: Config) -> bool:
        """True when at least one MCP server is enabled."""
        return any(server.enabled for server in config.mcp_servers)

    def hub(self, config: Config) -> McpHub | None:
        """The hub for `config`'s servers (a new one when they changed), None without any."""
        if not self.configured(config):
            self._retire()
            return None
        key = repr([server.model_dump() for server in config.mcp_servers]) + repr(config.tools.deny)
        if self._hub is None or key != self._hub_key:
            self._retire()
            from craft_tui.mcp.hub import McpHub

            self._hub = McpHub.from_config(config)
            self._hub_key = key
        return self._hub

    def policy(self, conversation_id: str, config: Config) -> PermissionPolicy:
        """This conversation's policy, with the config's rules as they are now."""
        from craft_tui.chat.permissions import PermissionPolicy

        policy = self._policies.get(conversation_id)
        if policy is None:
            policy = PermissionPolicy.from_rules(config.tools.permission)
            self._policies[conversation_id] = policy
        policy.allow = tuple(config.tools.allow)
        policy.deny = tuple(config.tools.deny)
        return policy

    def mode(self, conversation_id: str, config: Config) -> PermissionMode:
        return self.policy(conversation_id, config).mode

    def set_mode(self, conversation_id: str, config: Config, mode: PermissionMode) -> None:
        self.policy(conversation_id, config).mode = mode

    def runner(
        self,
        conversation_id: str,
        config: Config,
        ask: AskPerson,
        *,
        target: TargetFn | None = None,
    ) -> ToolCallRunner | None:
        """What the session runs its calls through for one operation (None: no tools).

        `target` (`ChatSession.target`): the model the requests go to; one that does not call
        tools (it refused them in this process, or its listing says so) is offered none."""
        hub = self.hub(config)
        if hub is None:
            return None
        from craft_tui.chat.tool_loop import ToolCallRunner

        policy = self.policy(conversation_id, config)
        # Rules and "allow for the session" name a tool as server.tool: the hub knows which
        # server and tool an offered name stands for (renamed on a clash, or cut and hashed
        # when models would refuse the tool's own name).
        policy.origin = hub.origin
        return ToolCallRunner(hub, policy, ask, config.tools.max_steps, target=target)

    def server_of(self, name: str) -> str:
        """The server of the tool offered as `name`, to label a stored call ("" when not known:
        the history keeps a call's tool name only, and the hub may not have started yet)."""
        known = self._sources.get(name)
        if known:
            return known
        origin = self._hub.origin(name) if self._hub is not None else None
        return origin[0] if origin is not None else ""

    def ran(self, spec: ToolSpec) -> None:
        """A call of `spec` started: its server is known by its name from now on."""
        if spec.source:
            self._sources[spec.name] = spec.source

    def _retire(self) -> None:
        """Shut the current hub down in the background (its servers' processes end)."""
        hub, self._hub, self._hub_key = self._hub, None, None
        if hub is None:
            return
        try:
            task = asyncio.get_running_loop().create_task(hub.aclose())
        except RuntimeError:  # no loop (a CLI path): nothing was started either
            return
        self._retired.add(task)
        task.add_done_callback(self._retired.discard)

    async def aclose(self) -> None:
        """Stop every server (the app is quitting) and wait for the ones shut down before."""
        self._retire()
        retired = list(self._retired)
        if retired:
            with contextlib.suppress(Exception):
                await asyncio.gather(*retired, return_exceptions=True)
