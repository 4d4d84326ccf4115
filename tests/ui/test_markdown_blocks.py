"""What a person sees of an answer's tables, task lists and links (ui/widgets/markdown_blocks.py):
loaded whole, while it streams (its finished part frozen to lines) and once it has ended (thawed)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Markdown

from craft_tui.ui.widgets.answer_body import AnswerBody
from craft_tui.ui.widgets.frozen_segment import FrozenSegment
from tests.ui.chat_helpers import screen_text, wait_until
from tests.ui.test_answer_body import drawn

TABLE = (
    "| left | centre | right |\n"
    "|:-----|:------:|------:|\n"
    "| a | b | c |\n"
    "| longer cell | mid | 12345 |\n"
    "| x | y |\n"  # a short row: its missing cell is empty, the others still aligned
)
TASKS = (
    "- [ ] write the tests\n- [x] read the issue\n- a plain item\n\n1. [ ] first\n2. [X] second\n"
)
LINKS = (
    "See [the docs](https://example.com/docs), <https://example.org/x>, www.example.net, "
    "[a file](notes/plan.md), [odd](<https://evil.example/%1B]0;t>) and [mail](mailto:a@b.c).\n"
)
# Enough finished blocks after the interesting ones that their segment closes and freezes.
FILLER = "".join(f"Paragraph {n} of the rest of the answer.\n\n" for n in range(8))
ANSWER = "\n".join([TABLE, TASKS, LINKS, FILLER])


class BodyApp(App[None]):
    def __init__(self, body: AnswerBody) -> None:
        super().__init__()
        self.body = body
        self.opened: list[str] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield self.body

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        self.opened.append(url)  # what a browser would have been asked to open


Check = Callable[[str], object]


async def shows(pilot: Pilot[None], check: Check) -> str:
    """Wait until the screen passes `check` (it raises AssertionError until then); the screen."""
    failure: list[AssertionError] = []

    def passes() -> bool:
        failure.clear()
        try:
            check(screen_text(pilot.app))
        except AssertionError as error:
            failure.append(error)
            return False
        return True

    try:
        await wait_until(pilot, passes)
    except AssertionError:
        raise failure[0] if failure else AssertionError("never shown") from None
    return screen_text(pilot.app)


def cells(screen: str, first: str) -> list[str]:
    """The cells (with their padding) of the table row whose first cell holds `first`."""
    for line in screen.splitlines():
        parts = line.split("│")
        if len(parts) > 2 and parts[1].strip() == first:
            return parts[1:-1]
    raise AssertionError(f"no table row starting with {first!r} in:\n{screen}")


def aligned(cell: str, how: str) -> bool:
    text = cell.strip()
    left = len(cell) - len(cell.lstrip())
    right = len(cell) - len(cell.rstrip())
    if how == "left":
        return left == 1 and bool(text)
    if how == "right":
        return right == 1 and bool(text)
    return abs(left - right) <= 1 and left > 2


def table_is_aligned(screen: str) -> None:
    for first, row in (
        ("left", ("left", "centre", "right")),
        ("a", ("a", "b", "c")),
        ("longer cell", ("longer cell", "mid", "12345")),
    ):
        shown = cells(screen, first)
        assert [cell.strip() for cell in shown] == list(row), screen
        for cell, how in zip(shown, ("left", "center", "right"), strict=True):
            assert aligned(cell, how), f"{cell!r} is not {how}-aligned in\n{screen}"
    short = cells(screen, "x")
    assert [cell.strip() for cell in short] == ["x", "y", ""]
    assert aligned(short[1], "center")


def tasks_are_boxes(screen: str) -> None:
    lines = [line.strip() for line in screen.splitlines()]
    assert "☐ write the tests" in lines, screen
    assert "☑ read the issue" in lines
    assert "• a plain item" in lines
    assert "1. ☐ first" in lines
    assert "2. ☑ second" in lines
    assert "[ ]" not in screen and "[x]" not in screen and "[X]" not in screen


def links_show_targets(screen: str) -> None:
    flat = re.sub(r"\s+", " ", screen)
    assert "See the docs (https://example.com/docs), " in flat, screen
    # The text already is the target: not repeated.
    assert "https://example.org/x, www.example.net, " in flat
    assert "a file (notes/plan.md)" in flat  # not http(s): text, target shown
    # Decodes to ESC: text only, the control shown as its picture, never sent to the terminal.
    assert "odd (https://evil.example/␛]0;t)" in flat
    assert "\x1b" not in screen
    assert "mail (mailto:a@b.c)" in flat


def everything(screen: str) -> None:
    table_is_aligned(screen)
    tasks_are_boxes(screen)
    links_show_targets(screen)


CHECKS = {"table": table_is_aligned, "tasks": tasks_are_boxes, "links": links_show_targets}


@pytest.mark.parametrize("what", list(CHECKS))
async def test_an_answer_loaded_whole_shows_aligned_tables_task_boxes_and_link_targets(
    what: str,
) -> None:
    app = BodyApp(AnswerBody(ANSWER))
    async with app.run_test(size=(80, 60)) as pilot:
        await shows(pilot, CHECKS[what])


@pytest.mark.parametrize("what", list(CHECKS))
async def test_a_streamed_answer_shows_them_while_streaming_frozen_and_after_the_end(
    what: str,
) -> None:
    body = AnswerBody()
    app = BodyApp(body)
    async with app.run_test(size=(80, 60)) as pilot:
        for index in range(0, len(ANSWER), 7):
            await body.append(ANSWER[index : index + 7])
            if index < len(TABLE):
                await pilot.pause()  # the table's rows drawn as they arrive, while it is live
        # Still streaming: the part holding them is finished, shown as frozen lines.
        await wait_until(pilot, lambda: isinstance(body.segments[0], FrozenSegment))
        await shows(pilot, CHECKS[what])
        await body.finish()
        await shows(pilot, CHECKS[what])  # the same lines after the end
        await pilot.hover(offset=(3, 1))  # the mouse over them: Markdown widgets again
        await wait_until(pilot, lambda: not isinstance(body.segments[0], FrozenSegment))
        await shows(pilot, CHECKS[what])


async def test_a_table_still_streaming_aligns_each_row_as_it_arrives() -> None:
    body = AnswerBody()
    app = BodyApp(body)
    async with app.run_test(size=(80, 30)) as pilot:
        await body.append(TABLE.split("| longer")[0])
        await shows(pilot, lambda screen: aligned(cells(screen, "a")[2], "right") or _fail(screen))
        await body.append("| longer cell | mid | 12345 |\n")
        screen = await shows(pilot, lambda s: cells(s, "longer cell"))
        shown = cells(screen, "longer cell")
        assert aligned(shown[1], "center") and aligned(shown[2], "right"), screen
        assert aligned(cells(screen, "a")[2], "right")


def _fail(screen: str) -> None:
    raise AssertionError(screen)


def _position(screen: str, text: str) -> tuple[int, int]:
    for y, line in enumerate(screen.splitlines()):
        if text in line:
            return line.index(text) + 1, y
    raise AssertionError(f"{text!r} not on screen:\n{screen}")


@pytest.mark.parametrize(
    "how", ["loaded", "streaming", "streamed-and-ended", "streamed-ended-and-thawed"]
)
async def test_clicking_a_link_copies_its_target_and_says_so_instead_of_opening_it(
    how: str,
) -> None:
    """On Markdown widgets, and on the lines drawn from them while and after an answer streams
    (their click goes to `FrozenSegment.action_link`): the same rule."""
    body = AnswerBody("" if how != "loaded" else ANSWER)
    app = BodyApp(body)
    async with app.run_test(size=(80, 60), notifications=True) as pilot:
        if how != "loaded":
            for index in range(0, len(ANSWER), 11):
                await body.append(ANSWER[index : index + 11])
            await drawn(pilot, body)
            assert not any(isinstance(s, Markdown) and s.display for s in body.segments)
        if how.startswith("streamed"):
            await body.finish()
        if how == "streamed-ended-and-thawed":
            await pilot.hover(offset=(3, 1))
            await wait_until(pilot, lambda: not isinstance(body.segments[0], FrozenSegment))
        screen = await shows(pilot, links_show_targets)
        await pilot.click(offset=_position(screen, "the docs"))
        await shows(pilot, lambda s: _has(s, "Copied link https://example.com/docs"))
        assert app.clipboard == "https://example.com/docs"
        # Text that only looks like a link (a relative path, a control in the target) is inert.
        app.copy_to_clipboard("before")
        await pilot.click(offset=_position(screen, "a file"))
        await pilot.click(offset=_position(screen, "odd"))
        await pilot.pause()
        assert app.clipboard == "before"
        assert app.opened == []


def _has(screen: str, text: str) -> None:
    assert text in screen, screen
