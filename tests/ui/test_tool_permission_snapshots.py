"""SVG snapshots of the tool permission question (ui/screens/tool_permission.py) over the real
chat screen, at 80×24 and 60×20: the question with arguments long enough to scroll, and the same
question after `n`, the reason field in the buttons' place. The arguments hold markup and
terminal sequences, shown as text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from craft_tui.ui.screens.tool_permission import ToolPermissionScreen
from tests.ui.chat_helpers import make_app, ready, screen_at_rest, wait_until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((60, 20), id="60x20")]

ARGUMENTS = json.dumps(
    {
        "path": "notes/[bold]plan[/bold].md",
        "content": "# Plan\n\x1b]52;c;cm0gLXJmIH4=\x07 \x1b[31mred\x1b[0m\n"
        + "".join(f"- step {n}\n" for n in range(1, 13)),
        "mode": "overwrite",
        "backup": False,
    },
    indent=None,
)
DESCRIPTION = (
    "Write a text file under the workspace folder.\n"
    "Creates missing folders; overwrites an existing file.\n"
    "Returns the number of bytes written.\n"
    "Paths outside the workspace are refused."
)


async def asked(pilot: Pilot[Any]) -> ToolPermissionScreen:
    await ready(pilot)
    screen = ToolPermissionScreen(
        "write_file", ARGUMENTS, server="files", description=DESCRIPTION, arm_after=0
    )
    pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: pilot.app.screen is screen and screen.armed)
    return screen


@pytest.mark.parametrize("size", SIZES)
def test_tool_permission_question(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(), new=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await asked(pilot)
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_tool_permission_asking_for_a_reason(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(), new=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await asked(pilot)
        await pilot.press("n")
        reason = screen.query_one("#permission-reason", Input)
        await wait_until(pilot, lambda: reason.has_focus)
        await pilot.press(*"not that file")
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
