"""Importing conversations from the app: Ctrl+L on the history list opens a field for a path
(Tab completes it), Enter imports the file in a thread with the code `craft-tui import` runs, and
the list shows what came in. A ChatGPT export and an llm logs.db built here (the importer tests'
builders), our own JSON exported from the app and imported back, and every file that cannot be
imported: one sentence under the field, the path shown as text, the path kept, nothing added."""

from __future__ import annotations

import json
import os
import pathlib
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList, Static

from craft_tui.chat import history as history_module
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.export import ExportScreen
from craft_tui.ui.screens.history import HistoryScreen
from craft_tui.ui.screens.import_history import ImportHistoryScreen
from tests.chat.test_importers import chatgpt_export, llm_logs
from tests.ui.chat_helpers import (
    answered,
    make_app,
    ready,
    screen_at_rest,
    screen_text,
    send,
    views,
    wait_until,
)


def rows(app: CraftApp) -> list[str]:
    """The history list's rows, as text."""
    [history] = [s for s in app.screen_stack if isinstance(s, HistoryScreen)]
    listed = history.query_one(OptionList)
    return [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]


def titles(app: CraftApp) -> list[str]:
    return [row.split("  ")[0].strip() for row in rows(app)]


async def open_history(pilot: Pilot[Any], count: int) -> HistoryScreen:
    app = pilot.app
    await ready(pilot)
    await pilot.press("ctrl+b")
    await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    history = app.screen
    assert isinstance(history, HistoryScreen)
    options = history.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count == count)
    return history


async def open_import(pilot: Pilot[Any], count: int = 0) -> ImportHistoryScreen:
    await open_history(pilot, count)
    await pilot.press("ctrl+l")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ImportHistoryScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ImportHistoryScreen)
    return screen


async def import_ok(pilot: Pilot[Any], path: Path, rows_after: int) -> str:
    """Type `path`, press Enter; once the list shows `rows_after` rows, the toast it said."""
    app = pilot.app
    screen = app.screen
    assert isinstance(screen, ImportHistoryScreen)
    screen.field.value = str(path)
    seen = len(app._notifications)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    options = app.screen.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count == rows_after)
    await wait_until(pilot, lambda: len(app._notifications) > seen)
    return list(app._notifications)[-1].message


async def test_a_chatgpt_export_is_imported_listed_and_opens(
    fake_server: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    export = folder / "conversations.json"
    export.write_text(json.dumps(chatgpt_export()))
    (folder / "chat.html").write_text("<html></html>")  # ChatGPT's zip holds this one too
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_import(pilot)
        screen.field.value = f"{folder}/conv"
        await pilot.press("tab")
        assert screen.field.value == str(export)  # Tab completed the one match
        said = await import_ok(pilot, export, 1)
        assert said == f"Imported 1 conversation (5 messages) from {export} (ChatGPT)."
        assert titles(app) == ["Glaciers"]
        assert "Ctrl+L imports" in str(app.screen.query_one("#history-help", Label).content)

        await pilot.press("ctrl+l")  # the same export again: nothing twice, as the CLI
        await wait_until(pilot, lambda: isinstance(app.screen, ImportHistoryScreen))
        said = await import_ok(pilot, export, 1)
        assert said == (
            f"Imported 0 conversations (0 messages) from {export} (ChatGPT). "
            "1 was imported before and left as they are."
        )
        assert titles(app) == ["Glaciers"]

        await pilot.press("enter")  # open it: the branch the user last looked at in ChatGPT
        chat = await ready(pilot)
        await wait_until(pilot, lambda: [v.text for v in views(chat)] == [
            "Name a glacier.", "Aletsch."
        ])  # fmt: skip


async def test_an_llm_logs_db_is_imported_and_listed(fake_server: Any, tmp_path: Path) -> None:
    logs = llm_logs(tmp_path / "logs.db")
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_import(pilot)
        said = await import_ok(pilot, logs, 2)
        assert said == f"Imported 2 conversations (6 messages) from {logs} (llm)."
        assert "Rust help" in titles(app)
        store = app.workspace.history()
        assert sorted(c.title for c in store.list_conversations()) == sorted(titles(app))


async def test_our_json_exported_from_the_app_comes_back_as_a_copy(
    fake_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    monkeypatch.setattr(platformdirs, "user_downloads_dir", lambda: str(downloads))
    app = make_app(fake_server(reply="Glaciers creep."))
    target = downloads / "backup.json"
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "How do glaciers move?")
        await answered(pilot, chat)
        [command] = [
            c for c in app.get_system_commands(app.screen) if c.title == "Export conversation…"
        ]
        command.callback()
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
        export_screen = app.screen
        await wait_until(pilot, lambda: bool(export_screen.query(Input)))
        field = export_screen.query_one(Input)
        await wait_until(pilot, lambda: bool(field.value))  # its default filled in
        field.value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen))
        assert target.is_file()

        await open_import(pilot, 1)
        said = await import_ok(pilot, target, 2)
        # as `craft-tui import` does: our own JSON again is a copy (new ids), never merged
        assert said == f"Imported 1 conversation (2 messages) from {target} (craft-tui)."
        assert titles(app) == ["How do glaciers move?"] * 2
        store = app.workspace.history()
        first, second = store.list_conversations()
        assert first.id != second.id
        texts = [[m.text for m in store.load_conversation(c.id)[1]] for c in (first, second)]
        assert texts == [["How do glaciers move?", "Glaciers creep."]] * 2


HOSTILE = "in[red]x\x1b[31m"
"""A name part of the path: markup and an escape sequence, to be shown as text."""


def _unreadable(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file its reader may not read. Root reads anything, so under root the read raises the
    error the OS gives everyone else (the test runs under both)."""
    path.write_text("[]")
    path.chmod(0)
    if os.access(path, os.R_OK):
        real = pathlib.Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)


def _write(content: bytes) -> Any:
    def make(path: Path, _monkeypatch: pytest.MonkeyPatch) -> None:
        path.write_bytes(content)

    return make


def _folder(path: Path, _monkeypatch: pytest.MonkeyPatch) -> None:
    path.mkdir()


def _nothing(_path: Path, _monkeypatch: pytest.MonkeyPatch) -> None:
    pass


@pytest.mark.parametrize(
    ("make", "sentence"),
    [
        pytest.param(
            _nothing, "{path} is not a file: there is nothing at that path.", id="missing"
        ),
        pytest.param(_folder, "{path} is not a file: it is a folder.", id="folder"),
        pytest.param(
            _write(b'{"broken": '), "{path} is not valid JSON (line 1, column 12).", id="broken"
        ),
        pytest.param(
            _write(b'{"some": "thing"}'),
            "{path} is neither a craft-tui export, a ChatGPT conversations.json nor an llm "
            "logs.db.",
            id="unknown",
        ),
        pytest.param(_unreadable, "{path} could not be read: Permission denied.", id="permission"),
    ],
)
async def test_a_file_that_cannot_be_imported_is_one_sentence_and_adds_nothing(
    fake_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Any, sentence: str
) -> None:
    path = tmp_path / f"{HOSTILE}.json"
    make(path, monkeypatch)
    app = make_app(fake_server(reply="Kept."))
    async with app.run_test(size=(120, 30)) as pilot:
        chat = await send(pilot, "one that was here")
        await answered(pilot, chat)
        screen = await open_import(pilot, 1)
        screen.field.value = str(path)
        await pilot.press("enter")
        shown_path = str(path).replace("\x1b", "␛")  # the escape as a visible stand-in
        expected = sentence.format(path=shown_path)
        await wait_until(pilot, lambda: screen.error == expected)
        assert app.screen is screen and not screen.importing
        assert screen.field.value == str(path)  # kept, to be fixed
        assert screen.field.has_focus
        # Under the field, the path is text: its markup drawn as typed, the escape a stand-in.
        assert "in[red]x␛[31m.json" in screen_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        assert titles(app) == ["one that was here"]
        assert len(app.workspace.history().list_conversations()) == 1


async def test_the_import_runs_off_the_ui_loop(
    fake_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the file is read the app keeps drawing and Esc waits for the import to finish."""
    import threading

    from craft_tui.chat.importers import reading

    release = threading.Event()
    threads: list[str] = []
    real = reading.read_any

    def slow_read(file: Path, source: Any = None) -> Any:
        threads.append(threading.current_thread().name)
        assert release.wait(10)
        return real(file, source)

    monkeypatch.setattr(reading, "read_any", slow_read)
    logs = llm_logs(tmp_path / "logs.db")
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_import(pilot)
        screen.field.value = str(logs)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(threads))
        assert threads != [threading.main_thread().name]
        await pilot.press("escape")  # the UI answers while the import runs, and waits for it
        await wait_until(pilot, lambda: "being stored" in screen_text(app))
        assert app.screen is screen
        release.set()
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await wait_until(pilot, lambda: len(rows(app)) == 2)


@pytest.fixture
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 30, 9, 41, tzinfo=UTC)
    monkeypatch.setattr(history_module, "utc_now", lambda: moment)


def test_import_screen_snapshot(
    snap_compare: Any,
    fake_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fixed_time: None,
) -> None:
    """80×24: the field with Tab's matches listed over the history list."""
    (tmp_path / "conversations.json").write_text(json.dumps(chatgpt_export()))
    (tmp_path / "conversations-2025.json").write_text("[]")
    (tmp_path / "logs.db").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    app = make_app(fake_server(), new=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        store = app.workspace.history()
        conversation = store.create_conversation(title="Sorting in Python")
        store.add_message(conversation.id, parent_id=None, role="user", text="Sorting in Python")
        screen = await open_import(pilot, 1)
        screen.field.value = "conv"
        await pilot.press("tab")
        await wait_until(pilot, lambda: screen.field.value == "conversations")
        matches = screen.query_one("#import-matches", Static)
        await pilot.pause()
        assert str(matches.render()) == "conversations-2025.json  conversations.json"
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
