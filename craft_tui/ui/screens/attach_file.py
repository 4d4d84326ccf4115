"""The attach key's question: which file? A path with Tab completion, errors said in place.

Tab completes the typed path as far as the folder's entries agree (a folder gets its `/`) and
lists the entries that match, until the user types again (`TabCompletion`, which the import
screen uses too); `~` and relative paths (from the folder craft-tui was started
in) work as in a shell. Enter loads the file through `chat/attachments.py` (the rule of
`ask -a` too) in a thread, and the screen closes with the attachment; a file that cannot be
attached (missing, a folder, too big, not an image/PDF/text, …) is said under the field and the
path stays to be fixed. Esc closes without attaching. Every name shown is outside text: disarmed.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from craft_tui.chat.attachments import Attachment
from craft_tui.ui.screens.lifetime import dismiss_if_open
from craft_tui.ui.widgets.safe_fields import SafeInput
from craft_tui.untrusted import plain_inline, shown_inline

MAX_LISTED = 8  # matches shown under the field
MAX_SCANNED = 5000  # entries read from one folder: a huge folder must not stall a key press


def complete_path(text: str, base: Path) -> tuple[str, list[str]]:
    """`text` completed as far as the entries of its folder agree, and the names that match
    (folders with a trailing `/`, hidden ones only when the typed name starts with a dot).

    The typed form is kept (`~/Doc` → `~/Documents/`, not the expanded path)."""
    head, slash, prefix = text.rpartition("/")
    typed_folder = head + slash  # what stays as typed
    if slash:
        folder = Path(os.path.expanduser(head or "/"))
    elif text.startswith("~"):
        return (text + "/", []) if text == "~" else (text, [])
    else:
        folder = Path(".")
    if not folder.is_absolute():
        folder = base / folder
    try:
        names: list[str] = []
        with os.scandir(folder) as entries:
            for count, entry in enumerate(entries):
                if count >= MAX_SCANNED:
                    break
                if not entry.name.startswith(prefix):
                    continue
                if entry.name.startswith(".") and not prefix.startswith("."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                names.append(entry.name + ("/" if is_dir else ""))
    except OSError:
        return text, []
    names.sort(key=str.casefold)
    if not names:
        return text, []
    common = os.path.commonprefix(names)  # noqa: RUF071 (names in one folder, by character)
    return typed_folder + common, names


class TabCompletion:
    """Tab completion of a path field, the one rule of the attach and import screens.

    `complete` completes the field's path and says what to show under it; `typed` tells the
    field's `Input.Changed` that the user typed from the one the completion itself caused (the
    field posts Changed for the value Tab set, later: without this the matches just listed
    would be cleared at once)."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self._completed: str | None = None  # the value Tab set, until its Changed arrives

    def complete(self, field: Input) -> tuple[str, str]:
        """Complete `field`'s path (the cursor to its end); return the matches to list under
        it (disarmed, "" for none) and the error ("" for none)."""
        completed, names = complete_path(field.value, self._base)
        if completed != field.value:
            self._completed = completed
            field.value = completed
            field.cursor_position = len(completed)
        if not names:
            return "", "Nothing here starts with that."
        if len(names) == 1 and completed.endswith(names[0]):
            return "", ""  # one match, completed: nothing to list
        listed = [shown_inline(name) for name in names[:MAX_LISTED]]
        if len(names) > MAX_LISTED:
            listed.append(f"… and {len(names) - MAX_LISTED} more")
        return "  ".join(listed), ""

    def typed(self, event: Input.Changed) -> bool:
        """Whether this Changed is the user's own edit (what Tab listed is stale then), not
        the one for the value Tab just set."""
        completed, self._completed = self._completed, None
        return event.value != completed


class AttachFileScreen(ModalScreen[Attachment | None]):
    """Type a path (Tab completes); Enter attaches it, Esc cancels."""

    DEFAULT_CSS = """
    AttachFileScreen { align: center middle; }
    AttachFileScreen > Vertical {
        width: 80%; max-width: 100; height: auto; max-height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    AttachFileScreen .help { color: $text-muted; }
    AttachFileScreen #attach-matches { color: $text-muted; height: auto; max-height: 9; }
    AttachFileScreen #attach-error { color: $text-error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("tab", "complete", "Complete", priority=True),  # not focus-next: one field
    ]

    def __init__(self, protocol: str | None, *, base: Path | None = None) -> None:
        """`protocol`: the connection's (its image limits); `base`: where relative paths start."""
        super().__init__()
        self._protocol = protocol
        self._base = base or Path.cwd()
        self._loading = False
        self._tab = TabCompletion(self._base)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Attach a file: an image, a PDF or a text file", markup=False)
            yield SafeInput(placeholder="path, e.g. ~/Pictures/photo.jpg", id="attach-path")
            yield Static("", id="attach-matches", markup=False)
            yield Static("", id="attach-error", markup=False)
            yield Label("Tab completes · Enter attaches · Esc closes", classes="help", markup=False)

    @property
    def field(self) -> Input:
        return self.query_one("#attach-path", Input)

    def on_mount(self) -> None:
        self.field.focus()

    def _show(self, *, matches: str = "", error: str = "") -> None:
        """Under the field: the matching names or a line of progress, and the error (both hold
        outside text, already disarmed; shown as plain text, never markup)."""
        self.query_one("#attach-matches", Static).update(plain_inline(matches))
        self.query_one("#attach-error", Static).update(plain_inline(error))

    def action_complete(self) -> None:
        matches, error = self._tab.complete(self.field)
        self._show(matches=matches, error=error)

    @on(Input.Changed, "#attach-path")
    def _typed(self, event: Input.Changed) -> None:
        if self._tab.typed(event):
            self._show()

    @on(Input.Submitted, "#attach-path")
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._loading:
            return
        from craft_tui.chat.attachments import AttachmentProblem, load_attachment

        self._loading = True
        self._show(matches="Reading the file…")
        try:
            attachment = await asyncio.to_thread(
                load_attachment, event.value, self._protocol, base=self._base
            )
        except AttachmentProblem as problem:
            error = problem.message + (f" {problem.hint}" if problem.hint else "")
            self._show(error=error)
            return
        finally:
            self._loading = False
        dismiss_if_open(self, attachment)  # Esc during the read has answered already

    def action_cancel(self) -> None:
        self.dismiss(None)
