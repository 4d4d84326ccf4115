"""A screen closed while its work is still out (a keyring, a server, a search, a file read).

Textual removes a closing screen's widgets first and cancels its workers only when the screen
itself goes; work that resumed in between found no widget to update and the app quit with
"unexpected error" (`ui/screens/lifetime.py`). Each test lands the slow call exactly in that
window: it returns once the widget it would update is gone."""

from __future__ import annotations

import asyncio
import threading
import time

from textual.widgets import Input, OptionList, Select

from craft_tui.config.schema import Connection
from craft_tui.ui.screens.connection_form import ConnectionFormScreen
from craft_tui.ui.screens.connections import ConnectionsScreen
from craft_tui.workspace.connections import ConnectionService
from tests.ui.test_connections import KEY, Host, add_connection
from tests.waiting import until


async def test_first_run_detection_after_escape() -> None:
    asked = asyncio.Event()
    box = {}

    async def detector():
        asked.set()
        await until(lambda: not box["s"].query("#found-title"), "rows removed")
        return []

    def make():
        box["s"] = ConnectionsScreen(first_run=True, detector=detector)
        return box["s"]

    app = Host(make)
    async with app.run_test(size=(100, 40)) as pilot:
        await asked.wait()
        await pilot.press("escape")
        await until(lambda: not box["s"].is_attached, "gone")
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_load_details_used_times_after_escape(monkeypatch) -> None:
    from craft_tui.ui.screens import connections as mod

    box = {}
    started = threading.Event()

    def slow_used():
        started.set()
        deadline = time.monotonic() + 10
        while box["s"].query("#connection-list") and time.monotonic() < deadline:
            time.sleep(0.0005)
        return {}

    monkeypatch.setattr(mod.state, "last_used_times", slow_used)

    def make():
        box["s"] = ConnectionsScreen()
        return box["s"]

    app = Host(make)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(started.is_set, "started")
        await pilot.press("escape")
        await until(lambda: not box["s"].is_attached, "gone")
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_form_test_start_after_escape(monkeypatch) -> None:
    """Editing: Ctrl+T waits for the stored key; Esc meanwhile."""
    add_connection(
        Connection(
            slug="work", name="Work", protocol="openai", base_url="https://llm.example.com/v1"
        ),
        key=KEY,
    )
    box = {}
    asked = asyncio.Event()
    orig = ConnectionService.astored_key

    async def slow(self, connection):
        asked.set()
        await until(lambda: not box["s"].query("#name"), "fields removed")
        return await orig(self, connection)

    monkeypatch.setattr(ConnectionService, "astored_key", slow)
    from craft_tui.config.store import load_config

    def make():
        box["s"] = ConnectionFormScreen(load_config().find("work"))
        return box["s"]

    app = Host(make)
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        await asked.wait()
        await pilot.press("ctrl+t")
        await pilot.pause()
        form._initial = form._snapshot()
        await pilot.press("escape")
        await until(lambda: not form.is_attached, "gone")
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_form_fetch_models_after_escape(monkeypatch) -> None:
    from craft_tui.providers import discovery

    box = {}
    asked = asyncio.Event()

    async def slow_discover(connection, key):
        asked.set()
        await until(lambda: not box["s"].query("#default-model"), "field removed")

        class F:
            has_model_list = True
            models = [type("M", (), {"id": "a"})()]

        return F()

    monkeypatch.setattr(discovery, "discover_models", slow_discover)

    def make():
        box["s"] = ConnectionFormScreen()
        return box["s"]

    app = Host(make)
    async with app.run_test(size=(100, 40)) as pilot:
        form = app.screen
        form.query_one("#preset", Select).value = "custom-openai"
        await pilot.pause()
        form.query_one("#name", Input).value = "Example"
        form.query_one("#base-url", Input).value = "https://llm.example.com/v1"
        form.query_one("#key-source", Select).value = "none"
        await pilot.pause()
        form._initial = form._snapshot()
        await pilot.press("ctrl+l")
        await asked.wait()
        await pilot.press("escape")
        await until(lambda: not form.is_attached, "gone")
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_history_search_after_escape() -> None:
    from craft_tui.ui.screens.history import HistoryScreen

    box = {}
    started = threading.Event()

    class Store:
        def list_conversations(self, **kw):
            if kw.get("title"):
                started.set()
                deadline = time.monotonic() + 10
                while box["s"].query(OptionList) and time.monotonic() < deadline:
                    time.sleep(0.0005)
            return []

        def conversation_figures(self, ids):
            return {}

        def search(self, query, limit):
            from craft_tui.chat.history import SearchResults

            return (
                SearchResults([], None) if False else type("R", (), {"hits": [], "notice": None})()
            )

    def make():
        box["s"] = HistoryScreen(Store())
        return box["s"]

    app = Host(make)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        box["s"].query_one("#history-search", Input).value = "pengu"
        await until(started.is_set, "search started")
        await pilot.press("escape")
        await until(lambda: not box["s"].is_attached, "gone")
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_attach_escape_while_reading(monkeypatch, tmp_path) -> None:
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Static

    from craft_tui.chat import attachments as att
    from craft_tui.ui.screens.attach_file import AttachFileScreen

    started = threading.Event()
    release = threading.Event()
    real = att.load_attachment

    def slow(*a, **k):
        started.set()
        release.wait(3)
        return real(*a, **k)

    monkeypatch.setattr(att, "load_attachment", slow)
    f = tmp_path / "a.txt"
    f.write_text("hello")

    class Base(Screen):
        def compose(self):
            yield Static("base", id="base")

    class H(App):
        def __init__(self):
            super().__init__()
            self.results = []

        def on_mount(self):
            self.push_screen(Base())
            self.push_screen(AttachFileScreen(None, base=tmp_path), self.results.append)

    app = H()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        attach = app.screen
        attach.query_one("#attach-path", Input).value = str(f)
        field = attach.query_one("#attach-path", Input)
        field.post_message(Input.Submitted(field, field.value))
        await until(started.is_set, "reading")
        attach.action_cancel()  # what the Escape binding runs
        await until(lambda: app.results == [None], "the cancel answered")
        release.set()  # the file is read after the cancel
        await until(lambda: not attach.is_attached, "gone")
        await pilot.pause()
        # The chat screen below is still there: the late read closed nothing else.
        assert isinstance(app.screen, Base) and app.results == [None]
        assert app.is_running and app.return_code is None
