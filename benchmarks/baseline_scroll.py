"""Bare Textual baseline for PageUp: the seeded conversation's messages, all mounted at start.

    python baseline_scroll.py N     # N messages, as seed_history.py writes them

A VerticalScroll of Textual `Markdown` widgets (questions and the same answer text as
`seed_history.ANSWER`), scrolled to its end and focused, so PageUp is Textual's own scroll of
content that is already mounted and laid out: no mounting on the way up. Ready string: the last
message's ZZLASTZZ; the first message starts "Question number 0:".
"""

from __future__ import annotations

import sys

from seed_history import ANSWER
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown


def texts(count: int) -> list[str]:
    """The messages of seed_history's last conversation, oldest first."""
    out = []
    for index in range(max(2, count)):
        last = index == max(2, count) - 1
        if index % 2 == 0:
            out.append(f"Question number {index // 2}: how does this work?")
        else:
            out.append(ANSWER + (" ZZLASTZZ" if last else ""))
    return out


class ScrollBaseline(App[None]):
    CSS = "VerticalScroll { height: 1fr; } Markdown { margin: 1 0 0 0; }"

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="log"):
            for text in texts(self.count):
                yield Markdown(text)

    def on_mount(self) -> None:
        log = self.query_one("#log", VerticalScroll)
        log.focus()
        log.anchor()  # at the end as the Markdown widgets get their heights; PageUp releases it


if __name__ == "__main__":
    ScrollBaseline(int(sys.argv[1]) if len(sys.argv) > 1 else 300).run()
