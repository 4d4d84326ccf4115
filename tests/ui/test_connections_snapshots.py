"""SVG snapshots of the connections screen, its form and first run, at 80×24 and 120×40.

Deterministic by construction: times are fixed datetimes, detection and the check are injected
(canned findings and steps, example.com URLs), so no port, path or clock reaches the screen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from craft_tui.config import state
from craft_tui.config.schema import Config, Connection, ModelEntry
from craft_tui.config.secrets import SecretStore
from craft_tui.config.store import update_config
from craft_tui.providers.check import CheckStep
from craft_tui.providers.detect import Finding
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.ui.screens.connection_form import ConnectionFormScreen, FormDraft
from craft_tui.ui.screens.connections import ConnectionsScreen
from tests.ui.chat_helpers import screen_at_rest
from tests.ui.test_connections import Host

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
KEY = "sk-or-v1-0123456789abcdef"


def three_connections() -> None:
    def change(config: Config) -> None:
        config.connections = [
            Connection(
                slug="openrouter",
                name="OpenRouter",
                protocol="openai",
                preset="openrouter",
                base_url="https://openrouter.ai/api/v1",
                models=[ModelEntry(id="anthropic/claude-sonnet-4"), ModelEntry(id="openai/gpt-5")],
                default_model="anthropic/claude-sonnet-4",
                created_at=datetime(2026, 1, 5, tzinfo=UTC),
            ),
            Connection(
                slug="ollama",
                name="Ollama",
                protocol="openai",
                preset="ollama",
                base_url="http://localhost:11434/v1",
                auth={"type": "none"},
                models=[ModelEntry(id="llama3.2:latest")],
                created_at=datetime(2026, 2, 1, tzinfo=UTC),
            ),
            Connection(
                slug="company-gateway",
                name="Company gateway",
                protocol="anthropic",
                base_url="https://llm.corp.example.com",
                auth={"type": "bearer", "api_key_env": "CORP_LLM_TOKEN"},
                created_at=datetime(2026, 3, 1, tzinfo=UTC),
            ),
        ]
        config.settings.default_connection = "openrouter"

    update_config(change)
    SecretStore.open().set("openrouter", KEY)

    def used(now: state.State) -> bool:  # "used …" is runtime state, not config.toml
        now.last_used["openrouter"] = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
        return True

    state.update_state(used)


async def settle(pilot: Pilot[Any]) -> None:
    await screen_at_rest(pilot)  # checks and detection done, the fields they fill are there
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor is caught on or off by chance
    await screen_at_rest(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_connections_list(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    three_connections()
    app = Host(lambda: ConnectionsScreen())
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_first_run_offers(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    async def detector() -> list[Finding]:
        return [
            Finding(
                "ollama",
                "Ollama",
                "openai",
                "http://localhost:11434/v1",
                "local",
                "answering at http://localhost:11434, 3 models",
                models=("llama3.2:latest", "qwen3:8b", "gemma3:4b"),
            ),
            Finding(
                "openrouter",
                "OpenRouter",
                "openai",
                "https://openrouter.ai/api/v1",
                "env",
                "key in $OPENROUTER_API_KEY",
                key_env="OPENROUTER_API_KEY",
            ),
        ]

    app = Host(lambda: ConnectionsScreen(first_run=True, detector=detector))
    assert snap_compare(app, terminal_size=size, run_before=settle)


def _form_with(source: str, preset: str = "openrouter"):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[Any]) -> None:
        form = pilot.app.screen
        form.query_one("#key-source", Select).value = source
        if source == "stored":
            form.query_one("#key", Input).value = KEY  # shown as dots
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_add_form_with_stored_key(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = Host(lambda: ConnectionFormScreen(draft=FormDraft("openrouter")))
    assert snap_compare(app, terminal_size=size, run_before=_form_with("stored"))


@pytest.mark.parametrize("size", SIZES)
def test_add_form_with_env_key_and_bearer(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = Host(lambda: ConnectionFormScreen(draft=FormDraft("openrouter-anthropic")))
    assert snap_compare(app, terminal_size=size, run_before=_form_with("env"))


@pytest.mark.parametrize("size", SIZES)
def test_add_form_without_auth(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = Host(lambda: ConnectionFormScreen(draft=FormDraft("ollama")))
    assert snap_compare(app, terminal_size=size, run_before=_form_with("none"))


async def passing_check(connection: Connection, key: str | None) -> AsyncIterator[CheckStep]:
    yield CheckStep(
        "models",
        True,
        "3 models at https://llm.example.com/v1/models: small, medium, large",
    )
    yield CheckStep("answer", True, "small answered at https://llm.example.com/v1/chat/completions")


async def failing_check(connection: Connection, key: str | None) -> AsyncIterator[CheckStep]:
    base = connection.base_url
    yield CheckStep("models", True, f"No model list at {base}/models; type model ids by hand.")
    error = ProviderError(
        ErrorKind.ENDPOINT_NOT_FOUND,
        f"Nothing answers at {base}/chat/completions (404).",
        f"The base URL looks wrong; try {base}/v1.",
        status=404,
        suggested_base_url=f"{base}/v1",
    )
    yield CheckStep("answer", False, error.message, error)


def _tested(url: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[Any]) -> None:
        form = pilot.app.screen
        form.query_one("#preset", Select).value = "custom-openai"
        await pilot.pause()
        form.query_one("#name", Input).value = "Example"
        form.query_one("#base-url", Input).value = url
        form.query_one("#key-source", Select).value = "none"
        form.query_one("#models", Input).value = "small, medium, large"
        await pilot.pause()
        await pilot.press("ctrl+t")
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_check_success(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = Host(lambda: ConnectionFormScreen(checker=passing_check))
    assert snap_compare(app, terminal_size=size, run_before=_tested("https://llm.example.com/v1"))


@pytest.mark.parametrize("size", SIZES)
def test_check_failure_offers_the_corrected_url(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    app = Host(lambda: ConnectionFormScreen(checker=failing_check))
    assert snap_compare(app, terminal_size=size, run_before=_tested("https://llm.example.com/api"))
