"""The conversation sidebar: recent conversations beside the transcript on a wide terminal.

Why beside the chat and not only in the history screen (Ctrl+B): on a wide terminal there is
room to see where you are and hop between a few conversations with two keys, as desktop clients
do. It lists what the history lists (pinned first, then newest), one line each; the one open is
marked. Titles are the user's and the models' text: shown as plain text, never markup.

The rows are read from the history in a thread (`refresh_rows`) and the sidebar only posts
`Opened`; the chat screen decides (it asks first when an answer is streaming).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from craft_tui.untrusted import shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.conversation import Conversation
    from craft_tui.chat.history import HistoryStore

SIDEBAR_ROWS = 100  # conversations listed; the history screen (Ctrl+B) has every one
WIDE_COLUMNS = 140  # from this terminal width the sidebar shows unless the user hid it
PIN_MARK = "📌"
OPEN_MARK = "▸"


class ConversationSidebar(Vertical):
    """A list of recent conversations; Enter (or a click) on one posts `Opened`."""

    DEFAULT_CSS = """
    ConversationSidebar {
        dock: left;
        width: 32;
        height: 1fr;
        border-right: vkey $primary 40%;
        display: none;
        &.-shown { display: block; }
        & > Label { padding: 0 1; color: $text-muted; text-style: bold; width: 1fr; }
        & > OptionList {
            height: 1fr; border: none; padding: 0; background: transparent;
            text-wrap: nowrap; text-overflow: ellipsis;
        }
    }
    """

    class Opened(Message):
        """The user chose a conversation in the sidebar."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.current_id: str | None = None
        self.rows: list[Conversation] = []

    def compose(self) -> ComposeResult:
        yield Label("Conversations", markup=False)
        yield OptionList(id="sidebar-list")

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")

    def show(self, shown: bool) -> None:
        self.set_class(shown, "-shown")

    async def refresh_rows(self, store: HistoryStore, current_id: str | None) -> None:
        """Re-read the recent conversations (in a thread) and list them, the open one marked."""
        rows = await asyncio.to_thread(
            store.list_conversations, limit=SIDEBAR_ROWS, pinned_first=True
        )
        self.current_id = current_id
        self.rows = rows
        options = self.query_one(OptionList)
        highlighted = options.highlighted_option.id if options.highlighted_option else None
        options.clear_options()
        options.add_options([self._option(row) for row in rows])
        keep = highlighted if highlighted in {row.id for row in rows} else current_id
        for index, row in enumerate(rows):
            if row.id == keep:
                options.highlighted = index
                break

    def _option(self, conversation: Conversation) -> Option:
        mark = OPEN_MARK if conversation.id == self.current_id else " "
        pin = f"{PIN_MARK} " if conversation.pinned else ""
        title = shown_inline(conversation.title or "(untitled)")
        return Option(Content(f"{mark} {pin}{title}"), id=conversation.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Opened(event.option.id))
