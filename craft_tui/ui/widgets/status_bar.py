"""One line under the transcript: connection · model · tokens · cost · time to first token ·
tokens per second. While waiting for the first token a spinner and elapsed time run; the timer
stops as soon as text arrives or the answer ends, so nothing burns CPU when idle."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from craft_tui.untrusted import shown_inline
from craft_tui.workspace.figures import StatusFigures

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


StatusInfo = StatusFigures
"""What the status line shows: the workspace's figures (`workspace/figures.py`), one type."""


def _tokens(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 10_000 else f"{count:,}"


class StatusBar(Static):
    """The status line. `info` is replaced wholesale; `waiting` runs the spinner."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
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

    def on_mount(self) -> None:
        self._render_line()

    def set_info(self, info: StatusInfo | None = None, **changes: object) -> None:
        """Replace the shown figures (or change a few of them)."""
        base = info if info is not None else self.info
        self.info = replace(base, **changes) if changes else base  # type: ignore[arg-type]
        self._render_line()

    @property
    def spinning(self) -> bool:
        """True while the waiting timer runs (tests assert it stops)."""
        return self._timer is not None

    def start_waiting(self) -> None:
        """Show the spinner and elapsed seconds until `stop_waiting`."""
        self._waiting_since = self._clock()
        self._activity = "waiting"
        if self._timer is None:
            self._timer = self.set_interval(0.1, self._tick)
        self._render_line()

    def streaming(self) -> None:
        """First token arrived: the spinner stops, the line says the answer is being written."""
        self._stop_timer()
        self._activity = "writing"
        self._render_line()

    def stop_waiting(self) -> None:
        """The answer ended (or failed, or was stopped): back to the plain figures."""
        self._stop_timer()
        self._activity = ""
        self._waiting_since = None
        self._render_line()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _tick(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._render_line()

    def line(self) -> Text:
        """The status line as text (what tests read)."""
        info = self.info
        text = Text(no_wrap=True, overflow="ellipsis")
        if self._activity == "waiting" and self._waiting_since is not None:
            elapsed = self._clock() - self._waiting_since
            text.append(f"{SPINNER[self._frame]} {elapsed:.1f}s ", style="bold")
        elif self._activity == "writing":
            text.append("● ", style="bold green")
        parts: list[tuple[str, str]] = []
        if info.connection:
            parts.append((shown_inline(info.connection), "bold"))
        parts.append((shown_inline(info.model) or "no model", ""))
        if info.input_tokens or info.output_tokens:
            parts.append((f"↑{_tokens(info.input_tokens)} ↓{_tokens(info.output_tokens)} tok", ""))
        if info.cost:
            parts.append((info.cost, ""))
        if info.ttft_s is not None:
            parts.append((f"ttft {info.ttft_s:.2f}s", ""))
        if info.tokens_per_s is not None:
            parts.append((f"{info.tokens_per_s:.1f} tok/s", ""))
        for index, (part, style) in enumerate(parts):
            if index:
                text.append(" · ", style="dim")
            text.append(part, style=style)
        return text

    def _render_line(self) -> None:
        self.update(self.line())
