"""Everything about one tool call: its arguments pretty-printed and its whole result.

A tool block in the transcript shows the first 20 lines of a result; this is where the rest is
read. The text is shown by `PlainText` (wrapped lines, only those on screen drawn), because a
tool can return megabytes: a read-only `TextArea` took 14 s to open a 1.2 MB result (25,000
lines, soft wrap, load 11). `c` copies the result as the tool returned it. The text is disarmed
first (`craft_tui/untrusted.py`): a result holding terminal sequences shows them as characters.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from craft_tui.ui.tool_text import arguments_text, exact_line
from craft_tui.ui.widgets.plain_text import PlainText
from craft_tui.untrusted import shown


def output_text(arguments: str, result: str) -> str:
    """What the view holds: the arguments (as the permission question showed them), the result."""
    pretty, valid = arguments_text(arguments)
    heading = "Arguments" if valid else "Arguments (not valid JSON; shown as written)"
    return f"{heading}\n{pretty}\n\nResult\n{shown(result)}"


class ToolOutputScreen(ModalScreen[None]):
    """One call's arguments and whole result; ↑/↓/PageUp/PageDown/Home/End scroll, `c` copies
    the result, Esc or q closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("c", "copy", "Copy result"),
    ]
    DEFAULT_CSS = """
    ToolOutputScreen { align: center middle; }
    ToolOutputScreen > Vertical {
        width: 100%; max-width: 120; height: 90%; border: round $primary; background: $surface;
        padding: 0 1;
    }
    ToolOutputScreen .tool-output-title { height: 1; text-style: bold; text-wrap: nowrap;
        text-overflow: ellipsis; }
    ToolOutputScreen .tool-output-title.-error { color: $text-error; }
    ToolOutputScreen VerticalScroll { height: 1fr; scrollbar-size-vertical: 1; }
    ToolOutputScreen .tool-output-help { height: 1; color: $text-muted; }
    """

    def __init__(self, title: str, arguments: str, result: str, *, is_error: bool = False) -> None:
        """`title`: the block's header (already shown as text); `arguments`, `result`: raw."""
        super().__init__()
        self.title_text = title
        self.result = result
        self.text = output_text(arguments, result)
        self.is_error = is_error

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(exact_line(self.title_text)),
                classes="tool-output-title -error" if self.is_error else "tool-output-title",
                markup=False,
            )
            with VerticalScroll():
                yield PlainText(self.text, notice=False)
            yield Static("Esc closes · c copies the result", classes="tool-output-help")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_copy(self) -> None:
        """The result exactly as the tool returned it (OSC 52 carries it base64-encoded, so
        nothing in it reaches the terminal as a control)."""
        self.app.copy_to_clipboard(self.result)
        self.notify("Result copied", timeout=2)

    def action_close(self) -> None:
        self.dismiss(None)
