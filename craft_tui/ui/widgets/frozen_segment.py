"""Part of a streaming answer shown as the lines it renders to, without its widgets on screen.

Every Markdown block is a widget (a table is dozens), and Textual lays out and walks every mounted
widget on each update. While an answer streams, the finished part never changes, so it is rendered
once to lines (strips) and shown by one widget; the live part is drawn as lines too, redrawn on
each write from its hidden widgets (`markdown_lines.py`). The Markdown widgets come back ("thaw")
when they are needed again: when the width changes, the theme or the colours around the lines
change (they are baked into the lines: a message focused from the keyboard is tinted), or, once
the answer is
finished, when the mouse moves over the segment (selecting its text needs the real widgets).
Nothing else needs them: a click on a link in the lines is handled here (`action_link`), and
copying, finding and exporting read the source.
Thawing every segment that came on screen used to be most of the work after an answer ended
(rebuilding and laying out its blocks: ~0.9 CPU-s after a 2,000-token answer at full speed),
for lines that looked the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.color import Color
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.widgets import Markdown

    from craft_tui.ui.widgets.style_probe import Drawn


class FrozenSegment(Widget):
    """Rendered lines of a closed segment, with the Markdown source they came from."""

    ALLOW_SELECT = False  # no text behind the lines; selection works again once thawed

    DEFAULT_CSS = """
    FrozenSegment { height: auto; }
    """

    def __init__(
        self,
        source: str,
        strips: list[Strip],
        theme: str,
        bottom_margin: int,
        drawn_on: tuple[Color, Color, Color, Color] | None = None,
    ) -> None:
        """`drawn_on`: the `colors` of the answer body the lines were drawn in (their background
        is baked in); None to take them from the body when they are first shown."""
        super().__init__()
        self._drawn_on = drawn_on
        self.source = source
        self.bottom_margin = bottom_margin  # of its last block, included in the lines
        self._strips = strips
        self._theme = theme
        self.thaw_on_pointer = False  # the answer is finished: the mouse brings the widgets back
        self._thaw_requested = False
        # The hidden Markdown these lines were drawn from, when it was kept: thawing shows it
        # again instead of building the same widgets a second time.
        self.widgets: Markdown | None = None
        self.styles.height = len(strips)

    def show(self, strips: list[Strip], theme: str, bottom_margin: int) -> None:
        """Show new lines (the live segment grew, or was redrawn for a new theme or width)."""
        self._strips = strips
        self._theme = theme
        self._drawn_on = self._surroundings()
        self._thaw_requested = False
        self.bottom_margin = bottom_margin
        self.styles.height = len(strips)
        self.refresh()

    def _surroundings(self) -> tuple[Color, Color, Color, Color] | None:
        """The colours the lines are drawn on: the answer body's (its ancestors' blended)."""
        parent = self.parent
        return parent.colors if isinstance(parent, Widget) else None

    @property
    def width(self) -> int:
        """The width the lines were rendered at."""
        return self._strips[0].cell_length if self._strips else 0

    def _request_thaw(self) -> None:
        """Bring the real widgets back after this frame (the same lines meanwhile)."""
        if not self._thaw_requested:
            self._thaw_requested = True
            self.post_message(self.ThawRequest(self))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """The pointer moved over the lines: a selection or a click is likely next. (Not on
        Enter: Textual sends that when the widget under a resting pointer changes, so wheel
        scrolling through a conversation would rebuild every answer passing under it.)"""
        if self.thaw_on_pointer:
            self._request_thaw()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if self.thaw_on_pointer:  # (a press without a move first)
            self._request_thaw()

    def action_link(self, href: str) -> None:
        """A click on a link in these lines (their styles carry Textual's `link` action): the
        same as on the widgets, so links work while an answer streams too."""
        from craft_tui.ui.widgets.markdown_blocks import copy_link  # (loaded with Markdown)

        copy_link(self, href)

    def render_lines(self, crop: Region) -> list[Strip]:
        """On screen now: lines drawn for another theme, or on other colours (the message was
        focused or marked), are stale; the real widgets come back and draw them anew."""
        if self._drawn_on is None:
            self._drawn_on = self._surroundings()
        if self.app.theme != self._theme or self._surroundings() != self._drawn_on:
            self._request_thaw()
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)

    class ThawRequest(Message):
        """The segment is on screen and should be real widgets again."""

        def __init__(self, segment: FrozenSegment) -> None:
            super().__init__()
            self.segment = segment


class DrawnSegment(FrozenSegment):
    """An answer loaded whole, shown as lines drawn from its source alone (`style_probe.py`):
    its Markdown widgets are never mounted unless it thaws (the mouse over it, other colours
    around it, or a width its lines cannot be drawn at).

    The lines are drawn when the layout measures the segment at a new width, so the answer has
    its final height in the very layout that first places it (scrolling to a found message
    lands on it), and again when the theme changes."""

    def __init__(
        self, source: str, draw: Callable[[int], Drawn | None], *, thaw_on_pointer: bool = True
    ) -> None:
        """`thaw_on_pointer`: False for a streaming answer's segment (`AnswerBody.finish`
        sets it), whose widgets are not needed before it is done."""
        super().__init__(source, [], "", 0)
        self.styles.clear_rule("height")  # measured by drawing (`get_content_height`)
        self.thaw_on_pointer = thaw_on_pointer
        self._draw = draw
        self._drawn_at = 0  # the width the lines were drawn at

    def changed(self) -> None:
        """What `draw` draws has changed (a streaming answer's live segment grew): drawn again
        by the next layout, once however many changes came before it."""
        self._drawn_at = 0
        self.refresh(layout=True)

    def set_drawer(self, draw: Callable[[int], Drawn | None]) -> None:
        """Draw with `draw` from now on (at a new width or theme); the lines stay until then."""
        self._draw = draw

    def _redraw(self, width: int) -> bool:
        """Draw the lines at `width` unless they are drawn there for this theme; False (and a
        thaw asked for) when they cannot be drawn exactly."""
        if (width, self.app.theme) == (self._drawn_at, self._theme) or width <= 0:
            return True
        drawn = self._draw(width)
        if drawn is None:
            self._request_thaw()
            return False
        self._strips, self.bottom_margin, self._theme, self._drawn_on = drawn
        self._drawn_at = width
        # (Asked for after this layout: a refresh in the middle of one rebuilds the screen's
        # map of every widget.)
        self.call_later(self.refresh)
        return True

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._redraw(width)
        return len(self._strips)

    def render_lines(self, crop: Region) -> list[Strip]:
        """A new theme redraws the lines (the same height: wrapping does not change); other
        colours around them bring the real widgets back (`FrozenSegment`)."""
        if self.app.theme != self._theme:
            height = len(self._strips)
            if self._redraw(self._drawn_at) and len(self._strips) != height:
                self.refresh(layout=True)
        return super().render_lines(crop)
