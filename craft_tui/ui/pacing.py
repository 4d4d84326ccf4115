"""How often a streaming answer is written to the screen.

Every write costs a Markdown append, a layout and a repaint of the scrolled pane; that cost grows
with what is on screen (tables, lists, code) and with how slow the machine is. Writing at a fixed
rate either wastes CPU (a fast stream at 25 writes a second keeps a small server's core busy for
text nobody reads that fast) or lags. The pacer measures what each write really cost in CPU time
and spaces writes so that painting the answer uses at most `duty` of one core, never more often
than `min_interval` (25 a second) and never less often than `max_interval`.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_INTERVAL = 0.04  # a person cannot read faster than ~25 updates a second
MAX_INTERVAL = 0.5  # two writes a second: slower than this looks stuck
DUTY = 0.15  # share of one core that painting a streaming answer may use


@dataclass
class FlushPacer:
    """Spaces coalesced writes by the CPU time the recent ones cost (smoothed)."""

    min_interval: float = MIN_INTERVAL
    max_interval: float = MAX_INTERVAL
    duty: float = DUTY
    cost: float = 0.0  # smoothed CPU seconds per write

    def record(self, cpu_seconds: float) -> None:
        """A write (append, layout, paint) took `cpu_seconds` of CPU time."""
        cpu_seconds = max(0.0, cpu_seconds)
        self.cost = cpu_seconds if not self.cost else (self.cost + cpu_seconds) / 2

    @property
    def interval(self) -> float:
        """Seconds to leave between the starts of two writes."""
        return min(self.max_interval, max(self.min_interval, self.cost / self.duty))
