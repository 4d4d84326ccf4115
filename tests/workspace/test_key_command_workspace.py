"""A connection whose key a command prints (`auth.api_key_cmd`), through the workspace as the
app uses it: the command runs off the event loop, once, again after the server refused its key,
and a failure is the answer's error naming the command."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from craft_tui.chat.session import ChatSession
from craft_tui.config.store import load_config
from craft_tui.workspace.core import Workspace
from tests.config.key_tool import tool_command
from tests.waiting import until
from tests.workspace.helpers import connection_toml, write_config

OLD = "sk-test-old-command-key-0000"
NEW = "sk-test-new-command-key-1111"


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    folder = tmp_path / "tools"
    folder.mkdir()
    return folder


def with_command(server: Any, command: str) -> str:
    auth = '{ type = "api_key", api_key_cmd = ' + json.dumps(command) + " }"  # a TOML string
    return connection_toml("work", server, auth="__AUTH__").replace('"__AUTH__"', auth)


async def answer(session: ChatSession, text: str) -> Any:
    """Send `text`; the stored answer, finished or failed (the last event carries it)."""
    events: AsyncIterator[Any] = session.send(text)
    seen = [event async for event in events]
    return seen[-1].message


def runs(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


async def test_a_rotated_key_is_read_again_after_the_server_refuses_the_old_one(
    fake_server: Any, tools: Path
) -> None:
    server = fake_server(require_key=NEW, reply="Welcome back.")
    entry, counter = tools / "entry", tools / "runs"
    entry.write_text(OLD + "\n")
    write_config(with_command(server, tool_command(tools, key_file=entry, runs=counter)))
    workspace = Workspace(load_config())
    try:
        session = await workspace.open_session(None, new=True)
        refused = await answer(session, "One")
        assert refused.error_kind == "authentication"
        entry.write_text(NEW + "\n")  # the key was rotated in the password manager
        assert (await answer(session, "Two")).text == "Welcome back."
        assert server.chat_requests[-1].headers["authorization"] == f"Bearer {NEW}"
        assert (await answer(session, "Three")).text == "Welcome back."
        assert runs(counter) == 2  # once per key, not once per request
    finally:
        await workspace.aclose()


async def test_a_slow_key_command_leaves_the_event_loop_running(
    fake_server: Any, tools: Path
) -> None:
    server = fake_server(reply="Unlocked.")
    entry, started, release = tools / "entry", tools / "started", tools / "release"
    entry.write_text(OLD + "\n")
    command = tool_command(tools, key_file=entry, started=started, wait_for=release)
    write_config(with_command(server, command))
    workspace = Workspace(load_config())
    ticks = 0

    async def ticker() -> None:  # stands in for the UI: timers and input keep being served
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    beating = asyncio.create_task(ticker())
    try:
        session = await workspace.open_session(None, new=True)
        asking = asyncio.create_task(answer(session, "Hi"))
        await until(started.exists, "the key command starting")
        seen = ticks
        await until(lambda: ticks >= seen + 50, "the loop turning while the command runs")
        assert not asking.done() and not server.chat_requests  # still waiting for the key
        release.write_text("go")
        assert (await asyncio.wait_for(asking, 60)).text == "Unlocked."
        assert server.chat_requests[-1].headers["authorization"] == f"Bearer {OLD}"
    finally:
        beating.cancel()
        await workspace.aclose()


async def test_a_failing_key_command_is_the_answers_error_naming_it(
    fake_server: Any, tools: Path
) -> None:
    server = fake_server()
    counter = tools / "runs"
    (tools / "says").write_text(f"unlock failed near {NEW}\n")
    command = tool_command(tools, runs=counter, stderr_file=tools / "says", exit=2)
    write_config(with_command(server, command))
    workspace = Workspace(load_config())
    try:
        session = await workspace.open_session(None, new=True)
        failed = await answer(session, "Hi")
        assert failed.error_kind == "missing_key"
        assert "The key command of connection 'Work'" in failed.error_message
        assert "exited with status 2" in failed.error_message
        assert NEW not in failed.error_message and "unlock failed" not in failed.error_message
        assert not server.chat_requests
        assert runs(counter) == 1  # said at once, not run a second time to build the driver
    finally:
        await workspace.aclose()
