"""MCP servers as tool sources: the servers of `[[mcp_servers]]`, spoken to through the official
`mcp` SDK (the protocol is not ours to write), offered to the chat core as one `ToolBox`.

- `hub.McpHub`: every enabled server, started lazily and concurrently; their tools under names
  models accept; calls routed back; problems as one line each.
- `runner.ServerRunner`: one server's connection, owned by one task from start to stop (the SDK's
  transports are anyio task groups: they must be entered and left in the same task).
- `names`: the names models see (`^[a-zA-Z0-9_-]{1,64}$`, `server__tool` only on a clash).
- `environment`: what a stdio server is handed (a minimal environment, never the user's keys).
- `importing`: the `{"mcpServers": …}` JSON that Claude Desktop and Cursor write.

The SDK (heavy: pydantic models by the hundred) is imported only when servers first start.
"""

from craft_tui.mcp.hub import McpHub
from craft_tui.mcp.importing import ImportProblem, servers_from_json

__all__ = ["ImportProblem", "McpHub", "servers_from_json"]
