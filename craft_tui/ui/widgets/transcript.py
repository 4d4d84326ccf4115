"""The scrolling list of messages. Follows the bottom while the user has not scrolled up
(`anchor()`), and keeps only the last `max_mounted` message widgets mounted so long sessions stay
fast: older ones are rebuilt from their data when the user scrolls to the top."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual.containers import VerticalScroll
from textual.widgets import Label

from craft_tui.ui.widgets.messages import MessageView

MAX_MOUNTED = 60
BATCH = 20


class Transcript(VerticalScroll, can_focus=False):
    """Message widgets built from entries (any data) by `factory`; only a window is mounted."""

    DEFAULT_CSS = """
    Transcript {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        & > .older-hint { color: $text-muted; width: 1fr; content-align: center middle; }
        & > .empty-hint { color: $text-muted; width: 1fr; padding: 1 2; }
    }
    """

    def __init__(
        self,
        factory: Callable[[Any], MessageView],
        *,
        max_mounted: int = MAX_MOUNTED,
        empty_hint: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._factory = factory
        self._entries: list[Any] = []
        self._first_mounted = 0  # index into _entries of the first mounted message
        self.max_mounted = max_mounted
        self._hint = Label("", classes="older-hint")
        self._empty_text = empty_hint
        self._empty = Label(empty_hint, classes="empty-hint", markup=False)

    def on_mount(self) -> None:
        self.anchor()
        self.mount(self._empty)
        self._update_hint()

    @property
    def following(self) -> bool:
        """True while new text keeps the view at the bottom (the user has not scrolled up)."""
        return self.is_anchored and not self._anchor_released

    @property
    def hidden_count(self) -> int:
        """How many older messages are not mounted right now."""
        return self._first_mounted

    def views(self) -> list[MessageView]:
        return list(self.query_children(MessageView))

    async def show(self, entries: Sequence[Any]) -> None:
        """Replace everything with `entries`, mounting only the newest window."""
        await self.remove_children()
        self._entries = list(entries)
        # Open with one BATCH, not the whole window: each answer is a Markdown tree and every
        # layout walks all mounted widgets, so a long conversation would open (and stream) slowly.
        # Scrolling up loads older ones; the window fills up to max_mounted as the chat goes on.
        self._first_mounted = max(0, len(self._entries) - min(self.max_mounted, BATCH))
        await self.mount(self._empty)
        await self.mount(self._hint)
        views = [self._factory(entry) for entry in self._entries[self._first_mounted :]]
        if views:
            await self.mount_all(views)
        self._update_hint()
        self.anchor()

    async def add(self, entry: Any) -> MessageView:
        """Append one message at the bottom, pruning the oldest mounted one past the window."""
        self._entries.append(entry)
        self._empty.display = False
        view = self._factory(entry)
        await self.mount(view)
        await self._prune()
        return view

    async def remove_from(self, view: MessageView) -> None:
        """Remove `view` and every message after it (a deleted or re-sent branch)."""
        views = self.views()
        if view not in views:
            return
        index = views.index(view)
        doomed = views[index:]
        del self._entries[self._first_mounted + index :]
        await self.remove_children(doomed)
        self._update_hint()

    async def _prune(self) -> None:
        views = self.views()
        excess = len(views) - self.max_mounted
        if excess > 0 and self.following:
            await self.remove_children(views[:excess])
            self._first_mounted += excess
            self._update_hint()

    async def load_older(self) -> int:
        """Mount up to BATCH older messages above the first mounted one; return how many."""
        if self._first_mounted == 0:
            return 0
        start = max(0, self._first_mounted - BATCH)
        views = [self._factory(entry) for entry in self._entries[start : self._first_mounted]]
        first = self.views()
        if first:
            await self.mount_all(views, before=first[0])
        else:
            await self.mount_all(views)
        self._first_mounted = start
        self._update_hint()
        return len(views)

    def _update_hint(self) -> None:
        hidden = self._first_mounted
        self._hint.update(f"▲ {hidden} earlier messages — scroll up to load" if hidden else "")
        self._hint.display = hidden > 0
        self._empty.display = not self._entries and bool(self._empty_text)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new <= 0 and old > 0 and self._first_mounted > 0:
            self.run_worker(self._load_keep_position(), group="older", exclusive=True)

    async def _load_keep_position(self) -> None:
        before = self.virtual_size.height
        if await self.load_older():
            self.call_after_refresh(
                lambda: self.scroll_to(y=self.virtual_size.height - before, animate=False)
            )
