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
answer looks exactly as it would in one `Markdown` widget.
"""

from __future__ import annotations

import asyncio
import weakref
from functools import cache
from typing import TYPE_CHECKING

from textual import events
from textual.app import ComposeResult
from textual.geometry import Size
from textual.widget import Widget

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from textual.widgets import Markdown

# A live segment is closed once it holds this many finished top-level blocks: small enough that
# an update lays out a handful of blocks, large enough that a long answer is not hundreds of
# segments (the answer's own layout visits each segment once).
BLOCKS_PER_SEGMENT = 6


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


def next_segment_start(written: str, fragment: str, *, min_blocks: int = BLOCKS_PER_SEGMENT) -> int:
    """Where in `fragment` a new segment may start, or -1.

    `written` is the text already in the live segment. A new segment may start at the beginning
    of the last top-level block of `written + fragment` when that beginning lies in `fragment`
    (so the live segment has not shown any of it yet), at least `min_blocks` blocks come before
    it, and the block just before it cannot absorb it (a list or indented code could). Everything
    before that point is then final.
    """
    if "\n" not in fragment:
        return -1  # a new block can only begin on a new line
    text = written + fragment
    blocks = top_level_blocks(text)
    if len(blocks) <= min_blocks or blocks[-2][1] in _OPEN_ENDED:
        return -1
    offset = _line_offset(text, blocks[-1][0])
    if offset < len(written) or offset >= len(text):
        return -1
    return offset - len(written)


def _line_offset(text: str, line: int) -> int:
    """The character offset at which 0-based `line` of `text` begins."""
    offset = 0
    for _ in range(line):
        offset = text.index("\n", offset) + 1
    return offset


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
        self._segments: list[Markdown] = [self._new_segment(text)]
        self._live_text = text  # text written to the last segment
        self._adjusted: weakref.WeakSet[Widget] = weakref.WeakSet()
        self._pinned: list[Markdown] = []  # closed segments with a fixed height
        # Markdown.append reads its source before it waits for its own lock, so two appends in
        # flight at once corrupt it (a code fence cut mid-line): appends here run one at a time.
        self._lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield from self._segments

    @staticmethod
    def _new_segment(text: str = "") -> Markdown:
        # Imported here: Markdown (and markdown-it) is not needed for the first frame.
        from textual.widgets import Markdown

        return Markdown(text, parser_factory=markdown_parser)

    @property
    def segments(self) -> list[Markdown]:
        return list(self._segments)

    @property
    def source(self) -> str:
        """The Markdown written so far."""
        return "".join(segment.source for segment in self._segments)

    @property
    def busy(self) -> bool:
        """An append is still being written (the next one would wait for it)."""
        return self._lock.locked()

    async def append(self, fragment: str) -> None:
        """Add streamed text; starts a new segment at a block boundary when the live one is full."""
        if not fragment:
            return
        async with self._lock:
            await self._append(fragment)

    async def _append(self, fragment: str) -> None:
        split = next_segment_start(self._live_text, fragment)
        if split < 0:
            await self._write(fragment)
            return
        head, tail = fragment[:split], fragment[split:]
        if head:
            await self._write(head)
        await self._settle(self._segments[-1], self._live_text)
        self._pin(self._segments[-1])
        segment = self._new_segment()
        self._segments.append(segment)
        self._live_text = ""
        with self.app.batch_update():
            await self.mount(segment)
            await self._write(tail)

    async def _write(self, text: str) -> None:
        live = self._segments[-1]
        self._live_text += text
        await live.append(text)
        if len(self._segments) > 1:
            self._collapse_margin(self._segments[-2], live)

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

    def _collapse_margin(self, above: Markdown, below: Markdown) -> None:
        """Give the first block of `below` the top margin Textual would have collapsed it to.

        Inside one Markdown widget the gap between two blocks is max(bottom margin of the upper,
        top margin of the lower); across two widgets both margins would be added.
        """
        if not above.children or not below.children:
            return
        first = below.children[0]
        if first in self._adjusted:
            return
        self._adjusted.add(first)
        margin = first.styles.margin
        above_bottom = above.children[-1].styles.margin.bottom
        first.styles.margin = (
            max(0, margin.top - above_bottom),
            margin.right,
            margin.bottom,
            margin.left,
        )

    def _pin(self, segment: Markdown) -> None:
        """Fix a closed segment's height so later updates need not re-arrange its blocks."""
        width = self.size.width
        if not width:
            return  # not laid out yet: stays auto (correct, only slower)
        segment.styles.height = segment.arrange(Size(width, 0)).total_region.height
        if segment not in self._pinned:
            self._pinned.append(segment)

    def on_resize(self, event: events.Resize) -> None:
        """Text re-wraps at a new width: measure the pinned segments again."""
        for segment in self._pinned:
            self._pin(segment)

    async def finish(self) -> None:
        """The answer is complete: every segment goes back to auto height (nothing to speed up)."""
        async with self._lock:  # after the last append
            await self._settle(self._segments[-1], self._live_text)
            self._unpin()

    def _unpin(self) -> None:
        for segment in self._pinned:
            segment.styles.clear_rule("height")
        self._pinned.clear()
