"""Everything about one tool call: its arguments pretty-printed and its whole result.

A tool block in the transcript shows the first 20 lines of a result; this is where the rest is
read. A read-only `TextArea` holds it, so a result of megabytes scrolls without laying out a
widget per line, and text can be selected and copied. The text is disarmed first
(`craft_tui/untrusted.py`): a result holding terminal sequences shows them as characters.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from craft_tui.ui.tool_text import arguments_text, exact_line
from craft_tui.untrusted import shown


def output_text(arguments: str, result: str) -> str:
    """What the view holds: the arguments (as the permission question showed them), the result."""
    pretty, valid = arguments_text(arguments)
    heading = "Arguments" if valid else "Arguments (not valid JSON; shown as written)"
    return f"{heading}\n{pretty}\n\nResult\n{shown(result)}"


class ToolOutputScreen(ModalScreen[None]):
    """One call's arguments and whole result; Esc or q closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "Close")]
    DEFAULT_CSS = """
    ToolOutputScreen { align: center middle; }
    ToolOutputScreen > Vertical {
        width: 100%; max-width: 120; height: 90%; border: round $primary; background: $surface;
        padding: 0 1;
    }
    ToolOutputScreen .tool-output-title { height: 1; text-style: bold; text-wrap: nowrap;
        text-overflow: ellipsis; }
    ToolOutputScreen .tool-output-title.-error { color: $text-error; }
    ToolOutputScreen TextArea, ToolOutputScreen TextArea:focus {
        height: 1fr; border: none; padding: 0;
    }
    ToolOutputScreen .tool-output-help { height: 1; color: $text-muted; }
    """

    def __init__(self, title: str, arguments: str, result: str, *, is_error: bool = False) -> None:
        """`title`: the block's header (already shown as text); `arguments`, `result`: raw."""
        super().__init__()
        self.title_text = title
        self.text = output_text(arguments, result)
        self.is_error = is_error

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(exact_line(self.title_text)),
                classes="tool-output-title -error" if self.is_error else "tool-output-title",
                markup=False,
            )
            yield TextArea(
                self.text,
                read_only=True,
                soft_wrap=True,
                show_line_numbers=False,
                highlight_cursor_line=False,
            )
            yield Static("Esc closes · select text and Ctrl+C copies", classes="tool-output-help")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_close(self) -> None:
        self.dismiss(None)
