"""The Markdown body of an answer, streamed in segments so that long answers stay cheap to lay out.

Textual re-arranges every block of a `Markdown` widget each time its last block grows, so a
streaming answer's cost per update grows with its length (most of the CPU of a long answer went
there). Here the answer is a column of `Markdown` *segments*: text streams into the last (live)
segment, and when a new top-level block starts after enough finished blocks, the live segment is
closed and a new one begins. A closed segment never changes again, so Textual's arrangement cache
keeps it and each update lays out only the live segment's few blocks.

Closed segments get a fixed height while the answer streams: Textual asks an auto-height
container for its height with its parent's (growing) height in the cache key, so without the pin
every closed segment would be re-arranged on every update anyway. Pins are recomputed when the
width changes and dropped when the answer is finished.

A segment ends only where a top-level block ends (markdown-it decides, the same parser the
widget uses), so lists, tables and code fences are never cut; the vertical margins that Textual
would have collapsed between two blocks are collapsed by hand across segment boundaries, so the
answer looks exactly as it would in one `Markdown` widget. One exception: a single block longer
than `LIVE_SEGMENT_CHARS` (a runaway paragraph or code block) would make every append re-parse
and re-render it from its start, so the live segment is closed inside it, at a line break if
there is one (a code fence is reopened in the next segment); such a block shows a break there.

While the answer streams, the live segment's widgets are hidden and it is shown as lines drawn
from them after each write (`markdown_lines.lines_of`), so the screen lays out one widget instead
of its blocks; a segment those lines cannot reproduce exactly (a table, a wide code line) shows
its widgets until it closes. A closed segment keeps its lines (`FrozenSegment`). Once the
transcript's style probe is built, a live segment is not even mounted: its blocks are built and
drawn by `LiveDrawing` into a `DrawnSegment` (`live_drawing.py`); a block the probe cannot hold
(a table) gets a segment of real widgets of its own.

Bounded cost, whatever arrives: the message view hands the body pieces of at most
`piece_limit()` characters. Past `MARKDOWN_LIMIT` characters of Markdown, or from a delta that
was enormous on its own (see `backlog.PLAIN_DELTA`), the rest of the answer is shown as plain
wrapped lines (`PlainText`): Markdown costs hundreds of bytes per character, plain lines a few.
That rest is one box at most `PLAIN_SHARE` of the terminal tall that scrolls inside itself, so however large
it is, the transcript lays out a screenful for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import weakref
from collections.abc import AsyncIterator
from functools import cache
from typing import TYPE_CHECKING, Union

from textual import events
from textual.app import ComposeResult
from textual.geometry import Size
from textual.widget import MountError, Widget

from craft_tui.ui.textual_private import being_removed, render_offscreen
from craft_tui.ui.widgets.blank import paint_blank_when_unfiltered
from craft_tui.ui.widgets.frozen_segment import DrawnSegment, FrozenSegment
from craft_tui.ui.widgets.markdown_lines import lines_of
from craft_tui.ui.widgets.plain_text import PlainText
from craft_tui.ui.widgets.style_probe import Drawn, probe_near

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from textual.widgets import Markdown

    from craft_tui.ui.widgets.live_drawing import LiveDrawing

# A live segment is closed once it holds this many finished top-level blocks: small enough that
# an update lays out a handful of blocks, large enough that a long answer is not hundreds of
# segments (the answer's own layout visits each segment once).
BLOCKS_PER_SEGMENT = 6
# A live segment this long is closed even inside a block: each append re-parses its last block.
LIVE_SEGMENT_CHARS = 16_000
# The most Markdown one write is given: a few tens of milliseconds of parsing, building and laying
# out blocks, so a key (Esc) waits at most that long. Plain text is ~100 times cheaper per char.
MARKDOWN_PIECE = 4_000
PLAIN_PIECE = 128 * 1024
# Markdown for the first 2 million characters of an answer (far beyond any real one, ~500,000
# tokens); the rest is plain text, so an answer at the size cap stays a few times its size.
MARKDOWN_LIMIT = 2_000_000
# The plain rest's box is at most this share of the terminal's rows; its lines scroll inside it.
PLAIN_SHARE = 0.7
# A loaded answer up to this long is drawn as lines without mounting its widgets (a few ms per
# thousand characters, in the layout that first places it); a longer one mounts its widgets.
LOADED_LINES_CHARS = 32_000
# A streaming answer this long asks the transcript for a style probe, if it has none, to draw its
# next segments without mounting them: building one (~0.1 s) costs more than it saves on a
# shorter answer (a 2,000-token one waited for it at full speed).
PROBE_WORTH_CHARS = 12_000


@cache
def markdown_parser() -> MarkdownIt:
    """The parser Textual's Markdown widget uses by default; one instance, reused (it is stateless)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("gfm-like")


# The top-level markdown-it tokens that Textual's Markdown turns into one block widget each.
_BLOCK_TOKENS = frozenset(
    {
        "heading_open",
        "hr",
        "paragraph_open",
        "blockquote_open",
        "bullet_list_open",
        "ordered_list_open",
        "table_open",
        "fence",
        "code_block",
    }
)
# Blocks that a later top-level block may still join (`1. a` + blank line + `2` becomes a loose list
# once `2.` arrives; indented code goes on past blank lines): never end a segment right after one.
_OPEN_ENDED = frozenset({"bullet_list_open", "ordered_list_open", "code_block"})


def top_level_blocks(text: str) -> list[tuple[int, str]]:
    """(first line, token type) of each top-level block of `text` that the widget renders."""
    return [
        (token.map[0], token.type)
        for token in markdown_parser().parse(text)
        if token.level == 0 and token.map is not None and token.type in _BLOCK_TOKENS
    ]


def next_segment_start(
    written: str, fragment: str, *, min_blocks: int = BLOCKS_PER_SEGMENT, earliest: bool = False
) -> int:
    """Where in `fragment` a new segment may start, or -1.

    `written` is the text already in the live segment. A new segment may start where a top-level
    block of `written + fragment` begins, if that is inside `fragment` (the live segment has not
    shown any of it yet) and at least `min_blocks` blocks come before it; the latest such place is
    taken, so the new live segment is small (the earliest with `earliest`: the live segment
    ends as soon as it can). Everything before it must be final: a block followed by a finished
    block is; the block before the *last* one is too, unless it could still absorb the last (a
    list or indented code could).
    """
    if "\n" not in fragment:
        return -1  # a new block can only begin on a new line
    text = written + fragment
    blocks = top_level_blocks(text)
    indexes = range(max(1, min_blocks), len(blocks))
    for index in indexes if earliest else reversed(indexes):
        if index == len(blocks) - 1 and blocks[index - 1][1] in _OPEN_ENDED:
            continue
        offset = _line_offset(text, blocks[index][0])
        if offset < len(written):
            if earliest:
                continue
            return -1  # earlier blocks start earlier still
        if offset < len(text):
            return offset - len(written)
    return -1


_CLOSING_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*\n?")


def open_fence(text: str) -> str | None:
    """The opening line of the code fence `text` ends inside (markup and info string), or None."""
    blocks = [t for t in markdown_parser().parse(text) if t.level == 0 and t.map is not None]
    if not blocks or blocks[-1].type != "fence":
        return None
    fence = blocks[-1]
    assert fence.map is not None
    lines = text.splitlines(keepends=True)
    start, end = fence.map
    if end - start > 1 and end <= len(lines):
        closing = _CLOSING_FENCE.fullmatch(lines[end - 1])
        marker = closing.group(1) if closing else ""
        if marker[:1] == fence.markup[:1] and len(marker) >= len(fence.markup):
            return None  # closed: its last line is a closing fence as long as the opening one
    return f"{fence.markup}{fence.info}\n"


def forced_cut(fragment: str) -> int:
    """Where to close a live segment that grew too long inside one block: after the last line
    break of `fragment`, else after its last space, else after all of it."""
    for mark in ("\n", " "):
        index = fragment.rfind(mark)
        if index >= 0:
            return index + 1
    return len(fragment)


def _line_offset(text: str, line: int) -> int:
    """The character offset at which 0-based `line` of `text` begins."""
    offset = 0
    for _ in range(line):
        offset = text.index("\n", offset) + 1
    return offset


Segment = Union["Markdown", FrozenSegment]


class AnswerBody(Widget):
    """An answer's Markdown: one segment when loaded whole, several when it was streamed."""

    DEFAULT_CSS = """
    AnswerBody {
        height: auto;
        layout: vertical;
        & > Markdown { margin: 0; padding: 0; }
    }
    """

    def __init__(self, text: str = "", *, classes: str = "") -> None:
        super().__init__(classes=classes)
        # The unformatted rest of a very large answer: one box of wrapped lines that scrolls inside
        # itself past `PLAIN_SHARE` of the terminal's height, so the transcript's layout stays small
        # (see `PlainText`).
        self._plain: PlainText | None = None
        if len(text) > MARKDOWN_LIMIT:
            cut = text.rfind("\n", 0, MARKDOWN_LIMIT) + 1 or MARKDOWN_LIMIT
            text, rest = text[:cut], text[cut:]
            self._plain = PlainText(rest, max_share=PLAIN_SHARE, classes="plain-rest")
        self._markdown_size = len(text)
        self._segments: list[Segment] = [self._new_segment(text)]
        self._live_text = text  # text written to the last segment
        self._css_top_margin: weakref.WeakKeyDictionary[Widget, int] = weakref.WeakKeyDictionary()
        self._pinned: list[Markdown] = []  # closed segments with a fixed height, not frozen yet
        self._streaming = False
        self._width = 0
        # While streaming, the live segment's Markdown is hidden (off the screen's layout) and
        # shown as these lines, redrawn on each write; None while it is shown as widgets.
        self._live_lines: FrozenSegment | None = None
        self._live_as_widgets = False  # this live segment cannot be lines (a table, a wide fence)
        # While streaming, once the transcript's style probe is built: the live segment is a
        # `DrawnSegment` drawn from blocks that are never mounted (`live_drawing.py`), and this
        # holds them; None while the live segment is a Markdown (hidden or shown).
        self._drawing: LiveDrawing | None = None
        # The live segment holds a block that could not be drawn unmounted (a table): it ends
        # at the next block, so that the blocks after it are drawn again.
        self._close_soon = False
        # Markdown.append reads its source before it waits for its own lock, so two appends in
        # flight at once corrupt it (a code fence cut mid-line): appends here run one at a time,
        # and so do the swaps between Markdown and frozen segments.
        self._lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        self._draw_loaded_as_lines()
        yield from self._segments
        if self._plain is not None:
            yield self._plain

    def _draw_loaded_as_lines(self) -> None:
        """An answer loaded whole is lines drawn from its source, its widgets never mounted
        (`style_probe.py`), when the transcript keeps a style probe and every block has a
        shape the probe holds; otherwise its Markdown widgets, as before."""
        text = self._live_text
        if self._streaming or not text.strip() or len(text) > LOADED_LINES_CHARS:
            return
        probe = probe_near(self)
        draw = probe.drawer(text) if probe is not None else None
        if draw is not None:
            self._segments[0] = DrawnSegment(text, draw)

    def on_mount(self) -> None:
        paint_blank_when_unfiltered(self)  # its segments draw the text (see widgets/blank.py)

    @staticmethod
    def _new_segment(text: str = "") -> Markdown:
        # Imported here: Markdown (and markdown-it) is not needed for the first frame.
        # Aligned tables, task boxes, link targets shown and clicks that copy (markdown_blocks).
        from craft_tui.ui.widgets.markdown_blocks import AnswerMarkdown

        return AnswerMarkdown(text)

    @property
    def segments(self) -> list[Segment]:
        return list(self._segments)

    @property
    def source(self) -> str:
        """The text written so far (Markdown, then any plain rest)."""
        plain = self._plain.source if self._plain is not None else ""
        return "".join(segment.source for segment in self._segments) + plain

    @property
    def plain(self) -> PlainText | None:
        """The plain-text rest of a very large answer, once there is one."""
        return self._plain

    @property
    def gone(self) -> bool:
        """Being removed (the answer deleted or regenerated, the app quitting): a write would
        mount into a widget on its way out, which Textual refuses."""
        return being_removed(self) or not self.is_attached

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """One change at a time (the lock); a change that finds the body being removed halfway
        just stops (callers return at once when it already is)."""
        async with self._lock:
            try:
                yield
            except MountError:
                if not self.gone:
                    raise

    def piece_limit(self, plain: bool = False) -> int:
        """The most characters the next `append` should be given (see the module docstring)."""
        if plain or self._plain is not None or self._markdown_size >= MARKDOWN_LIMIT:
            return PLAIN_PIECE
        return MARKDOWN_PIECE

    @property
    def busy(self) -> bool:
        """An append is still being written (the next one would wait for it)."""
        return self._lock.locked()

    async def append(self, fragment: str) -> None:
        """Add streamed text; starts a new segment at a block boundary when the live one is full.

        Once the answer has a plain rest (or passed `MARKDOWN_LIMIT`), text goes there instead.
        """
        if not fragment:
            return
        async with self._writing():
            if self.gone:
                return
            self._streaming = True
            if self._plain is not None or self._markdown_size >= MARKDOWN_LIMIT:
                await self._append_plain(fragment)
            else:
                self._markdown_size += len(fragment)
                await self._append(fragment)

    async def append_plain(self, fragment: str) -> None:
        """Add streamed text as plain lines: this and everything after it (see the module doc)."""
        if not fragment:
            return
        async with self._writing():
            if self.gone:
                return
            self._streaming = True
            await self._append_plain(fragment)

    async def _append_plain(self, fragment: str) -> None:
        if self._plain is None:
            self._plain = PlainText(max_share=PLAIN_SHARE, classes="plain-rest")
            await self.mount(self._plain)
        self._plain.append(fragment)

    async def _append(self, fragment: str) -> None:
        if isinstance(self._segments[-1], FrozenSegment) and self._drawing is None:
            await self._thaw(self._segments[-1])  # more text after `finish`: widgets again
        await self._draw_if_empty()
        blocks = 1 if self._close_soon else BLOCKS_PER_SEGMENT
        split = next_segment_start(
            self._live_text, fragment, min_blocks=blocks, earliest=self._close_soon
        )
        reopen = ""
        if split < 0 and len(self._live_text) + len(fragment) > LIVE_SEGMENT_CHARS:
            split = forced_cut(fragment)
            reopen = open_fence(self._live_text + fragment[:split]) or ""
        if split < 0:
            await self._write(fragment)
            return
        head, tail = fragment[:split], reopen + fragment[split:]
        if head:
            await self._write(head)
        await self._next_segment(tail)

    async def _next_segment(self, text: str, *, mounted: bool = False) -> None:
        """Close the live segment and start a new one with `text` in it."""
        if self._drawing is not None:
            self._close_drawing()
            await self._start_segment(text, mounted=mounted)
            return
        closed = self._segments[-1]
        assert not isinstance(closed, FrozenSegment)  # a Markdown live segment is never frozen
        await self._settle(closed, self._live_text)
        drawn = await self._close_live_lines(closed)
        if drawn is None:
            self._pin(closed)
        with self.app.batch_update():
            await self._start_segment(text, mounted=mounted)
            if drawn is not None:
                await closed.remove()  # its lines stay; its widgets were never on screen
        if drawn is None:
            # Once the closed segment's last block has been laid out, keep only its lines.
            self.call_after_refresh(self._freeze_later, closed)

    async def _start_segment(self, text: str, *, mounted: bool = False) -> None:
        """A new live segment after the closed ones, with `text` in it: drawn from unmounted
        blocks when the style probe is ready (a Markdown otherwise, or when `mounted`)."""
        self._live_text = ""
        self._live_as_widgets = False
        self._close_soon = False
        wanted = self._markdown_size > PROBE_WORTH_CHARS
        probe = probe_near(self, wanted=wanted) if self.size.width and not mounted else None
        with self.app.batch_update():
            if probe is not None:
                from craft_tui.ui.widgets.live_drawing import LiveDrawing

                self._drawing = LiveDrawing(probe)
                view = DrawnSegment("", self._draw_drawing, thaw_on_pointer=False)
                self._segments.append(view)
                await self.mount(view)
            else:
                segment = self._new_segment()
                self._segments.append(segment)
                await self.mount(segment)
            if text:
                await self._write(text)

    async def _draw_if_empty(self) -> None:
        """The answer's first (empty) segment becomes a drawn one once the probe is ready."""
        live = self._segments[-1]
        if self._drawing is not None or isinstance(live, FrozenSegment) or live.source:
            return
        if len(self._segments) == 1 and self._live_lines is None and self.size.width:
            if probe_near(self) is None:
                return
            self._segments.pop()
            with self.app.batch_update():
                await self._start_segment("")
                await live.remove()

    async def _write(self, text: str) -> None:
        if self._drawing is not None:
            await self._write_drawn(text)
            return
        live = self._segments[-1]
        assert not isinstance(live, FrozenSegment)
        await self._hide_live(live)
        self._live_text += text
        await live.append(text)
        if len(self._segments) > 1:
            self._collapse_margin(self._segments[-2], live)
        await self._draw_live(live)

    # ---------------------------------------------------------------- a live segment never mounted

    async def _write_drawn(self, text: str) -> None:
        drawing, view = self._drawing, self._segments[-1]
        assert drawing is not None and isinstance(view, DrawnSegment)
        rest = drawing.write(text)
        self._live_text = view.source = drawing.text
        view.changed()  # drawn by the next layout, once however many writes came before it
        if not rest:
            return
        # A block of a shape the probe does not hold (a table) goes to a segment of real
        # widgets, which ends as soon as another block starts: the rest is drawn again.
        cut = next_segment_start("", rest, min_blocks=1, earliest=True)
        block, after = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
        if drawing.text.strip():
            await self._next_segment(block, mounted=True)
        else:
            await self._drawing_to_widgets(block)
        self._close_soon = True
        if after:
            await self._next_segment(after)

    def _draw_drawing(self, width: int) -> Drawn | None:
        """The live segment's lines at `width` (asked by its `DrawnSegment` when laid out). The
        first block's top margin is collapsed with the bottom margin of the segment above, as
        inside one Markdown widget: rows of it are left out."""
        drawing = self._drawing
        if drawing is None:
            return None  # (closed since: the segment's own drawer took over)
        return _collapsed(drawing.draw(width), drawing.top_margin, self._bottom_above(-1))

    def _bottom_above(self, index: int) -> int:
        """The bottom margin of the segment above `self._segments[index]` (0 for the first)."""
        at = index % len(self._segments)
        if at == 0:
            return 0
        above = self._segments[at - 1]
        if isinstance(above, FrozenSegment):
            return above.bottom_margin
        return above.children[-1].styles.margin.bottom if above.children else 0

    def _close_drawing(self) -> None:
        """The drawn live segment is done: it keeps its lines, and from now on draws them from
        its source (at a new width or theme), so its unmounted blocks are not kept."""
        drawing, view = self._drawing, self._segments[-1]
        assert drawing is not None and isinstance(view, DrawnSegment)
        self._drawing = None
        text, top, above = drawing.text, drawing.top_margin, self._bottom_above(-1)
        wrong = drawing.built_wrong()
        # The blocks built while streaming draw the lines the last write asked for (usually
        # not drawn yet: the segment closes in that write), then they are let go.
        pending = [] if wrong else [drawing]

        def draw(width: int) -> Drawn | None:
            if pending:
                return _collapsed(pending.pop().draw(width), top, above)
            probe = probe_near(self)
            drawer = probe.drawer(text) if probe is not None else None
            return _collapsed(drawer(width), top, above) if drawer is not None else None

        view.set_drawer(draw)
        if wrong:
            view.changed()  # drawn again from the whole text

    async def _drawing_to_widgets(self, more: str = "") -> None:
        """The drawn live segment becomes a Markdown (with `more` text), shown the usual way
        from here on."""
        drawing, view = self._drawing, self._segments[-1]
        assert drawing is not None
        self._drawing = None
        self._live_text = drawing.text + more
        segment = self._new_segment(self._live_text)
        self._segments[-1] = segment
        with self.app.batch_update():
            await self.mount(segment, before=view)
            await view.remove()
            if len(self._segments) > 1:
                self._collapse_margin(self._segments[-2], segment)
            await self._hide_live(segment)
            await self._draw_live(segment)

    # ---------------------------------------------------------------- the live segment as lines

    async def _hide_live(self, live: Markdown) -> None:
        """Take the live segment off the screen's layout and show it as lines, if it can be."""
        if self._live_lines is not None or self._live_as_widgets or not self._streaming:
            return
        if not self.size.width:
            return  # not laid out yet: widgets this time, lines from a later write
        lines = FrozenSegment("", [], self.app.theme, 0)
        self._live_lines = lines
        live.display = False
        await self.mount(lines, after=live)

    async def _draw_live(self, live: Markdown) -> None:
        """Redraw the live lines from the hidden widgets; widgets again if they cannot be."""
        lines = self._live_lines
        if lines is None:
            return
        strips = lines_of(live, self.size.width, streaming=True)
        if strips is None:
            await self._show_live_widgets(live)
            return
        bottom_margin = live.children[-1].styles.margin.bottom if live.children else 0
        lines.show(strips, self.app.theme, bottom_margin)

    async def _show_live_widgets(self, live: Markdown) -> None:
        """The live segment as its real widgets until it closes (a table, a resize, a theme)."""
        lines, self._live_lines = self._live_lines, None
        self._live_as_widgets = True
        if lines is None:
            return
        with self.app.batch_update():
            live.display = True
            await lines.remove()

    async def _close_live_lines(self, live: Markdown) -> FrozenSegment | None:
        """A live segment that is done: its lines take its place (returned), or None when it
        is shown as widgets (then it is frozen the usual way, from what the screen drew)."""
        await self._draw_live(live)  # `_settle` may have rebuilt it
        lines, self._live_lines = self._live_lines, None
        if lines is None:
            return None
        lines.source = live.source
        self._segments[self._segments.index(live)] = lines
        return lines

    async def _settle(self, segment: Markdown, text: str) -> None:
        """Render a segment that will not grow again from its whole text if streaming built it wrong.

        Textual's append assumes the blocks before the last one are final, which a loose list
        breaks (`1. a`, blank line, `2` shows a second list once `2.` arrives). Rare, and the
        segment holds a handful of blocks, so re-rendering it is cheap.
        """
        from textual.widgets.markdown import MarkdownBlock

        rendered = sum(isinstance(child, MarkdownBlock) for child in segment.children)
        if rendered == len(top_level_blocks(text)):
            return
        await segment.update(text)
        index = self._segments.index(segment)
        if index:
            self._collapse_margin(self._segments[index - 1], segment)

    def _collapse_margin(self, above: Segment, below: Markdown) -> None:
        """Give the first block of `below` the top margin Textual would have collapsed it to.

        Inside one Markdown widget the gap between two blocks is max(bottom margin of the upper,
        top margin of the lower); across two widgets both margins would be added.
        """
        if not below.children:
            return
        if isinstance(above, FrozenSegment):
            above_bottom = above.bottom_margin  # its lines include that margin
        elif above.children:
            above_bottom = above.children[-1].styles.margin.bottom
        else:
            return
        first = below.children[0]
        margin = first.styles.margin
        top = self._css_top_margin.setdefault(first, margin.top)  # before any adjustment
        collapsed = max(0, top - above_bottom)
        if collapsed != margin.top:
            first.styles.margin = (collapsed, margin.right, margin.bottom, margin.left)

    def _pin(self, segment: Markdown) -> None:
        """Fix a closed segment's height so later updates need not re-arrange its blocks."""
        width = self.size.width
        if not width:
            return  # not laid out yet: stays auto (correct, only slower)
        segment.styles.height = segment.arrange(Size(width, 0)).total_region.height
        if segment not in self._pinned:
            self._pinned.append(segment)

    async def _freeze_later(self, segment: Markdown) -> None:
        async with self._writing():
            if self.gone:
                return
            self._freeze(segment)

    def _freeze(self, segment: Markdown) -> None:
        """Replace a closed, laid-out segment by its rendered lines while the answer streams."""
        if (
            not self._streaming
            or segment not in self._segments
            or segment is self._segments[-1]
            or not segment.is_mounted
        ):
            return  # finished or gone: stays a Markdown
        if segment.size.width != self.size.width or not segment.size.height:
            # Not laid out at this width yet (mounted this frame, or the width changed): later.
            self.call_after_refresh(self._freeze_later, segment)
            return
        strips = render_offscreen(segment)
        if strips is None:
            self.call_after_refresh(self._freeze_later, segment)  # its last write is not laid out
            return
        bottom_margin = segment.children[-1].styles.margin.bottom if segment.children else 0
        frozen = FrozenSegment(
            segment.source, strips, self.app.theme, bottom_margin, drawn_on=self.colors
        )
        index = self._segments.index(segment)
        self._segments[index] = frozen
        if segment in self._pinned:
            self._pinned.remove(segment)
        with self.app.batch_update():
            self.mount(frozen, before=segment)
            segment.remove()

    async def on_frozen_segment_thaw_request(self, event: FrozenSegment.ThawRequest) -> None:
        event.stop()
        async with self._writing():
            if self.gone:
                return
            if event.segment is self._live_lines:  # a new theme: the live widgets show it
                live = self._segments[-1]
                assert not isinstance(live, FrozenSegment)
                await self._show_live_widgets(live)
                return
            if self._drawing is not None and event.segment is self._segments[-1]:
                await self._drawing_to_widgets()  # other colours around it, a wide code line
                return
            await self._thaw(event.segment)

    async def _thaw(self, frozen: FrozenSegment) -> None:
        """Bring back a frozen segment's Markdown widgets (same text, same lines)."""
        if frozen not in self._segments:
            return
        index = self._segments.index(frozen)
        kept = frozen.widgets
        if kept is not None and kept.is_mounted:
            segment = kept  # the hidden widgets it was drawn from
            self._segments[index] = segment
            with self.app.batch_update():
                segment.display = True
                await frozen.remove()
        else:
            segment = self._new_segment(frozen.source)
            self._segments[index] = segment
            with self.app.batch_update():
                await self.mount(segment, before=frozen)
                await frozen.remove()
        if index:
            self._collapse_margin(self._segments[index - 1], segment)
        if index + 1 < len(self._segments):
            below = self._segments[index + 1]
            if not isinstance(below, FrozenSegment):
                self._collapse_margin(segment, below)
        if self._streaming and segment is not self._segments[-1]:
            self._pin(segment)
            self.call_after_refresh(self._freeze_later, segment)

    async def on_resize(self, event: events.Resize) -> None:
        """Text re-wraps at a new width: frozen lines are stale, pinned heights too."""
        width = event.size.width
        if width == self._width:
            return  # only the height changed (the answer grew)
        self._width = width
        async with self._writing():
            if self.gone:
                return
            for segment in self._segments:
                if isinstance(segment, FrozenSegment) and not isinstance(segment, DrawnSegment):
                    await self._thaw(segment)  # (a drawn one draws itself at the new width)
            live = self._segments[-1]
            if self._live_lines is not None and not isinstance(live, FrozenSegment):
                await self._draw_live(live)  # the same widgets, drawn at the new width
            for pinned in self._pinned:
                self._pin(pinned)

    async def finish(self) -> None:
        """The answer is complete: segments go back to auto height; frozen ones thaw when the
        mouse moves over them (see `FrozenSegment`)."""
        async with self._writing():  # after the last append
            if self.gone:
                return
            live = self._segments[-1]
            if self._drawing is not None:
                self._close_drawing()
            elif not isinstance(live, FrozenSegment):  # (a second `finish` finds it done)
                await self._settle(live, self._live_text)
                drawn = await self._close_live_lines(live)
                if drawn is not None:
                    drawn.widgets = live  # shown again, not rebuilt, when it thaws
            self._streaming = False
            for segment in self._pinned:
                segment.styles.clear_rule("height")
            self._pinned.clear()
            for part in self._segments:
                if isinstance(part, FrozenSegment):
                    part.thaw_on_pointer = True


def _collapsed(drawn: Drawn | None, top_margin: int, above_bottom: int) -> Drawn | None:
    """`drawn` without the rows of its top margin that the bottom margin above already gives
    (two blocks in one Markdown are max(bottom, top) apart, not bottom + top)."""
    cut = min(top_margin, above_bottom)
    if drawn is None or not cut:
        return drawn
    return drawn._replace(strips=drawn.strips[cut:])
