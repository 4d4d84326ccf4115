"""An answer's Markdown drawn as lines by `markdown_lines` must be, cell for cell and style for
style, what Textual draws for the same widgets; what it cannot draw exactly it refuses.

While an answer streams, its live part is only ever shown this way (its widgets are hidden), so
any difference here is a difference a person sees while reading."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from rich.style import Style
from textual.app import App
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widgets import Markdown

from craft_tui.ui.textual_private import render_offscreen
from craft_tui.ui.widgets.answer_body import AnswerBody
from craft_tui.ui.widgets.frozen_segment import FrozenSegment
from craft_tui.ui.widgets.markdown_lines import lines_of
from tests.ui.test_answer_body import BodyApp, drawn
from tests.waiting import until

FENCE = "```"
Cells = list[list[tuple[str, Style | None]]]

DOCUMENTS = {
    "inline": "Some **bold**, *em*, ~~gone~~, `code` and a [link](https://example.com/a) that "
    "goes on long enough to wrap, with emoji 😀 and wide 漢字テスト characters too.\n\n"
    "A second paragraph.  \nWith a hard break.\n",
    "headings": "# One\n\n## Two\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six\n\nText.\n",
    "lists": "- first\n- second item that is long enough to wrap around the narrow width, surely\n"
    "- third\n\n8. eight\n9. nine\n10. ten\n\n- [ ] todo\n- [x] done\n",
    "nested": "- outer\n  - inner one\n  - inner two\n    1. deeper\n- back out\n",
    "loose": "1. first\n\n2. second\n\n   with a second paragraph\n",
    "quote": "> A quote with **bold** in it\n>\n> and a second paragraph.\n\nAfter.\n",
    "rule": "Above.\n\n---\n\nBelow.\n",
    "table": "Before.\n\n| name | value | note |\n|:---|---:|:---:|\n| alpha | 1 | **bold** x |\n"
    "| b | 22222 | `code` and [a link](https://example.com/t) |\n|  | empty name |  |\n\nAfter.\n",
    "long cell": "| k | v |\n|---|---|\n| key | "
    + "a long cell that will need to wrap or be cut " * 3
    + "|\n| 2 | short |\n",
    "code": f"{FENCE}python\ndef f(x):\n    return x + 1\n{FENCE}\n\n    indented code\n\n"
    f"{FENCE}\nplain fence\n{FENCE}\n",
}


def cells(strips: list[Strip]) -> Cells:
    """Every cell: its character and its style."""
    return [
        [(char, segment.style) for segment in strip for char in segment.text] for strip in strips
    ]


def screen_cells(app: App[None]) -> Cells:
    return cells(app.screen._compositor.render_strips())


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("width", [40, 100])
async def test_lines_are_what_textual_draws_cell_by_cell(theme: str, width: int) -> None:
    for name, text in DOCUMENTS.items():
        app = BodyApp(AnswerBody(text))
        async with app.run_test(size=(width + 2, 120)) as pilot:
            app.theme = theme
            await pilot.pause()
            segment = app.query_one(AnswerBody).segments[0]
            assert isinstance(segment, Markdown)
            expected = render_offscreen(segment)
            assert expected is not None
            drawn_here = lines_of(segment, segment.size.width)
            assert drawn_here is not None, f"{name}: refused"
            assert cells(drawn_here) == cells(expected), f"{name} at {width} in {theme}"


@pytest.mark.parametrize(
    "text",
    [
        # a table wider than the answer even with every column at its narrowest: it is cut
        "| " + " | ".join(f"column {i}" for i in range(30)) + " |\n|" + "---|" * 30 + "\n",
        f"{FENCE}\n{'x' * 120}\n{FENCE}\n",  # a code line wider than its fence scrolls sideways
    ],
)
async def test_what_cannot_be_drawn_exactly_is_refused(text: str) -> None:
    app = BodyApp(AnswerBody(text))
    async with app.run_test(size=(62, 40)) as pilot:
        await pilot.pause()
        segment = app.query_one(AnswerBody).segments[0]
        assert lines_of(segment, segment.size.width) is None


async def whole_cells(text: str, width: int, theme: str = "textual-dark") -> Cells:
    app = BodyApp(AnswerBody(text))
    async with app.run_test(size=(width, 60)) as pilot:
        app.theme = theme
        await drawn(pilot, app.query_one(AnswerBody))
        return screen_cells(app)


@contextlib.asynccontextmanager
async def streamed(text: str, width: int) -> AsyncIterator[tuple[BodyApp, Pilot[None]]]:
    """An app whose answer has been sent `text` a few characters at a time and drawn; the
    answer has not ended (it is still streaming)."""
    app = BodyApp(AnswerBody(""))
    async with app.run_test(size=(width, 60)) as pilot:
        await pilot.pause()
        for index in range(0, len(text), 7):
            await app.body.append(text[index : index + 7])
        await drawn(pilot, app.body)
        yield app, pilot


def live_parts(body: AnswerBody) -> tuple[Markdown, list[FrozenSegment]]:
    live = body.segments[-1]
    assert isinstance(live, Markdown)
    return live, [child for child in body.children if isinstance(child, FrozenSegment)]


async def test_while_streaming_the_live_part_is_lines_that_look_like_its_widgets() -> None:
    text = DOCUMENTS["inline"] + "\n" + DOCUMENTS["lists"] + "\n" + DOCUMENTS["quote"]
    expected = await whole_cells(text, 70)
    async with streamed(text, 70) as (app, pilot):
        body = app.body
        live, lines = live_parts(body)
        assert not live.display  # its widgets are off the screen's layout...
        assert lines and lines[-1].display  # ...and drawn as lines instead
        assert screen_cells(app) == expected  # that look exactly like them
        await body.finish()
        await drawn(pilot, body)
        assert screen_cells(app) == expected  # after the end: still the lines
        await pilot.hover(offset=(3, body.segments[-1].region.y))
        # The mouse over them: the same widgets shown again (selection), same look.
        await until(lambda: body.segments[-1] is live and live.display, "the widgets shown")
        await drawn(pilot, body)
        # Its lines are gone (the segments above keep theirs until the mouse is over them).
        assert not any(
            child.widgets is live for child in body.children if isinstance(child, FrozenSegment)
        )
        assert screen_cells(app) == expected


async def test_a_table_in_the_live_part_is_lines_too_as_it_grows_row_by_row() -> None:
    text = "Before the table.\n\n| name | value |\n|---|---|\n| a | 1 |\n| b | 2 |\n"
    expected = await whole_cells(text, 70)
    async with streamed(text, 70) as (app, _):
        live, lines = live_parts(app.body)
        assert not live.display and lines  # its cells are placed by Textual's grid, drawn here
        assert screen_cells(app) == expected


async def test_a_table_too_wide_to_draw_shows_its_widgets_until_the_part_closes() -> None:
    text = "| " + " | ".join(f"column {i}" for i in range(30)) + " |\n|" + "---|" * 30 + "\n"
    expected = await whole_cells(text, 70)
    async with streamed(text, 70) as (app, _):
        live, lines = live_parts(app.body)
        assert live.display and not lines  # refused: its real widgets show
        assert screen_cells(app) == expected


async def test_a_new_theme_while_streaming_is_shown_at_once() -> None:
    text = DOCUMENTS["headings"] + "\n" + DOCUMENTS["code"]
    expected = await whole_cells(text, 70, theme="textual-light")
    async with streamed(text, 70) as (app, pilot):
        body = app.body
        assert not live_parts(body)[0].display
        app.theme = "textual-light"
        await until(lambda: live_parts(body)[0].display, "the live widgets shown in the new theme")
        await drawn(pilot, body)
        assert screen_cells(app) == expected


async def test_a_resize_while_streaming_redraws_the_live_lines_at_the_new_width() -> None:
    text = DOCUMENTS["inline"] + "\n" + DOCUMENTS["nested"]
    expected = await whole_cells(text, 50)
    async with streamed(text, 90) as (app, pilot):
        body = app.body
        await pilot.resize_terminal(50, 60)
        await drawn(pilot, body)
        assert not live_parts(body)[0].display  # still lines
        assert screen_cells(app) == expected
