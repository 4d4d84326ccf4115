"""Building the real app against loopback fake servers, and waiting on it without sleeping blindly."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from craft_tui.config.schema import Config
from craft_tui.config.store import save_config
from craft_tui.config.urls import normalize_base_url
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.ui.widgets.messages import AssistantMessageView, MessageView
from craft_tui.ui.widgets.transcript import Transcript
from tests.servers.fake import FakeLLMServer
from tests.waiting import HANG_GUARD


def connection_dict(
    server: FakeLLMServer, slug: str = "fake", model: str = "fake-model", name: str = "Fake"
) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": name,
        "protocol": server.protocol,
        "base_url": normalize_base_url(server.protocol, server.base_url),
        "auth": {"type": "none"},
        "models": [{"id": model}, {"id": f"{model}-large"}],
        "default_model": model,
    }


def make_config(*servers: FakeLLMServer, **settings: Any) -> Config:
    """A config with one no-auth connection per server (slugs fake, fake2, …), saved to disk."""
    connections = [
        connection_dict(
            server, slug="fake" if i == 0 else f"fake{i + 1}", name=f"Fake{'' if i == 0 else i + 1}"
        )
        for i, server in enumerate(servers)
    ]
    config = Config.model_validate({"connections": connections, "settings": settings})
    save_config(config)
    return config


def make_app(*servers: FakeLLMServer, new: bool = False, **kwargs: Any) -> CraftApp:
    settings = kwargs.pop("settings", {})
    return CraftApp(
        make_config(*servers, **settings), new_conversation=new, clock=lambda: 1000.0, **kwargs
    )


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = HANG_GUARD
) -> None:
    """Let the app run until `predicate()` holds; the timeout only guards against a hang."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition never became true")
        await pilot.pause(0.02)  # a polling interval: messages are processed, then a layout


def _window(transcript: Transcript) -> tuple[object, ...]:
    """Everything about the transcript's window a test may look at: which messages are mounted,
    where each one is, the scroll offset, the content's size and the focus."""
    views = transcript.views()
    return (
        transcript.hidden_count,
        transcript.newer_count,
        len(transcript.entries),
        tuple(id(view) for view in views),
        tuple((view.virtual_region, view.region) for view in views),
        transcript.scroll_y,
        transcript.max_scroll_y,
        transcript.virtual_size,
        id(transcript.app.focused),
    )


async def transcript_at_rest(
    pilot: Pilot[Any], transcript: Transcript, timeout: float = HANG_GUARD
) -> None:
    """Wait until the transcript's window has stopped changing: no load of older or newer
    messages running, no scroll animation, and one more round of message processing and layout
    (`pilot.pause()` ends with a layout; the next one runs what that layout scheduled) changed
    nothing. Needed before asserting what is mounted or on screen, and before asserting that
    something did *not* happen (a further load, a jump): the round after the last change is the
    positive signal that it would have been seen."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    before: tuple[object, ...] | None = None
    while True:
        await pilot.pause()  # queued messages handled, then laid out
        loads = [w for w in app.workers if w.node is transcript and not w.is_finished]
        if loads:
            remaining = max(0.1, deadline - loop.time())
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in loads)), remaining)
        moving = app.animator.is_being_animated(transcript, "scroll_y")
        now = _window(transcript)
        if not loads and not moving and now == before:
            return
        if loop.time() > deadline:
            raise AssertionError("the transcript never came to rest")
        before = now


async def screen_at_rest(pilot: Pilot[Any], timeout: float = HANG_GUARD) -> None:
    """Wait until what the terminal shows has stopped changing: no worker running, and one more
    round of message processing and layout left the screenshot as it was (before a snapshot)."""
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    before: str | None = None
    while True:
        await pilot.pause()
        busy = [worker for worker in app.workers if not worker.is_finished]
        if busy:
            remaining = max(0.1, deadline - loop.time())
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in busy)), remaining)
        now = app.export_screenshot()
        if not busy and now == before:
            return
        if loop.time() > deadline:
            raise AssertionError("the screen never stopped changing")
        before = now


async def ready(pilot: Pilot[Any]) -> ChatScreen:
    """The chat screen once its conversation is loaded."""
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    await wait_until(pilot, lambda: screen.loaded)
    return screen


async def send(pilot: Pilot[Any], text: str) -> ChatScreen:
    """Type `text` in the prompt and press Enter (waits for the app to be ready first)."""
    chat = await ready(pilot)
    chat.prompt.focus()
    chat.prompt.insert(text)
    await pilot.press("enter")
    await wait_until(pilot, lambda: chat.busy or bool(chat.transcript.views()))
    return chat


async def answered(pilot: Pilot[Any], chat: ChatScreen) -> AssistantMessageView:
    """Wait for the current answer to end; return its view."""
    await wait_until(pilot, lambda: not chat.busy)
    await pilot.pause()
    return last_answer(chat)


def last_answer(chat: ChatScreen) -> AssistantMessageView:
    views = [v for v in chat.transcript.views() if isinstance(v, AssistantMessageView)]
    assert views, "no answer in the transcript"
    return views[-1]


def views(chat: ChatScreen) -> list[MessageView]:
    return chat.transcript.views()


_SVG_TEXT = re.compile(
    r'<text [^>]*?x="([\d.]+)"[^>]*?clip-path="url\(#terminal-\d+-line-(\d+)\)"[^>]*>(.*?)</text>',
    re.S,
)
_CELL_WIDTH = 12.2  # Rich's SVG export: 0.61 of its 20px font per terminal cell


def screen_text(app: Any) -> str:
    """What the terminal shows, line by line, from the app's public screenshot: every cell as the
    driver draws it (control characters included, had any reached it). Text runs are placed at
    their column; cells with no text (background only) read as spaces."""
    lines: dict[int, dict[int, str]] = {}
    for x, line, chunk in _SVG_TEXT.findall(app.export_screenshot()):
        text = html.unescape(chunk).replace("\xa0", " ")
        if text.strip("\n"):
            lines.setdefault(int(line), {})[round(float(x) / _CELL_WIDTH)] = text
    rendered = []
    for number in range(max(lines, default=-1) + 1):
        row = ""
        for column, text in sorted(lines.get(number, {}).items()):
            row = row.ljust(column) + text
        rendered.append(row.rstrip())
    return "\n".join(rendered)
