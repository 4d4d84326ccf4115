"""The find bar (Ctrl+F): words typed here are looked for in every message of the open
conversation, mounted or not; Enter or ↑ goes to the previous (older) match, ↓ to the next,
Esc closes it. The chat screen moves the transcript; this widget only says what was asked."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Static

from craft_tui.ui.widgets.safe_fields import SafeInput


class FindBar(Horizontal):
    """An Input and a "2 of 5" count, docked above the prompt while open."""

    DEFAULT_CSS = """
    FindBar { height: 1; display: none; background: $panel; }
    FindBar.-open { display: block; }
    FindBar > Static.find-label { width: auto; padding: 0 1; color: $text-muted; }
    FindBar > Input { width: 1fr; height: 1; border: none; padding: 0; background: $panel; }
    FindBar > Static.find-count { width: auto; min-width: 12; padding: 0 1; text-align: right; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "step(-1)", "Previous match", show=False),
        Binding("down", "step(1)", "Next match", show=False),
        Binding("escape", "close", "Close", show=False),
    ]

    class Changed(Message):
        """The words to find changed (`query` may be blank)."""

        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class Step(Message):
        """Go to the previous (-1) or next (+1) match."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    class Closed(Message):
        """The bar was closed (Esc)."""

    def compose(self) -> ComposeResult:
        yield Static("Find", classes="find-label", markup=False)
        yield SafeInput(placeholder="words in this conversation", id="find-input", compact=True)
        yield Static("", classes="find-count", markup=False)

    @property
    def input(self) -> Input:
        return self.query_one("#find-input", Input)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        """Show the bar with its words selected, so typing replaces them."""
        self.add_class("-open")
        self.input.focus()
        self.input.select_all()

    def close(self) -> None:
        self.remove_class("-open")

    def show_count(self, position: int | None, total: int) -> None:
        """ "2 of 5", "no match", or nothing for a blank query."""
        count = self.query_one(".find-count", Static)
        if not self.input.value.strip():
            count.update("")
        elif total == 0:
            count.update("no match")
        else:
            count.update(f"{position or 0} of {total}")

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(event.value))

    @on(Input.Submitted, "#find-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Step(-1))

    def action_step(self, step: int) -> None:
        self.post_message(self.Step(step))

    def action_close(self) -> None:
        self.close()
        self.post_message(self.Closed())
