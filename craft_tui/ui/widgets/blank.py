"""Containers that Textual may paint as plain background: cheaper frames while an answer streams.

A container with no border and nothing of its own to draw (the transcript, an answer's body, a
Markdown segment) is still rendered line by line through its styles whenever it is repainted, and
a streaming answer repaints these whole on every write: they grow, and the transcript scrolls.
Textual's public `Widget.BLANK` flag ("enable for very large scrolling containers") draws such a
widget's lines as blank background instead; in the 200 tok/s benchmark that took about a sixth
off the CPU of each frame.

One catch, checked by the NO_COLOR snapshots: Textual hands blank lines to the terminal without
its line filters, so under NO_COLOR (or `TEXTUAL_FILTERS=dim`) a blank widget would keep its
colour. The flag is set per widget, at mount, only when the app runs no filter other than the
ANSI-to-truecolour mapping, which leaves a truecolour background as it is.
"""

from __future__ import annotations

from textual.filter import ANSIToTruecolor
from textual.widget import Widget


def paint_blank_when_unfiltered(widget: Widget) -> None:
    """Let Textual draw `widget`'s own lines as background when no line filter would change them.

    Call from `on_mount` of a container without border or content of its own; its children are
    drawn as usual over those lines.
    """
    unfiltered = all(
        isinstance(line_filter, ANSIToTruecolor) for line_filter in widget.app.get_line_filters()
    )
    # `BLANK` is a class flag that Textual reads from the instance: set it on this one only.
    setattr(widget, "BLANK", unfiltered)  # noqa: B010
