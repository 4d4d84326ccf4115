"""The conversation's generation dialog: it starts from the conversation's values, says what an
empty field will send, refuses wrong values under their fields, and hands back what was typed."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from craft_tui.config.generation import GenerationParams
from craft_tui.ui.screens.confirm import ConfirmScreen
from craft_tui.ui.screens.generation import GenerationScreen
from tests.ui.chat_helpers import wait_until
from tests.ui.test_connections import Host

DEFAULTS = GenerationParams(temperature=0.7, max_tokens=4096, reasoning_effort=None)


async def opened(pilot: Pilot[Any]) -> GenerationScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, GenerationScreen))
    screen = pilot.app.screen
    assert isinstance(screen, GenerationScreen)
    await wait_until(pilot, lambda: screen.loaded)
    return screen


def error_text(screen: GenerationScreen, field: str) -> str:
    error = screen.query_one(f"#error-{field}", Static)
    return str(error.render()) if error.has_class("-shown") else ""


async def type_into(pilot: Pilot[Any], screen: GenerationScreen, field: str, text: str) -> None:
    widget = screen.query_one(f"#{field}", Input)
    widget.focus()
    widget.clear()
    await wait_until(pilot, lambda: widget.has_focus and not widget.value)
    if text:
        await pilot.press(*text)
    await wait_until(pilot, lambda: widget.value == text)


UNSET = GenerationParams()


def host(current: GenerationParams = UNSET, title: str | None = None) -> Host:
    return Host(lambda: GenerationScreen(current, DEFAULTS, title=title))


async def test_empty_fields_say_what_the_defaults_will_send() -> None:
    app = host()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        assert screen.query_one("#temperature", Input).placeholder == "default: 0.7"
        assert screen.query_one("#max-tokens", Input).placeholder == "default: 4096"
        effort = screen.query_one("#effort", Select)
        assert effort.value == "default"
        temperature = screen.query_one("#temperature", Input)
        await wait_until(pilot, lambda: temperature.has_focus)


async def test_typed_values_are_handed_back_on_enter() -> None:
    app = host()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await type_into(pilot, screen, "max-tokens", "1,000")
        screen.query_one("#effort", Select).value = "high"
        await type_into(pilot, screen, "temperature", "0")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.results))
    assert app.results == [
        GenerationParams(temperature=0.0, max_tokens=1000, reasoning_effort="high")
    ]


async def test_clear_goes_back_to_the_defaults() -> None:
    app = host(GenerationParams(0.2, 300, "low"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        assert screen.query_one("#temperature", Input).value == "0.2"
        assert screen.query_one("#max-tokens", Input).value == "300"
        assert screen.query_one("#effort", Select).value == "low"
        await pilot.click("#clear")
        await wait_until(pilot, lambda: screen.query_one("#max-tokens", Input).value == "")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(app.results))
    assert app.results == [GenerationParams()]


async def test_wrong_values_are_said_under_their_fields() -> None:
    app = host()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await type_into(pilot, screen, "max-tokens", "-5")
        await type_into(pilot, screen, "temperature", "hot")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(error_text(screen, "temperature")))
        assert "from 0 to 2" in error_text(screen, "temperature")
        assert "whole number above 0" in error_text(screen, "max-tokens")
        temperature = screen.query_one("#temperature", Input)
        await wait_until(pilot, lambda: temperature.has_focus)  # the first field to fix
        await pilot.press("backspace")
        await wait_until(pilot, lambda: not error_text(screen, "temperature"))
        assert error_text(screen, "max-tokens")
        assert app.results == []


async def test_esc_asks_when_something_was_typed_and_keeps_it_on_no() -> None:
    app = host()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await type_into(pilot, screen, "temperature", "1")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.query_one("#temperature", Input).value == "1"
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: bool(app.results))
    assert app.results == [None]


async def test_esc_without_changes_cancels_at_once() -> None:
    app = host(GenerationParams(0.5))
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: bool(app.results))
        assert not isinstance(app.screen, ConfirmScreen)
    assert app.results == [None]


async def test_the_conversation_title_is_shown_as_text() -> None:
    app = host(title="[bold]Trip[/] \x1b[31mplans")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        notes = [str(w.render()) for w in screen.query(".note")]
        assert "[bold]Trip[/] ␛[31mplans" in notes
