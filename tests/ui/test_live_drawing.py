"""Once a style probe is built, a streaming answer's segments are drawn from blocks that are never
mounted (`live_drawing.py`). A person must not be able to tell: every cell and style on screen
is what the same text loaded whole shows, while it streams, after a resize or a new theme, and
after the end; a block the probe cannot draw (a table) is shown by real widgets and drawing
resumes after it."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Markdown

from craft_tui.ui.widgets.answer_body import PROBE_WORTH_CHARS, AnswerBody
from craft_tui.ui.widgets.frozen_segment import DrawnSegment, FrozenSegment
from craft_tui.ui.widgets.messages import AssistantMessageView
from craft_tui.ui.widgets.style_probe import StyleProbe
from craft_tui.ui.widgets.transcript import Transcript
from tests.ui.harness import Entry, WidgetHarness
from tests.ui.test_answer_body import drawn
from tests.ui.test_markdown_lines import DOCUMENTS, screen_cells, whole_cells
from tests.waiting import until

# Every shape the probe holds, over many top-level blocks (several segments); the loose list
# comes early, so that it is in a closed segment (streaming splits it, closing mends it).
DRAWABLE = "\n".join(
    DOCUMENTS[name]
    for name in ("loose", "inline", "headings", "lists", "nested", "quote", "rule", "code")
)
TABLE = DOCUMENTS["table"]


class ProbeColumn(VerticalScroll):
    """A scrolling column with one answer that keeps a style probe, as the transcript does."""

    def __init__(self, body: AnswerBody) -> None:
        super().__init__()
        self.body = body
        self.style_probe = StyleProbe()

    def compose(self) -> ComposeResult:
        yield self.body
        yield self.style_probe


class ProbeBodyApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.body = AnswerBody("")
        self.column = ProbeColumn(self.body)

    def compose(self) -> ComposeResult:
        yield self.column


@contextlib.asynccontextmanager
async def streaming(
    width: int, height: int = 60
) -> AsyncIterator[tuple[ProbeBodyApp, Pilot[None]]]:
    app = ProbeBodyApp()
    async with app.run_test(size=(width, height)) as pilot:
        await app.column.style_probe.build()
        await pilot.pause()
        yield app, pilot


async def stream(pilot: Pilot[None], body: AnswerBody, text: str, seed: int = 3) -> None:
    """`text` in pieces of 1 to 60 characters, each written before the next (as the message
    view hands them over), with the screen updated now and then."""
    pieces = random.Random(seed)
    index = 0
    while index < len(text):
        size = pieces.randint(1, 60)
        await body.append(text[index : index + size])
        index += size
        if pieces.random() < 0.2:
            await pilot.pause()


def mounted_markdown(body: AnswerBody) -> list[Markdown]:
    return list(body.query(Markdown))


async def test_a_streamed_answer_is_drawn_without_mounting_and_looks_loaded_whole() -> None:
    expected = await whole_cells(DRAWABLE, 72)
    async with streaming(72) as (app, pilot):
        body = app.body
        await stream(pilot, body, DRAWABLE)
        await drawn(pilot, body)
        assert len(body.segments) > 2  # really split into segments...
        assert all(isinstance(s, DrawnSegment) for s in body.segments)  # ...each drawn
        assert mounted_markdown(body) == []  # no block of it was ever mounted
        assert body.source == DRAWABLE
        assert screen_cells(app) == expected
        await body.finish()
        await drawn(pilot, body)
        assert screen_cells(app) == expected
        # The mouse over the last segment: its real widgets (selection), looking the same.
        last = body.segments[-1]
        await pilot.hover(offset=(3, last.region.y))
        await until(lambda: isinstance(body.segments[-1], Markdown), "the widgets back")
        await drawn(pilot, body)
        assert screen_cells(app) == expected


async def test_a_table_is_shown_by_real_widgets_and_drawing_resumes_after_it() -> None:
    before = "\n".join(DOCUMENTS[name] for name in ("inline", "quote", "rule"))
    after = "\n".join(DOCUMENTS[name] for name in ("headings", "lists", "code"))
    text = f"{before}\n{TABLE}\n{after}"
    expected = await whole_cells(text, 80)
    async with streaming(80) as (app, pilot):
        body = app.body
        await stream(pilot, body, text, seed=5)
        await drawn(pilot, body)
        segments = body.segments
        table = [s for s in segments if "| name | value |" in s.source]
        assert len(table) == 1 and not isinstance(table[0], DrawnSegment)  # real widgets...
        assert isinstance(table[0], FrozenSegment | Markdown)
        assert table[0].source.lstrip().startswith("| name")  # ...for the table on its own
        index = segments.index(table[0])
        assert isinstance(segments[index - 1], DrawnSegment)  # drawn before it
        assert isinstance(segments[-1], DrawnSegment)  # and again after it
        assert body.source == text
        assert screen_cells(app) == expected
        await body.finish()
        await drawn(pilot, body)
        assert screen_cells(app) == expected


async def test_a_resize_and_a_new_theme_while_streaming_look_like_the_loaded_answer() -> None:
    half = len(DRAWABLE) // 2
    async with streaming(96) as (app, pilot):
        body = app.body
        await stream(pilot, body, DRAWABLE[:half])
        await pilot.resize_terminal(52, 60)
        await stream(pilot, body, DRAWABLE[half:])
        await drawn(pilot, body)
        assert all(isinstance(s, DrawnSegment) for s in body.segments)  # redrawn, not mounted
        assert screen_cells(app) == await whole_cells(DRAWABLE, 52)
        app.theme = "textual-light"
        await drawn(pilot, body)
        assert screen_cells(app) == await whole_cells(DRAWABLE, 52, theme="textual-light")


async def test_a_long_first_answer_has_the_probe_built_and_its_later_segments_drawn() -> None:
    """A new conversation has no probe (nothing was loaded): an answer long enough to be worth
    it asks for one, and its segments after that are drawn without mounting."""
    app = WidgetHarness()
    async with app.run_test(size=(80, 60)) as pilot:
        transcript = app.query_one(Transcript)
        assert transcript.style_probe is None
        await transcript.add(Entry("q1", "user", "Tell me everything."))
        view = await transcript.add(Entry("a1", "assistant", ""))
        assert isinstance(view, AssistantMessageView)
        view.begin_stream()
        body = view.query_one(AnswerBody)
        text = DRAWABLE * (PROBE_WORTH_CHARS // len(DRAWABLE) + 2)
        await stream(pilot, body, text[: PROBE_WORTH_CHARS // 2])
        await drawn(pilot, body)
        assert transcript.style_probe is None  # not worth it for a short answer
        await stream(pilot, body, text[PROBE_WORTH_CHARS // 2 :])
        await drawn(pilot, body)
        probe = transcript.style_probe
        assert probe is not None and probe.ready
        assert isinstance(body.segments[-1], DrawnSegment)
        assert isinstance(body.segments[0], FrozenSegment | Markdown)  # before: mounted path
        assert not isinstance(body.segments[0], DrawnSegment)
        assert body.source == text


async def test_a_loose_list_split_while_streaming_is_whole_once_its_segment_closes() -> None:
    """`1. first`, a blank line and `2` is a list and a paragraph until `.` arrives; like
    Textual's own append, streaming keeps the first list as it was; closing mends it."""
    pieces = ["1. first\n\n2", ". second\n\n", "   with a second paragraph\n\n"]
    rest = "\n".join(DOCUMENTS[name] for name in ("inline", "headings", "quote"))
    text = "".join(pieces) + rest
    expected = await whole_cells(text, 72)
    async with streaming(72) as (app, pilot):
        body = app.body
        for piece in pieces:
            await body.append(piece)
            await pilot.pause()
        await stream(pilot, body, rest)
        await drawn(pilot, body)
        assert len(body.segments) > 1 and isinstance(body.segments[0], DrawnSegment)
        assert screen_cells(app) == expected
