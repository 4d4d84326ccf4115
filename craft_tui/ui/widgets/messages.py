"""One widget per message in the transcript. Focus one (Shift+Tab from the prompt, then ↑/↓) to
copy it, copy its code, edit and resend, regenerate or delete it — keys shown in the footer.

The widgets never touch the chat core: actions post `MessageAction` for the screen to carry out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Label, Static

from craft_tui.ui.bindings import binding
from craft_tui.ui.pacing import FlushPacer
from craft_tui.ui.widgets.answer_body import AnswerBody
from craft_tui.ui.widgets.backlog import Backlog
from craft_tui.ui.widgets.error_view import ErrorDisplay, ErrorView
from craft_tui.ui.widgets.image_preview import AttachmentLoader, ImagePreview
from craft_tui.ui.widgets.reasoning import ReasoningBlock
from craft_tui.untrusted import plain_inline, shown

ActionName = Literal[
    "copy", "copy_code", "edit", "regenerate", "delete", "previous_version", "next_version"
]


_FINISH_NOTES = {
    "cancelled": "stopped",
    "length": "cut at the token limit",
    "content_filter": "stopped by the provider's content filter",
}


class MessageView(Widget, can_focus=True):
    """Base of user and assistant message widgets: focusable, moves focus with ↑/↓."""

    BINDINGS: ClassVar[list[BindingType]] = [
        binding("copy_message", "request('copy')"),
        binding("previous_message", "move(-1)"),
        binding("next_message", "move(1)"),
        binding("delete_message", "request('delete')"),
        binding("previous_version", "request('previous_version')"),
        binding("next_version", "request('next_version')"),
    ]

    class Action(Message):
        """The user asked for `action` on this message; the chat screen carries it out."""

        def __init__(self, view: MessageView, action: ActionName) -> None:
            super().__init__()
            self.view = view
            self.action = action

    def __init__(self, message_id: str | None, text: str, *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self.message_id = message_id
        self._text = text
        self.version = (1, 1)  # (which, of how many) versions at this place in the tree

    def set_version(self, which: int, total: int) -> None:
        """Show 'version 2/3' when edits or regenerations made siblings of this message."""
        self.version = (which, total)
        self._show_label()
        self.refresh_bindings()

    @property
    def base_label(self) -> str:
        return "You"

    def _label_text(self) -> str:
        which, total = self.version
        suffix = f"  ‹ {which}/{total} ›" if total > 1 else ""
        return self.base_label + suffix

    def _show_label(self) -> None:
        """Update the label if it is there: before compose, the label is built with the version
        set by then; while the view is being removed, its label may already be gone."""
        for label in self.query(".message-label").results(Label):
            label.update(plain_inline(self._label_text()))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "request" and parameters:
            which, total = self.version
            if parameters[0] == "previous_version":
                return which > 1
            if parameters[0] == "next_version":
                return which < total
        return True

    @property
    def text(self) -> str:
        """The message's full text (markdown source for answers)."""
        return self._text

    def action_request(self, action: ActionName) -> None:
        self.post_message(self.Action(self, action))

    async def action_move(self, step: int) -> None:
        """Focus the previous/next message; past the last one, back to the prompt.

        In a transcript the move goes by entry (it mounts what is not), not by the widgets
        mounted right now, which change while older or newer messages load.
        """
        from craft_tui.ui.widgets.transcript import Transcript  # it imports this module

        parent = self.parent
        if isinstance(parent, Transcript):
            if not await parent.move_focus(self, step) and step > 0:
                self.screen.focus_next()
            return
        views = list(self.screen.query(MessageView))
        index = views.index(self) + step
        if 0 <= index < len(views):
            views[index].focus()
            views[index].scroll_visible(animate=False)
        elif index >= len(views):
            self.screen.focus_next()


class UserMessageView(MessageView):
    """What the user sent: plain text (never parsed as markup), visually set apart."""

    BINDINGS: ClassVar[list[BindingType]] = [
        binding("edit_message", "request('edit')"),
    ]

    def __init__(
        self,
        message_id: str | None,
        text: str,
        *,
        attachments: Sequence[str] = (),
        previews: Sequence[str | None] = (),
        load: AttachmentLoader | None = None,
    ) -> None:
        """`attachments`: one line per attached file, shown under the text as given (never
        parsed as markup): name, media type, size and an image's pixels as sent
        (`chat/attachments.describe`). `previews`: for each of those lines, the id of an image
        to preview under it (None for other files), its bytes read through `load`."""
        super().__init__(message_id, text, classes="user-message")
        self.attachments = tuple(attachments)
        self._previews = tuple(previews)
        self._load = load

    def compose(self) -> ComposeResult:
        yield Label(plain_inline(self._label_text()), classes="message-label", markup=False)
        if self._text or not self.attachments:
            yield Static(shown(self._text), markup=False, classes="user-text")
        for index, line in enumerate(self.attachments):
            yield Static(plain_inline(line), markup=False, classes="user-attachment")
            image = self._previews[index] if index < len(self._previews) else None
            if image is not None and self._load is not None:
                yield ImagePreview(image, self._load)


class AssistantMessageView(MessageView):
    """An answer: label (connection · model), reasoning block, Markdown body, inline error.

    While streaming, deltas are coalesced and written at the pace `FlushPacer` sets (at most 25
    times a second, fewer when writes get expensive); the body appends them (never re-parsing from
    the start) into Markdown segments, so each write lays out only the last few blocks and the
    finished part is shown as plain lines (see `AnswerBody`).

    Each write is one bounded piece of what is queued (`Backlog`, `AnswerBody.piece_limit`), so
    a key waits for at most one piece: a backlog behind a fast stream, or one enormous delta, is
    drawn piece after piece with the event loop free in between. When the stream ends the answer
    is marked at once (stopped, error, …); text still queued is drawn after that, and Esc stops
    any write from starting (`halt`) before the stream is even closed.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        binding("copy_code", "request('copy_code')"),
        binding("regenerate", "request('regenerate')"),
    ]

    def __init__(
        self,
        message_id: str | None,
        label: str,
        text: str = "",
        *,
        reasoning: str = "",
        finish_reason: str | None = "stop",
        error: ErrorDisplay | None = None,
        retry_key: str = "ctrl+r",
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        super().__init__(message_id, text, classes="assistant-message")
        self.label = label
        self.finish_reason = finish_reason
        self._chunks: list[str] = [text] if text else []
        self._backlog = Backlog()  # arrived, not on screen yet (raw: disarmed piece by piece)
        self._pending_reasoning: list[str] = []
        self._streaming = False
        self._halted = False  # Esc: no write starts until the stream has ended
        self._drawing = False  # the stream ended with text still queued: drawn piece by piece
        self._drawn = asyncio.Event()  # set once that is done
        self._flush_timer: Timer | None = None
        self._flush_scheduled = False
        self._last_flush = 0.0
        self._clock = clock
        self._cpu_clock = cpu_clock
        self.pacer = FlushPacer()
        self._error = error
        self._retry_key = retry_key
        # Mounted only once there is reasoning: most answers have none, and its collapsible is
        # four widgets Textual would style, mount and lay out for every answer on screen.
        self._reasoning = ReasoningBlock(reasoning, thinking=False) if reasoning else None
        # The screen shows a disarmed copy (`shown`); `text` keeps what arrived, for copy and edit.
        self._body = AnswerBody(shown(text), classes="answer")
        self._note = Label("", classes="message-note", markup=False)
        self.code_index = 0
        # An answer without an end: being written by another app on this history (True), cut
        # off (False), or not asked yet (None: no note until the lease is looked at).
        self._elsewhere: bool | None = None

    def compose(self) -> ComposeResult:
        yield Label(plain_inline(self._label_text()), classes="message-label", markup=False)
        if self._reasoning is not None:
            yield self._reasoning
        yield self._body

    @property
    def base_label(self) -> str:
        return self.label

    async def on_mount(self) -> None:
        """The note and any stored error."""
        self._update_note()
        if self._error is not None:
            await self.mount(ErrorView(self._error, retry_key=self._retry_key, clock=self._clock))
        if self.finish_reason is None and not self._streaming and self.message_id:
            self.run_worker(self._ask_if_written_elsewhere(self.message_id), group="live")

    async def _ask_if_written_elsewhere(self, message_id: str) -> None:
        """Another process may be writing this answer now (chat/live.py): look, off the loop."""
        from craft_tui.chat.live import written_elsewhere

        workspace = getattr(self.app, "workspace", None)
        if workspace is None:
            elsewhere = False
        else:
            elsewhere = await asyncio.to_thread(
                lambda: written_elsewhere(workspace.history().path, message_id)
            )
        if self.finish_reason is None and not self._streaming:
            self._elsewhere = elsewhere
            self._update_note()

    @property
    def text(self) -> str:
        if len(self._chunks) > 1:
            self._chunks[:] = ["".join(self._chunks)]  # later reads start from one string
        return self._chunks[0] if self._chunks else ""

    @property
    def reasoning(self) -> str:
        return self._reasoning.text if self._reasoning is not None else ""

    @property
    def streaming(self) -> bool:
        return self._streaming

    @property
    def drawing(self) -> bool:
        """Text that arrived is still being put on screen (or a write is in progress)."""
        return bool(self._backlog) or self._drawing or self._body.busy

    @property
    def error(self) -> ErrorDisplay | None:
        return self._error

    def set_message_id(self, message_id: str) -> None:
        self.message_id = message_id

    def set_label(self, label: str) -> None:
        self.label = label
        self._show_label()

    def begin_stream(self) -> None:
        """Start receiving deltas; the note shows that the answer is being written."""
        self.finish_reason = None
        self._streaming = True
        self._update_note()

    def add_text(self, delta: str) -> None:
        """Queue an answer fragment; written to the screen at a bounded rate."""
        if delta:
            self._chunks.append(delta)
            self._backlog.push(delta)
            self._schedule_flush()

    def add_reasoning(self, delta: str) -> None:
        """Queue a reasoning fragment for the collapsed block."""
        if delta:
            self._pending_reasoning.append(delta)
            self._schedule_flush()

    def halt(self, *, stopped: bool = False) -> None:
        """Start no further write; `end_stream` follows once the stream is closed.

        With `stopped` (Esc) the answer shows as stopped at once, in the key's own handler: the
        cancellation that closes the stream runs a moment later. (Should the answer have ended
        just before, `end_stream` puts the real ending back.)
        """
        self._halted = True
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self._flush_scheduled = False
        if stopped and self._streaming:
            self.finish_reason = "cancelled"
            self._show_note("— stopped")
            self.set_class(True, "-stopped")

    def _schedule_flush(self) -> None:
        if self._flush_scheduled or self._halted:
            return
        self._flush_scheduled = True
        if len(self._backlog) > self._body.piece_limit(self._backlog.plain_next):
            # Behind (a fast stream, a huge delta): the next piece once this frame is painted and
            # the keys that came meanwhile are handled; pacing resumes once caught up.
            self.call_after_refresh(self._flush)
            return
        wait = self._last_flush + self.pacer.interval - self._clock()
        if wait <= 0:
            # The first fragment after a quiet spell goes straight out: no added latency.
            self.call_later(self._flush)
        else:
            self._flush_timer = self.set_timer(wait, self._flush)

    async def _flush(self) -> None:
        self._flush_timer = None
        self._flush_scheduled = False
        if self._body.gone:
            self._backlog.clear()  # removed meanwhile: nothing left to draw
            self._drawing = False
            self._drawn.set()
            return
        if self._body.busy:
            return  # the write in progress schedules the next one when it is done
        await self._write_pending()

    async def _write_pending(self) -> None:
        """Write queued reasoning, and one piece of queued text (one write at a time)."""
        self._last_flush = self._clock()
        self._write_reasoning()
        if self._halted or not (self._streaming or self._drawing) or not self._backlog:
            return
        await self._write_piece()
        if self._backlog and not self._halted:
            self._schedule_flush()  # the rest, and deltas that arrived while this one was written
        elif self._drawing and not self._backlog:
            self._drawing = False
            await self._body.finish()
            self._drawn.set()

    def _write_reasoning(self) -> None:
        if not self._pending_reasoning:
            return
        text = "".join(self._pending_reasoning)
        self._pending_reasoning.clear()
        if self._reasoning is None:  # the first reasoning: its block goes above the answer
            self._reasoning = ReasoningBlock(text, thinking=False)
            self.mount(self._reasoning, before=self._body)
        else:
            self._reasoning.add(text)  # collapsed: costs nothing

    async def _write_piece(self) -> None:
        """Hand the body the next piece of the backlog (it waits for a write in progress)."""
        piece, plain = self._backlog.take(self._body.piece_limit(self._backlog.plain_next))
        if not piece:
            return
        started = self._cpu_clock()
        fragment = shown(piece)  # one character for one: safe across piece and chunk cuts
        if plain:
            await self._body.append_plain(fragment)
        else:
            await self._body.append(fragment)
        # The layout and paint this write causes happen on the next refresh: count them too.
        self.call_after_refresh(self._write_painted, started)

    def _write_painted(self, started: float) -> None:
        self.pacer.record(self._cpu_clock() - started)

    async def end_stream(
        self, finish_reason: str | None, error: ErrorDisplay | None = None
    ) -> None:
        """Mark how the answer ended, then put what is still queued on screen.

        The mark comes first, so a stop shows at once however much is queued. A queue of at
        most one piece is written here (after a write in progress); a longer one is drawn piece
        by piece, with keys handled in between, and this returns once it is on screen — except
        after Esc: then it returns at once and the rest is drawn behind (`drawing`), so the next
        question need not wait for it. (Cancelled while waiting, the drawing goes on the same.)
        """
        self.halt()
        self._halted = False
        self._streaming = False
        self.finish_reason = finish_reason
        self._write_reasoning()
        if self._reasoning is not None:
            self._reasoning.done()
        if error is not None:
            await self.show_error(error)
        self._update_note()
        if len(self._backlog) > self._body.piece_limit(self._backlog.plain_next):
            self._drawing = True
            self._drawn.clear()
            self._schedule_flush()
            if finish_reason != "cancelled":
                await self._drawn.wait()
            return
        await self._write_piece()
        await self._body.finish()

    async def show_error(self, error: ErrorDisplay) -> None:
        """Show the error inline, replacing an earlier one."""
        self._error = error
        await self.query(ErrorView).remove()
        await self.mount(ErrorView(error, retry_key=self._retry_key, clock=self._clock))

    def _show_note(self, text: str) -> None:
        """The note under the answer; mounted the first time there is one (most finished
        answers never have one, and every mounted widget costs each layout)."""
        self._note.update(text)
        self._note.display = bool(text)
        if text and self._note.parent is None and self._body.parent is self:
            self.mount(self._note, after=self._body)

    def _update_note(self) -> None:
        if self._streaming:
            note = "writing…"
        elif self._error is not None:
            note = "partial answer kept" if self._chunks else ""
        elif self.finish_reason is None:
            if self._elsewhere is None:
                note = ""
            elif self._elsewhere:
                note = "being written in another craft-tui window"
            else:
                note = "interrupted"
        else:
            note = _FINISH_NOTES.get(self.finish_reason, "")
        self._show_note(f"— {note}" if note else "")
        self.set_class(self.finish_reason == "cancelled", "-stopped")
