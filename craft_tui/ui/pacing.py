"""How often a streaming answer is written to the screen.

Every write costs a Markdown append, a layout and a repaint of the scrolled pane; that cost grows
with what is on screen (tables, lists, code) and with how slow the machine is. Writing at a fixed
rate either wastes CPU (a fast stream at 25 writes a second keeps a small server's core busy for
text nobody reads that fast) or lags. The pacer is told what each frame of the answer really cost
in CPU time — everything the process did from one write to the next: reading the deltas, the
write, layout, paint, freezing finished segments (a write's own time left out most of it, so a
slow machine went over its budget) — and spaces writes so that the answer uses at most `duty` of
one core, never more often than `min_interval` (25 a second) and never less often than
`max_interval`. The budget is a fraction of the measured frame cost, so a CPU twice as slow gets
half as many frames, not twice the load.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_INTERVAL = 0.04  # a person cannot read faster than ~25 updates a second
MAX_INTERVAL = 0.25  # slower than this looks stuck
DUTY = 0.2  # share of one core a streaming answer may use (reading and drawing it)


@dataclass
class FlushPacer:
    """Spaces coalesced writes by the CPU time the recent ones cost (smoothed)."""

    min_interval: float = MIN_INTERVAL
    max_interval: float = MAX_INTERVAL
    duty: float = DUTY
    cost: float = 0.0  # smoothed CPU seconds per write

    def record(self, cpu_seconds: float) -> None:
        """A frame of the answer (from one write's start to the next) took `cpu_seconds`."""
        cpu_seconds = max(0.0, cpu_seconds)
        self.cost = cpu_seconds if not self.cost else (self.cost + cpu_seconds) / 2

    @property
    def interval(self) -> float:
        """Seconds to leave between the starts of two writes."""
        return min(self.max_interval, max(self.min_interval, self.cost / self.duty))
