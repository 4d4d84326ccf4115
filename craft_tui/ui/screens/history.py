"""Past conversations: a searchable list; Enter opens one, F2 renames it, Ctrl+T pins it,
Ctrl+D deletes it (asks first, naming it), Ctrl+Z brings the last one deleted back, Ctrl+L
imports conversations from a file (ui/screens/import_history.py; the list then shows them).

Rows: pinned conversations first (★), then newest first; each row shows the title, then the
conversation's tokens and cost (every answer of every branch, summed by the store in SQL;
the tokens are the whole prompts plus the output, and local and unknown prices are, as
`chat/usage.py` says for the CLI too) and when it was last touched, in columns.
Rename opens a field holding the title: Enter saves, Esc cancels, an empty title gives back the
one made from the first prompt. A title is the user's (or a model's) text: shown as text, never
markup, and the field is filled with it disarmed.

Typing searches: conversations whose title holds the words, and every message holding them
(the store's full-text search, newest first). Each matching message is a row under its
conversation's, showing a snippet with the words marked; Enter on it opens the conversation on the
branch holding that message, scrolled to it (`opened_at` tells the chat screen which message).
A snippet is the user's or a model's text: it is shown disarmed, and the match is a style on spans
of it, never markup.

A delete is kept pending while the list is open: the row goes at once, and the conversation is
deleted from the store (in a thread, off the UI loop) when the next delete is confirmed or the list
closes, so Ctrl+Z until then restores it untouched. Keys are remappable (`history.delete`,
`history.undo_delete`, `history.rename`, `history.pin`, `history.import` in `[settings.keymap]`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerCancelled, WorkerFailed, get_current_worker

from craft_tui.chat.history import ConversationFigures, NotFoundError
from craft_tui.ui.bindings import binding, first_key
from craft_tui.ui.screens.lifetime import closed_meanwhile
from craft_tui.ui.widgets.safe_fields import SafeInput
from craft_tui.untrusted import plain_inline, shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.conversation import Conversation
    from craft_tui.chat.history import HistoryStore, SearchHit, SearchResults
    from craft_tui.chat.importers.reading import ImportResult
    from craft_tui.chat.usage import CachedInInput, IsLocal
    from craft_tui.ui.screens.chat import ChatScreen

PAGE = 200
HITS = 100
"""Matching messages listed for one query (newest first)."""
MATCH_STYLE = "bold reverse"
"""How a matched word stands out in a snippet (readable without colour too)."""
HIT_PREFIX = "hit:"
TITLE_SHOWN = 60
"""How much of a title a confirmation or toast quotes."""
PIN_MARK = "★ "
COST_WIDTH = 10  # "≥$0.001234"
MIN_TITLE = 20
"""The title keeps at least this much of a row: narrower lists drop detail from the columns."""


@dataclass(frozen=True)
class Columns:
    """The columns after a row's title, for one width of the list."""

    tokens: int  # width of the token count ("12.3k tok", or "12.3k" without the unit); 0: none
    when: str  # strftime format of the last activity, "" for none

    @property
    def width(self) -> int:
        when = len(datetime(2026, 12, 31, 23, 59).strftime(self.when)) if self.when else 0
        return sum(2 + w for w in (self.tokens, COST_WIDTH, when) if w)


LAYOUTS = (
    Columns(10, "%Y-%m-%d %H:%M"),
    Columns(10, "%m-%d %H:%M"),
    Columns(6, "%m-%d"),
    Columns(0, "%m-%d"),
    Columns(0, ""),
)
"""Widest first: the first that leaves the title MIN_TITLE cells is used (the last one else)."""


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


class RenameField(SafeInput):
    """The title being edited: Enter saves (Input.Submitted), Esc cancels (before the screen's
    Esc closes the list)."""

    class Cancelled(Message):
        pass

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())


@dataclass(frozen=True)
class Renaming:
    conversation_id: str
    shown: str  # what the field was filled with (the title, disarmed)


@dataclass(frozen=True)
class Listing:
    """What the last load found: shown again as it is when the list changes width."""

    conversations: list[Conversation]
    results: SearchResults | None
    figures: dict[str, ConversationFigures]
    is_local: IsLocal
    cached_in_input: CachedInInput


def row_meta(
    figures: ConversationFigures,
    is_local: IsLocal,
    cached_in_input: CachedInInput,
    *,
    unit: bool = True,
) -> tuple[str, str]:
    """A row's tokens and cost columns: `12.3k tok`, and the cost, as `craft-tui history`
    writes them (the tokens are the answers' whole prompts, `chat/usage.py prompt_total`, plus
    their output); blank for a conversation no answer has come to yet."""
    from craft_tui.chat.usage import cost_total, format_tokens, prompt_total

    if not figures.answers:
        return "", ""
    total = cost_total(figures.cost_usd, figures.priced, figures.unpriced, is_local)
    prompt = prompt_total(figures.input_tokens, figures.cache_tokens, cached_in_input)
    tokens = format_tokens(prompt + figures.output_tokens)
    return (f"{tokens} tok" if unit else tokens), str(total)


def fitted(title: str, width: int) -> str:
    """A disarmed one-line title cut to `width` cells (… at the cut) and padded to it."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(title) > width:
        title = set_cell_size(title, width - 1) + "…"
    return set_cell_size(title, width)


@dataclass(frozen=True)
class PendingDelete:
    conversation_id: str
    title: str | None


@dataclass(frozen=True)
class Row:
    """What a row of the list opens: a conversation, or one of its messages (a search hit)."""

    conversation_id: str
    message_id: str | None = None


def _flat(text: str) -> str:
    """A piece of a snippet on one line: runs of whitespace as one space, then disarmed."""
    return shown_inline(re.sub(r"\s+", " ", text))


def snippet_content(snippet: str, matches: Sequence[tuple[int, int]]) -> Content:
    """A snippet as Content with each match styled: the text is cut at the match ranges and each
    piece disarmed on its own, so the styles land on the words the store found (a control
    character or a bidi override becomes a visible stand-in, never markup or a sequence)."""
    pieces: list[Content | tuple[str, str] | str] = []
    at = 0
    for start, end in matches:
        if start < at or end <= start:
            continue  # overlapping or empty: the store never gives one, but never trust it
        pieces.append(_flat(snippet[at:start]))
        pieces.append((_flat(snippet[start:end]), MATCH_STYLE))
        at = end
    pieces.append(_flat(snippet[at:]))
    return Content.assemble(*pieces)


def hit_row(hit: SearchHit) -> Content:
    """A search hit under its conversation's row: who wrote it, then the snippet."""
    who = "you" if hit.role == "user" else "tool" if hit.role == "tool" else "answer"
    return Content.assemble(
        "   ", (f"{who}:", "dim"), " ", snippet_content(hit.snippet, hit.matches)
    )


async def show_message(chat: ChatScreen, opening: Worker[None], message_id: str) -> None:
    """Once `opening` (the chat screen loading a conversation) is done, bring this message into
    view and focus it: where a search hit leads. Nothing happens if another conversation was
    opened meanwhile, or the message is not on the branch shown."""
    with contextlib.suppress(WorkerCancelled, WorkerFailed):
        await opening.wait()
    session = chat.session
    if session is None or not chat.is_mounted:
        return
    transcript = chat.transcript
    index = transcript.index_of(lambda message: getattr(message, "id", None) == message_id)
    view = await transcript.reveal(index) if index is not None else None
    if view is not None:
        view.focus(scroll_visible=False)
        view.scroll_visible(animate=False, top=True)


class HistoryScreen(ModalScreen[str | None]):
    """Returns the id of the conversation to open, or None; `opened_at` is then the message a
    search hit leads to (its branch already made the active one), else None."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    HistoryScreen > Vertical {
        width: 90%; max-width: 110; height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    /* The focused list's border (Textual's) takes two columns: a blank one of the same width
       when unfocused keeps the rows' columns where they were laid out. */
    HistoryScreen OptionList { height: 1fr; border: tall transparent; }
    HistoryScreen .help { color: $text-muted; width: 100%; height: auto; }
    HistoryScreen #history-found { color: $text-muted; width: 100%; height: auto; }

    HistoryScreen #history-rename { display: none; }
    HistoryScreen.-renaming #history-rename { display: block; }
    HistoryScreen.-renaming #history-search { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        binding("history.delete", "delete", priority=True),
        binding("history.undo_delete", "undo_delete", priority=True),
        binding("history.rename", "rename", priority=True),
        binding("history.pin", "pin", priority=True),
        binding("history.import", "import_file", priority=True),
        Binding("down", "focus_list", show=False),
    ]

    def __init__(self, store: HistoryStore) -> None:
        super().__init__()
        self._store = store
        self._armed: str | None = None  # id waiting for a second Delete to confirm
        self._titles: dict[str, str | None] = {}
        self._pending: PendingDelete | None = None  # deleted from the list, not yet from the store
        self._reselect: str | None = None  # the row (option id) to highlight after the next load
        self._pinned: dict[str, bool] = {}
        self._renaming: Renaming | None = None
        self._listing: Listing | None = None
        self._width = 0  # the list's width the rows were laid out for
        self._query = ""
        self._rows: dict[str, Row] = {}  # option id -> what it opens
        self.deleted: set[str] = set()  # deleted (or about to be, as the list closes)
        self.opened_at: str | None = None  # the message a search hit opened the conversation at

    def _key(self, binding_id: str) -> str:
        keymap = getattr(self.app, "keymap", None)
        key = first_key(binding_id, keymap if isinstance(keymap, dict) else None)
        return "+".join(part.capitalize() for part in key.split("+"))

    def _help(self) -> str:
        if self._renaming is not None:
            return "Enter saves · Esc cancels · empty: the title from the first prompt"
        delete, undo = self._key("history.delete"), self._key("history.undo_delete")
        rename, pin = self._key("history.rename"), self._key("history.pin")
        imports = self._key("history.import")
        return (  # two lines, each whole where the list is 70 columns wide or more
            f"Enter opens · {rename} renames · {pin} pins · {imports} imports · Esc closes\n"
            f"{delete} twice deletes · {undo} undoes"
        )

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Conversations", markup=False)
            yield SafeInput(placeholder="Search titles and messages…", id="history-search")
            yield RenameField(
                placeholder="Title (empty: from the first prompt)", id="history-rename"
            )
            yield Label("", id="history-found", markup=False)
            yield ConversationList(id="history-list")
            yield Label(self._help(), id="history-help", classes="help", markup=False)

    def on_mount(self) -> None:
        # A steady cursor, as in the prompt: a blinking one wakes the app twice a second.
        rename = self.query_one("#history-rename", Input)
        rename.cursor_blink = False
        rename.border_title = "Rename"
        field = self.query_one("#history-search", Input)
        field.cursor_blink = False
        field.focus()
        self.query_one("#history-found", Label).display = False
        self.load("")

    @on(Input.Changed, "#history-search")
    def _search(self, event: Input.Changed) -> None:
        self._query = event.value
        self.load(event.value)

    @work(group="history", exclusive=True, thread=True)
    def load(self, query: str) -> None:
        """Query the store off the event loop (it can hold thousands of conversations)."""
        worker = get_current_worker()
        is_local, cached_in_input = self._rules()
        if not query.strip():
            conversations = self._store.list_conversations(limit=PAGE, pinned_first=True)
            figures = self._store.conversation_figures(c.id for c in conversations)
            if not worker.is_cancelled:
                listing = Listing(conversations, None, figures, is_local, cached_in_input)
                self.app.call_from_thread(self._show, listing)
            return
        titled = self._store.list_conversations(limit=PAGE, title=query, pinned_first=True)
        results = self._store.search(query, limit=HITS)
        found = {conversation.id for conversation in titled}
        missing = {hit.conversation_id for hit in results.hits} - found
        # A hit's row shows its conversation's date too: read the few not matched by title.
        others = []
        for conversation_id in sorted(missing):
            with contextlib.suppress(NotFoundError):  # deleted since the search
                others.append(self._store.get_conversation(conversation_id))
        conversations = [*titled, *others]
        figures = self._store.conversation_figures(c.id for c in conversations)
        if not worker.is_cancelled:  # a later keystroke's search replaced this one
            listing = Listing(conversations, results, figures, is_local, cached_in_input)
            self.app.call_from_thread(self._show, listing)

    def _rules(self) -> tuple[IsLocal, CachedInInput]:
        """By the config in use now (never a copy): which connections are local servers, and
        which count cached tokens in their input (`chat/usage.py`, the CLI's rules)."""
        from craft_tui.chat.usage import cached_in_input_check, local_check

        workspace = getattr(self.app, "workspace", None)
        try:
            config = workspace.config if workspace is not None else None
        except Exception:  # not validated yet: every unpriced answer is unknown for this load
            config = None
        return local_check(config), cached_in_input_check(config)

    def _layout(self, options: OptionList, lines: int) -> tuple[Columns, int]:
        """The columns that fit the list's width, and the title's width beside them; `lines`
        is about how many the rows take (a scrollbar will take its columns when they overflow)."""
        region = options.scrollable_content_region
        width = region.width
        if not options.show_vertical_scrollbar and lines > region.height:
            width -= options.styles.scrollbar_size_vertical
        for columns in LAYOUTS:
            if width - columns.width >= MIN_TITLE:
                return columns, width - columns.width
        return LAYOUTS[-1], max(MIN_TITLE, width - LAYOUTS[-1].width)

    def on_resize(self, _event: events.Resize) -> None:
        self.call_after_refresh(self._reflow)

    def _reflow(self) -> None:
        """Lay the rows out again when the list's width changed (the columns follow it)."""
        options = self.query_one(OptionList)
        if self._listing is None or options.scrollable_content_region.width == self._width:
            return
        if options.highlighted is not None:
            self._reselect = options.get_option_at_index(options.highlighted).id
        self._show(self._listing)

    def _show(self, listing: Listing) -> None:
        """The rows: every conversation (no query); else each conversation with a hit, newest
        hit first, its hits under it, then those that match by title alone."""
        if closed_meanwhile(self):  # a search that ended after Esc or Enter closed the screen
            return
        self._listing = listing
        conversations, results = listing.conversations, listing.results
        options = self.query_one(OptionList)
        self._width = options.scrollable_content_region.width
        options.clear_options()
        self._rows = {}
        self._armed = None
        highlight = 0
        by_id = {conversation.id: conversation for conversation in conversations}
        hits: dict[str, list[SearchHit]] = {}
        for hit in results.hits if results is not None else ():
            hits.setdefault(hit.conversation_id, []).append(hit)
        found = len(results.hits) if results is not None else 0
        columns, width = self._layout(options, len(conversations) + 2 * found)  # hits may wrap
        order = [*hits, *(c.id for c in conversations if c.id not in hits)]
        for conversation_id in order:
            conversation = by_id.get(conversation_id)
            if conversation is None or conversation_id in self.deleted:
                continue  # gone since the search, or its delete pending or still being written
            if conversation_id == self._reselect:
                highlight = options.option_count
            figures = listing.figures.get(conversation_id, ConversationFigures())
            self._add_conversation(options, conversation, figures, listing, columns, width)
            for hit in hits.get(conversation_id, ()):
                option_id = HIT_PREFIX + hit.message_id
                if option_id == self._reselect:
                    highlight = options.option_count
                self._rows[option_id] = Row(conversation_id, hit.message_id)
                options.add_option(Option(hit_row(hit), id=option_id))
        self._reselect = None
        self._show_found(results, len(hits))
        if options.option_count:
            options.highlighted = highlight

    def _add_conversation(
        self,
        options: OptionList,
        conversation: Conversation,
        figures: ConversationFigures,
        listing: Listing,
        columns: Columns,
        width: int,
    ) -> None:
        title = conversation.title or "(untitled)"
        self._titles[conversation.id] = conversation.title
        self._pinned[conversation.id] = conversation.pinned
        self._rows[conversation.id] = Row(conversation.id)
        tokens, cost = row_meta(
            figures, listing.is_local, listing.cached_in_input, unit=columns.tokens >= 10
        )
        mark = PIN_MARK if conversation.pinned else ""
        # A title is the user's first prompt (or a model's words): text, never markup.
        shown = fitted(shown_inline(title), width - len(mark))
        pieces: list[Content | tuple[str, str] | str] = [
            (mark, "bold $accent"),
            plain_inline(shown),
        ]
        if columns.tokens:
            pieces += ["  ", (f"{tokens:>{columns.tokens}}", "dim")]
        pieces += ["  ", f"{cost:>{COST_WIDTH}}"]
        if columns.when:  # UTC, as the list always showed it
            when = conversation.updated_at.astimezone(UTC).strftime(columns.when)
            pieces += ["  ", (when, "dim")]
        options.add_option(Option(Content.assemble(*pieces), id=conversation.id))

    def _show_found(self, results: SearchResults | None, conversations: int) -> None:
        """One line over the list while searching: how many messages matched, and the reason
        when the search is the slow one."""
        found = self.query_one("#history-found", Label)
        found.display = results is not None
        if results is None:
            return
        count = len(results.hits)
        if not count:
            text = "No message holds these words."
        else:
            more = "+" if count >= HITS else ""
            messages = "message" if count == 1 else "messages"
            where = "conversation" if conversations == 1 else "conversations"
            text = f"{count}{more} {messages} in {conversations} {where}, newest first"
        found.update(f"{text} · {results.notice}" if results.notice else text)

    @on(OptionList.OptionHighlighted)
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        row = self._rows.get(event.option.id or "")
        if row is None or row.conversation_id != self._armed:
            self._armed = None  # a confirmation is for the conversation it named

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    @on(Input.Submitted, "#history-search")
    def _open_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._open_row(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        self._open_row(event.option.id)

    def _open_row(self, option_id: str | None) -> None:
        row = self._rows.get(option_id or "")
        if row is None:
            return
        if row.message_id is None:
            self._close(row.conversation_id)
        else:
            self._open_at(row.message_id)

    @work(group="history-open", exclusive=True, thread=True, exit_on_error=False)
    def _open_at(self, message_id: str) -> None:
        """Make the hit's branch the active one (SQLite, so in a thread), then close on it."""
        try:
            conversation_id = self._store.open_at(message_id)
        except Exception as error:  # the store's errors name what failed (deleted meanwhile)
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        self.app.call_from_thread(self._close_at, conversation_id, message_id)

    def _close_at(self, conversation_id: str, message_id: str) -> None:
        if self.is_attached:
            self.opened_at = message_id
            self._close(conversation_id)

    def action_dismiss_none(self) -> None:
        self._close(None)

    def _close(self, result: str | None) -> None:
        self._commit_pending()
        self.dismiss(result)

    def on_unmount(self) -> None:
        self._commit_pending()  # closed some other way (the app quitting)

    def _highlighted(self) -> Row | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return self._rows.get(options.get_option_at_index(options.highlighted).id or "")

    # ---------------------------------------------------------------- rename

    def action_rename(self) -> None:
        row = self._highlighted()
        if row is None or self._renaming is not None:
            return
        shown = shown_inline(self._titles.get(row.conversation_id) or "")
        self._renaming = Renaming(row.conversation_id, shown)
        self.add_class("-renaming")
        field = self.query_one("#history-rename", Input)
        field.value = shown
        field.cursor_position = len(shown)
        field.focus()
        self.query_one("#history-help", Label).update(self._help())

    def _end_rename(self) -> None:
        self._renaming = None
        self.remove_class("-renaming")
        self.query_one("#history-help", Label).update(self._help())
        self.query_one(OptionList).focus()

    @on(RenameField.Cancelled)
    def _rename_cancelled(self) -> None:
        self._end_rename()

    @on(Input.Submitted, "#history-rename")
    def _rename_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        renaming = self._renaming
        if renaming is None:
            return
        self._end_rename()
        if event.value == renaming.shown:
            return  # untouched: keep the stored title exactly (the field shows it disarmed)
        self._reselect = renaming.conversation_id
        self._save_title(renaming.conversation_id, event.value)

    @work(group="history-write", thread=True, exit_on_error=False)
    def _save_title(self, conversation_id: str, title: str) -> None:
        try:
            stored = self._store.rename(conversation_id, title)
        except Exception as error:  # the store's errors name what failed
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        said = "Renamed to" if title.strip() else "Back to the first prompt's title:"
        self.app.call_from_thread(self._changed, f"{said} {quoted(stored)}.")

    def _changed(self, toast: str) -> None:
        if self.is_attached:
            self.load(self._query)
            self.notify(toast, timeout=4)

    # ---------------------------------------------------------------- pin

    def action_pin(self) -> None:
        row = self._highlighted()
        if row is None or self._renaming is not None:
            return
        self._reselect = row.conversation_id
        self._save_pin(row.conversation_id, not self._pinned.get(row.conversation_id, False))

    @work(group="history-write", thread=True, exit_on_error=False)
    def _save_pin(self, conversation_id: str, pinned: bool) -> None:
        try:
            self._store.set_pinned(conversation_id, pinned)
        except Exception as error:  # the store's errors name what failed
            self.app.call_from_thread(self.notify, str(error), severity="error")
            return
        title = quoted(self._titles.get(conversation_id))
        toast = f"Pinned {title}: listed first." if pinned else f"Unpinned {title}."
        self.app.call_from_thread(self._changed, toast)

    # ---------------------------------------------------------------- import

    def action_import_file(self) -> None:
        """Ask for a file and import its conversations; the list then shows them."""
        if self._renaming is not None:
            return
        from craft_tui.ui.screens.import_history import ImportHistoryScreen

        self.app.push_screen(ImportHistoryScreen(self._store), self._imported)

    def _imported(self, result: ImportResult | None) -> None:
        self.query_one("#history-search", Input).focus()
        if result is None:
            return
        self._armed = None
        self.load(self._query)
        self.notify(shown_inline(result.describe()), timeout=8)

    # ---------------------------------------------------------------- delete

    def action_delete(self) -> None:
        if self._renaming is not None:
            return
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        row = self._rows.get(option.id or "")
        if row is None:  # every row is a conversation's or a hit's (see _show)
            return
        conversation_id = row.conversation_id  # a hit's row deletes its conversation
        title = quoted(self._titles.get(conversation_id))
        if self._armed != conversation_id:
            self._armed = conversation_id
            self.notify(f"Press {self._key('history.delete')} again to delete {title}.")
            return
        self._armed = None
        self._commit_pending()  # the earlier delete can no longer be undone
        self._pending = PendingDelete(conversation_id, self._titles.get(conversation_id))
        self.deleted.add(conversation_id)
        for option_id in [k for k, v in self._rows.items() if v.conversation_id == conversation_id]:
            del self._rows[option_id]
            options.remove_option(option_id)
        self.notify(
            f"Deleted {title} — press {self._key('history.undo_delete')} to undo.", timeout=8
        )

    def action_undo_delete(self) -> None:
        if self._renaming is not None:
            return
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
