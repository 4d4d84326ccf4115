"""Text fields that never write a control character to the terminal.

Textual's `Input` and `TextArea` draw their text as it is: an ESC in the value reaches the
terminal inside the frame (measured with Textual 8.2: `Input(value="\\x1b]52;…")` renders the
OSC 52 clipboard write byte for byte). Their text is often outside text — a path completed
from a hostile file name, a title or prompt loaded from an import, a message put back for
editing — so every field of the app is one of these.

What is disarmed is the drawing only: each line is rendered as Textual renders it, then any
C0/C1 control, bidi override or line separator in it is drawn as its visible stand-in
(`untrusted.shown_inline`: `␛`, `␇`, …), and the line is cut back to the widget's width. The
value stays exactly what was typed or pasted (a path with an odd character still opens; the
prompt sends what the user wrote). A control character takes no cell in Textual's layout and
its stand-in takes one, so on a line that holds one the cursor is drawn that many cells to
the left of where it edits: the price of never executing the text.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Input, TextArea

from craft_tui.untrusted import shown_inline

# What shown_inline replaces; checked first so a clean line (nearly all) is returned as is.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def disarmed_strip(strip: Strip, width: int) -> Strip:
    """`strip` with every control character drawn as a stand-in, no wider than `width`."""
    if not any(_UNSAFE.search(segment.text) for segment in strip):
        return strip
    segments = [
        Segment(shown_inline(text), style, control) if _UNSAFE.search(text) else segment
        for segment in strip
        for text, style, control in (segment,)
    ]
    return Strip(segments).crop(0, width)


class SafeInput(Input):
    """An `Input` whose drawing never carries a control character (module docstring)."""

    def render_line(self, y: int) -> Strip:
        return disarmed_strip(super().render_line(y), self.size.width)


class SafeTextArea(TextArea):
    """A `TextArea` whose drawing never carries a control character (module docstring)."""

    def render_line(self, y: int) -> Strip:
        return disarmed_strip(super().render_line(y), self.size.width)
