"""Past conversations: a searchable list; Enter opens one, Ctrl+D deletes it (asks first, naming
it), Ctrl+Z brings the last one deleted back.

A delete is kept pending while the list is open: the row goes at once, and the conversation is
deleted from the store (in a thread, off the UI loop) when the next delete is confirmed or the list
closes, so Ctrl+Z until then restores it untouched. Keys are remappable (`history.delete`,
`history.undo_delete` in `[settings.keymap]`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from craft_tui.ui.bindings import binding, first_key
from craft_tui.untrusted import plain_inline, shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.conversation import Conversation
    from craft_tui.chat.history import HistoryStore

PAGE = 200
TITLE_SHOWN = 60
"""How much of a title a confirmation or toast quotes."""


def quoted(title: str | None) -> str:
    """A conversation's title for a sentence: one line, disarmed, shortened, in quotes."""
    text = shown_inline(title or "(untitled)")
    if len(text) > TITLE_SHOWN:
        text = text[: TITLE_SHOWN - 1] + "…"
    return f"“{text}”"


class ConversationList(OptionList):
    """The rows: the cursor stops at the first and the last row (it does not wrap around)."""

    def action_cursor_up(self) -> None:
        if self.highlighted is not None and self.highlighted <= 0:
            return
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        if self.highlighted is not None and self.highlighted >= self.option_count - 1:
            return
        super().action_cursor_down()


@dataclass(frozen=True)
class PendingDelete:
    conversation_id: str
    title: str | None


class HistoryScreen(ModalScreen[str | None]):
    """Returns the id of the conversation to open, or None."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    HistoryScreen > Vertical {
        width: 90%; max-width: 110; height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HistoryScreen OptionList { height: 1fr; border: none; }
    HistoryScreen .help { color: $text-muted; width: 100%; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        binding("history.delete", "delete", priority=True),
        binding("history.undo_delete", "undo_delete", priority=True),
        Binding("down", "focus_list", show=False),
    ]

    def __init__(self, store: HistoryStore) -> None:
        super().__init__()
        self._store = store
        self._armed: str | None = None  # id waiting for a second Delete to confirm
        self._titles: dict[str, str | None] = {}
        self._pending: PendingDelete | None = None  # deleted from the list, not yet from the store
        self._reselect: str | None = None  # the row to highlight after the next load
        self._query = ""
        self.deleted: set[str] = set()  # deleted (or about to be, as the list closes)

    def _key(self, binding_id: str) -> str:
        keymap = getattr(self.app, "keymap", None)
        key = first_key(binding_id, keymap if isinstance(keymap, dict) else None)
        return "+".join(part.capitalize() for part in key.split("+"))

    def compose(self) -> ComposeResult:
        delete, undo = self._key("history.delete"), self._key("history.undo_delete")
        with Vertical():
            yield Label("Conversations", markup=False)
            yield Input(placeholder="Search titles and messages…", id="history-search")
            yield ConversationList(id="history-list")
            yield Label(
                f"Enter opens · {delete} twice deletes · {undo} undoes · Esc closes",
                classes="help",
                markup=False,
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.load("")

    @on(Input.Changed)
    def _search(self, event: Input.Changed) -> None:
        self._query = event.value
        self.load(event.value)

    @work(group="history", exclusive=True, thread=True)
    def load(self, query: str) -> None:
        """Query the store off the event loop (it can hold thousands of conversations)."""
        conversations = self._store.list_conversations(limit=PAGE, offset=0, query=query or None)
        self.app.call_from_thread(self._show, conversations)

    def _show(self, conversations: list[Conversation]) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        self._armed = None
        highlight = 0
        for conversation in conversations:
            if conversation.id in self.deleted:  # pending, or its delete still being written
                continue
            if conversation.id == self._reselect:
                highlight = options.option_count
            when = str(conversation.updated_at)[:16].replace("T", " ")
            title = conversation.title or "(untitled)"
            self._titles[conversation.id] = conversation.title
            # A title is the user's first prompt (or a model's words): text, never markup.
            row = Content.assemble(plain_inline(title), "  ", (when, "dim"))
            options.add_option(Option(row, id=conversation.id))
        self._reselect = None
        if options.option_count:
            options.highlighted = highlight

    @on(OptionList.OptionHighlighted)
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id != self._armed:
            self._armed = None  # a confirmation is for the row it named

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    @on(Input.Submitted)
    def _open_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._close(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        self._close(event.option.id)

    def action_dismiss_none(self) -> None:
        self._close(None)

    def _close(self, result: str | None) -> None:
        self._commit_pending()
        self.dismiss(result)

    def on_unmount(self) -> None:
        self._commit_pending()  # closed some other way (the app quitting)

    def action_delete(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        if option.id is None:  # every row is a conversation's (see _show)
            return
        title = quoted(self._titles.get(option.id))
        if self._armed != option.id:
            self._armed = option.id
            self.notify(f"Press {self._key('history.delete')} again to delete {title}.")
            return
        self._armed = None
        self._commit_pending()  # the earlier delete can no longer be undone
        self._pending = PendingDelete(option.id, self._titles.get(option.id))
        self.deleted.add(option.id)
        options.remove_option(option.id)
        self.notify(
            f"Deleted {title} — press {self._key('history.undo_delete')} to undo.", timeout=8
        )

    def action_undo_delete(self) -> None:
        pending = self._pending
        if pending is None:
            self.notify("Nothing to undo: only the last delete, while this list is open.")
            return
        self._pending = None
        self.deleted.discard(pending.conversation_id)
        self._reselect = pending.conversation_id
        self.load(self._query)
        self.notify(f"Restored {quoted(pending.title)}.", timeout=4)

    def _commit_pending(self) -> None:
        """Delete the pending conversation from the store, in a thread the app owns (it outlives
        this screen)."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        app: Any = self.app
        store, notify = self._store, app.notify

        def delete() -> None:
            try:
                store.delete_conversation(pending.conversation_id)
            except Exception as error:  # the store's errors name what failed
                app.call_from_thread(
                    notify,
                    f"{quoted(pending.title)} could not be deleted: {error}",
                    severity="error",
                )

        app.run_worker(delete, thread=True, group="history-delete", exit_on_error=False)
