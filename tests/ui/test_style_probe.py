"""An answer loaded from the history is drawn as lines without mounting its Markdown widgets
(`style_probe.py`); what a person sees must be, cell for cell and style for style, what the
widgets would show, in both themes, at any width, and the real widgets must come back whenever
the lines cannot be right (the mouse over them, a tinted message, a code line that scrolls)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from functools import partial

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock

from craft_tui.ui.textual_private import render_offscreen
from craft_tui.ui.widgets.answer_body import AnswerBody
from craft_tui.ui.widgets.frozen_segment import DrawnSegment
from craft_tui.ui.widgets.messages import AssistantMessageView
from craft_tui.ui.widgets.style_probe import StyleProbe
from craft_tui.ui.widgets.transcript import OPEN_BATCH, Transcript
from tests.ui.chat_helpers import transcript_at_rest
from tests.ui.harness import Entry, WidgetHarness
from tests.ui.test_answer_body import screen_lines
from tests.ui.test_markdown_lines import DOCUMENTS, FENCE, cells, screen_cells
from tests.waiting import until

TABLES = {"table", "long cell"}
DRAWABLE = {name: text for name, text in DOCUMENTS.items() if name not in TABLES}
ANSWER = (
    "Here is a **short** answer with `inline code` and a [link](https://example.com/x):\n\n"
    "- first point, explained in a sentence or two that wraps at narrow widths\n"
    "- second point\n  1. nested\n\n"
    f"{FENCE}python\ndef add(a, b):\n    return a + b\n{FENCE}\n\n"
    "> quoted\n\n## A heading\n\nThat should help."
)


class ProbeApp(App[None]):
    """An answer body beside a style probe, as the transcript keeps them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.probe = StyleProbe()

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield AnswerBody(self.text)
            yield self.probe


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("width", [40, 100])
async def test_blocks_never_mounted_are_drawn_as_textual_draws_them(theme: str, width: int) -> None:
    for name, text in DRAWABLE.items():
        app = ProbeApp(text)
        async with app.run_test(size=(width + 2, 120)) as pilot:
            app.theme = theme
            await app.probe.build()
            await pilot.pause()
            segment = app.query_one(AnswerBody).segments[0]
            assert isinstance(segment, Markdown)
            await until(partial(_built, segment), "built")
            await pilot.pause()
            expected = render_offscreen(segment)
            assert expected is not None
            tree = app.probe.unmounted_tree(text)
            assert tree is not None, f"{name}: a shape the probe should hold"
            drawn = app.probe.draw(tree, segment.size.width)
            assert drawn is not None, f"{name}: refused"
            assert cells(drawn[0]) == cells(expected), f"{name} at {width} in {theme}"
            assert not any(block.is_mounted for block in _blocks(tree))


def _built(markdown: Markdown) -> bool:
    return bool(markdown.children) and markdown.size.width > 0


def _blocks(tree: object) -> list[MarkdownBlock]:
    found: list[MarkdownBlock] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        widget = getattr(node, "widget", None)
        if isinstance(widget, MarkdownBlock):
            found.append(widget)
        stack.extend(getattr(node, "children", []))
    return found[1:] if found and isinstance(found[0], Markdown) else found


@pytest.mark.parametrize(
    "text",
    [
        DOCUMENTS["table"],  # a table: its cells are laid out by Textual's grid, mounted
        "- a\n  - b\n    - c\n      - d\n        - e\n          - f\n",  # deeper than the probe
    ],
)
async def test_a_shape_the_probe_does_not_hold_is_refused(text: str) -> None:
    app = ProbeApp("")
    async with app.run_test(size=(80, 40)) as pilot:
        await app.probe.build()
        await pilot.pause()
        assert app.probe.unmounted_tree(text) is None


@contextlib.asynccontextmanager
async def conversation(
    answer: str, *, loaded_as_lines: bool, size: tuple[int, int] = (80, 50)
) -> AsyncIterator[tuple[WidgetHarness, Pilot[None], AssistantMessageView]]:
    """The chat widgets showing a conversation that ends with a question and `answer`: opened
    from the history (`show`, answers drawn as lines: it is longer than the first window), or
    added one by one (`add`: no probe, widgets mounted)."""
    app = WidgetHarness()
    earlier = [
        Entry(f"e{i}", "user" if i % 2 == 0 else "assistant", f"Earlier message {i}.")
        for i in range(OPEN_BATCH)
    ]
    entries = [*earlier, Entry("q1", "user", "What is it?"), Entry("a1", "assistant", answer)]
    async with app.run_test(size=size) as pilot:
        transcript = app.query_one(Transcript)
        if loaded_as_lines:
            await transcript.show(entries)
        else:
            for entry in entries:
                await transcript.add(entry)
        await transcript_at_rest(pilot, transcript)
        view = transcript.views()[-1]
        assert isinstance(view, AssistantMessageView)
        body = view.query_one(AnswerBody)
        await until(lambda: _settled(body), "the answer drawn")
        await transcript_at_rest(pilot, transcript)
        yield app, pilot, view


def _settled(body: AnswerBody) -> bool:
    segment = body.segments[0]
    if isinstance(segment, Markdown):
        return bool(segment.children)
    return segment.size.height > 0


def drawn_segment(view: AssistantMessageView) -> DrawnSegment | None:
    segment = view.query_one(AnswerBody).segments[0]
    return segment if isinstance(segment, DrawnSegment) else None


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_an_opened_conversation_looks_exactly_as_with_the_widgets(theme: str) -> None:
    screens = []
    for as_lines in (True, False):
        async with conversation(ANSWER, loaded_as_lines=as_lines) as (app, pilot, view):
            app.theme = theme
            await transcript_at_rest(pilot, app.query_one(Transcript))
            assert (drawn_segment(view) is not None) == as_lines
            if as_lines:
                assert not view.query(MarkdownBlock)  # nothing of the answer is mounted
            screens.append(screen_cells(app))
    assert "def add(a, b):" in "".join(char for row in screens[0] for char, _ in row)
    assert screens[0] == screens[1]


async def test_a_new_theme_and_a_new_width_redraw_the_lines_without_mounting() -> None:
    async with conversation(ANSWER, loaded_as_lines=True, size=(80, 50)) as (app, pilot, view):
        segment = drawn_segment(view)
        assert segment is not None
        app.theme = "textual-light"
        await pilot.resize_terminal(60, 50)
        await transcript_at_rest(pilot, app.query_one(Transcript))
        assert drawn_segment(view) is segment  # the same lines widget, drawn again
        assert segment.size.width == view.query_one(AnswerBody).size.width
        lines_screen = screen_cells(app)
    async with conversation(ANSWER, loaded_as_lines=False, size=(80, 50)) as (app, pilot, view):
        app.theme = "textual-light"
        await pilot.resize_terminal(60, 50)
        await transcript_at_rest(pilot, app.query_one(Transcript))
        assert lines_screen == screen_cells(app)


async def test_the_mouse_over_a_loaded_answer_brings_its_widgets_back_looking_the_same() -> None:
    async with conversation(ANSWER, loaded_as_lines=True) as (app, pilot, view):
        before = screen_lines(app)
        segment = drawn_segment(view)
        assert segment is not None
        await pilot.hover(segment, offset=(2, 1))
        await until(lambda: drawn_segment(view) is None, "the widgets back")
        body = view.query_one(AnswerBody)
        await until(lambda: _settled(body), "the widgets built")
        await transcript_at_rest(pilot, app.query_one(Transcript))
        assert view.query(MarkdownBlock)
        assert screen_lines(app) == before


async def test_a_loaded_answer_focused_from_the_keyboard_is_tinted() -> None:
    """Lines carry the background they were drawn on; the focused message's tint must show."""
    tinted = []
    for as_lines in (True, False):
        async with conversation(ANSWER, loaded_as_lines=as_lines) as (app, pilot, view):
            view.focus()
            await until(lambda: view.has_focus, "focused")
            await until(lambda: drawn_segment(view) is None, "widgets for the tinted message")
            await until(lambda: _settled(view.query_one(AnswerBody)), "built")
            await transcript_at_rest(pilot, app.query_one(Transcript))
            tinted.append(screen_cells(app))
    assert tinted[0] == tinted[1]


async def test_a_code_line_wider_than_the_answer_shows_the_scrolling_widgets() -> None:
    wide = f"Look:\n\n{FENCE}\n{'x' * 150}\n{FENCE}\n"
    async with conversation(wide, loaded_as_lines=True) as (_app, _pilot, view):
        await until(lambda: drawn_segment(view) is None, "the fence's widgets")
        body = view.query_one(AnswerBody)
        await until(lambda: _settled(body), "built")
        fence = view.query_one("MarkdownFence")
        assert fence.max_scroll_x > 0  # it scrolls sideways, as a fence of widgets does


async def test_an_answer_with_a_table_is_mounted_as_widgets_at_once() -> None:
    async with conversation(DOCUMENTS["table"], loaded_as_lines=True) as (_app, _pilot, view):
        assert drawn_segment(view) is None
        assert view.query("MarkdownTable")


async def test_answers_scrolled_under_a_resting_pointer_stay_lines_until_it_moves() -> None:
    """Wheel-scrolling through a conversation with the pointer resting on it must not rebuild
    every answer that passes under the pointer (Textual tells a widget the pointer entered it
    when it scrolls there); a real move over one brings its widgets back."""
    app = WidgetHarness()
    entries = [
        Entry(f"m{i}", "user", f"question {i}")
        if i % 2 == 0
        else Entry(f"m{i}", "assistant", ANSWER)
        for i in range(12)
    ]
    async with app.run_test(size=(80, 30)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(entries)
        await transcript_at_rest(pilot, transcript)
        answers = [v for v in transcript.views() if isinstance(v, AssistantMessageView)]
        assert all(drawn_segment(view) is not None for view in answers)
        await pilot.hover(offset=(10, 12))  # a real move, then the pointer rests there
        await transcript_at_rest(pilot, transcript)
        moved_over = {view for view in answers if drawn_segment(view) is None}  # (at most one)
        assert len(moved_over) <= 1
        for y in range(int(transcript.scroll_y), -1, -3):  # the wheel, three rows a notch
            transcript.scroll_to(y=y, animate=False, immediate=True)
            await pilot.pause()
        await transcript_at_rest(pilot, transcript)
        still = [
            v
            for v in transcript.views()
            if isinstance(v, AssistantMessageView) and v not in moved_over
        ]
        assert len(still) >= 3
        assert all(drawn_segment(view) is not None for view in still)  # none rebuilt
        under = next(
            (view for view in still if _lines_at(view, 12)), None
        )  # the answer whose lines are under the pointer now
        assert under is not None, "an answer's lines should be under the pointer"
        await pilot.hover(offset=(11, 12))  # the pointer moves over it
        await until(lambda: drawn_segment(under) is None, "its widgets back")


def _lines_at(view: AssistantMessageView, row: int) -> bool:
    segment = drawn_segment(view)
    return segment is not None and segment.region.y <= row < segment.region.bottom


async def test_a_short_conversation_opens_with_widgets_and_no_probe() -> None:
    """Nothing to page through: building the probe would cost more than it saves."""
    app = WidgetHarness()
    entries = [Entry("q1", "user", "What is it?"), Entry("a1", "assistant", ANSWER)]
    async with app.run_test(size=(80, 40)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(entries)
        await transcript_at_rest(pilot, transcript)
        view = transcript.views()[-1]
        assert isinstance(view, AssistantMessageView)
        assert transcript.style_probe is None
        assert drawn_segment(view) is None
