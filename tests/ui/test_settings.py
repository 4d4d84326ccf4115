"""The settings screen through a pilot: it shows the config in use, a theme picked shows at once,
Save writes only what changed (the file's comments byte for byte) in a thread and applies it
through the workspace's change event, a wrong value is said under its field, Esc asks first."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static

from craft_tui.config import paths
from craft_tui.config.schema import Config, Connection
from craft_tui.config.store import update_config
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.confirm import ConfirmScreen
from craft_tui.ui.screens.settings import SettingsScreen
from craft_tui.workspace.core import ConfigChange, Workspace
from tests.ui.chat_helpers import screen_text, wait_until
from tests.ui.test_connections import Host

CONFIG = """\
# hand-written: keep my notes
version = 1

[settings]
theme = "nord"   # easy on the eyes
default_connection = "local"
# pick up where I left
reopen_last_conversation = true

[[connections]]
slug = "local"
name = "Local"
protocol = "openai"
base_url = "http://127.0.0.1:9/v1"
models = ["m1", "m2"]   # small, big

[connections.auth]
type = "none"

[[connections]]
slug = "other"
name = "Other [EU]"
protocol = "openai"
base_url = "http://127.0.0.1:8/v1"
models = ["x1"]

[connections.auth]
type = "none"
"""


def write_config(text: str = CONFIG) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def config_text() -> str:
    return paths.config_file().read_text()


def watched_workspace() -> tuple[Workspace, list[ConfigChange]]:
    workspace = Workspace()
    workspace.validate_source()
    changes: list[ConfigChange] = []
    workspace.subscribe(changes.append)
    return workspace, changes


async def opened(pilot: Pilot[Any]) -> SettingsScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen))
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    await wait_until(pilot, lambda: screen.loaded)
    return screen


def error_text(screen: SettingsScreen, field: str) -> str:
    error = screen.query_one(f"#error-{field}", Static)
    return str(error.render()) if error.has_class("-shown") else ""


async def type_into(pilot: Pilot[Any], screen: SettingsScreen, field: str, text: str) -> None:
    widget = screen.query_one(f"#{field}", Input)
    widget.focus()
    widget.clear()
    await wait_until(pilot, lambda: widget.has_focus and not widget.value)
    if text:
        await pilot.press(*text)
    await wait_until(pilot, lambda: widget.value == text)


async def toggle(pilot: Pilot[Any], screen: SettingsScreen, field: str) -> None:
    """Focus a checkbox and press space, as a person does."""
    box = screen.query_one(f"#{field}", Checkbox)
    before = box.value
    box.focus()
    await wait_until(pilot, lambda: box.has_focus)
    await pilot.press("space")
    await wait_until(pilot, lambda: box.value is not before)


async def test_the_screen_shows_the_config_in_use() -> None:
    write_config()
    app = Host(lambda: SettingsScreen())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        assert screen.query_one("#theme", Select).value == app.theme
        assert screen.query_one("#connection", Select).value == "local"
        assert screen.query_one("#model", Input).placeholder == "first listed: m1"
        assert screen.query_one("#reopen", Checkbox).value is True
        assert screen.query_one("#ai-titles", Checkbox).value is False  # off by default
        assert screen.query_one("#attribution", Checkbox).value is True
        assert screen.query_one("#model-hours", Input).value == "24"
        assert screen.query_one("#temperature", Input).placeholder == "server default"


async def test_connection_names_are_shown_as_text() -> None:
    write_config()
    app = Host(lambda: SettingsScreen())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        screen.query_one("#connection", Select).value = "other"
        await wait_until(pilot, lambda: "Other [EU]" in screen_text(app))  # not markup


async def test_a_connection_added_or_removed_meanwhile_shows_in_the_list() -> None:
    write_config()
    workspace, _changes = watched_workspace()
    app = Host(lambda: SettingsScreen(workspace=workspace))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        select = screen.query_one("#connection", Select)
        select.value = "other"
        await wait_until(
            pilot, lambda: screen.query_one("#model", Input).placeholder.endswith("x1")
        )

        def add(config: Config) -> None:  # as `craft-tui connection add` would, from the shell
            config.connections.append(
                Connection(
                    slug="third", name="Third", protocol="openai", base_url="http://127.0.0.1:7/v1"
                )
            )

        workspace.apply(await asyncio.to_thread(update_config, add))
        await wait_until(pilot, lambda: ("Third", "third") in screen._listed)  # told
        assert select.value == "other"  # the pick stays
        select.value = "third"  # offered now (a value not offered raises)
        await wait_until(pilot, lambda: "Third" in screen_text(app))
        select.value = "other"

        def remove(config: Config) -> None:
            config.remove_connection("other")

        workspace.apply(await asyncio.to_thread(update_config, remove))
        await wait_until(pilot, lambda: select.value == "local")  # gone: the default again


async def test_save_writes_only_the_changed_keys_keeps_comments_and_tells_subscribers() -> None:
    write_config()
    workspace, changes = watched_workspace()
    app = Host(lambda: SettingsScreen(workspace=workspace))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await toggle(pilot, screen, "reopen")  # off
        await toggle(pilot, screen, "ai-titles")  # on
        await type_into(pilot, screen, "temperature", "0,4")
        screen.query_one("#connection", Select).value = "other"
        model = screen.query_one("#model", Input)
        await wait_until(pilot, lambda: model.placeholder == "first listed: x1")  # its models
        await type_into(pilot, screen, "model", "x1")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.results == [True])
    expected = (
        CONFIG.replace("reopen_last_conversation = true", "reopen_last_conversation = false")
        .replace('default_connection = "local"', 'default_connection = "other"')
        .replace(
            "reopen_last_conversation = false\n",
            "reopen_last_conversation = false\nai_titles = true\ntemperature = 0.4\n",
        )
        .replace('models = ["x1"]\n', 'models = ["x1"]\ndefault_model = "x1"\n')
    )
    assert config_text() == expected  # comments, spacing and order byte for byte
    assert len(changes) == 1  # applied at once through the workspace, not via the watcher
    settings = changes[0].config.settings
    assert (settings.ai_titles, settings.reopen_last_conversation, settings.temperature) == (
        True,
        False,
        0.4,
    )
    assert workspace.config.settings.default_connection == "other"
    assert paths.config_file().stat().st_mode & 0o777 == 0o600


async def test_save_with_nothing_changed_writes_nothing() -> None:
    write_config()
    before = paths.config_file().stat().st_mtime_ns
    workspace, changes = watched_workspace()
    app = Host(lambda: SettingsScreen(workspace=workspace))
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.results == [False])
    assert config_text() == CONFIG
    assert paths.config_file().stat().st_mtime_ns == before
    assert changes == []


async def test_a_theme_picked_shows_at_once_and_esc_puts_it_back_after_asking() -> None:
    write_config()
    app = Host(lambda: SettingsScreen())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        start = app.theme
        themes = sorted(app.available_themes)
        following = themes[(themes.index(start) + 1) % len(themes)]
        theme = screen.query_one("#theme", Select)
        await wait_until(pilot, lambda: theme.has_focus)  # the theme list is focused first
        await pilot.press("enter")
        await wait_until(pilot, lambda: theme.expanded)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.theme == following)  # live, before any Save
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")  # the safe answer: keep editing
        await wait_until(pilot, lambda: app.screen is screen)
        assert app.theme == following
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")  # discard
        await wait_until(pilot, lambda: app.results == [False])
        assert app.theme == start
    assert config_text() == CONFIG


async def test_esc_without_changes_closes_without_asking() -> None:
    write_config()
    app = Host(lambda: SettingsScreen())
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results == [False])
        assert not isinstance(app.screen, ConfirmScreen)


async def test_wrong_values_are_said_under_their_fields_and_nothing_is_saved() -> None:
    write_config()
    app = Host(lambda: SettingsScreen())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await type_into(pilot, screen, "model-hours", "-1")
        await type_into(pilot, screen, "temperature", "3")
        await type_into(pilot, screen, "max-tokens", "lots")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(error_text(screen, "temperature")))
        assert "0 or more" in error_text(screen, "model-hours")
        assert "from 0 to 2" in error_text(screen, "temperature")
        assert "whole number above 0" in error_text(screen, "max-tokens")
        hours = screen.query_one("#model-hours", Input)
        await wait_until(pilot, lambda: hours.has_focus)  # the first field to fix
        assert screen.query_one("#temperature", Input).value == "3"  # what was typed stays
        await pilot.press("backspace", "5")
        await wait_until(pilot, lambda: not error_text(screen, "model-hours"))
        assert error_text(screen, "temperature")  # only the edited field's message goes
        assert app.results == []
    assert config_text() == CONFIG


async def test_a_model_id_with_spaces_is_refused_under_the_model() -> None:
    write_config()
    app = Host(lambda: SettingsScreen())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await type_into(pilot, screen, "model", "m 2")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(error_text(screen, "model")))
        assert "no spaces" in error_text(screen, "model")
    assert config_text() == CONFIG


async def test_a_file_broken_meanwhile_is_said_and_left_alone() -> None:
    write_config()
    app = Host(lambda: SettingsScreen())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        broken = CONFIG + "\nthis is not toml [\n"
        paths.config_file().write_text(broken)
        await toggle(pilot, screen, "ai-titles")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(error_text(screen, "form")))
        assert error_text(screen, "form").startswith("Not saved:")
        assert app.results == []
    assert config_text() == broken


async def test_in_the_app_a_saved_theme_is_applied_through_the_workspace() -> None:
    """The real app: the screen saves, the workspace's change event changes the theme."""
    write_config()
    from craft_tui.config.source import read_config_source

    app = CraftApp(config_source=read_config_source(), new_conversation=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.chat is not None and app.chat.loaded)
        assert app.theme == "nord"
        app.push_screen(SettingsScreen())
        screen = await opened(pilot)
        screen.query_one("#theme", Select).value = "dracula"
        await wait_until(pilot, lambda: app.theme == "dracula")
        await toggle(pilot, screen, "attribution")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.workspace.config.settings.theme == "dracula")
        assert app.workspace.config.settings.openrouter_attribution is False
        await wait_until(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        assert app.theme == "dracula"
    text = config_text()
    assert 'theme = "dracula"   # easy on the eyes' in text
    assert text.startswith("# hand-written: keep my notes\n")
    assert "openrouter_attribution = false" in text
