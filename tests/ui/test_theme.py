"""The theme picked in the command palette outlives the app: into config.toml's `theme` when the
file has one (its layout kept), else into state.json; an unknown theme in the file is reported."""

from __future__ import annotations

from typing import Any

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from craft_tui.config import paths, state
from craft_tui.config.source import read_config_source
from craft_tui.ui.app import CraftApp
from tests.ui.chat_helpers import wait_until

CONNECTION = """\
[[connections]]
slug = "local"
name = "Local"
protocol = "openai"
base_url = "http://127.0.0.1:9/v1"
models = ["m1"]

[connections.auth]
type = "none"
"""


def write_config(text: str) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def started() -> CraftApp:
    """The app as the command line starts it (from the file, validated after the first frame)."""
    return CraftApp(config_source=read_config_source(), new_conversation=True)


async def chat_loaded(pilot: Pilot[Any], app: CraftApp) -> None:
    await wait_until(pilot, lambda: app.chat is not None and app.chat.loaded)


async def pick_in_palette(pilot: Pilot[Any], app: CraftApp, name: str) -> None:
    app.action_change_theme()  # the palette's "Theme" command
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*name)
    hits = app.screen.query_one(CommandList)

    def found() -> bool:  # the search has run and its best hit is the theme named
        return hits.highlighted is not None and str(hits.highlighted_option.prompt) == name

    await wait_until(pilot, found)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, CommandPalette))


async def test_a_theme_picked_is_written_into_the_files_theme_and_used_next_start() -> None:
    write_config('[settings]\ntheme = "nord"   # my theme\n\n' + CONNECTION)
    app = started()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_loaded(pilot, app)
        assert app.theme == "nord"
        await pick_in_palette(pilot, app, "dracula")
        assert app.theme == "dracula"
        await wait_until(pilot, lambda: 'theme = "dracula"' in paths.config_file().read_text())
        await wait_until(pilot, lambda: app.workspace.config.settings.theme == "dracula")
    text = paths.config_file().read_text()
    assert text == '[settings]\ntheme = "dracula"   # my theme\n\n' + CONNECTION  # layout kept
    assert state.theme() is None

    again = started()
    async with again.run_test(size=(100, 30)) as pilot:
        await chat_loaded(pilot, again)
        assert again.theme == "dracula"


async def test_without_a_theme_in_the_file_the_pick_is_remembered_in_state() -> None:
    write_config(CONNECTION)
    app = started()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_loaded(pilot, app)
        await pick_in_palette(pilot, app, "gruvbox")
        assert app.theme == "gruvbox"
        await wait_until(pilot, lambda: state.theme() == "gruvbox")
        assert app.theme == "gruvbox"  # the validated config's default did not undo it
    assert paths.config_file().read_text() == CONNECTION  # the file is left as it is

    again = started()
    async with again.run_test(size=(100, 30)) as pilot:
        await chat_loaded(pilot, again)
        assert again.theme == "gruvbox"
        again.workspace.apply(again.workspace.config.model_copy(update={"version": 1}))
        await pilot.pause()
        assert again.theme == "gruvbox"  # a config change that is not the theme keeps the pick


async def test_an_unknown_theme_in_the_file_is_reported_with_the_themes_there_are() -> None:
    write_config('[settings]\ntheme = "no-such-theme"\n\n' + CONNECTION)
    app = started()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_loaded(pilot, app)
        messages = [str(n.message) for n in app._notifications]
        warning = next(m for m in messages if "no-such-theme" in m)
        assert "nord" in warning and "textual-dark" in warning
        assert app.theme == "textual-dark"
        assert sum("no-such-theme" in m for m in messages) == 1  # once, not again on validation
