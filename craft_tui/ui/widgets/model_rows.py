"""A list of one-line rows drawn a screenful at a time: the model picker's list of matches.

Why not `OptionList`: the picker replaces every row on each keystroke, and an OptionList then
rebuilds its options and line cache, and relays out the whole screen (its virtual size is a
layout reactive). This list is a row count and a function that builds row `n`; only the rows on
screen are built, each straight into one strip, cached until the rows change. Its size comes from
CSS, so a new count only re-measures the scrollbar: the screen is laid out again only when the
scrollbar appears or disappears. Without a border of its own (the picker puts one on a frame
around it), the list hands finished lines to the compositor, skipping Textual's per-line pipeline;
so does its scrollbar (`ListScrollBar`), drawn from its segments instead of a Rich console render.
Measured on 5,000 models at 160x48 (benchmarks/bench_picker.py): ~22 ms of screen work per
keystroke with the OptionList, ~8 ms with this list.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import ClassVar

from rich.cells import cell_len
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

from craft_tui.ui.textual_private import (
    custom_vertical_scrollbar,
    inner_style,
    remeasure_scrollbars,
    span_style,
)

RowBuilder = Callable[[int], Content]

_CACHED_STRIPS = 400  # rendered rows kept (a few screenfuls of scrolling back and forth)
_CACHED_STYLES = 200  # combinations of a row style and its spans' styles (a handful in practice)


def _no_rows(index: int) -> Content:
    return Content("")


def cut_middle(text: str, width: int) -> tuple[str, int, int]:
    """`text` in at most `width` cells: whole when it fits, else its start, `…` and its end.

    Ids of one family share a long start and differ at the end (`…-sonnet-20241022` and
    `…-sonnet-20240620`): cut at the end, two rows read the same. The end gets the larger share.
    Returns the text shown and where it came from: characters before `head` and from `tail` on
    (`head == tail == len(text)` when nothing was cut)."""
    if cell_len(text) <= width:
        return text, len(text), len(text)
    room = max(0, width - 1)
    head_room = room * 2 // 5
    head = 0
    used = 0
    while head < len(text) and used + cell_len(text[head]) <= head_room:
        used += cell_len(text[head])
        head += 1
    tail = len(text)
    used = 0
    while tail > head and used + cell_len(text[tail - 1]) <= room - head_room:
        tail -= 1
        used += cell_len(text[tail])
    return text[:head] + "…" + text[tail:], head, tail


class ListScrollBar(ScrollBar):
    """A vertical scrollbar drawn from its segments, made once per thumb position and size.

    Textual's `ScrollBar` renders a Rich renderable through a console, then each line through the
    widget line pipeline, on every change; the list's thumb moves on every keystroke (the match
    count changes), and that cost ~2 ms each time. A bar has no border, padding or tint, so its
    lines go straight out, through the app's line filters like any line.
    """

    def __init__(self, *, thickness: int) -> None:
        super().__init__(vertical=True, name="vertical", thickness=thickness)
        self._lines_key: tuple[object, ...] | None = None
        self._lines: list[Strip] = []

    def render_lines(self, crop: Region) -> list[Strip]:
        bar = self.render()
        if not isinstance(bar, ScrollBarRender) or not isinstance(bar.style, RichStyle):
            return super().render_lines(crop)  # a renderer of another kind: Textual's path
        background = self.background_colors[1]
        filters = self.get_line_filters()
        lines = []
        for line in self._bar_lines(bar)[crop.y : crop.bottom]:
            for line_filter in filters:
                line = line.apply_filter(line_filter, background)
            lines.append(line.crop(crop.x, crop.right))
        return lines

    def _bar_lines(self, bar: ScrollBarRender) -> list[Strip]:
        width, height = self.size
        style = bar.style
        assert isinstance(style, RichStyle)
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
        return self._lines


class ModelRows(ScrollView, can_focus=True):
    """Rows of a long list; one is highlighted; Enter (via the screen) or a click picks it."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "model-rows--row",
        "model-rows--highlighted",
        "model-rows--hover",
    }
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
        self._hover: int | None = None  # the row under the mouse
        self._strips: dict[tuple[object, ...], Strip] = {}  # by row, until rows change
        self._rows_drawn: dict[tuple[object, ...], Strip] = {}  # by text, spans, style, width
        self._span_styles: dict[tuple[object, ...], RichStyle] = {}  # style + span styles

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's own property, making a `ListScrollBar` instead of a `ScrollBar`."""
        return custom_vertical_scrollbar(
            self, lambda: ListScrollBar(thickness=self.scrollbar_size_vertical)
        )

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
        # does not depend on its rows; `remeasure_scrollbars` re-measures the scrollbar (and asks for a
        # layout itself, through `show_vertical_scrollbar`, only if it appears or disappears).
        self.set_reactive(Widget.virtual_size, Size(self.container_size.width, count))
        remeasure_scrollbars(self, self.virtual_size)
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

    def on_mouse_move(self, event: events.MouseMove) -> None:
        offset = event.get_content_offset(self)
        index = None if offset is None else self.scroll_offset.y + offset.y
        self._set_hover(index if index is not None and 0 <= index < self._count else None)

    def on_leave(self) -> None:
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        """Mark the row under the mouse (what a click would pick)."""
        if index != self._hover:
            for row in (self._hover, index):
                if row is not None:
                    self.refresh_line(row)
            self._hover = index

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y
        if 0 <= index < self._count:
            event.stop()
            self.highlight(index)
            self.post_message(self.Picked(self, index))

    def render_lines(self, crop: Region) -> list[Strip]:
        """Lines go straight out when the list has no border, outline, top or bottom padding,
        tint or opacity (the picker draws its border on a frame around it). Textual's line
        pipeline pads, borders and filters every row again on every frame, about half the cost of
        a keystroke's frame; here a row drawn before is reused as it was, filters included."""
        styles = self.styles
        padding = styles.padding
        if (
            padding.top
            or padding.bottom
            or any(edge for edge, _ in styles.border)
            or any(edge for edge, _ in styles.outline)
            or styles.tint.a
            or styles.text_opacity != 1.0
            or self.opacity != 1.0
            or (styles.has_rule("hatch") and styles.hatch != "none")
        ):
            return super().render_lines(crop)
        base_background, background = self.background_colors
        inner = inner_style(self, base_background, background)
        layout = (self.content_region.width, padding.left, padding.right, inner)
        filters = self.get_line_filters()
        lines = []
        for y in crop.line_range:
            line = self._line(y, layout)
            for line_filter in filters:
                line = line.apply_filter(line_filter, background)
            lines.append(line.crop(crop.x, crop.right))
        return lines

    def render_line(self, y: int) -> Strip:
        """One row for Textual's line pipeline (used when the fast path of `render_lines` is not)."""
        return self._line(y, (self.scrollable_content_region.width, 0, 0, None))

    def _line(self, y: int, layout: tuple[int, int, int, RichStyle | None]) -> Strip:
        """Line `y` of the list's content, laid out as `layout` says: (content width, left and
        right padding, the style of the padding; None: the row alone, as wide as the rows)."""
        index = self.scroll_offset.y + y
        if index == self._highlighted:
            style = self.get_visual_style("model-rows--row", "model-rows--highlighted")
        elif index == self._hover and index < self._count:
            style = self.get_visual_style("model-rows--row", "model-rows--hover")
        else:
            style = self.get_visual_style("model-rows--row")
        key = (index, style, layout)
        line = self._strips.get(key)
        if line is None:
            if len(self._strips) >= _CACHED_STRIPS:
                self._strips.clear()
            content = self._build(index) if index < self._count else None
            line = self._strips[key] = self._render_row(content, style, layout)
        return line

    def _render_row(
        self,
        content: Content | None,
        style: VisualStyle,
        layout: tuple[int, int, int, RichStyle | None],
    ) -> Strip:
        """One row's line (None: a blank row). The same row drawn before (a query typed again
        after a backspace, rows scrolled back into view) comes from a cache keyed by its text and
        spans, so its filtered form (cached on the strip by Textual) is reused too."""
        text = "" if content is None else content.plain
        spans = [] if content is None else content.spans
        key = (text, tuple(spans), style, layout)
        strip = self._rows_drawn.get(key)
        if strip is not None:
            return strip
        content_width, pad_left, pad_right, inner = layout
        row_width = self.scrollable_content_region.width if inner is not None else content_width
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
                combined = VisualStyle.combine(
                    [style, *(span_style(self, span) for span in active)]
                )
                rich_style = styles[(style, active)] = combined.rich_style
            segments.append(Segment(text[start:end], rich_style))
        cells = content.cell_length if content is not None else 0
        strip = Strip(segments, cells).adjust_cell_length(row_width, style.rich_style)
        if inner is not None:  # as Textual's pipeline would: fill, then padding, in `inner`
            strip = Strip(
                [
                    Segment(" " * pad_left, inner),
                    *strip.adjust_cell_length(content_width, inner),
                    Segment(" " * pad_right, inner),
                ],
                pad_left + content_width + pad_right,
            )
        if len(self._rows_drawn) >= _CACHED_STRIPS:
            self._rows_drawn.clear()
        self._rows_drawn[key] = strip
        return strip
