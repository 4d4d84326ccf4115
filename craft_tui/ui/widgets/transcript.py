"""The scrolling list of messages.

Only a window of the conversation is mounted: each answer is a Markdown tree and every layout
walks every mounted widget, so a long conversation would open, scroll and stream slowly if all
of it were. The window is a contiguous run of entries `[lo, hi)`:

* a conversation opens with its last few messages, then grows upwards until the content is a
  viewport plus a margin taller than the screen (checked after each layout, so a conversation
  shorter than the screen simply mounts everything);
* scrolling near the top (mouse, PageUp, focus moving up) mounts older messages above, and near
  the bottom newer ones below; what moves too far away is unmounted again (`max_mounted`);
* Home jumps to the first message (the window moves to the head), End back to the newest one.

Adding or removing messages above what the user reads must not move the text: `arrange` keeps
the message being read (the first that starts inside the viewport) at the same place on screen
(scroll anchoring, like a browser's), in the same layout pass, so no frame shows the jump. While
the view follows the bottom (`anchor()`), Textual keeps it at the bottom instead. A message the
user just sent brings the view back to the bottom (`add(..., follow=True)`); while they read
above an answer that is still streaming, a "new text below ↓" sign is docked at the bottom.

An unmounted message is rebuilt from its entry; `snapshot` lets the owner refresh an entry from
its widget first (an answer that streamed after the entry was taken).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from textual import events
from textual.actions import SkipAction
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.layout import DockArrangeResult
from textual.scrollbar import ScrollBar
from textual.widget import Widget
from textual.widgets import Label

from craft_tui.ui.textual_private import anchor_released, being_removed, set_anchor
from craft_tui.ui.widgets.blank import paint_blank_when_unfiltered
from craft_tui.ui.widgets.messages import AssistantMessageView, MessageView
from craft_tui.ui.widgets.new_text_below import NewTextBelow

if TYPE_CHECKING:
    from craft_tui.ui.widgets.style_probe import StyleProbe

MAX_MOUNTED = 60
OPEN_BATCH = 6  # messages mounted before the first layout of a (re)opened conversation
BATCH = 10  # messages mounted per step when the window grows
EDGE = 2  # focus this close to either end of the window mounts the next batch there

Snapshot = Callable[[Any, MessageView], Any]


class Transcript(VerticalScroll, can_focus=False):
    """Message widgets built from entries (any data) by `factory`; only a window is mounted."""

    DEFAULT_CSS = """
    Transcript {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;  /* the answer never re-wraps when the bar appears */
        & > .window-hint { color: $text-muted; width: 1fr; content-align: center middle; }
        & > .empty-hint { color: $text-muted; width: 1fr; padding: 1 2; }
    }
    """

    def __init__(
        self,
        factory: Callable[[Any], MessageView],
        *,
        snapshot: Snapshot | None = None,
        max_mounted: int = MAX_MOUNTED,
        empty_hint: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._factory = factory
        self._snapshot = snapshot
        self._entries: list[Any] = []
        self._lo = 0  # index into _entries of the first mounted message
        self._hi = 0  # one past the last mounted message
        self.max_mounted = max(max_mounted, BATCH + OPEN_BATCH)
        self._older = Label("", classes="window-hint older-hint", markup=False)
        self._newer = Label("", classes="window-hint newer-hint", markup=False)
        self._empty_text = empty_hint
        self._empty = Label(empty_hint, classes="empty-hint", markup=False)
        self._new_text = NewTextBelow()
        self._lock = asyncio.Lock()  # one change of the window at a time
        self._loading = False
        self._arranged: DockArrangeResult | None = None  # the last arrangement (scroll anchoring)
        # The message ↑/↓ focused, until the user scrolls some other way. "Far away" is judged on
        # the last layout, which lags behind under load (older messages mounted, the scroll to
        # the new focus not done yet): a held ↑ could otherwise unmount the message it had just
        # focused and focus would jump to whatever is left on screen, skipping messages.
        self._walked: MessageView | None = None
        self._held: str | None = None  # id of an entry whose view must stay mounted (`hold`)
        # Hidden blocks whose styles loaded answers are drawn with, unmounted (`style_probe.py`).
        self.style_probe: StyleProbe | None = None
        self._bring_held = False  # scroll the held view into view after each layout, till it is

    def compose(self) -> Any:
        yield self._empty
        yield self._older
        yield self._newer
        yield self._new_text

    def on_mount(self) -> None:
        paint_blank_when_unfiltered(self)  # no border: each scroll step repaints it whole
        self.anchor()
        self._update_hints()

    # ---------------------------------------------------------------- what is shown

    @property
    def following(self) -> bool:
        """True while new text keeps the view at the bottom (the user has not scrolled up)."""
        return self.is_anchored and not anchor_released(self)

    @property
    def hidden_count(self) -> int:
        """How many older messages are not mounted right now."""
        return self._lo

    @property
    def newer_count(self) -> int:
        """How many newer messages are not mounted right now (the user went up, or Home)."""
        return len(self._entries) - self._hi

    @property
    def at_tail(self) -> bool:
        """True when the newest message is mounted."""
        return self._hi == len(self._entries)

    @property
    def entries(self) -> list[Any]:
        """Every entry of the conversation, mounted or not, oldest first (a copy)."""
        return list(self._entries)

    def views(self) -> list[MessageView]:
        return list(self.query_children(MessageView))

    def index_of(self, match: Callable[[Any], bool]) -> int | None:
        """The index of the last entry for which `match` is true."""
        for index in range(len(self._entries) - 1, -1, -1):
            if match(self._entries[index]):
                return index
        return None

    # ---------------------------------------------------------------- changing the content

    async def show(self, entries: Sequence[Any]) -> None:
        """Replace everything with `entries`, showing the newest ones and following the bottom."""
        async with self._lock:
            await self.remove_children(self.views())  # before the entries they came from go
            self._entries = list(entries)
            end = len(self._entries)
            await self._replace_window(max(0, end - OPEN_BATCH), end, follow=True)

    async def add(self, entry: Any, *, follow: bool = False) -> MessageView:
        """Append one message at the bottom; while following, unmount what scrolled far above.

        `follow`: the user just sent it, so the view goes back to the bottom and follows again
        wherever they were reading (else the new prompt and its answer would be off-screen).
        """
        async with self._lock:
            if follow and self.at_tail and not self.following:
                self.anchor()  # back at the bottom; it stays there as the new message lays out
            if not self.at_tail:  # the user was reading far up: back to the newest messages
                self._entries.append(entry)
                end = len(self._entries)
                await self._replace_window(max(0, end - OPEN_BATCH), end, follow=True)
                return self.views()[-1]
            if self._may_prune_above():  # what scrolled far above goes: layouts stay small
                far = self._far_views(below=False)
                await self._unmount_top(max(far, len(self.views()) + 1 - self.max_mounted))
            self._entries.append(entry)
            view = self._factory(entry)
            await self.mount(view, before=self._newer)
            self._hi += 1
            self._update_hints()
            return view

    def replace_entry(self, view: MessageView, entry: Any) -> None:
        """The entry `view` was built from becomes `entry` (a view made before its row was
        stored, once it is: scrolled away and back, it is rebuilt from the stored row)."""
        views = self.views()
        if view in views:
            self._entries[self._lo + views.index(view)] = entry

    async def remove_from(self, view: MessageView) -> None:
        """Remove `view` and every message after it (a deleted or re-sent branch)."""
        views = self.views()
        if view in views:
            await self.remove_from_index(self._lo + views.index(view))

    async def remove_from_index(self, index: int) -> None:
        """Remove entry `index` and every one after it, mounted or not."""
        async with self._lock:
            if not 0 <= index < len(self._entries):
                return
            if index <= self._lo:  # the whole window goes: show what is left at the end
                del self._entries[index:]
                await self._replace_window(max(0, index - OPEN_BATCH), index, follow=True)
                return
            was_detached = not self.at_tail
            doomed = self.views()[index - self._lo :]
            del self._entries[index:]
            await self.remove_children(doomed)
            self._hi = index
            if was_detached:  # the newest message is mounted again
                set_anchor(self, anchored=True, released=True)
            self._update_hints()

    async def reveal(self, index: int) -> MessageView | None:
        """Mount entry `index` (moving the window there if needed) and return its view."""
        async with self._lock:
            if not 0 <= index < len(self._entries):
                return None
            if not self._lo <= index < self._hi:
                start = max(0, index - OPEN_BATCH // 2)
                end = min(len(self._entries), start + OPEN_BATCH)
                await self._replace_window(start, end, follow=False)
            return self.views()[index - self._lo]

    async def show_tail(self) -> None:
        """Make sure the newest message is mounted (before acting on the last answer)."""
        if not self.at_tail:
            async with self._lock:
                end = len(self._entries)
                await self._replace_window(max(0, end - OPEN_BATCH), end, follow=True)

    async def load_older(self) -> int:
        """Mount up to BATCH older messages above the first mounted one; return how many."""
        async with self._lock:
            return await self._mount_older(BATCH)

    async def load_newer(self) -> int:
        """Mount up to BATCH newer messages below the last mounted one; return how many."""
        async with self._lock:
            return await self._mount_newer(BATCH)

    # ---------------------------------------------------------------- keys

    async def move_focus(self, view: MessageView, step: int) -> bool:
        """Focus the message `step` entries away from `view`, mounting it if it is not.

        ↑/↓ walk the conversation's entries, not the mounted widgets: a held key must neither
        stop at the top of the window nor skip what a load half-done has not mounted yet. Waits
        for a window change in progress, so positions and entries agree. False past either end.
        """
        async with self._lock:
            views = self.views()
            if being_removed(self) or view not in views:  # gone since the key was pressed
                return True
            index = self._lo + views.index(view) + step
            if not 0 <= index < len(self._entries):
                return False
            if not self._lo <= index < self._hi:
                # The message walked from stays while the window slides (a lagging layout may
                # call it far away): only what is beyond it may go.
                self._walked = view if view is self.screen.focused else None
                if index < self._lo:
                    await self._mount_older(max(BATCH, self._lo - index))
                else:
                    await self._mount_newer(max(BATCH, index + 1 - self._hi))
            # Positions are read again after the awaits: the window may have moved, or the
            # transcript be on its way out (its screen closed while keys were still queued).
            views = self.views()
            position = index - self._lo
            if being_removed(self) or not 0 <= position < len(views):
                return True
            target = views[position]
        # Now, not after the next message: a key already queued must act on the new focus.
        self._walked = target
        self.screen.set_focus(target, scroll_visible=False)
        target.scroll_visible(animate=False)
        return True

    def action_page_up(self) -> None:
        """A page up at once, as a terminal pager does. Textual's animated page scroll laid the
        window out again on its frames while older messages mounted above (headless, 300
        messages: 11 → 7 transcript layouts per press), and the anchoring that keeps the text
        still stopped the animation halfway whenever a mount moved it."""
        self._walked = None  # scrolling away from the focused message may unmount it again
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        """A page down at once (see `action_page_up`)."""
        self._walked = None
        if not self.allow_vertical_scroll:
            raise SkipAction()
        self.scroll_page_down(animate=False)

    def on_mouse_scroll_up(self) -> None:
        self._walked = None

    def on_mouse_scroll_down(self) -> None:
        self._walked = None

    def on_scroll_to(self) -> None:  # the scrollbar dragged or clicked
        self._walked = None

    async def action_scroll_home(self) -> None:  # type: ignore[override]
        """Home: the first message of the conversation, not just the first one mounted."""
        self._walked = None
        focused = self._focus_inside()
        if self._lo > 0:
            async with self._lock:
                if self._live_tail():
                    await self._mount_older(self._lo)  # cannot leave a streaming answer behind
                else:
                    end = min(len(self._entries), OPEN_BATCH)
                    await self._replace_window(0, end, follow=False)
        self.scroll_home(animate=False, immediate=True)
        # The top is where the user asked to be: the next layout must not "keep still" the
        # message that was read before the jump (it would scroll back down to it when the
        # older messages just mounted are laid out after the jump).
        self._arranged = None
        views = self.views()
        if focused and views:
            views[0].focus(scroll_visible=False)

    async def action_scroll_end(self) -> None:  # type: ignore[override]
        """End: the newest message, following new text again."""
        self._walked = None
        focused = self._focus_inside()
        await self.show_tail()
        self.scroll_end(animate=False, immediate=True)
        views = self.views()
        if focused and views:
            views[-1].focus(scroll_visible=False)

    def _may_prune_above(self) -> bool:
        """Following the bottom, and not walking over messages with the keys (↑ would need
        what is pruned)."""
        return self.following and not self._focus_inside()

    def _focus_inside(self) -> bool:
        focused = self.screen.focused
        return focused is not None and self in focused.ancestors

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Moving focus towards an end of the window (↑/↓ over messages) mounts more there."""
        views = self.views()
        widget = event.widget
        if not isinstance(widget, MessageView) or widget not in views:
            return
        index = views.index(widget)
        if (index < EDGE and self._lo > 0) or (
            len(views) - index <= EDGE and self._hi < len(self._entries)
        ):
            self._schedule_load()

    # ---------------------------------------------------------------- growing on demand

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)  # reaching the bottom resumes following (Textual)
        self._update_new_text()
        if self._wants_more():
            self._schedule_load()

    def _after_layout(self) -> None:
        """New content or a new terminal size: fill the viewport if it is short; while following
        a growing answer, unmount what scrolled far above (each update lays out every mounted
        message, so a long conversation must not cost more per update than an empty one)."""
        self._update_new_text()
        walked = self._walked
        if (
            walked is not None
            and walked is self.screen.focused
            and walked in self.views()
            and not self._shown(walked)
        ):
            # Its scroll_visible used the layout before this one (older or newer messages were
            # mounted or unmounted since): scroll again, on the geometry just computed.
            walked.scroll_visible(animate=False)
        elif self._bring_held:
            held = next((v for v in self.views() if v.message_id == self._held), None)
            if held is not None and not self._shown(held):
                held.scroll_visible(animate=False, top=True)  # loads around it moved it
            elif held is not None and not self._loading:
                self._bring_held = False  # on screen, nothing loading: the user scrolls now
        if self._wants_more() or (self._may_prune_above() and self._far_views(below=False)):
            self._schedule_load()

    def _shown(self, view: MessageView) -> bool:
        """True if the last layout puts `view` (at least partly) inside the viewport."""
        if self._arranged is None:
            return False
        top, bottom = self.scroll_y, self.scroll_y + self.size.height
        for placement in self._arranged.placements:
            if placement.widget is view:
                region = placement.region
                return bool(region.height) and region.y < bottom and region.bottom > top
        return False

    def _margin(self) -> int:
        return max(4, self.size.height // 2)

    def _wants_more(self) -> bool:
        if not self.size.height:
            return False
        older = self._lo > 0 and self.scroll_y < self._margin()
        newer = self._hi < len(self._entries) and self.max_scroll_y - self.scroll_y < self._margin()
        return older or newer

    def _schedule_load(self) -> None:
        if not self._loading:
            self._loading = True
            self.run_worker(self._load_more(), group="transcript-window")

    async def _load_more(self) -> None:
        try:
            async with self._lock:
                views = self.views()
                focused = self.screen.focused
                index = views.index(focused) if focused in views else None
                above = self.scroll_y
                below = self.max_scroll_y - self.scroll_y
                screen = self.size.height  # load a screen beyond the margin: fewer, larger steps
                if self._lo > 0 and (
                    above < self._margin() or (index is not None and index < EDGE)
                ):
                    await self._mount_older(self._count_for(self._margin() - above + screen))
                elif self._hi < len(self._entries) and (
                    below < self._margin() or (index is not None and len(views) - index <= EDGE)
                ):
                    await self._mount_newer(self._count_for(self._margin() - below + screen))
                elif self._may_prune_above():
                    await self._unmount_top(self._far_views(below=False))
                    self._update_hints()
        finally:
            self._loading = False

    def _count_for(self, lines: float) -> int:
        """How many messages to mount to add about `lines` lines (from the mounted ones' heights)."""
        where = (
            {p.widget: p.region.height for p in self._arranged.placements} if self._arranged else {}
        )
        heights = [where[view] for view in self.views() if where.get(view)]
        if not heights or lines <= 0:
            return BATCH
        average = max(1.0, sum(heights) / len(heights))
        return max(1, min(BATCH, int(lines / average) + 2))

    # ---------------------------------------------------------------- the window itself

    async def _ensure_style_probe(self) -> None:
        """Mount and build the style probe before the first loaded answer composes, in a
        conversation longer than the first window: building it (~0.1 s) costs more than
        mounting the few answers of a short one, which has nothing to page through."""
        if len(self._entries) <= OPEN_BATCH:
            return
        await self._build_style_probe()

    def want_style_probe(self) -> None:
        """An answer began to stream: its segments can be drawn without mounting once the
        probe is built, which happens meanwhile (`style_probe.probe_near(wanted=True)`)."""
        if self.style_probe is None:
            self.call_later(self._build_style_probe)

    async def _build_style_probe(self) -> None:
        if self.style_probe is None and not being_removed(self):
            from craft_tui.ui.widgets.style_probe import StyleProbe  # (imports Markdown)

            probe = StyleProbe()
            self.style_probe = probe  # (set first: a second caller finds it being built)
            await self.mount(probe)
            await probe.build()

    async def _replace_window(self, start: int, end: int, *, follow: bool) -> None:
        """Unmount every message and mount entries[start:end]."""
        if end > start:
            await self._ensure_style_probe()
        await self._unmount(self.views(), self._lo)
        self._lo, self._hi = start, end
        views = [self._factory(entry) for entry in self._entries[start:end]]
        self._arranged = None  # nothing in common with the last layout: no anchoring
        if views:
            await self.mount_all(views, before=self._newer)
        self._update_hints()
        if follow:
            set_anchor(self, anchored=True, released=False)
            self.scroll_end(animate=False, immediate=True)
        else:
            self._stop_following_unless_at_tail()

    async def _mount_older(self, count: int) -> int:
        if being_removed(self):  # Textual mounts nothing then: the window must not move
            return 0
        start = max(0, self._lo - count)
        if start < self._lo:
            await self._ensure_style_probe()
        views = [self._factory(entry) for entry in self._entries[start : self._lo]]
        if not views:
            return 0
        far = self._far_views(below=True)  # measured before the new ones shift the layout
        with self.app.batch_update():  # one layout for what comes and what goes
            await self.mount_all(views, after=self._older)
            self._lo = start
            if not self.following and not self._live_tail():
                excess = len(self.views()) - self.max_mounted
                await self._unmount_bottom(max(far, min(excess, len(views))))
            self._update_hints()
        return len(views)

    async def _mount_newer(self, count: int) -> int:
        if being_removed(self):
            return 0
        end = min(len(self._entries), self._hi + count)
        if end > self._hi:
            await self._ensure_style_probe()
        views = [self._factory(entry) for entry in self._entries[self._hi : end]]
        if not views:
            return 0
        far = self._far_views(below=False)
        with self.app.batch_update():  # one layout for what comes and what goes
            await self.mount_all(views, before=self._newer)
            self._hi = end
            excess = len(self.views()) - self.max_mounted
            await self._unmount_top(max(far, min(excess, len(views))))
            if self.at_tail:  # following resumes once the user reaches the bottom
                set_anchor(self, anchored=True, released=True)
            self._update_hints()
        return len(views)

    def _far_views(self, *, below: bool) -> int:
        """How many views at the bottom (or top) end are more than a screen beyond the loading
        margin, per the last layout: the ones that may go without the user noticing."""
        if self._arranged is None:
            return 0
        where = {p.widget: p.region for p in self._arranged.placements}
        reach = self._margin() + self.size.height
        top, bottom = self.scroll_y - reach, self.scroll_y + self.size.height + reach
        count = 0
        for view in reversed(self.views()) if below else self.views():
            region = where.get(view)
            if region is None or not region.height:
                break
            if not (region.y > bottom if below else region.bottom < top):
                break
            count += 1
        return count

    def hold(self, message_id: str | None) -> None:
        """Keep the view of entry `message_id` mounted while the window slides (None: let go),
        and bring it into view after each layout until it is on screen with nothing loading.

        For a message shown while focus is elsewhere (Ctrl+F's match, focus in the find bar):
        loading older messages around it must neither unmount it as beyond the screen nor push
        it out of view.
        """
        self._held = message_id
        self._bring_held = message_id is not None

    def _walked_index(self, views: list[MessageView]) -> int | None:
        """Where the message ↑/↓ just focused (`_walked`), or the one held (`hold`), is: it
        must stay mounted."""
        walked = self._walked
        if walked is not None and walked is self.screen.focused and walked in views:
            return views.index(walked)
        if self._held is not None:
            for index, view in enumerate(views):
                if view.message_id == self._held:
                    return index
        return None

    async def _unmount_top(self, count: int) -> None:
        """Unmount up to `count` views from the top, never the one ↑/↓ just focused."""
        views = self.views()
        walked = self._walked_index(views)
        if walked is not None:
            count = min(count, walked)
        if count <= 0:
            return
        views = views[:count]
        await self._unmount(views, self._lo)
        self._lo += len(views)

    async def _unmount_bottom(self, count: int) -> None:
        """Unmount up to `count` views from the bottom, never the one ↑/↓ just focused."""
        views = self.views()
        walked = self._walked_index(views)
        if walked is not None:
            count = min(count, len(views) - 1 - walked)
        if count <= 0:
            return
        doomed = views[len(views) - count :]
        await self._unmount(doomed, self._hi - len(doomed))
        self._hi -= len(doomed)
        self._stop_following_unless_at_tail()

    async def _unmount(self, views: list[MessageView], first: int) -> None:
        """Remove `views` (entries first, first+1, …), keeping what they show in their entries.

        A focused message scrolled far away hands focus to the first one on screen, so the keys
        (PageUp, ↑/↓) keep working in the transcript.
        """
        focused = self.screen.focused
        if isinstance(focused, MessageView) and focused in views:
            kept = [view for view in self.views() if view not in views]
            on_screen = [v for v in kept if v.virtual_region.bottom > self.scroll_y]
            if on_screen or kept:
                (on_screen or kept)[0].focus(scroll_visible=False)
        if self._snapshot is not None:
            for offset, view in enumerate(views):
                index = first + offset
                if index < len(self._entries):
                    self._entries[index] = self._snapshot(self._entries[index], view)
        if views:
            await self.remove_children(views)

    def _stop_following_unless_at_tail(self) -> None:
        """The newest message is not mounted: stop following until it is again."""
        if not self.at_tail:
            set_anchor(self, anchored=False, released=False)

    def _live_tail(self) -> bool:
        """True if the last mounted message is an answer still streaming (it must stay)."""
        views = self.views()
        return bool(views) and isinstance(views[-1], AssistantMessageView) and views[-1].streaming

    def _update_new_text(self) -> None:
        """The "new text below" sign: up while the user reads above a streaming answer (it
        stays after the answer ends, the text is still unread), down once they follow again."""
        if self.following or not self._entries:
            shown = False
        elif self._live_tail():
            shown = True
        else:
            return
        if self._new_text.display != shown:
            self._new_text.display = shown

    async def on_new_text_below_clicked(self, event: NewTextBelow.Clicked) -> None:
        event.stop()
        await self.action_scroll_end()

    def _update_hints(self) -> None:
        older, newer = self._lo, len(self._entries) - self._hi
        self._older.update(f"▲ {older} earlier messages — scroll up or press Home" if older else "")
        self._older.display = older > 0
        self._newer.update(f"▼ {newer} later messages — scroll down or press End" if newer else "")
        self._newer.display = newer > 0
        self._empty.display = not self._entries and bool(self._empty_text)

    # ---------------------------------------------------------------- scroll anchoring

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        """Lay out the messages; keep the one being read where it was on screen."""
        result = super().arrange(size, optimal)
        previous, self._arranged = self._arranged, result
        if previous is result:
            return result
        self.call_later(self._after_layout)
        if previous is None or self.following:
            return result
        # `size` is the viewport the messages are arranged in. (Not `self.size`: asked for in
        # the middle of a layout it rebuilds the compositor's map of every widget, which was
        # 16 % of PageUp's CPU.)
        delta = _shift_of_first_visible(previous, result, int(self.scroll_y), size.height)
        if delta:
            # A running scroll animation (PageUp) would drag the view back to its old target.
            self.app.animator.force_stop_animation(self, "scroll_y")
            y = max(0, self.scroll_y + delta)
            self.set_reactive(VerticalScroll.scroll_y, y)
            self.set_reactive(VerticalScroll.scroll_target_y, y)
            self.vertical_scrollbar.set_reactive(ScrollBar.position, y)
        return result


def _shift_of_first_visible(
    before: DockArrangeResult, after: DockArrangeResult, top: int, height: int
) -> int:
    """How far the message being read at scroll offset `top` moved between two layouts.

    That is the first message that starts inside the viewport (`height` rows from `top`), not
    one peeking in at the top row: that one is often an answer just mounted above, whose
    Markdown has no height yet; anchored on, its growth would push what is read down. Only a
    message taller than the viewport, covering all of it, is anchored on where it overlaps.
    """
    now: dict[Widget, int] = {
        p.widget: p.region.y for p in after.placements if isinstance(p.widget, MessageView)
    }
    shown = sorted(
        (
            p
            for p in before.placements
            if isinstance(p.widget, MessageView)
            and p.widget in now
            and p.region.height
            and p.region.bottom > top
            and p.region.y < top + height
        ),
        key=lambda p: p.region.y,
    )
    if not shown:
        return 0
    starting = [p for p in shown if p.region.y >= top]
    anchor = (starting or shown)[0]
    return now[anchor.widget] - anchor.region.y
