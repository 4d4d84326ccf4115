"""A list of one-line rows drawn a screenful at a time: the model picker's list of matches.

Why not `OptionList`: the picker replaces every row on each keystroke, and an OptionList then
rebuilds its options and line cache, and relays out the whole screen (its virtual size is a
layout reactive). This list is a row count and a function that builds row `n`; only the rows on
screen are built, each straight into one strip, cached until the rows change. Its size comes from
CSS, so a new count only re-measures the scrollbar: the screen is laid out again only when the
scrollbar appears or disappears. The scrollbar itself is drawn from its segments in one pass
(`ListScrollBar`) rather than through a Rich console render, which cost ~2 ms a keystroke.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import ClassVar

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widget import Widget

RowBuilder = Callable[[int], Content]

_CACHED_STRIPS = 400  # rendered rows kept (a few screenfuls of scrolling back and forth)
_CACHED_STYLES = 200  # combinations of a row style and its spans' styles (a handful in practice)


def _no_rows(index: int) -> Content:
    return Content("")


class ListScrollBar(ScrollBar):
    """A vertical scrollbar whose lines are its segments, made once per thumb position and size.

    Textual's `ScrollBar` renders a Rich renderable through a console on every change; the list's
    thumb moves on every keystroke (the match count changes), and that path cost ~2 ms each time.
    """

    def __init__(self, *, thickness: int) -> None:
        super().__init__(vertical=True, name="vertical", thickness=thickness)
        self._bar: object = None
        self._lines_key: tuple[object, ...] | None = None
        self._lines: list[Strip] = []

    def render_lines(self, crop: Region) -> list[Strip]:
        self._bar = self.render()  # colours and sizes once per render, not once per line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        bar = self._bar
        if not isinstance(bar, ScrollBarRender) or not isinstance(bar.style, RichStyle):
            return super().render_line(y)
        width, height = self.size
        style = bar.style
        base = self.visual_style.rich_style  # as Textual's path lays it under the bar
        key = (width, height, bar.virtual_size, bar.window_size, bar.position, style, base)
        if key != self._lines_key:
            segments = bar.render_bar(
                size=height,
                virtual_size=bar.virtual_size,
                window_size=bar.window_size,
                position=bar.position,
                thickness=width,
                vertical=True,
                back_color=style.bgcolor or RichColor.parse("#555555"),
                bar_color=style.color or RichColor.parse("bright_magenta"),
            ).segments
            self._lines = [
                Strip([Segment(segment.text, base + segment.style)], width) for segment in segments
            ]
            self._lines_key = key
        return self._lines[y] if y < len(self._lines) else Strip.blank(width)


class ModelRows(ScrollView, can_focus=True):
    """Rows of a long list; one is highlighted; Enter (via the screen) or a click picks it."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"model-rows--row", "model-rows--highlighted"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    class Picked(Message):
        """A row was clicked: the screen picks what it shows."""

        def __init__(self, rows: ModelRows, index: int) -> None:
            super().__init__()
            self.rows = rows
            self.index = index

        @property
        def control(self) -> ModelRows:
            return self.rows

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._count = 0
        self._build: RowBuilder = _no_rows
        self._highlighted: int | None = None
        self._strips: dict[tuple[int, object, int], Strip] = {}  # by row, until rows change
        self._rows_drawn: dict[tuple[object, ...], Strip] = {}  # by text, spans, style, width
        self._span_styles: dict[tuple[object, ...], RichStyle] = {}  # style + span styles

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's own property, making a `ListScrollBar` instead of a `ScrollBar`."""
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = ListScrollBar(thickness=self.scrollbar_size_vertical)
            self._vertical_scrollbar.display = False
            self.app._start_widget(self, self._vertical_scrollbar)
        return self._vertical_scrollbar

    @property
    def count(self) -> int:
        """How many rows the list holds (all of them reachable, only a screenful drawn)."""
        return self._count

    @property
    def highlighted(self) -> int | None:
        """The highlighted row, None when the list is empty."""
        return self._highlighted

    def row(self, index: int) -> Content:
        """The content of one row, as drawn."""
        return self._build(index)

    def set_rows(self, count: int, build: RowBuilder, highlighted: int = 0) -> None:
        """Replace every row: `build(n)` makes row `n` when it comes on screen."""
        self._count = count
        self._build = build
        self._strips.clear()
        self._highlighted = min(max(0, highlighted), count - 1) if count else None
        # Not `self.virtual_size = ...`: that reactive lays out the whole screen. The list's size
        # does not depend on its rows; `_scroll_update` re-measures the scrollbar (and asks for a
        # layout itself, through `show_vertical_scrollbar`, only if it appears or disappears).
        self.set_reactive(Widget.virtual_size, Size(self.container_size.width, count))
        self._scroll_update(self.virtual_size)
        self.scroll_to(y=0, animate=False, force=True)
        self._scroll_to_highlight()
        self.refresh()

    def highlight(self, index: int) -> None:
        """Move the highlight to row `index` (clamped) and bring it on screen."""
        if not self._count:
            return
        index = min(max(0, index), self._count - 1)
        previous, self._highlighted = self._highlighted, index
        if previous != index:
            if previous is not None:
                self.refresh_line(previous)
            self.refresh_line(index)
        self._scroll_to_highlight()

    def move(self, delta: int) -> None:
        """Move the highlight by `delta` rows."""
        if self._highlighted is not None:
            self.highlight(self._highlighted + delta)

    def page(self, pages: int) -> None:
        """Move the highlight by whole screenfuls of rows."""
        self.move(pages * max(1, self.scrollable_content_region.height))

    def action_first(self) -> None:
        self.highlight(0)

    def action_last(self) -> None:
        self.highlight(self._count - 1)

    def _scroll_to_highlight(self) -> None:
        index = self._highlighted
        height = self.scrollable_content_region.height
        if index is None or height <= 0:
            return
        top = self.scroll_offset.y
        if index < top:
            self.scroll_to(y=index, animate=False, force=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, force=True)

    def on_resize(self) -> None:
        self._strips.clear()
        self._scroll_to_highlight()  # rows set before the list had a size

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y
        if 0 <= index < self._count:
            event.stop()
            self.highlight(index)
            self.post_message(self.Picked(self, index))

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= self._count:
            return Strip.blank(width, self.get_visual_style("model-rows--row").rich_style)
        if index == self._highlighted:
            style = self.get_visual_style("model-rows--row", "model-rows--highlighted")
        else:
            style = self.get_visual_style("model-rows--row")
        key = (index, style, width)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) >= _CACHED_STRIPS:
                self._strips.clear()
            strip = self._strips[key] = self._render_row(self._build(index), style, width)
        return strip

    def _render_row(self, content: Content, style: VisualStyle, width: int) -> Strip:
        """One row's strip; the same row drawn before (a query typed again after a backspace,
        rows scrolled back into view) comes from a cache keyed by its text and spans."""
        spans = content.spans
        key = (content.plain, tuple(spans), style, width)
        strip = self._rows_drawn.get(key)
        if strip is not None:
            return strip
        text = content.plain
        cuts = sorted(
            {0, len(text), *(span.start for span in spans), *(span.end for span in spans)}
        )
        segments = []
        styles = self._span_styles
        for start, end in pairwise(cuts):
            if start >= end:
                continue
            # Spans in order, later on top: as Content.render combines them, without its
            # general machinery (a style stack and a parse per span per render).
            active = tuple(span.style for span in spans if span.start <= start and end <= span.end)
            rich_style = styles.get((style, active))
            if rich_style is None:
                if len(styles) >= _CACHED_STYLES:
                    styles.clear()
                combined = VisualStyle.combine([style, *map(self._get_style, active)])
                rich_style = styles[(style, active)] = combined.rich_style
            segments.append(Segment(text[start:end], rich_style))
        strip = Strip(segments, content.cell_length).adjust_cell_length(width, style.rich_style)
        if len(self._rows_drawn) >= _CACHED_STRIPS:
            self._rows_drawn.clear()
        self._rows_drawn[key] = strip
        return strip
