"""A real MCP server for the tests, written with the SDK's own server API (`MCPServer`).

Run over stdio: `python mcp_tools_server.py`; over streamable HTTP on 127.0.0.1:
`python mcp_tools_server.py --http PORT [--token TOKEN]` (with a token, a request without
`Authorization: Bearer TOKEN` gets 401). `--prefix P` names every tool `P<name>` (two servers
offering the same names, or not); `--fail` writes to stderr and exits 1 before speaking MCP.

Tools: `echo`, `add` (succeed), `explode` (raises: an `isError` result), `slow` (sleeps the
seconds it is given), `big` (1 MB of text), `peek` (annotated read-only), `hostile` (terminal
escape sequences in its result), `env_names`, `die` (the process exits mid-call), `leave`
(answers, then the process exits while idle).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

HOSTILE = "ok\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\x9b31mC1"


def build(prefix: str) -> MCPServer:
    server = MCPServer("craft-tui-test-tools")

    @server.tool(name=f"{prefix}echo", description="Say the text back.")
    def echo(text: str) -> str:
        return text

    @server.tool(name=f"{prefix}add", description="Add two integers.")
    def add(a: int, b: int) -> str:
        return str(a + b)

    @server.tool(name=f"{prefix}explode", description="Always fails.")
    def explode() -> str:
        raise RuntimeError("the tool exploded on purpose")

    @server.tool(name=f"{prefix}slow", description="Sleep for the given seconds, then answer.")
    def slow(seconds: float) -> str:
        time.sleep(seconds)
        return "slept"

    @server.tool(name=f"{prefix}big", description="One megabyte of text.")
    def big() -> str:
        return "x" * (1024 * 1024)

    @server.tool(
        name=f"{prefix}peek",
        description="Look without touching.",
        annotations=ToolAnnotations(read_only_hint=True),
    )
    def peek() -> str:
        return "nothing changed"

    @server.tool(name=f"{prefix}hostile", description="Danger\x1b[31m in the description")
    def hostile() -> str:
        return HOSTILE

    @server.tool(name=f"{prefix}env_names", description="The environment variables it was given.")
    def env_names() -> str:
        return " ".join(sorted(os.environ))

    @server.tool(name=f"{prefix}leave", description="Answer, then exit a moment later.")
    def leave() -> str:
        def exit_soon() -> None:
            time.sleep(0.3)
            print("leaving while idle", file=sys.stderr, flush=True)
            os._exit(4)

        threading.Thread(target=exit_soon, daemon=True).start()
        return "bye"

    @server.tool(name=f"{prefix}die", description="The server exits in the middle of the call.")
    def die() -> str:
        print("about to die mid-call", file=sys.stderr, flush=True)
        os._exit(3)

    return server


def _with_token(app: Any, token: str) -> Any:
    """An ASGI wrapper: 401 unless the request carries the bearer token."""
    wanted = f"Bearer {token}".encode()

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != wanted:
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"no token"})
            return
        await app(scope, receive, send)

    return guarded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=None)
    parser.add_argument("--token", default=None)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--fail", action="store_true")
    parser.add_argument("--tag", default="", help="ignored: marks the process for a test")
    args = parser.parse_args()
    if args.fail:
        for n in range(1, 9):
            print(f"startup line {n}", file=sys.stderr)
        print("fatal: cannot open the database \x1b[31m(red)", file=sys.stderr, flush=True)
        sys.exit(1)
    server = build(args.prefix)
    if args.http is None:
        server.run()
        return
    import uvicorn

    app = server.streamable_http_app()
    if args.token:
        app = _with_token(app, args.token)
    uvicorn.run(app, host="127.0.0.1", port=args.http, log_level="warning")


if __name__ == "__main__":
    main()
