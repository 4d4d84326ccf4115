"""A finished part of a streaming answer, shown as the lines it rendered to, without its widgets.

Every Markdown block is a widget (a table is dozens), and Textual lays out and walks every mounted
widget on each update. While an answer streams, the finished part never changes, so it is rendered
once to lines (strips) and shown by one widget; the Markdown widgets come back ("thaw") when they
are needed again: when the width changes, the theme changes, or the answer is finished and the
segment is on screen (links and text selection need the real widgets).
"""

from __future__ import annotations

from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget


class FrozenSegment(Widget):
    """Rendered lines of a closed segment, with the Markdown source they came from."""

    ALLOW_SELECT = False  # no text behind the lines; selection works again once thawed

    DEFAULT_CSS = """
    FrozenSegment { height: auto; }
    """

    def __init__(self, source: str, strips: list[Strip], theme: str, bottom_margin: int) -> None:
        super().__init__()
        self.source = source
        self.bottom_margin = bottom_margin  # of its last block, included in the lines
        self._strips = strips
        self._theme = theme
        self.thaw_when_seen = False
        self._thaw_requested = False
        self.styles.height = len(strips)

    @property
    def width(self) -> int:
        """The width the lines were rendered at."""
        return self._strips[0].cell_length if self._strips else 0

    def render_line(self, y: int) -> Strip:
        if not self._thaw_requested and (self.thaw_when_seen or self.app.theme != self._theme):
            # On screen now: bring the real widgets back after this frame (same lines meanwhile).
            self._thaw_requested = True
            self.post_message(self.ThawRequest(self))
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)

    class ThawRequest(Message):
        """The segment is on screen and should be real widgets again."""

        def __init__(self, segment: FrozenSegment) -> None:
            super().__init__()
            self.segment = segment
