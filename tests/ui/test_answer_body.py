"""A streamed answer is split into Markdown segments; the reader must never see the difference."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.pilot import Pilot

from craft_tui.ui.widgets.answer_body import AnswerBody, next_segment_start
from craft_tui.ui.widgets.frozen_segment import FrozenSegment
from craft_tui.ui.widgets.messages import AssistantMessageView
from craft_tui.ui.widgets.transcript import Transcript
from tests.ui.harness import Entry, WidgetHarness
from tests.waiting import HANG_GUARD, until

FENCE = "```"


def long_answer(sections: int = 6) -> str:
    """Every kind of top-level block, several times: headings, loose and tight lists, code fences
    with blank lines and heading-like lines inside, tables, quotes, rules."""
    parts: list[str] = []
    for n in range(sections):
        parts += [
            f"## Section {n}\n",
            f"Some **bold** and `code` text for section {n}, long enough to wrap on a narrow "
            "screen so that heights matter when segments are measured.\n",
            f"- item one\n- item two\n  continued\n- item {n}\n",
            f"{FENCE}python\ndef f{n}():\n\n    # not a heading\n\n    return {n}\n{FENCE}\n",
            "| name | value |\n|---|---|\n| a | 1 |\n| b | 2 |\n",
            "> a quote\n> over two lines\n",
            "1. first\n\n2. second (loose list)\n",
            "---\n",
        ]
    return "\n".join(parts)


class BodyApp(App[None]):
    def __init__(self, body: AnswerBody) -> None:
        super().__init__()
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield self.body


def screen_lines(app: App[None]) -> list[str]:
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


async def drawn(pilot: Pilot[None], body: AnswerBody, timeout: float = HANG_GUARD) -> None:
    """Wait until the body has stopped changing: no write in progress, and one more round of
    messages and layout (`pilot.pause()` ends with one) left its segments and the screen as they
    were. Freezing and thawing run after a refresh, one step per round, so the round that
    changes nothing is also the signal that a segment expected to stay frozen really stays."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    before: tuple[object, ...] | None = None
    while True:
        await pilot.pause()
        now = (body.busy, tuple(id(s) for s in body.segments), tuple(screen_lines(pilot.app)))
        if not body.busy and now == before:
            return
        if loop.time() > deadline:
            raise AssertionError("the answer never stopped changing")
        before = now


async def rendered(
    text: str, *, streamed: bool, seed: int = 0, width: int = 70
) -> tuple[list[str], int]:
    body = AnswerBody("" if streamed else text)
    app = BodyApp(body)
    async with app.run_test(size=(width, 700)) as pilot:
        if streamed:
            chunks = random.Random(seed)
            index = 0
            while index < len(text):
                size = chunks.randint(1, 40)
                await body.append(text[index : index + size])
                index += size
            await pilot.pause()
        await body.finish()
        await drawn(pilot, body)
        assert body.source == text
        return screen_lines(app), len(body.segments)


def test_a_new_segment_starts_only_where_a_new_top_level_block_starts() -> None:
    written = "".join(f"Paragraph {n}.\n\n" for n in range(6))
    assert next_segment_start(written, "Paragraph 6 goes on") == -1  # no new line: no new block
    split = next_segment_start(written, "more of 5.\n\n# Heading\n")
    assert split == len("more of 5.\n\n")
    assert next_segment_start("# One\n\nTwo.\n\n", "Three.\n\nFour\n", min_blocks=6) == -1


def test_no_segment_starts_inside_a_code_fence_list_or_table() -> None:
    written = "".join(f"Paragraph {n}.\n\n" for n in range(6)) + f"{FENCE}python\n"
    inside = "x = 1\n\n# comment\n\n- not a list\n"
    assert next_segment_start(written, inside) == -1
    closed = inside + f"{FENCE}\n\nAfter.\n"
    assert closed[next_segment_start(written, closed) :] == "After.\n"
    written = "".join(f"Paragraph {n}.\n\n" for n in range(6)) + "- a\n"
    assert next_segment_start(written, "\n- b (same loose list)\n") == -1
    many = "".join(f"Paragraph {n}.\n\n" for n in range(8)) + "1. a\n\n2"
    # `2` may still become item 2 of the list: the segment starts at the list instead.
    assert many[next_segment_start("", many) :] == "1. a\n\n2"
    written = "".join(f"Paragraph {n}.\n\n" for n in range(6)) + "| a | b |\n"
    assert next_segment_start(written, "|---|---|\n| 1 | 2 |\n") == -1


async def test_a_streamed_answer_looks_exactly_like_the_same_text_loaded_whole() -> None:
    text = long_answer()
    whole, _ = await rendered(text, streamed=False)
    for seed in range(2):
        streamed, segments = await rendered(text, streamed=True, seed=seed)
        assert segments > 3  # really split
        assert streamed == whole


async def test_while_streaming_the_finished_part_is_lines_and_comes_back_as_markdown() -> None:
    text = long_answer()
    whole, _ = await rendered(text, streamed=False)
    body = AnswerBody("")
    app = BodyApp(body)
    async with app.run_test(size=(70, 700)) as pilot:
        index = 0
        while index < len(text):
            await body.append(text[index : index + 40])
            index += 40
        await drawn(pilot, body)  # the finished segments have been frozen
        frozen = [s for s in body.segments if isinstance(s, FrozenSegment)]
        assert len(frozen) >= 3  # the finished part is a few widgets, not hundreds
        assert screen_lines(app) == whole  # and looks the same
        await body.finish()
        await drawn(pilot, body)
        # After the end nothing is rebuilt for lines that look the same...
        now = [s for s in body.segments if isinstance(s, FrozenSegment)]
        assert now[: len(frozen)] == frozen  # (and the last segment joined them as lines)
        assert screen_lines(app) == whole
        # ...until the mouse comes over a segment: real Markdown again (selection), same lines.
        await pilot.hover(offset=(5, frozen[0].region.y + 1))
        await until(lambda: not isinstance(body.segments[0], FrozenSegment), "the first thawed")
        await drawn(pilot, body)
        assert isinstance(body.segments[1], FrozenSegment)  # the mouse was not over it
        assert screen_lines(app) == whole


async def test_after_the_end_segments_thawed_below_a_frozen_one_keep_their_spacing() -> None:
    """Only what the mouse comes over thaws; the gap to a segment still frozen above must not
    grow."""
    text = long_answer()

    async def bottom_lines(streamed: bool) -> list[str]:
        body = AnswerBody("" if streamed else text)
        app = BodyApp(body)
        async with app.run_test(size=(70, 30)) as pilot:
            if streamed:
                for index in range(0, len(text), 40):
                    await body.append(text[index : index + 40])
                    app.query_one(VerticalScroll).scroll_end(animate=False)  # following
                    await pilot.pause()
                await body.finish()
                await pilot.pause()
            app.query_one(VerticalScroll).scroll_end(animate=False)
            await drawn(pilot, body)
            if streamed:
                last = len(body.segments) - 1
                bottom = min(body.segments[last].region.bottom, 30) - 1
                await pilot.hover(offset=(5, bottom))  # over its last lines: that segment thaws
                await until(lambda: not isinstance(body.segments[last], FrozenSegment), "thawed")
                await drawn(pilot, body)
                assert isinstance(body.segments[0], FrozenSegment)  # not under the mouse: lines
            return screen_lines(app)

    assert await bottom_lines(streamed=True) == await bottom_lines(streamed=False)


async def test_a_narrow_resize_while_streaming_keeps_segments_whole() -> None:
    text = long_answer(3)
    body = AnswerBody("")
    app = BodyApp(body)
    async with app.run_test(size=(90, 400)) as pilot:
        await body.append(text[: len(text) // 2])
        await pilot.pause()
        await pilot.resize_terminal(40, 400)
        await pilot.pause()
        await body.append(text[len(text) // 2 :])
        await drawn(pilot, body)
        lines = screen_lines(app)
        # Nothing is clipped: every heading and every code line is on screen, once.
        for n in range(3):
            assert sum(line.strip() == f"Section {n}" for line in lines) == 1
            assert sum(f"return {n}" in line for line in lines) == 1


@contextlib.asynccontextmanager
async def answer_view(
    text: str, streamed: bool, size: tuple[int, int]
) -> AsyncIterator[tuple[WidgetHarness, Pilot[None], AssistantMessageView]]:
    """The chat widgets with one answer: empty, about to stream `text`, or `text` loaded whole."""
    app = WidgetHarness()
    async with app.run_test(size=size) as pilot:
        transcript = app.query_one(Transcript)
        view = await transcript.add(Entry("a1", "assistant", "" if streamed else text))
        assert isinstance(view, AssistantMessageView)
        yield app, pilot, view


async def harness_lines(text: str, *, streamed: bool) -> list[str]:
    """The chat widgets showing `text` as an answer: streamed at full speed, or loaded whole."""
    async with answer_view(text, streamed, (80, 300)) as (app, pilot, view):
        if streamed:
            view.pacer.min_interval = 0.0  # write as often as possible: the most overlap
            view.begin_stream()
            chunks = random.Random(7)
            index = 0
            while index < len(text):
                size = chunks.randint(1, 30)
                view.add_text(text[index : index + size])
                index += size
                await asyncio.sleep(0.001)  # like a socket read: the loop runs on, writes too
            await view.end_stream("stop")  # often while a write is still in flight
            body = view.query_one(AnswerBody)
            assert body.source == text
            assert len(body.segments) > 1
        await drawn(pilot, app.query_one(AnswerBody))
        return screen_lines(app)


async def test_deltas_arriving_while_a_write_is_in_flight_are_written_in_order() -> None:
    """At full speed deltas keep coming while a write awaits its layout; the end of the stream can
    arrive then too. Writes must not overlap (that cut code fences mid-line) and nothing is lost."""
    text = long_answer(4)
    whole = await harness_lines(text, streamed=False)
    streamed = await harness_lines(text, streamed=True)
    assert sum("def f3():" in line for line in whole) == 1  # the whole answer is on screen
    assert streamed == whole


async def focused_cells(text: str, *, streamed: bool) -> list[list[tuple[str, object]]]:
    """Every cell (character and background) of the chat widgets showing `text` as an answer
    whose message has the keyboard focus: streamed and ended first, or loaded whole."""
    async with answer_view(text, streamed, (80, 60)) as (app, pilot, view):
        if streamed:
            view.pacer.min_interval = 0.0
            view.begin_stream()
            await pilot.pause()
            for index in range(0, len(text), 40):
                view.add_text(text[index : index + 40])
                await pilot.pause()  # written and laid out as it arrives
            await view.end_stream("stop")
        body = view.query_one(AnswerBody)
        await drawn(pilot, body)
        if streamed:
            assert any(isinstance(s, FrozenSegment) for s in body.segments)  # still lines
        view.focus()  # from the keyboard: the message is tinted, the mouse is nowhere near
        await until(lambda: view.has_focus, "the message focused")
        await drawn(pilot, body)
        strips = app.screen._compositor.render_strips()
        return [
            [(char, segment.style.bgcolor if segment.style else None) for char in segment.text]
            for strip in strips
            for segment in [*strip]
        ]


async def test_a_streamed_answer_focused_from_the_keyboard_is_tinted_like_a_loaded_one() -> None:
    """The lines of a finished answer have its background baked in; focusing its message tints
    it, so lines drawn on the old colours must not stay on screen."""
    text = long_answer(2)
    assert await focused_cells(text, streamed=True) == await focused_cells(text, streamed=False)
