"""The connections screen and form, driven with a Pilot against real loopback servers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, OptionList, Select, Static

from craft_tui.config import paths
from craft_tui.config.schema import ApiKeyAuth, Connection, NoAuth
from craft_tui.config.secrets import SecretStore
from craft_tui.config.store import load_config, update_config
from craft_tui.providers.detect import LocalTarget, detect
from craft_tui.ui.screens.connection_form import ConnectionFormScreen
from craft_tui.ui.screens.connections import ConnectionsScreen
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import wait_until

KEY = "sk-or-v1-0123456789abcdef"


class Host(App[None]):
    """Pushes one screen on mount and records what it dismissed with."""

    def __init__(self, make_screen: Callable[[], Screen[object]]) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), self.results.append)


def screen_text(app: App[object]) -> str:
    """Everything a person can read on the current screen (Statics, inputs, options)."""
    parts: list[str] = []
    for widget in app.screen.query("*"):
        if isinstance(widget, Static):
            parts.append(str(widget.render()))
        elif isinstance(widget, Input):
            parts.append(widget._value.plain if widget.password else widget.value)
            parts.append(widget.placeholder)
        elif isinstance(widget, OptionList):
            parts.extend(str(option.prompt) for option in widget.options)
    return "\n".join(parts)


def add_connection(connection: Connection, key: str | None = None, default: bool = True) -> None:
    def change(config):  # type: ignore[no-untyped-def]
        config.connections.append(connection)
        if default and config.settings.default_connection is None:
            config.settings.default_connection = connection.slug

    update_config(change)
    if key:
        SecretStore.open().set(connection.slug, key)


async def idle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Until no worker of the app runs (saves and key reads happen in threads), then a round of
    messages and layout: what a change leads to is on screen."""
    await wait_until(pilot, lambda: all(worker.is_finished for worker in pilot.app.workers))
    await pilot.pause()


async def fill(pilot, widget_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Put text in an input as a paste would (one change event), then let the screen react."""
    field = pilot.app.screen.query_one(f"#{widget_id}", Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def type_into(pilot, widget_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Focus an input, clear it, and type into it key by key."""
    field = pilot.app.screen.query_one(f"#{widget_id}", Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)


async def test_add_openrouter_preset_stores_key_masked_and_out_of_config(
    fake_server,
) -> None:
    server: FakeLLMServer = fake_server(require_key=KEY)
    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        form.query_one("#preset", Select).value = "openrouter"
        await pilot.pause()
        assert form.query_one("#name", Input).value == "OpenRouter"
        assert form.query_one("#env", Input).value == "OPENROUTER_API_KEY"
        await fill(pilot, "base-url", server.openai_base_url)
        await pilot.pause()
        preview = str(form.query_one("#url-preview", Static).render())
        assert preview == f"→ POST {server.openai_base_url}/chat/completions"
        await type_into(pilot, "key", KEY)
        assert KEY not in screen_text(app)
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert isinstance(app.screen, ConnectionsScreen)
        listing = screen_text(app)
        assert "sk-or-v••••••••cdef" in listing
        assert KEY not in listing

    config = load_config()
    (connection,) = config.connections
    assert connection.slug == "openrouter" and connection.preset == "openrouter"
    assert connection.base_url == server.openai_base_url
    assert connection.headers["X-Title"] == "craft-tui"
    assert config.settings.default_connection == "openrouter"
    assert KEY not in paths.config_file().read_text()
    assert SecretStore.open().get("openrouter") == KEY


async def test_edit_without_retyping_the_key_keeps_it() -> None:
    add_connection(
        Connection(
            slug="work", name="Work", protocol="openai", base_url="https://llm.example.com/v1"
        ),
        key=KEY,
    )
    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        assert "sk-or-v••••••••cdef stored" in form.query_one("#key", Input).placeholder
        assert form.query_one("#key", Input).value == ""
        await fill(pilot, "models", "gpt-4o, gpt-4o-mini")
        await fill(pilot, "default-model", "gpt-4o-mini")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert isinstance(app.screen, ConnectionsScreen)
    connection = load_config().connections[0]
    assert connection.model_ids == ["gpt-4o", "gpt-4o-mini"]
    assert connection.effective_default_model == "gpt-4o-mini"
    assert SecretStore.open().get("work") == KEY


async def test_delete_asks_then_removes_connection_and_key() -> None:
    add_connection(
        Connection(slug="one", name="One", protocol="openai", base_url="https://a.example.com/v1"),
        key=KEY,
    )
    add_connection(
        Connection(slug="two", name="Two", protocol="openai", base_url="https://b.example.com/v1")
    )
    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("d")
        assert "Delete connection 'One'?" in screen_text(app)
        await pilot.press("n")  # declining keeps everything
        assert [c.slug for c in load_config().connections] == ["one", "two"]
        await pilot.press("d", "y")
        await idle(pilot)
        assert "One" not in screen_text(app)
    config = load_config()
    assert [c.slug for c in config.connections] == ["two"]
    assert config.settings.default_connection == "two"
    assert SecretStore.open().get("one") is None


async def test_make_default_moves_the_star() -> None:
    add_connection(Connection(slug="one", name="One", protocol="openai", base_url="a.example.com"))
    add_connection(Connection(slug="two", name="Two", protocol="openai", base_url="b.example.com"))
    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("down", "s")
        await idle(pilot)
        options = app.screen.query_one("#connection-list", OptionList).options
        assert str(options[1].prompt).startswith("★ Two")
        assert not str(options[0].prompt).startswith("★")
    assert load_config().settings.default_connection == "two"


async def test_validation_errors_sit_next_to_their_fields_and_keep_input() -> None:
    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("a")
        form = app.screen
        form.query_one("#preset", Select).value = "custom-openai"
        await pilot.pause()
        await fill(pilot, "name", "My proxy")
        await fill(pilot, "base-url", "ftp://nope")
        await fill(pilot, "headers", "Broken header")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.screen is form  # not saved, still open
        url_error = str(form.query_one("#error-base-url", Static).render())
        assert "http:// or https://" in url_error
        assert "Name: value" in str(form.query_one("#error-headers", Static).render())
        assert "Paste the API key" in str(form.query_one("#error-key", Static).render())
        assert form.query_one("#base-url", Input).value == "ftp://nope"
        assert form.query_one("#name", Input).value == "My proxy"
        # fixing the fields saves
        await fill(pilot, "base-url", "llm.internal.example.com")
        await fill(pilot, "headers", "X-Team: research")
        form.query_one("#key-source", Select).value = "none"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert isinstance(app.screen, ConnectionsScreen)
    connection = load_config().connections[0]
    assert connection.slug == "my-proxy"
    assert connection.base_url == "https://llm.internal.example.com/v1"
    assert connection.headers == {"X-Team": "research"}
    assert isinstance(connection.auth, NoAuth)


async def test_a_credential_header_is_refused_with_a_reason() -> None:
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        await fill(pilot, "headers", "Authorization: Bearer abc")
        form.query_one("#key-source", Select).value = "none"
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.screen is form
        assert "carries a credential" in str(form.query_one("#error-headers", Static).render())
    assert not paths.config_file().exists()


async def test_a_second_connection_with_the_same_name_is_refused() -> None:
    add_connection(
        Connection(
            slug="openrouter", name="OpenRouter", protocol="openai", base_url="x.example.com"
        )
    )
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        await fill(pilot, "key", KEY)
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.screen is form
        assert "exists already" in str(form.query_one("#error-name", Static).render())
    assert len(load_config().connections) == 1
    assert SecretStore.open().get("openrouter") is None


async def test_anthropic_protocol_offers_bearer_or_x_api_key() -> None:
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        assert not form.query_one("#row-style").display  # OpenAI always sends a bearer token
        form.query_one("#preset", Select).value = "custom-anthropic"
        await pilot.pause()
        assert form.query_one("#row-style").display
        await fill(pilot, "name", "Gateway")
        await fill(pilot, "base-url", "https://gw.example.com/v1/messages")
        await pilot.pause()
        preview = str(form.query_one("#url-preview", Static).render())
        assert preview == "→ POST https://gw.example.com/v1/messages"
        form.query_one("#key-style", Select).value = "bearer"
        form.query_one("#key-source", Select).value = "env"
        await pilot.pause()
        await fill(pilot, "env", "GATEWAY_TOKEN")
        await pilot.press("ctrl+s")
        await idle(pilot)
    connection = load_config().connections[0]
    assert connection.base_url == "https://gw.example.com"
    assert connection.auth.type == "bearer"
    assert connection.auth.api_key_env == "GATEWAY_TOKEN"  # type: ignore[union-attr]


async def test_first_run_offers_local_ollama_and_env_key(
    fake_server,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ollama: FakeLLMServer = fake_server()
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    target = LocalTarget("ollama", ollama.openai_base_url, "ollama")

    async def detector():  # type: ignore[no-untyped-def]
        return await detect(targets=[target])

    app = Host(lambda: ConnectionsScreen(first_run=True, detector=detector))
    async with app.run_test(size=(100, 40)) as pilot:
        screen = app.screen
        await screen.workers.wait_for_complete()
        await pilot.pause()
        found = screen.query_one("#found", OptionList)
        offers = [str(option.prompt) for option in found.options]
        assert offers[0].startswith("+ Ollama") and "models" in offers[0]
        assert offers[1] == "+ OpenRouter  key in $OPENROUTER_API_KEY"
        assert KEY not in screen_text(app)
        # take the Ollama offer: the form arrives filled in; save it as it is
        await pilot.press("enter")
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        assert form.query_one("#base-url", Input).value == ollama.openai_base_url
        await pilot.press("ctrl+s")
        await idle(pilot)
        # the Ollama offer is used up; the OpenRouter key is still on offer
        assert isinstance(app.screen, ConnectionsScreen)
        found = app.screen.query_one("#found", OptionList)
        assert [str(o.prompt) for o in found.options] == [offers[1]]
        assert "Saved. Also found" in screen_text(app)
        found.focus()
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert "Saved. Press Esc to start chatting" in screen_text(app)
        assert not app.screen.query_one("#found", OptionList).display
    config = load_config()
    ollama_conn, openrouter = config.connections
    assert isinstance(ollama_conn.auth, NoAuth)
    assert ollama_conn.model_ids and ollama_conn.base_url == ollama.openai_base_url
    assert config.settings.default_connection == ollama_conn.slug  # the first one saved
    assert isinstance(openrouter.auth, ApiKeyAuth)
    assert openrouter.auth.api_key_env == "OPENROUTER_API_KEY"
    assert SecretStore.open().get(openrouter.slug) is None  # the key stays in the environment
    assert KEY not in Path(paths.config_file()).read_text()


async def test_first_run_with_nothing_found_says_so() -> None:
    async def nothing():  # type: ignore[no-untyped-def]
        return []

    app = Host(lambda: ConnectionsScreen(first_run=True, detector=nothing))
    async with app.run_test(size=(100, 40)) as pilot:
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert "Welcome to craft-tui" in text
        assert "Nothing found on this machine" in text
        await pilot.press("escape")
        assert app.results == [None]


async def test_test_reports_each_step_and_fixes_a_wrong_url_with_one_key(
    fake_server,
) -> None:
    server: FakeLLMServer = fake_server(require_key=KEY)
    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("a")
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await fill(pilot, "base-url", server.root_url + "/v2")  # a wrong version segment
        await type_into(pilot, "key", KEY)
        await fill(pilot, "models", "fake-small")
        await pilot.press("ctrl+t")
        await form.workers.wait_for_complete()
        await pilot.pause()
        results = str(form.query_one("#results", Static).render())
        assert "✗ answer" in results and "Nothing answers at" in results
        assert f"Press Ctrl+R to use {server.openai_base_url}" in results
        assert "Test failed at: answer." in results
        assert KEY not in screen_text(app)
        await pilot.press("ctrl+r")  # take the offered URL; the test runs again
        assert form.query_one("#base-url", Input).value == server.openai_base_url
        await form.workers.wait_for_complete()
        await pilot.pause()
        results = str(form.query_one("#results", Static).render())
        assert "✓ models" in results and "✓ answer" in results
        assert "Test passed." in results
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert isinstance(app.screen, ConnectionsScreen)
    assert load_config().connections[0].base_url == server.openai_base_url
    chats = server.chat_requests
    assert chats and all(r.headers.get("authorization") == f"Bearer {KEY}" for r in chats)


async def test_a_wrong_key_fails_the_test_but_saving_still_works_and_says_so(
    fake_server,
) -> None:
    server: FakeLLMServer = fake_server(require_key=KEY)
    notes: list[str] = []
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        app.notify = lambda message, **_: notes.append(message)  # type: ignore[method-assign]
        form = app.screen
        await fill(pilot, "base-url", server.openai_base_url)
        await type_into(pilot, "key", "sk-or-v1-wrongwrongwrong1")
        await fill(pilot, "models", "fake-small")
        await pilot.press("ctrl+t")
        await form.workers.wait_for_complete()
        await pilot.pause()
        results = str(form.query_one("#results", Static).render())
        assert "✗ models" in results and "Test failed at: models." in results
        assert "Ctrl+R" not in results
        await pilot.press("ctrl+s")
        await idle(pilot)
    assert app.results == ["openrouter"]
    assert notes == ["Saved 'OpenRouter' (test: failed at models)."]


async def test_escape_after_typing_asks_before_discarding() -> None:
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        await pilot.press("escape")  # nothing typed yet: closes at once
        assert app.results == [None]
        app.push_screen(ConnectionFormScreen(), app.results.append)
        await pilot.pause()
        form = app.screen
        await fill(pilot, "base-url", "https://llm.example.com/v1")
        await pilot.press("escape")
        assert "Discard what you typed" in screen_text(app)
        await pilot.press("escape")  # Esc on the question keeps editing
        assert app.screen is form
        assert form.query_one("#base-url", Input).value == "https://llm.example.com/v1"
        await pilot.press("escape", "y")
        await pilot.pause()
    assert app.results == [None, None]


async def test_fetch_models_fills_a_short_list_and_only_suggests_a_long_one(
    fake_server,
) -> None:
    from tests.servers.catalog import openrouter_models

    small: FakeLLMServer = fake_server()
    big: FakeLLMServer = fake_server(models=openrouter_models(40))
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        form.query_one("#key-source", Select).value = "none"
        await fill(pilot, "base-url", small.openai_base_url)
        await pilot.press("ctrl+l")
        await form.workers.wait_for_complete()
        await pilot.pause()
        assert form.query_one("#models", Input).value == "fake-small, fake-large"
        assert "2 models found: added to Models." in str(
            form.query_one("#results", Static).render()
        )

        await fill(pilot, "models", "")
        await fill(pilot, "base-url", big.openai_base_url)
        await pilot.press("ctrl+l")
        await form.workers.wait_for_complete()
        await pilot.pause()
        assert form.query_one("#models", Input).value == ""  # 40 ids are not dumped in the field
        assert "40 models found; they appear in the model picker" in str(
            form.query_one("#results", Static).render()
        )
        assert len(form.discovered) == 40
        suggester = form.query_one("#default-model", Input).suggester
        assert suggester is not None
        first = form.discovered[0]
        assert await suggester.get_suggestion(first[:6]) == first


async def test_fetch_models_reports_a_server_that_refuses_the_key(
    fake_server,
) -> None:
    server: FakeLLMServer = fake_server(require_key=KEY)
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        await fill(pilot, "base-url", server.openai_base_url)
        await type_into(pilot, "key", "sk-or-v1-notthekey000000")
        await pilot.press("ctrl+l")
        await form.workers.wait_for_complete()
        await pilot.pause()
        results = str(form.query_one("#results", Static).render())
        assert results.startswith("✗ models  The server rejected the API key (401")
        assert form.query_one("#models", Input).value == ""


async def test_t_in_the_list_opens_the_form_with_the_test_running(
    fake_server,
) -> None:
    server: FakeLLMServer = fake_server()
    add_connection(
        Connection(
            slug="fake",
            name="Fake",
            protocol="openai",
            base_url=server.openai_base_url,
            auth=NoAuth(),
            models=["fake-small"],
        )
    )
    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("t")
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        await pilot.pause()
        await form.workers.wait_for_complete()
        await pilot.pause()
        assert "Test passed." in str(form.query_one("#results", Static).render())
        await pilot.press("escape")  # nothing was changed: closes without asking
        assert isinstance(app.screen, ConnectionsScreen)
    assert len(server.chat_requests) == 1


async def test_a_config_that_cannot_be_saved_keeps_the_old_key_and_the_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from craft_tui.config import store
    from craft_tui.config.store import ConfigError

    add_connection(
        Connection(slug="work", name="Work", protocol="openai", base_url="llm.example.com"),
        key=KEY,
    )

    def broken(change, path=None):  # type: ignore[no-untyped-def]
        raise ConfigError("config.toml: line 3: not valid TOML. Fix the file by hand.")

    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("e")
        form = app.screen
        await type_into(pilot, "key", "sk-or-v1-anotherkey000000")
        monkeypatch.setattr(store, "update_config", broken)  # save_connection writes with it
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.screen is form
        error = str(form.query_one("#error-form", Static).render())
        assert error.startswith("Not saved: config.toml: line 3")
        assert form.query_one("#key", Input).value == "sk-or-v1-anotherkey000000"
    assert SecretStore.open().get("work") == KEY


async def test_a_check_that_crashes_is_one_line_not_a_traceback() -> None:
    async def crashing(connection, key):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")
        yield  # pragma: no cover - makes this an async generator

    app = Host(lambda: ConnectionFormScreen(checker=crashing))
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        form.query_one("#key-source", Select).value = "none"
        await pilot.press("ctrl+t")
        await form.workers.wait_for_complete()
        await pilot.pause()
        results = str(form.query_one("#results", Static).render())
        assert "✗ test  stopped unexpectedly (RuntimeError: boom)." in results
        assert "Traceback" not in results
        assert app.is_running


async def test_a_key_for_another_provider_gets_a_gentle_warning_but_still_saves() -> None:
    app = Host(lambda: ConnectionFormScreen())  # the OpenRouter preset
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        note = form.query_one("#key-note", Static)
        assert not note.display
        await fill(pilot, "key", "sk-ant-api03-0000000000")
        assert note.display
        assert "OpenRouter keys usually start with sk-or-" in str(note.render())
        await fill(pilot, "key", KEY)
        assert not note.display
        await fill(pilot, "key", "sk-ant-api03-0000000000")
        await pilot.press("ctrl+s")
        await idle(pilot)
    assert app.results == ["openrouter"]


async def test_tls_options_are_saved_and_a_missing_ca_bundle_is_named(tmp_path: Path) -> None:
    from textual.widgets import Checkbox

    bundle = tmp_path / "corp-ca.pem"
    app = Host(lambda: ConnectionFormScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        form.query_one("#preset", Select).value = "custom-openai"
        await pilot.pause()
        await fill(pilot, "name", "Corp")
        await fill(pilot, "base-url", "https://llm.corp.example.com/v1")
        form.query_one("#key-source", Select).value = "none"
        form.query_one("#verify", Checkbox).value = False
        await fill(pilot, "ca", str(bundle))
        await pilot.press("ctrl+s")
        await idle(pilot)
        assert app.screen is form
        assert f"No file at {bundle}" in str(form.query_one("#error-ca", Static).render())
        bundle.write_text("-----BEGIN CERTIFICATE-----\n")
        await pilot.press("ctrl+s")
        await idle(pilot)
    connection = load_config().connections[0]
    assert connection.verify_tls is False
    assert connection.ca_bundle == bundle
