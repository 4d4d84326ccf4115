"""Screens never read or write files on the UI loop: the model picker reads the cached model lists,
favourites and recent picks in a thread (also when a connection is added while it is open), and
the system prompt screen awaits a save its caller runs off the loop, closing only once it is
stored."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Static, TextArea

from craft_tui.config import state
from craft_tui.config.schema import Config, Connection, ModelEntry
from craft_tui.config.store import load_config, update_config
from craft_tui.providers import catalog as catalog_module
from craft_tui.ui.screens.model_picker import ModelPickerScreen
from craft_tui.ui.screens.system_prompt import SystemPromptScreen
from craft_tui.workspace.core import ConfigChange
from tests.ui.chat_helpers import wait_until


def connection(slug: str, model: str) -> Connection:
    return Connection(
        slug=slug,
        name=slug.title(),
        protocol="openai",
        base_url=f"http://127.0.0.1:9/{slug}/v1",
        auth={"type": "none"},  # type: ignore[arg-type]
        models=[ModelEntry(id=model)],
    )


class Host(App[None]):
    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.pushed = screen
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.pushed, self.results.append)


def record_threads(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[str]:
    """Wrap `module.name` so each call records the thread it ran on."""
    threads: list[str] = []
    real: Callable[..., Any] = getattr(module, name)

    def recorded(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, recorded)
    return threads


def shown_models(app: Host) -> list[str]:
    picker = app.screen
    assert isinstance(picker, ModelPickerScreen)
    return [entry.model_id for entry in picker.entries]


async def test_the_picker_reads_cached_lists_and_state_in_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def change(config: Config) -> None:
        config.connections = [connection("one", "model-one")]

    update_config(change)
    state.set_favourite_models(["one/model-one"])
    caches = record_threads(monkeypatch, catalog_module, "load_cached")
    favourites = record_threads(monkeypatch, state, "favourite_models")
    recent = record_threads(monkeypatch, state, "recent_models")
    loop_thread = threading.current_thread().name
    app = Host(ModelPickerScreen(None, refresh_lists=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: shown_models(app) == ["model-one"])
        picker = app.screen
        assert isinstance(picker, ModelPickerScreen)
        assert picker.favourites == ["one/model-one"]
        assert caches and favourites and recent
        assert loop_thread not in {*caches, *favourites, *recent}

        # A connection added while the picker is open: its cache is read in a thread too.
        caches.clear()

        def add(config: Config) -> None:
            config.connections.append(connection("two", "model-two"))

        update_config(add)
        picker.config_changed(ConfigChange(config=load_config()))
        await wait_until(pilot, lambda: "model-two" in shown_models(app))
        assert caches and loop_thread not in caches


async def test_the_system_prompt_screen_closes_once_its_save_is_done() -> None:
    saved: list[str | None] = []
    release = asyncio.Event()

    async def save(text: str | None) -> None:
        await release.wait()  # a slow database: the screen stays until the write is done
        saved.append(text)

    screen = SystemPromptScreen("", save=save)
    app = Host(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen is screen)
        screen.query_one(TextArea).insert("  Talk like a pirate.  ")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: bool(screen.workers))
        assert app.screen is screen and saved == []
        release.set()
        await wait_until(pilot, lambda: app.screen is not screen)
    assert saved == ["Talk like a pirate."]
    assert app.results == ["  Talk like a pirate.  "]


async def test_a_failed_system_prompt_save_is_said_and_the_text_kept() -> None:
    async def save(text: str | None) -> None:
        raise OSError("disk full")

    screen = SystemPromptScreen("", save=save)
    app = Host(screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen is screen)
        screen.query_one(TextArea).insert("Be brief.")
        await pilot.press("ctrl+s")
        error = screen.query_one("#system-error", Static)
        await wait_until(pilot, lambda: "disk full" in str(error.render()))
        assert app.screen is screen
        assert screen.query_one(TextArea).text == "Be brief."
    assert app.results == []
