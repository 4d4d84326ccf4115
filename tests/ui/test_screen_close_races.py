"""A screen closed while its work is still out (a keyring, a server, a search, a file read).

Textual removes a closing screen's widgets first and cancels its workers only when the screen
itself goes; work that resumed in between found no widget to update and the app quit with
"unexpected error" (`ui/screens/lifetime.py`). Each test lands the slow call exactly in that
window: it returns once the widget it would update is gone. Where the slow call is a thread
(the last-use read, the history search) or a keyring wait, the old code failed only when the
cancellation lost the race; the others failed every time."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList, Select, Static, TextArea

from craft_tui.chat import attachments
from craft_tui.chat.history import SearchResults
from craft_tui.config import state
from craft_tui.config.schema import Connection
from craft_tui.config.store import load_config
from craft_tui.providers import discovery
from craft_tui.providers.discovery import Discovery
from craft_tui.providers.types import ModelInfo
from craft_tui.ui.screens.attach_file import AttachFileScreen
from craft_tui.ui.screens.connection_form import ConnectionFormScreen
from craft_tui.ui.screens.connections import ConnectionsScreen
from craft_tui.ui.screens.history import HistoryScreen
from craft_tui.ui.screens.system_prompt import SystemPromptScreen
from craft_tui.workspace.connections import ConnectionService
from tests.ui.test_connections import KEY, Host, add_connection
from tests.waiting import HANG_GUARD, until


def hold_thread_until(condition: Callable[[], object]) -> None:
    """Keep a thread's read (a file, a search) going until `condition`, as a slow disk would."""
    deadline = time.monotonic() + HANG_GUARD
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.0005)


async def escape_until_gone(pilot: Pilot[Any], screen: Screen[Any]) -> None:
    """Esc closes `screen`; once it is gone the app is still running, with no error."""
    await pilot.press("escape")
    await until(lambda: not screen.is_attached, "the screen gone")
    await pilot.pause()
    assert pilot.app.is_running and pilot.app.return_code is None


async def fill_new_form(pilot: Pilot[Any], form: ConnectionFormScreen) -> None:
    """A complete custom connection typed into a new form, marked as not changed since (so Esc
    closes it without asking)."""
    form.query_one("#preset", Select).value = "custom-openai"
    await pilot.pause()
    form.query_one("#name", Input).value = "Example"
    form.query_one("#base-url", Input).value = "https://llm.example.com/v1"
    form.query_one("#key-source", Select).value = "none"
    await pilot.pause()
    form._initial = form._snapshot()


async def test_escape_while_first_run_looks_for_local_servers_leaves_the_app_running() -> None:
    asked = asyncio.Event()

    async def detector() -> list[Any]:
        asked.set()
        await until(lambda: not screen.query("#found-title"), "the findings' title removed")
        return []

    screen = ConnectionsScreen(first_run=True, detector=detector)
    app = Host(lambda: screen)
    async with app.run_test(size=(100, 40)) as pilot:
        await asked.wait()
        await escape_until_gone(pilot, screen)


async def test_escape_while_the_connections_last_use_is_read_leaves_the_app_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = threading.Event()

    def slow_last_use() -> dict[str, float]:
        started.set()
        hold_thread_until(lambda: not screen.query("#connection-list"))
        return {}

    monkeypatch.setattr(state, "last_used_times", slow_last_use)
    screen = ConnectionsScreen()
    app = Host(lambda: screen)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(started.is_set, "the last-use read started")
        await escape_until_gone(pilot, screen)


async def test_escape_while_a_test_waits_for_the_stored_key_leaves_the_app_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_connection(
        Connection(
            slug="work", name="Work", protocol="openai", base_url="https://llm.example.com/v1"
        ),
        key=KEY,
    )
    asked = asyncio.Event()
    stored_key = ConnectionService.astored_key

    async def slow_keyring(service: ConnectionService, connection: Connection) -> str | None:
        asked.set()
        await until(lambda: not form.query("#name"), "the fields removed")
        return await stored_key(service, connection)

    monkeypatch.setattr(ConnectionService, "astored_key", slow_keyring)
    connection = load_config().find("work")
    assert connection is not None
    form = ConnectionFormScreen(connection)
    app = Host(lambda: form)
    async with app.run_test(size=(100, 40)) as pilot:
        await asked.wait()
        await pilot.press("ctrl+t")  # the test waits for the stored key
        await pilot.pause()
        form._initial = form._snapshot()
        await escape_until_gone(pilot, form)


async def test_escape_while_models_are_fetched_leaves_the_app_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = asyncio.Event()

    async def slow_server(connection: Connection, key: str | None) -> Discovery:
        asked.set()
        await until(lambda: not form.query("#default-model"), "the model field removed")
        return Discovery(models=(ModelInfo(id="a-model"),))

    monkeypatch.setattr(discovery, "discover_models", slow_server)
    form = ConnectionFormScreen()
    app = Host(lambda: form)
    async with app.run_test(size=(100, 40)) as pilot:
        await fill_new_form(pilot, form)
        await pilot.press("ctrl+l")
        await asked.wait()
        await escape_until_gone(pilot, form)


class SlowSearchStore:
    """A history whose title search is still reading when the screen closes."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.screen: Screen[Any] | None = None

    def list_conversations(self, **query: object) -> list[Any]:
        if query.get("title"):
            self.started.set()
            hold_thread_until(lambda: self.screen is not None and not self.screen.query(OptionList))
        return []

    def conversation_figures(self, ids: object) -> dict[str, Any]:
        return {}

    def search(self, query: str, limit: int) -> SearchResults:
        return SearchResults(hits=[], full_text=True)


async def test_escape_while_a_history_search_reads_leaves_the_app_running() -> None:
    store = SlowSearchStore()
    screen = HistoryScreen(store)  # type: ignore[arg-type]
    store.screen = screen
    app = Host(lambda: screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen.query_one("#history-search", Input).value = "pengu"
        await until(store.started.is_set, "the search started")
        await escape_until_gone(pilot, screen)


class ChatBelow(Screen[None]):
    """Stands for the chat screen under the attach dialog."""

    def compose(self) -> ComposeResult:
        yield Static("the chat")


class AttachHost(App[None]):
    def __init__(self, attach: AttachFileScreen) -> None:
        super().__init__()
        self.attach = attach
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(ChatBelow())
        self.push_screen(self.attach, self.results.append)


async def test_a_file_read_that_ends_after_escape_closes_nothing_else(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started = threading.Event()
    release = threading.Event()
    real_load = attachments.load_attachment

    def slow_disk(*args: Any, **kwargs: Any) -> attachments.Attachment:
        started.set()
        hold_thread_until(release.is_set)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(attachments, "load_attachment", slow_disk)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    attach = AttachFileScreen(None, base=tmp_path)
    app = AttachHost(attach)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        field = attach.query_one("#attach-path", Input)
        field.value = str(notes)
        field.post_message(Input.Submitted(field, field.value))
        await until(started.is_set, "the read started")
        attach.action_cancel()  # what the Escape binding runs
        await until(lambda: app.results == [None], "the cancel answered")
        release.set()  # the file is read after the cancel
        await until(lambda: not attach.is_attached, "the dialog gone")
        await pilot.pause()
        # The chat screen below is still there: the late read closed nothing else.
        assert isinstance(app.screen, ChatBelow) and app.results == [None]
        assert app.is_running and app.return_code is None


def toasts(app: App[Any]) -> list[str]:
    return [str(note.message) for note in app._notifications]


async def test_a_system_prompt_save_that_fails_as_escape_closes_it_says_so_in_a_toast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started = asyncio.Event()
    error_line_gone = asyncio.Event()

    def on_unmount(static: Static) -> None:
        if static.id == "system-error":
            error_line_gone.set()

    # Woken the moment the error line unmounts, before the screen itself goes (and cancels its
    # workers): polling for it instead lost that window under load.
    monkeypatch.setattr(Static, "on_unmount", on_unmount, raising=False)

    async def save(text: str | None) -> None:
        started.set()
        await error_line_gone.wait()
        raise OSError("database is locked")

    screen = SystemPromptScreen("", save=save)
    app = Host(lambda: screen)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(lambda: app.screen is screen, "the screen open")
        screen.query_one(TextArea).insert("Be brief.")
        await pilot.press("ctrl+s")
        await started.wait()
        await escape_until_gone(pilot, screen)
        await until(
            lambda: any("Not saved: OSError: database is locked" in t for t in toasts(app)),
            "the refusal shown as a toast",
        )
        assert app.is_running and app.return_code is None
