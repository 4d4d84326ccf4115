"""The pieces an answer is drawn in: the backlog hands out bounded pieces without copying what is
left, plain lines wrap the same whether appended whole or in pieces, a runaway block does not make
every append re-render it, and an answer too large to format shows its rest as plain text."""

from __future__ import annotations

import random

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownFence

from craft_tui.ui.widgets import answer_body
from craft_tui.ui.widgets.answer_body import LIVE_SEGMENT_CHARS, AnswerBody, open_fence
from craft_tui.ui.widgets.backlog import PLAIN_DELTA, Backlog
from craft_tui.ui.widgets.messages import AssistantMessageView
from craft_tui.ui.widgets.plain_text import NOTICE, PlainText, wrap
from craft_tui.ui.widgets.transcript import Transcript
from tests.ui.harness import Entry, WidgetHarness

# ---------------------------------------------------------------- backlog


def test_the_backlog_hands_out_bounded_pieces_in_order() -> None:
    backlog = Backlog()
    text = "".join(f"line {i}\n" for i in range(2000))
    for index in range(0, len(text), 7):
        backlog.push(text[index : index + 7])
    pieces = []
    while backlog:
        piece, plain = backlog.take(1000)
        assert 0 < len(piece) <= 1000
        assert not plain
        pieces.append(piece)
    assert "".join(pieces) == text


def test_a_long_fragment_is_cut_after_a_line_break() -> None:
    backlog = Backlog()
    text = "".join(f"line {i}\n" for i in range(2000))
    backlog.push(text)
    pieces = []
    while backlog:
        pieces.append(backlog.take(1000)[0])
    assert "".join(pieces) == text
    assert all(piece.endswith("\n") and len(piece) > 750 for piece in pieces[:-1])


def test_an_enormous_delta_turns_the_rest_plain_and_is_not_copied_per_piece() -> None:
    backlog = Backlog()
    backlog.push("small start ")
    huge = "x" * (PLAIN_DELTA * 3)
    backlog.push(huge)
    backlog.push(" and after")
    assert backlog.take(10_000) == ("small start ", False)  # never across the switch
    taken = []
    while backlog:
        piece, plain = backlog.take(PLAIN_DELTA)
        assert plain
        taken.append(piece)
    assert "".join(taken) == huge + " and after"
    assert backlog._parts == type(backlog._parts)()


# ---------------------------------------------------------------- plain lines


@pytest.mark.parametrize("width", [1, 7, 40, 80])
def test_wrapped_pieces_join_to_the_line_and_fit_the_width(width: int) -> None:
    rng = random.Random(width)
    words = ["a", "bb", "word", "x" * 95, "日本語", "tab\there", "✓"]
    for _ in range(50):
        line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 40))) + "\n"
        pieces = wrap(line, width)
        assert "".join(pieces) == line
        for piece in pieces:
            visible = piece.rstrip("\n")
            visible = visible[:-1] if visible.endswith(" ") else visible
            assert cell_len(visible) <= max(width, 2)  # a wide character needs two cells


class PlainApp(App[None]):
    def __init__(self, widget: PlainText) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield self.widget


async def test_plain_text_appended_in_pieces_wraps_like_the_whole_text() -> None:
    rng = random.Random(3)
    text = "".join(
        " ".join("w" * rng.randint(1, 12) for _ in range(rng.randint(0, 60))) + "\n"
        for _ in range(300)
    )
    whole, pieces = PlainText(text), PlainText()
    async with PlainApp(whole).run_test(size=(50, 20)) as pilot:
        await pilot.pause()
        expected = list(whole._lines)
    async with PlainApp(pieces).run_test(size=(50, 20)) as pilot:
        await pilot.pause()
        index = 0
        while index < len(text):
            step = rng.randint(1, 500)
            pieces.append(text[index : index + step])
            index += step
        await pilot.pause()
        assert pieces._lines == expected
        assert pieces.source == text
        assert NOTICE.startswith(str(pieces.render_line(0).text).strip())
        assert pieces.size.height == len(expected) + 1
        await pilot.resize_terminal(30, 20)
        await pilot.pause()
        assert pieces.source == text  # re-wrapped at the new width, nothing lost
        assert all(len(line.rstrip("\n ")) <= 28 for line in pieces._lines)


# ---------------------------------------------------------------- the body


class BodyApp(App[None]):
    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield AnswerBody(self.text)


async def test_a_runaway_paragraph_is_split_so_appends_stay_small() -> None:
    paragraph = "word " * 12_000  # 60,000 characters, no line break
    async with BodyApp().run_test(size=(80, 24)) as pilot:
        body = pilot.app.query_one(AnswerBody)
        for index in range(0, len(paragraph), 2000):
            await body.append(paragraph[index : index + 2000])
            live = body.segments[-1]
            assert isinstance(live, Markdown)
            assert len(live.source) <= LIVE_SEGMENT_CHARS + 2000
        await body.finish()
        assert body.source == paragraph
        assert len(body.segments) >= 3


async def test_a_runaway_code_block_is_split_and_stays_code() -> None:
    code = "".join(f"print({i})  # a long generated program\n" for i in range(1500))
    text = "Here:\n\n```python\n" + code + "```\n\nDone.\n"
    async with BodyApp().run_test(size=(80, 24)) as pilot:
        body = pilot.app.query_one(AnswerBody)
        for index in range(0, len(text), 3000):
            await body.append(text[index : index + 3000])
        await body.finish()
        await pilot.pause()
        segments = body.segments
        assert len(segments) >= 3
        assert sum(s.source.count("print(") for s in segments) == 1500
        # Each segment after a cut inside the block opens the fence again, so it is still code.
        for segment in segments[1:]:
            if "print(" in segment.source:
                assert segment.source.startswith("```python\n")
            if isinstance(segment, Markdown) and "print(" in segment.source:
                assert segment.query(MarkdownFence)


def test_open_fence_names_the_fence_a_text_ends_inside() -> None:
    assert open_fence("Text\n\n```python\nx = 1\n") == "```python\n"
    assert open_fence("~~~~\nx\n~~~\n") == "~~~~\n"  # a shorter marker does not close it
    assert open_fence("```\nx\n```\n") is None
    assert open_fence("just a paragraph\n") is None


async def test_an_answer_loaded_past_the_markdown_limit_shows_its_rest_plain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(answer_body, "MARKDOWN_LIMIT", 5_000)
    text = "".join(f"Paragraph {i} with **bold** words.\n\n" for i in range(500))
    async with BodyApp(text).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        body = pilot.app.query_one(AnswerBody)
        assert body.plain is not None
        assert body.source == text
        assert len(body.segments[0].source) <= 5_000
        assert body.segments[0].source.endswith("\n")  # cut at a line


async def test_a_streamed_answer_past_the_markdown_limit_goes_on_plain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(answer_body, "MARKDOWN_LIMIT", 3_000)
    text = "".join(f"Paragraph {i}.\n\n" for i in range(1000))
    async with BodyApp().run_test(size=(80, 24)) as pilot:
        body = pilot.app.query_one(AnswerBody)
        for index in range(0, len(text), 1000):
            await body.append(text[index : index + 1000])
        await body.finish()
        assert body.plain is not None
        assert body.piece_limit() == answer_body.PLAIN_PIECE
        assert body.source == text
        assert sum(len(s.source) for s in body.segments) <= 3_000 + 1000


async def test_a_huge_plain_rest_is_a_box_that_scrolls_inside_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """However long the plain rest, the transcript lays out at most 70% of the terminal for it
    (a 10 MB answer at full height cost ~0.4 s per frame); its last line is reached by
    scrolling the box, and nothing of the text is lost."""
    monkeypatch.setattr(answer_body, "MARKDOWN_LIMIT", 3_000)
    text = "".join(f"Line {i} of a very long plain answer.\n" for i in range(5_000))
    async with BodyApp().run_test(size=(80, 30)) as pilot:
        body = pilot.app.query_one(AnswerBody)
        for index in range(0, len(text), 20_000):
            await body.append(text[index : index + 20_000])
        await body.finish()
        await pilot.pause()
        box = body.plain
        assert box is not None
        assert 10 <= box.outer_size.height <= 21  # 70% of 30 rows
        assert box.virtual_size.height > 4_000  # the rest's lines, scrolled inside
        assert body.outer_size.height < box.virtual_size.height // 10  # not laid out at length
        assert body.source == text
        box.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        shown = [str(box.render_line(y).text).rstrip() for y in range(box.size.height)]
        assert "Line 4999 of a very long plain answer." in shown


# ---------------------------------------------------------------- Esc on the view


async def test_esc_marks_the_answer_stopped_at_once_and_writes_nothing_more() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await app.query_one(Transcript).add(Entry("a1", "assistant", ""))
        assert isinstance(view, AssistantMessageView)
        view.begin_stream()
        view.add_text("Already on screen. ")
        await pilot.pause()
        view.add_text("Queued, not drawn yet.")
        view.halt(stopped=True)
        assert view.finish_reason == "cancelled"
        assert view.has_class("-stopped")
        assert "stopped" in str(view._note.render())
        await pilot.pause()
        await pilot.pause()
        assert view._body.source == "Already on screen. "  # halted: no write started
        await view.end_stream("cancelled")  # the stream is closed: what arrived is drawn
        assert view._body.source == "Already on screen. Queued, not drawn yet."
        assert view.text == "Already on screen. Queued, not drawn yet."


async def test_an_answer_that_ended_just_before_esc_keeps_its_real_ending() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)):
        view = await app.query_one(Transcript).add(Entry("a1", "assistant", ""))
        assert isinstance(view, AssistantMessageView)
        view.begin_stream()
        view.add_text("All of it.")
        view.halt(stopped=True)
        await view.end_stream("stop")
        assert view.finish_reason == "stop"
        assert not view.has_class("-stopped")
