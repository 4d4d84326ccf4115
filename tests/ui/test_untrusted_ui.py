"""The app shows outside text as text: answers, reasoning, server reasons, titles, names and ids
never reach the terminal as control sequences and are never parsed as markup.

What reaches the terminal is read from the app's own screenshot (every cell of the screen, as the
driver would draw it): before the fix it held the answer's raw ESC bytes, and a `[/]` title closed
the app with MarkupError.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import OptionList

from craft_tui.config.schema import Config
from craft_tui.config.store import save_config
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.connections import ConnectionsScreen
from craft_tui.ui.screens.history import HistoryScreen
from craft_tui.ui.widgets.error_view import ErrorView
from tests.servers.bodies import ErrorResponse
from tests.servers.hostile import (
    ANSWER_END,
    CLIPBOARD_B64,
    HOSTILE_ANSWER,
    HOSTILE_REASONING,
    SHOWN_ESC,
    hostile_error,
)
from tests.ui.chat_helpers import (
    answered,
    connection_dict,
    last_answer,
    screen_text,
    send,
    views,
    wait_until,
)

MARKUP = "[/] closes, [bold]bold?[/bold] list[int] and [link=https://x.example]x[/link]"


def _controls(screen_text: str) -> list[str]:
    """Control characters in what the app drew (none of ours are: styles are not in the text)."""
    return sorted(
        {f"U+{ord(ch):04X}" for ch in screen_text if ord(ch) < 0x20 and ch != "\n"}
        | {f"U+{ord(ch):04X}" for ch in screen_text if 0x7F <= ord(ch) <= 0x9F}
    )


def _app(server: Any, name: str = "Fake", new: bool = False) -> CraftApp:
    config = Config.model_validate({"connections": [connection_dict(server, name=name)]})
    save_config(config)
    return CraftApp(config, new_conversation=new, clock=lambda: 1000.0)


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_a_hostile_answer_is_drawn_disarmed_live_and_reopened(fake_server, protocol) -> None:
    server = fake_server(
        protocol=protocol, reply=HOSTILE_ANSWER, reasoning=HOSTILE_REASONING, chunk_size=3
    )
    async with _app(server).run_test(size=(200, 80)) as pilot:
        chat = await send(pilot, "tell me something")
        answer = await answered(pilot, chat)
        assert ANSWER_END in answer.text
        assert "\x1b]52;c;" in answer.text, "the answer itself is kept as it arrived"
        answer._reasoning.collapsed = False  # show the reasoning too
        await pilot.pause()
        screen = screen_text(pilot.app)
        assert _controls(screen) == []
        assert f"{SHOWN_ESC}]52;c;{CLIPBOARD_B64}" in screen
        assert "REASONING-OSC52" in screen and f"{SHOWN_ESC}]2;PWNED-REASONING" in screen

    async with _app(server).run_test(size=(200, 80)) as pilot:  # reopened from history
        chat = pilot.app.screen
        await wait_until(pilot, lambda: getattr(chat, "loaded", False) and bool(views(chat)))
        await wait_until(pilot, lambda: ANSWER_END in screen_text(pilot.app))
        screen = screen_text(pilot.app)
        assert _controls(screen) == []
        assert f"{SHOWN_ESC}]52;c;{CLIPBOARD_B64}" in screen


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_a_hostile_server_reason_is_shown_as_text(fake_server, protocol) -> None:
    server = fake_server(protocol=protocol)
    server.queue(error=hostile_error(protocol))
    async with _app(server).run_test(size=(160, 50)) as pilot:
        chat = await send(pilot, "hi")
        await answered(pilot, chat)
        await wait_until(pilot, lambda: bool(last_answer(chat).query(ErrorView)))
        screen = screen_text(pilot.app)
        assert _controls(screen) == []
        assert "HOSTILE-REASON" in screen and f"{SHOWN_ESC}]52;c;" in screen


async def test_markup_in_a_prompt_and_a_server_reason_shows_as_written(fake_server) -> None:
    server = fake_server(echo=True)
    server.configure(
        error=ErrorResponse(400, b'{"error": {"message": "bad [/] field [bold]x list[int]"}}')
    )
    async with _app(server).run_test(size=(160, 50)) as pilot:
        chat = await send(pilot, MARKUP)
        await answered(pilot, chat)
        await wait_until(pilot, lambda: bool(last_answer(chat).query(ErrorView)))
        error = last_answer(chat).query_one(ErrorView)
        assert "bad [/] field [bold]x list[int]" in error.render_error().plain
        screen = screen_text(pilot.app)
        assert "[/] closes, [bold]bold?[/bold] list[int]" in screen
        assert "field [bold]x list[int]" in screen


async def test_history_lists_a_conversation_whose_title_looks_like_markup(fake_server) -> None:
    server = fake_server(echo=True)
    async with _app(server).run_test(size=(160, 40)) as pilot:
        chat = await send(pilot, MARKUP)
        await answered(pilot, chat)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen))
        options = pilot.app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count == 1)
        await pilot.pause()
        assert pilot.app.is_running, "a [/] in a title used to raise MarkupError and close the app"
        row = options.get_option_at_index(0).prompt
        assert str(row).startswith("[/] closes, [bold]bold?[/bold] list[int]")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pilot.app.screen is chat and chat.loaded)
        assert views(chat)[0].text == MARKUP


async def test_connection_names_with_brackets_show_as_written(fake_server) -> None:
    server = fake_server()
    app = _app(server, name="Corp [EU] [/]")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        chat = await send(pilot, "hello")
        await answered(pilot, chat)
        assert "Corp [EU] [/] · fake-model" in screen_text(app), "the answer's label"
        pilot.app.notify("Switched to Corp [EU] [/] and [bold]")  # toasts never parse markup
        await wait_until(pilot, lambda: "Switched to Corp [EU] [/] and [bold]" in screen_text(app))
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConnectionsScreen))
        await wait_until(pilot, lambda: "Corp [EU] [/] [openai]" in screen_text(app))


def test_no_widget_in_the_ui_parses_text_it_was_handed_as_markup() -> None:
    """A guard on the code itself: a Static or Label built from anything but a string literal
    must say markup=False (Textual parses str content as markup by default), or markup=True where
    the text is our own on purpose. A new widget that forgets fails here, before a `[/]` in
    someone's model name closes the app."""
    import ast
    from pathlib import Path

    import craft_tui.ui

    offenders, deliberate = [], []
    for path in Path(craft_tui.ui.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            if getattr(node.func, "id", getattr(node.func, "attr", "")) not in {"Static", "Label"}:
                continue
            markup = {k.arg: k.value for k in node.keywords}.get("markup")
            literal = bool(node.args) and isinstance(node.args[0], ast.Constant)
            if isinstance(markup, ast.Constant) and markup.value is True:
                deliberate.append(path.name)
            elif markup is None and not literal:
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
    assert deliberate == ["connections.py"], "only the first-run welcome uses markup (our text)"
