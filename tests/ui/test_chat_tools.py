"""Tool calls in the app, as a person sees them: the answer calls a tool of a real MCP server
(the test's own, over stdio), the question shows what it will run, the block shows how it went,
the model gets the result and answers, and it all comes back on reopening.

The model side is an in-process scripted driver (the wire formats of tool calls are tested in
tests/providers against the fake servers); the MCP side is the real SDK over a real pipe.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from craft_tui.chat.tool_loop import CANCELLED_WHILE_RUNNING, NOT_RUN
from craft_tui.config.schema import Config
from craft_tui.config.store import save_config
from craft_tui.providers.content import ToolCallPart, ToolResultPart
from craft_tui.providers.types import (
    ChatRequest,
    Finish,
    ModelInfo,
    StreamEvent,
    TextDelta,
    ToolCallReady,
    ToolCallStarted,
)
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.ui.screens.tool_permission import ToolPermissionScreen
from craft_tui.ui.widgets.messages import AssistantMessageView
from craft_tui.ui.widgets.tool_block import ToolBlock
from craft_tui.ui.widgets.tool_round import ToolRoundView
from tests.ui.chat_helpers import wait_until

SERVER = Path(__file__).parent.parent / "servers" / "mcp_tools_server.py"
BIG_WAIT = 60.0  # the MCP server is a Python process importing the SDK: slow on a loaded box


class StepsDriver:
    """One scripted answer per request, in order; records every request."""

    def __init__(self, *scripts: Sequence[StreamEvent]) -> None:
        self.scripts = list(scripts)
        self.requests: list[ChatRequest] = []

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        script = self.scripts[min(len(self.requests), len(self.scripts) - 1)]
        self.requests.append(request)
        for event in script:
            yield event
            await asyncio.sleep(0)

    async def list_models(self) -> list[ModelInfo]:
        return []

    async def aclose(self) -> None:
        pass


def echo_call(text: str) -> list[StreamEvent]:
    arguments = json.dumps({"text": text})
    return [
        TextDelta("Let me ask the tool."),
        ToolCallStarted(0, "call-1", "echo"),
        ToolCallReady(0, ToolCallPart("call-1", "echo", arguments)),
        Finish("tool_use"),
    ]


def tools_config(permission: str = "ask") -> Config:
    config = Config.model_validate(
        {
            "connections": [
                {
                    "slug": "fake",
                    "name": "Fake",
                    "protocol": "openai",
                    "base_url": "http://127.0.0.1:9/v1",
                    "auth": {"type": "none"},
                    "models": [{"id": "fake-model"}],
                    "default_model": "fake-model",
                }
            ],
            "mcp_servers": [
                {"name": "demo", "command": sys.executable, "args": [str(SERVER)]},
            ],
            "tools": {"permission": permission},
        }
    )
    save_config(config)
    return config


def make_app(driver: StepsDriver, permission: str = "ask", new: bool = True) -> CraftApp:
    return CraftApp(
        tools_config(permission),
        new_conversation=new,
        driver_factory=lambda _connection: driver,
        clock=lambda: 1000.0,
    )


def chat(app: CraftApp) -> ChatScreen:
    screen = app.chat
    assert isinstance(screen, ChatScreen)
    return screen


def rounds(app: CraftApp) -> list[ToolRoundView]:
    return list(chat(app).transcript.query(ToolRoundView))


def answers(app: CraftApp) -> list[AssistantMessageView]:
    return list(chat(app).transcript.query(AssistantMessageView))


async def send(pilot: Any, app: CraftApp, text: str) -> None:
    await wait_until(pilot, lambda: chat(app).loaded)
    chat(app).prompt.insert(text)
    await pilot.press("enter")


async def test_ask_mode_asks_runs_the_tool_and_the_model_answers_with_its_result(
    isolated_home: Path,
) -> None:
    driver = StepsDriver(
        echo_call("penguins"), [TextDelta("The tool said penguins."), Finish("stop")]
    )
    app = make_app(driver)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, app, "use the echo tool")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ToolPermissionScreen), timeout=BIG_WAIT
        )
        question = app.screen
        assert isinstance(question, ToolPermissionScreen)
        assert "tools: ask" in str(chat(app).status.line())
        assert question.tool == "echo" and question.server == "demo"
        assert '"penguins"' in question.arguments
        await wait_until(pilot, lambda: question.armed)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: len(answers(app)) == 2 and not chat(app).busy,
            timeout=BIG_WAIT,
        )
        (round_view,) = rounds(app)
        (block,) = round_view.query(ToolBlock).results()
        assert block.status == "done"
        assert "demo" in block.header_text
        assert answers(app)[-1].text == "The tool said penguins."

        # The second request carried the call and the server's result.
        second = driver.requests[1]
        assert [m.role for m in second.messages] == ["user", "assistant", "tool"]
        assert second.messages[2].parts == (ToolResultPart("call-1", "penguins", False, "echo"),)
        assert [spec.name for spec in second.tools].count("echo") == 1
    await app.workspace.aclose()


async def test_a_denied_call_tells_the_model_why_and_runs_nothing(isolated_home: Path) -> None:
    driver = StepsDriver(echo_call("secret"), [TextDelta("Understood."), Finish("stop")])
    app = make_app(driver)
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, app, "use the echo tool")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ToolPermissionScreen), timeout=BIG_WAIT
        )
        await pilot.press("n")
        await pilot.press(*"not now")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(answers(app)) == 2 and not chat(app).busy)
        (round_view,) = rounds(app)
        (block,) = round_view.query(ToolBlock).results()
        assert block.status == "denied"
        result = driver.requests[1].messages[2].parts[0]
        assert isinstance(result, ToolResultPart) and result.is_error
        assert "the user denied this call: not now" in result.text
    await app.workspace.aclose()


async def test_ctrl_t_switches_the_mode_and_allow_all_runs_without_asking(
    isolated_home: Path,
) -> None:
    driver = StepsDriver(echo_call("quick"), [TextDelta("Done."), Finish("stop")])
    app = make_app(driver)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: chat(app).loaded)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: "tools: read-only" in str(chat(app).status.line()))
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: "tools: allow-all" in str(chat(app).status.line()))
        await send(pilot, app, "go")
        await wait_until(
            pilot, lambda: len(answers(app)) == 2 and not chat(app).busy, timeout=BIG_WAIT
        )
        assert not isinstance(app.screen, ToolPermissionScreen)
        (block,) = rounds(app)[0].query(ToolBlock).results()
        assert block.status == "done"
    await app.workspace.aclose()


async def test_a_tool_round_comes_back_on_reopening(isolated_home: Path) -> None:
    driver = StepsDriver(echo_call("kept"), [TextDelta("Kept."), Finish("stop")])
    app = make_app(driver, permission="allow-all")
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, app, "go")
        await wait_until(
            pilot, lambda: len(answers(app)) == 2 and not chat(app).busy, timeout=BIG_WAIT
        )
    await app.workspace.aclose()

    again = make_app(StepsDriver([Finish("stop")]), new=False)
    async with again.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: chat(again).loaded and len(rounds(again)) == 1)
        (block,) = rounds(again)[0].query(ToolBlock).results()
        assert block.status == "done"
        assert block.call.name == "echo"
        assert "kept" in block.result_text
    await again.workspace.aclose()


def calls(*names_and_arguments: tuple[str, dict[str, Any]]) -> list[StreamEvent]:
    """One answer that calls each tool in turn (call-1, call-2, …)."""
    events: list[StreamEvent] = [TextDelta("Calling tools.")]
    for index, (name, arguments) in enumerate(names_and_arguments):
        call_id = f"call-{index + 1}"
        events.append(ToolCallStarted(index, call_id, name))
        events.append(ToolCallReady(index, ToolCallPart(call_id, name, json.dumps(arguments))))
    events.append(Finish("tool_use"))
    return events


def tool_results(request: ChatRequest) -> dict[str, ToolResultPart]:
    (turn,) = [m for m in request.messages if m.role == "tool"]
    return {part.name: part for part in turn.parts if isinstance(part, ToolResultPart)}


async def test_read_only_mode_runs_read_only_tools_and_denies_the_rest_unasked(
    isolated_home: Path,
) -> None:
    driver = StepsDriver(
        calls(("peek", {}), ("echo", {"text": "write"})), [TextDelta("Seen."), Finish("stop")]
    )
    app = make_app(driver, permission="read-only")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: chat(app).loaded)
        assert "tools: read-only" in str(chat(app).status.line())
        await send(pilot, app, "look around")
        await wait_until(
            pilot, lambda: len(answers(app)) == 2 and not chat(app).busy, timeout=BIG_WAIT
        )
        assert not isinstance(app.screen, ToolPermissionScreen)  # nothing was asked
        blocks = {b.call.name: b for b in rounds(app)[0].query(ToolBlock).results()}
        assert blocks["peek"].status == "done"
        assert blocks["echo"].status == "denied"
        results = tool_results(driver.requests[1])
        assert not results["peek"].is_error
        assert results["echo"].is_error and "read-only" in results["echo"].text
    await app.workspace.aclose()


async def test_escape_while_a_tool_runs_stops_it_and_keeps_everything_so_far(
    isolated_home: Path,
) -> None:
    driver = StepsDriver(
        calls(("slow", {"seconds": 60}), ("echo", {"text": "after"})),
        [TextDelta("never asked"), Finish("stop")],
    )
    app = make_app(driver, permission="allow-all")
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, app, "take your time")

        def running() -> bool:
            found = rounds(app)
            return bool(found) and any(
                b.status == "running" for b in found[0].query(ToolBlock).results()
            )

        await wait_until(pilot, running, timeout=BIG_WAIT)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not chat(app).busy, timeout=BIG_WAIT)
        blocks = {b.call.name: b for b in rounds(app)[0].query(ToolBlock).results()}
        assert blocks["slow"].status == "cancelled"
        assert len(driver.requests) == 1  # no further request after Esc
        assert answers(app)[0].text == "Calling tools."
    await app.workspace.aclose()

    # Everything so far is in the history: the answer and a result for each call.
    again = make_app(StepsDriver([Finish("stop")]), new=False)
    async with again.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: chat(again).loaded and len(rounds(again)) == 1)
        assert answers(again)[0].text == "Calling tools."
        blocks = {b.call.name: b for b in rounds(again)[0].query(ToolBlock).results()}
        assert set(blocks) == {"slow", "echo"}
        assert blocks["slow"].status == "cancelled"
        messages = again.workspace.history().load_conversation(chat(again).session.conversation.id)[
            1
        ]
        (turn,) = [m for m in messages if m.role == "tool"]
        stored = {p.name: p for p in turn.parts if isinstance(p, ToolResultPart)}
        assert stored["slow"].text == CANCELLED_WHILE_RUNNING and stored["slow"].is_error
        assert stored["echo"].text == NOT_RUN and stored["echo"].is_error
    await again.workspace.aclose()


async def test_a_server_that_dies_mid_call_is_an_error_result_and_the_chat_goes_on(
    isolated_home: Path,
) -> None:
    driver = StepsDriver(calls(("die", {})), [TextDelta("The server is gone."), Finish("stop")])
    app = make_app(driver, permission="allow-all")
    async with app.run_test(size=(100, 30)) as pilot:
        await send(pilot, app, "call die")
        await wait_until(
            pilot, lambda: len(answers(app)) == 2 and not chat(app).busy, timeout=BIG_WAIT
        )
        (block,) = rounds(app)[0].query(ToolBlock).results()
        assert block.status == "error"
        assert "stopped during the call to die" in block.result_text
        result = tool_results(driver.requests[1])["die"]
        assert result.is_error and "about to die mid-call" in result.text  # its stderr tail
        assert answers(app)[-1].text == "The server is gone."
    await app.workspace.aclose()
