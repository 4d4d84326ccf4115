"""SVG snapshots of the chat screen in each shipped theme, and under NO_COLOR (textual-dark is
shown as its stand-in craft-high-contrast, in greys; craft-light is kept, in greys), at 80×24: an
answer with code, a table and a list, so the colours the chat uses are on screen.
Deterministic the same way as `test_snapshots.py` (frozen clock, pinned speed figures)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from craft_tui.config.themes import SHIPPED_DIR
from craft_tui.ui.widgets.answer_body import AnswerBody
from craft_tui.ui.widgets.frozen_segment import FrozenSegment
from tests.ui.chat_helpers import answered, make_app, screen_at_rest, send, wait_until
from tests.ui.test_snapshots import RICH_ANSWER, pinned_speed  # noqa: F401 (an autouse fixture)

SHIPPED = sorted(path.stem for path in SHIPPED_DIR.glob("*.toml"))


@pytest.fixture(autouse=True)
def colour_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own NO_COLOR must not change what these tests see (they set it themselves)."""
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.mark.parametrize("theme", SHIPPED)
def test_chat_in_each_shipped_theme(snap_compare, fake_server, theme: str) -> None:
    app = make_app(fake_server(reply=RICH_ANSWER, chunk_size=9), settings={"theme": theme})

    async def run_before(pilot: Pilot[Any]) -> None:
        assert pilot.app.theme == theme
        chat = await send(pilot, "How do I sort a list by length?")
        await answered(pilot, chat)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("theme", ["textual-dark", "craft-light"])
def test_chat_under_no_color(
    snap_compare, fake_server, monkeypatch: pytest.MonkeyPatch, theme: str
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(fake_server(reply=RICH_ANSWER, chunk_size=9), settings={"theme": theme})

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await send(pilot, "How do I sort a list by length?")
        await answered(pilot, chat)
        pilot.app.clear_notifications()  # textual-dark's stand-in is told in a timed toast
        # The finished answer shows either the lines it streamed as or, when its first write came
        # before the first layout, its widgets: the same cells and colours, but segments split
        # differently in the SVG. The pointer moved over it makes it widgets either way.
        body = chat.transcript.views()[-1].query_one(AnswerBody)
        await pilot.hover(offset=(3, 0))  # its top row on screen (a blank line in it)
        await wait_until(
            pilot, lambda: not any(isinstance(s, FrozenSegment) for s in body.segments)
        )
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
