"""A yes/no question on top of any screen: deleting a connection, stopping a live answer to
leave it. One screen for every such question, so each asks in the same way."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from craft_tui.untrusted import shown


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y (or its first button) confirms, n or Esc declines. Focus starts on
    the safe answer, so an Enter pressed by habit changes nothing. The question may name
    outside text (a connection's name, a model id): it is shown as text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 60; max-width: 100%; height: auto; border: thick $error; background: $surface;
        padding: 1 2;
    }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(shown(self.question), markup=False)
            with Horizontal():
                yield Button(self.yes_label, id="yes", variant="error", compact=True)
                yield Button(self.no_label, id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
