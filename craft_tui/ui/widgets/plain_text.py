"""The part of an answer too large to format, shown as wrapped lines of plain text.

Markdown in Textual costs hundreds of bytes of memory and tens of microseconds of CPU per
character (every block is a widget, every line a styled strip). For a few hundred kilobytes that is
fine; for one 10 MB delta it was a 14-second freeze and 700 MB. Here the text is kept as its visual
lines (the lines joined are the text, so nothing is stored twice), wrapped at the widget's width
with a greedy word wrap, and only the lines on screen are turned into strips. An append wraps only
the new text (and the unfinished last line), so drawing a huge answer in pieces stays linear.

It is a line-API `ScrollView`: given a `max_share` of the terminal's height (an answer's plain rest
is, see `AnswerBody`), taller text scrolls inside it. That keeps the region the transcript lays out small: Textual files
every widget into a grid of 20-line cells on each layout of its parent, so a 10 MB answer shown
at full height (70,000+ lines) cost ~0.4 s per frame in those grids alone, however little of it
was on screen. Without a `max_share` it is as tall as its lines (the tool-output screen).

The cap is applied here, not as a CSS `max-height: 70vh`: Textual ignores a relative max-height
while it measures an auto-height parent (the container's height is 0 then), so the answer was
measured at the text's full height for a frame whenever its box grew, and the transcript laid out
thousands of rows it then threw away.
"""

from __future__ import annotations

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

NOTICE = "⋯ too large to format: plain text from here (scroll in this box; c copies it all)"


def wrap(line: str, width: int) -> list[str]:
    """Cut one line (up to and including its line break) into pieces that each fit in `width`
    cells, not counting a trailing space or line break; the pieces joined are `line`.

    Breaks after the last space that fits, else mid-word (a URL, a hash). Text that is not ASCII
    is cut by cell width (wide characters count two) without looking for spaces.
    """
    end = len(line) - 1 if line.endswith("\n") else len(line)
    if width <= 0 or (end <= width and (line.isascii() or cell_len(line[:end]) <= width)):
        return [line]
    if not line.isascii():
        pieces = chop_cells(line[:end], width)
        pieces[-1] += line[end:]
        return pieces
    pieces = []
    start = 0
    while end - start > width:
        space = line.rfind(" ", start + 1, start + width + 1)
        cut = space + 1 if space > start else start + width
        pieces.append(line[start:cut])
        start = cut
    pieces.append(line[start:])
    return pieces


def _logical_lines(lines: list[str]) -> list[str]:
    """Visual lines joined back into the lines of the text (each up to its line break)."""
    out: list[str] = []
    run: list[str] = []
    for line in lines:
        run.append(line)
        if line.endswith("\n"):
            out.append("".join(run))
            run = []
    if run:
        out.append("".join(run))
    return out


class PlainText(ScrollView, can_focus=False):
    """Wrapped plain lines, with a one-line notice above them saying why they are not formatted
    (an answer's plain rest has it; see `AnswerBody`)."""

    ALLOW_SELECT = False  # copy the message (c) for its text

    DEFAULT_CSS = """
    PlainText {
        height: auto;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(
        self,
        text: str = "",
        *,
        notice: bool = True,
        max_share: float | None = None,
        classes: str = "",
    ) -> None:
        super().__init__(classes=classes)
        self._notice = int(notice)  # lines above the text
        # At most this fraction of the terminal's rows tall; the rest scrolls inside (None: no cap).
        self._max_share = max_share
        self._width = 0  # the width `_lines` are wrapped at; 0 until the first layout
        self._lines: list[str] = [text] if text else []

    @property
    def source(self) -> str:
        """The text shown (exactly what was appended)."""
        return "".join(self._lines)

    def append(self, text: str) -> None:
        """Add text; only it and the unfinished last line are wrapped."""
        if not text:
            return
        if self._lines and not self._lines[-1].endswith("\n"):
            text = self._lines.pop() + text
        if self._width:
            for line in text.splitlines(keepends=True):
                self._lines.extend(wrap(line, self._width))
        else:
            self._lines.append(text)  # wrapped at the first layout
        self._sync_virtual_size()

    def _sync_virtual_size(self) -> None:
        """The scrolled height is the line count; setting it lays out again (Textual's reactive)."""
        self.virtual_size = Size(self._width, len(self._lines) + self._notice)
        self.refresh()

    def _wrap_to(self, width: int) -> None:
        if width == self._width or width <= 0:
            return
        lines = _logical_lines(self._lines) if self._width else self.source.splitlines(True)
        self._width = width
        self._lines = [piece for line in lines for piece in wrap(line, width)]
        self._sync_virtual_size()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self._max_share is None:
            self._wrap_to(width)
            return len(self._lines) + self._notice
        # Tall enough to scroll inside: the scrollbar takes a column of the lines' width.
        self._wrap_to(width - self.styles.scrollbar_size_vertical)
        cap = max(1, int(viewport.height * self._max_share))
        return min(len(self._lines) + self._notice, cap)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        style = self.rich_style
        y += self.scroll_offset.y
        if y < self._notice:
            notice = style + Style(dim=True, italic=True)
            return Strip([Segment(NOTICE, notice)]).adjust_cell_length(width, style)
        y -= self._notice
        if y >= len(self._lines):
            return Strip.blank(width, style)
        text = self._lines[y].rstrip("\n").replace("\t", " ")
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)
