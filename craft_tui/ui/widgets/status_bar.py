"""One line under the transcript: connection · model · tokens · cost · time to first token ·
tokens per second. While waiting for the first token a spinner and elapsed time run; the timer
stops as soon as text arrives or the answer ends, so nothing burns CPU when idle.

The line never wraps (a second row would be cut off by its one-row height, with no sign). When it
does not fit its width, the figures go first, least useful first (speed, time to first token,
tokens, cost), and a trailing `…` says some were left out; what must stay (what the answer is
doing, connection · model) is cut with an ellipsis at a whole character, never mid-glyph.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from rich.cells import cell_len
from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from craft_tui.untrusted import shown_inline
from craft_tui.workspace.figures import StatusFigures

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STALL_AFTER_S = 3.0  # silence mid-answer before the line says so (well before a read timeout)


StatusInfo = StatusFigures
"""What the status line shows: the workspace's figures (`workspace/figures.py`), one type."""


DROPPED = "…"  # the last part when figures were left out for want of room
_SEPARATOR = " · "


def _tokens(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 10_000 else f"{count:,}"


def fit(prefix: Text, parts: list[tuple[str, str, int]], width: int | None) -> Text:
    """`prefix` then `parts` (text, style, rank: 0 always kept, higher dropped first) joined by
    ` · `, in at most `width` cells (None: no limit)."""
    kept = list(parts)

    def assemble(items: list[tuple[str, str, int]], dropped: bool) -> Text:
        text = prefix.copy()
        text.no_wrap, text.overflow = True, "ellipsis"
        pieces = [(part, style) for part, style, _ in items]
        if dropped:
            pieces.append((DROPPED, "dim"))
        for index, (part, style) in enumerate(pieces):
            if index:
                text.append(_SEPARATOR, style="dim")
            text.append(part, style=style)
        return text

    line = assemble(kept, False)
    if width is None or cell_len(line.plain) <= width:
        return line
    while any(rank for _, _, rank in kept):
        worst = max(range(len(kept)), key=lambda i: (kept[i][2], i))
        del kept[worst]
        line = assemble(kept, True)
        if cell_len(line.plain) <= width:
            return line
    line = assemble(kept, False)  # only what must stay, and still too long: cut it, visibly
    line.truncate(max(width, 1), overflow="ellipsis")
    return line


class StatusBar(Static):
    """The status line. `info` is replaced wholesale; `waiting` runs the spinner."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(
        self, *, id: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(id=id)
        self.info = StatusInfo()
        self._clock = clock
        self._waiting_since: float | None = None
        self._timer: Timer | None = None
        self._frame = 0
        self._activity = ""
        self._last_data: float | None = None  # when text last arrived in the live answer
        self._read_timeout: float | None = None  # the connection's: when the wait gives up
        self._stall_timer: Timer | None = None

    def on_mount(self) -> None:
        self._render_line()

    def on_resize(self) -> None:
        self._render_line()  # what fits changed

    def set_info(self, info: StatusInfo | None = None, **changes: object) -> None:
        """Replace the shown figures (or change a few of them)."""
        base = info if info is not None else self.info
        self.info = replace(base, **changes) if changes else base  # type: ignore[arg-type]
        self._render_line()

    @property
    def spinning(self) -> bool:
        """True while the waiting timer runs (tests assert it stops)."""
        return self._timer is not None

    @property
    def timers_running(self) -> bool:
        """True while any timer of the line runs (none when idle: no CPU)."""
        return self._timer is not None or self._stall_timer is not None

    def start_waiting(self, read_timeout: float | None = None) -> None:
        """Show the spinner and elapsed seconds until `stop_waiting`. The previous answer's
        time to first token and speed go: they are not this answer's. `read_timeout`: the
        connection's, named while the answer stalls."""
        self._waiting_since = self._clock()
        self._read_timeout = read_timeout
        self._activity = "waiting"
        self.info = replace(self.info, ttft_s=None, tokens_per_s=None)
        if self._timer is None:
            self._timer = self.set_interval(0.1, self._tick)
        self._render_line()

    def streaming(self) -> None:
        """First token arrived: the spinner stops, the line says the answer is being written
        and shows this answer's time to first token."""
        self._stop_timer()
        now = self._clock()
        self._last_data = now
        if self._waiting_since is not None:
            self.info = replace(self.info, ttft_s=now - self._waiting_since)
        self._activity = "writing"
        if self._stall_timer is None:  # once a second: is the answer still coming?
            self._stall_timer = self.set_interval(1.0, self._check_stall)
        self._render_line()

    def data_arrived(self) -> None:
        """More of the live answer arrived (called per chunk: one clock read)."""
        self._last_data = self._clock()
        if self._activity == "stalled":
            self._activity = "writing"
            self._render_line()

    @property
    def stalled_for(self) -> float | None:
        """Seconds since the live answer last got text, once that is a stall (else None)."""
        if self._activity not in {"writing", "stalled"} or self._last_data is None:
            return None
        quiet = self._clock() - self._last_data
        return quiet if quiet >= STALL_AFTER_S else None

    def _check_stall(self) -> None:
        stalled = self.stalled_for is not None
        if stalled or self._activity == "stalled":
            self._activity = "stalled" if stalled else "writing"
            self._render_line()

    def stop_waiting(self) -> None:
        """The answer ended (or failed, or was stopped): back to the plain figures."""
        self._stop_timer()
        if self._stall_timer is not None:
            self._stall_timer.stop()
            self._stall_timer = None
        self._activity = ""
        self._waiting_since = None
        self._last_data = None
        self._render_line()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._render_line()

    def line(self, width: int | None = None) -> Text:
        """The status line as text (what tests read), fitted to `width` cells when given."""
        info = self.info
        text = Text(no_wrap=True, overflow="ellipsis")
        if self._activity == "waiting" and self._waiting_since is not None:
            elapsed = self._clock() - self._waiting_since
            text.append(f"{SPINNER[self._frame]} {elapsed:.1f}s ", style="bold")
        elif self._activity == "writing":
            text.append("● ", style="bold green")
        elif self._activity == "stalled" and self._last_data is not None:
            quiet = self._clock() - self._last_data
            gives_up = f", gives up at {self._read_timeout:.0f}s" if self._read_timeout else ""
            text.append(f"◌ no data for {quiet:.0f}s{gives_up} ", style="bold yellow")
        parts: list[tuple[str, str, int]] = []  # rank: the higher, the sooner it goes
        if info.connection:
            parts.append((shown_inline(info.connection), "bold", 0))
        parts.append((shown_inline(info.model) or "no model", "", 0))
        if info.input_tokens or info.output_tokens:
            tokens = f"↑{_tokens(info.input_tokens)} ↓{_tokens(info.output_tokens)} tok"
            parts.append((tokens, "", 2))
        if info.cost:
            parts.append((info.cost, "", 1))
        if info.tools:  # what a tool call may do without asking: kept as long as the model
            style = "bold yellow" if info.tools == "allow-all" else ""
            parts.append((f"tools: {info.tools}", style, 0))
        if info.ttft_s is not None:
            parts.append((f"ttft {info.ttft_s:.2f}s", "", 3))
        if info.tokens_per_s is not None:
            parts.append((f"{info.tokens_per_s:.1f} tok/s", "", 4))
        return fit(text, parts, width)

    def _render_line(self) -> None:
        width = self.content_size.width if self.is_mounted else 0
        self.update(self.line(width or None))
