"""Tab in the attach key's path field (issue 19): when Tab extends the path but several files
still match, the field shows the longer path and the matches stay listed under it (the field's
own Changed event for the completed value does not clear them); typing then clears them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Static

from craft_tui.ui.screens.attach_file import AttachFileScreen
from tests.ui.chat_helpers import make_app, ready, wait_until


async def test_tab_extends_the_path_and_keeps_the_matches_listed(
    fake_server: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for name in ("note-a.txt", "note-b.txt"):
        (folder / name).write_text("a note\n", encoding="utf-8")
    app = make_app(fake_server())
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, AttachFileScreen))
        screen = app.screen
        assert isinstance(screen, AttachFileScreen)
        screen.field.value = f"{folder}/no"
        await pilot.pause()
        await pilot.press("tab")
        await wait_until(pilot, lambda: screen.field.value == f"{folder}/note-")
        matches = screen.query_one("#attach-matches", Static)
        await pilot.pause()  # the field's Changed for the completed value, and its bubbling
        await pilot.pause()
        assert str(matches.render()) == "note-a.txt  note-b.txt"

        await pilot.press("a")  # the user's own typing clears the list
        await wait_until(pilot, lambda: str(matches.render()) == "")
        assert screen.field.value == f"{folder}/note-a"
