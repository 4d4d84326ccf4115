"""`craft-tui ask --tools`: what the person sees on stdout, stderr and the terminal, with a
scripted driver function and a fake ToolBox (the subprocess run against real servers is in
test_ask_tools_e2e.py)."""

from __future__ import annotations

import argparse
import fcntl
import io
import os
import select
import signal
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from craft_tui.chat.permissions import PermissionPolicy
from craft_tui.cli import UserError
from craft_tui.commands.ask_tools import (
    TerminalAsker,
    add_arguments,
    answer_with_tools,
    build_policy,
    select_servers,
)
from craft_tui.config.schema import Config, McpServer
from craft_tui.providers.content import ToolCallPart
from craft_tui.providers.types import (
    ChatMessage,
    ChatRequest,
    Finish,
    StreamEvent,
    TextDelta,
    ToolCallReady,
    ToolCallStarted,
    ToolOutcome,
    ToolSpec,
)
from tests.conftest import subprocess_env

READ = ToolSpec("read_file", "Read a file", {"type": "object"}, read_only=True, source="fs")
WRITE = ToolSpec("write_file", "Write a file", {"type": "object"}, source="fs")
REQUEST = ChatRequest(model="m", messages=(ChatMessage("user", "Fix notes.txt"),))


def calling(*calls: ToolCallPart, text: str = "") -> list[StreamEvent]:
    events: list[StreamEvent] = [TextDelta(text)] if text else []
    events += [ToolCallStarted(i, c.id, c.name) for i, c in enumerate(calls)]
    events += [ToolCallReady(i, c) for i, c in enumerate(calls)]
    return [*events, Finish("tool_use")]


def saying(text: str) -> list[StreamEvent]:
    return [TextDelta(text), Finish("stop")]


class Driver:
    def __init__(self, *steps: Sequence[StreamEvent]) -> None:
        self.steps = list(steps)
        self.requests: list[ChatRequest] = []

    async def __call__(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.requests.append(request)
        for event in self.steps[len(self.requests) - 1]:
            yield event


class Box:
    def __init__(self, answers: Mapping[str, ToolOutcome] | None = None) -> None:
        self.answers = dict(answers or {})
        self.calls: list[tuple[str, Mapping[str, Any]]] = []
        self.trouble: tuple[str, ...] = ()

    async def specs(self) -> tuple[ToolSpec, ...]:
        return (READ, WRITE)

    async def call(self, name: str, arguments: Mapping[str, Any]) -> ToolOutcome:
        self.calls.append((name, arguments))
        return self.answers.get(name, ToolOutcome(f"{name} ok"))

    def problems(self) -> tuple[str, ...]:
        return self.trouble

    async def aclose(self) -> None:
        pass


class Terminal(io.StringIO):
    """/dev/tty: `typed` lines come in, everything written is kept in `shown`."""

    def __init__(self, *typed: str) -> None:
        super().__init__("".join(line + "\n" for line in typed))
        self.shown: list[str] = []

    def write(self, text: str) -> int:
        self.shown.append(text)
        return len(text)

    @property
    def screen(self) -> str:
        return "".join(self.shown)


async def ask(
    driver: Driver,
    box: Box,
    policy: PermissionPolicy,
    terminal: Terminal | None = None,
    max_steps: int = 10,
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    asker = TerminalAsker(policy, terminal=lambda: terminal)
    code = await answer_with_tools(
        REQUEST, driver, box, policy, asker, out, err, max_steps=max_steps
    )
    return code, out.getvalue(), err.getvalue()


WRITE_CALL = ToolCallPart("c1", "write_file", '{"path": "notes.txt", "text": "fixed"}')


async def test_the_answer_goes_to_stdout_and_each_tool_call_is_a_line_on_stderr() -> None:
    driver = Driver(
        calling(ToolCallPart("c1", "read_file", '{"path": "notes.txt"}'), text="Looking."),
        saying("It is empty."),
    )
    box = Box({"read_file": ToolOutcome("")})
    code, out, err = await ask(driver, box, PermissionPolicy("allow-all"))
    assert code == 0
    assert out == "Looking.\nIt is empty.\n"
    lines = err.splitlines()
    assert lines[0] == 'craft-tui: tool fs.read_file {"path": "notes.txt"}'
    assert lines[1].startswith("craft-tui: tool fs.read_file done in ")
    assert lines[1].endswith("(0 characters)")
    assert len(lines) == 2
    assert driver.requests[1].messages[-1].parts[0].text == ""  # type: ignore[union-attr]


async def test_without_a_terminal_a_call_needing_permission_stops_with_the_flag_to_pass() -> None:
    driver = Driver(calling(WRITE_CALL, text="I will fix it."))
    box = Box()
    code, out, err = await ask(driver, box, PermissionPolicy("ask"), terminal=None)
    assert code == 1
    assert box.calls == []
    assert out == "I will fix it.\n"
    assert err.splitlines() == [
        "craft-tui: the model wants to run fs.write_file, which needs your permission, and "
        "there is no terminal to ask on.",
        "  fix: pass --allow fs.write_file to let it run (or --yes to allow every tool), or "
        "run this in a terminal.",
    ]


async def test_the_question_shows_server_tool_and_exact_arguments_and_yes_runs_it() -> None:
    terminal = Terminal("y")
    driver = Driver(calling(WRITE_CALL), saying("Fixed."))
    box = Box()
    code, out, _ = await ask(driver, box, PermissionPolicy("ask"), terminal)
    assert code == 0 and out == "Fixed.\n"
    assert box.calls == [("write_file", {"path": "notes.txt", "text": "fixed"})]
    assert terminal.screen.startswith(
        "\ncraft-tui: the model wants to run a tool.\n"
        "  server:    fs\n"
        "  tool:      write_file\n"
        "  arguments:\n"
        "    {\n"
        '      "path": "notes.txt",\n'
        '      "text": "fixed"\n'
        "    }\n"
        "Run it? [y] yes, once  [a] yes, and this tool for the rest of this run  [n] no: "
    )


async def test_hostile_arguments_are_shown_as_text_in_the_question() -> None:
    terminal = Terminal("n", "")
    hostile = ToolCallPart(
        "c1", "write_file", r'{"path": "a\u200bb", "x": "\u001b]52;c;aGk=\u0007"}'
    )
    driver = Driver(calling(hostile), saying("ok"))
    await ask(driver, Box(), PermissionPolicy("ask"), terminal)
    assert "\x1b" not in terminal.screen and "\x07" not in terminal.screen
    assert '"path": "a⟨U+200B⟩b"' in terminal.screen
    assert r'"x": "\u001b]52;c;aGk=\u0007"' in terminal.screen  # JSON's own escape, as text


async def test_no_with_a_reason_tells_the_model_and_runs_nothing() -> None:
    terminal = Terminal("n", "keep the original")
    driver = Driver(calling(WRITE_CALL), saying("Left it alone."))
    box = Box()
    code, _, err = await ask(driver, box, PermissionPolicy("ask"), terminal)
    assert code == 0 and box.calls == []
    result = driver.requests[1].messages[-1].parts[0]
    assert result.text == "the user denied this call: keep the original"  # type: ignore[union-attr]
    assert (
        "craft-tui: tool fs.write_file not run: the user denied this call: keep the original" in err
    )
    assert "Why not? (told to the model; Enter for no reason): " in terminal.screen


async def test_always_allows_the_tool_for_the_rest_of_the_run_and_a_wrong_key_asks_again() -> None:
    terminal = Terminal("what", "a")
    second = ToolCallPart("c2", "write_file", "{}")
    driver = Driver(calling(WRITE_CALL), calling(second), saying("Done."))
    box = Box()
    code, _, _ = await ask(driver, box, PermissionPolicy("ask"), terminal)
    assert code == 0
    assert [name for name, _ in box.calls] == ["write_file", "write_file"]
    assert terminal.screen.count("Run it?") == 2  # "what" asked again; c2 was not asked about
    assert terminal.screen.count("the model wants to run a tool") == 1


async def test_end_of_input_at_the_question_denies_the_call() -> None:
    terminal = Terminal()
    driver = Driver(calling(WRITE_CALL), saying("ok"))
    box = Box()
    await ask(driver, box, PermissionPolicy("ask"), terminal)
    assert box.calls == []
    result = driver.requests[1].messages[-1].parts[0]
    assert result.text == "the user denied this call: no answer was given"  # type: ignore[union-attr]


async def test_read_only_runs_reading_tools_and_refuses_writing_ones_without_asking() -> None:
    read = ToolCallPart("r", "read_file", "{}")
    driver = Driver(calling(read, WRITE_CALL), saying("ok"))
    box = Box()
    code, _, err = await ask(driver, box, PermissionPolicy("read-only"), terminal=None)
    assert code == 0
    assert [name for name, _ in box.calls] == ["read_file"]
    assert "craft-tui: tool fs.write_file not run: fs.write_file was not run: only read-only" in err


async def test_a_hostile_tool_result_reaches_stderr_disarmed() -> None:
    driver = Driver(calling(WRITE_CALL), saying("ok"))
    box = Box({"write_file": ToolOutcome("\x1b[2Jboom\x1b]0;t\x07", is_error=True)})
    _, _, err = await ask(driver, box, PermissionPolicy("allow-all"))
    assert "\x1b" not in err
    assert "failed after" in err and "␛[2Jboom␛]0;t␇" in err


async def test_the_step_limit_without_a_terminal_exits_1_and_says_how_to_go_on() -> None:
    read = ToolCallPart("r", "read_file", "{}")
    driver = Driver(calling(read, text="Step one."), saying("never asked"))
    code, out, err = await ask(driver, Box(), PermissionPolicy("allow-all"), max_steps=1)
    assert code == 1
    assert out == "Step one.\n"
    assert len(driver.requests) == 1
    assert err.splitlines()[-2:] == [
        "craft-tui: stopped after 1 tool round (--max-steps 1); the model has not answered "
        "the last results yet.",
        "  fix: pass a larger --max-steps (e.g. --max-steps 2) to let it go on.",
    ]


async def test_at_the_step_limit_the_person_may_let_it_go_on() -> None:
    read = ToolCallPart("r", "read_file", "{}")
    terminal = Terminal("y")
    driver = Driver(calling(read), saying("Finished."))
    code, out, _ = await ask(driver, Box(), PermissionPolicy("allow-all"), terminal, max_steps=1)
    assert code == 0 and out == "Finished.\n"
    assert "Let it go on? [y/N]: " in terminal.screen


async def test_servers_that_failed_are_named_and_no_tools_at_all_is_an_error() -> None:
    class Empty(Box):
        async def specs(self) -> tuple[ToolSpec, ...]:
            return ()

    box = Empty()
    box.trouble = ("fs could not run 'npx': No such file or directory",)
    with pytest.raises(UserError, match="no tool is available"):
        await ask(Driver(saying("hi")), box, PermissionPolicy("ask"))


async def test_usage_adds_up_every_step_of_the_loop(isolated_home: Path) -> None:
    from craft_tui.providers.types import Usage
    from tests.chat.fakes import connection

    step = [Usage(input_tokens=5, output_tokens=3)]
    driver = Driver([*step, *calling(ToolCallPart("r", "read_file", "{}"))], [*step, *saying("ok")])
    policy = PermissionPolicy("allow-all")
    out, err = io.StringIO(), io.StringIO()
    code = await answer_with_tools(
        REQUEST,
        driver,
        Box(),
        policy,
        TerminalAsker(policy, terminal=lambda: None),
        out,
        err,
        max_steps=5,
        connection=connection(),
        show_usage=True,
    )
    assert code == 0
    assert err.getvalue().splitlines()[-1].startswith("fake/m: tokens in 10, out 6, ")


# ---------------------------------------------------------------------- options


def args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("prompt", nargs="?")
    add_arguments(parser)
    return parser.parse_args(argv)


def servers(*names: str, enabled: bool = True) -> Config:
    return Config(mcp_servers=[McpServer(name=n, command="tool", enabled=enabled) for n in names])


def test_the_options_parse_as_the_readme_writes_them() -> None:
    parsed = args(
        "Fix it",
        "--tools",
        "fs",
        "git",
        "--allow",
        "fs.read_file",
        "--allow",
        "git.*",
        "--max-steps",
        "3",
    )
    assert parsed.prompt == "Fix it"
    assert parsed.tools == ["fs", "git"]
    assert parsed.allow == ["fs.read_file", "git.*"]
    assert parsed.max_steps == 3
    assert args("Fix it", "--tools").tools == []  # every server
    assert args("Fix it").tools is None  # no tools at all
    assert args("--tools", "--yes").yes


def test_tool_flags_without_tools_are_refused_and_history_flags_are_not_combined_yet() -> None:
    from craft_tui.commands.ask_tools import run_tools, tools_request, wants_tools

    assert not wants_tools(args("x"))
    assert wants_tools(args("x", "--tools")) and wants_tools(args("x", "--yes"))
    with pytest.raises(UserError, match="--yes is about tools, and --tools was not given"):
        run_tools(args("x", "--yes"), Config())
    with pytest.raises(UserError, match="--tools cannot be combined with --save or --continue"):
        tools_request(argparse.Namespace(save=True), Config())


def test_servers_are_chosen_by_name_or_all_enabled_ones() -> None:
    config = Config(
        mcp_servers=[
            McpServer(name="fs", command="a"),
            McpServer(name="git", command="b", enabled=False),
        ]
    )
    assert [s.name for s in select_servers(config, [])] == ["fs"]
    chosen = select_servers(config, ["git,fs"])
    assert [(s.name, s.enabled) for s in chosen] == [("git", True), ("fs", True)]
    with pytest.raises(UserError, match=r"no MCP server named 'Fix it' \(configured: fs, git\)"):
        select_servers(config, ["fs", "Fix it"])
    with pytest.raises(UserError, match="no MCP server is configured"):
        select_servers(Config(), [])
    with pytest.raises(UserError, match=r"every MCP server in config\.toml is disabled"):
        select_servers(servers("fs", enabled=False), [])


def test_the_flags_make_the_policy_over_the_configs_tools_table() -> None:
    config = Config.model_validate(
        {"tools": {"permission": "ask", "allow": ["fs.read_file"], "deny": ["fs.rm"]}}
    )
    policy = build_policy(args("x", "--tools", "--allow", "git.*"), config)
    assert (policy.mode, policy.allow, policy.deny) == (
        "ask",
        ("fs.read_file", "git.*"),
        ("fs.rm",),
    )
    assert build_policy(args("x", "--tools", "--yes"), config).mode == "allow-all"
    assert build_policy(args("x", "--tools", "--read-only"), config).mode == "read-only"
    with pytest.raises(UserError, match="--yes and --read-only contradict each other"):
        build_policy(args("x", "--tools", "--yes", "--read-only"), config)


# ---------------------------------------------------------------------- a real MCP server


MCP_SERVER = Path(__file__).resolve().parents[1] / "servers" / "mcp_tools_server.py"


def demo_server() -> McpServer:
    """The test MCP server over stdio (timeouts are hang guards: a loaded machine starts the
    SDK slowly)."""
    return McpServer.model_validate(
        {
            "name": "demo",
            "command": sys.executable,
            "args": [str(MCP_SERVER)],
            "startup_timeout": 90,
            "call_timeout": 90,
        }
    )


async def test_a_real_mcp_server_runs_allowed_and_read_only_calls_and_refuses_the_rest() -> None:
    from craft_tui.mcp import McpHub
    from tests.servers.mcp_tools_server import HOSTILE

    hub = McpHub([demo_server()])
    policy = PermissionPolicy("read-only", allow=("demo.add", "demo.hostile"), origin=hub.origin)
    driver = Driver(
        calling(
            ToolCallPart("c1", "add", '{"a": 2, "b": 40}'),
            ToolCallPart("c2", "peek", "{}"),
            ToolCallPart("c3", "hostile", "{}"),
            ToolCallPart("c4", "echo", '{"text": "hi"}'),
            text="Adding.",
        ),
        saying("42."),
    )
    out, err = io.StringIO(), io.StringIO()
    try:
        code = await answer_with_tools(
            REQUEST,
            driver,
            hub,
            policy,
            TerminalAsker(policy, terminal=lambda: None),
            out,
            err,
            max_steps=3,
        )
    finally:
        await hub.aclose()
    assert code == 0, err.getvalue()
    assert out.getvalue() == "Adding.\n42.\n"
    results = driver.requests[1].messages[-1].parts
    assert [(r.text, r.is_error) for r in results[:3]] == [  # type: ignore[union-attr]
        ("42", False),
        ("nothing changed", False),  # read-only by its annotation
        (HOSTILE, False),  # the model gets the exact text
    ]
    assert results[3].is_error and "demo.echo was not run: only read-only" in results[3].text  # type: ignore[union-attr]
    shown = err.getvalue()
    assert 'craft-tui: tool demo.add {"a": 2, "b": 40}' in shown
    assert "\x1b" not in shown and "\x9b" not in shown
    assert "tool demo.echo not run" in shown


# ---------------------------------------------------------------------- the command line


def test_the_command_line_refuses_tools_it_cannot_offer_before_asking_the_model(
    isolated_home: Path,
) -> None:
    from tests.servers import FakeLLMServer
    from tests.servers.cli import add_connection, craft

    with FakeLLMServer(protocol="openai") as server:
        add_connection(server)
        none = craft(isolated_home, "ask", "hi", "--tools")
        stray = craft(isolated_home, "ask", "hi", "--allow", "fs.read_file")
        assert server.chat_requests == []
    assert (none.returncode, none.stdout) == (1, "")
    assert none.stderr == (
        "craft-tui: --tools: no MCP server is configured.\n"
        "  fix: add one under [[mcp_servers]] in config.toml (`craft-tui paths` shows where).\n"
    )
    assert (stray.returncode, stray.stdout) == (1, "")
    assert stray.stderr == (
        "craft-tui: --allow is about tools, and --tools was not given.\n"
        "  fix: add --tools (every configured MCP server) or --tools SERVER.\n"
    )


def test_tools_with_save_or_continue_is_refused_before_anything_is_stored_or_sent(
    isolated_home: Path, tag: str
) -> None:
    """`ask --tools` does not store tool rounds yet: with --save or --continue it says so and
    how to get there, before an MCP server starts, the model is asked or the history is touched."""
    from craft_tui.chat.history import HistoryStore
    from tests.mcp.conftest import running_with
    from tests.servers import FakeLLMServer
    from tests.servers.cli import add_connection, craft

    with FakeLLMServer(protocol="openai") as server:
        add_connection(server)
        with_demo_server(tag)
        saving = craft(isolated_home, "ask", "hi", "--tools", "--save")
        going_on = craft(isolated_home, "ask", "--continue", "and then?", "--tools")
        assert server.chat_requests == []
    refusal = (
        "craft-tui: --tools cannot be combined with --save or --continue yet.\n"
        "  fix: run it without --save/--continue, or use the app, which stores tool calls.\n"
    )
    for result in (saving, going_on):
        assert (result.returncode, result.stdout, result.stderr) == (1, "", refusal)
    assert not running_with(tag)  # no server was started for it
    store = HistoryStore.open()
    try:
        assert store.last_conversation_id() is None
    finally:
        store.close()


# ------------------------------------------------------- end to end: fake LLM + real MCP server


@pytest.fixture
def tag() -> str:
    """A mark for this test's MCP server process (`--tag`), to see that none is left."""
    return f"t{uuid.uuid4().hex[:12]}"


def with_demo_server(tag: str) -> None:
    """Add the test MCP server (stdio, tagged) to the config of the current CRAFT_TUI_HOME."""
    from craft_tui.config.store import load_config, save_config
    from tests.mcp.conftest import stdio_server

    config = load_config()
    config.mcp_servers = [stdio_server("demo", "--tag", tag)]
    save_config(config)


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_ask_tools_runs_an_allowed_call_of_a_real_server_and_answers_with_its_result(
    isolated_home: Path, tag: str, protocol: str
) -> None:
    from tests.mcp.conftest import running_with
    from tests.servers import FakeLLMServer, FakeToolCall
    from tests.servers.cli import add_connection, craft

    with FakeLLMServer(protocol=protocol, reply="The sum is 42.") as server:  # type: ignore[arg-type]
        server.queue(reply="Adding.", tool_calls=(FakeToolCall("add", '{"a": 2, "b": 40}', "c1"),))
        add_connection(server)
        with_demo_server(tag)
        result = craft(isolated_home, "ask", "What is 2 + 40?", "--tools", "--allow", "demo.add")
        requests = server.chat_requests
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Adding.\nThe sum is 42.\n"
    lines = result.stderr.splitlines()
    assert lines[0] == 'craft-tui: tool demo.add {"a": 2, "b": 40}'
    assert lines[1].startswith("craft-tui: tool demo.add done in ") and lines[1].endswith(
        "(2 characters)"
    )
    assert len(lines) == 2
    assert len(requests) == 2
    first, second = requests[0].json, requests[1].json
    offered = [t["function"]["name"] if protocol == "openai" else t["name"] for t in first["tools"]]
    assert {"add", "echo", "peek"} <= set(offered)
    if protocol == "openai":
        assert second["messages"][-1] == {"role": "tool", "tool_call_id": "c1", "content": "42"}
        assert second["messages"][-2]["tool_calls"][0]["function"] == {
            "name": "add",
            "arguments": '{"a": 2, "b": 40}',
        }
    else:
        block = second["messages"][-1]["content"][0]
        assert (block["type"], block["tool_use_id"], block["content"]) == (
            "tool_result",
            "c1",
            "42",
        )
        assert second["messages"][-2]["content"][-1]["input"] == {"a": 2, "b": 40}
    assert running_with(tag) == []  # the server process ended with the command


def test_ask_tools_without_a_terminal_stops_at_a_call_that_needs_permission(
    isolated_home: Path, tag: str
) -> None:
    from tests.mcp.conftest import running_with
    from tests.servers import FakeLLMServer, FakeToolCall
    from tests.servers.cli import add_connection

    with FakeLLMServer(protocol="openai", reply="never sent") as server:
        server.queue(reply="Let me echo.", tool_calls=(FakeToolCall("echo", '{"text": "hi"}'),))
        add_connection(server)
        with_demo_server(tag)
        # A new session: no controlling terminal, so /dev/tty cannot be opened (as under cron).
        result = subprocess.run(
            [sys.executable, "-m", "craft_tui", "ask", "Echo hi", "--tools", "demo"],
            input="",
            capture_output=True,
            text=True,
            env=subprocess_env(isolated_home),
            timeout=120,
            check=False,
            start_new_session=True,
        )
        assert len(server.chat_requests) == 1
    assert result.returncode == 1
    assert result.stdout == "Let me echo.\n"
    assert result.stderr.splitlines() == [
        "craft-tui: the model wants to run demo.echo, which needs your permission, and there "
        "is no terminal to ask on.",
        "  fix: pass --allow demo.echo to let it run (or --yes to allow every tool), or run "
        "this in a terminal.",
    ]
    assert running_with(tag) == []


def test_ask_tools_asks_on_the_terminal_when_the_prompt_is_piped(
    isolated_home: Path, tag: str
) -> None:
    """stdin is a pipe (the prompt); the question and the answer to it go through /dev/tty."""
    from tests.servers import FakeLLMServer, FakeToolCall
    from tests.servers.cli import add_connection

    with FakeLLMServer(protocol="openai", reply="It said hi.") as server:
        server.queue(reply="", tool_calls=(FakeToolCall("echo", '{"text": "hi\\u001b[2J"}'),))
        add_connection(server)
        with_demo_server(tag)
        master, slave = os.openpty()

        def controlling_terminal() -> None:  # runs in the child, after setsid
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        child = subprocess.Popen(
            [sys.executable, "-m", "craft_tui", "ask", "--tools", "demo"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(isolated_home),
            start_new_session=True,
            pass_fds=(slave,),
            preexec_fn=controlling_terminal,
        )
        os.close(slave)
        try:
            assert child.stdin is not None
            child.stdin.write("Echo hi")
            child.stdin.close()
            child.stdin = None  # the prompt is all it gets (communicate must not flush it)
            try:
                screen = read_until(master, "[n] no: ")
            except AssertionError as problem:
                child.kill()
                raise AssertionError((problem, child.communicate(timeout=60))) from None
            os.write(master, b"y\n")
            out, err = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            os.close(master)
        body = server.chat_requests[-1].json
    assert child.returncode == 0, err
    assert out == "It said hi.\n"
    assert "  server:    demo\n" in screen.replace("\r\n", "\n")
    assert "  tool:      echo\n" in screen.replace("\r\n", "\n")
    assert '      "text": "hi\\u001b[2J"\n' in screen.replace("\r\n", "\n")  # as text
    assert "\x1b" not in screen
    assert body["messages"][-1]["content"] == "hi\x1b[2J"  # the tool got (and gave) it exactly
    assert "craft-tui: tool demo.echo" in err


def read_until(fd: int, wanted: str, timeout: float = 120.0) -> str:
    """What the child wrote to its terminal, up to and including `wanted` (a hang guard only)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted.encode() not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{wanted!r} never appeared; the terminal showed {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed its terminal (it ended)
                chunk = b""
            assert chunk, f"the terminal closed; it showed {seen!r}"
            seen += chunk
    return seen.decode("utf-8", "replace")


def test_ctrl_c_while_a_tool_runs_stops_with_130_and_ends_the_server(
    isolated_home: Path, tag: str
) -> None:
    from tests.mcp.conftest import running_with
    from tests.servers import FakeLLMServer, FakeToolCall
    from tests.servers.cli import add_connection

    def as_in_a_terminal() -> None:  # a background suite's children inherit SIGINT ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    with FakeLLMServer(protocol="openai", reply="never sent") as server:
        server.queue(reply="Waiting.", tool_calls=(FakeToolCall("slow", '{"seconds": 600}'),))
        add_connection(server)
        with_demo_server(tag)
        child = subprocess.Popen(
            [sys.executable, "-m", "craft_tui", "ask", "Wait", "--tools", "--allow", "demo.slow"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=subprocess_env(isolated_home),
            start_new_session=True,
            preexec_fn=as_in_a_terminal,
        )
        try:
            assert child.stderr is not None
            seen = read_until(child.stderr.fileno(), "craft-tui: tool demo.slow")
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert len(server.chat_requests) == 1
    assert child.returncode == 130
    assert out == b"Waiting.\n"
    assert (seen + err.decode()).splitlines()[-1] == "craft-tui: stopped."
    assert running_with(tag) == []  # the slow server did not outlive the command
