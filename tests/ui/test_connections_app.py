"""The connections screen and model picker inside the real app: first run to a chosen model."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from craft_tui.config.schema import Config
from craft_tui.config.store import load_config
from craft_tui.providers import detect as detect_module
from craft_tui.providers.detect import LocalTarget
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens import connections as connections_module
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.ui.screens.connection_form import ConnectionFormScreen
from craft_tui.ui.screens.connections import ConnectionsScreen
from craft_tui.ui.screens.model_picker import ModelPickerScreen
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import wait_until


async def test_first_run_to_a_picked_model_in_the_real_app(
    fake_server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ollama: FakeLLMServer = fake_server()

    async def loopback_only():  # type: ignore[no-untyped-def]
        target = LocalTarget("ollama", ollama.openai_base_url, "ollama")
        return await detect_module.detect(environ={}, targets=[target])

    monkeypatch.setattr(connections_module, "detect", loopback_only)
    app = CraftApp(Config(), clock=lambda: 1000.0)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectionsScreen))
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.query_one("#found", OptionList).options))
        await pilot.press("enter")  # take the local Ollama
        assert isinstance(app.screen, ConnectionFormScreen)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert [c.slug for c in app.config.connections] == ["ollama"]  # the app reloaded it

        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerScreen))
        picker = app.screen
        await picker.workers.wait_for_complete()
        await pilot.press(*"large", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        prompt = app.screen.query_one("#prompt")
        await wait_until(pilot, lambda: "fake-large" in str(prompt.placeholder))  # type: ignore[attr-defined]
    assert load_config().settings.default_connection == "ollama"
