"""Past conversations: a searchable list; Enter opens one, Delete removes it (asks first)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from craft_tui.untrusted import plain_inline

if TYPE_CHECKING:
    from craft_tui.chat.conversation import Conversation
    from craft_tui.chat.history import HistoryStore

PAGE = 200


class HistoryScreen(ModalScreen[str | None]):
    """Returns the id of the conversation to open, or None."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    HistoryScreen > Vertical {
        width: 90%; max-width: 110; height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HistoryScreen OptionList { height: 1fr; border: none; }
    HistoryScreen .help { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("ctrl+d", "delete", "Delete", priority=True),
        Binding("down", "focus_list", show=False),
    ]

    def __init__(self, store: HistoryStore) -> None:
        super().__init__()
        self._store = store
        self._armed: str | None = None  # id waiting for a second Delete to confirm
        self.deleted: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Conversations", markup=False)
            yield Input(placeholder="Search titles and messages…", id="history-search")
            yield OptionList(id="history-list")
            yield Label(
                "Enter opens · Ctrl+D deletes (press twice) · Esc closes",
                classes="help",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.load("")

    @on(Input.Changed)
    def _search(self, event: Input.Changed) -> None:
        self.load(event.value)

    @work(group="history", exclusive=True, thread=True)
    def load(self, query: str) -> None:
        """Query the store off the event loop (it can hold thousands of conversations)."""
        conversations = self._store.list_conversations(limit=PAGE, offset=0, query=query or None)
        self.app.call_from_thread(self._show, conversations)

    def _show(self, conversations: list[Conversation]) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for conversation in conversations:
            when = str(conversation.updated_at)[:16].replace("T", " ")
            title = conversation.title or "(untitled)"
            # A title is the user's first prompt (or a model's words): text, never markup.
            row = Content.assemble(plain_inline(title), "  ", (when, "dim"))
            options.add_option(Option(row, id=conversation.id))
        if conversations:
            options.highlighted = 0

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    @on(Input.Submitted)
    def _open_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_delete(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id is None:  # every row is a conversation's (see _show)
            return
        if self._armed != option.id:
            self._armed = option.id
            self.notify("Press Ctrl+D again to delete this conversation.")
            return
        self._armed = None
        self._store.delete_conversation(option.id)
        self.deleted.add(option.id)
        options.remove_option(option.id)
        self.notify("Conversation deleted.")
