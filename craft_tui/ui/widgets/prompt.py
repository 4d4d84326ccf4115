"""The prompt box: multi-line, Enter sends, Ctrl+J (or Shift+Enter where it arrives) adds a line,
↑ in an empty prompt recalls the last thing sent.

A paste that is exactly one or more existing files (what a terminal pastes when a file is dropped
on it: `chat/attachments.py dropped_paths`) is not typed in: `FilesDropped` offers the files to
the screen, which asks whether to attach them or paste the text (`insert_pasted`). With files
attached (the screen's `AttachmentChips`), Enter sends even with no text."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import BindingType
from textual.message import Message

from craft_tui.ui.bindings import binding
from craft_tui.ui.widgets.safe_fields import SafeTextArea
from craft_tui.untrusted import shown

if TYPE_CHECKING:
    from pathlib import Path

NEWLINE_KEYS = frozenset({"ctrl+j", "newline", "shift+enter"})


class PromptArea(SafeTextArea):
    """A TextArea that sends on Enter. Keeps what was sent so ↑ can bring it back."""

    BINDINGS: ClassVar[list[BindingType]] = [binding("clear_prompt", "clear_prompt")]

    DEFAULT_CSS = """
    PromptArea {
        height: auto;
        min-height: 3;
        max-height: 12;
    }
    """

    class Submitted(Message):
        """The user pressed Enter with something to send."""

        def __init__(self, prompt: PromptArea, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    class FilesDropped(Message):
        """A paste that names existing files only: `paths` to attach, `text` as pasted."""

        def __init__(self, prompt: PromptArea, paths: list[Path], text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.paths = paths
            self.text = text

    def __init__(self, *, id: str | None = None) -> None:
        # A steady cursor: a blinking one wakes the app twice a second forever (CPU when idle).
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.cursor_blink = False
        self.sent: list[str] = []
        self._recall_index: int | None = None

    def load_text(self, text: str) -> None:
        """Put `text` in the prompt (recall, edit) as it will be shown and sent: disarmed."""
        super().load_text(shown(text))

    def on_paste(self, event: events.Paste) -> None:
        """Pasted text goes in disarmed: a copied web page can hide an escape sequence, and what
        the prompt shows must be what is sent. (Runs before TextArea's own paste handler, which
        `prevent_default` skips.)"""
        if self.read_only:
            return
        event.prevent_default()
        from craft_tui.chat.attachments import dropped_paths

        paths = dropped_paths(event.text)
        if paths:
            self.post_message(self.FilesDropped(self, paths, event.text))
            return
        self.insert_pasted(event.text)

    def insert_pasted(self, text: str) -> None:
        """Put pasted text in at the cursor (over the selection), disarmed."""
        result = self.replace(shown(text), *self.selection)
        self.move_cursor(result.end_location)

    def on_key(self, event: events.Key) -> None:
        """Enter sends, the newline keys break the line, ↑ on the first line recalls; other keys
        go on to the text area (this handler runs before TextArea's own)."""
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._submit()
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        if event.key == "up" and self._recall():
            event.stop()
            event.prevent_default()
            return
        self._recall_index = None

    def _submit(self) -> None:
        text = self.text
        if not text.strip() and not self._files_attached():
            return
        self.post_message(self.Submitted(self, text))

    def _files_attached(self) -> bool:
        """True when the screen has files attached to the next prompt (they may go alone)."""
        from craft_tui.ui.widgets.attachment_chips import AttachmentChips

        return any(chips for chips in self.screen.query(AttachmentChips))

    def action_clear_prompt(self) -> None:
        """Empty the prompt in one key (Ctrl+L); the text area's own undo (Ctrl+Z) brings it
        back, since the clearing is one edit like any other."""
        if self.text:
            self.replace("", self.document.start, self.document.end)
            self._recall_index = None

    def remember(self, text: str) -> None:
        """Record a sent prompt for ↑ recall (the screen calls this once it is accepted)."""
        if not self.sent or self.sent[-1] != text:
            self.sent.append(text)
        self._recall_index = None

    def _recall(self) -> bool:
        """↑ in an empty prompt (or while paging through recalls) loads the previous prompt."""
        if not self.sent:
            return False
        if self._recall_index is None:
            if self.text:
                return False
            index = len(self.sent) - 1
        else:
            if self.cursor_location[0] != 0:
                return False
            index = max(0, self._recall_index - 1)
        self._recall_index = index
        self.load_text(self.sent[index])
        self.move_cursor(self.document.end)
        return True
