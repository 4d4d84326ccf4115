"""Import conversations from a file, from the history list (Ctrl+L there, `history.import`).

The user types a path (Tab completes it with `attach_file.TabCompletion`, the attach key's rule:
`~` and relative paths from the folder craft-tui was started in work as in a shell). Enter reads
and stores the file through `chat/importers/reading.import_file`, the code `craft-tui import`
runs: the kind (a craft-tui JSON export, ChatGPT's `conversations.json`, llm's `logs.db`) is
found from the content, a file that fails half way adds nothing, conversations of another client
imported before are skipped and our own JSON imported again is a copy, as on the command line.

The import runs in a thread, never on the UI loop; while it runs Esc waits for it (the file is
being stored: closing would hide what it added). Success dismisses the screen with the
`ImportResult` (the history list reloads and says what was added); a file that cannot be imported
is one sentence under the field, the path disarmed and shown as text, and the path stays to fix.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from craft_tui.chat.importers.reading import ImportResult
from craft_tui.ui.screens.attach_file import TabCompletion
from craft_tui.ui.widgets.safe_fields import SafeInput
from craft_tui.untrusted import plain_inline, shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.history import HistoryStore


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


class ImportHistoryScreen(ModalScreen[ImportResult | None]):
    """Type a path (Tab completes); Enter imports it, Esc cancels. Dismissed with what was
    imported, or None."""

    DEFAULT_CSS = """
    ImportHistoryScreen { align: center middle; }
    ImportHistoryScreen > Vertical {
        width: 80%; max-width: 110; height: auto; max-height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ImportHistoryScreen .help { color: $text-muted; width: 100%; height: auto; }
    ImportHistoryScreen #import-matches { color: $text-muted; height: auto; max-height: 9; }
    ImportHistoryScreen #import-error { color: $text-error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("tab", "complete", "Complete", priority=True),  # not focus-next: one field
    ]

    def __init__(self, store: HistoryStore, *, base: Path | None = None) -> None:
        """`store`: the history to add to (used in a thread); `base`: where relative paths
        start (the folder craft-tui was started in)."""
        super().__init__()
        self._store = store
        self._base = base or Path.cwd()
        self.importing = False
        self._tab = TabCompletion(self._base)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Import conversations", markup=False)
            yield Label(
                "A craft-tui JSON export, ChatGPT's conversations.json or llm's logs.db "
                "(`llm logs path` shows it): the kind is found from the content.",
                classes="help",
                markup=False,
            )
            yield SafeInput(
                placeholder="path, e.g. ~/Downloads/conversations.json", id="import-path"
            )
            yield Static("", id="import-matches", markup=False)
            yield Static("", id="import-error", markup=False)
            yield Label("Tab completes · Enter imports · Esc closes", classes="help", markup=False)

    @property
    def field(self) -> Input:
        return self.query_one("#import-path", Input)

    def on_mount(self) -> None:
        self.field.cursor_blink = False  # a steady cursor, as in the history list's fields
        self.field.focus()

    def _show(self, *, matches: str = "", error: str = "") -> None:
        """Under the field: the matching names or a line of progress, and the error (both
        already disarmed; shown as plain text, never markup)."""
        self.query_one("#import-matches", Static).update(plain_inline(matches))
        self.query_one("#import-error", Static).update(plain_inline(error))

    @property
    def error(self) -> str:
        """The sentence under the field (what a test or a reader sees)."""
        return str(self.query_one("#import-error", Static).content)

    def action_complete(self) -> None:
        if self.importing:
            return
        matches, error = self._tab.complete(self.field)
        self._show(matches=matches, error=error)

    @on(Input.Changed, "#import-path")
    def _typed(self, event: Input.Changed) -> None:
        if self._tab.typed(event) and not self.importing:
            self._show()

    @on(Input.Submitted, "#import-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.importing:
            return
        typed = event.value.strip()
        if not typed:
            self._show(error="Type the path of the file to import.")
            return
        from craft_tui.chat.attachments import resolve_path  # the attach field's rule

        self._import(resolve_path(typed, self._base))

    @work(exclusive=True, group="import-file", exit_on_error=False)
    async def _import(self, file: Path) -> None:
        from craft_tui.chat.importers import ImportProblem
        from craft_tui.chat.importers.reading import import_file

        self.importing = True
        self.field.disabled = True
        self._show(matches=f"Importing {shown_inline(str(file))}…")
        try:
            result = await asyncio.to_thread(import_file, self._store, file)
        except ImportProblem as problem:  # names the file and what is wrong with it
            self._failed(_sentence(shown_inline(str(problem))))
            return
        except Exception as error:  # the history file (full disk, locked, …): nothing was added
            where = shown_inline(str(file))
            self._failed(_sentence(f"{where} was not imported: {shown_inline(str(error))}"))
            return
        finally:
            self.importing = False
        self.dismiss(result)

    def _failed(self, sentence: str) -> None:
        field = self.field
        field.disabled = False
        field.focus()
        self._show(error=sentence)

    def action_cancel(self) -> None:
        if self.importing:
            self._show(matches="Importing… the file is being stored; this closes when it is done.")
            return
        self.dismiss(None)
