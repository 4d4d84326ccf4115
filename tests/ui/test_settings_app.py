"""The settings screen and the generation dialog in the real app: F3 and the palette open the
settings, a previewed theme is not remembered until Save, F5 sets this conversation's values
and the next request carries them, `[settings]` defaults reach requests, and attribution off
keeps OpenRouter's headers out."""

from __future__ import annotations

from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Select

from craft_tui.config import paths, state
from craft_tui.config.generation import GenerationParams
from craft_tui.config.source import read_config_source
from craft_tui.config.store import save_config
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.confirm import ConfirmScreen
from craft_tui.ui.screens.generation import GenerationScreen
from craft_tui.ui.screens.settings import SettingsScreen
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import answered, make_app, make_config, ready, send, wait_until
from tests.ui.test_settings import CONFIG, write_config


async def settings_opened(pilot: Pilot[Any]) -> SettingsScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen))
    screen = pilot.app.screen
    assert isinstance(screen, SettingsScreen)
    await wait_until(pilot, lambda: screen.loaded)
    return screen


async def test_f3_opens_the_settings_and_a_preview_is_not_remembered_on_esc() -> None:
    write_config()
    app = CraftApp(config_source=read_config_source(), new_conversation=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.chat is not None and app.chat.loaded)
        await pilot.press("f3")
        screen = await settings_opened(pilot)
        screen.query_one("#theme", Select).value = "dracula"
        await wait_until(pilot, lambda: app.theme == "dracula")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: app.theme == "nord")
        await wait_until(pilot, lambda: not isinstance(app.screen, SettingsScreen))
        await pilot.pause()
    assert paths.config_file().read_text() == CONFIG  # the preview wrote nothing
    assert state.theme() is None


async def test_the_palette_offers_settings() -> None:
    write_config()
    app = CraftApp(config_source=read_config_source(), new_conversation=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.chat is not None and app.chat.loaded)
        app.action_command_palette()
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Settings")
        hits = app.screen.query_one(CommandList)

        def found() -> bool:  # the search has run and its best hit is the settings
            if hits.highlighted is None:
                return False
            return str(hits.highlighted_option.prompt).startswith("Settings…\n")

        await wait_until(pilot, found)
        await pilot.press("enter")
        await settings_opened(pilot)


async def test_f5_values_go_with_the_next_request(fake_openai: FakeLLMServer) -> None:
    app = make_app(fake_openai, new=True, settings={"temperature": 0.9})
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, GenerationScreen))
        dialog = app.screen
        assert dialog.query_one("#temperature", Input).placeholder == "default: 0.9"
        dialog.query_one("#temperature", Input).value = "0.2"
        dialog.query_one("#max-tokens", Input).value = "300"
        dialog.query_one("#effort", Select).value = "low"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is chat)
        assert chat.session is not None
        assert chat.session.generation == GenerationParams(0.2, 300, "low")
        await send(pilot, "hello")
        await answered(pilot, chat)
    body = fake_openai.chat_requests[-1].json
    assert (body["temperature"], body["max_tokens"], body["reasoning_effort"]) == (0.2, 300, "low")
    # Kept with the conversation: the app started again reopens it with its values.
    again = make_app(fake_openai, settings={"temperature": 0.9})
    async with again.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: chat.loaded and chat.session is not None)
        assert chat.session is not None
        assert chat.session.generation == GenerationParams(0.2, 300, "low")
        await send(pilot, "again")
        await answered(pilot, chat)
    body = fake_openai.chat_requests[-1].json
    assert (body["temperature"], body["max_tokens"], body["reasoning_effort"]) == (0.2, 300, "low")


async def test_settings_defaults_reach_a_request(fake_openai: FakeLLMServer) -> None:
    app = make_app(fake_openai, new=True, settings={"temperature": 0.9, "max_tokens": 777})
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "hello")
        await answered(pilot, chat)
    body = fake_openai.chat_requests[-1].json
    assert (body["temperature"], body["max_tokens"]) == (0.9, 777)
    assert "reasoning_effort" not in body  # unset: the server's default


@pytest.mark.parametrize("attribution", [True, False])
async def test_attribution_off_keeps_the_headers_out_of_openrouter_requests(
    fake_openai: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, attribution: bool
) -> None:
    """The fake server stands in for openrouter.ai (the host rule has its own tests)."""
    from craft_tui.config import attribution as attribution_module

    monkeypatch.setattr(attribution_module, "is_openrouter", lambda connection: True)
    config = make_config(fake_openai, openrouter_attribution=attribution)
    config.connections[0].headers = {
        "HTTP-Referer": "https://github.com/craft-tui/craft-tui",
        "X-Title": "craft-tui",
    }
    save_config(config)
    app = CraftApp(config, new_conversation=True)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "hello")
        await answered(pilot, chat)
    headers = fake_openai.chat_requests[-1].headers
    assert ("x-title" in headers, "http-referer" in headers) == (attribution, attribution)
