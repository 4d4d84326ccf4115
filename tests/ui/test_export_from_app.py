""" "Export conversation…" in the command palette: the open conversation, after an answer,
written where the user's downloads go, as the Markdown they saw."""

from __future__ import annotations

import stat
from pathlib import Path

import platformdirs
import pytest
from textual.widgets import Input

from craft_tui.ui.screens.export import ExportScreen
from tests.ui.chat_helpers import answered, make_app, send, wait_until


async def test_the_palette_exports_the_open_conversation(
    fake_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    monkeypatch.setattr(platformdirs, "user_downloads_dir", lambda: str(downloads))
    app = make_app(fake_server(reply="Glaciers creep."))
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "How do glaciers move?")
        await answered(pilot, chat)
        [command] = [
            c for c in app.get_system_commands(app.screen) if c.title == "Export conversation…"
        ]
        command.callback()
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
        target = downloads / "How do glaciers move.md"
        await wait_until(pilot, lambda: [i.value for i in app.screen.query(Input)] == [str(target)])
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen))
    text = target.read_text()
    assert text.startswith("# How do glaciers move?\n")
    assert "## Assistant · " in text and "Glaciers creep." in text
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
