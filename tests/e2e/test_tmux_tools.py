"""Tool calls in a real terminal: tmux runs the installed `craft-tui` with a connection to the
loopback fake LLM server (scripted to call a tool) and a real MCP server over stdio
(tests/servers/mcp_tools_server.py), both configured through the CLI as a user would. We read
the permission question off the screen, answer it with keys, and read the tool block and the
final answer back; a denial is shown as denied and reaches the model as an error result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import subprocess_env
from tests.e2e.tmux import CRAFT_TUI, Tmux, add_connection
from tests.servers.fake import FakeLLMServer, RecordedRequest
from tests.servers.tool_calls import FakeToolCall

SERVER = Path(__file__).parent.parent / "servers" / "mcp_tools_server.py"
BIG_WAIT = 90.0  # the MCP server is a Python process importing the SDK: slow on a loaded box


def add_mcp_server(home: Path) -> None:
    """`craft-tui mcp add demo -- python mcp_tools_server.py`, as a user would type it."""
    done = subprocess.run(
        [CRAFT_TUI, "mcp", "add", "demo", "--", sys.executable, str(SERVER)],
        capture_output=True,
        text=True,
        env=subprocess_env(home),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def tool_messages(request: RecordedRequest) -> list[dict[str, object]]:
    """The `role: "tool"` messages the app sent back to the model in one request."""
    return [m for m in request.json["messages"] if m.get("role") == "tool"]


def start_app(home: Path, tmp_path: Path, server: FakeLLMServer) -> Tmux:
    add_connection(home, server.base_url)
    add_mcp_server(home)
    tmux = Tmux(tmp_path / "tmux.sock", home)
    tmux.start(CRAFT_TUI, width=110, height=36)
    tmux.wait_for(lambda s: "Message fake-model" in s)
    return tmux


def press_until_gone(tmux: Tmux, key: str) -> None:
    """Press `key` until the permission question leaves the screen, as a person would press it
    again when the first press came before the allowing keys woke up."""
    for _ in range(60):
        tmux.keys(key)
        try:
            tmux.wait_for(lambda s: "Run this tool?" not in s, timeout=1.0)
            return
        except AssertionError:
            continue
    raise AssertionError(f"the question never went; last screen:\n{tmux.screen()}")


def ask_for_the_tool(tmux: Tmux) -> str:
    """Type a prompt and wait for the permission question; returns the screen showing it."""
    tmux.keys("Please use the echo tool", literal=True)
    tmux.keys("Enter")
    return tmux.wait_for(lambda s: "Run this tool?" in s, timeout=BIG_WAIT)


def test_allowing_a_tool_call_in_tmux_runs_it_and_shows_the_result_and_the_answer(
    isolated_home: Path, tmp_path: Path
) -> None:
    with FakeLLMServer(reply="The tool said penguins, so: penguins.") as server:
        # The first answer calls the tool; the one after the results is plain text.
        server.queue(
            reply="Let me ask the tool.",
            tool_calls=(FakeToolCall("echo", json.dumps({"text": "penguins"})),),
        )
        tmux = start_app(isolated_home, tmp_path, server)
        try:
            question = ask_for_the_tool(tmux)
            # What will run, where, and with exactly which arguments.
            assert "demo · echo" in question
            assert '"text": "penguins"' in question
            assert "Allow once" in question and "Deny" in question
            # The allowing keys wake 0.5 s after the question shows (a `y` typed for the prompt
            # must not run a tool), so a `y` may land too early: press it until the question goes.
            press_until_gone(tmux, "y")
            screen = tmux.wait_for(
                lambda s: "The tool said penguins, so: penguins." in s, timeout=BIG_WAIT
            )
            assert "Run this tool?" not in screen
            assert "Please use the echo tool" in screen
            assert "Let me ask the tool." in screen
            # The block: server · tool · status, folded to its header once it went fine.
            assert "demo · echo · done" in screen
            assert "Traceback" not in screen
            first, second = server.chat_requests[0], server.chat_requests[1]
            assert any(t["function"]["name"] == "echo" for t in first.json["tools"])
            (result,) = tool_messages(second)
            assert result["content"] == "penguins"
            # Shift+Tab back from the prompt to the block (its keys show in the footer), then
            # space unfolds it: the arguments and the server's result are on screen.
            for _ in range(6):
                tmux.keys("BTab")
                try:
                    tmux.wait_for(lambda s: "space Fold" in s, timeout=2.0)
                    break
                except AssertionError:
                    continue
            tmux.keys("Space")
            screen = tmux.wait_for(lambda s: "▼ ⚙ demo · echo · done" in s)
            lines = [line.strip(" ▌") for line in screen.splitlines()]
            assert '{"text": "penguins"}' in lines
            assert "penguins" in lines
            tmux.keys("C-q")
        finally:
            tmux.kill()


def test_denying_a_tool_call_in_tmux_shows_it_as_denied_and_tells_the_model(
    isolated_home: Path, tmp_path: Path
) -> None:
    with FakeLLMServer(reply="Understood, I will not use it.") as server:
        server.queue(
            reply="Let me ask the tool.",
            tool_calls=(FakeToolCall("echo", json.dumps({"text": "secret plans"})),),
        )
        tmux = start_app(isolated_home, tmp_path, server)
        try:
            question = ask_for_the_tool(tmux)
            assert '"text": "secret plans"' in question
            # `n` opens the reason field; the reason typed goes to the model; Enter denies.
            tmux.keys("n")
            tmux.wait_for(lambda s: "Reason for the model" in s)
            tmux.keys("not today", literal=True)
            tmux.keys("Enter")
            screen = tmux.wait_for(
                lambda s: "Understood, I will not use it." in s, timeout=BIG_WAIT
            )
            assert "Run this tool?" not in screen
            assert "demo · echo · denied" in screen
            assert "Traceback" not in screen
            (result,) = tool_messages(server.chat_requests[1])
            assert "not today" in str(result["content"])
            # The tool never ran: the result is the refusal, not the echo.
            assert "secret plans" not in str(result["content"])
            tmux.keys("C-q")
        finally:
            tmux.kill()
