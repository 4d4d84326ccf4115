"""The export screen: the path starts as the title made a safe file name in the downloads
folder; Enter writes a 0600 Markdown file (or JSON for a .json name) and closes; an existing
file is replaced only after a second Enter; a failure is said in the screen, disarmed."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from textual.app import App
from textual.widgets import Input, Static

from craft_tui.chat.history import HistoryStore
from craft_tui.ui.screens.export import ExportScreen
from tests.ui.chat_helpers import wait_until


class Host(App[None]):
    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.pushed = screen
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.pushed, self.results.append)


@pytest.fixture
def downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    monkeypatch.setattr(platformdirs, "user_downloads_dir", lambda: str(folder))
    return folder


def conversation(tmp_path: Path, title: str) -> tuple[HistoryStore, str]:
    store = HistoryStore.open(tmp_path / "h.db")
    made = store.create_conversation(title=title, connection_slug="or", model="m1")
    q = store.add_message(made.id, parent_id=None, role="user", text="How do glaciers move?")
    store.add_message(made.id, parent_id=q.id, role="assistant", text="They creep.")
    return store, made.id


def error_text(screen: ExportScreen) -> str:
    return str(screen.query_one("#export-error", Static).render())


async def test_enter_writes_markdown_to_the_default_path(tmp_path, downloads) -> None:
    store, conv_id = conversation(tmp_path, "Ice: a/b talk?")
    screen = ExportScreen(conv_id, "Ice: a/b talk?", lambda: store)
    app = Host(screen)
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_until(pilot, lambda: bool(screen.query(Input)))
        field = screen.query_one(Input)
        await wait_until(pilot, lambda: bool(field.value))
        assert field.value == str(downloads / "Ice a b talk.md")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is not screen)
    target = downloads / "Ice a b talk.md"
    assert app.results == [target]
    assert target.read_text().startswith("# Ice: a/b talk?\n")
    assert "They creep." in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


async def test_a_json_name_gets_every_branch_and_an_existing_file_asks_first(
    tmp_path, downloads
) -> None:
    store, conv_id = conversation(tmp_path, "Ice")
    target = downloads / "keep.json"
    target.write_text("mine")
    screen = ExportScreen(conv_id, "Ice", lambda: store)
    app = Host(screen)
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_until(pilot, lambda: bool(screen.query(Input)))
        field = screen.query_one(Input)
        await wait_until(pilot, lambda: bool(field.value))
        field.value = "keep.json"  # relative: in the downloads folder
        await pilot.press("enter")
        await wait_until(pilot, lambda: "exists already" in error_text(screen))
        assert app.screen is screen and target.read_text() == "mine"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is not screen)
    document = json.loads(target.read_text())
    assert document["format"] == "craft-tui/1"
    assert len(document["conversations"][0]["messages"]) == 2


async def test_a_failure_is_said_disarmed_and_the_path_kept(tmp_path, downloads) -> None:
    store, conv_id = conversation(tmp_path, "\x1b]0;owned\x07")
    screen = ExportScreen(conv_id, "\x1b]0;owned\x07", lambda: store)
    app = Host(screen)
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_until(pilot, lambda: bool(screen.query(Input)))
        field = screen.query_one(Input)
        await wait_until(pilot, lambda: bool(field.value))
        assert field.value == str(downloads / "0 owned.md")  # no control character in a name
        bad = str(tmp_path / "missing\x1b[2J" / "x.md")
        field.value = bad
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Not exported" in error_text(screen))
        assert "\x1b" not in error_text(screen) and "␛[2J" in error_text(screen)
        assert app.screen is screen and field.value == bad
    assert app.results == []
