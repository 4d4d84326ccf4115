"""`McpHub` against real MCP servers (tests/servers/mcp_tools_server.py) over stdio and HTTP:
what the chat core is offered, what a call gives back, and what a broken server costs."""

from __future__ import annotations

import asyncio
import gc
import sys
from typing import Any

import pytest

from craft_tui.config.schema import McpServer
from craft_tui.mcp import McpHub
from craft_tui.mcp.names import NAME_PATTERN
from tests.mcp.conftest import HttpServer, running_with, stdio_server
from tests.servers.mcp_tools_server import HOSTILE
from tests.waiting import until


async def _watch(seen: list[dict[str, Any]]) -> None:
    """Collect what the loop's exception handler sees ("Task exception was never retrieved")."""
    asyncio.get_running_loop().set_exception_handler(lambda _loop, context: seen.append(context))


async def test_tools_are_offered_and_calls_answer(tag: str) -> None:
    hub = McpHub([stdio_server("tools", "--tag", tag)])
    try:
        specs = {spec.name: spec for spec in await hub.specs()}
        assert {"echo", "add", "explode", "slow", "big", "peek", "hostile"} <= set(specs)
        assert all(NAME_PATTERN.fullmatch(name) for name in specs)
        assert specs["peek"].read_only and not specs["echo"].read_only
        assert specs["add"].source == "tools"
        assert specs["add"].description == "Add two integers."
        assert specs["add"].input_schema["required"] == ["a", "b"]

        added = await hub.call("add", {"a": 2, "b": 40})
        assert (added.text, added.is_error) == ("42", False)
        failed = await hub.call("explode", {})
        assert failed.is_error and "explode" in failed.text
        # The result is the server's text as it came: the UI disarms it when it shows it.
        assert (await hub.call("hostile", {})).text == HOSTILE
        unknown = await hub.call("nope", {})
        assert unknown.is_error and "no tool named 'nope'" in unknown.text
        assert hub.problems() == ()
    finally:
        await hub.aclose()
    assert running_with(tag) == []  # the process is gone and reaped


async def test_large_output_is_cut_with_a_note(tag: str) -> None:
    hub = McpHub([stdio_server("tools", "--tag", tag)], max_output=100_000)
    try:
        outcome = await hub.call("big", {})
    finally:
        await hub.aclose()
    assert not outcome.is_error
    assert outcome.text.startswith("x" * 100_000)
    assert "1,048,576 characters, the first 100,000 are kept" in outcome.text
    assert len(outcome.text) < 100_200


async def test_a_call_past_its_timeout_is_an_error_and_the_server_goes_on(tag: str) -> None:
    hub = McpHub([stdio_server("tools", "--tag", tag, call_timeout=0.5)])
    try:
        await hub.specs()
        outcome = await hub.call("slow", {"seconds": 30})
        assert outcome.is_error
        assert "did not answer within 0.5 s" in outcome.text
        assert (await hub.call("echo", {"text": "still here"})).text == "still here"
    finally:
        await hub.aclose()
    assert running_with(tag) == []


async def test_servers_that_cannot_start_are_one_line_each_and_the_rest_go_on(tag: str) -> None:
    seen: list[dict[str, Any]] = []
    await _watch(seen)
    hub = McpHub(
        [
            stdio_server("good", "--tag", tag),
            stdio_server("broken", "--fail", "--tag", tag),
            McpServer(name="missing", command="/no/such/mcp-server"),
            McpServer(
                name="stuck",
                command=sys.executable,
                args=["-c", "import time; time.sleep(600)", tag],
                startup_timeout=1,
            ),
        ]
    )
    try:
        specs = await hub.specs()
        assert {spec.source for spec in specs} == {"good"}
        assert (await hub.call("echo", {"text": "hi"})).text == "hi"
        problems = hub.problems()
        assert len(problems) == 3
        broken = next(line for line in problems if "broken" in line)
        assert broken.startswith("MCP server broken: ")
        # The tail of its stderr, the last five lines, disarmed.
        assert "startup line 5 | startup line 6" in broken
        assert "startup line 4" not in broken
        assert "fatal: cannot open the database ␛[31m(red)" in broken
        assert "\x1b" not in broken and "\n" not in broken
        missing = next(line for line in problems if "missing" in line)
        assert "could not run '/no/such/mcp-server'" in missing
        assert "No such file or directory" in missing
        stuck = next(line for line in problems if "stuck" in line)
        assert "did not start within 1 s" in stuck
        outcome = await hub.call("nope", {})
        assert outcome.is_error
    finally:
        await hub.aclose()
    assert running_with(tag) == []
    gc.collect()
    await asyncio.sleep(0)
    assert [context.get("message") for context in seen] == []


async def test_a_server_that_dies_mid_call_gives_an_error_outcome(tag: str) -> None:
    hub = McpHub([stdio_server("tools", "--tag", tag)])
    try:
        await hub.specs()
        outcome = await hub.call("die", {})
        assert outcome.is_error
        assert outcome.text.startswith("MCP server tools stopped during the call to die")
        assert "about to die mid-call" in outcome.text  # its stderr tail
        again = await hub.call("echo", {"text": "x"})
        assert again.is_error and "MCP server tools is not running" in again.text
        (problem,) = hub.problems()
        assert problem.startswith("MCP server tools: stopped (its process exited")
        assert "about to die mid-call" in problem
        await until(lambda: running_with(tag) == [], "the dead server reaped")
    finally:
        await hub.aclose()


async def test_a_server_that_exits_while_idle_is_a_problem_at_once(tag: str) -> None:
    hub = McpHub([stdio_server("tools", "--tag", tag)])
    try:
        assert (await hub.call("leave", {})).text == "bye"
        await until(lambda: hub.problems() != (), "the exit noticed")
        (problem,) = hub.problems()
        assert problem.startswith("MCP server tools: stopped (its process exited")
        assert "leaving while idle" in problem
        assert "not running" in (await hub.call("echo", {"text": "x"})).text
        await until(lambda: running_with(tag) == [], "the dead server reaped")
    finally:
        await hub.aclose()


async def test_same_tool_names_on_two_servers_are_prefixed_and_mapped_back(tag: str) -> None:
    hub = McpHub(
        [
            stdio_server("alpha", "--tag", tag),
            stdio_server("beta", "--tag", tag),
            stdio_server("own", "--prefix", "own_", "--tag", tag),
        ],
        deny=["alpha.die", "beta.*"],
    )
    try:
        names = {spec.name: spec.source for spec in await hub.specs()}
        # beta is denied as a whole: alpha's tools clash with nothing and keep their names.
        assert names["echo"] == "alpha" and "die" not in names
        assert names["own_echo"] == "own"
        assert not any(name.startswith("beta") for name in names)
    finally:
        await hub.aclose()
    hub = McpHub([stdio_server("alpha", "--tag", tag), stdio_server("beta", "--tag", tag)])
    try:
        names = {spec.name: spec.source for spec in await hub.specs()}
        assert names["alpha__echo"] == "alpha" and names["beta__echo"] == "beta"
        assert "echo" not in names
        assert hub.origin("beta__add") == ("beta", "add")
        assert (await hub.call("beta__add", {"a": 1, "b": 1})).text == "2"
        assert (await hub.call("alpha__echo", {"text": "a"})).text == "a"
    finally:
        await hub.aclose()
    assert running_with(tag) == []


async def test_stdio_servers_get_their_env_but_not_the_users_keys(
    tag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-for-mcp")
    monkeypatch.setenv("SOME_CLOUD_TOKEN", "secret")
    hub = McpHub([stdio_server("tools", "--tag", tag, env={"SERVER_REGION": "eu"})])
    try:
        names = (await hub.call("env_names", {})).text.split()
    finally:
        await hub.aclose()
    assert "SERVER_REGION" in names and "PATH" in names and "HOME" in names
    assert "OPENAI_API_KEY" not in names and "SOME_CLOUD_TOKEN" not in names


async def test_streamable_http_with_a_bearer_token(http_server: HttpServer) -> None:
    server = McpServer(name="remote", url=http_server.url, startup_timeout=60, call_timeout=60)
    hub = McpHub([server], token_reader=lambda _server: http_server.token)
    try:
        specs = {spec.name: spec for spec in await hub.specs()}
        assert specs["peek"].read_only and specs["echo"].source == "remote"
        assert (await hub.call("add", {"a": 3, "b": 4})).text == "7"
        assert (await hub.call("explode", {})).is_error
    finally:
        await hub.aclose()
    wrong = McpHub([server], token_reader=lambda _server: "tok-wrong-token")
    try:
        assert await wrong.specs() == ()
        (problem,) = wrong.problems()
    finally:
        await wrong.aclose()
    assert problem.startswith("MCP server remote: ")
    assert "401" in problem and "tok-wrong-token" not in problem


async def test_nothing_starts_before_the_tools_are_wanted(tag: str) -> None:
    hub = McpHub([stdio_server("tools", "--tag", tag)])
    await asyncio.sleep(0)
    assert running_with(tag) == [] and hub.problems() == ()
    await hub.aclose()  # closing a hub that never started is fine
