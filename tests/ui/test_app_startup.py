"""The app started from the config file as the command line starts it: painted from the file's
preview, validated right after the first frame, refused (with its message) when invalid."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.pilot import Pilot

from craft_tui.chat.history import HistoryStore
from craft_tui.config import paths
from craft_tui.config.source import read_config_source
from craft_tui.ui.app import CraftApp
from tests.ui.chat_helpers import last_answer, make_app, views, wait_until

GOOD = """\
[settings]
theme = "nord"

[[connections]]
slug = "local"
name = "Local"
protocol = "openai"
base_url = "http://127.0.0.1:9/v1"
models = ["m1", "m2"]

[connections.auth]
type = "none"
"""


def write_config(text: str) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


async def chat_loaded(pilot: Pilot[Any], app: CraftApp) -> Any:
    await wait_until(pilot, lambda: app.chat is not None and app.chat.loaded)
    return app.chat


async def test_a_valid_file_opens_the_chat_with_its_connection_model_and_theme() -> None:
    write_config(GOOD)
    app = CraftApp(config_source=read_config_source(), new_conversation=True)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await chat_loaded(pilot, app)
        assert app.config is not None and app.config.connections[0].slug == "local"
        assert app.workspace.config is app.config  # one copy, in the workspace
        assert app.theme == "nord"
        assert str(chat.prompt.placeholder).startswith("Message m1")
        assert app.screen is chat  # no first-run connections screen
        assert app.config_error is None


async def test_a_file_refused_after_the_first_frame_ends_the_app_with_its_message() -> None:
    broken = GOOD.replace('models = ["m1", "m2"]', 'models = ["m1", "m2"]\ncolour = 1')
    write_config(broken)
    app = CraftApp(config_source=read_config_source())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.config_error is not None)
    assert app.return_code == 1
    message = app.config_error or ""
    assert str(paths.config_file()) in message and "colour" in message and "line 10" in message
    assert "Traceback" not in message
    assert paths.config_file().read_text() == broken  # never written over
    assert app.chat is None or app.chat.session is None  # no conversation was opened


async def test_a_first_run_without_a_file_opens_the_connections_screen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from craft_tui.ui.screens import connections as connections_module

    async def nothing_found() -> list[Any]:  # no probing of this machine's ports and keys
        return []

    monkeypatch.setattr(connections_module, "detect", nothing_found)
    app = CraftApp(config_source=read_config_source())
    async with app.run_test(size=(100, 30)) as pilot:

        def empty_list_shown() -> bool:
            screen = app.screen
            if (
                not isinstance(screen, connections_module.ConnectionsScreen)
                or not screen.is_mounted
            ):
                return False
            return "No connections yet" in str(screen.query_one("#connections-empty").render())

        await wait_until(pilot, empty_list_shown)
        assert app.config is not None and app.config.connections == []
        assert not paths.config_file().exists()


class GatedStore:
    """The real history store, except that opening a conversation waits for `gate`: the test
    decides when the conversation has finished opening."""

    def __init__(self, store: Any, gate: threading.Event) -> None:
        self._store, self._gate = store, gate

    def last_conversation_id(self) -> Any:
        assert self._gate.wait(30), "the test never opened the gate"
        return self._store.last_conversation_id()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def test_enter_pressed_while_the_conversation_opens_sends_once_it_is_open(
    fake_server: Any,
) -> None:
    server = fake_server(reply="Right away.")
    gate = threading.Event()
    app = make_app(server, new=True, store=GatedStore(HistoryStore.open(), gate))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            chat = app.chat
            assert chat is not None and not chat.loaded
            chat.prompt.focus()
            chat.prompt.insert("typed at once")
            await pilot.press("enter")
            await pilot.pause()
            assert chat.prompt.text == "typed at once"  # kept while the conversation opens
            assert server.requests == []
            gate.set()
            await wait_until(pilot, lambda: chat.loaded and not chat.busy and bool(views(chat)))
            await wait_until(pilot, lambda: "Right away." in last_answer(chat).text)
            assert server.requests[-1].json["messages"][-1]["content"] == "typed at once"
            assert chat.prompt.text == ""
    finally:
        gate.set()
