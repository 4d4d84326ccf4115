"""The one-line "new text below ↓" sign at the bottom of the transcript.

Shown while the user reads above an answer that is still streaming (the transcript is not
following the bottom), so text arriving off-screen is never a surprise; gone once they are back
at the bottom. A click takes them there.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Label

TEXT = "new text below ↓"


class NewTextBelow(Label):
    """A sign docked to the bottom of its scrolling parent; `Clicked` asks to go down there."""

    DEFAULT_CSS = """
    NewTextBelow {
        dock: bottom;
        width: 1fr;
        height: 1;
        content-align: center middle;
        background: $accent 30%;
        color: $text;
        text-style: bold;
    }
    """

    class Clicked(Message):
        """The user clicked the sign: show the bottom and follow again."""

    def __init__(self) -> None:
        super().__init__(TEXT, classes="new-text-below", markup=False)
        self.display = False

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Clicked())
