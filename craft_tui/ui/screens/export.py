"""Export the open conversation to a file the user names ("Export conversation…" in the palette).

The path starts as the title, made a safe file name, in the user's downloads (else documents)
folder; a name ending in `.json` gets every branch as JSON (for `craft-tui import`), any other
Markdown of the branch on screen. The file is made 0600 and an existing one is never replaced
unasked: the first Enter says it exists, a second Enter on the same path replaces it. Reading
the history and writing the file run in a thread, never on the UI loop; a failure is said in
the screen (disarmed: the path and the error are outside text) and the path stays to fix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from craft_tui.ui.screens.lifetime import closed_meanwhile, dismiss_if_open, show_or_toast
from craft_tui.ui.widgets.safe_fields import SafeInput
from craft_tui.untrusted import shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.history import HistoryStore


def export_format(path: Path) -> str:
    """ "json" for a name ending in .json, else "md"."""
    return "json" if path.suffix.lower() == ".json" else "md"


class ExportScreen(ModalScreen[Path | None]):
    """Type a path, Enter exports; Esc cancels. Dismissed with the path written."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 80%; max-width: 110; height: auto;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ExportScreen .help { color: $text-muted; }
    ExportScreen #export-error { color: $text-error; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, conversation_id: str, title: str, history: Callable[[], HistoryStore]
    ) -> None:
        """`history()` returns the store (it may open it: called in a thread)."""
        super().__init__()
        self._conversation_id = conversation_id
        self._title = title
        self._history = history
        self._replace: Path | None = None  # the path the user was told exists

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export conversation", markup=False)
            yield Label(
                "Ends in .json: every branch as JSON (craft-tui import takes it back); "
                "otherwise Markdown of what is on screen.",
                classes="help",
                markup=False,
            )
            yield SafeInput(id="export-path", placeholder="path of the file to write")
            yield Static("", id="export-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._fill_default()

    @work(exclusive=True, group="export-default", exit_on_error=False)
    async def _fill_default(self) -> None:
        from craft_tui.chat.export import default_folder, file_name

        folder = await asyncio.to_thread(default_folder)
        if closed_meanwhile(self):
            return
        field = self.query_one(Input)
        if not field.value:  # the user has not started typing
            field.value = str(folder / file_name(self._title, "md"))
            field.cursor_position = len(field.value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        if not typed:
            self._say("Type the path of the file to write.")
            return
        self._export(Path(typed).expanduser())

    @on(Input.Changed, "#export-path")
    def _changed(self) -> None:
        self._replace = None
        self._say("")

    def _say(self, text: str) -> None:
        """Show `text` under the path; once the screen has closed (Esc while the file was being
        written), as a toast, so a failure still reaches the person."""
        line = self.query_one
        show_or_toast(self, lambda: line("#export-error", Static).update(shown_inline(text)), text)

    @work(exclusive=True, group="export-write", exit_on_error=False)
    async def _export(self, path: Path) -> None:
        from craft_tui.chat.export import default_folder, export_text, write_new_file

        force = self._replace == path

        def write() -> tuple[Path, int]:
            target = path if path.is_absolute() else default_folder() / path
            text, count = export_text(self._history(), self._conversation_id, export_format(path))
            write_new_file(target, text, force=force)
            return target, count

        try:
            target, count = await asyncio.to_thread(write)
        except FileExistsError:
            self._replace = path
            self._say(f"{path} exists already. Press Enter again to replace it.")
            return
        except Exception as error:  # a folder that is not there, a full disk, the database
            self._say(f"Not exported: {error}")
            return
        plural = "" if count == 1 else "s"
        self.app.notify(f"Exported {count} message{plural} to {target}", timeout=4)
        dismiss_if_open(self, target)
