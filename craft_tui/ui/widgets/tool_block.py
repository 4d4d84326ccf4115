"""One tool call in the transcript: what was called, how it went, and what came back.

The header is always one line, `▼ ⚙ server · tool · status · duration`, so a conversation with a
dozen calls still reads as a conversation. Below it, when expanded, the arguments (one compact
line) and the result, cut to 20 lines / 2,000 characters (`ui/tool_text.py`) with a note saying
how much more there is; Enter or `o` on the block opens everything (`ToolOutputScreen`), space or
a click on the header folds it.

When it is open by itself: while the call waits for permission or runs (the user is watching
that call: what it was given, how long it has been going) and when it failed (an error is what a
user acts on: a server to fix, a call to deny next time). A call that went fine, was denied or
was cancelled folds to its header: the answer that follows is what the user reads next. Once the
user folds or unfolds a block by hand, status changes leave it as they put it.

Everything in it came from outside (the model wrote the arguments, a server the result, the
server's and tool's names): shown as text (`craft_tui/untrusted.py`), never as markup, and a
result holding terminal sequences shows them as inert characters.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar, Literal

from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from craft_tui.providers.content import ToolCallPart
from craft_tui.providers.types import ToolOutcome, ToolSpec
from craft_tui.ui.bindings import binding
from craft_tui.ui.screens.tool_output import ToolOutputScreen
from craft_tui.ui.tool_text import (
    compact_arguments,
    exact_line,
    format_duration,
    own_name,
    truncated,
)
from craft_tui.untrusted import shown

ToolStatus = Literal["asking", "running", "done", "error", "denied", "cancelled"]

_STATUS_WORDS: dict[ToolStatus, str] = {
    "asking": "asking",
    "running": "running…",
    "done": "done",
    "error": "error",
    "denied": "denied",
    "cancelled": "cancelled",
}
_OPEN_BY_ITSELF: frozenset[ToolStatus] = frozenset({"asking", "running", "error"})


class ToolBlock(Widget, can_focus=True):
    """One tool call: header line, arguments and result; updated in place as the call goes.

    Build it when the call is known (`status="asking"`, or `"running"` when no question is
    asked), then `set_running()`, and `set_result(outcome)` / `set_denied(reason)` /
    `set_cancelled()`. A call loaded from the history is built with its final status and
    outcome at once."""

    BINDINGS: ClassVar[list[BindingType]] = [  # keymap ids: ui/bindings.py TOOL_BLOCK_KEYS
        binding("tool.show_output", "show_all"),
        binding("tool.fold", "fold"),
    ]

    DEFAULT_CSS = """
    ToolBlock {
        height: auto;
        margin: 0;
        padding: 0;
        color: $text-muted;
        & > .tool-header { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
        &:focus > .tool-header { background: $block-cursor-blurred-background; color: $text; }
        &.-asking > .tool-header { color: $text-warning; text-style: bold; }
        &.-running > .tool-header { color: $accent; }
        &.-error > .tool-header { color: $text-error; }
        &.-denied > .tool-header { color: $text-warning; }
        & > .tool-body { height: auto; padding: 0 0 0 2; }
        &.-folded > .tool-body { display: none; }
        & .tool-arguments { color: $text-muted; }
        & .tool-result { color: $text; }
        &.-error .tool-result { color: $text-error; }
        & .tool-note { color: $text-muted; text-style: italic; }
        & .-empty { display: none; }
    }
    """

    def __init__(
        self,
        call: ToolCallPart,
        *,
        server: str = "",
        tool: str | None = None,
        status: ToolStatus = "asking",
        outcome: ToolOutcome | None = None,
        duration: float | None = None,
        reason: str = "",
        clock: Callable[[], float] = time.monotonic,
        id: str | None = None,
        classes: str = "",
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.call = call
        self.server = server
        self.tool = own_name(call.name, server) if tool is None else tool
        self._status: ToolStatus = status
        self._outcome = outcome
        self._duration = duration
        self._reason = reason
        self._clock = clock
        self._started: float | None = clock() if status == "running" else None
        self._ticker: Timer | None = None
        self._folded_by_user: bool | None = None  # None: the status decides
        self._header = Static("", classes="tool-header", markup=False)
        self._arguments = Static(
            Content(compact_arguments(call.arguments)), classes="tool-arguments", markup=False
        )
        self._result = Static("", classes="tool-result", markup=False)
        self._note = Static("", classes="tool-note", markup=False)
        self._shown = ("", "")  # the result's head and note, as put on screen

    @classmethod
    def for_call(
        cls, call: ToolCallPart, spec: ToolSpec | None, *, status: ToolStatus = "asking"
    ) -> ToolBlock:
        """A block for a call of `spec` (None: a tool that was not offered), as the tool loop's
        events carry them."""
        return cls(call, server=spec.source if spec is not None else "", status=status)

    # ------------------------------------------------------------------ what it shows

    @property
    def status(self) -> ToolStatus:
        return self._status

    @property
    def outcome(self) -> ToolOutcome | None:
        return self._outcome

    @property
    def expanded(self) -> bool:
        """Whether arguments and result are shown (see the module doc for when)."""
        if self._folded_by_user is not None:
            return not self._folded_by_user
        return self._status in _OPEN_BY_ITSELF

    @property
    def header_text(self) -> str:
        """The header as shown (without the fold arrow): server · tool · status · duration."""
        # A call read back from the history before its server started is known by its tool
        # name only: the header then starts with the tool.
        parts = [exact_line(self.server)] if self.server else []
        parts.append(exact_line(self.tool))
        status = _STATUS_WORDS[self._status]
        if self._status == "denied" and self._reason:
            status += f" ({exact_line(self._reason)})"  # folded, the reason is still in sight
        parts.append(status)
        duration = self._elapsed()
        if duration is not None:
            parts.append(format_duration(duration))
        return "⚙ " + " · ".join(parts)

    @property
    def result_text(self) -> str:
        """The (disarmed) part of the result the block shows, and its note, as on screen."""
        return "\n".join(text for text in self._shown if text)

    def compose(self) -> ComposeResult:
        yield self._header
        with Vertical(classes="tool-body"):
            yield self._arguments
            yield self._result
            yield self._note

    def on_mount(self) -> None:
        self._show()
        if self._status == "running":
            self._start_ticker()

    def _elapsed(self) -> float | None:
        if self._duration is not None:
            return self._duration
        if self._status == "running" and self._started is not None:
            return max(0.0, self._clock() - self._started)
        return None

    def _show(self) -> None:
        """Put the state on screen (header, classes, body); cheap, called on each change."""
        for status in _STATUS_WORDS:
            self.set_class(status == self._status, f"-{status}")
        self.set_class(not self.expanded, "-folded")
        arrow = "▼" if self.expanded else "▶"
        self._header.update(Content(f"{arrow} {self.header_text}"))
        note = ""
        if self._status == "denied":
            body = "Denied: " + exact_line(self._reason) if self._reason else "Denied"
        elif self._status == "cancelled":
            body = "Cancelled before it finished"
        elif self._outcome is None:
            body = ""  # asking or running: the header says so, the arguments are what to see
        elif not self._outcome.text.strip():
            body = "(no output)"
        else:
            head, note = truncated(self._outcome.text)  # cut first: a result may be megabytes
            body = shown(head)
        self._shown = (body, note)
        self._result.update(Content(body))
        self._result.set_class(not body, "-empty")
        self._note.update(Content(note))
        self._note.set_class(not note, "-empty")

    def _header_only(self) -> None:
        arrow = "▼" if self.expanded else "▶"
        self._header.update(Content(f"{arrow} {self.header_text}"))

    # ------------------------------------------------------------------ state changes

    def set_asking(self) -> None:
        """Waiting for the user's permission."""
        self._status = "asking"
        self._started = None  # the time asking is not the tool's: it counts from set_running
        self._stop_ticker()
        self._refresh_state()

    def set_running(self) -> None:
        """The call was allowed (or needs no question) and runs: the duration counts from now."""
        self._status = "running"
        self._started = self._clock()
        self._duration = None
        self._refresh_state()
        self._start_ticker()

    def set_result(self, outcome: ToolOutcome, duration: float | None = None) -> None:
        """The call ended: `done`, or `error` when `outcome.is_error`. `duration` (seconds)
        defaults to the time since `set_running`."""
        self._outcome = outcome
        self._status = "error" if outcome.is_error else "done"
        self._end(duration)

    def set_denied(self, reason: str = "") -> None:
        """The user (or the policy) said no; `reason` is what the model was told."""
        self._status = "denied"
        self._reason = reason
        self._started = None  # it never ran: no duration
        self._end(None)

    def set_cancelled(self) -> None:
        """Esc, or the conversation was left, while the call was asked about or running."""
        self._status = "cancelled"
        self._end(None)

    def _end(self, duration: float | None) -> None:
        if duration is None and self._started is not None and self._duration is None:
            duration = max(0.0, self._clock() - self._started)
        self._duration = duration
        self._stop_ticker()
        self._refresh_state()

    def _refresh_state(self) -> None:
        if self.is_mounted:
            self._show()

    def _start_ticker(self) -> None:
        """While running, the header's duration goes up once a second (a long call shows it)."""
        if self._ticker is None and self.is_mounted:
            self._ticker = self.set_interval(1.0, self._header_only)

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    # ------------------------------------------------------------------ keys and mouse

    def action_fold(self) -> None:
        """Fold or unfold; from now on the block stays as the user put it."""
        self._folded_by_user = self.expanded
        self._show()

    def action_show_all(self) -> None:
        """Everything: the arguments pretty-printed and the whole result, in a modal."""
        self.app.push_screen(
            ToolOutputScreen(
                self.header_text,
                self.call.arguments,
                self._full_result(),
                is_error=self._status == "error",
            )
        )

    def _full_result(self) -> str:
        if self._outcome is not None:
            return self._outcome.text
        if self._status == "denied":
            return "Denied: " + self._reason if self._reason else "Denied"
        return "(no result yet)" if self._status in ("asking", "running") else "(no result)"

    def on_click(self, event: events.Click) -> None:
        if event.widget is self._header:
            self.action_fold()
        elif event.widget is self._note:
            self.action_show_all()
