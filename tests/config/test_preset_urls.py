"""A host typed without a scheme: one rule for the CLI, the connection form and config.toml.

A local-server preset (Ollama, LM Studio, vLLM, llama.cpp) reaches a scheme-less host over plain
http, wherever it runs (`gpu-box:11434` is a machine on the LAN, not an https site), exactly as the
same host given through `OLLAMA_HOST`; other presets keep https for a non-local host.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input, Static

from craft_tui.config.presets import normalize_connection_url, ollama_base_from_host
from craft_tui.config.schema import Connection
from craft_tui.config.store import load_config
from craft_tui.ui.screens.connection_form import ConnectionFormScreen, FormDraft
from tests.test_cli_connection import craft
from tests.ui.test_connections import idle


@pytest.mark.parametrize(
    ("preset", "typed", "expected"),
    [
        ("ollama", "gpu-box:11434", "http://gpu-box:11434/v1"),
        ("lmstudio", "studio.lan.example.com:1234", "http://studio.lan.example.com:1234/v1"),
        ("vllm", "gpu-box:8000/v1", "http://gpu-box:8000/v1"),
        ("llamacpp", "gpu-box:8080", "http://gpu-box:8080/v1"),
        ("ollama", "https://gpu-box:11434", "https://gpu-box:11434/v1"),  # a typed scheme stays
        ("openai", "proxy.example.com/v1", "https://proxy.example.com/v1"),
        ("custom-openai", "gpu-box:8000", "https://gpu-box:8000/v1"),
        ("custom-openai", "192.168.1.9:8000", "http://192.168.1.9:8000/v1"),
        (None, "localhost:8000", "http://localhost:8000/v1"),
    ],
)
def test_scheme_of_a_host_typed_without_one(preset: str | None, typed: str, expected: str) -> None:
    assert normalize_connection_url("openai", typed, preset) == expected


def test_ollama_host_and_base_url_give_the_same_url() -> None:
    assert ollama_base_from_host("gpu-box:11434") == normalize_connection_url(
        "openai", "gpu-box:11434", "ollama"
    )


def test_config_toml_applies_the_same_rule() -> None:
    connection = Connection(
        slug="gpu", name="GPU", protocol="openai", preset="ollama", base_url="gpu-box:11434"
    )
    assert connection.base_url == "http://gpu-box:11434/v1"


def test_cli_readme_example_gets_http(isolated_home: Path) -> None:
    result = craft(
        isolated_home,
        "connection",
        "add",
        "Remote Ollama",
        "--preset",
        "ollama",
        "--base-url",
        "gpu-box:11434",
        "--model",
        "llama3.2",
    )
    assert result.returncode == 0, result.stderr
    assert "→ http://gpu-box:11434/v1/chat/completions" in result.stdout
    via_env = craft(
        isolated_home, "connection", "add", "Env Ollama", "--preset", "ollama",
        OLLAMA_HOST="gpu-box:11434",
    )  # fmt: skip
    assert "→ http://gpu-box:11434/v1/chat/completions" in via_env.stdout
    urls = {c.slug: c.base_url for c in load_config().connections}
    assert urls == {
        "remote-ollama": "http://gpu-box:11434/v1",
        "env-ollama": "http://gpu-box:11434/v1",
    }


class FormHost(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        draft = FormDraft(preset_id="ollama", name="GPU", base_url="gpu-box:11434")
        self.push_screen(ConnectionFormScreen(draft=draft), self.results.append)


async def test_the_form_previews_and_saves_http_for_a_local_server_preset() -> None:
    app = FormHost()
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        assert isinstance(form, ConnectionFormScreen)
        form.query_one("#base-url", Input).value = "gpu-box:11434"
        await pilot.pause()
        preview = str(form.query_one("#url-preview", Static).render())
        assert "http://gpu-box:11434/v1/chat/completions" in preview
        assert "https" not in preview
        await pilot.press("ctrl+s")
        await idle(pilot)
    assert app.results == ["gpu"]
    saved = load_config().find("gpu")
    assert saved is not None and saved.base_url == "http://gpu-box:11434/v1"
