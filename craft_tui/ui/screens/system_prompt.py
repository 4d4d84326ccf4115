"""A small modal to set the conversation's system prompt.

Saving writes the history database: with `save` given, Ctrl+S awaits it (the caller runs the write
in a thread, e.g. `asyncio.to_thread(session.set_system_prompt, text)`) and the screen closes only
once the prompt is stored; a failed write is said in the screen and the text stays to retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from craft_tui.ui.screens.lifetime import dismiss_if_open, show_or_toast
from craft_tui.ui.widgets.safe_fields import SafeTextArea
from craft_tui.untrusted import shown

Save = Callable[[str | None], Awaitable[object]]


class SystemPromptScreen(ModalScreen[str | None]):
    """Edit the system prompt; Ctrl+S saves, Esc cancels. Empty means the connection's default."""

    DEFAULT_CSS = """
    SystemPromptScreen { align: center middle; }
    SystemPromptScreen > Vertical {
        width: 80%; max-width: 100; height: auto; max-height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    SystemPromptScreen TextArea { height: 10; }
    SystemPromptScreen Horizontal { height: auto; align-horizontal: right; }
    SystemPromptScreen .help { color: $text-muted; }
    SystemPromptScreen #system-error { color: $text-error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, current: str, *, save: Save | None = None) -> None:
        """`save(text)`: stores the prompt (None: the connection's default) off the UI loop."""
        super().__init__()
        self._current = current
        self._save_prompt = save

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("System prompt for this conversation", markup=False)
            yield Label(
                "Leave empty to use the connection's default.", classes="help", markup=False
            )
            yield SafeTextArea(self._current, id="system-text", soft_wrap=True)
            yield Static("", id="system-error", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save (Ctrl+S)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        if self._save_prompt is None:
            self.dismiss(text)
        else:
            self._store(text)

    @work(exclusive=True, group="system-prompt-save", exit_on_error=False)
    async def _store(self, text: str) -> None:
        assert self._save_prompt is not None
        try:
            await self._save_prompt(text.strip() or None)
        except Exception as error:  # the database refused: say so, keep the text to retry
            refusal = f"Not saved: {type(error).__name__}: {error}"
            line = self.query_one
            show_or_toast(
                self, lambda: line("#system-error", Static).update(shown(refusal)), refusal
            )
            return
        dismiss_if_open(self, text)

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()
