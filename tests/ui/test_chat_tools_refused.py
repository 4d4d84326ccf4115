"""A model that does not call tools, in the app: the real OpenAI driver against the loopback fake
server (which refuses any request that offers tools, as Groq does), and a real MCP server over
stdio configured, so tools are offered.

The person is told once (the error's fix names the key that sends the prompt again without
tools), the retry goes without them, and so does every later request to that model in this
process; a model whose listing says it cannot call tools is never offered them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from craft_tui.chat.tool_loop import forget_tool_refusals
from craft_tui.config.schema import Config
from craft_tui.config.store import save_config
from craft_tui.providers.model_cache import CachedModels, save_cached
from craft_tui.providers.types import ModelInfo
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.ui.widgets.error_view import ErrorView
from craft_tui.ui.widgets.messages import AssistantMessageView
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import wait_until

SERVER = Path(__file__).parent.parent / "servers" / "mcp_tools_server.py"
BIG_WAIT = 60.0  # the MCP server is a Python process importing the SDK: slow on a loaded box


@pytest.fixture(autouse=True)
def _fresh_refusals() -> Iterator[None]:
    forget_tool_refusals()
    yield
    forget_tool_refusals()


def tools_config(base_url: str) -> Config:
    config = Config.model_validate(
        {
            "connections": [
                {
                    "slug": "fake",
                    "name": "Fake",
                    "protocol": "openai",
                    "base_url": base_url,
                    "auth": {"type": "none"},
                    "models": [{"id": "gemma:2b"}],
                    "default_model": "gemma:2b",
                }
            ],
            "mcp_servers": [
                {"name": "demo", "command": sys.executable, "args": [str(SERVER)]},
            ],
        }
    )
    save_config(config)
    return config


def chat(app: CraftApp) -> ChatScreen:
    screen = app.chat
    assert isinstance(screen, ChatScreen)
    return screen


def answers(app: CraftApp) -> list[AssistantMessageView]:
    return list(chat(app).transcript.query(AssistantMessageView))


def record_notices(app: CraftApp) -> list[str]:
    """Every toast the app shows, kept (toasts expire; a count must not depend on timing)."""
    said: list[str] = []
    shown = app.notify

    def notify(message: str, **options: Any) -> None:
        said.append(str(message))
        shown(message, **options)

    app.notify = notify  # type: ignore[method-assign]
    return said


async def send(pilot: Any, app: CraftApp, text: str) -> None:
    await wait_until(pilot, lambda: chat(app).loaded and not chat(app).busy)
    chat(app).prompt.insert(text)
    await pilot.press("enter")


def tools_sent(server: FakeLLMServer) -> list[bool]:
    """For each chat request so far: did it offer tools?"""
    return ["tools" in request.json for request in server.chat_requests]


async def test_a_model_that_refuses_tools_is_told_once_and_asked_again_without_them(
    isolated_home: Path,
) -> None:
    with FakeLLMServer(error_if_tools="groq_400_tools", reply="Plain answer.") as server:
        app = CraftApp(tools_config(server.base_url), new_conversation=True)
        said = record_notices(app)
        async with app.run_test(size=(100, 30)) as pilot:
            await send(pilot, app, "hello")
            await wait_until(
                pilot,
                lambda: bool(answers(app)) and bool(answers(app)[-1].query(ErrorView)),
                timeout=BIG_WAIT,
            )
            shown = answers(app)[-1].query_one(ErrorView).render_error().plain
            assert "Tools not supported" in shown
            assert "'gemma:2b' cannot call tools" in shown
            # The fix names the key, as the user's keymap has it.
            assert (
                "Fix: Pick a model that supports tools, or press ctrl+r to send it again "
                "without tools." in shown
            )
            assert tools_sent(server) == [True]

            await pilot.press("ctrl+r")
            await wait_until(
                pilot,
                lambda: not chat(app).busy and answers(app)[-1].text == "Plain answer.",
                timeout=BIG_WAIT,
            )
            assert tools_sent(server) == [True, False]
            assert not answers(app)[-1].query(ErrorView)
            off = [line for line in said if line.startswith("Tools off:")]
            assert off == [
                "Tools off: gemma:2b on Fake refused tools, so it is asked without them for "
                "the rest of this session. Pick a model that calls tools to use them."
            ]

            # The next prompt to that model goes without tools, and nothing is said again.
            await send(pilot, app, "and again")
            await wait_until(pilot, lambda: len(server.chat_requests) == 3 and not chat(app).busy)
            await wait_until(pilot, lambda: answers(app)[-1].text == "Plain answer.")
            assert tools_sent(server) == [True, False, False]
            assert len([line for line in said if line.startswith("Tools off:")]) == 1

            # A new conversation with it: no tools either, and told once there.
            await pilot.press("ctrl+n")
            await send(pilot, app, "fresh start")
            await wait_until(pilot, lambda: len(server.chat_requests) == 4 and not chat(app).busy)
            assert tools_sent(server) == [True, False, False, False]
            assert len([line for line in said if line.startswith("Tools off:")]) == 2
        await app.workspace.aclose()


async def test_a_model_listed_without_tools_is_never_offered_them(isolated_home: Path) -> None:
    with FakeLLMServer(error_if_tools="groq_400_tools", reply="Plain answer.") as server:
        config = tools_config(server.base_url)
        (connection,) = config.connections
        listed = ModelInfo(id="gemma:2b", extra={"tools": "no"})
        save_cached(
            CachedModels(
                slug=connection.slug,
                base_url=connection.base_url,
                fetched_at=datetime.now(UTC),
                models=(listed,),
            )
        )
        app = CraftApp(config, new_conversation=True)
        said = record_notices(app)
        async with app.run_test(size=(100, 30)) as pilot:
            await send(pilot, app, "hello")
            await wait_until(
                pilot,
                lambda: not chat(app).busy and answers(app)[-1].text == "Plain answer.",
                timeout=BIG_WAIT,
            )
            assert tools_sent(server) == [False]
            assert any(
                line.startswith(
                    "Tools off: gemma:2b on Fake cannot call tools (its server's "
                    "model list says so)"
                )
                for line in said
            )
        await app.workspace.aclose()
