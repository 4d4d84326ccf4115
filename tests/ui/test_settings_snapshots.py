"""SVG snapshots of the settings screen (as opened, and with wrong values said under their fields)
and of the conversation's generation dialog, at 80×24 and 120×40. No path, port or clock reaches
the screen: the config is fixed text, the dialog's values are given."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from craft_tui.config.generation import GenerationParams
from craft_tui.ui.screens.generation import GenerationScreen
from craft_tui.ui.screens.settings import SettingsScreen
from tests.ui.chat_helpers import screen_at_rest
from tests.ui.test_connections import Host
from tests.ui.test_settings import write_config

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def settle(pilot: Pilot[Any]) -> None:
    await screen_at_rest(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor is caught on or off by chance
    await screen_at_rest(pilot)


async def with_wrong_values(pilot: Pilot[Any]) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    await screen_at_rest(pilot)
    screen.query_one("#temperature", Input).value = "3"
    screen.query_one("#max-tokens", Input).value = "0"
    await pilot.press("ctrl+s")
    await settle(pilot)
    screen.query_one("#settings-body").scroll_end(animate=False)
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_settings_screen(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    write_config()
    app = Host(lambda: SettingsScreen())
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_settings_screen_with_wrong_values(snap_compare) -> None:  # type: ignore[no-untyped-def]
    write_config()
    app = Host(lambda: SettingsScreen())
    assert snap_compare(app, terminal_size=(80, 24), run_before=with_wrong_values)


@pytest.mark.parametrize("size", SIZES)
def test_generation_dialog(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    defaults = GenerationParams(temperature=0.7, max_tokens=4096)
    current = GenerationParams(max_tokens=1200, reasoning_effort="high")
    app = Host(lambda: GenerationScreen(current, defaults, title="Trip plans for March"))
    assert snap_compare(app, terminal_size=size, run_before=settle)
