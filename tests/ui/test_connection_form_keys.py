"""The connection form saves as the CLI does (`store.save_connection`): config.toml first, then the
key, so a key is never stored for a connection that config.toml does not name."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Input, Static

from craft_tui.config.secrets import SecretStore
from craft_tui.config.store import load_config
from craft_tui.ui.screens.connection_form import ConnectionFormScreen, FormDraft
from tests.ui.test_connections import idle

KEY = "sk-test-form-" + "0123456789abcdef"


class Host(App[None]):
    """Pushes a form for a new custom connection and records what it was dismissed with."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        draft = FormDraft(preset_id="custom-openai", name="Corp", base_url="127.0.0.1:9/v1")
        self.push_screen(ConnectionFormScreen(draft=draft), self.results.append)


async def save_with_key(app: Host) -> str:
    """Type the key, press Ctrl+S; return what the form shows under the key if it stays open."""
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        form.query_one("#key", Input).value = KEY
        await pilot.pause()
        await pilot.press("ctrl+s")
        await idle(pilot)
        if app.screen is not form:
            return ""
        return str(form.query_one("#error-key", Static).render())


async def test_the_form_stores_the_key_only_after_config_toml_names_the_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_config_when_stored: list[bool] = []
    real_set = SecretStore.set

    def checking_set(self: SecretStore, slug: str, secret: str) -> None:
        in_config_when_stored.append(load_config().find(slug) is not None)
        real_set(self, slug, secret)

    monkeypatch.setattr(SecretStore, "set", checking_set)
    app = Host()
    await save_with_key(app)
    assert app.results == ["corp"]
    assert in_config_when_stored == [True]
    assert SecretStore.open().get("corp") == KEY


async def test_a_key_the_form_cannot_store_leaves_neither_key_nor_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing(self: SecretStore, slug: str, secret: str) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(SecretStore, "set", failing)
    app = Host()
    error = await save_with_key(app)
    assert app.results == []  # the form stays open with what was typed
    assert error == "The key could not be stored: No space left on device. Nothing was added."
    assert load_config().find("corp") is None
    assert SecretStore.open().stored_slugs() == set()
