"""Real MCP servers for the MCP tests: `tests/servers/mcp_tools_server.py` (the SDK's own server
API) run over stdio by `sys.executable`, or over streamable HTTP on a 127.0.0.1 port the test
picks. Each process is tagged, so a test can see that none is left running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from craft_tui.config.schema import McpServer

SERVER = Path(__file__).resolve().parents[1] / "servers" / "mcp_tools_server.py"
# Hang guards only: a server's Python start (importing the SDK) takes seconds on a loaded machine.
START = 90.0


def stdio_server(name: str, *args: str, **fields: object) -> McpServer:
    """A `[[mcp_servers]]` entry that runs the test server over stdio."""
    values: dict[str, object] = {"startup_timeout": START, "call_timeout": START}
    values.update(fields)
    return McpServer.model_validate(
        {"name": name, "command": sys.executable, "args": [str(SERVER), *args], **values}
    )


def running_with(tag: str) -> list[str]:
    """Processes (zombies too: a child never reaped) whose command line holds `tag`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        if tag.encode() in cmdline:
            state = next((line for line in status.splitlines() if line.startswith("State:")), "")
            found.append(f"{entry.name} {state}")
    return found


@pytest.fixture
def tag() -> str:
    """A mark for this test's server processes (`--tag`)."""
    return f"t{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class HttpServer:
    url: str
    token: str
    process: subprocess.Popen[bytes]


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def http_server(tag: str) -> Iterator[HttpServer]:
    """The test server over streamable HTTP on 127.0.0.1, wanting a bearer token."""
    token = "tok-" + uuid.uuid4().hex
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "--http", str(port), "--token", token, "--tag", tag],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")},
    )
    try:
        deadline = time.monotonic() + START
        while not _accepting(port):  # waits on the condition; the deadline is a hang guard
            assert process.poll() is None, "the HTTP MCP server exited before it listened"
            assert time.monotonic() < deadline, "the HTTP MCP server never listened"
            time.sleep(0.02)
        yield HttpServer(f"http://127.0.0.1:{port}/mcp", token, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
